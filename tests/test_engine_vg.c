/*
 * test_engine_vg.c — a 50-device mixed-vendor run (connect, paging off,
 * show command, backup) small enough for valgrind memcheck; ctest runs
 * it natively and as test_engine_valgrind (label no_asan, CK_FORK=no).
 *
 * Also: command timeouts fire while output streams faster than the
 * engine reads it. Ports 24000-24052. Single-threaded. The simulator is killed
 * by pid.
 */
#include "test_engine_util.c"

#include <check.h>
#include <limits.h>
#include <time.h>
#include "fn_check.h"

START_TEST(test_fifty_devices_clean)
{
    char dir[] = "/tmp/fn-engine-vg-XXXXXX", inv[PATH_MAX];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(inv, sizeof(inv), "%s/inv.ini", dir);
    const char *args[] = {"--devices",       "50",       "--base-port",
                          "24000",           "--vendor", "mix",
                          "--inventory-out", inv,        "--faults",
                          "dropidle=10%",    NULL};
    pid_t pid = 0;
    ck_assert_int_eq(tu_sim_start(args, &pid), 0);
    fn_vendors_t *vs = NULL;
    char err[256];
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, err, sizeof(err)), 0);
    fn_inventory_t *inventory = NULL;
    const fn_host_t **hosts = NULL;
    size_t nh = 0;
    ck_assert_int_eq(tu_inventory(inv, vs, &inventory, &hosts, &nh), 0);
    ck_assert_uint_eq(nh, 50);
    fn_step_t steps[] = {{.kind = FN_STEP_BACKUP}, {.kind = FN_STEP_BACKUP}};
    fn_task_spec_t spec = {
        .task_id = "vg",
        .hosts = hosts,
        .nhosts = nh,
        .steps = steps,
        .nsteps = 2,
        .creds = {.password = "admin", .enable_password = "enable"},
        .connect_timeout_ms = 30000,
        .auth_timeout_ms = 30000,
        .command_timeout_ms = 60000};
    tu_rec_t rec;
    tu_rec_init(&rec, nh);
    ck_assert_int_eq(tu_run(vs, &spec, &rec, err, sizeof(err)), 0);
    ck_assert_int_eq(rec.sum.status, FN_TASK_DONE);
    ck_assert_uint_eq(rec.sum.connected, 50);
    ck_assert_uint_eq(rec.sum.ok, 50);
    ck_assert_uint_eq(rec.nbackups, 100);
    for (size_t i = 0; i < rec.nbackups; i++)
        ck_assert_uint_gt(strlen(rec.backups[i].text), 100);
    tu_rec_free(&rec);
    free(hosts);
    fn_inventory_free(inventory);
    fn_vendors_free(vs);
    tu_sim_stop(pid);
    snprintf(err, sizeof(err), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(err), 0);
}
END_TEST

/* Command timeouts fire while a device is still streaming, even when
 * the engine is the slow side (valgrind makes it so): capped reads come
 * back in the next loop iteration, so the timers get their turn. Before,
 * the session re-activated itself within one pass: under valgrind these
 * 700 ms timeouts never fired and each 480 KB output completed (~25 s). */
START_TEST(test_timeout_fires_while_streaming)
{
    const char *args[] = {"--devices",     "3",        "--base-port",
                          "24050",         "--vendor", "cisco_ios",
                          "--chunk-bytes", "1",        "--config-lines",
                          "20000",         NULL};
    pid_t pid = 0;
    ck_assert_int_eq(tu_sim_start(args, &pid), 0);
    fn_vendors_t *vs = NULL;
    char err[256];
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, err, sizeof(err)), 0);
    const char *text = "[g]\n127.0.0.1:24050 vendor=cisco_ios\n"
                       "127.0.0.1:24051 vendor=cisco_ios\n"
                       "127.0.0.1:24052 vendor=cisco_ios\n";
    fn_inventory_t *inventory = NULL;
    ck_assert_int_eq(fn_inventory_parse(&inventory, text, strlen(text), 0, NULL,
                                        vs, err, sizeof(err)),
                     0);
    const fn_host_t *hosts[3];
    for (size_t i = 0; i < 3; i++)
        hosts[i] = fn_inventory_at(inventory, i);
    const char *cmd[] = {"show running-config"};
    fn_step_t step = {
        .kind = FN_STEP_COMMANDS, .commands = cmd, .ncommands = 1};
    fn_task_spec_t spec = tu_spec("stream", hosts, 3, &step, 1);
    spec.connect_timeout_ms = 30000;
    spec.auth_timeout_ms = 30000;
    spec.command_timeout_ms = 700;
    tu_rec_t rec;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tu_run_ok(vs, &spec, &rec);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_uint_eq(rec.nres, 3);
    for (size_t i = 0; i < rec.nres; i++)
        ck_assert_msg(rec.res[i].code == FN_EXIT_TIMEOUT, "%s: exit %d",
                      rec.res[i].host, rec.res[i].code);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 20);
    tu_rec_free(&rec);
    fn_inventory_free(inventory);
    fn_vendors_free(vs);
    tu_sim_stop(pid);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("engine_vg");
    TCase *tc = tcase_create("fifty");
    tcase_set_timeout(tc, 280);
    tcase_add_test(tc, test_fifty_devices_clean);
    tcase_add_test(tc, test_timeout_fires_while_streaming);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
