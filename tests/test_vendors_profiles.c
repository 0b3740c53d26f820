/*
 * test_vendors_profiles.c — promises of fn_vendor.h about profile files:
 * a directory overrides and adds profiles, errors name file:line, and
 * fn_vendor_print output parses back into the same profile; backup_strip
 * drops exactly the volatile lines of a backup.
 *
 * Uses a fresh directory under $TMPDIR (or /tmp) per test, removed after.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fn_err.h"
#include "fn_matcher.h"
#include "fn_vendor.h"
#include "fn_check.h"

static char dir[256];

static void dir_setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/fn_vendors_XXXXXX", t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void dir_teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void write_file(const char *name, const char *text, size_t len)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

#define WRITE(name, text) write_file((name), (text), strlen(text))

static int has_keyword(const fn_vendor_t *v, const char *kw)
{
    for (size_t i = 0; i < fn_vendor_error_count(v); i++)
        if (strcmp(fn_vendor_error_at(v, i), kw) == 0)
            return 1;
    return 0;
}

START_TEST(test_fn_vendors_new_override_and_add)
{
    WRITE("cisco_ios.profile", "# our IOS: one more keyword, no width command\n"
                               "inherit = cisco_ios\n"
                               "error += % Custom failure\n"
                               "setup = terminal length 0\n"
                               "description = \"  IOS, site build  \"\n");
    WRITE("acme_os.profile", "description = ACME OS 4\n"
                             "prompt_user = {base}>\n"
                             "prompt_config = {base}(*)#\n"
                             "pager = -- More --\n"
                             "\n"
                             "   # indented comment\n"
                             "error = ERROR:\n"
                             "error_start = %\n"
                             "caret_error = yes\n");
    WRITE("notes.txt", "not a profile = at all\n");
    fn_vendors_t *vs;
    char err[256] = "";
    ck_assert_int_eq(fn_vendors_new(&vs, dir, err, sizeof(err)), 0);
    ck_assert_uint_eq(fn_vendors_count(vs), 9);
    const fn_vendor_t *ios = fn_vendors_find(vs, "cisco_ios");
    ck_assert(strstr(fn_vendor_source(ios), "/cisco_ios.profile") != NULL);
    ck_assert_str_eq(fn_vendor_description(ios), "  IOS, site build  ");
    ck_assert(has_keyword(ios, "% Invalid input detected"));
    ck_assert(has_keyword(ios, "% Custom failure"));
    ck_assert(has_keyword(ios, "Translating \""));
    ck_assert_uint_eq(fn_vendor_setup_count(ios), 1);
    ck_assert_str_eq(fn_vendor_backup_command(ios), "show running-config");

    const fn_vendor_t *acme = fn_vendors_find(vs, "acme_os");
    ck_assert_ptr_nonnull(acme);
    ck_assert_str_eq(fn_vendor_pager_at(acme, 0), "-- More --");
    fn_matcher_t *m;
    ck_assert_int_eq(fn_matcher_new(&m, acme, 0), 0);
    ck_assert(fn_matcher_feed(m, "box>", 4) & FN_MATCH_PROMPT);
    fn_matcher_begin(m, "frob");
    const char out[] = "frob\r\n% no frob\r\nbox(config)#";
    int ev = fn_matcher_feed(m, out, sizeof(out) - 1);
    ck_assert_int_eq(ev, FN_MATCH_ERROR | FN_MATCH_PROMPT);
    fn_match_result_t r;
    fn_matcher_finish(m, &r);
    ck_assert_str_eq(r.keyword, "%");
    ck_assert_int_eq(r.mode, FN_VENDOR_MODE_CONFIG);
    fn_matcher_free(m);

    /* the override's own keyword works in the matcher */
    ck_assert_int_eq(fn_matcher_new(&m, ios, 0), 0);
    fn_matcher_feed(m, "r1#", 3);
    fn_matcher_begin(m, "x");
    const char o2[] = "x\r\n% Custom failure here\r\nr1#";
    ck_assert_int_eq(fn_matcher_feed(m, o2, sizeof(o2) - 1),
                     FN_MATCH_ERROR | FN_MATCH_PROMPT);
    fn_matcher_free(m);
    fn_vendors_free(vs);
}
END_TEST

