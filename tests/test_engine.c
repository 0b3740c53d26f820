/*
 * test_engine.c — engine end-to-end suite over real SSH against
 * flexnet-sim: transcript parity on a mixed fleet (also with 1-byte
 * chunks), fault handling, reconnects, legacy algorithms, host keys,
 * credentials (password_env), a YAML inventory, session limits,
 * config steps and conditions, connect-first, cancel; plus the spec
 * checks that need no simulator.
 *
 * Each case starts its own simulator on its own ports (engine range
 * 22000-27999) and kills it by pid. Expected outputs come from the
 * simulator's own CLI code (test_engine_oracle.c), never from vendors/.
 * Single-threaded; CK_FORK as the runner decides.
 */
#include "test_engine_util.c"
#include "test_engine_fixture.c"
#include "test_engine_oracle.c"

#include "fn_log.h"
#include "fn_store.h"
#include "fn_time.h"

#include <check.h>
#include <event2/event.h>
#include <limits.h>

static const char *datadir(void)
{
    static char d[PATH_MAX];
    const char *src = getenv("FN_TEST_SRC");
    snprintf(d, sizeof(d), "%s/sim/vendors", src ? src : ".");
    return d;
}

/* A simulator plus the inventory it wrote, loaded and fully selected. */
typedef struct fleet {
    pid_t pid;
    char inv[PATH_MAX];
    fn_inventory_t *inventory;
    const fn_host_t **hosts;
    size_t n;
} fleet_t;

static void fleet_open(fleet_t *f, unsigned n, unsigned port,
                       const char *vendor, const char *const *extra)
{
    memset(f, 0, sizeof(*f));
    tmp(f->inv, sizeof(f->inv), "inv.ini");
    f->pid = start_sim(n, port, vendor, f->inv, extra);
    ck_assert_int_eq(tu_inventory(f->inv, vs, &f->inventory, &f->hosts, &f->n),
                     0);
    ck_assert_uint_eq(f->n, n);
}

/* Same devices, new simulator process (e.g. another host key). */
static void fleet_restart(fleet_t *f, unsigned port, const char *vendor,
                          const char *const *extra)
{
    tu_sim_stop(f->pid);
    f->pid = start_sim((unsigned)f->n, port, vendor, f->inv, extra);
}

static void fleet_close(fleet_t *f)
{
    free(f->hosts);
    fn_inventory_free(f->inventory);
    tu_sim_stop(f->pid);
}

/* ------------------------------------------------------------------ */
/* transcript parity */

/* One command every vendor's simulator knows, and one none does. */
static const char *show_cmd(const char *vendor)
{
    if (!strcmp(vendor, "huawei_vrp"))
        return "display version";
    if (!strcmp(vendor, "mikrotik_routeros"))
        return "/system resource print";
    return "show version";
}

static const char *const bad_cmd = "show flexnet-bogus";

/* Strips trailing newlines for the comparison (the matcher may keep or
 * drop the last line end; the content must be identical). */
static int same_text(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la && a[la - 1] == '\n')
        la--;
    while (lb && b[lb - 1] == '\n')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

static void check_device(oracle_t *o, const tu_rec_t *rec, const char *host,
                         unsigned base, unsigned *zeros, unsigned *ones)
{
    unsigned idx = tu_port(host) - base;
    const char *vendor = oracle_vendor(o, idx);
    const fn_vendor_t *fv = fn_vendors_find(vs, vendor);
    const char *cmds[3] = {show_cmd(vendor), bad_cmd,
                           fn_vendor_backup_command(fv)};
    oracle_out_t want[3];
    ck_assert_int_eq(oracle_run(o, idx, cmds, 3, want), 0);
    const tu_conn_t *c = tu_conn(rec, host);
    ck_assert_msg(c && c->status == FN_CONNECT_OK, "%s: %s", host,
                  c ? c->reason : "no row");
    for (unsigned i = 0; i < 2; i++) {
        const tu_res_t *r = tu_res(rec, host, 0, i);
        ck_assert_msg(r, "%s: no result for %s", host, cmds[i]);
        ck_assert_str_eq(r->cmd, cmds[i]);
        ck_assert_msg(r->code == want[i].is_error,
                      "%s '%s': exit %d want %d"
                      " (err '%s')",
                      host, cmds[i], r->code, want[i].is_error, r->err);
        if (want[i].is_error) {
            /* stderr: the echo line as the screen shows it (prompt +
             * command), then exactly what the device printed (caret
             * marker, error line); stdout: nothing */
            char wanterr[2048];
            snprintf(wanterr, sizeof(wanterr), "%s\n%s", want[i].echo,
                     want[i].body);
            ck_assert_msg(strstr(r->err, want[i].errline),
                          "%s '%s': stderr '%s' lacks '%s'", host, cmds[i],
                          r->err, want[i].errline);
            ck_assert_msg(same_text(r->err, wanterr),
                          "%s '%s': stderr differs:\n[%s]\nwant:\n[%s]", host,
                          cmds[i], r->err, wanterr);
            ck_assert_msg(same_text(r->out, ""), "%s '%s': stdout [%s]", host,
                          cmds[i], r->out);
            (*ones)++;
        } else {
            ck_assert_msg(same_text(r->out, want[i].body),
                          "%s '%s': stdout differs:\n[%s]\nwant:\n[%s]", host,
                          cmds[i], r->out, want[i].body);
            ck_assert_str_eq(r->err, "");
            (*zeros)++;
        }
    }
    const tu_res_t *r = tu_res(rec, host, 1, 0);
    ck_assert_msg(r && r->code == 0, "%s: backup exit %d", host,
                  r ? r->code : 99);
    const tu_backup_t *b = tu_backup(rec, host);
    char *wantb = oracle_backup(vendor, want[2].body);
    ck_assert_msg(b && same_text(b->text, wantb),
                  "%s: backup differs:\n[%s]\nwant:\n[%s]", host,
                  b ? b->text : "(none)", wantb);
    free(wantb);
    oracle_out_free(want, 3);
}

