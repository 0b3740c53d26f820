/*
 * test_common.c — promises of fn_err.h, fn_buf.h, fn_log.h, fn_time.h
 * and fn_lines.h.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_lines.h"
#include "fn_log.h"
#include "fn_proc.h"
#include "fn_str.h"
#include "fn_time.h"
#include "fn_utf8.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fn_check.h"

START_TEST(test_fn_strerror_covers_both_ranges)
{
    ck_assert_str_eq(fn_strerror(FN_ETIMEOUT), "timed out");
    ck_assert_str_eq(fn_err_name(FN_ETIMEOUT), "FN_ETIMEOUT");
    ck_assert_str_eq(fn_err_name(-ECONNREFUSED), "ECONNREFUSED");
    ck_assert_str_eq(fn_strerror(-ECONNREFUSED), strerror(ECONNREFUSED));
    ck_assert_str_eq(fn_strerror(-999999), "unknown error");
    ck_assert_str_eq(fn_err_name(0), "FN_OK");
}
END_TEST

START_TEST(test_fn_buf_append_truncates_at_max)
{
    fn_buf_t b;
    fn_buf_init(&b, 10);
    ck_assert_int_eq(fn_buf_append_str(&b, "12345"), 0);
    ck_assert_int_eq(fn_buf_append_str(&b, "6789abc"), FN_EFULL);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_str_eq(b.data, "123456789a");
    ck_assert_int_eq(b.truncated, 1);
    ck_assert_int_eq(fn_buf_append_str(&b, "x"), FN_EFULL);
    ck_assert_uint_eq(b.len, 10);
    fn_buf_cleanup(&b);
}
END_TEST

START_TEST(test_fn_buf_printf_and_steal)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(fn_buf_printf(&b, "%d-%s", 42, big), 0);
    ck_assert_uint_eq(b.len, 3 + 599);
    size_t len;
    char *s = fn_buf_steal(&b, &len);
    ck_assert_uint_eq(len, 602);
    ck_assert(strncmp(s, "42-zz", 5) == 0);
    ck_assert_ptr_null(b.data);
    free(s);
    s = fn_buf_steal(&b, &len); /* empty buffer yields "" */
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(test_fn_buf_wipe_zeroes)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_buf_append_str(&b, "secret");
    char *p = b.data;
    fn_buf_wipe(&b);
    ck_assert_uint_eq(b.len, 0);
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(p[i], 0);
    fn_buf_cleanup(&b);
}
END_TEST

START_TEST(test_fn_time_monotonic)
{
    int64_t a = fn_time_mono_us(), b = fn_time_mono_us();
    ck_assert(b >= a);
    ck_assert(fn_time_wall_us() > 1600000000000000LL);
    char out[32];
    fn_time_format(0, out, sizeof(out));
    ck_assert_str_eq(out, "1970-01-01 00:00:00");
}
END_TEST

/* In a child, so the test runner itself stays dumpable. Exit code: 0 when
 * the process ended as promised. */
static int proc_child(const char *core_env)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (core_env)
            setenv("FLEXNET_CORE_DUMPS", core_env, 1);
        else
            unsetenv("FLEXNET_CORE_DUMPS");
        struct rlimit before;
        getrlimit(RLIMIT_CORE, &before);
        if (fn_proc_protect_secrets() < 0)
            _exit(10);
        struct rlimit after;
        getrlimit(RLIMIT_CORE, &after);
        int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        if (core_env) /* opted out: nothing changed */
            _exit(after.rlim_cur == before.rlim_cur && dumpable == 1 ? 0 : 11);
        if (after.rlim_cur != 0 || after.rlim_max != 0)
            _exit(12);
#ifndef __SANITIZE_ADDRESS__
        if (dumpable != 0)
            _exit(13);
#endif
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

START_TEST(test_fn_proc_protect_secrets)
{
    ck_assert_int_eq(proc_child(NULL), 0);
    ck_assert_int_eq(proc_child("1"), 0);
}
END_TEST

/* All lines of text as the reader returns them, joined by '|'. */
static int lines_all(const char *text, char *out, size_t cap, char *err,
                     size_t errlen)
{
    static fn_lines_t r; /* 8 KiB: off the stack */
    char *line;
    int rc;
    out[0] = '\0';
    fn_lines_init(&r, text, strlen(text), "t.conf", err, errlen);
    while ((rc = fn_lines_next(&r, &line)) == 1)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                 out[0] ? "|" : "", line);
    return rc;
}

START_TEST(test_fn_lines_comments_crlf_blanks)
{
    char out[512], err[128];
    ck_assert_int_eq(lines_all("# c\r\n ; c\n\n  a = 1  \r\n"
                               "b = x#y # note\n"
                               "c = \"q # not a comment\" # note\n"
                               "d = Cisco's # note\n\tlast",
                               out, sizeof(out), err, sizeof(err)),
                     0);
    ck_assert_str_eq(out, "a = 1|b = x#y|c = \"q # not a comment\"|"
                          "d = Cisco's|last");
}
END_TEST

