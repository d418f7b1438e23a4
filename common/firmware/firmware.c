/*
 * firmware.c — installing the BIOS tables into guest RAM (firmware.h).
 */
#include "firmware/firmware.h"

#include <stdio.h>
#include <string.h>
#include "devices/acpi_pm.h"
#include "firmware/acpi.h"
#include "firmware/mptable.h"
#include "x86/interp.h"

void firmware_config_default(struct firmware_config *cfg)
{
    uint32_t r[4];
    x86_cpuid(1, r); /* what every engine but KVM reports (x86/exec_sys.c) */
    *cfg = (struct firmware_config){
        .ncpus = 1,
        .cpu_signature = r[0],
        .cpu_features = r[3],
        .pm_base = ACPI_PM_BASE,
        .sci_irq = ACPI_PM_SCI_IRQ,
    };
}

int firmware_install(struct guest_ram *ram, const struct firmware_config *cfg, char *err,
                     size_t errlen)
{
    if (!gpa_to_hva(ram, 0, FW_AREA_END)) {
        snprintf(err, errlen,
                 "firmware tables: guest RAM of %llu KiB does not reach the BIOS area "
                 "(0x%x-0x%x)",
                 (unsigned long long)(ram->size >> 10), FW_AREA_BASE, FW_AREA_END - 1);
        return -1;
    }
    if (cfg->ncpus < 1 || cfg->ncpus > FW_MAX_CPUS) {
        snprintf(err, errlen, "firmware tables: %u processors (1 to %d supported)", cfg->ncpus,
                 FW_MAX_CPUS);
        return -1;
    }
    if (fw_isa_irq_to_gsi(cfg->sci_irq) < 0 || cfg->sci_irq > 15) {
        snprintf(err, errlen, "firmware tables: SCI on ISA IRQ %u (no IOAPIC pin of its own)",
                 cfg->sci_irq);
        return -1;
    }
    uint8_t *mem = ram->host;
    memset(mem + FW_RSDP, 0, FW_END - FW_RSDP);
    mptable_write(mem, cfg);
    acpi_write(mem, cfg);
    return 0;
}