static void parity_run(unsigned n, unsigned port, const char *chunk)
{
    const char *extra[] = {"--chunk-bytes", chunk, NULL};
    fleet_t f;
    fleet_open(&f, n, port, "mix", chunk ? extra : NULL);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    ck_assert_uint_eq(nh, n);
    /* the show command differs per vendor: one task per vendor group */
    const char *cmds[SIM_NVENDORS][2];
    const char **only[SIM_NVENDORS];
    size_t nonly[SIM_NVENDORS] = {0};
    fn_step_t steps[SIM_NVENDORS + 1];
    for (int v = 0; v < SIM_NVENDORS; v++) {
        only[v] = calloc(n, sizeof(char *));
        cmds[v][0] = show_cmd(sim_vendor_names[v]);
        cmds[v][1] = bad_cmd;
    }
    for (size_t i = 0; i < nh; i++) {
        const char *vn = fn_host_vendor(hosts[i]);
        for (int v = 0; v < SIM_NVENDORS; v++)
            if (!strcmp(vn, sim_vendor_names[v]))
                only[v][nonly[v]++] = fn_host_name(hosts[i]);
    }
    tu_rec_t rec;
    tu_rec_init(&rec, n);
    unsigned zeros = 0, ones = 0;
    oracle_t *o = oracle_new(datadir(), "mix", port, vs);
    ck_assert_ptr_nonnull(o);
    for (int v = 0; v < SIM_NVENDORS; v++) {
        if (!nonly[v])
            continue;
        steps[0] = (fn_step_t){
            .kind = FN_STEP_COMMANDS, .commands = cmds[v], .ncommands = 2};
        steps[1] = (fn_step_t){.kind = FN_STEP_BACKUP};
        const fn_host_t *sel[2048];
        for (size_t k = 0; k < nonly[v]; k++)
            sel[k] = fn_inventory_find(f.inventory, only[v][k]);
        fn_task_spec_t spec =
            tu_spec(sim_vendor_names[v], sel, nonly[v], steps, 2);
        /* parity: the device's text byte for byte (redaction has its
         * own tests: test_vendors_profiles, test_cli_redact) */
        spec.redact = FN_REDACT_NONE;
        /* parity, not speed: generous on a loaded (ASan) machine */
        spec.connect_timeout_ms = 30000;
        spec.auth_timeout_ms = 30000;
        char err[256];
        ck_assert_int_eq(tu_run(vs, &spec, &rec, err, sizeof(err)), 0);
        ck_assert_int_eq(rec.sum.status, FN_TASK_DONE);
    }
    ck_assert_uint_eq(rec.nconns, n);
    for (size_t i = 0; i < nh; i++)
        check_device(o, &rec, fn_host_name(hosts[i]), port, &zeros, &ones);
    ck_assert_uint_eq(ones, n); /* every bogus command: exit 1 */
    ck_assert_uint_ge(zeros, n / 2);
    oracle_free(o);
    for (int v = 0; v < SIM_NVENDORS; v++)
        free(only[v]);
    tu_rec_free(&rec);
    fleet_close(&f);
}

START_TEST(test_parity_mixed_1000)
{
    parity_run(1000, 22000, NULL);
}
END_TEST

START_TEST(test_parity_chunk_bytes_1)
{
    parity_run(70, 23000, "1");
}
END_TEST

/* ------------------------------------------------------------------ */
/* faults */

