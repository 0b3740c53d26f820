/*
 * test_vendors.c — promises of fn_matcher.h over every vendor's samples:
 * exact stdout/stderr/exit_code/keyword, chunking independence (1-byte
 * chunks and every two-chunk split give the one-chunk result), base
 * prompt learning, prompt-like text in output, pagers in a 10,000-line
 * output, a 50 MB output in constant memory, long lines.
 *
 * Profile files (parse errors, overrides, print/parse round trip) are in
 * test_vendors_profiles.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_matcher.h"
#include "fn_vendor.h"
#include "test_vendors_samples.h"
#include "fn_check.h"

#define FEED(m, s) fn_matcher_feed((m), (s), strlen(s))

static fn_vendors_t *vs;

static void setup(void)
{
    char err[256];
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, err, sizeof(err)), 0);
}

static void teardown(void)
{
    fn_vendors_free(vs);
    vs = NULL;
}

/* A result copied out of the matcher, to compare runs. */
typedef struct run {
    int exit_code, mode, events, prompt_last;
    char *out, *err, *base;
    const char *keyword;
} run_t;

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
    free(r->base);
}

/* Feeds (s, n) in chunks: whole (step 0), step bytes each, or two chunks
 * split at `split` (step SIZE_MAX). Returns the OR of events; *last gets
 * the events of the last call. A prompt with bytes still to come was a
 * line of output cut by the chunking: resume, as the engine does when
 * more arrives within its settle time. */
static int feed(fn_matcher_t *m, const char *s, size_t n, size_t step,
                size_t split, int *last)
{
    int all = 0;
    *last = 0;
    size_t i = 0;
    while (i < n || (n == 0 && i == 0)) {
        size_t k = step == 0          ? n
                   : step == SIZE_MAX ? (i == 0 ? split : n - i)
                                      : step;
        if (k > n - i)
            k = n - i;
        *last = fn_matcher_feed(m, s + i, k);
        all |= *last;
        i += k;
        if ((*last & FN_MATCH_PROMPT) && i < n)
            fn_matcher_resume(m);
        if (n == 0)
            break;
    }
    return all;
}

/* Runs one sample: login with (lstep, lsplit), command with (step, split). */
static run_t run_sample(const vendor_sample_t *s, size_t lstep, size_t lsplit,
                        size_t step, size_t split)
{
    const fn_vendor_t *v = fn_vendors_find(vs, s->vendor);
    ck_assert_msg(v != NULL, "%s: no profile %s", s->name, s->vendor);
    fn_matcher_t *m;
    ck_assert_int_eq(fn_matcher_new(&m, v, 0), 0);
    int last;
    int ev = feed(m, s->login, strlen(s->login), lstep, lsplit, &last);
    ck_assert_msg(ev & FN_MATCH_PROMPT, "%s: login prompt not seen", s->name);
    ck_assert_int_eq(fn_matcher_begin(m, s->command), 0);
    run_t r = {0};
    r.events = feed(m, s->output, strlen(s->output), step, split, &last);
    r.prompt_last = (last & FN_MATCH_PROMPT) != 0;
    fn_match_result_t res;
    ck_assert_int_eq(fn_matcher_finish(m, &res), 0);
    ck_assert_uint_eq(strlen(res.out), res.out_len);
    ck_assert_uint_eq(strlen(res.err), res.err_len);
    r.exit_code = res.exit_code;
    r.mode = res.mode;
    r.keyword = res.keyword;
    r.out = strdup(res.out);
    r.err = strdup(res.err);
    r.base = strdup(fn_matcher_base_prompt(m));
    fn_matcher_free(m);
    return r;
}

static void run_eq(const run_t *a, const run_t *b, const char *what,
                   const char *name, size_t at)
{
    ck_assert_msg(a->exit_code == b->exit_code && a->mode == b->mode &&
                      strcmp(a->out, b->out) == 0 &&
                      strcmp(a->err, b->err) == 0 &&
                      strcmp(a->base, b->base) == 0 &&
                      ((!a->keyword && !b->keyword) ||
                       (a->keyword && b->keyword &&
                        strcmp(a->keyword, b->keyword) == 0)) &&
                      (b->events & FN_MATCH_PROMPT),
                  "%s: %s at %zu differs: out [%s] vs [%s], err [%s] vs [%s]",
                  name, what, at, a->out, b->out, a->err, b->err);
}

START_TEST(test_fn_matcher_samples_exact)
{
    const vendor_sample_t *s = &vendor_samples[_i];
    run_t r = run_sample(s, 0, 0, 0, 0);
    ck_assert_msg(strcmp(r.out, s->out) == 0, "%s: stdout [%s], want [%s]",
                  s->name, r.out, s->out);
    ck_assert_msg(strcmp(r.err, s->err) == 0, "%s: stderr [%s], want [%s]",
                  s->name, r.err, s->err);
    ck_assert_msg(r.exit_code == s->exit_code, "%s: exit %d", s->name,
                  r.exit_code);
    if (s->keyword)
        ck_assert_msg(r.keyword && strcmp(r.keyword, s->keyword) == 0,
                      "%s: keyword %s", s->name, r.keyword);
    else
        ck_assert_ptr_null(r.keyword);
    ck_assert_msg(r.mode == s->mode, "%s: mode %d", s->name, r.mode);
    ck_assert_str_eq(r.base, s->base);
    ck_assert(r.prompt_last);
    run_free(&r);
}
END_TEST

