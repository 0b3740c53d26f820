/*
 * test_engine_fixture.c — what the engine's Check suites over flexnet-sim
 * share: the vendor registry and a temp dir per case (setup/teardown),
 * starting a simulator, and main().
 *
 * Test-only, single thread. Included (#include) after
 * test_engine_util.c by each suite: one translation unit per test binary.
 * Owns the registry and the temp dir of the running case.
 */
#include <check.h>
#include <limits.h>
#include "fn_check.h"

static fn_vendors_t *vs;
static char tmpdir[64];

static void setup(void)
{
    char err[256];
    ck_assert_int_eq(fn_vendors_new(&vs, NULL, err, sizeof(err)), 0);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/fn-engine-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    fn_vendors_free(vs);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The path of name inside the case's temp dir. */
static void tmp(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

/* A sim with N devices at port P, vendor V, writing its inventory to inv
 * (NULL: none), plus extra args. */
static pid_t start_sim(unsigned n, unsigned port, const char *vendor,
                       const char *inv, const char *const *extra)
{
    char ns[16], ps[16];
    snprintf(ns, sizeof(ns), "%u", n);
    snprintf(ps, sizeof(ps), "%u", port);
    const char *args[40] = {"--devices", ns,     "--base-port",     ps,
                            "--vendor",  vendor, "--inventory-out", inv};
    size_t k = inv ? 8 : 6;
    for (size_t x = 0; extra && extra[x] && k < 38; x++)
        args[k++] = extra[x];
    args[k] = NULL;
    pid_t pid = 0;
    ck_assert_msg(tu_sim_start(args, &pid) == 0, "flexnet-sim did not start");
    return pid;
}

/* Runs the suite; the exit status for ctest. */
static int run_suite(Suite *s)
{
    signal(SIGPIPE, SIG_IGN);
    return fn_check_run(s);
}