typedef struct fault_row {
    unsigned port;
    char fault[32];
} fault_row_t;

static size_t read_faults(const char *path, fault_row_t *rows, size_t max)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = 0;
    char vendor[64];
    while (n < max &&
           fscanf(f, "%u %63s %31s", &rows[n].port, vendor, rows[n].fault) == 3)
        n++;
    fclose(f);
    return n;
}

static const char *fault_of(const fault_row_t *rows, size_t n, unsigned port)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].port == port)
            return rows[i].fault;
    return "none";
}

static void check_fault(const tu_rec_t *rec, const char *host,
                        const char *fault)
{
    const tu_conn_t *c = tu_conn(rec, host);
    ck_assert_ptr_nonnull(c);
    const tu_res_t *r0 = tu_res(rec, host, 0, 0);
    const tu_res_t *r1 = tu_res(rec, host, 1, 0);
    if (!strcmp(fault, "authfail")) {
        ck_assert_int_eq(c->status, FN_CONNECT_FAILED);
        ck_assert_int_eq(c->err, FN_EAUTH);
        ck_assert_uint_eq(c->tries, 1); /* never retry a rejected password */
        ck_assert_ptr_nonnull(strstr(c->reason, "authentication failed"));
        ck_assert_ptr_null(r0);
    } else if (!strcmp(fault, "refuse")) {
        ck_assert_int_eq(c->status, FN_CONNECT_FAILED);
        ck_assert_uint_eq(c->tries, 3);
        ck_assert_msg(strstr(c->reason, "refused"), "%s", c->reason);
    } else if (!strcmp(fault, "hang")) {
        ck_assert_int_eq(c->status, FN_CONNECT_OK);
        ck_assert_msg(r0 && r0->code == FN_EXIT_TIMEOUT, "%s hang: %d", host,
                      r0 ? r0->code : 99);
        ck_assert_str_ne(r0->reason, "");
    } else if (!strcmp(fault, "drop")) {
        ck_assert_int_eq(c->status, FN_CONNECT_OK);
        ck_assert_msg(r0 && r0->code == FN_EXIT_CONNECTION, "%s drop: %d", host,
                      r0 ? r0->code : 99);
        ck_assert_msg(strstr(r0->reason, "connection lost"), "%s", r0->reason);
    } else { /* none, slowbanner, dropidle: every step succeeds */
        ck_assert_msg(c->status == FN_CONNECT_OK, "%s %s: %s", host, fault,
                      c->reason);
        ck_assert_msg(r0 && r0->code == 0, "%s %s step0: %d %s", host, fault,
                      r0 ? r0->code : 99, r0 ? r0->reason : "");
        ck_assert_msg(r1 && r1->code == 0, "%s %s step1: %d %s", host, fault,
                      r1 ? r1->code : 99, r1 ? r1->reason : "");
    }
}

START_TEST(test_faults)
{
    char fo[PATH_MAX];
    tmp(fo, sizeof(fo), "faults.txt");
    const char *extra[] = {"--faults",
                           "authfail=8%,refuse=8%,drop=8%,hang=8%,"
                           "slowbanner=8%,dropidle=8%",
                           "--faults-out",
                           fo,
                           "--slowbanner-ms",
                           "800",
                           "--seed",
                           "7",
                           NULL};
    fleet_t f;
    fleet_open(&f, 120, 23200, "cisco_ios", extra);
    fault_row_t rows[200];
    size_t nf = read_faults(fo, rows, 200);
    ck_assert_uint_gt(nf, 20);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    const char *c0[] = {"show version"}, *c1[] = {"show clock"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 1},
        {.kind = FN_STEP_COMMANDS, .commands = c1, .ncommands = 1}};
    fn_task_spec_t spec = tu_spec("faults", hosts, nh, steps, 2);
    spec.connect_timeout_ms = 8000; /* slowbanner: 0.8 s */
    spec.command_timeout_ms = 5000; /* hang: -3 after 5 s */
    tu_rec_t rec;
    tu_rec_init(&rec, nh);
    char err[256];
    int64_t t0 = fn_time_mono_us();
    ck_assert_int_eq(tu_run(vs, &spec, &rec, err, sizeof(err)), 0);
    double took = (double)(fn_time_mono_us() - t0) / 1e6;
    /* hang: 5 s per hung command, two commands; refuse: ~1 s backoff */
    ck_assert_msg(took < 45, "task took %.1f s", took);
    ck_assert_int_eq(rec.sum.status, FN_TASK_DONE);
    unsigned seen_idle = 0;
    for (size_t i = 0; i < nh; i++) {
        const char *h = fn_host_name(hosts[i]);
        const char *fault = fault_of(rows, nf, tu_port(h));
        seen_idle += !strcmp(fault, "dropidle");
        check_fault(&rec, h, fault);
    }
    ck_assert_uint_gt(seen_idle, 0);
    ck_assert_uint_ge(rec.reconnects, seen_idle);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* A device that drops between steps is reconnected; step 2 succeeds. */