START_TEST(test_fn_matcher_feed_bytewise_equals_one_chunk)
{
    const vendor_sample_t *s = &vendor_samples[_i];
    run_t whole = run_sample(s, 0, 0, 0, 0);
    run_t bytes = run_sample(s, 1, 0, 1, 0);
    run_eq(&whole, &bytes, "1-byte feed", s->name, 1);
    run_free(&bytes);
    for (size_t step = 2; step < 8; step++) {
        run_t r = run_sample(s, step, 0, step, 0);
        run_eq(&whole, &r, "n-byte feed", s->name, step);
        run_free(&r);
    }
    run_free(&whole);
}
END_TEST

/* Every keyword, escape sequence, pager and echo of the sample split in
 * two at every possible point, in the command output and in the login. */
START_TEST(test_fn_matcher_feed_split_everywhere)
{
    const vendor_sample_t *s = &vendor_samples[_i];
    run_t whole = run_sample(s, 0, 0, 0, 0);
    for (size_t k = 1; k < strlen(s->output); k++) {
        run_t r = run_sample(s, 0, 0, SIZE_MAX, k);
        run_eq(&whole, &r, "output split", s->name, k);
        run_free(&r);
    }
    for (size_t k = 1; k < strlen(s->login); k++) {
        run_t r = run_sample(s, SIZE_MAX, k, 0, 0);
        run_eq(&whole, &r, "login split", s->name, k);
        run_free(&r);
    }
    run_free(&whole);
}
END_TEST

/* The error keywords the devices print are in the built-in tables,
 * verbatim. */
