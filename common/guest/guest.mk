# placeholder: the guest kernel engineer replaces this file