START_TEST(test_dropidle_reconnects)
{
    const char *extra[] = {"--faults", "dropidle=100%", NULL};
    fleet_t f;
    fleet_open(&f, 6, 23400, "mix", extra);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    fn_step_t steps[2] = {{.kind = FN_STEP_BACKUP}, {.kind = FN_STEP_BACKUP}};
    fn_task_spec_t spec = tu_spec("dropidle", hosts, nh, steps, 2);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    for (size_t i = 0; i < nh; i++) {
        const char *h = fn_host_name(hosts[i]);
        for (unsigned st = 0; st < 2; st++) {
            const tu_res_t *r = tu_res(&rec, h, st, 0);
            ck_assert_msg(r && r->code == 0, "%s step %u: %d %s", h, st,
                          r ? r->code : 99, r ? r->reason : "");
        }
    }
    ck_assert_uint_eq(rec.reconnects, nh);
    ck_assert_uint_ge(rec.nprogress, 1); /* at least the final one */
    ck_assert_uint_eq(rec.progress.done, nh);
    ck_assert_uint_eq(rec.progress.connected, nh);
    ck_assert_uint_eq(rec.progress.running, 0);
    ck_assert_uint_eq(rec.nbackups, 2 * nh);
    ck_assert_uint_eq(rec.sum.ok, nh);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* legacy algorithms, host keys */

/* Rewrites the simulator's inventory, appending `suffix` to each host. */
static void inv_suffix(const char *in, const char *out, const char *suffix)
{
    FILE *f = fopen(in, "r"), *g = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(g);
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] && line[0] != '[')
            fprintf(g, "%s %s\n", line, suffix);
        else
            fprintf(g, "%s\n", line);
    }
    fclose(f);
    fclose(g);
}

/* Loads the inventory at path and runs "show version" on every host;
 * password NULL: the simulator's. rec gets the results. */
static void run_inv(const char *path, tu_rec_t *rec, int policy,
                    const char *password)
{
    fn_inventory_t *inventory = NULL;
    const fn_host_t **hosts = NULL;
    size_t nh = 0;
    ck_assert_int_eq(tu_inventory(path, vs, &inventory, &hosts, &nh), 0);
    const char *c0[] = {"show version"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 1}};
    fn_task_spec_t spec = tu_spec("t", hosts, nh, steps, 1);
    spec.hostkey_policy = policy;
    spec.connect_timeout_ms = 5000;
    if (password)
        spec.creds.password = password;
    char err[256];
    tu_rec_init(rec, nh);
    rec->verbose = getenv("FN_TEST_VERBOSE") != NULL;
    ck_assert_int_eq(tu_run(vs, &spec, rec, err, sizeof(err)), 0);
    free(hosts);
    fn_inventory_free(inventory);
}