START_TEST(test_fn_vendor_builtin_keywords)
{
    static const struct {
        const char *vendor, *kw;
    } want[] = {
        {"cisco_ios", "% Invalid input detected"},
        {"cisco_ios", "% Incomplete command"},
        {"cisco_ios", "% Ambiguous command"},
        {"cisco_ios", "% Unknown command"},
        {"cisco_ios", "% Bad IP address"},
        {"cisco_ios", "Command authorization failed"},
        {"cisco_nxos", "% Invalid command at"},
        {"cisco_nxos", "% Invalid parameter"},
        {"cisco_nxos", "% Invalid number at"},
        {"cisco_nxos", "Syntax error"},
        {"cisco_iosxr", "% This command is not authorized"},
        {"cisco_iosxr", "Failed to commit"},
        {"juniper_junos", "unknown command"},
        {"juniper_junos", "syntax error"},
        {"juniper_junos", "is ambiguous"},
        {"juniper_junos", "missing mandatory argument"},
        {"juniper_junos", "invalid numeric value"},
        {"juniper_junos", "No valid completions"},
        {"juniper_junos", "error:"},
        {"arista_eos", "% Invalid input"},
        {"arista_eos", "% Error"},
        {"arista_eos", "% Cannot commit"},
        {"arista_eos", "% Unavailable command"},
        {"arista_eos", "% Duplicate sequence number"},
        {"huawei_vrp", "Error:"},
        {"huawei_vrp", "%"},
        {"mikrotik_routeros", "bad command name"},
        {"mikrotik_routeros", "syntax error"},
        {"mikrotik_routeros", "expected end of command"},
        {"mikrotik_routeros", "failure:"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const fn_vendor_t *v = fn_vendors_find(vs, want[i].vendor);
        ck_assert_ptr_nonnull(v);
        size_t j = 0;
        while (j < fn_vendor_error_count(v) &&
               strcmp(fn_vendor_error_at(v, j), want[i].kw) != 0)
            j++;
        ck_assert_msg(j < fn_vendor_error_count(v), "%s lacks '%s'",
                      want[i].vendor, want[i].kw);
    }
    const fn_vendor_t *j = fn_vendors_find(vs, "juniper_junos");
    size_t n = fn_vendor_error_count(j);
    ck_assert_str_eq(fn_vendor_error_at(j, n - 1), "error:");
    ck_assert(fn_vendor_error_anchored(j, n - 1));
    ck_assert(!fn_vendor_error_anchored(j, 0));
    ck_assert(fn_vendor_caret_error(fn_vendors_find(vs, "cisco_ios")));
    ck_assert(fn_vendor_caret_error(fn_vendors_find(vs, "huawei_vrp")));
}
END_TEST

START_TEST(test_fn_vendor_builtin_commands)
{
    static const char *const names[] = {
        "cisco_ios",  "cisco_nxos", "cisco_iosxr",       "juniper_junos",
        "arista_eos", "huawei_vrp", "mikrotik_routeros", "linux"};
    ck_assert_uint_eq(fn_vendors_count(vs), 8);
    for (size_t i = 0; i < 8; i++) {
        const fn_vendor_t *v = fn_vendors_find(vs, names[i]);
        ck_assert_ptr_nonnull(v);
        ck_assert_ptr_eq(fn_vendors_at(vs, i), v);
        ck_assert_str_eq(fn_vendor_source(v), "builtin");
        ck_assert_ptr_nonnull(fn_vendor_description(v));
    }
    ck_assert_ptr_null(fn_vendors_find(vs, "nokia_sros"));
    ck_assert_ptr_null(fn_vendors_at(vs, 8));
    const fn_vendor_t *ios = fn_vendors_find(vs, "cisco_ios");
    ck_assert_uint_eq(fn_vendor_setup_count(ios), 2);
    ck_assert_str_eq(fn_vendor_setup_at(ios, 0), "terminal length 0");
    ck_assert_str_eq(fn_vendor_setup_at(ios, 1), "terminal width 511");
    ck_assert_ptr_null(fn_vendor_setup_at(ios, 2));
    ck_assert_str_eq(fn_vendor_enable_command(ios), "enable");
    ck_assert_str_eq(fn_vendor_config_enter(ios), "configure terminal");
    ck_assert_str_eq(fn_vendor_config_leave(ios), "end");
    ck_assert_ptr_null(fn_vendor_config_commit(ios));
    ck_assert_str_eq(fn_vendor_backup_command(ios), "show running-config");
    ck_assert_str_eq(fn_vendor_pager_answer(ios), " ");
    const fn_vendor_t *j = fn_vendors_find(vs, "juniper_junos");
    ck_assert_str_eq(fn_vendor_backup_command(j),
                     "show configuration | display set");
    ck_assert_str_eq(fn_vendor_config_commit(j), "commit");
    ck_assert_uint_eq(fn_vendor_setup_count(j), 3);
    const fn_vendor_t *vrp = fn_vendors_find(vs, "huawei_vrp");
    ck_assert_str_eq(fn_vendor_enable_command(vrp), "super");
    ck_assert_str_eq(fn_vendor_config_enter(vrp), "system-view");
    ck_assert_str_eq(fn_vendor_config_leave(vrp), "return");
    ck_assert_str_eq(fn_vendor_setup_at(vrp, 0), "screen-length 0 temporary");
    const fn_vendor_t *ros = fn_vendors_find(vs, "mikrotik_routeros");
    ck_assert_str_eq(fn_vendor_username_suffix(ros), "+cte511w");
    ck_assert_uint_eq(fn_vendor_pager_count(ros), 1);
    ck_assert_ptr_null(
        fn_vendor_enable_command(fn_vendors_find(vs, "cisco_nxos")));
    ck_assert_ptr_null(fn_vendor_username_suffix(ios));
    ck_assert_str_eq(fn_vendor_prompt_at(ios, FN_VENDOR_MODE_CONFIG, 0),
                     "{base}(*)#");
    ck_assert_uint_eq(fn_vendor_prompt_count(ios, FN_VENDOR_MODE_UNKNOWN), 0);
}
END_TEST

/* ---- prompts ---------------------------------------------------------- */

static fn_matcher_t *login(const char *vendor, const char *text, int *ev)
{
    fn_matcher_t *m;
    ck_assert_int_eq(fn_matcher_new(&m, fn_vendors_find(vs, vendor), 0), 0);
    *ev = fn_matcher_feed(m, text, strlen(text));
    return m;
}

START_TEST(test_fn_matcher_learns_base_prompt)
{
    static const struct {
        const char *vendor, *prompt, *base;
        int mode;
    } c[] = {
        {"cisco_ios", "\r\nrouter1>", "router1", FN_VENDOR_MODE_USER},
        {"cisco_ios", "router1#", "router1", FN_VENDOR_MODE_PRIV},
        {"cisco_nxos", "sw-core.lab# ", "sw-core.lab", FN_VENDOR_MODE_PRIV},
        {"cisco_iosxr", "RP/0/RSP0/CPU0:router1#", "router1",
         FN_VENDOR_MODE_PRIV},
        {"juniper_junos", "admin@r1> ", "admin@r1", FN_VENDOR_MODE_USER},
        {"arista_eos", "sw1>", "sw1", FN_VENDOR_MODE_USER},
        {"huawei_vrp", "<r1>", "r1", FN_VENDOR_MODE_USER},
        {"mikrotik_routeros", "[admin@r1] > ", "admin@r1", FN_VENDOR_MODE_USER},
        {"linux", "root@h1:~# ", "root@h1", FN_VENDOR_MODE_PRIV},
        {"linux", "[u@h1 ~]$ ", "u@h1", FN_VENDOR_MODE_USER},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int ev;
        fn_matcher_t *m = login(c[i].vendor, c[i].prompt, &ev);
        ck_assert_msg(ev & FN_MATCH_PROMPT, "%s", c[i].prompt);
        ck_assert_str_eq(fn_matcher_base_prompt(m), c[i].base);
        ck_assert_int_eq(fn_matcher_mode(m), c[i].mode);
        fn_matcher_free(m);
    }
}
END_TEST

/* fn_matcher_resume: a line of output that read like the prompt, cut by
 * a chunk boundary, goes back into the output; the mode before it comes
 * back; the real prompt still ends the command. */
START_TEST(test_fn_matcher_resume_after_false_prompt)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "router1#", &ev);
    ck_assert(ev & FN_MATCH_PROMPT);
    fn_matcher_begin(m, "show banner");
    static const char part1[] = "show banner\r\nhello\r\nrouter1>";
    ev = fn_matcher_feed(m, part1, strlen(part1));
    ck_assert(ev & FN_MATCH_PROMPT); /* the user-mode shape, mid-output */
    ck_assert_int_eq(fn_matcher_mode(m), FN_VENDOR_MODE_USER);
    ck_assert_int_eq(fn_matcher_resume(m), 0);
    ck_assert_int_eq(fn_matcher_mode(m), FN_VENDOR_MODE_PRIV);
    static const char part2[] = "\r\nbye\r\nrouter1#";
    ev = fn_matcher_feed(m, part2, strlen(part2));
    ck_assert(ev & FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.out, "hello\nrouter1>\nbye\n");
    ck_assert_int_eq(r.exit_code, 0);
    fn_matcher_free(m);
}
END_TEST

