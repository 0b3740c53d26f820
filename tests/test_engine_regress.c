/*
 * test_engine_regress.c — engine regressions, each with the test that
 * failed before its fix: a host with an unknown or empty vendor (crashed
 * fn_task_start), libevent warnings when freeing sessions that never
 * started, ConnectionReport.tries of a successful connection (was 0),
 * key-file authentication (flexnet-sim --authorized-key), IOS's
 * `Translating "word"...` error, stderr's echo line carrying the prompt
 * so the caret marker lines up, the simulator's epoll warning when a
 * client disconnects mid-output, and the per-device record's size plus
 * live sessions staying within the task's concurrency (were 1,056 B per
 * device, kept for the whole task), and every session state change
 * logged by its one writer (BACKOFF, IDLE and DONE were written behind
 * the setter's back).
 *
 * Each case starts its own simulator on its own ports (25000-25999, a
 * sub-range of the engine's 22000-27999) and kills it by pid.
 * Single-threaded; CK_FORK as the runner decides.
 */
#include "test_engine_util.c"
#include "test_engine_fixture.c"

#include "fn_log.h"

#include <check.h>
#include <event2/event.h>
#include <libssh/libssh.h>
#include <limits.h>

/* A simulator of n devices of `vendor` from port, plus extra args. */
static pid_t sim(unsigned n, unsigned port, const char *vendor,
                 const char *const *extra)
{
    return start_sim(n, port, vendor, NULL, extra);
}

/* An inventory of the given INI text, every host selected. */
typedef struct inv {
    fn_inventory_t *inv;
    const fn_host_t **hosts;
    size_t n;
} inv_t;

static void inv_parse(inv_t *v, const char *text)
{
    char err[256];
    ck_assert_msg(fn_inventory_parse(&v->inv, text, strlen(text), 0, NULL, vs,
                                     err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_int_eq(fn_inventory_select(v->inv, NULL, 0, NULL, 0, &v->hosts,
                                         &v->n, err, sizeof(err)),
                     0);
}

static void inv_free(inv_t *v)
{
    free(v->hosts);
    fn_inventory_free(v->inv);
}

/* "[g]\n127.0.0.1:P vendor=V\n" for n ports from port. */
static void inv_ports(char *out, size_t len, unsigned port, unsigned n,
                      const char *vendor)
{
    size_t used = (size_t)snprintf(out, len, "[g]\n");
    for (unsigned i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(out + used, len - used,
                                 "127.0.0.1:%u vendor=%s\n", port + i, vendor);
}

/* ------------------------------------------------------------------ */
/* libevent's log, captured through fn_log's hook */

static unsigned evwarn_lines;

static void log_hook(int level, const fn_log_ctx_t *ctx, const char *line,
                     void *arg)
{
    if (strstr(line, "libevent:") && strstr(line, "event_del"))
        evwarn_lines++;
    if (strstr(line, "no event_base"))
        evwarn_lines++;
}

static void log_capture(int on)
{
    evwarn_lines = 0;
    fn_log_configure(on ? FN_LOG_DEBUG : FN_LOG_WARN, on ? FN_LOGC_ALL : 0,
                     stderr);
    fn_log_set_hook(on ? log_hook : NULL, NULL);
}

static const char *const show[] = {"show version"};
static const fn_step_t show_step = {
    .kind = FN_STEP_COMMANDS, .commands = show, .ncommands = 1};

/* ------------------------------------------------------------------ */
/* 1, 2: an unknown or empty vendor, sessions that never started */

/* fn_task_start over the hosts of text must fail with FN_EVENDOR, its
 * reason naming want1 and want2, and leave nothing behind. */
static void bad_vendor(fn_engine_t *e, const char *text, const char *defv,
                       const char *want1, const char *want2)
{
    inv_t v;
    inv_parse(&v, text);
    fn_task_spec_t spec = tu_spec("bad", v.hosts, v.n, &show_step, 1);
    spec.default_vendor = defv;
    char err[256] = "";
    fn_task_t *t = NULL;
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, &t, err, sizeof(err)),
                     FN_EVENDOR);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err, want1) && strstr(err, want2), "err: %s", err);
    ck_assert_uint_eq(fn_engine_task_count(e), 0);
    inv_free(&v);
}