START_TEST(test_legacy_algos)
{
    char inv2[PATH_MAX], key[PATH_MAX];
    tmp(inv2, sizeof(inv2), "inv-legacy.ini");
    tmp(key, sizeof(key), "rsa.key");
    const char *extra[] = {"--legacy-algos", "--hostkey", key, NULL};
    fleet_t f;
    fleet_open(&f, 4, 23500, "cisco_ios", extra);
    tu_rec_t rec;
    run_inv(f.inv, &rec, 0, NULL); /* modern lists only: must fail clearly */
    ck_assert_uint_eq(rec.sum.failed_connect, 4);
    for (size_t i = 0; i < rec.nconns; i++) {
        /* the device may hang up first: then it looks transient */
        ck_assert_uint_le(rec.conns[i].tries, 3);
        ck_assert_msg(strstr(rec.conns[i].reason, "SSH handshake") &&
                          strstr(rec.conns[i].reason, "legacy_algos=1"),
                      "%s", rec.conns[i].reason);
    }
    tu_rec_free(&rec);
    inv_suffix(f.inv, inv2, "legacy_algos=1");
    run_inv(inv2, &rec, 0, NULL);
    ck_assert_uint_eq(rec.sum.connected, 4);
    ck_assert_uint_eq(rec.sum.ok, 4);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

START_TEST(test_hostkey_changed_refused)
{
    char k1[PATH_MAX], k2[PATH_MAX];
    tmp(k1, sizeof(k1), "k1.key");
    tmp(k2, sizeof(k2), "k2.key");
    static tu_pins_t pins;
    memset(&pins, 0, sizeof(pins));
    const char *e1[] = {"--hostkey", k1, NULL};
    const char *e2[] = {"--hostkey", k2, NULL};
    fleet_t f;
    fleet_open(&f, 3, 23600, "cisco_ios", e1);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    const char *c0[] = {"show version"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 1}};
    fn_task_spec_t spec = tu_spec("hk", hosts, nh, steps, 1);
    char err[256];
    /* OpenSSH's meanings: strict with nothing pinned refuses, accept-new
     * pins, then matches; (new key) accept-new and its old name tofu both
     * refuse (accept-new used to replace the key); off accepts without
     * touching the pin, so strict still refuses; once the operator forgot
     * the pins (`flexnet hostkeys forget`), accept-new pins the new key. */
    int policies[] = {FN_HOSTKEY_STRICT,     FN_HOSTKEY_ACCEPT_NEW,
                      FN_HOSTKEY_ACCEPT_NEW, FN_HOSTKEY_ACCEPT_NEW,
                      FN_HOSTKEY_TOFU,       FN_HOSTKEY_OFF,
                      FN_HOSTKEY_STRICT,     FN_HOSTKEY_ACCEPT_NEW};
    unsigned want_ok[] = {0, 3, 3, 0, 0, 3, 0, 3};
    for (int round = 0; round < 8; round++) {
        if (round == 3) { /* same ports, another host key */
            fleet_restart(&f, 23600, "cisco_ios", e2);
        }
        if (round == 7) /* the operator forgets the pins */
            memset(&pins, 0, sizeof(pins));
        tu_rec_t r;
        tu_rec_init(&r, nh);
        r.pins = &pins;
        spec.hostkey_policy = policies[round];
        ck_assert_int_eq(tu_run(vs, &spec, &r, err, sizeof(err)), 0);
        ck_assert_msg(r.sum.connected == want_ok[round],
                      "round %d: %u connected (%s)", round, r.sum.connected,
                      r.conns[0].reason);
        if (!want_ok[round])
            ck_assert_int_eq(r.conns[0].err, FN_EHOSTKEY);
        if (round == 0)
            ck_assert_ptr_nonnull(strstr(r.conns[0].reason,
                                         "not pinned (strict policy; pin it "
                                         "with flexnet hostkeys import"));
        if (round == 1 || round == 7)
            ck_assert_uint_eq(r.pinned, 3);
        if (round == 3 || round == 4) {
            ck_assert_msg(strstr(r.conns[0].reason, "host key changed"), "%s",
                          r.conns[0].reason);
            ck_assert_msg(strstr(r.conns[0].reason,
                                 "flexnet hostkeys forget 127.0.0.1:236"),
                          "%s", r.conns[0].reason);
        }
        if (round == 5)
            ck_assert_uint_eq(r.pinned + r.replaced, 0);
        ck_assert_uint_eq(r.replaced, 0); /* a run never replaces a pin */
        tu_rec_free(&r);
    }
    fleet_close(&f);
}
END_TEST

/* A host's password_env beats the task's password; a rejected password
 * is never retried. */