/* After learning, only the base prompt + mode shapes end a command. */
START_TEST(test_fn_matcher_prompt_only_from_base)
{
    static const struct {
        const char *vendor, *login, *tail;
        int prompt, mode;
    } c[] = {
        {"cisco_ios", "router1>", "router1(config-if)#", 1,
         FN_VENDOR_MODE_CONFIG},
        {"cisco_ios", "router1>", "router2#", 0, 0},
        {"cisco_ios", "router1>", "#", 0, 0},
        {"cisco_ios", "router1>", "interface #", 0, 0},
        {"cisco_ios", "router1>", "router1#", 1, FN_VENDOR_MODE_PRIV},
        {"cisco_iosxr", "RP/0/RSP0/CPU0:router1#",
         "RP/0/RSP0/CPU0:router1(config-if)#", 1, FN_VENDOR_MODE_CONFIG},
        {"huawei_vrp", "<r1>", "[V200R009C00SPC500]", 0, 0},
        {"huawei_vrp", "<r1>", "[~r1-GigabitEthernet0/0/1]", 1,
         FN_VENDOR_MODE_CONFIG},
        {"huawei_vrp", "<r1>", "[*r1]", 1, FN_VENDOR_MODE_CONFIG},
        {"huawei_vrp", "<r1>", "<r10>", 0, 0},
        {"juniper_junos", "admin@r1> ", "admin@r1# ", 1, FN_VENDOR_MODE_CONFIG},
        {"juniper_junos", "admin@r1> ", "root@r1> ", 0, 0},
        {"mikrotik_routeros", "[admin@r1] > ", "[admin@r1] /ip address> ", 1,
         FN_VENDOR_MODE_USER},
        {"linux", "u@h1:~$ ", "# ", 0, 0},
        {"linux", "u@h1:~$ ", "u@h1:/tmp$ ", 1, FN_VENDOR_MODE_USER},
        {"linux", "u@h1:~$ ", "u@h1:/tmp$", 0, 0},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int ev;
        fn_matcher_t *m = login(c[i].vendor, c[i].login, &ev);
        ck_assert(ev & FN_MATCH_PROMPT);
        fn_matcher_begin(m, "x");
        ev = FEED(m, "x\r\n");
        ck_assert_int_eq(ev, 0);
        ev = fn_matcher_feed(m, c[i].tail, strlen(c[i].tail));
        ck_assert_msg(!!(ev & FN_MATCH_PROMPT) == c[i].prompt, "%s after %s",
                      c[i].tail, c[i].login);
        if (c[i].prompt)
            ck_assert_int_eq(fn_matcher_mode(m), c[i].mode);
        fn_matcher_free(m);
    }
}
END_TEST

/* Huawei's version line at the end of a chunk during login is no prompt:
 * config-mode shapes are not used to learn from. */
START_TEST(test_fn_matcher_login_ignores_version_brackets)
{
    int ev;
    fn_matcher_t *m = login("huawei_vrp", "Huawei\r\n[V200R009C00SPC500]", &ev);
    ck_assert_int_eq(ev & FN_MATCH_PROMPT, 0);
    ev = FEED(m, "\r\n<r1>");
    ck_assert(ev & FN_MATCH_PROMPT);
    ck_assert_str_eq(fn_matcher_base_prompt(m), "r1");
    fn_matcher_free(m);
}
END_TEST

/* The prompt must be the trailing line of the chunk. */
START_TEST(test_fn_matcher_prompt_then_bytes_is_output)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "router1#", &ev);
    fn_matcher_begin(m, "show clock");
    ev = FEED(m, "show clock\r\n12:00\r\nrouter1#junk");
    ck_assert_int_eq(ev & FN_MATCH_PROMPT, 0);
    ev = FEED(m, "\r\nrouter1#");
    ck_assert(ev & FN_MATCH_PROMPT);
    /* after the prompt, bytes are ignored until begin */
    ck_assert_int_eq(FEED(m, "% Invalid input detected\r\n"), 0);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.out, "12:00\nrouter1#junk\n");
    ck_assert_int_eq(r.exit_code, 0);
    fn_matcher_free(m);
}
END_TEST