static const struct bad_file {
    const char *name, *text, *want;
} bad_files[] = {
    {"a.profile", "prompt_user = {base}>\n\nfoo = bar\n",
     "/a.profile:3: unknown key 'foo'"},
    {"a.profile", "# c\nprompt_user {base}>\n",
     "/a.profile:2: expected 'key = value'"},
    {"a.profile", "prompt_user = {base}>\ninherit = cisco_ios\n",
     "/a.profile:2: inherit must be the first key"},
    {"a.profile", "inherit = cisco_xyz\n",
     "/a.profile:1: inherit: no built-in profile 'cisco_xyz'"},
    {"a.profile", "prompt_user = {base}>\ncaret_error = maybe\n",
     "/a.profile:2: caret_error must be 'yes' or 'no', not 'maybe'"},
    {"a.profile", "prompt_user = {base}>\npager_answer = \" \n",
     "/a.profile:2: unterminated quoted value"},
    {"a.profile", "prompt_user = {base}>\npager_answer = \"\\q\"\n",
     "/a.profile:2: unknown escape '\\q'"},
    {"a.profile", "prompt_user = {base}>\n\n\ndescription += x\n",
     "/a.profile:4: '+=' only applies to lists, not 'description'"},
    {"a.profile", "prompt_user = {base}>\nclean = colour\n",
     "/a.profile:2: unknown clean rule 'colour' (echo, caret)"},
    {"a.profile", "description = no prompts\n",
     "/a.profile:0: profile 'a' has no prompt_user/prompt_priv/"
     "prompt_config pattern"},
    {"a.profile", "prompt_user = {base}>\nerror = \"bad\\x01\"\n",
     "/a.profile:2: control byte in error keyword"},
    {"a b.profile", "prompt_user = {base}>\n",
     "/a b.profile:0: bad profile name"},
    {"z.profile", "prompt_user = >\n = x\n", "/z.profile:2: missing key"},
};

START_TEST(test_fn_vendors_new_errors_name_file_and_line)
{
    const struct bad_file *b = &bad_files[_i];
    WRITE("good.profile", "inherit = linux\n");
    WRITE(b->name, b->text);
    fn_vendors_t *vs = NULL;
    char err[256] = "";
    ck_assert_int_eq(fn_vendors_new(&vs, dir, err, sizeof(err)), FN_EPARSE);
    ck_assert_ptr_null(vs);
    ck_assert_msg(strstr(err, b->want) != NULL, "got '%s', want '%s'", err,
                  b->want);
    ck_assert(strncmp(err, dir, strlen(dir)) == 0);
}
END_TEST

START_TEST(test_fn_vendors_new_missing_dir)
{
    fn_vendors_t *vs = NULL;
    char err[256] = "";
    char p[300];
    snprintf(p, sizeof(p), "%s/nope", dir);
    ck_assert_int_eq(fn_vendors_new(&vs, p, err, sizeof(err)), -ENOENT);
    ck_assert(strstr(err, "/nope: ") != NULL);
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, NULL, 0), 0);
    fn_vendors_free(vs);
    fn_vendors_free(NULL);
}
END_TEST

static char *print_profile(const fn_vendor_t *v)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    ck_assert_int_eq(fn_vendor_print(v, &b), 0);
    size_t n;
    return fn_buf_steal(&b, &n);
}

/* Every built-in (and an override with odd bytes): print -> file -> load
 * -> print gives the same text, and the same matcher behaviour. */