START_TEST(test_password_env)
{
    char inv2[PATH_MAX];
    tmp(inv2, sizeof(inv2), "inv-env.ini");
    fleet_t f;
    fleet_open(&f, 2, 23850, "cisco_ios", NULL);
    FILE *in = fopen(f.inv, "r"), *out = fopen(inv2, "w");
    ck_assert(in && out);
    char line[256];
    int k = 0;
    while (fgets(line, sizeof(line), in)) { /* first host only */
        line[strcspn(line, "\n")] = '\0';
        int host = line[0] && line[0] != '[';
        fprintf(out, "%s%s\n", line,
                host && k++ == 0 ? " password_env=FN_ENGINE_TEST_PW" : "");
    }
    fclose(in);
    fclose(out);
    setenv("FN_ENGINE_TEST_PW", "admin", 1);
    tu_rec_t rec;
    run_inv(inv2, &rec, 0, "wrong-password");
    const fn_host_t *const *hosts = f.hosts; /* same names */
    const tu_conn_t *ok = tu_conn(&rec, fn_host_name(hosts[0]));
    const tu_conn_t *bad = tu_conn(&rec, fn_host_name(hosts[1]));
    ck_assert_msg(ok->status == FN_CONNECT_OK, "%s", ok->reason);
    ck_assert_int_eq(bad->status, FN_CONNECT_FAILED);
    ck_assert_int_eq(bad->err, FN_EAUTH);
    ck_assert_uint_eq(bad->tries, 1);
    ck_assert_ptr_null(strstr(bad->reason, "wrong-password"));
    unsetenv("FN_ENGINE_TEST_PW");
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* A Nornir-style YAML inventory drives the same run: hostname from a
 * group, platform from defaults, ports per host. */
START_TEST(test_yaml_inventory_run)
{
    fleet_t f;
    fleet_open(&f, 3, 23870, "cisco_ios", NULL);
    char path[PATH_MAX];
    tmp(path, sizeof(path), "inv.yaml");
    FILE *y = fopen(path, "w");
    ck_assert_ptr_nonnull(y);
    fprintf(y, "defaults: {platform: cisco_ios}\n"
               "groups:\n  lab: {hostname: 127.0.0.1}\n"
               "hosts:\n");
    for (size_t i = 0; i < f.n; i++)
        fprintf(y, "  r%zu: {port: %u, groups: [lab]}\n", i,
                fn_host_port(f.hosts[i]));
    fclose(y);
    tu_rec_t rec;
    run_inv(path, &rec, 0, NULL);
    ck_assert_uint_eq(rec.nconns, 3);
    for (size_t i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "r%zu", i);
        const tu_res_t *r = tu_res(&rec, name, 0, 0);
        ck_assert_msg(r && r->code == 0, "%s", name);
        ck_assert_ptr_nonnull(strstr(r->out, "Cisco IOS Software"));
    }
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* config steps, conditions, connect-first, cancel */

START_TEST(test_config_and_conditions)
{
    fleet_t f;
    fleet_open(&f, 3, 23700, "cisco_ios", NULL);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    const char *cfg[] = {"ntp server 10.9.9.9", "flexnet bogus line"};
    const char *probe[] = {bad_cmd}, *clock[] = {"show clock"};
    const char *skip_host[] = {fn_host_name(hosts[2])};
    int when1[] = {1}, when0[] = {0};
    fn_step_t steps[] = {
        {.kind = FN_STEP_CONFIG, .commands = cfg, .ncommands = 2},
        {.kind = FN_STEP_BACKUP, .comment = "after ntp"},
        {.kind = FN_STEP_COMMANDS,
         .commands = probe,
         .ncommands = 1,
         .tag = "probe"},
        {.kind = FN_STEP_COMMANDS,
         .commands = clock,
         .ncommands = 1,
         .when_tag = "probe",
         .when_codes = when1,
         .nwhen_codes = 1,
         .skip = skip_host,
         .nskip = 1},
        {.kind = FN_STEP_COMMANDS,
         .commands = clock,
         .ncommands = 1,
         .when_tag = "probe",
         .when_codes = when0,
         .nwhen_codes = 1},
        {.kind = FN_STEP_COMMANDS,
         .commands = probe,
         .ncommands = 1,
         .exit_on_fail = 1},
        {.kind = FN_STEP_COMMANDS, .commands = clock, .ncommands = 1},
    };
    fn_task_spec_t spec = tu_spec("cfg", hosts, nh, steps, 7);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    for (size_t i = 0; i < nh; i++) {
        const char *h = fn_host_name(hosts[i]);
        ck_assert_int_eq(tu_res(&rec, h, 0, 0)->code, 0);
        ck_assert_int_eq(tu_res(&rec, h, 0, 1)->code, 1);
        const tu_backup_t *b = tu_backup(&rec, h);
        ck_assert_msg(b && strstr(b->text, "ntp server 10.9.9.9"),
                      "config line not in the backup");
        ck_assert_int_eq(tu_res(&rec, h, 2, 0)->code, 1);
        ck_assert_int_eq(tu_res(&rec, h, 3, 0)->code, i == 2 ? -2 : 0);
        ck_assert_int_eq(tu_res(&rec, h, 4, 0)->code, -2);
        ck_assert_int_eq(tu_res(&rec, h, 5, 0)->code, 1);
        ck_assert_int_eq(tu_res(&rec, h, 6, 0)->code, -2);
        ck_assert_str_ne(tu_res(&rec, h, 6, 0)->reason, "");
    }
    ck_assert_uint_eq(rec.sum.failed, nh);
    /* a `when` naming no earlier tag is refused up front */
    steps[3].when_tag = "nope";
    char err[256];
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)),
                     FN_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    fn_engine_free(e);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

static void connect_first(const fn_host_t **hosts, size_t nh, tu_rec_t *rec,
                          unsigned max_failed_percent)
{
    const char *c0[] = {"show version"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 1}};
    fn_task_spec_t spec = tu_spec("cf", hosts, nh, steps, 1);
    spec.mode = FN_MODE_CONNECT_FIRST;
    spec.max_failed_percent = max_failed_percent;
    spec.concurrency = 4;
    char err[256];
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    fn_sink_t sink = tu_sink(rec);
    ck_assert_int_eq(fn_task_start(e, &spec, &sink, NULL, err, sizeof(err)), 0);
    while (!rec->done) {
        event_base_loop(fn_engine_base(e), EVLOOP_ONCE);
        if (rec->waiting_task) { /* the "user" answers later: go */
            ck_assert_int_eq(fn_task_resume(rec->waiting_task, 1), 0);
            rec->waiting_task = NULL;
        }
    }
    fn_engine_free(e);
}