START_TEST(test_fn_matcher_password_and_pager_events)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "router1>", &ev);
    fn_matcher_begin(m, "enable");
    ev = FEED(m, "enable\r\nPassword: ");
    ck_assert_int_eq(ev, FN_MATCH_PASSWORD);
    ck_assert_int_eq(fn_matcher_feed(m, "", 0), 0); /* fires once */
    ev = FEED(m, "\r\nrouter1#");
    ck_assert_int_eq(ev, FN_MATCH_PROMPT);
    ck_assert_int_eq(fn_matcher_mode(m), FN_VENDOR_MODE_PRIV);
    fn_matcher_begin(m, "show run");
    ev = FEED(m, "show run\r\na\r\n --More-- ");
    ck_assert_int_eq(ev, FN_MATCH_PAGER);
    ck_assert_str_eq(fn_matcher_pager_answer(m), " ");
    ck_assert_int_eq(fn_matcher_feed(m, "", 0), 0);
    ev = FEED(m, "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b"
                 "b\r\n --More-- ");
    ck_assert_int_eq(ev, FN_MATCH_PAGER); /* a second pager fires again */
    ev = FEED(m, "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b"
                 "c\r\nrouter1#");
    ck_assert_int_eq(ev, FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.out, "a\nb\nc\n");
    fn_matcher_free(m);
}
END_TEST

/* Terminal edits are applied the way a screen shows them. */
START_TEST(test_fn_matcher_terminal_edits)
{
    static const struct {
        const char *raw, *out;
        size_t len; /* 0: strlen(raw) */
    } c[] = {
        {"abc\b\bX\r\n", "aXc\n", 0},
        {"hello\rJ\r\n", "Jello\n", 0},
        {"abc\x1b[2DX\r\n", "aXc\n", 0},
        {"abcdef\x1b[3D\x1b[K\r\n", "abc\n", 0},
        {"x\x1b[3Cy\r\n", "x   y\n", 0},
        {"abc\x1b[1GZ\r\n", "Zbc\n", 0},
        {"\x1b]0;title\x07t\x1b]2;t2\x1b\\x\r\n", "tx\n", 0},
        {"\x1b[1;31mred\x1b[0m \x1b(Bok\x1b=\r\n", "red ok\n", 0},
        {"a\x07\x00"
         "b\x7f\r\r\n",
         "ab\n", 8},
        {"\b\b\x1b[9Dleft\r\n", "left\n", 0},
        {"tab\there\r\n", "tab\there\n", 0},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int ev;
        fn_matcher_t *m = login("cisco_ios", "r1#", &ev);
        fn_matcher_begin(m, "show x");
        FEED(m, "show x\r\n");
        fn_matcher_feed(m, c[i].raw, c[i].len ? c[i].len : strlen(c[i].raw));
        ck_assert_int_eq(FEED(m, "r1#"), FN_MATCH_PROMPT);
        fn_match_result_t r;
        fn_matcher_finish(m, &r);
        ck_assert_msg(strcmp(r.out, c[i].out) == 0, "case %zu: [%s]", i, r.out);
        fn_matcher_free(m);
    }
}
END_TEST

/* A prompt of each built-in profile, in registry order. */
static const char *const builtin_prompts[] = {
    "r1#", "r1#",  "RP/0/RSP0/CPU0:r1#", "a@r1> ",
    "r1#", "<r1>", "[a@r1] > ",          "u@h:~$ "};

/* Runs one output line through a fresh command; returns exit_code and
 * copies the keyword (or "") into kw. */
