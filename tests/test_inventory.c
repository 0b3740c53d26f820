/*
 * test_inventory.c — fn_inventory.h promises: INI and YAML parsing,
 * implicit `all`, host names as written, inheritance, file:line errors,
 * target selection. No network. Single-threaded.
 */
#include "fn_err.h"
#include "fn_inventory.h"
#include "fn_vendor.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fn_check.h"

static fn_vendors_t *vs;

static void setup(void)
{
    char err[256];
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, err, sizeof(err)), 0);
}

static void teardown(void)
{
    fn_vendors_free(vs);
}

static fn_inventory_t *parse_ok(const char *text, int format)
{
    fn_inventory_t *inv = NULL;
    char err[256] = "";
    int rc = fn_inventory_parse(&inv, text, strlen(text), format, "t.inv", vs,
                                err, sizeof(err));
    ck_assert_msg(rc == 0, "parse failed: %s", err);
    return inv;
}

static void parse_err(const char *text, int format, const char *want)
{
    fn_inventory_t *inv = NULL;
    char err[256] = "";
    int rc = fn_inventory_parse(&inv, text, strlen(text), format, "t.inv", vs,
                                err, sizeof(err));
    ck_assert_int_eq(rc, FN_EPARSE);
    ck_assert_ptr_null(inv);
    ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

START_TEST(test_ini_hosts_groups_names)
{
    const char *text =
        "# comment\n"
        "; another\n"
        "10.0.0.9 vendor=linux\n"
        "[core]\n"
        "127.0.0.1:22001 vendor=cisco_ios  \n" /* trailing blanks: no error */
        "  10.0.0.2  vendor=arista_eos name=r2 username=ops port=2222 "
        "legacy_algos=yes site=par\n"
        "[edge]\n"
        "[::1]:2200 vendor=juniper_junos kex=diffie-hellman-group14-sha1\n"
        "r2\n";
    fn_inventory_t *inv = parse_ok(text, FN_INVENTORY_INI);
    ck_assert_uint_eq(fn_inventory_count(inv), 4);
    const fn_host_t *h = fn_inventory_find(inv, "127.0.0.1:22001");
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(fn_host_address(h), "127.0.0.1");
    ck_assert_uint_eq(fn_host_port(h), 22001);
    ck_assert_str_eq(fn_host_vendor(h), "cisco_ios");
    ck_assert(fn_host_in_group(h, "all") && fn_host_in_group(h, "core"));
    ck_assert(!fn_host_in_group(h, "edge"));
    h = fn_inventory_find(inv, "r2");
    ck_assert_uint_eq(fn_host_port(h), 2222);
    ck_assert_str_eq(fn_host_username(h), "ops");
    ck_assert_int_eq(fn_host_legacy_algos(h), 1);
    ck_assert_str_eq(fn_host_get(h, "site"), "par");
    ck_assert_uint_eq(fn_host_data_count(h), 1);
    ck_assert_str_eq(fn_host_data_key(h, 0), "site");
    ck_assert(fn_host_in_group(h, "edge")); /* bare repeat joins a group */
    h = fn_inventory_find(inv, "[::1]:2200");
    ck_assert_str_eq(fn_host_address(h), "::1");
    ck_assert_str_eq(fn_host_algos(h, "kex"), "diffie-hellman-group14-sha1");
    h = fn_inventory_find(inv, "10.0.0.9");
    ck_assert_uint_eq(fn_host_port(h), 22);
    ck_assert_uint_eq(fn_host_group_count(h), 1);
    ck_assert_str_eq(fn_host_group_at(h, 0), "all");
    ck_assert_uint_eq(fn_inventory_group_count(inv), 3);
    ck_assert_str_eq(fn_inventory_group_at(inv, 0), "all");
    fn_inventory_free(inv);
}
END_TEST

START_TEST(test_ini_errors_name_file_line)
{
    parse_err("[a]\n\n10.0.0.1 vendor=nosuch\n", 1,
              "t.inv:3: host 10.0.0.1: unknown vendor 'nosuch'");
    parse_err("10.0.0.1:0 vendor=linux\n", 1, "t.inv:1: bad port");
    parse_err("10.0.0.1:70000\n", 1, "t.inv:1: bad port");
    parse_err("10.0.0.1 port=abc\n", 1, "t.inv:1: bad port");
    parse_err("a vendor=linux\nb\na vendor=cisco_ios\n", 1,
              "t.inv:3: duplicate host a (first at line 1)");
    parse_err("a vendor\n", 1, "t.inv:1: expected key=value");
    parse_err("[bad group]\n", 1, "t.inv:1: bad group name");
    parse_err("a password=x\n", 1, "password_env");
    parse_err("a legacy_algos=maybe\n", 1, "t.inv:1: bad boolean");
}
END_TEST

static const char *yaml_text = "---\n"
                               "defaults:\n"
                               "  username: admin\n"
                               "  data: {site: default, tier: 3}\n"
                               "groups:\n"
                               "  base:\n"
                               "    port: 2022\n"
                               "    data: {site: base}\n"
                               "  core:\n"
                               "    platform: cisco_ios\n"
                               "    groups: [base]\n"
                               "  ops:\n"
                               "    username: ops\n"
                               "hosts:\n"
                               "  r1:\n"
                               "    hostname: 10.0.0.1\n"
                               "    groups: [core, ops]\n"
                               "  r2:\n"
                               "    hostname: 10.0.0.2\n"
                               "    port: 22\n"
                               "    platform: arista_eos\n"
                               "    groups: [ops]\n"
                               "    data:\n"
                               "      site: lon\n"
                               "  r3: {hostname: 10.0.0.3, platform: linux}\n";

START_TEST(test_yaml_inheritance)
{
    fn_inventory_t *inv = parse_ok(yaml_text, FN_INVENTORY_GUESS);
    ck_assert_uint_eq(fn_inventory_count(inv), 3);
    const fn_host_t *h = fn_inventory_find(inv, "r1");
    ck_assert_str_eq(fn_host_address(h), "10.0.0.1");
    ck_assert_str_eq(fn_host_vendor(h), "cisco_ios"); /* from core */
    ck_assert_uint_eq(fn_host_port(h), 2022);         /* core -> base */
    ck_assert_str_eq(fn_host_username(h), "ops");     /* ops, not default */
    ck_assert_str_eq(fn_host_get(h, "site"), "base");
    ck_assert_str_eq(fn_host_get(h, "tier"), "3");
    ck_assert(fn_host_in_group(h, "base") && fn_host_in_group(h, "all"));
    h = fn_inventory_find(inv, "r2");
    ck_assert_uint_eq(fn_host_port(h), 22);
    ck_assert_str_eq(fn_host_get(h, "site"), "lon");
    h = fn_inventory_find(inv, "r3");
    ck_assert_str_eq(fn_host_username(h), "admin");
    ck_assert_uint_eq(fn_host_port(h), 22);
    fn_inventory_free(inv);
}
END_TEST

START_TEST(test_yaml_errors)
{
    parse_err("hosts:\n  r1:\n    groups: [nope]\n", 2,
              "t.inv:3: unknown group nope");
    parse_err("hosts:\n  r1: {port: 99999}\n", 2, "t.inv:2: bad port");
    parse_err("hosts:\n  r1: {platform: nosuch}\n", 2, "unknown vendor");
    parse_err("hosts:\n  r1: {}\n  r1: {}\n", 2, "t.inv:3: duplicate host");
    parse_err("hosts: [a, b\n", 2, "t.inv:");
    parse_err("routers: {}\n", 2, "t.inv:1: unknown top-level key");
    parse_err("groups:\n  a: {groups: [b]}\n  b: {groups: [a]}\n"
              "hosts:\n  r1: {groups: [a]}\n",
              2, "too deep");
}
END_TEST

START_TEST(test_select)
{
    fn_inventory_t *inv = parse_ok(yaml_text, FN_INVENTORY_YAML);
    const fn_host_t **sel = NULL;
    size_t n = 0;
    char err[128];
    const char *g[] = {"core"}, *h[] = {"r3", "r1"};
    ck_assert_int_eq(
        fn_inventory_select(inv, g, 1, h, 2, &sel, &n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n, 2); /* r1 once, inventory order */
    ck_assert_str_eq(fn_host_name(sel[0]), "r1");
    ck_assert_str_eq(fn_host_name(sel[1]), "r3");
    free(sel);
    ck_assert_int_eq(
        fn_inventory_select(inv, NULL, 0, NULL, 0, &sel, &n, err, sizeof(err)),
        0);
    ck_assert_uint_eq(n, 3);
    free(sel);
    const char *bad[] = {"nope"};
    ck_assert_int_eq(
        fn_inventory_select(inv, bad, 1, NULL, 0, &sel, &n, err, sizeof(err)),
        FN_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    ck_assert_int_eq(
        fn_inventory_select(inv, NULL, 0, bad, 1, &sel, &n, err, sizeof(err)),
        FN_ENOTFOUND);
    fn_inventory_free(inv);
}
END_TEST

START_TEST(test_load_file_and_many_hosts)
{
    char path[] = "/tmp/fn-inv-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("[mix]\n", f);
    for (unsigned i = 0; i < 10000; i++)
        fprintf(f, "127.0.0.1:%u vendor=cisco_ios\n", 10000 + i);
    fclose(f);
    fn_inventory_t *inv = NULL;
    char err[256];
    ck_assert_int_eq(fn_inventory_load(&inv, path, 0, vs, err, sizeof(err)), 0);
    ck_assert_uint_eq(fn_inventory_count(inv), 10000);
    ck_assert_ptr_nonnull(fn_inventory_find(inv, "127.0.0.1:19999"));
    fn_inventory_free(inv);
    unlink(path);
    ck_assert_int_lt(fn_inventory_load(&inv, path, 0, vs, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("inventory");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ini_hosts_groups_names);
    tcase_add_test(tc, test_ini_errors_name_file_line);
    tcase_add_test(tc, test_yaml_inheritance);
    tcase_add_test(tc, test_yaml_errors);
    tcase_add_test(tc, test_select);
    tcase_add_test(tc, test_load_file_and_many_hosts);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