START_TEST(test_fn_vendor_print_round_trip)
{
    WRITE("odd.profile", "inherit = linux\n"
                         "pager_answer = \"\\r\"\n"
                         "description = \"\\\"quoted\\\" \\\\ \\x7f\\e\"\n"
                         "setup = \" leading blank\"\n"
                         "setup += \"# not a comment\" # a comment\n"
                         "backup_strip = \"! Time: \"\n"
                         "backup_strip += \"# * by \\\\*\"\n"
                         "strip_line =\n");
    fn_vendors_t *a;
    char err[256] = "";
    ck_assert_int_eq(fn_vendors_new(&a, dir, err, sizeof(err)), 0);
    const fn_vendor_t *odd = fn_vendors_find(a, "odd");
    ck_assert_str_eq(fn_vendor_pager_answer(odd), "\r");
    ck_assert_str_eq(fn_vendor_description(odd), "\"quoted\" \\ \x7f\x1b");
    ck_assert_str_eq(fn_vendor_setup_at(odd, 1), "# not a comment");
    ck_assert_uint_eq(fn_vendor_backup_strip_count(odd), 2);
    ck_assert_str_eq(fn_vendor_backup_strip_at(odd, 0), "! Time: ");
    ck_assert_str_eq(fn_vendor_backup_strip_at(odd, 1), "# * by \\*");
    ck_assert_ptr_null(fn_vendor_backup_strip_at(odd, 2));
    unlink(fn_vendor_source(odd));
    size_t n = fn_vendors_count(a);
    char **text = calloc(n, sizeof(*text));
    for (size_t i = 0; i < n; i++) {
        const fn_vendor_t *v = fn_vendors_at(a, i);
        char name[128];
        snprintf(name, sizeof(name), "%s.profile", fn_vendor_name(v));
        text[i] = print_profile(v);
        WRITE(name, text[i]);
    }
    fn_vendors_t *b;
    ck_assert_int_eq(fn_vendors_new(&b, dir, err, sizeof(err)), 0);
    ck_assert_uint_eq(fn_vendors_count(b), n);
    for (size_t i = 0; i < n; i++) {
        const fn_vendor_t *v =
            fn_vendors_find(b, fn_vendor_name(fn_vendors_at(a, i)));
        ck_assert(strcmp(fn_vendor_source(v), "builtin") != 0);
        char *again = print_profile(v);
        ck_assert_str_eq(again, text[i]);
        free(again);
        free(text[i]);
    }
    free(text);
    fn_vendors_free(a);
    fn_vendors_free(b);
}
END_TEST

START_TEST(test_fn_vendor_print_format)
{
    fn_vendors_t *vs;
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, NULL, 0), 0);
    char *t = print_profile(fn_vendors_find(vs, "linux"));
    ck_assert(strstr(t, "# flexnet vendor profile linux\n") == t);
    ck_assert(strstr(t, "\nprompt_user = \"{base}:*$ \"\n") != NULL);
    ck_assert(strstr(t, "\npager_answer = \" \"\n") != NULL);
    ck_assert(strstr(t, "\nsetup =\n") != NULL);
    free(t);
    t = print_profile(fn_vendors_find(vs, "cisco_ios"));
    ck_assert(strstr(t, "\nerror_start = Translating \"\n") != NULL);
    ck_assert(strstr(t, "\nerror = % Invalid input detected\n") != NULL);
    free(t);
    fn_vendors_free(vs);
}
END_TEST

/* fn_vendor_backup_clean(vendor, in) as a string (owned). */
static char *bclean(const fn_vendors_t *vs, const char *vendor, const char *in)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    const fn_vendor_t *v = fn_vendors_find(vs, vendor);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(fn_vendor_backup_clean(v, in, strlen(in), &b), 0);
    size_t n;
    char *s = fn_buf_steal(&b, &n);
    ck_assert_uint_eq(n, strlen(s));
    return s;
}

#define CHECK_CLEAN(vs, vendor, in, want)                                      \
    do {                                                                       \
        char *got_ = bclean((vs), (vendor), (in));                             \
        ck_assert_str_eq(got_, (want));                                        \
        free(got_);                                                            \
    } while (0)

/* Built-in tables: the volatile lines go, everything else stays as is
 * (blank lines, '\r', a missing last newline). */
