/*
 * test_sim_cli.c — Check suite for flexnet-sim's pure parts: transcript
 * loading (every vendor file), the command line (echo, editing,
 * type-ahead, pager, passwords, config recording, faults in the command
 * line) and the fault plan. No sockets: cli.c only fills buffers.
 *
 * Reads the transcripts from $FN_TEST_SRC/sim/vendors.
 */
#include "sim_int.h"

#include "fn_err.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fn_check.h"

static sim_vendor_t *vendor;
static sim_device_t dev;
static sim_opts_t opts;

static sim_vendor_t *load(const char *name)
{
    char dir[512], err[512];
    const char *src = getenv("FN_TEST_SRC");
    snprintf(dir, sizeof(dir), "%s/sim/vendors", src ? src : ".");
    sim_vendor_t *v = sim_vendor_load(dir, name, err, sizeof(err));
    ck_assert_msg(v != NULL, "%s", err);
    return v;
}

static void setup_vendor(const char *name)
{
    vendor = load(name);
    memset(&dev, 0, sizeof(dev));
    dev.vendor = vendor;
    dev.idx = 3;
    snprintf(dev.host, sizeof(dev.host), "%s-3", name);
    fn_buf_init(&dev.added, 0);
    fn_buf_init(&dev.cand, 0);
    opts = (sim_opts_t){.enable_password = "enable",
                        .config_lines = 40,
                        .seed = 5,
                        .base_port = 20000};
}

static void teardown_vendor(void)
{
    fn_buf_cleanup(&dev.added);
    fn_buf_cleanup(&dev.cand);
    sim_vendor_free(vendor);
}

static void setup_ios(void)
{
    setup_vendor("cisco_ios");
}

/* Feeds s, running every complete line; returns the final ret. */
static int type(sim_cli_t *c, const char *s, size_t len)
{
    int ret = sim_cli_feed(c, s, len);
    while (ret == SIM_CLI_WAIT_EXEC)
        ret = sim_cli_exec(c);
    return ret;
}

static int type_str(sim_cli_t *c, const char *s)
{
    return type(c, s, strlen(s));
}

static char *session_output(const char *input, size_t step, int fault)
{
    sim_cli_t c;
    sim_cli_init(&c, &dev, &opts, "admin", fault);
    sim_cli_start(&c);
    for (size_t i = 0; i < strlen(input); i += step) {
        size_t n = strlen(input) - i < step ? strlen(input) - i : step;
        type(&c, input + i, n);
    }
    char *out = strdup(c.out.data ? c.out.data : "");
    sim_cli_cleanup(&c);
    return out;
}

START_TEST(every_vendor_loads)
{
    for (int i = 0; i < SIM_NVENDORS; i++) {
        sim_vendor_t *v = load(sim_vendor_names[i]);
        ck_assert_int_gt(v->nrules, 5);
        ck_assert_ptr_nonnull(v->err[SIM_E_INVALID]);
        ck_assert_ptr_nonnull(v->pager);
        sim_vendor_free(v);
    }
}
END_TEST

START_TEST(one_byte_feed_equals_whole_feed)
{
    const char *in = "terminal length 0\rshow version\r\nshow foo\rs\r";
    char *whole = session_output(in, strlen(in), SIM_F_NONE);
    char *bytes = session_output(in, 1, SIM_F_NONE);
    ck_assert_str_eq(whole, bytes);
    ck_assert_ptr_nonnull(strstr(whole, "Cisco IOS Software"));
    ck_assert_ptr_nonnull(strstr(whole, "% Ambiguous command:  \"s\""));
    free(whole);
    free(bytes);
}
END_TEST

/* IOS in exec mode takes a lone unknown word for a host name; more
 * words, or config mode, get the caret and "% Invalid input". */
START_TEST(ios_lone_word_is_translated)
{
    char *out = session_output("foo\rfoo bar\renable\renable\rfoo\r"
                               "configure terminal\rfoo\r",
                               64, SIM_F_NONE);
    const char *tr = "cisco_ios-3>foo\r\nTranslating \"foo\"...domain server "
                     "(255.255.255.255)\r\n% Unknown command or computer "
                     "name, or unable to find computer address\r\n"
                     "cisco_ios-3>foo bar\r\n";
    ck_assert_msg(strstr(out, tr), "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "cisco_ios-3>foo bar\r\n"
                                      "            ^\r\n% Invalid input"));
    ck_assert_ptr_nonnull(strstr(out, "cisco_ios-3#foo\r\nTranslating"));
    ck_assert_ptr_nonnull(strstr(out, "cisco_ios-3(config)#foo\r\n"
                                      "                    ^\r\n"
                                      "% Invalid input detected"));
    free(out);
}
END_TEST