static int one_line(fn_matcher_t *m, const char *prompt, const char *line,
                    char *kw, size_t kwlen)
{
    fn_matcher_begin(m, "show x");
    FEED(m, "show x\r\n");
    FEED(m, line);
    FEED(m, "\r\n");
    ck_assert(FEED(m, prompt) & FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    snprintf(kw, kwlen, "%s", r.keyword ? r.keyword : "");
    return r.exit_code;
}

/* Every keyword of every profile, at every offset 0..40 of lines of many
 * lengths, after fillers made of its own prefixes (failure links): found
 * where it may be (anywhere, or at line start when anchored), not
 * elsewhere. Exercises the automaton's 16-byte skip at every alignment. */
START_TEST(test_fn_matcher_keywords_anywhere)
{
    const fn_vendor_t *v = fn_vendors_at(vs, (size_t)_i);
    const char *prompt = builtin_prompts[_i];
    int ev;
    fn_matcher_t *m;
    ck_assert_int_eq(fn_matcher_new(&m, v, 0), 0);
    ev = FEED(m, prompt);
    ck_assert(ev & FN_MATCH_PROMPT);
    char line[256], kw[128];
    for (size_t k = 0; k < fn_vendor_error_count(v); k++) {
        const char *w = fn_vendor_error_at(v, k);
        size_t wn = strlen(w);
        int anchored = fn_vendor_error_anchored(v, k);
        for (size_t at = 0; at <= 40; at++) {
            for (size_t tail = 0; tail < 20; tail += 7) {
                /* filler: 'x', and the keyword's own head when it fits */
                memset(line, 'x', at);
                if (wn > 1 && at >= wn - 1 && at % 2)
                    memcpy(line + at - (wn - 1), w, wn - 1);
                memcpy(line + at, w, wn);
                memset(line + at + wn, 'y', tail);
                line[at + wn + tail] = '\0';
                int rc = one_line(m, prompt, line, kw, sizeof(kw));
                if (!anchored || at == 0) {
                    ck_assert_msg(rc == 1 && strstr(line, kw),
                                  "%s: '%s' not found in [%s]",
                                  fn_vendor_name(v), w, line);
                } else if (rc == 1) {
                    /* anchored: only another keyword may match */
                    ck_assert_msg(strcmp(kw, w) != 0 && strstr(line, kw),
                                  "%s: anchored '%s' matched in [%s]",
                                  fn_vendor_name(v), w, line);
                }
            }
        }
    }
    ck_assert_int_eq(one_line(m, prompt, "all fine here", kw, sizeof(kw)), 0);
    fn_matcher_free(m);
}
END_TEST

/* A keyword cut by the line tail's capacity (the line goes out in
 * pieces) at every point is still found. */
START_TEST(test_fn_matcher_keyword_across_line_tail)
{
    const fn_vendor_t *v = fn_vendors_at(vs, (size_t)_i);
    int ev;
    fn_matcher_t *m;
    ck_assert_int_eq(fn_matcher_new(&m, v, 0), 0);
    ev = FEED(m, builtin_prompts[_i]);
    ck_assert(ev & FN_MATCH_PROMPT);
    char line[FN_MATCHER_LINE_MAX + 128], kw[128];
    for (size_t k = 0; k < fn_vendor_error_count(v); k++) {
        const char *w = fn_vendor_error_at(v, k);
        size_t wn = strlen(w);
        if (fn_vendor_error_anchored(v, k))
            continue;
        for (size_t cut = 1; cut < wn; cut++) {
            size_t at = FN_MATCHER_LINE_MAX - cut;
            memset(line, 'x', at);
            memcpy(line + at, w, wn);
            memcpy(line + at + wn, "yy", 3);
            ck_assert_msg(
                one_line(m, builtin_prompts[_i], line, kw, sizeof(kw)) == 1,
                "%s: '%s' cut after %zu bytes not found", fn_vendor_name(v), w,
                cut);
        }
    }
    fn_matcher_free(m);
}
END_TEST

/* Enter alone: the device echoes an empty line, then the prompt. */
START_TEST(test_fn_matcher_empty_command)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "r1#", &ev);
    fn_matcher_begin(m, "");
    ck_assert_int_eq(FEED(m, "\r\nr1#"), FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    fn_matcher_free(m);
}
END_TEST

/* ---- big outputs ------------------------------------------------------ */

static const struct pager_style {
    const char *vendor, *login, *pager, *erase, *prompt;
} pager_styles[] = {
    {"cisco_ios", "r1#", " --More-- ",
     "\b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b", "r1#"},
    {"cisco_nxos", "r1# ", "\x1b[7m--More--\x1b[m", "\r\x1b[K", "r1# "},
    {"juniper_junos", "a@r1> ", "---(more 50%)---",
     "\r                                        \r", "a@r1> "},
    {"huawei_vrp", "<r1>", "  ---- More ----",
     "\x1b[42D                                          \x1b[42D", "<r1>"},
};

/* Line i of a big output: config-like, some indented. */
static int big_line(char *buf, size_t n, size_t i)
{
    return snprintf(buf, n, "%s line %05zu ip address 10.%zu.%zu.1\r\n",
                    i % 3 ? " " : "interface", i, i / 256 % 256, i % 256);
}