START_TEST(test_fn_vendor_backup_clean_builtins)
{
    fn_vendors_t *vs;
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, NULL, 0), 0);
    CHECK_CLEAN(vs, "cisco_ios",
                "Building configuration...\n\nCurrent configuration : 2345 "
                "bytes\n!\n! Last configuration change at 06:00:00 UTC Sun "
                "Nov 29 2026 by admin\n! NVRAM config last updated at 06:01\n"
                "version 15.2\nhostname r1\n description Current "
                "configuration :\nend",
                "\n!\nversion 15.2\nhostname r1\n description Current "
                "configuration :\nend");
    CHECK_CLEAN(vs, "cisco_ios",
                "Current configuration : 9 bytes\r\nhostname r1\r\n",
                "hostname r1\r\n");
    CHECK_CLEAN(vs, "cisco_nxos",
                "\n!Command: show running-config\n!Running configuration last "
                "done at: Sun Nov 29 06:30:00 2026\n!Time: Sun Nov 29 "
                "06:30:00 2026\n\nversion 9.3(3)\nhostname n1\n",
                "\n\nversion 9.3(3)\nhostname n1\n");
    CHECK_CLEAN(vs, "cisco_iosxr",
                "\nSun Nov 29 06:30:00.123 UTC\nBuilding configuration...\n"
                "!! IOS XR Configuration version = 6.1.4\n!! Last "
                "configuration change at Sun Nov 29 06:00:00 2026 by admin\n"
                "hostname x1\n description Sun Nov 29 06:30:00.123 UTC\n",
                "\n!! IOS XR Configuration version = 6.1.4\nhostname x1\n"
                " description Sun Nov 29 06:30:00.123 UTC\n");
    CHECK_CLEAN(vs, "arista_eos",
                "! Command: show running-config\n! Last configuration change "
                "at x\nhostname a1\n",
                "! Command: show running-config\nhostname a1\n");
    CHECK_CLEAN(vs, "juniper_junos",
                "## Last commit: 2026-11-29 06:00:00 UTC by admin\n## Last "
                "changed: 2026-11-29\nset version 18.2R3.4\n",
                "set version 18.2R3.4\n");
    CHECK_CLEAN(vs, "huawei_vrp",
                "!Last configuration was updated at 2026-11-29 by admin\n"
                "[V200R009C00SPC500]\n#\n sysname h1\n",
                "[V200R009C00SPC500]\n#\n sysname h1\n");
    CHECK_CLEAN(vs, "mikrotik_routeros",
                "# nov/29/2026 06:30:00 by RouterOS 6.49.7\n# software id = "
                "AB\n/system identity\nset name=m1\n",
                "# software id = AB\n/system identity\nset name=m1\n");
    /* no table: the text as is */
    CHECK_CLEAN(vs, "linux", "Current configuration : 1\n",
                "Current configuration : 1\n");
    CHECK_CLEAN(vs, "cisco_ios", "", "");
    /* two backups differing only in volatile lines are identical */
    char *a = bclean(vs, "cisco_nxos", "!Time: Sun Nov 29 06:30:00 2026\nx\n");
    char *b = bclean(vs, "cisco_nxos", "!Time: Mon Nov 30 07:00:00 2026\nx\n");
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    fn_vendors_free(vs);
}
END_TEST

/* A file's patterns: a '*' glob, '\' quoting, a literal prefix; a full
 * buffer reports FN_EFULL. */
START_TEST(test_fn_vendor_backup_clean_file_and_full)
{
    WRITE("strip.profile", "inherit = cisco_ios\n"
                           "backup_strip = \"! Time: \"\n"
                           "backup_strip += \"# * by RouterOS *\"\n"
                           "backup_strip += a\\*b\n");
    fn_vendors_t *vs;
    char err[256] = "";
    ck_assert_int_eq(fn_vendors_new(&vs, dir, err, sizeof(err)), 0);
    const fn_vendor_t *v = fn_vendors_find(vs, "strip");
    ck_assert_uint_eq(fn_vendor_backup_strip_count(v), 3);
    CHECK_CLEAN(
        vs, "strip",
        "! Time: 1\n!  Time: 2\n# x by RouterOS 7\n# x by RouterOS\n"
        "a*bc\naxb\nCurrent configuration : 1\n",
        "!  Time: 2\n# x by RouterOS\naxb\nCurrent configuration : 1\n");
    fn_buf_t b;
    fn_buf_init(&b, 4);
    ck_assert_int_eq(fn_vendor_backup_clean(v, "hostname r1\n", 12, &b),
                     FN_EFULL);
    fn_buf_cleanup(&b);
    fn_vendors_free(vs);
}
END_TEST