START_TEST(test_connect_first)
{
    char fo[PATH_MAX];
    tmp(fo, sizeof(fo), "faults.txt");
    const char *extra[] = {
        "--faults", "authfail=25%", "--faults-out", fo, "--seed", "3", NULL};
    fleet_t f;
    fleet_open(&f, 12, 23750, "cisco_ios", extra);
    fault_row_t rows[20];
    size_t nf = read_faults(fo, rows, 20);
    ck_assert_uint_gt(nf, 0);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    tu_rec_t rec;
    /* over 5% failed: stop, no command runs, every row reported */
    tu_rec_init(&rec, nh);
    connect_first(hosts, nh, &rec, 5);
    ck_assert_uint_eq(rec.nconns, nh);
    ck_assert_uint_eq(rec.nres, 0);
    ck_assert_int_eq(rec.sum.status, FN_TASK_FAILED);
    ck_assert_uint_eq(rec.sum.failed_connect, nf);
    ck_assert_ptr_nonnull(strstr(rec.sum_error, "failed to connect"));
    tu_rec_free(&rec);
    /* ask the caller, who answers later: go. concurrency 4 < 12 devices
     * parks reported sessions and reconnects them for the steps */
    tu_rec_init(&rec, nh);
    rec.use_decide = 1;
    rec.decide_answer = FN_EAGAIN;
    connect_first(hosts, nh, &rec, 5);
    ck_assert_int_eq(rec.decided, 1);
    ck_assert_uint_le(rec.peak_sessions, 4);
    ck_assert_uint_eq(rec.decide_failed, nf);
    ck_assert_int_eq(rec.sum.status, FN_TASK_DONE);
    ck_assert_uint_eq(rec.nres, nh - nf);
    for (size_t i = 0; i < rec.nres; i++)
        ck_assert_int_eq(rec.res[i].code, 0);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

START_TEST(test_cancel)
{
    fleet_t f;
    fleet_open(&f, 40, 23800, "cisco_ios", NULL);
    const fn_host_t **hosts = f.hosts;
    size_t nh = f.n;
    const char *c0[] = {"show version", "show clock", "show version"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 3}};
    fn_task_spec_t spec = tu_spec("cancel", hosts, nh, steps, 1);
    spec.concurrency = 5;
    tu_rec_t rec;
    tu_rec_init(&rec, nh);
    rec.cancel_after = 4;
    char err[256];
    ck_assert_int_eq(tu_run(vs, &spec, &rec, err, sizeof(err)), 0);
    ck_assert_int_eq(rec.sum.status, FN_TASK_CANCELLED);
    ck_assert_uint_le(rec.peak_sessions, 5); /* the task's concurrency */
    ck_assert_uint_lt(rec.nres, 3 * nh);
    ck_assert_uint_eq(rec.nconns, nh); /* the rest reported SKIPPED */
    unsigned skipped = 0;
    for (size_t i = 0; i < rec.nconns; i++)
        skipped += rec.conns[i].status == FN_CONNECT_SKIPPED;
    ck_assert_uint_gt(skipped, 0);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* no simulator needed */

START_TEST(test_spec_errors_and_unreachable)
{
    /* nothing listens on these ports; localhost comes from /etc/hosts
     * through evdns (no query leaves the machine) */
    const char *text = "[a]\n127.0.0.1:27990 vendor=cisco_ios\n"
                       "localhost:27991 vendor=cisco_ios\n";
    fn_inventory_t *inv = NULL;
    char err[256];
    ck_assert_int_eq(fn_inventory_parse(&inv, text, strlen(text), 0, NULL, vs,
                                        err, sizeof(err)),
                     0);
    const fn_host_t *hosts[2] = {fn_inventory_at(inv, 0),
                                 fn_inventory_at(inv, 1)};
    const char *c0[] = {"show version"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_COMMANDS, .commands = c0, .ncommands = 1}};
    fn_task_spec_t spec = tu_spec("x", hosts, 2, steps, 1);
    spec.creds.password = "secret-pw";
    tu_rec_t rec;
    tu_rec_init(&rec, 2);
    ck_assert_int_eq(tu_run(vs, &spec, &rec, err, sizeof(err)), 0);
    const tu_conn_t *c = tu_conn(&rec, "127.0.0.1:27990");
    ck_assert_int_eq(c->status, FN_CONNECT_FAILED);
    ck_assert_uint_eq(c->tries, 3);
    ck_assert_int_eq(c->err, FN_EREFUSED);
    c = tu_conn(&rec, "localhost:27991"); /* resolved, then refused */
    ck_assert_uint_eq(c->tries, 3);
    ck_assert_msg(c->err == FN_EREFUSED, "%s", c->reason);
    ck_assert_int_eq(rec.sum.status, FN_TASK_DONE);
    ck_assert_uint_eq(rec.sum.failed_connect, 2);
    tu_rec_free(&rec);
    /* spec errors */
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    steps[0].ncommands = 0;
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)),
                     FN_EPARSE);
    steps[0].ncommands = 1;
    spec.task_id = NULL;
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)),
                     FN_EPARSE);
    spec.task_id = "dup";
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)),
                     FN_EEXISTS);
    ck_assert_uint_eq(fn_engine_task_count(e), 1);
    ck_assert_int_eq(fn_engine_cancel(e, "dup"), 0);
    ck_assert_int_eq(fn_engine_cancel(e, "nope"), FN_ENOTFOUND);
    ck_assert_int_eq(fn_engine_run(e), 0);
    ck_assert_uint_eq(fn_engine_task_count(e), 0);
    fn_engine_free(e);
    fn_inventory_free(inv);
}
END_TEST

