/*
 * test_engine_config.c — a CONFIG step is safe by default: a failing
 * line stops it (no later line is sent, nothing is committed), the
 * candidate is discarded where the OS has one, config mode is left, and
 * the results say which line failed and what became of the others.
 * `on_error = CONTINUE` is the explicit opposite. Checked against
 * flexnet-sim's running configuration, per vendor.
 *
 * Ports 26000-26099 (a sub-range of the engine's 22000-27999), one
 * simulator per case. Single-threaded; CK_FORK as the runner decides.
 */
#include "test_engine_util.c"
#include "test_engine_fixture.c"

#include <check.h>

/* A vendor, its good lines (the sim records them in the running config)
 * and a line its CLI refuses. */
typedef struct cfg_case {
    const char *vendor;
    const char *good1, *bad, *good3;
    int candidate; /* lines apply on commit only */
    int commit;    /* the profile has a commit command */
} cfg_case_t;

static const cfg_case_t cases[] = {
    {"cisco_ios", "ntp server 10.9.9.1", "flexnet bogus line",
     "ntp server 10.9.9.3", 0, 0},
    {"cisco_nxos", "ip domain-name one.example", "flexnet bogus line",
     "ip domain-name three.example", 0, 0},
    {"huawei_vrp", "ntp-service unicast-server 10.9.9.1", "flexnet bogus line",
     "ntp-service unicast-server 10.9.9.3", 0, 0},
    {"mikrotik_routeros", "/system ntp client set enabled=yes",
     "/flexnet bogus line", "/snmp set enabled=yes", 0, 0},
    /* flexnet-sim keeps a candidate for these: nothing reaches the
     * running configuration unless committed */
    {"juniper_junos", "set system ntp server 10.9.9.1", "set flexnet bogus",
     "set system ntp server 10.9.9.3", 1, 1},
    {"cisco_iosxr", "ntp server 10.9.9.1", "flexnet bogus line",
     "ntp server 10.9.9.3", 1, 1},
    {"arista_eos", "ntp server 10.9.9.1", "flexnet bogus line",
     "ntp server 10.9.9.3", 1, 1},
};

typedef struct fleet {
    char inv[PATH_MAX];
    pid_t pid;
    fn_inventory_t *inventory;
    const fn_host_t **hosts;
    size_t n;
} fleet_t;

static void fleet_open(fleet_t *f, unsigned port, const char *vendor)
{
    memset(f, 0, sizeof(*f));
    tmp(f->inv, sizeof(f->inv), "inv.ini");
    f->pid = start_sim(1, port, vendor, f->inv, NULL);
    ck_assert_int_eq(tu_inventory(f->inv, vs, &f->inventory, &f->hosts, &f->n),
                     0);
}

static void fleet_close(fleet_t *f)
{
    free(f->hosts);
    fn_inventory_free(f->inventory);
    tu_sim_stop(f->pid);
}

/* One device of c->vendor at port: a CONFIG step [good1, bad, good3]
 * (on_error as given), then a backup. */
static void run_cfg(const cfg_case_t *c, unsigned port, int on_error,
                    tu_rec_t *rec, fleet_t *f)
{
    fleet_open(f, port, c->vendor);
    static const char *lines[3];
    lines[0] = c->good1;
    lines[1] = c->bad;
    lines[2] = c->good3;
    static fn_step_t steps[2];
    steps[0] = (fn_step_t){.kind = FN_STEP_CONFIG,
                           .commands = lines,
                           .ncommands = 3,
                           .on_error = on_error};
    steps[1] = (fn_step_t){.kind = FN_STEP_BACKUP};
    fn_task_spec_t spec = tu_spec("cfg", f->hosts, f->n, steps, 2);
    tu_run_ok(vs, &spec, rec);
}