START_TEST(test_fn_matcher_pager_in_10000_lines)
{
    const struct pager_style *ps = &pager_styles[_i];
    int ev;
    fn_matcher_t *m = login(ps->vendor, ps->login, &ev);
    ck_assert(ev & FN_MATCH_PROMPT);
    fn_buf_t want, head, tail;
    fn_buf_init(&want, 0);
    fn_buf_init(&head, 0);
    fn_buf_init(&tail, 0);
    fn_buf_append_str(&head, "show running-config\r\n");
    char line[128];
    for (size_t i = 0; i < 10000; i++) {
        int n = big_line(line, sizeof(line), i);
        fn_buf_t *b = i < 5000 ? &head : &tail;
        fn_buf_append(b, line, (size_t)n);
        fn_buf_append(&want, line, (size_t)n - 2);
        fn_buf_append(&want, "\n", 1);
    }
    fn_buf_append_str(&head, ps->pager);
    fn_buf_append_str(&tail, ps->prompt);
    fn_matcher_begin(m, "show running-config");
    ev = fn_matcher_feed(m, head.data, head.len);
    ck_assert_int_eq(ev, FN_MATCH_PAGER);
    ck_assert_int_eq(fn_matcher_feed(m, ps->erase, strlen(ps->erase)), 0);
    ck_assert_int_eq(fn_matcher_feed(m, tail.data, tail.len), FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_uint_eq(r.out_len, want.len);
    ck_assert(memcmp(r.out, want.data, want.len) == 0);
    ck_assert_int_eq(r.exit_code, 0);
    /* the same bytes in 1-byte chunks */
    fn_matcher_begin(m, "show running-config");
    int all = 0;
    for (size_t i = 0; i < head.len; i++)
        all |= fn_matcher_feed(m, head.data + i, 1);
    for (const char *p = ps->erase; *p; p++)
        all |= fn_matcher_feed(m, p, 1);
    for (size_t i = 0; i < tail.len; i++)
        all |= fn_matcher_feed(m, tail.data + i, 1);
    ck_assert(all & FN_MATCH_PAGER);
    ck_assert(all & FN_MATCH_PROMPT);
    fn_matcher_finish(m, &r);
    ck_assert_uint_eq(r.out_len, want.len);
    ck_assert(memcmp(r.out, want.data, want.len) == 0);
    fn_buf_cleanup(&want);
    fn_buf_cleanup(&head);
    fn_buf_cleanup(&tail);
    fn_matcher_free(m);
}
END_TEST

/* 50 MB through one matcher: memory stops growing at max_output, output
 * is capped and flagged, errors are still found after the cap. */
START_TEST(test_fn_matcher_50mb_constant_memory)
{
    const size_t max_output = 1u << 20;
    const size_t total = 50u << 20;
    int ev;
    fn_matcher_t *m;
    ck_assert_int_eq(
        fn_matcher_new(&m, fn_vendors_find(vs, "cisco_ios"), max_output), 0);
    ck_assert(FEED(m, "r1#") & FN_MATCH_PROMPT);
    fn_matcher_begin(m, "show tech-support");
    ck_assert_int_eq(FEED(m, "show tech-support\r\n"), 0);
    char chunk[65536];
    size_t n = 0, i = 0;
    while (n + 128 < sizeof(chunk))
        n += (size_t)big_line(chunk + n, sizeof(chunk) - n, i++);
    size_t fed = 0, mem_at_2mb = 0;
    ev = 0;
    while (fed < total) {
        ev |= fn_matcher_feed(m, chunk, n);
        fed += n;
        if (!mem_at_2mb && fed >= (2u << 20))
            mem_at_2mb = fn_matcher_memory(m);
    }
    ck_assert_int_eq(ev, 0);
    ck_assert_uint_eq(fn_matcher_memory(m), mem_at_2mb);
    ck_assert_uint_le(mem_at_2mb, fn_matcher_state_size() + 2 * max_output +
                                      2 * FN_MATCHER_ERR_MAX);
    ck_assert_uint_lt(fn_matcher_state_size(), 2048);
    const char end[] = "% Invalid input detected\r\nr1#";
    ev = fn_matcher_feed(m, end, sizeof(end) - 1);
    ck_assert_int_eq(ev, FN_MATCH_ERROR | FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_uint_eq(r.out_len, max_output);
    ck_assert_int_eq(r.truncated, 1);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.err, "r1#show tech-support\n% Invalid input detected\n");
    ck_assert(strncmp(r.out, "interface line 00000", 20) == 0);
    /* the next command starts small again */
    fn_matcher_begin(m, "show clock");
    ck_assert_uint_le(fn_matcher_memory(m),
                      fn_matcher_state_size() + FN_MATCHER_KEEP_MAX * 2);
    fn_matcher_free(m);
}
END_TEST

/* Lines longer than the kept tail go through whole; a keyword across the
 * tail boundary still matches. */
START_TEST(test_fn_matcher_long_lines)
{
    int ev;
    fn_matcher_t *m = login("juniper_junos", "a@r1> ", &ev);
    fn_matcher_begin(m, "show log messages");
    char line[5000];
    memset(line, 'x', sizeof(line));
    const char kw[] = "syntax error";
    size_t at = FN_MATCHER_LINE_MAX - 5;
    memcpy(line + at, kw, sizeof(kw) - 1);
    ev = FEED(m, "show log messages\r\n");
    ev |= fn_matcher_feed(m, line, sizeof(line));
    ev |= FEED(m, "\r\nok\r\na@r1> ");
    ck_assert_int_eq(ev, FN_MATCH_ERROR | FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_str_eq(r.keyword, "syntax error");
    /* the line's head went out before the keyword completed; the rest of
     * the line follows the echo in stderr */
    ck_assert_uint_eq(r.out_len, FN_MATCHER_LINE_MAX + 3);
    ck_assert(memcmp(r.out + FN_MATCHER_LINE_MAX, "ok\n", 3) == 0);
    ck_assert_uint_eq(r.err_len,
                      6 + 18 + sizeof(line) - FN_MATCHER_LINE_MAX + 1);
    ck_assert(memcmp(r.err, "a@r1> show log messages\nx error", 31) == 0);
    memset(line, 'y', sizeof(line));
    fn_matcher_begin(m, "show x");
    FEED(m, "show x\r\n");
    fn_matcher_feed(m, line, 3000);
    ck_assert_int_eq(FEED(m, "\r\na@r1> "), FN_MATCH_PROMPT);
    fn_matcher_finish(m, &r);
    ck_assert_uint_eq(r.out_len, 3001);
    ck_assert(memcmp(r.out, line, 3000) == 0);
    fn_matcher_free(m);
}
END_TEST

/* A partial result (timeout) holds the pending line; a long command is
 * still recognised in its echo. */
/* fn_matcher.h: stderr starts with the echo line as the screen showed it,
 * prompt included, so the caret (counted by the device from the start of
 * the prompt) sits under the offending character. The blanks after a
 * prompt count wherever they arrive: in the prompt's chunk, after it
 * fired, or at the head of the next command's output. */
START_TEST(test_fn_matcher_stderr_echo_line_has_prompt)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "router1#", &ev);
    ck_assert(ev & FN_MATCH_PROMPT);
    fn_matcher_begin(m, "show interfacs");
    ev = FEED(m, "show interfacs\r\n             ^\r\n"
                 "% Invalid input detected at '^' marker.\r\n\r\nrouter1#");
    ck_assert_int_eq(ev, FN_MATCH_ERROR | FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.err, "router1#show interfacs\n             ^\n"
                            "% Invalid input detected at '^' marker.\n");
    const char *caret = strchr(r.err, '^');
    const char *nl = strchr(r.err, '\n');
    ck_assert_int_eq(r.err[caret - nl - 1], 'i'); /* under "interfacs" */
    fn_matcher_free(m);
    /* junos "a@r1> ": the blank in the login chunk, after the prompt
     * fired (1-byte feed), or leading the next output: one result */
    static const char *const logins[] = {"a@r1> ", "a@r1>", "a@r1>"};
    static const char *const tails[] = {"", " ", ""};
    static const char *const heads[] = {"", "", " "};
    for (int i = 0; i < 3; i++) {
        m = login("juniper_junos", logins[i], &ev);
        ck_assert(ev & FN_MATCH_PROMPT);
        FEED(m, tails[i]);
        fn_matcher_begin(m, "show intrfaces");
        FEED(m, heads[i]);
        ev = FEED(m, "show intrfaces \r\n           ^\r\n"
                     "syntax error, expecting <command>.\r\na@r1> ");
        ck_assert_int_eq(ev, FN_MATCH_ERROR | FN_MATCH_PROMPT);
        fn_matcher_finish(m, &r);
        ck_assert_str_eq(r.err, "a@r1> show intrfaces\n           ^\n"
                                "syntax error, expecting <command>.\n");
        fn_matcher_free(m);
    }
}
END_TEST

