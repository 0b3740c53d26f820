/*
 * test_parse.c — Check suite for parse/: one test per promise of
 * fn_parse.h. Record semantics against python3-textfsm are checked by
 * tests/test_parse_diff.py; these tests hold what only C can see:
 * chunking, caps, limits, reasons, the index lookup.
 */
#include "fn_parse.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fn_buf.h"
#include "fn_check.h"
#include "fn_err.h"

static const char ipbrief_tpl[] =
    "Value INTF (\\S+)\n"
    "Value IP (\\S+)\n"
    "Value List FLAGS (\\w+)\n"
    "\n"
    "Start\n"
    "  ^${INTF}\\s+${IP}(\\s+${FLAGS})*\\s*$$ -> Record\n";

static const char ipbrief_in[] = "Gi0/0 10.0.0.1 up\r\n"
                                 "Gi0/1 unassigned down\n"
                                 "Gi0/2 10.0.0.3\xe2\x80\xa8"
                                 "Lo0 10.9.9.9 up";

static fn_parse_tpl_t *tpl(const char *text)
{
    fn_parse_tpl_t *t = NULL;
    char why[FN_PARSE_REASON_LEN];
    int rc =
        fn_parse_tpl_new(text, strlen(text), "t.textfsm", &t, why, sizeof why);
    ck_assert_msg(rc == 0, "template: %s", why);
    return t;
}

/* Parses in chunks of `chunk` bytes (0: all at once); returns the JSON. */
static char *parse_json(const fn_parse_tpl_t *t, const char *in, size_t len,
                        size_t chunk, int *rc)
{
    fn_parse_t *p = NULL;
    fn_buf_t b;
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    *rc = 0;
    for (size_t i = 0; i < len && *rc == 0; i += chunk ? chunk : len) {
        size_t n = chunk && chunk < len - i ? chunk : len - i;
        *rc = fn_parse_feed(p, in + i, n);
    }
    if (*rc == 0)
        *rc = fn_parse_finish(p);
    fn_buf_init(&b, 0);
    fn_parse_json(p, &b);
    fn_parse_free(p);
    return fn_buf_steal(&b, NULL);
}