START_TEST(test_config_stops_at_failing_line)
{
    const cfg_case_t *c = &cases[_i];
    fleet_t f;
    tu_rec_t rec;
    run_cfg(c, 26000 + (unsigned)_i, 0, &rec, &f);
    const char *h = fn_host_name(f.hosts[0]);
    const tu_res_t *r0 = tu_res(&rec, h, 0, 0), *r1 = tu_res(&rec, h, 0, 1),
                   *r2 = tu_res(&rec, h, 0, 2);
    ck_assert_msg(r0 && r0->code == 0, "%s line 1: %d", c->vendor,
                  r0 ? r0->code : 99);
    ck_assert_msg(r1 && r1->code == 1, "%s line 2", c->vendor);
    ck_assert_msg(strstr(r1->reason, "config line 2 of 3 failed"), "%s: %s",
                  c->vendor, r1->reason);
    ck_assert_msg(strstr(r1->reason, c->candidate ? "nothing committed"
                                                  : "1 line(s) before it "
                                                    "were applied"),
                  "%s: %s", c->vendor, r1->reason);
    ck_assert_msg(r2 && r2->code == -2 && strstr(r2->reason, "line 2 failed"),
                  "%s line 3: %d %s", c->vendor, r2 ? r2->code : 99,
                  r2 ? r2->reason : "");
    const tu_res_t *rc = tu_res(&rec, h, 0, 3);
    if (c->commit)
        ck_assert_msg(rc && rc->code == -2 &&
                          strstr(rc->reason, "not "
                                             "committed"),
                      "%s commit: %s", c->vendor, rc ? rc->reason : "none");
    else
        ck_assert_ptr_null(rc);
    /* the running configuration: line 1 only where lines apply at once,
     * nothing where the candidate was discarded; never line 3 */
    const tu_backup_t *b = tu_backup(&rec, h);
    ck_assert_msg(b, "%s: no backup", c->vendor);
    ck_assert_msg(!strstr(b->text, c->good3), "%s: line 3 applied", c->vendor);
    ck_assert_msg((strstr(b->text, c->good1) != NULL) == !c->candidate,
                  "%s: line 1 %s", c->vendor,
                  c->candidate ? "committed" : "missing");
    ck_assert_int_eq(tu_res(&rec, h, 1, 0)->code, 0); /* still usable */
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

START_TEST(test_config_on_error_continue)
{
    const cfg_case_t *c = &cases[_i];
    fleet_t f;
    tu_rec_t rec;
    run_cfg(c, 26050 + (unsigned)_i, FN_ON_ERROR_CONTINUE, &rec, &f);
    const char *h = fn_host_name(f.hosts[0]);
    ck_assert_int_eq(tu_res(&rec, h, 0, 1)->code, 1);
    ck_assert_int_eq(tu_res(&rec, h, 0, 2)->code, 0);
    const tu_backup_t *b = tu_backup(&rec, h);
    ck_assert_msg(b && strstr(b->text, c->good1) && strstr(b->text, c->good3),
                  "%s: both good lines applied", c->vendor);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* honest reasons: enable, and a backup that is no configuration */

/* One device of vendor at port: [config line] (none when NULL), then a
 * backup, with the given enable password (NULL: none). */
static void run_priv(const char *vendor, unsigned port, const char *line,
                     const char *enable, tu_rec_t *rec, fleet_t *f)
{
    fleet_open(f, port, vendor);
    static const char *lines[1];
    lines[0] = line;
    static fn_step_t steps[2];
    steps[0] =
        (fn_step_t){.kind = FN_STEP_CONFIG, .commands = lines, .ncommands = 1};
    steps[1] = (fn_step_t){.kind = FN_STEP_BACKUP};
    fn_task_spec_t spec = line ? tu_spec("priv", f->hosts, f->n, steps, 2)
                               : tu_spec("priv", f->hosts, f->n, steps + 1, 1);
    spec.creds.enable_password = enable;
    tu_run_ok(vs, &spec, rec);
}

/* A wrong enable password: the config step and the backup say so (they
 * said "config mode refused" and "% Invalid input"). */
START_TEST(test_enable_failed_is_the_reason)
{
    /* VRP: backup only (its system-view works at any level) */
    static const struct {
        const char *vendor, *line, *enable, *want;
    } pc[] = {
        {"cisco_ios", "ntp server 10.9.9.1", "wrong", "enable failed"},
        {"cisco_ios", "ntp server 10.9.9.1", NULL, "no enable password"},
        {"huawei_vrp", NULL, "wrong", "enable failed"},
    };
    fleet_t f;
    tu_rec_t rec;
    run_priv(pc[_i].vendor, 26060 + (unsigned)_i, pc[_i].line, pc[_i].enable,
             &rec, &f);
    const char *h = fn_host_name(f.hosts[0]);
    unsigned bstep = pc[_i].line ? 1 : 0;
    const tu_res_t *c = tu_res(&rec, h, 0, 0), *b = tu_res(&rec, h, bstep, 0);
    ck_assert_msg(
        c && (!pc[_i].line || (c->code != 0 && strstr(c->reason, pc[_i].want))),
        "%s config: %d %s", pc[_i].vendor, c ? c->code : 99,
        c ? c->reason : "");
    ck_assert_msg(b && b->code == 1 && strstr(b->reason, pc[_i].want),
                  "%s backup: %d %s", pc[_i].vendor, b ? b->code : 99,
                  b ? b->reason : "");
    ck_assert_ptr_null(tu_backup(&rec, h));
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* VRP's super keeps the prompt <r1>: a right password is a success (it
 * was reported "enable failed: still in user mode"). */
START_TEST(test_vrp_super_success)
{
    fleet_t f;
    tu_rec_t rec;
    run_priv("huawei_vrp", 26070, NULL, "enable", &rec, &f);
    const char *h = fn_host_name(f.hosts[0]);
    ck_assert_int_eq(tu_res(&rec, h, 0, 0)->code, 0);
    ck_assert_ptr_nonnull(tu_backup(&rec, h));
    ck_assert_uint_eq(rec.enable_failed, 0);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* A backup command whose output is no configuration is a failed backup,
 * not a stored one. */
START_TEST(test_backup_not_a_config)
{
    fleet_t f;
    fleet_open(&f, 26071, "juniper_junos");
    static const char *cmd[] = {"show version"};
    fn_step_t step = {.kind = FN_STEP_BACKUP, .commands = cmd, .ncommands = 1};
    fn_task_spec_t spec = tu_spec("marker", f.hosts, f.n, &step, 1);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    const char *h = fn_host_name(f.hosts[0]);
    const tu_res_t *r = tu_res(&rec, h, 0, 0);
    ck_assert_msg(r && r->code == 1 && strstr(r->reason, "not stored"), "%s",
                  r ? r->reason : "");
    ck_assert_ptr_null(tu_backup(&rec, h));
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* An inventory that says become=false (Ansible's ansible_become): no
 * enable even with an enable password, and no "enable failed". */
START_TEST(test_become_false_skips_enable)
{
    pid_t pid = start_sim(1, 26072, "cisco_ios", NULL, NULL);
    char inv[PATH_MAX];
    tmp(inv, sizeof(inv), "become.ini");
    FILE *f = fopen(inv, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[g]\n127.0.0.1:26072 vendor=cisco_ios become=false\n", f);
    fclose(f);
    fn_inventory_t *inventory;
    const fn_host_t **hosts;
    size_t n;
    ck_assert_int_eq(tu_inventory(inv, vs, &inventory, &hosts, &n), 0);
    static const char *cmds[] = {"show version"};
    fn_step_t steps[2] = {
        {.kind = FN_STEP_COMMANDS, .commands = cmds, .ncommands = 1},
        {.kind = FN_STEP_BACKUP}};
    fn_task_spec_t spec = tu_spec("become", hosts, n, steps, 2);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    const char *h = fn_host_name(hosts[0]);
    ck_assert_int_eq(tu_res(&rec, h, 0, 0)->code, 0);
    ck_assert_int_eq(tu_res(&rec, h, 1, 0)->code, 1); /* user mode */
    ck_assert_uint_eq(rec.enable_failed, 0);
    tu_rec_free(&rec);
    free(hosts);
    fn_inventory_free(inventory);
    tu_sim_stop(pid);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("engine_config");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    int n = (int)(sizeof(cases) / sizeof(cases[0]));
    tcase_add_loop_test(tc, test_config_stops_at_failing_line, 0, n);
    tcase_add_loop_test(tc, test_config_on_error_continue, 0, n);
    tcase_add_loop_test(tc, test_enable_failed_is_the_reason, 0, 3);
    tcase_add_test(tc, test_vrp_super_success);
    tcase_add_test(tc, test_backup_not_a_config);
    tcase_add_test(tc, test_become_false_skips_enable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(config_suite());
}