/* ------------------------------------------------------------------ */
/* backup_strip: volatile lines leave the backup, so a save that changes
 * no configuration line gives a byte-identical backup (one blob) */

/* Saves a backup text into st. */
static void save_backup(fn_store_t *st, const char *host, const char *text)
{
    Flexnet__V1__Backup meta = FLEXNET__V1__BACKUP__INIT;
    meta.task_id = "strip";
    meta.host = (char *)host;
    meta.vendor = "cisco_ios";
    ck_assert_int_eq(fn_store_backup_save(st, &meta, text, strlen(text), NULL),
                     0);
}

START_TEST(test_backup_strip_dedup)
{
    fleet_t f;
    fleet_open(&f, 1, 26500, "cisco_ios", NULL);
    const char *save[] = {"write memory"};
    fn_step_t steps[] = {
        {.kind = FN_STEP_BACKUP, .comment = "before"},
        {.kind = FN_STEP_COMMANDS, .commands = save, .ncommands = 1},
        {.kind = FN_STEP_BACKUP, .comment = "after"},
    };
    fn_task_spec_t spec = tu_spec("strip", f.hosts, f.n, steps, 3);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    const char *h = fn_host_name(f.hosts[0]);
    ck_assert_int_eq(tu_res(&rec, h, 1, 0)->code, 0);
    ck_assert_uint_eq(rec.nbackups, 2);
    const char *a = rec.backups[0].text, *b = rec.backups[1].text;
    /* the simulator prints "Building configuration..." and "Current
     * configuration : N bytes" first (sim/vendors/cisco_ios.conf) */
    ck_assert_ptr_null(strstr(a, "Current configuration :"));
    ck_assert_ptr_null(strstr(a, "Building configuration"));
    ck_assert_ptr_nonnull(strstr(a, "hostname "));
    ck_assert_str_eq(a, b);
    char dir[PATH_MAX];
    tmp(dir, sizeof(dir), "store");
    fn_store_t *st = NULL;
    fn_store_opts_t so = {.map_size = 64u << 20};
    ck_assert_int_eq(fn_store_open_opts(&st, dir, &so), 0);
    save_backup(st, h, a);
    save_backup(st, h, b);
    fn_store_stats_t stats;
    ck_assert_int_eq(fn_store_stats(st, &stats), 0);
    ck_assert_uint_eq(stats.backups, 2);
    ck_assert_uint_eq(stats.blobs, 1);
    fn_store_close(st);
    tu_rec_free(&rec);
    fleet_close(&f);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("e2e");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    /* FN_TEST_ONLY=name runs one case (debugging) */
    const char *only = getenv("FN_TEST_ONLY");
    const struct {
        const char *name;
        const TTest *test;
    } cases[] = {
#define CASE(x) {#x, x}
        CASE(test_spec_errors_and_unreachable),
        CASE(test_parity_mixed_1000),
        CASE(test_parity_chunk_bytes_1),
        CASE(test_faults),
        CASE(test_dropidle_reconnects),
        CASE(test_legacy_algos),
        CASE(test_hostkey_changed_refused),
        CASE(test_password_env),
        CASE(test_yaml_inventory_run),
        CASE(test_config_and_conditions),
        CASE(test_connect_first),
        CASE(test_cancel),
        CASE(test_backup_strip_dedup),
#undef CASE
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!only || !strcmp(only, cases[i].name))
            tcase_add_test(tc, cases[i].test);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(engine_suite());
}