START_TEST(echo_backspace_and_typeahead)
{
    char *out = session_output("shx\x7fow clock\rshow clock\r", 64, 0);
    /* typed chars echo; backspace erases; the second line is read (and
     * echoed) only after the first command's prompt */
    ck_assert_ptr_nonnull(strstr(out, "cisco_ios-3>shx\b \bow clock\r\n"));
    const char *second = strstr(out, "UTC Sun Nov 29 2026\r\ncisco_ios-3>"
                                     "show clock\r\n");
    ck_assert_ptr_nonnull(second);
    free(out);
}
END_TEST

START_TEST(password_not_echoed)
{
    char *out = session_output("enable\rnope\renable\renable\r", 64, 0);
    ck_assert_ptr_null(strstr(out, "nope"));
    ck_assert_ptr_nonnull(strstr(out, "Password: \r\n% Access denied\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "Password: \r\ncisco_ios-3#"));
    free(out);
}
END_TEST

START_TEST(pager_pages_and_quits)
{
    sim_cli_t c;
    sim_cli_init(&c, &dev, &opts, "admin", SIM_F_NONE);
    sim_cli_start(&c);
    type_str(&c, "show version\r");
    ck_assert_int_eq(c.state, SIM_CLI_PAGER);
    ck_assert_ptr_nonnull(strstr(c.out.data, " --More-- "));
    type_str(&c, "q");
    ck_assert_int_eq(c.state, SIM_CLI_IDLE);
    const char *end = c.out.data + c.out.len - strlen("cisco_ios-3>");
    ck_assert_str_eq(end, "cisco_ios-3>");
    sim_cli_cleanup(&c);
}
END_TEST

START_TEST(config_lines_are_recorded)
{
    char *out = session_output("enable\renable\rconf t\rint Gi0/7\r"
                               "desc uplink\rend\r",
                               64, 0);
    ck_assert_ptr_nonnull(strstr(out, "cisco_ios-3(config-if)#"));
    ck_assert_str_eq(dev.added.data, "interface Gi0/7\n description uplink\n");
    fn_buf_t cfg;
    fn_buf_init(&cfg, 0);
    sim_config_render(&cfg, &dev, opts.seed, opts.config_lines);
    ck_assert_ptr_nonnull(strstr(cfg.data, "!\ninterface Gi0/7\n"));
    fn_buf_cleanup(&cfg);
    free(out);
}
END_TEST

START_TEST(config_is_deterministic)
{
    fn_buf_t a, b;
    fn_buf_init(&a, 0);
    fn_buf_init(&b, 0);
    sim_config_render(&a, &dev, 5, 40);
    sim_config_render(&b, &dev, 5, 40);
    ck_assert_str_eq(a.data, b.data);
    size_t lines = 0;
    for (size_t i = 0; i < a.len; i++)
        lines += a.data[i] == '\n';
    ck_assert_uint_eq(lines, 40);
    fn_buf_reset(&b);
    sim_config_render(&b, &dev, 6, 40);
    ck_assert_str_ne(a.data, b.data);
    fn_buf_cleanup(&a);
    fn_buf_cleanup(&b);
}
END_TEST

START_TEST(fault_drop_cuts_output)
{
    sim_cli_t c;
    sim_cli_init(&c, &dev, &opts, "admin", SIM_F_DROP);
    sim_cli_start(&c);
    ck_assert_int_eq(type_str(&c, "terminal length 0\r"), SIM_CLI_CONTINUE);
    ck_assert_int_eq(type_str(&c, "show version\r"), SIM_CLI_DROP);
    ck_assert_ptr_null(strstr(c.out.data, "Configuration register"));
    sim_cli_cleanup(&c);
}
END_TEST

START_TEST(fault_hang_and_dropidle)
{
    sim_cli_t c;
    sim_cli_init(&c, &dev, &opts, "admin", SIM_F_HANG);
    sim_cli_start(&c);
    type_str(&c, "terminal length 0\rshow clock\rshow clock\r");
    ck_assert_int_eq(c.state, SIM_CLI_HUNG);
    ck_assert_ptr_null(strstr(c.out.data, "2026\r\ncisco_ios-3>"));
    sim_cli_cleanup(&c);
    sim_cli_init(&c, &dev, &opts, "admin", SIM_F_DROPIDLE);
    sim_cli_start(&c);
    ck_assert_int_eq(type_str(&c, "show clock\r"), SIM_CLI_DROP);
    ck_assert_ptr_nonnull(strstr(c.out.data, "2026\r\ncisco_ios-3>"));
    sim_cli_cleanup(&c);
}
END_TEST

START_TEST(faults_parse_and_spread)
{
    sim_faults_t f;
    char err[128];
    ck_assert_int_eq(sim_faults_parse(&f, "bogus=1%", err, 128), FN_EPARSE);
    ck_assert_int_eq(sim_faults_parse(&f, "drop=60%,hang=50%", err, 128),
                     FN_EPARSE);
    ck_assert_int_eq(sim_faults_parse(&f, "authfail=5%,refuse=0.5", err, 128),
                     0);
    unsigned n = 200000, auth = 0, refuse = 0;
    for (unsigned i = 0; i < n; i++) {
        int k = sim_fault_of(&f, 42, i);
        ck_assert_int_eq(k, sim_fault_of(&f, 42, i));
        auth += k == SIM_F_AUTHFAIL;
        refuse += k == SIM_F_REFUSE;
    }
    ck_assert_uint_gt(auth, n * 45 / 1000);
    ck_assert_uint_lt(auth, n * 55 / 1000);
    ck_assert_uint_gt(refuse, n * 4 / 1000);
    ck_assert_uint_lt(refuse, n * 6 / 1000);
}
END_TEST

/* ---- candidate configurations (Junos, IOS-XR, EOS sessions) ---------- */

static const char *added(void)
{
    return dev.added.data ? dev.added.data : "";
}

static void setup_junos(void)
{
    setup_vendor("juniper_junos");
}

static void setup_iosxr(void)
{
    setup_vendor("cisco_iosxr");
}

static void setup_eos(void)
{
    setup_vendor("arista_eos");
}

START_TEST(junos_candidate_until_commit)
{
    /* an error line: the real text, nothing recorded anywhere */
    char *out = session_output("configure\rset foo bar\rbogus\r"
                               "set system host-name r9\rexit\ryes\r",
                               7, 0);
    ck_assert_ptr_nonnull(strstr(out, "\r\nsyntax error.\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "\r\nunknown command.\r\n"));
    ck_assert_msg(strstr(out, "Exit with uncommitted changes?") != NULL, "%s",
                  out);
    ck_assert_str_eq(added(), "");
    ck_assert_str_eq(dev.cand.data, "set system host-name r9\n");
    free(out);
    /* the shared candidate outlives the session; rollback 0 drops it */
    out =
        session_output("configure\rshow | compare\rrollback 0\rexit\r", 64, 0);
    ck_assert_ptr_nonnull(strstr(out, "+set system host-name r9\r\n"));
    ck_assert_ptr_null(strstr(out, "uncommitted"));
    ck_assert_uint_eq(dev.cand.len, 0);
    ck_assert_str_eq(added(), "");
    free(out);
    out = session_output("configure\rset system ntp server 192.0.2.1\r"
                         "commit\rexit\r",
                         64, 0);
    ck_assert_ptr_nonnull(strstr(out, "commit complete"));
    ck_assert_str_eq(added(), "set system ntp server 192.0.2.1\n");
    free(out);
}
END_TEST

START_TEST(junos_failed_commit_applies_nothing)
{
    char *out = session_output("configure\rset interfaces ge-0/0/1 "
                               "description FAIL-AT-COMMIT\rcommit\r",
                               64, 0);
    ck_assert_ptr_nonnull(
        strstr(out, "error: configuration check-out failed\r\n"));
    ck_assert_ptr_null(strstr(out, "commit complete"));
    ck_assert_str_eq(added(), "");
    ck_assert_uint_gt(dev.cand.len, 0);
    free(out);
}
END_TEST

START_TEST(iosxr_end_asks_abort_discards)
{
    char *out = session_output("configure\rhostname r1\rend\rno\r", 64, 0);
    ck_assert_ptr_nonnull(
        strstr(out, "Uncommitted changes found, commit them before "
                    "exiting(yes/no/cancel)? [cancel]:no\r\n"
                    "RP/0/RSP0/CPU0:cisco_iosxr-3#"));
    ck_assert_str_eq(added(), "");
    free(out);
    out = session_output("configure\rhostname r2\rabort\rshow running-config\r",
                         64, 0);
    ck_assert_ptr_null(strstr(out, "\r\nhostname r2\r\n"));
    ck_assert_str_eq(added(), "");
    free(out);
    /* cancel stays in configuration mode; a failing commit keeps it all */
    out = session_output("configure\rhostname FAIL-AT-COMMIT\rend\r\r"
                         "commit\rend\rno\r",
                         64, 0);
    ck_assert_ptr_nonnull(strstr(out, "[cancel]:\r\nRP/0/RSP0/CPU0:"
                                      "cisco_iosxr-3(config)#"));
    ck_assert_ptr_nonnull(strstr(out, "% Failed to commit one or more"));
    ck_assert_str_eq(added(), "");
    free(out);
    out = session_output("conf\rinterface Gi0/0/0/1\rdescription up\r"
                         "end\ryes\r",
                         3, 0);
    ck_assert_str_eq(added(), "interface Gi0/0/0/1\n description up\n");
    free(out);
    /* the candidate is the session's: a dropped session loses it */
    out = session_output("configure\rhostname r3\r", 64, 0);
    free(out);
    out = session_output("configure\rcommit\rend\r", 64, 0);
    ck_assert_ptr_null(strstr(out, "Uncommitted"));
    ck_assert_str_eq(added(), "interface Gi0/0/0/1\n description up\n");
    free(out);
}
END_TEST

START_TEST(eos_session_commit_and_abort)
{
    char *out = session_output("enable\renable\rconfigure session s1\r"
                               "hostname r1\rbogus line\r"
                               "show session-config diffs\rabort\r",
                               64, 0);
    ck_assert_ptr_nonnull(strstr(out, "arista_eos-3(config-s-s1)#"));
    ck_assert_ptr_nonnull(strstr(out, "\r\n% Invalid input\r\n"));
    ck_assert_ptr_nonnull(strstr(out, "+hostname r1\r\n"));
    ck_assert_str_eq(added(), "");
    free(out);
    out = session_output("enable\renable\rconfigure session s2\r"
                         "interface Et1\rmtu 9000\rcommit\r",
                         64, 0);
    ck_assert_ptr_nonnull(strstr(out, "(config-s-s2-if-Et1)#"));
    ck_assert_str_eq(added(), "interface Et1\n   mtu 9000\n");
    free(out);
    /* "configure session" alone: a fresh, generated name */
    out = session_output("enable\renable\rconfigure session\rhostname r6\r"
                         "abort\rconfigure session\rhostname r7\rcommit\r",
                         64, 0);
    ck_assert_ptr_nonnull(strstr(out, "arista_eos-3(config-s-s1)#"));
    ck_assert_ptr_nonnull(strstr(out, "arista_eos-3(config-s-s2)#"));
    ck_assert_ptr_null(strstr(added(), "hostname r6"));
    ck_assert_ptr_nonnull(strstr(added(), "hostname r7\n"));
    free(out);
    /* configure terminal still applies line by line */
    out = session_output("enable\renable\rconf t\rhostname r5\r", 64, 0);
    ck_assert_ptr_nonnull(strstr(added(), "hostname r5\n"));
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_cli");
    TCase *t = tcase_create("pure");
    tcase_add_test(t, every_vendor_loads);
    tcase_add_test(t, faults_parse_and_spread);
    suite_add_tcase(s, t);
    TCase *ios = tcase_create("cisco_ios");
    tcase_add_checked_fixture(ios, setup_ios, teardown_vendor);
    tcase_add_test(ios, one_byte_feed_equals_whole_feed);
    tcase_add_test(ios, echo_backspace_and_typeahead);
    tcase_add_test(ios, ios_lone_word_is_translated);
    tcase_add_test(ios, password_not_echoed);
    tcase_add_test(ios, pager_pages_and_quits);
    tcase_add_test(ios, config_lines_are_recorded);
    tcase_add_test(ios, config_is_deterministic);
    tcase_add_test(ios, fault_drop_cuts_output);
    tcase_add_test(ios, fault_hang_and_dropidle);
    suite_add_tcase(s, ios);
    TCase *junos = tcase_create("juniper_junos");
    tcase_add_checked_fixture(junos, setup_junos, teardown_vendor);
    tcase_add_test(junos, junos_candidate_until_commit);
    tcase_add_test(junos, junos_failed_commit_applies_nothing);
    suite_add_tcase(s, junos);
    TCase *xr = tcase_create("cisco_iosxr");
    tcase_add_checked_fixture(xr, setup_iosxr, teardown_vendor);
    tcase_add_test(xr, iosxr_end_asks_abort_discards);
    suite_add_tcase(s, xr);
    TCase *eos = tcase_create("arista_eos");
    tcase_add_checked_fixture(eos, setup_eos, teardown_vendor);
    tcase_add_test(eos, eos_session_commit_and_abort);
    suite_add_tcase(s, eos);
    return fn_check_run(s);
}