/* ---- secrets out of backups ----------------------------------------- */

static char *redact(const fn_vendor_t *v, const char *in, int mode, unsigned *n)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    ck_assert_int_eq(fn_vendor_backup_redact(v, in, strlen(in), mode, &b, n),
                     0);
    return fn_buf_steal(&b, NULL);
}

/* A configuration line a pattern describes, with canary as the secret:
 * '*' -> a word, [N] -> the type 7, KEY={} -> KEY=canary, leading
 * "..." -> two words first. */
static void line_of(const char *pat, const char *canary, fn_buf_t *out)
{
    char buf[600];
    snprintf(buf, sizeof(buf), "%s", pat);
    int first = 1;
    for (char *w = buf, *next; *w; w = next, first = 0) {
        next = w + strcspn(w, " ");
        if (*next)
            *next++ = '\0';
        size_t wl = strlen(w);
        if (!first)
            fn_buf_append_str(out, " ");
        if (first && !strcmp(w, "..."))
            fn_buf_append_str(out, "set foo");
        else if (!strcmp(w, "*"))
            fn_buf_append_str(out, "r1");
        else if (!strcmp(w, "[N]"))
            fn_buf_append_str(out, "7");
        else if (!strcmp(w, "{}"))
            fn_buf_append_str(out, canary);
        else if (wl > 3 && !strcmp(w + wl - 3, "={}")) {
            fn_buf_append(out, w, wl - 2);
            fn_buf_append_str(out, canary);
        } else
            fn_buf_append_str(out, w);
    }
    fn_buf_append_str(out, " trailing words\n");
}

/* Every pattern of every built-in profile: its canary is gone in the
 * modes that must remove it, kept in those that must keep it, and the
 * rest of the line survives. */
START_TEST(test_fn_vendor_backup_redact_every_pattern)
{
    fn_vendors_t *vs;
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, NULL, 0), 0);
    size_t total = 0;
    for (size_t i = 0; i < fn_vendors_count(vs); i++) {
        const fn_vendor_t *v = fn_vendors_at(vs, i);
        for (int hash = 0; hash < 2; hash++) {
            for (size_t k = 0; k < fn_vendor_secret_count(v, hash); k++) {
                const char *pat = fn_vendor_secret_at(v, hash, k);
                fn_buf_t in;
                fn_buf_init(&in, 0);
                line_of(pat, "CANARY-s3cr3t", &in);
                unsigned n = 0;
                char *rev = redact(v, in.data, FN_REDACT_REVERSIBLE, &n);
                char *all = redact(v, in.data, FN_REDACT_ALL, NULL);
                char *none = redact(v, in.data, FN_REDACT_NONE, NULL);
                ck_assert_msg(!strstr(all, "CANARY"), "%s %s: %s",
                              fn_vendor_name(v), pat, all);
                ck_assert_msg(strstr(all, "<removed> trailing words\n"),
                              "%s %s: %s", fn_vendor_name(v), pat, all);
                ck_assert_msg((strstr(rev, "CANARY") != NULL) == hash,
                              "%s %s (hash %d): %s", fn_vendor_name(v), pat,
                              hash, rev);
                ck_assert_uint_eq(n, hash ? 0 : 1);
                ck_assert_str_eq(none, in.data);
                free(rev);
                free(all);
                free(none);
                fn_buf_cleanup(&in);
                total++;
            }
        }
    }
    ck_assert_uint_ge(total, 40);
    fn_vendors_free(vs);
}
END_TEST