START_TEST(test_fn_lines_caps_and_errors_name_file_line)
{
    char out[64], err[128];
    char *big = malloc(FN_LINES_MAX + 16);
    memset(big, 'x', FN_LINES_MAX + 1);
    memcpy(big + FN_LINES_MAX + 1, "\n", 2);
    ck_assert_int_eq(lines_all(big, out, sizeof(out), err, sizeof(err)),
                     FN_EPARSE);
    ck_assert_str_eq(err, "t.conf:1: line longer than 8192 bytes");
    memset(big, 'x', FN_LINES_MAX); /* exactly the cap, CRLF: fine */
    memcpy(big + FN_LINES_MAX, "\r\n", 3);
    ck_assert_int_eq(lines_all(big, out, sizeof(out), err, sizeof(err)), 0);
    free(big);
    fn_lines_t r;
    char *line;
    fn_lines_init(&r, "a\n\nb\0c\n", 7, "t.conf", err, sizeof(err));
    ck_assert_int_eq(fn_lines_next(&r, &line), 1);
    ck_assert_int_eq(fn_lines_next(&r, &line), FN_EPARSE);
    ck_assert_str_eq(err, "t.conf:3: NUL byte in line");
}
END_TEST

START_TEST(test_fn_lines_values_words_pairs)
{
    char err[128];
    fn_lines_t r;
    fn_lines_init(&r, "", 0, "p", err, sizeof(err));
    char v1[] = "\"a\\tb \\\"c\\\" \\x41\"  ";
    ck_assert_int_eq(fn_lines_value(&r, v1), 0);
    ck_assert_str_eq(v1, "a\tb \"c\" A");
    char v2[] = "'lit\\n'";
    ck_assert_int_eq(fn_lines_value(&r, v2), 0);
    ck_assert_str_eq(v2, "lit\\n");
    char v3[] = "\"open";
    ck_assert_int_eq(fn_lines_value(&r, v3), FN_EPARSE);
    ck_assert(strstr(err, "unterminated"));
    char v4[] = "\"x\" y";
    ck_assert_int_eq(fn_lines_value(&r, v4), FN_EPARSE);
    char v5[] = "\"\\q\"";
    ck_assert_int_eq(fn_lines_value(&r, v5), FN_EPARSE);
    char line[] = "host  k=\"a b\" 'c d'=e x=y=z";
    char *s = line, *w;
    const char *want[] = {"host", "k=a b", "c d=e", "x=y=z"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(fn_lines_word(&r, &s, &w), 1);
        ck_assert_str_eq(w, want[i]);
    }
    ck_assert_int_eq(fn_lines_word(&r, &s, &w), 0);
    char kv[] = " key  =  \"v w\" ", *k, *v;
    ck_assert_int_eq(fn_lines_pair(&r, kv, &k, &v), 0);
    ck_assert_str_eq(k, "key");
    ck_assert_str_eq(v, "v w");
    char nokey[] = " = v";
    ck_assert_int_eq(fn_lines_pair(&r, nokey, &k, &v), FN_EPARSE);
}
END_TEST

static char *sanitized(const char *in, size_t len)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    ck_assert_int_eq(fn_utf8_sanitize(in, len, &b), 0);
    return fn_buf_steal(&b, NULL);
}

START_TEST(test_fn_utf8_sanitize_replaces_each_bad_byte)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},           /* valid: unchanged */
        {"caf\xe9!", "caf\xef\xbf\xbd!"},         /* Latin-1 */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
        {"\xed\xa0\x80",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
        {"\xf4\x90\x80\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                              "\xef\xbf\xbdx"},   /* > U+10FFFF */
        {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"}, /* cut short */
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* 4 bytes */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = sanitized(cases[i].in, strlen(cases[i].in));
        ck_assert_str_eq(got, cases[i].out);
        ck_assert(fn_utf8_valid(got, strlen(got)));
        ck_assert_int_eq(fn_utf8_valid(cases[i].in, strlen(cases[i].in)),
                         strcmp(cases[i].in, cases[i].out) == 0);
        free(got);
    }
    /* random bytes always come out valid */
    unsigned char buf[512];
    srand(7);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (unsigned char)rand();
        char *got = sanitized((const char *)buf, sizeof(buf));
        ck_assert(fn_utf8_valid(got, strlen(got)));
        free(got);
    }
}
END_TEST

START_TEST(test_fn_utf8_base64)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_utf8_base64("Z\xfcrich", 6, &b);
    ck_assert_str_eq(b.data, "WvxyaWNo");
    fn_buf_reset(&b);
    fn_utf8_base64("ab", 2, &b);
    ck_assert_str_eq(b.data, "YWI=");
    fn_buf_reset(&b);
    fn_utf8_base64("", 0, &b);
    ck_assert_str_eq(b.data, "");
    fn_buf_cleanup(&b);
}
END_TEST