START_TEST(test_fn_matcher_partial_result_and_long_command)
{
    int ev;
    fn_matcher_t *m = login("cisco_ios", "r1#", &ev);
    char cmd[400];
    memset(cmd, 'a', sizeof(cmd) - 1);
    memcpy(cmd, "show ", 5);
    cmd[sizeof(cmd) - 1] = '\0';
    fn_matcher_begin(m, cmd);
    FEED(m, cmd);
    FEED(m, "\r\nProceed? [confirm]");
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.out, "Proceed? [confirm]");
    ck_assert_int_eq(r.exit_code, 0);
    fn_matcher_free(m);
}
END_TEST

static Suite *vendors_suite(void)
{
    Suite *s = suite_create("vendors");
    TCase *tc = tcase_create("matcher");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    int n = (int)vendor_sample_count;
    tcase_add_loop_test(tc, test_fn_matcher_samples_exact, 0, n);
    tcase_add_loop_test(tc, test_fn_matcher_feed_bytewise_equals_one_chunk, 0,
                        n);
    tcase_add_loop_test(tc, test_fn_matcher_feed_split_everywhere, 0, n);
    tcase_add_test(tc, test_fn_vendor_builtin_keywords);
    tcase_add_test(tc, test_fn_vendor_builtin_commands);
    tcase_add_test(tc, test_fn_matcher_learns_base_prompt);
    tcase_add_test(tc, test_fn_matcher_prompt_only_from_base);
    tcase_add_test(tc, test_fn_matcher_login_ignores_version_brackets);
    tcase_add_test(tc, test_fn_matcher_prompt_then_bytes_is_output);
    tcase_add_test(tc, test_fn_matcher_password_and_pager_events);
    tcase_add_test(tc, test_fn_matcher_terminal_edits);
    tcase_add_test(tc, test_fn_matcher_empty_command);
    tcase_add_loop_test(tc, test_fn_matcher_keywords_anywhere, 0, 8);
    tcase_add_loop_test(tc, test_fn_matcher_keyword_across_line_tail, 0, 8);
    tcase_add_loop_test(tc, test_fn_matcher_pager_in_10000_lines, 0,
                        sizeof(pager_styles) / sizeof(pager_styles[0]));
    tcase_add_test(tc, test_fn_matcher_50mb_constant_memory);
    tcase_add_test(tc, test_fn_matcher_long_lines);
    tcase_add_test(tc, test_fn_matcher_partial_result_and_long_command);
    tcase_add_test(tc, test_fn_matcher_stderr_echo_line_has_prompt);
    tcase_add_test(tc, test_fn_matcher_resume_after_false_prompt);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(vendors_suite());
}