START_TEST(test_unknown_or_empty_vendor_is_an_error)
{
    log_capture(1);
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    /* the bad host first: the hosts after it were never set up */
    bad_vendor(e,
               "[g]\n127.0.0.1:25990\n127.0.0.1:25991 vendor=cisco_ios\n"
               "127.0.0.1:25992 vendor=cisco_ios\n",
               NULL, "host 127.0.0.1:25990", "vendor ''");
    bad_vendor(e,
               "[g]\n127.0.0.1:25991 vendor=cisco_ios\n127.0.0.1:25990\n"
               "127.0.0.1:25992 vendor=cisco_ios\n",
               "cisco_iox", "host 127.0.0.1:25990", "vendor 'cisco_iox'");
    /* still usable */
    char text[256];
    inv_ports(text, sizeof(text), 25993, 1, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    fn_task_spec_t spec = tu_spec("ok", v.hosts, v.n, &show_step, 1);
    char err[256];
    ck_assert_int_eq(fn_task_start(e, &spec, NULL, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(fn_engine_cancel(e, "ok"), 0);
    ck_assert_int_eq(fn_engine_run(e), 0);
    fn_engine_free(e);
    inv_free(&v);
    unsigned warned = evwarn_lines;
    log_capture(0);
    ck_assert_uint_eq(warned, 0);
}
END_TEST

/* Cancelling a task whose sessions never started, or are waiting to
 * retry, frees them without a libevent warning. */
START_TEST(test_cancel_unstarted_sessions_no_libevent_warning)
{
    char text[4096];
    inv_ports(text, sizeof(text), 25900, 40, "cisco_ios"); /* nothing there */
    inv_t v;
    inv_parse(&v, text);
    log_capture(1);
    for (int round = 0; round < 2; round++) {
        fn_task_spec_t spec = tu_spec("c", v.hosts, v.n, &show_step, 1);
        spec.concurrency = 2;
        tu_rec_t rec;
        tu_rec_init(&rec, v.n);
        fn_engine_t *e = NULL;
        ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
        fn_sink_t sink = tu_sink(&rec);
        fn_task_t *t = NULL;
        char err[256];
        ck_assert_int_eq(fn_task_start(e, &spec, &sink, &t, err, sizeof(err)),
                         0);
        /* round 1: let two sessions be refused and back off first */
        for (int i = 0; round == 1 && i < 20; i++)
            event_base_loop(fn_engine_base(e), EVLOOP_NONBLOCK);
        ck_assert_int_eq(fn_task_cancel(t), 0);
        ck_assert_int_eq(fn_engine_run(e), 0);
        ck_assert(rec.done);
        ck_assert_int_eq(rec.sum.status, FN_TASK_CANCELLED);
        ck_assert_uint_eq(rec.nconns, v.n);
        fn_engine_free(e);
        tu_rec_free(&rec);
    }
    unsigned warned = evwarn_lines;
    log_capture(0);
    ck_assert_uint_eq(warned, 0);
    inv_free(&v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 3: ConnectionReport.tries */

typedef struct tries_ctx {
    tu_rec_t rec;
    int retried; /* "try 1 failed" logged */
} tries_ctx_t;

static void tries_log(fn_task_t *t, const fn_log_line_t *l, void *arg)
{
    tries_ctx_t *c = arg;
    if (strstr(l->text, "try 1 failed"))
        c->retried = 1;
}

static void tries_conn(fn_task_t *t, const fn_conn_report_t *r, void *arg)
{
    on_conn(t, r, &((tries_ctx_t *)arg)->rec); /* test_engine_util.c */
}

static void tries_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    on_summary(t, s, &((tries_ctx_t *)arg)->rec);
}

/* tries is the number of attempts: 1 on a first success, 2 when the
 * device came up after one refused attempt. */
START_TEST(test_conn_report_tries_counts_attempts)
{
    pid_t up = sim(1, 25010, "cisco_ios", NULL);
    char text[256];
    snprintf(text, sizeof(text),
             "[g]\n127.0.0.1:25010 vendor=cisco_ios\n"
             "127.0.0.1:25020 vendor=cisco_ios\n");
    inv_t v;
    inv_parse(&v, text);
    fn_task_spec_t spec = tu_spec("tries", v.hosts, v.n, &show_step, 1);
    spec.connect_tries = 3;
    static tries_ctx_t c;
    memset(&c, 0, sizeof(c));
    tu_rec_init(&c.rec, v.n);
    fn_sink_t sink = {.on_connection = tries_conn,
                      .on_log = tries_log,
                      .on_summary = tries_summary,
                      .arg = &c,
                      .log_level = FN_LOG_INFO};
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    char err[256];
    ck_assert_int_eq(fn_task_start(e, &spec, &sink, NULL, err, sizeof(err)), 0);
    pid_t late = 0;
    while (!c.rec.done) {
        event_base_loop(fn_engine_base(e), EVLOOP_ONCE);
        if (c.retried && !late) /* refused once: now the device comes up */
            late = sim(1, 25020, "cisco_ios", NULL);
    }
    fn_engine_free(e);
    ck_assert_int_ne(late, 0);
    const tu_conn_t *a = tu_conn(&c.rec, "127.0.0.1:25010");
    const tu_conn_t *b = tu_conn(&c.rec, "127.0.0.1:25020");
    ck_assert_msg(a && a->status == FN_CONNECT_OK, "%s", a ? a->reason : "-");
    ck_assert_msg(b && b->status == FN_CONNECT_OK, "%s", b ? b->reason : "-");
    ck_assert_uint_eq(a->tries, 1);
    ck_assert_uint_eq(b->tries, 2);
    tu_rec_free(&c.rec);
    inv_free(&v);
    tu_sim_stop(late);
    tu_sim_stop(up);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 4: key-file authentication */

/* An ed25519 key pair: private key at path, public key at path.pub. */
static void keygen(const char *path)
{
    ssh_key key = NULL, pub = NULL;
    char pubpath[PATH_MAX];
    snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
    ck_assert_int_eq(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key), SSH_OK);
    ck_assert_int_eq(ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path),
                     SSH_OK);
    ck_assert_int_eq(ssh_pki_export_privkey_to_pubkey(key, &pub), SSH_OK);
    ck_assert_int_eq(ssh_pki_export_pubkey_file(pub, pubpath), SSH_OK);
    ssh_key_free(pub);
    ssh_key_free(key);
}

/* Runs show version with these credentials over v; rec gets results. */
static void run_creds(const inv_t *v, tu_rec_t *rec, const char *password,
                      const char *key_file)
{
    fn_task_spec_t spec = tu_spec("key", v->hosts, v->n, &show_step, 1);
    spec.creds.password = password;
    spec.creds.key_file = key_file;
    char err[256];
    tu_rec_init(rec, v->n);
    ck_assert_int_eq(tu_run(vs, &spec, rec, err, sizeof(err)), 0);
    ck_assert_int_eq(rec->sum.status, FN_TASK_DONE);
}

START_TEST(test_key_file_auth)
{
    char good[PATH_MAX], bad[PATH_MAX], goodpub[PATH_MAX + 8];
    tmp(good, sizeof(good), "id_good");
    tmp(bad, sizeof(bad), "id_bad");
    keygen(good);
    keygen(bad);
    snprintf(goodpub, sizeof(goodpub), "%s.pub", good);
    const char *extra[] = {"--authorized-key", goodpub, NULL};
    pid_t pid = sim(2, 25100, "cisco_ios", extra);
    char text[256];
    inv_ports(text, sizeof(text), 25100, 2, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    tu_rec_t rec;
    run_creds(&v, &rec, NULL, good); /* the key, no password */
    ck_assert_uint_eq(rec.sum.connected, 2);
    for (size_t i = 0; i < rec.nres; i++) {
        ck_assert_int_eq(rec.res[i].code, 0);
        ck_assert_ptr_nonnull(strstr(rec.res[i].out, "Cisco IOS Software"));
    }
    ck_assert_uint_eq(rec.nres, 2);
    tu_rec_free(&rec);
    run_creds(&v, &rec, NULL, bad); /* another key: refused, clearly */
    ck_assert_uint_eq(rec.sum.failed_connect, 2);
    for (size_t i = 0; i < rec.nconns; i++) {
        const tu_conn_t *c = &rec.conns[i];
        ck_assert_int_eq(c->status, FN_CONNECT_FAILED);
        ck_assert_int_eq(c->err, FN_EAUTH);
        ck_assert_uint_eq(c->tries, 1); /* a refused key is not retried */
        ck_assert_msg(strstr(c->reason, "authentication failed") &&
                          strstr(c->reason, "key") && strstr(c->reason, bad),
                      "%s", c->reason);
    }
    ck_assert_uint_eq(rec.nres, 0);
    tu_rec_free(&rec);
    run_creds(&v, &rec, "admin", NULL); /* the password still works */
    ck_assert_uint_eq(rec.sum.connected, 2);
    ck_assert_uint_eq(rec.sum.ok, 2);
    tu_rec_free(&rec);
    /* OpenSSH's order: a refused key, then the password */
    run_creds(&v, &rec, "admin", bad);
    ck_assert_uint_eq(rec.sum.connected, 2);
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 6, 7: stderr as the screen shows it; IOS's Translating error */

/* The line of s (0-based), without its '\n', into out. */
static void nth_line(const char *s, int n, char *out, size_t len)
{
    for (; n > 0 && s; n--) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    ck_assert_ptr_nonnull(s);
    snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), s);
}

START_TEST(test_ios_translating_and_caret_alignment)
{
    pid_t pid = sim(2, 25200, "cisco_ios", NULL);
    char text[256];
    inv_ports(text, sizeof(text), 25200, 2, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    const char *cmds[] = {"foo", "show interfacs", "show version"};
    fn_step_t step = {
        .kind = FN_STEP_COMMANDS, .commands = cmds, .ncommands = 3};
    fn_task_spec_t spec = tu_spec("tr", v.hosts, v.n, &step, 1);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    for (unsigned d = 0; d < 2; d++) {
        char host[32], want[512];
        snprintf(host, sizeof(host), "127.0.0.1:%u", 25200 + d);
        const tu_res_t *r = tu_res(&rec, host, 0, 0);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->code, FN_EXIT_VENDOR_ERROR);
        snprintf(want, sizeof(want),
                 "cisco_ios-%u#foo\n"
                 "Translating \"foo\"...domain server (255.255.255.255)\n"
                 "%% Unknown command or computer name, or unable to find "
                 "computer address\n",
                 d);
        ck_assert_str_eq(r->err, want);
        ck_assert_str_eq(r->out, "");
        /* the caret sits under the 'i' of "interfacs" */
        r = tu_res(&rec, host, 0, 1);
        ck_assert_int_eq(r->code, FN_EXIT_VENDOR_ERROR);
        char echo[128], caret[128], msg[128];
        nth_line(r->err, 0, echo, sizeof(echo));
        nth_line(r->err, 1, caret, sizeof(caret));
        nth_line(r->err, 2, msg, sizeof(msg));
        snprintf(want, sizeof(want), "cisco_ios-%u#show interfacs", d);
        ck_assert_str_eq(echo, want);
        size_t col = strcspn(caret, "^");
        ck_assert_uint_lt(col, strlen(echo));
        ck_assert_str_eq(echo + col, "interfacs");
        ck_assert_str_eq(msg, "% Invalid input detected at '^' marker.");
        ck_assert_int_eq(tu_res(&rec, host, 0, 2)->code, 0);
    }
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 5: the simulator, left mid-output by a disconnecting client */

/* The engine gives up on a command (timeout) and disconnects while the
 * simulator is still writing a big output in 1-byte packets; libssh
 * closes the simulator's socket on the disconnect message. The
 * simulator must not warn ("[warn] Epoll MOD ... Bad file descriptor":
 * it kept a second event on that closed socket). */
START_TEST(test_sim_no_epoll_warning_on_disconnect)
{
    char errpath[PATH_MAX];
    tmp(errpath, sizeof(errpath), "sim.err");
    const char *args[] = {"--devices",
                          "3",
                          "--base-port",
                          "25300",
                          "--vendor",
                          "cisco_ios",
                          "--workers",
                          "1",
                          "--chunk-bytes",
                          "1",
                          "--config-lines",
                          "20000",
                          NULL};
    pid_t pid = 0;
    ck_assert_int_eq(tu_sim_start_err(args, &pid, errpath), 0);
    char text[256];
    inv_ports(text, sizeof(text), 25300, 3, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    fn_step_t steps[] = {{.kind = FN_STEP_BACKUP}, {.kind = FN_STEP_BACKUP}};
    fn_task_spec_t spec = tu_spec("vanish", v.hosts, v.n, steps, 2);
    spec.command_timeout_ms = 700; /* the output takes far longer */
    spec.reconnects = 1;
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    ck_assert_uint_gt(rec.nres, 0);
    /* mostly -3; a slow engine (valgrind) may see a backup through */
    for (size_t i = 0; i < rec.nres; i++)
        ck_assert_msg(rec.res[i].code == FN_EXIT_TIMEOUT ||
                          rec.res[i].code == 0,
                      "%s step %u: exit %d (%s)", rec.res[i].host,
                      rec.res[i].step, rec.res[i].code, rec.res[i].reason);
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
    FILE *f = fopen(errpath, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    unsigned warns = 0, stats = 0;
    while (fgets(line, sizeof(line), f)) {
        warns += strstr(line, "[warn]") != NULL;
        stats += strstr(line, "stats worker=all") != NULL;
        if (strstr(line, "[warn]"))
            fprintf(stderr, "simulator: %s", line);
    }
    fclose(f);
    ck_assert_uint_eq(stats, 1); /* it ran and stopped cleanly */
    ck_assert_uint_eq(warns, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 7: a device costs a small record; live sessions stay within the limit */

#define LIVE_UP   30 /* devices answering */
#define LIVE_DEAD 8  /* refused: each retries after a backoff */
#define LIVE_CONC 6

START_TEST(test_live_sessions_within_concurrency)
{
    pid_t pid = sim(LIVE_UP, 25600, "cisco_ios", NULL);
    char text[4096];
    inv_ports(text, sizeof(text), 25600, LIVE_UP + LIVE_DEAD, "cisco_ios");
    inv_t v;
    inv_parse(&v, text); /* 25630..: nothing listens there */
    fn_task_spec_t spec = tu_spec("live", v.hosts, v.n, &show_step, 1);
    spec.concurrency = LIVE_CONC;
    spec.connect_tries = 2;
    static tu_rec_t rec;
    tu_rec_init(&rec, v.n);
    fn_sink_t sink = tu_sink(&rec);
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, NULL), 0);
    char err[256];
    ck_assert_int_eq(fn_task_start(e, &spec, &sink, NULL, err, sizeof(err)), 0);
    fn_engine_stats_t st;
    while (!rec.done) {
        event_base_loop(fn_engine_base(e), EVLOOP_ONCE);
        fn_engine_stats(e, &st);
        ck_assert_uint_le(st.live, LIVE_CONC);
    }
    fn_engine_stats(e, &st);
    fn_engine_free(e);
    ck_assert_uint_le(st.device_bytes, 160);
    ck_assert_uint_le(st.live_peak, LIVE_CONC);
    ck_assert_uint_ge(st.live_peak, 2); /* work ran in parallel */
    ck_assert_uint_eq(st.live, 0);      /* all returned at the task's end */
    ck_assert_uint_eq(rec.sum.connected, LIVE_UP);
    ck_assert_uint_eq(rec.sum.failed_connect, LIVE_DEAD);
    const tu_conn_t *dead = tu_conn(&rec, "127.0.0.1:25630");
    ck_assert_msg(dead && dead->status == FN_CONNECT_FAILED && dead->reason[0],
                  "%s", dead ? dead->reason : "-");
    ck_assert_uint_eq(dead->tries, 2);
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 8: every state change goes through the one setter, and is logged */

static char trans[2048]; /* "IDLE -> CONNECT,CONNECT -> KEX,..." */

static void trans_hook(int level, const fn_log_ctx_t *ctx, const char *line,
                       void *arg)
{
    const char *arrow = strstr(line, " -> ");
    if (!ctx || ctx->cat != FN_LOGC_SESSION || !arrow)
        return;
    const char *from = arrow; /* the line ends "OLD -> NEW" */
    while (from > line && from[-1] != ' ')
        from--;
    size_t used = strlen(trans);
    snprintf(trans + used, sizeof(trans) - used, "%s%s", used ? "," : "", from);
}

/* A device that drops the connection right after its first command's
 * prompt (dropidle): the first command completes (its prompt was the
 * last thing said), the session closes, backs off, reconnects and runs
 * the second. The whole life of the one session, BACKOFF and DONE
 * included, is in the debug log. */
START_TEST(test_state_transitions_logged)
{
    const char *extra[] = {"--faults", "dropidle=100%", NULL};
    pid_t pid = sim(1, 25700, "cisco_ios", extra);
    char text[256];
    inv_ports(text, sizeof(text), 25700, 1, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    static const char *const cmds[] = {"show version", "show clock"};
    fn_step_t step = {
        .kind = FN_STEP_COMMANDS, .commands = cmds, .ncommands = 2};
    fn_task_spec_t spec = tu_spec("trans", v.hosts, v.n, &step, 1);
    trans[0] = '\0';
    fn_log_configure(FN_LOG_DEBUG, FN_LOGC_SESSION, stderr);
    fn_log_set_hook(trans_hook, NULL);
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    fn_log_set_hook(NULL, NULL);
    fn_log_configure(FN_LOG_WARN, 0, stderr);
    static const char want[] =
        "IDLE -> CONNECT,CONNECT -> KEX,KEX -> HOSTKEY,HOSTKEY -> AUTH,"
        "AUTH -> CHANNEL,CHANNEL -> PTY,PTY -> SHELL,SHELL -> PROMPT,"
        "PROMPT -> PREPARE,PREPARE -> READY,READY -> RUNNING,"
        "RUNNING -> READY,READY -> CLOSING,"
        "CLOSING -> DONE,DONE -> BACKOFF,BACKOFF -> IDLE,"
        "IDLE -> CONNECT,CONNECT -> KEX,KEX -> HOSTKEY,HOSTKEY -> AUTH,"
        "AUTH -> CHANNEL,CHANNEL -> PTY,PTY -> SHELL,SHELL -> PROMPT,"
        "PROMPT -> PREPARE,PREPARE -> READY,READY -> RUNNING,"
        "RUNNING -> READY,READY -> CLOSING,CLOSING -> DONE";
    ck_assert_str_eq(trans, want);
    const char *h = fn_host_name(v.hosts[0]);
    const tu_res_t *r0 = tu_res(&rec, h, 0, 0), *r1 = tu_res(&rec, h, 0, 1);
    ck_assert(r0 && r0->code == 0 && r1 && r1->code == 0);
    ck_assert_uint_eq(rec.reconnects, 1);
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 9: a name server that never answers (use after free when the
 *    cancelled lookup's callback ran after the task was freed) */

START_TEST(test_dns_timeout_no_crash)
{
    /* the test's own name server on loopback: it reads and never answers
     * (no query leaves the machine) */
    int ns = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(25753),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(ns, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char conf[PATH_MAX];
    tmp(conf, sizeof(conf), "resolv.conf");
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fputs("nameserver 127.0.0.1:25753\noptions timeout:5 attempts:1\n", f);
    fclose(f);
    inv_t v;
    inv_parse(&v, "[g]\nr1.flexnet.test:25701 vendor=cisco_ios\n"
                  "r2.flexnet.test:25702 vendor=juniper_junos\n");
    fn_task_spec_t spec = tu_spec("dns", v.hosts, v.n, &show_step, 1);
    spec.connect_timeout_ms = 300;
    spec.connect_tries = 2;
    fn_engine_opts_t o;
    fn_engine_opts_init(&o);
    o.resolv_conf = conf;
    static tu_rec_t rec;
    tu_rec_init(&rec, v.n);
    fn_sink_t sink = tu_sink(&rec);
    fn_engine_t *e = NULL;
    ck_assert_int_eq(fn_engine_new(&e, NULL, vs, &o), 0);
    char err[256];
    ck_assert_int_eq(fn_task_start(e, &spec, &sink, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(fn_engine_run(e), 0);
    /* lookups cancelled at the task's end complete in later passes */
    for (int i = 0; i < 20; i++)
        event_base_loop(fn_engine_base(e), EVLOOP_NONBLOCK);
    fn_engine_free(e);
    close(ns);
    ck_assert_uint_eq(rec.sum.failed_connect, 2);
    const tu_conn_t *c = tu_conn(&rec, "r1.flexnet.test:25701");
    ck_assert_msg(c && strstr(c->reason, "name resolution timed out"), "%s",
                  c ? c->reason : "-");
    ck_assert_uint_eq(c->tries, 2);
    tu_rec_free(&rec);
    inv_free(&v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 10: a timed-out last command: its reason quotes what the device said
 *     last, and the device is not reconnected just to run nothing */

START_TEST(test_timeout_last_bytes_no_idle_reconnect)
{
    const char *extra[] = {"--faults", "hang=100%", NULL};
    pid_t pid = sim(1, 25710, "cisco_ios", extra);
    char text[256];
    inv_ports(text, sizeof(text), 25710, 1, "cisco_ios");
    inv_t v;
    inv_parse(&v, text);
    fn_task_spec_t spec = tu_spec("hang", v.hosts, v.n, &show_step, 1);
    spec.command_timeout_ms = 800;
    tu_rec_t rec;
    tu_run_ok(vs, &spec, &rec);
    const tu_res_t *r = tu_res(&rec, fn_host_name(v.hosts[0]), 0, 0);
    ck_assert_msg(r && r->code == FN_EXIT_TIMEOUT, "%d", r ? r->code : 99);
    ck_assert_msg(strstr(r->reason, "no prompt within the command timeout; "
                                    "last bytes received: \""),
                  "%s", r->reason);
    /* escaped: the device's CR LF as \r\n, at most 200 bytes quoted */
    ck_assert_msg(strstr(r->reason, "\\r\\n"), "%s", r->reason);
    const char *q = strchr(r->reason, '"');
    ck_assert(q && strlen(q) <= 2 + 4 * 200);
    ck_assert_uint_eq(rec.reconnects, 0);
    tu_rec_free(&rec);
    inv_free(&v);
    tu_sim_stop(pid);
}
END_TEST

static Suite *regress_suite(void)
{
    Suite *s = suite_create("engine_regress");
    TCase *tc = tcase_create("regress");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_unknown_or_empty_vendor_is_an_error);
    tcase_add_test(tc, test_cancel_unstarted_sessions_no_libevent_warning);
    tcase_add_test(tc, test_conn_report_tries_counts_attempts);
    tcase_add_test(tc, test_key_file_auth);
    tcase_add_test(tc, test_ios_translating_and_caret_alignment);
    tcase_add_test(tc, test_sim_no_epoll_warning_on_disconnect);
    tcase_add_test(tc, test_live_sessions_within_concurrency);
    tcase_add_test(tc, test_state_transitions_logged);
    tcase_add_test(tc, test_dns_timeout_no_crash);
    tcase_add_test(tc, test_timeout_last_bytes_no_idle_reconnect);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(regress_suite());
}