START_TEST(test_fn_str_closest_suggests_typos_only)
{
    const char *names[] = {"host", "hosts-file", "command", "cisco_ios",
                           "cisco_iosxr"};
    ck_assert_str_eq(fn_str_closest("hots", names, 5), "host");
    ck_assert_str_eq(fn_str_closest("comand", names, 5), "command");
    ck_assert_str_eq(fn_str_closest("cisco_iox", names, 5), "cisco_ios");
    ck_assert_ptr_null(fn_str_closest("zz", names, 5));
    ck_assert_ptr_null(fn_str_closest("backup", names, 5));
    ck_assert_uint_eq(fn_str_distance("abc", "acb", 9), 1);
    ck_assert_uint_eq(fn_str_distance("", "abc", 9), 3);
}
END_TEST

/* One line of fn_log in the given format, read back. */
static void log_line(int format, const fn_log_ctx_t *ctx, const char *msg,
                     char *out, size_t outlen)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fn_log_configure(FN_LOG_INFO, 0, f);
    fn_log_set_format(format);
    fn_log(FN_LOG_WARN, ctx, "%s", msg);
    fn_log_set_format(FN_LOG_TEXT);
    fn_log_configure(FN_LOG_WARN, 0, NULL);
    rewind(f);
    ck_assert_ptr_nonnull(fgets(out, (int)outlen, f));
    ck_assert_int_eq(fgetc(f), EOF); /* exactly one line */
    fclose(f);
}

START_TEST(test_fn_log_json_one_object_a_line)
{
    char line[8192];
    fn_log_ctx_t ctx = {"0123456789abcdef", "r1", FN_LOGC_CORE};
    log_line(FN_LOG_JSON, &ctx, "say \"hi\"\\ \n\tbye", line, sizeof(line));
    ck_assert_msg(strncmp(line, "{\"time\":\"", 9) == 0, "%s", line);
    ck_assert_ptr_nonnull(strstr(line, "Z\",\"level\":\"warn\","));
    ck_assert_ptr_nonnull(strstr(line, ",\"task\":\"0123456789abcdef\""));
    ck_assert_ptr_nonnull(strstr(line, ",\"host\":\"r1\""));
    ck_assert_ptr_nonnull(
        strstr(line, ",\"msg\":\"say \\\"hi\\\"\\\\ \\u000a\\u0009bye\"}\n"));
    /* device bytes that are not UTF-8: U+FFFD, the line stays valid */
    log_line(FN_LOG_JSON, &ctx, "caf\xe9 \xc3\xa9", line, sizeof(line));
    ck_assert_ptr_nonnull(
        strstr(line, "\"msg\":\"caf\xef\xbf\xbd \xc3\xa9\"}"));
    ck_assert(fn_utf8_valid(line, strlen(line)));
    /* no context: no task or host keys */
    log_line(FN_LOG_JSON, NULL, "plain", line, sizeof(line));
    ck_assert_ptr_null(strstr(line, "\"task\""));
    ck_assert_ptr_null(strstr(line, "\"host\""));
    /* a message at fn_log's cap, all escapes: still one closed object */
    char big[1100];
    memset(big, '"', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_line(FN_LOG_JSON, &ctx, big, line, sizeof(line));
    size_t n = strlen(line);
    ck_assert(n > 2 && strcmp(line + n - 3, "\"}\n") == 0);
    ck_assert_int_eq(fn_log_format_parse("json"), FN_LOG_JSON);
    ck_assert_int_eq(fn_log_format_parse("text"), FN_LOG_TEXT);
    ck_assert_int_eq(fn_log_format_parse("xml"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("common");
    tcase_add_test(tc, test_fn_strerror_covers_both_ranges);
    tcase_add_test(tc, test_fn_buf_append_truncates_at_max);
    tcase_add_test(tc, test_fn_buf_printf_and_steal);
    tcase_add_test(tc, test_fn_buf_wipe_zeroes);
    tcase_add_test(tc, test_fn_time_monotonic);
    tcase_add_test(tc, test_fn_proc_protect_secrets);
    tcase_add_test(tc, test_fn_lines_comments_crlf_blanks);
    tcase_add_test(tc, test_fn_lines_caps_and_errors_name_file_line);
    tcase_add_test(tc, test_fn_lines_values_words_pairs);
    tcase_add_test(tc, test_fn_utf8_sanitize_replaces_each_bad_byte);
    tcase_add_test(tc, test_fn_utf8_base64);
    tcase_add_test(tc, test_fn_str_closest_suggests_typos_only);
    tcase_add_test(tc, test_fn_log_json_one_object_a_line);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
