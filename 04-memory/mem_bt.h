/*
 * mem_bt.h — vmm-mem's bt engine: the stage 01 translator on cached shadow
 * page tables (shadow.h), and the checks of its options.
 */
#ifndef MEM_MEM_BT_H
#define MEM_MEM_BT_H

#include <stddef.h>
#include "core/engine.h"

extern const struct engine_ops mem_bt_engine;
int mem_check_mmu(const char *v, char *err, size_t len);   /* --mmu MODE      */
int mem_check_cache(const char *v, char *err, size_t len); /* --shadow-cache N */

#endif