START_TEST(feed_any_chunking_same_records)
{
    fn_parse_tpl_t *t = tpl(ipbrief_tpl);
    int rc;
    char *whole = parse_json(t, ipbrief_in, strlen(ipbrief_in), 0, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(whole,
                     "[{\"INTF\": \"Gi0/0\", \"IP\": \"10.0.0.1\", "
                     "\"FLAGS\": [\"up\"]}, {\"INTF\": \"Gi0/1\", \"IP\": "
                     "\"unassigned\", \"FLAGS\": [\"down\"]}, {\"INTF\": "
                     "\"Gi0/2\", \"IP\": \"10.0.0.3\", \"FLAGS\": [null]}, "
                     "{\"INTF\": \"Lo0\", \"IP\": \"10.9.9.9\", \"FLAGS\": "
                     "[\"up\"]}]");
    /* (the optional group that did not take part is a null item, as
     * Python's None); every chunk size, so CRLF and U+2028 split across
     * feeds */
    for (size_t c = 1; c <= 7; c++) {
        char *got = parse_json(t, ipbrief_in, strlen(ipbrief_in), c, &rc);
        ck_assert_int_eq(rc, 0);
        ck_assert_msg(strcmp(got, whole) == 0, "chunk %zu: %s", c, got);
        free(got);
    }
    free(whole);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(line_equals_feed)
{
    fn_parse_tpl_t *t = tpl(ipbrief_tpl);
    fn_parse_t *p = NULL;
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    ck_assert_int_eq(fn_parse_line(p, "Gi0/0 10.0.0.1 up", 17), 0);
    ck_assert_int_eq(fn_parse_finish(p), 0);
    ck_assert_uint_eq(fn_parse_nrecords(p), 1);
    const fn_parse_val_t *r = fn_parse_record(p, 0);
    ck_assert_int_eq(r[0].kind, FN_PARSE_STR);
    ck_assert_str_eq(r[0].str, "Gi0/0");
    ck_assert_int_eq(r[2].kind, FN_PARSE_LIST);
    ck_assert_uint_eq(r[2].n, 1);
    ck_assert_int_eq(fn_parse_finish(p), FN_ESTATE);
    ck_assert_int_eq(fn_parse_feed(p, "x", 1), FN_ESTATE);
    fn_parse_free(p);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(template_errors_name_file_and_line)
{
    static const struct {
        const char *text, *reason;
    } bad[] = {
        {"Value A (\\w+)\n\nStart\n  ^${B}\n", "t.textfsm:4: Duplicate or"},
        {"Value A (\\w+\n", "t.textfsm:1: Value '(\\w+' must be contained"},
        {"Value Bogus A (x)\n", "t.textfsm:1: Unknown option \"Bogus\""},
        {"Value A (x)\n\nStart\n  ^(x -> Next\n",
         "t.textfsm:4: Invalid regular expression"},
        {"Value A (x)\n\nStart\n  ^x -> Continue Other\n",
         "t.textfsm:4: Action 'Continue' with new state"},
        {"Value A (x)\n\nBegin\n  ^x\n", "t.textfsm:4: Missing state 'Start'"},
        {"Value A (x)\n\nStart\n   ^x\n", "t.textfsm:4: Missing white space"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fn_parse_tpl_t *t = NULL;
        char why[FN_PARSE_REASON_LEN];
        int rc = fn_parse_tpl_new(bad[i].text, strlen(bad[i].text), "t.textfsm",
                                  &t, why, sizeof why);
        ck_assert_int_eq(rc, FN_ETEMPLATE);
        ck_assert_ptr_null(t);
        ck_assert_msg(strncmp(why, bad[i].reason, strlen(bad[i].reason)) == 0,
                      "case %zu: %s", i, why);
    }
}
END_TEST

START_TEST(catastrophic_backtracking_is_no_match)
{
    /* ntc-templates' cisco_s300_show_vlan rule (DESIGN.md) */
    fn_parse_tpl_t *t = tpl("Value V (\\d+)\n\nStart\n"
                            "  ^(\\s*-*)*\\s*$$\n"
                            "  ^\\s*${V} -> Record\n");
    char line[64];
    memset(line, ' ', sizeof line);
    memcpy(line + sizeof line - 3, "x 7", 3);
    fn_parse_t *p = NULL;
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(fn_parse_line(p, line, sizeof line), 0);
    ck_assert_int_eq(fn_parse_line(p, "   42", 5), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    ck_assert_msg(s < 5.0, "took %.1f s", s);
    ck_assert_int_eq(fn_parse_finish(p), 0);
    ck_assert_uint_eq(fn_parse_nrecords(p), 1);
    ck_assert_str_eq(fn_parse_record(p, 0)[0].str, "42");
    fn_parse_free(p);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(records_past_cap_fail_efull)
{
    fn_parse_tpl_t *t = tpl("Value L (.*)\n\nStart\n  ^${L} -> Record\n");
    fn_parse_t *p = NULL;
    char line[100];
    memset(line, 'x', sizeof line);
    ck_assert_int_eq(fn_parse_new(t, 4096, &p), 0);
    int rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++)
        rc = fn_parse_line(p, line, sizeof line);
    ck_assert_int_eq(rc, FN_EFULL);
    ck_assert_uint_eq(fn_parse_nrecords(p), 0);
    ck_assert_ptr_nonnull(strstr(fn_parse_reason(p), "4096"));
    ck_assert_int_eq(fn_parse_line(p, "x", 1), FN_EFULL);
    ck_assert_uint_le(fn_parse_mem(p), 64 * 1024);
    fn_parse_free(p);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(error_action_drops_records_with_python_reason)
{
    fn_parse_tpl_t *t = tpl("Value A (\\w+)\n\nStart\n"
                            "  ^ok ${A} -> Record\n"
                            "  ^bad -> Error \"no good\"\n");
    fn_parse_t *p = NULL;
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    const char in[] = "ok a\nbad line\nok b\n";
    ck_assert_int_eq(fn_parse_feed(p, in, sizeof in - 1), FN_EFSM);
    ck_assert_str_eq(fn_parse_reason(p), "Error: \"no good\". Rule Line: 5. "
                                         "Input Line: bad line.");
    ck_assert_uint_eq(fn_parse_nrecords(p), 0);
    ck_assert_int_eq(fn_parse_finish(p), FN_EFSM);
    fn_parse_free(p);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(long_line_is_cut_at_cap)
{
    fn_parse_tpl_t *t = tpl("Value L (.*)\n\nStart\n  ^${L} -> Record\n");
    fn_parse_t *p = NULL;
    size_t n = FN_PARSE_MAX_LINE + 1000;
    char *big = malloc(n);
    memset(big, 'y', n);
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    for (size_t i = 0; i < n; i += 4096) /* the line spans many feeds */
        ck_assert_int_eq(fn_parse_feed(p, big + i, n - i < 4096 ? n - i : 4096),
                         0);
    ck_assert_int_eq(fn_parse_finish(p), 0);
    ck_assert_uint_eq(fn_parse_nrecords(p), 1);
    ck_assert_uint_eq(fn_parse_record(p, 0)[0].len, FN_PARSE_MAX_LINE);
    fn_parse_free(p);
    fn_parse_tpl_free(t);
    free(big);
}
END_TEST

START_TEST(index_picks_template_by_platform_and_completion)
{
    char dir[4096], *path = NULL;
    fn_parse_index_t *ix = NULL;
    char why[FN_PARSE_REASON_LEN];
    const char *src = getenv("FN_TEST_SRC");
    snprintf(dir, sizeof dir, "%s/tests/parse/templates", src ? src : ".");
    ck_assert_msg(fn_parse_index_load(dir, &ix, why, sizeof why) == 0, "%s",
                  why);
    ck_assert_int_eq(fn_parse_index_find(ix, "cisco_iosxr", "sh ver", &path),
                     0);
    ck_assert_ptr_nonnull(strstr(path, "/cisco_xr_show_version.textfsm"));
    free(path);
    ck_assert_int_eq(
        fn_parse_index_find(ix, "cisco_ios", "show ip int brief", &path), 0);
    ck_assert_ptr_nonnull(
        strstr(path, "/cisco_ios_show_ip_interface_brief.textfsm"));
    free(path);
    ck_assert_int_eq(fn_parse_index_find(ix, "cisco_ios", "s ver", &path),
                     FN_ENOTFOUND);
    ck_assert_int_eq(fn_parse_index_find(ix, "linux", "show version", &path),
                     FN_ENOTFOUND);
    ck_assert_str_eq(fn_parse_platform("cisco_iosxr"), "cisco_xr");
    ck_assert_str_eq(fn_parse_platform("acme_os"), "acme_os");
    fn_parse_index_free(ix);
    ck_assert_int_lt(fn_parse_index_load("/nonexistent", &ix, why, sizeof why),
                     0);
}
END_TEST

START_TEST(template_shared_by_sessions)
{
    fn_parse_tpl_t *t = tpl(ipbrief_tpl);
    fn_parse_t *a = NULL, *b = NULL;
    ck_assert_int_eq(fn_parse_new(t, 0, &a), 0);
    ck_assert_int_eq(fn_parse_new(t, 0, &b), 0);
    ck_assert_int_eq(fn_parse_feed(a, "Gi0 1.1.1.1 up\nGi1 ", 19), 0);
    ck_assert_int_eq(fn_parse_feed(b, "Lo0 2.2.2.2\n", 12), 0);
    ck_assert_int_eq(fn_parse_feed(a, "3.3.3.3\n", 8), 0);
    ck_assert_int_eq(fn_parse_finish(a), 0);
    ck_assert_int_eq(fn_parse_finish(b), 0);
    ck_assert_uint_eq(fn_parse_nrecords(a), 2);
    ck_assert_uint_eq(fn_parse_nrecords(b), 1);
    ck_assert_str_eq(fn_parse_record(a, 1)[1].str, "3.3.3.3");
    fn_parse_free(a);
    fn_parse_free(b);
    fn_parse_tpl_free(t);
}
END_TEST

START_TEST(references_keep_template_alive)
{
    fn_parse_tpl_t *t = tpl(ipbrief_tpl);
    ck_assert_ptr_eq(fn_parse_tpl_ref(t), t);
    ck_assert_ptr_null(fn_parse_tpl_ref(NULL));
    fn_parse_tpl_free(t); /* the loader's reference */
    fn_parse_t *p = NULL; /* the kept one still works (ASan would tell) */
    ck_assert_int_eq(fn_parse_new(t, 0, &p), 0);
    ck_assert_int_eq(fn_parse_line(p, "Gi0 1.1.1.1 up", 14), 0);
    ck_assert_int_eq(fn_parse_finish(p), 0);
    ck_assert_uint_eq(fn_parse_nrecords(p), 1);
    fn_parse_free(p);
    fn_parse_tpl_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, feed_any_chunking_same_records);
    tcase_add_test(tc, line_equals_feed);
    tcase_add_test(tc, template_errors_name_file_and_line);
    tcase_add_test(tc, catastrophic_backtracking_is_no_match);
    tcase_add_test(tc, records_past_cap_fail_efull);
    tcase_add_test(tc, error_action_drops_records_with_python_reason);
    tcase_add_test(tc, long_line_is_cut_at_cap);
    tcase_add_test(tc, index_picks_template_by_platform_and_completion);
    tcase_add_test(tc, template_shared_by_sessions);
    tcase_add_test(tc, references_keep_template_alive);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
