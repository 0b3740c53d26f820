/*
 * fuzz_inventory.c — libFuzzer target for the inventory readers. Built
 * twice (tests/engine.cmake): -DFUZZ_YAML=0 feeds the INI reader
 * (flexnet's and, by byte 0, Ansible's), -DFUZZ_YAML=1 the YAML reader
 * (byte 0: detected, Ansible or Nornir shape).
 *
 * Input: byte 0 picks the format, the rest is the inventory text. Checks
 * the header promises that hold for any input: a parse either fails with
 * FN_EPARSE / -ENOMEM and a "<fuzz>:LINE: what" message, or gives hosts
 * whose accessors are well-formed (name found by fn_inventory_find, port
 * 1..65535, "all" their first group, every group known), and patterns
 * over them neither crash nor select hosts outside the inventory.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined; ctest replays the
 * committed corpus only (tests/fuzz/inventory_ini, inventory_yaml).
 * Thread: libFuzzer's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_inventory.h"

#ifndef FUZZ_YAML
#define FUZZ_YAML 0
#endif

static void check_host(const fn_inventory_t *inv, const fn_host_t *h)
{
    const char *name = fn_host_name(h);
    if (!name || !*name || fn_inventory_find(inv, name) != h)
        abort();
    unsigned port = fn_host_port(h);
    if (port < 1 || port > 65535 || !fn_host_address(h) || !fn_host_vendor(h))
        abort();
    if (fn_host_group_count(h) < 1 || strcmp(fn_host_group_at(h, 0), "all"))
        abort();
    for (size_t g = 0; g < fn_host_group_count(h); g++) {
        const char *gn = fn_host_group_at(h, g);
        size_t k = 0;
        while (k < fn_inventory_group_count(inv) &&
               strcmp(fn_inventory_group_at(inv, k), gn))
            k++;
        if (k == fn_inventory_group_count(inv))
            abort();
    }
    for (size_t i = 0; fn_host_setting_key(i); i++) {
        const char *from = NULL;
        if (fn_host_setting(h, fn_host_setting_key(i), &from) && !from)
            abort();
    }
    for (size_t i = 0; i < fn_host_data_count(h); i++)
        if (!fn_host_data_key(h, i) || !fn_host_data_value(h, i) ||
            !fn_host_data_from(h, i))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int ini[] = {FN_INVENTORY_INI, FN_INVENTORY_ANSIBLE};
    static const int yaml[] = {FN_INVENTORY_YAML, FN_INVENTORY_ANSIBLE,
                               FN_INVENTORY_NORNIR};
    int fmt = FUZZ_YAML ? yaml[data[0] % 3] : ini[data[0] % 2];
    fn_inventory_t *inv = NULL;
    char err[256] = "";
    int rc = fn_inventory_parse(&inv, (const char *)data + 1, size - 1, fmt,
                                "<fuzz>", NULL, err, sizeof(err));
    if (rc) {
        if ((rc != FN_EPARSE && rc != -ENOMEM) || inv ||
            (rc == FN_EPARSE && strncmp(err, "<fuzz>", 6)))
            abort();
        return 0;
    }
    size_t n = fn_inventory_count(inv);
    for (size_t i = 0; i < n; i++)
        check_host(inv, fn_inventory_at(inv, i));
    char *mark = malloc(n + 1);
    static const char *const pats[] = {"all:!ungrouped", "*:&all", "~.",
                                       "!all"};
    for (size_t p = 0; mark && p < 4; p++) {
        if (fn_inventory_match(inv, pats[p], mark, err, sizeof(err)) == 0)
            for (size_t i = 0; i < n; i++)
                if (mark[i] > 1)
                    abort();
    }
    free(mark);
    fn_inventory_free(inv);
    return 0;
}