/* Real lines: what goes, what stays. */
START_TEST(test_fn_vendor_backup_redact_real_lines)
{
    fn_vendors_t *vs;
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, NULL, 0), 0);
    static const struct {
        const char *vendor, *in, *rev, *all;
    } cases[] = {
        {"cisco_ios", "username admin privilege 15 secret 9 $9$abc\n",
         "username admin privilege 15 secret 9 $9$abc\n",
         "username admin privilege 15 secret 9 <removed>\n"},
        {"cisco_ios", "username ops password 7 0822455D0A16\n",
         "username ops password 7 <removed>\n",
         "username ops password 7 <removed>\n"},
        {"cisco_ios", "enable password cleartext\n",
         "enable password <removed>\n", "enable password <removed>\n"},
        {"cisco_ios", "snmp-server community public RO\n",
         "snmp-server community <removed> RO\n",
         "snmp-server community <removed> RO\n"},
        {"cisco_ios", " ip ospf message-digest-key 1 md5 7 045802150C2E\n",
         " ip ospf message-digest-key 1 md5 7 <removed>\n",
         " ip ospf message-digest-key 1 md5 7 <removed>\n"},
        {"cisco_ios", "crypto isakmp key K3y address 0.0.0.0\n",
         "crypto isakmp key <removed> address 0.0.0.0\n",
         "crypto isakmp key <removed> address 0.0.0.0\n"},
        {"cisco_ios", "hostname secret\nkey chain KC\n",
         "hostname secret\nkey chain KC\n", "hostname secret\nkey chain KC\n"},
        {"juniper_junos",
         "set system root-authentication encrypted-password \"$6$x$y\"\n",
         "set system root-authentication encrypted-password \"$6$x$y\"\n",
         "set system root-authentication encrypted-password \"<removed>\"\n"},
        {"juniper_junos",
         "set protocols bgp group g authentication-key \"$9$abc\"\n",
         "set protocols bgp group g authentication-key \"<removed>\"\n",
         "set protocols bgp group g authentication-key \"<removed>\"\n"},
        {"huawei_vrp", " local-user a password irreversible-cipher $1a$x$\n",
         " local-user a password irreversible-cipher $1a$x$\n",
         " local-user a password irreversible-cipher <removed>\n"},
        {"huawei_vrp", " local-user a password cipher %^%#abc\n",
         " local-user a password cipher <removed>\n",
         " local-user a password cipher <removed>\n"},
        {"cisco_ios", "snmp-server community public\r\nend\r\n",
         "snmp-server community <removed>\r\nend\r\n",
         "snmp-server community <removed>\r\nend\r\n"},
        {"mikrotik_routeros", "add name=u password=hunter2 group=full\n",
         "add name=u password=<removed> group=full\n",
         "add name=u password=<removed> group=full\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const fn_vendor_t *v = fn_vendors_find(vs, cases[i].vendor);
        char *rev = redact(v, cases[i].in, FN_REDACT_REVERSIBLE, NULL);
        char *all = redact(v, cases[i].in, FN_REDACT_ALL, NULL);
        ck_assert_str_eq(rev, cases[i].rev);
        ck_assert_str_eq(all, cases[i].all);
        free(rev);
        free(all);
    }
    fn_vendors_free(vs);
}
END_TEST

static Suite *profiles_suite(void)
{
    Suite *s = suite_create("vendors_profiles");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_fn_vendors_new_override_and_add);
    tcase_add_loop_test(tc, test_fn_vendors_new_errors_name_file_and_line, 0,
                        sizeof(bad_files) / sizeof(bad_files[0]));
    tcase_add_test(tc, test_fn_vendors_new_missing_dir);
    tcase_add_test(tc, test_fn_vendor_print_round_trip);
    tcase_add_test(tc, test_fn_vendor_print_format);
    tcase_add_test(tc, test_fn_vendor_backup_clean_builtins);
    tcase_add_test(tc, test_fn_vendor_backup_clean_file_and_full);
    tcase_add_test(tc, test_fn_vendor_backup_redact_every_pattern);
    tcase_add_test(tc, test_fn_vendor_backup_redact_real_lines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(profiles_suite());
}
