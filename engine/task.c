/*
 * task.c — the task runner: which device runs what next, the step
 * conditions (only_on, skip, when, exit_on_fail), connect-first gating,
 * retry / reconnect policy, and every sink event.
 *
 * Owns: the task's copy of its spec (strings, steps, passwords: wiped at
 * the end), one small device record (fn_dev_t) per target, a free
 * list of live sessions (fn_session_t) lent to at most `concurrency`
 * devices (running, or holding theirs through a retry backoff), the
 * progress timer. Borrows: the engine, the inventory's hosts, the sink's arg.
 * Does not: touch sockets or libssh (session.c does), free sessions from
 * their own callback stacks (the engine's reaper calls back
 * fn__task_on_closed). Reactor thread only.
 */
#include "engine_int.h"

#include "fn_err.h"
#include "fn_log.h"
#include "fn_str.h"
#include "fn_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_DEF_CONNECT_MS 10000
#define TASK_DEF_AUTH_MS    10000
#define TASK_DEF_COMMAND_MS 30000
#define TASK_DEF_TRIES      3
#define TASK_DEF_RECONNECTS 2
#define TASK_BACKOFF_MS     250 /* first retry; doubles per try */
#define TASK_RECONNECT_MS   50
#define TK_ONLY             1 /* device listed in the step's only_on */
#define TK_SKIP             2 /* device listed in the step's skip */

struct fn_task {
    fn_engine_t *e;
    fn_task_t *next;
    fn_task_spec_t spec; /* deep copy; strings in allocs */
    fn_step_t *steps;    /* owned */
    int *when_step;      /* per step: index of the when_tag step or -1 */
    unsigned char **sel; /* per step: per device TK_ONLY|TK_SKIP, or NULL */
    void **allocs;       /* every string/array of the copy */
    size_t nallocs, capallocs;
    char *password, *enable_password; /* owned; wiped */
    fn_sink_t sink;
    fn_dev_t *devs; /* owned, spec.nhosts */
    unsigned ndevs, next_idle, active, concurrency;
    fn_session_t *pool; /* owned: live sessions not lent to a device */
    unsigned waiting;   /* devices holding a live session to retry */
    fn_dev_t *retry;    /* requeued after a backoff */
    unsigned connected, failed_connect, done, ok, failed;
    unsigned commands, errors, backups;
    int gate;     /* connect-first: steps wait */
    int deciding; /* waiting for fn_task_resume */
    int cancelled, stopping, finalized;
    int status; /* enum fn_task_status at the end */
    char error[256];
    int64_t t0_mono, t0_wall;
    uint64_t log_seq;
    struct event *progress_ev;
};

/* ------------------------------------------------------------------ */
/* spec copy */

static void *tk_keep(fn_task_t *t, void *p)
{
    if (!p)
        return NULL;
    if (t->nallocs == t->capallocs) {
        size_t n = t->capallocs ? t->capallocs * 2 : 32;
        void **a = realloc(t->allocs, n * sizeof(*a));
        if (!a) {
            free(p);
            return NULL;
        }
        t->allocs = a;
        t->capallocs = n;
    }
    t->allocs[t->nallocs++] = p;
    return p;
}

static const char *tk_str(fn_task_t *t, const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *c = tk_keep(t, strdup(s));
    if (!c)
        *bad = 1;
    return c;
}

static const char *const *tk_strv(fn_task_t *t, const char *const *v, size_t n,
                                  int *bad)
{
    if (!n)
        return NULL;
    const char **c = tk_keep(t, calloc(n, sizeof(*c)));
    if (!c) {
        *bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c[i] = tk_str(t, v[i] ? v[i] : "", bad);
    return c;
}

static int tk_copy_steps(fn_task_t *t, const fn_task_spec_t *sp)
{
    int bad = 0;
    t->steps = calloc(sp->nsteps + 1, sizeof(*t->steps));
    t->when_step = calloc(sp->nsteps + 1, sizeof(int));
    if (!t->steps || !t->when_step)
        return -ENOMEM;
    for (size_t i = 0; i < sp->nsteps; i++) {
        const fn_step_t *in = &sp->steps[i];
        fn_step_t *o = &t->steps[i];
        *o = *in;
        o->commands = tk_strv(t, in->commands, in->ncommands, &bad);
        o->only_on = tk_strv(t, in->only_on, in->nonly_on, &bad);
        o->skip = tk_strv(t, in->skip, in->nskip, &bad);
        o->tag = tk_str(t, in->tag ? in->tag : "", &bad);
        o->when_tag = tk_str(t, in->when_tag, &bad);
        o->comment = tk_str(t, in->comment ? in->comment : "", &bad);
        if (in->nwhen_codes) {
            int *c = tk_keep(t, malloc(in->nwhen_codes * sizeof(int)));
            if (c)
                memcpy(c, in->when_codes, in->nwhen_codes * sizeof(int));
            else
                bad = 1;
            o->when_codes = c;
        }
    }
    t->spec.steps = t->steps;
    return bad ? -ENOMEM : 0;
}

static void tk_defaults(fn_task_spec_t *sp)
{
    if (!sp->mode)
        sp->mode = FN_MODE_PIPELINED;
    if (!sp->connect_timeout_ms)
        sp->connect_timeout_ms = TASK_DEF_CONNECT_MS;
    if (!sp->auth_timeout_ms)
        sp->auth_timeout_ms = TASK_DEF_AUTH_MS;
    if (!sp->command_timeout_ms)
        sp->command_timeout_ms = TASK_DEF_COMMAND_MS;
    if (!sp->hostkey_policy)
        sp->hostkey_policy = FN_HOSTKEY_TOFU;
    if (!sp->connect_tries)
        sp->connect_tries = TASK_DEF_TRIES;
    if (!sp->reconnects)
        sp->reconnects = TASK_DEF_RECONNECTS;
}

static int tk_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int tk_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Validates steps: kinds, `when` references an earlier tagged step. */
static int tk_validate(fn_task_t *t, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->spec.nsteps; i++) {
        const fn_step_t *st = &t->steps[i];
        t->when_step[i] = -1;
        if (st->kind < FN_STEP_COMMANDS || st->kind > FN_STEP_BACKUP)
            return tk_errf(err, errlen, FN_EPARSE, "step %zu: bad kind %d", i,
                           st->kind);
        if (st->kind != FN_STEP_BACKUP && !st->ncommands)
            return tk_errf(err, errlen, FN_EPARSE, "step %zu: no commands", i);
        if (!st->when_tag || !st->when_tag[0])
            continue;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->steps[j].tag, st->when_tag))
                t->when_step[i] = (int)j;
        if (t->when_step[i] < 0)
            return tk_errf(err, errlen, FN_EPARSE,
                           "step %zu: when: no earlier step tagged '%s'", i,
                           st->when_tag);
    }
    return 0;
}

/* The one-off name -> device index map. */
static size_t tk_hash(const char *s)
{
    return (size_t)fn_str_hash(s);
}

static void tk_mark(fn_task_t *t, const unsigned *map, size_t mask,
                    unsigned char *sel, const char *const *names, size_t n,
                    unsigned char bit)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = tk_hash(names[k]) & mask; map[i]; i = (i + 1) & mask)
            if (!strcmp(fn_host_name(t->devs[map[i] - 1].host), names[k]))
                sel[map[i] - 1] |= bit;
}

/* only_on / skip lists become per-device bits once, so choosing a step
 * costs O(1) per device even with 10,000 names in a list. */
static int tk_selections(fn_task_t *t)
{
    size_t cap = 64;
    while (cap < 2 * (size_t)t->ndevs)
        cap *= 2;
    unsigned *map = calloc(cap, sizeof(*map));
    t->sel = calloc(t->spec.nsteps + 1, sizeof(*t->sel));
    if (!map || !t->sel) {
        free(map);
        return -ENOMEM;
    }
    for (unsigned d = 0; d < t->ndevs; d++) {
        size_t i = tk_hash(fn_host_name(t->devs[d].host)) & (cap - 1);
        while (map[i])
            i = (i + 1) & (cap - 1);
        map[i] = d + 1;
    }
    int rc = 0;
    for (size_t k = 0; k < t->spec.nsteps && rc == 0; k++) {
        const fn_step_t *st = &t->steps[k];
        if (!st->nonly_on && !st->nskip)
            continue;
        t->sel[k] = calloc(t->ndevs + 1, 1);
        if (!t->sel[k]) {
            rc = -ENOMEM;
            break;
        }
        tk_mark(t, map, cap - 1, t->sel[k], st->only_on, st->nonly_on, TK_ONLY);
        tk_mark(t, map, cap - 1, t->sel[k], st->skip, st->nskip, TK_SKIP);
    }
    free(map);
    return rc;
}

static int tk_devices(fn_task_t *t, char *err, size_t errlen)
{
    const fn_task_spec_t *sp = &t->spec;
    t->ndevs = (unsigned)sp->nhosts;
    t->devs = calloc(sp->nhosts + 1, sizeof(*t->devs));
    if (!t->devs)
        return -ENOMEM;
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *s = &t->devs[i];
        fn__session_init(s, t, i);
        s->host = sp->hosts[i];
        const char *vn = fn_host_vendor(s->host);
        if (!vn[0])
            vn = sp->default_vendor ? sp->default_vendor : "";
        s->vendor = fn_vendors_find(t->e->vendors, vn);
        if (!s->vendor && !vn[0])
            return tk_errf(err, errlen, FN_EVENDOR,
                           "host %s: no vendor (vendor ''): set vendor= in "
                           "the inventory or a default vendor",
                           fn_host_name(s->host));
        if (!s->vendor)
            return tk_errf(err, errlen, FN_EVENDOR,
                           "host %s: unknown vendor '%s'",
                           fn_host_name(s->host), vn);
        s->step_codes = calloc(sp->nsteps + 1, sizeof(int));
        if (!s->step_codes)
            return -ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* live sessions: lent from the task's free list, at most `concurrency`
 * (active devices plus those waiting to retry) */

static int tk_live_get(fn_task_t *t, fn_dev_t *s)
{
    if (s->live)
        return 0; /* kept through a retry backoff */
    fn_session_t *lv = t->pool;
    if (lv)
        t->pool = lv->free_next;
    else if (!(lv = malloc(sizeof(*lv))))
        return -ENOMEM;
    fn__session_attach(s, lv);
    if (++t->e->live > t->e->live_peak)
        t->e->live_peak = t->e->live;
    return 0;
}

/* Reaper or task teardown only: the session's resources are freed. */
static void tk_live_put(fn_task_t *t, fn_dev_t *s)
{
    fn_session_t *lv = fn__session_detach(s);
    if (!lv)
        return;
    lv->free_next = t->pool;
    t->pool = lv;
    t->e->live--;
}

/* A device waiting to retry gives up its slot (the task stopped). */
static void tk_unwait(fn_task_t *t, fn_dev_t *s)
{
    if (!s->live)
        return;
    tk_live_put(t, s);
    t->waiting--;
}

/* ------------------------------------------------------------------ */
/* sink helpers: every call counted so fn_engine_free can refuse */

#define TK_SINK(t, member, ...)                                                \
    do {                                                                       \
        if ((t)->sink.member) {                                                \
            (t)->e->in_callback++;                                             \
            (t)->sink.member((t), __VA_ARGS__, (t)->sink.arg);                 \
            (t)->e->in_callback--;                                             \
        }                                                                      \
    } while (0)

void fn__task_log(fn_task_t *t, const fn_dev_t *s, int level, const char *fmt,
                  ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    const char *host = s ? fn_host_name(s->host) : "";
    fn_log_ctx_t ctx = {t->spec.task_id, host, FN_LOGC_CORE};
    fn_log(FN_LOG_DEBUG, &ctx, "%s", text); /* the sink decides, not us */
    unsigned max = t->sink.log_level ? t->sink.log_level : FN_LOG_INFO;
    if ((unsigned)level > max || !t->sink.on_log)
        return;
    fn_log_line_t l = {t->spec.task_id, ++t->log_seq, fn_time_wall_us(), host,
                       (unsigned)level, text};
    TK_SINK(t, on_log, &l);
}

static void tk_progress(fn_task_t *t)
{
    double el = (double)(fn_time_mono_us() - t->t0_mono) / 1e6;
    fn_progress_t p = {
        t->ndevs, t->connected, t->failed_connect, t->done, t->active, 0, 0};
    p.rate = el > 0 ? t->done / el : 0;
    p.eta_s = p.rate > 0 ? (t->ndevs - t->done) / p.rate : 0;
    TK_SINK(t, on_progress, &p);
}

static void tk_on_progress(evutil_socket_t fd, short what, void *arg)
{
    tk_progress(arg);
}

static void tk_report(fn_task_t *t, fn_dev_t *s, int status)
{
    char hp[8];
    snprintf(hp, sizeof(hp), "%u", fn_host_port(s->host));
    fn_conn_report_t r = {t->spec.task_id,
                          fn_host_name(s->host),
                          fn_host_address(s->host),
                          fn_host_port(s->host),
                          fn_vendor_name(s->vendor),
                          status,
                          s->tries,
                          s->t_first_us ? fn_time_mono_us() - s->t_first_us : 0,
                          status == FN_CONNECT_OK ? "" : fn__session_reason(s),
                          status == FN_CONNECT_FAILED ? s->last_err : 0};
    if (status == FN_CONNECT_SKIPPED && !r.reason[0])
        r.reason = t->error[0] ? t->error : "not attempted";
    s->reported = 1;
    TK_SINK(t, on_connection, &r);
}

static void tk_emit(fn_task_t *t, fn_dev_t *s, const char *cmd, int code,
                    const fn_match_result_t *m, const char *reason)
{
    const fn_step_t *st = &t->steps[s->step];
    int64_t now = fn_time_mono_us();
    fn_cmd_result_t r = {t->spec.task_id,
                         fn_host_name(s->host),
                         s->step,
                         s->seq,
                         cmd,
                         code,
                         "",
                         0,
                         "",
                         0,
                         fn_time_wall_us(),
                         0,
                         st->tag,
                         reason ? reason : "",
                         0};
    if (m) {
        r.out = m->out;
        r.out_len = m->out_len;
        r.err = m->err;
        r.err_len = m->err_len;
        r.truncated = m->truncated;
        r.started_us = s->live->cmd_wall_us;
        r.duration_us = now - s->live->cmd_mono_us;
    }
    if (st->kind == FN_STEP_BACKUP && code == 0) { /* text goes to backup */
        r.out = "";
        r.out_len = 0;
    }
    t->commands++;
    if (code != 0 && code != FN_EXIT_SKIPPED)
        t->errors++;
    if (code != 0 && code != FN_EXIT_SKIPPED)
        s->any_fail = 1;
    if (code != 0 && s->step_codes[s->step] == 0)
        s->step_codes[s->step] = code;
    TK_SINK(t, on_result, &r);
}

static const char *tk_backup_cmd(const fn_task_t *t, const fn_dev_t *s,
                                 const fn_step_t *st)
{
    if (st->ncommands)
        return st->commands[0];
    const char *c = fn_vendor_backup_command(s->vendor);
    return c ? c : "show running-config";
}

/* The commands of step i as results would list them (for skips). */
static size_t tk_step_len(const fn_task_t *t, const fn_dev_t *s, unsigned i)
{
    const fn_step_t *st = &t->steps[i];
    if (st->kind == FN_STEP_BACKUP)
        return 1;
    return st->ncommands;
}

static const char *tk_step_cmd(const fn_task_t *t, const fn_dev_t *s,
                               unsigned i, size_t k)
{
    const fn_step_t *st = &t->steps[i];
    return st->kind == FN_STEP_BACKUP ? tk_backup_cmd(t, s, st)
                                      : st->commands[k];
}

/* -2 for the rest of the current step (from s->seq) and, if all, every
 * later step. */
static void tk_skip_rest(fn_task_t *t, fn_dev_t *s, const char *why, int all)
{
    unsigned last = all ? (unsigned)t->spec.nsteps : s->step + 1;
    for (; s->step < last; s->step++, s->seq = 0) {
        size_t n = tk_step_len(t, s, s->step);
        if (s->seq == 0 && s->step_codes[s->step] == 0)
            s->step_codes[s->step] = FN_EXIT_SKIPPED;
        for (; s->seq < n; s->seq++)
            tk_emit(t, s, tk_step_cmd(t, s, s->step, s->seq), FN_EXIT_SKIPPED,
                    NULL, why);
    }
    s->step = last;
    s->seq = 0;
}

/* ------------------------------------------------------------------ */
/* step selection */

/* Returns NULL when the step runs on s, else why it is skipped. */
static const char *tk_step_skip_reason(fn_task_t *t, fn_dev_t *s)
{
    const fn_step_t *st = &t->steps[s->step];
    unsigned char m = t->sel[s->step] ? t->sel[s->step][s->idx] : 0;
    if (st->nonly_on && !(m & TK_ONLY))
        return "skipped: host not in only_on";
    if (m & TK_SKIP)
        return "skipped: host in skip";
    int w = t->when_step[s->step];
    if (w >= 0) {
        int code = s->step_codes[w];
        for (size_t i = 0; i < st->nwhen_codes; i++)
            if (st->when_codes[i] == code)
                return NULL;
        return "skipped: when condition not met";
    }
    return NULL;
}

static void tk_dev_finish(fn_task_t *t, fn_dev_t *s)
{
    if (s->finished)
        return;
    s->finished = 1;
    t->done++;
    if (s->conn != DEV_CONNECTED)
        return;
    if (s->any_fail)
        t->failed++;
    else if (s->step >= t->spec.nsteps) /* ran everything it was given */
        t->ok++;
}

static void tk_close(fn_dev_t *s, int action)
{
    if (s->state == FN_SS_CLOSING)
        return; /* already decided (e.g. cancelled from a callback) */
    s->action = action;
    fn__session_close(s);
}

/* CONFIG step: enter, lines, commit, leave. Returns 1 if it sent. */
static int tk_run_config(fn_task_t *t, fn_dev_t *s, const fn_step_t *st)
{
    const char *enter = fn_vendor_config_enter(s->vendor);
    const char *commit = fn_vendor_config_commit(s->vendor);
    const char *leave = fn_vendor_config_leave(s->vendor);
    if (s->cfg_phase == 0) {
        s->cfg_phase = 1;
        if (enter && !s->in_config) {
            fn__session_send(s, enter, JOB_CONFIG_ENTER);
            return 1;
        }
    }
    if (s->cfg_phase == 1 && s->seq < st->ncommands) {
        s->config_sent = 1;
        fn__session_send(s, st->commands[s->seq], JOB_USER);
        return 1;
    }
    if (s->cfg_phase == 1) {
        s->cfg_phase = 2;
        if (commit) {
            fn__session_send(s, commit, JOB_USER); /* seq = ncommands */
            return 1;
        }
    }
    if (s->cfg_phase == 2) {
        s->cfg_phase = 3;
        if (leave && s->in_config) {
            fn__session_send(s, leave, JOB_CONFIG_LEAVE);
            return 1;
        }
    }
    return 0;
}

/* Gives a READY session its next command, or finishes the device. */
static void tk_run_next(fn_task_t *t, fn_dev_t *s)
{
    while (s->step < t->spec.nsteps && !s->stopped && !t->stopping) {
        const fn_step_t *st = &t->steps[s->step];
        if (s->seq == 0 && s->cfg_phase == 0) {
            const char *why = tk_step_skip_reason(t, s);
            if (why) {
                tk_skip_rest(t, s, why, 0);
                continue;
            }
        }
        int sent = 0;
        if (st->kind == FN_STEP_CONFIG) {
            sent = tk_run_config(t, s, st);
        } else if (s->seq < tk_step_len(t, s, s->step)) {
            fn__session_send(s, tk_step_cmd(t, s, s->step, s->seq), JOB_USER);
            sent = 1;
        }
        if (sent)
            return;
        s->step++;
        s->seq = 0;
        s->cfg_phase = 0;
        s->config_sent = 0;
    }
    tk_close(s, ACT_FINISH);
}

/* ------------------------------------------------------------------ */
/* connect-first gate */

static void tk_release(fn_task_t *t)
{
    t->gate = 0;
    t->next_idle = 0; /* phase 2: rescan for parked devices */
    for (unsigned i = 0; i < t->ndevs && !t->stopping; i++) {
        fn_dev_t *s = &t->devs[i];
        if (s->state == FN_SS_READY)
            tk_run_next(t, s);
    }
    fn__engine_kick(t->e);
}

static void tk_stop(fn_task_t *t, int status, const char *why)
{
    if (t->stopping)
        return;
    t->stopping = 1;
    t->status = status;
    snprintf(t->error, sizeof(t->error), "%s", why);
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *s = &t->devs[i];
        if (s->state == FN_SS_BACKOFF) {
            fn__session_unbackoff(s); /* IDLE: tk_skip_idle finishes it */
            tk_unwait(t, s);
        } else if (fn__session_is_active(s))
            tk_close(s, ACT_FINISH);
    }
    fn__engine_kick(t->e);
}

static void tk_gate_check(fn_task_t *t)
{
    if (!t->gate || t->deciding || t->stopping)
        return;
    if (t->connected + t->failed_connect < t->ndevs)
        return;
    const fn_task_spec_t *sp = &t->spec;
    fn_connect_summary_t cs = {t->ndevs, t->connected, t->failed_connect, 0};
    if (sp->max_failed || sp->max_failed_percent)
        cs.over_threshold =
            (sp->max_failed && cs.failed > sp->max_failed) ||
            (sp->max_failed_percent &&
             cs.failed * 100.0 > sp->max_failed_percent * (double)cs.total);
    int go = !cs.over_threshold;
    if (t->sink.decide) {
        t->e->in_callback++;
        go = t->sink.decide(t, &cs, t->sink.arg);
        t->e->in_callback--;
    }
    if (go == FN_EAGAIN) {
        t->deciding = 1;
        return;
    }
    fn_task_resume(t, go > 0);
}

int fn_task_resume(fn_task_t *t, int go)
{
    if (!t || !t->gate || t->stopping)
        return FN_ESTATE;
    t->deciding = 0;
    if (go) {
        fn__task_log(t, NULL, FN_LOG_INFO,
                     "connect-first: %u of %u connected, running steps",
                     t->connected, t->ndevs);
        tk_release(t);
        return 0;
    }
    char why[200];
    snprintf(why, sizeof(why),
             "connect-first: %u of %u devices failed to connect; stopped",
             t->failed_connect, t->ndevs);
    tk_stop(t, FN_TASK_FAILED, why);
    return 0;
}

/* ------------------------------------------------------------------ */
/* session callbacks */

void fn__task_on_ready(fn_task_t *t, fn_dev_t *s)
{
    if (s->conn == DEV_PENDING) {
        s->conn = DEV_CONNECTED;
        t->connected++;
        tk_report(t, s, FN_CONNECT_OK);
        if (s->state != FN_SS_READY)
            return; /* the sink cancelled */
    } else {
        fn__task_log(t, s, FN_LOG_INFO, "reconnected (%u)", s->reconnects);
    }
    if (t->gate) {
        int waiting = t->next_idle < t->ndevs || t->retry;
        if (waiting && (t->active >= t->concurrency ||
                        t->e->sessions >= t->e->opts.max_sessions))
            tk_close(s, ACT_PARK);
        tk_gate_check(t);
        return;
    }
    tk_run_next(t, s);
}

/* Leaves a CONFIG step for good: -2 for its unsent lines, next step. */
static void tk_config_abort(fn_task_t *t, fn_dev_t *s, const char *why)
{
    tk_skip_rest(t, s, why, 0);
    s->cfg_phase = 0;
    s->config_sent = 0;
    s->in_config = 0;
}

static void tk_after_result(fn_task_t *t, fn_dev_t *s, int code)
{
    const fn_step_t *st = &t->steps[s->step];
    if (code != 0 && st->exit_on_fail) {
        s->stopped = 1;
        tk_skip_rest(t, s, "skipped: exit_on_fail after a failure", 1);
    }
    if (code == FN_EXIT_TIMEOUT) {
        /* the device's state is unknown: go on with a new session; a
         * config step is not resumed outside config mode */
        s->last_err = FN_ETIMEOUT;
        if (st->kind == FN_STEP_CONFIG && !s->stopped)
            tk_config_abort(t, s, "skipped: config step interrupted");
        int more = s->step < t->spec.nsteps && !s->stopped;
        if (more && s->reconnects < t->spec.reconnects && !t->stopping) {
            s->reconnects++;
            tk_close(s, ACT_RECONNECT);
            return;
        }
        s->stopped = 1;
        tk_skip_rest(t, s, "skipped: device stopped answering", 1);
        tk_close(s, ACT_FINISH);
        return;
    }
    if (s->state == FN_SS_READY)
        tk_run_next(t, s);
}

/* The backup event, its text without the vendor's volatile lines
 * (backup_strip: "Current configuration : N bytes" …) so unchanged
 * configurations give identical backups. */
static void tk_emit_backup(fn_task_t *t, fn_dev_t *s, const fn_step_t *st,
                           const fn_match_result_t *r)
{
    fn_buf_t clean;
    fn_buf_init(&clean, 0);
    const char *text = r->out;
    size_t len = r->out_len;
    if (fn_vendor_backup_clean(s->vendor, r->out, r->out_len, &clean) == 0) {
        text = clean.data ? clean.data : "";
        len = clean.len;
    } else { /* keep the raw text rather than lose the backup */
        fn__task_log(t, s, FN_LOG_WARN, "backup_strip: out of memory");
    }
    fn_backup_t b = {t->spec.task_id,
                     fn_host_name(s->host),
                     fn_vendor_name(s->vendor),
                     fn_time_wall_us(),
                     st->comment,
                     s->live->cmd_text,
                     text,
                     len,
                     s->step};
    t->backups++;
    TK_SINK(t, on_backup, &b);
    fn_buf_cleanup(&clean);
}

void fn__task_on_result(fn_task_t *t, fn_dev_t *s, int exit_code,
                        const fn_match_result_t *r, const char *reason)
{
    const fn_step_t *st = &t->steps[s->step];
    int job = s->live->job;
    s->live->job = JOB_NONE;
    if (job == JOB_CONFIG_ENTER) {
        s->in_config = exit_code == 0;
        if (exit_code == 0)
            return tk_run_next(t, s);
        s->seq = 0;
        tk_emit(t, s, s->live->cmd_text, exit_code, r, "config mode refused");
        s->cfg_phase = 3;
        return tk_after_result(t, s, exit_code);
    }
    if (job == JOB_CONFIG_LEAVE) {
        s->in_config = 0;
        if (exit_code != 0)
            fn__task_log(t, s, FN_LOG_WARN, "leaving config mode failed");
        return tk_after_result(t, s,
                               exit_code == FN_EXIT_TIMEOUT ? exit_code : 0);
    }
    tk_emit(t, s, s->live->cmd_text, exit_code, r, reason);
    if (st->kind == FN_STEP_BACKUP && exit_code == 0)
        tk_emit_backup(t, s, st, r);
    s->seq++;
    tk_after_result(t, s, exit_code);
}

static unsigned tk_backoff_ms(const fn_dev_t *s)
{
    unsigned ms = TASK_BACKOFF_MS << (s->tries > 4 ? 4 : s->tries - 1);
    return ms + (unsigned)(s->idx * 7919u % (ms / 2 + 1)); /* spread */
}

/* Lost after login: re-run a show command, report a config change. */
static void tk_on_drop(fn_task_t *t, fn_dev_t *s, const char *why)
{
    const fn_step_t *st = s->step < t->spec.nsteps ? &t->steps[s->step] : NULL;
    int was_running = s->state == FN_SS_RUNNING;
    if (st && st->kind == FN_STEP_CONFIG && s->config_sent) {
        char r[300];
        snprintf(r, sizeof(r),
                 "connection lost during a config step (%s): the change "
                 "may have applied; not repeated",
                 why);
        if (s->seq < st->ncommands + 1 && was_running) {
            tk_emit(t, s, s->live->cmd_text, FN_EXIT_CONNECTION, NULL, r);
            s->seq++;
        }
        tk_config_abort(t, s, "skipped: config step interrupted");
    } else if (st && st->kind == FN_STEP_CONFIG) {
        s->cfg_phase = 0; /* nothing sent yet: redo the step */
    }
    if (s->reconnects < t->spec.reconnects && !t->stopping &&
        s->step < t->spec.nsteps) {
        s->reconnects++;
        fn__task_log(t, s, FN_LOG_WARN, "connection lost (%s); reconnecting",
                     why);
        tk_close(s, ACT_RECONNECT);
        return;
    }
    if (s->step < t->spec.nsteps) {
        char r[300];
        snprintf(r, sizeof(r), "connection lost: %s", why);
        size_t n = tk_step_len(t, s, s->step);
        if (s->seq < n) {
            tk_emit(t, s, tk_step_cmd(t, s, s->step, s->seq),
                    FN_EXIT_CONNECTION, NULL, r);
            s->seq++;
        }
        s->stopped = 1;
        tk_skip_rest(t, s, "skipped: connection lost", 1);
    }
    tk_close(s, ACT_FINISH);
}

void fn__task_on_failure(fn_task_t *t, fn_dev_t *s, int err, int retryable)
{
    s->last_err = err;
    if (t->stopping) {
        tk_close(s, ACT_FINISH);
        return;
    }
    if (retryable && s->tries < t->spec.connect_tries) {
        tk_close(s, ACT_RETRY);
        return;
    }
    if (s->conn == DEV_PENDING) {
        tk_close(s, ACT_FAIL_CONNECT);
        return;
    }
    tk_on_drop(t, s, s->live->reason);
}

int fn__task_hostkey(fn_task_t *t, fn_dev_t *s, const char *type,
                     const char *sha256)
{
    char hp[300], ktype[64] = "", ksha[128] = "";
    snprintf(hp, sizeof(hp), "%s:%u", fn_host_address(s->host),
             fn_host_port(s->host));
    int rc = FN_ENOTFOUND;
    if (t->sink.hostkey_get) {
        t->e->in_callback++;
        rc = t->sink.hostkey_get(t, hp, ktype, sizeof(ktype), ksha,
                                 sizeof(ksha), t->sink.arg);
        t->e->in_callback--;
    }
    int policy = t->spec.hostkey_policy;
    if (rc == 0 && !strcmp(ksha, sha256))
        return 0;
    if (rc == 0 && policy != FN_HOSTKEY_ACCEPT_NEW) {
        snprintf(s->live->reason, sizeof(s->live->reason),
                 "host key changed: pinned %s %s, device offers %s %s "
                 "(refused)",
                 ktype, ksha, type, sha256);
        return FN_EHOSTKEY;
    }
    if (rc != 0 && policy == FN_HOSTKEY_STRICT) {
        snprintf(s->live->reason, sizeof(s->live->reason),
                 "host key %s %s not pinned (strict policy)", type, sha256);
        return FN_EHOSTKEY;
    }
    if (rc == 0)
        fn__task_log(t, s, FN_LOG_WARN, "host key replaced: %s -> %s", ksha,
                     sha256);
    TK_SINK(t, hostkey_pin, hp, type, sha256, rc == 0);
    return s->state == FN_SS_CLOSING ? FN_ECANCELED : 0;
}

static void tk_on_closed(fn_task_t *t, fn_dev_t *s)
{
    t->active--;
    s->state = FN_SS_DONE;
    switch (s->action) {
    case ACT_RETRY:
        fn__task_log(t, s, FN_LOG_INFO, "try %u failed (%s); retrying",
                     s->tries, s->live->reason);
        fn__session_backoff(s, tk_backoff_ms(s));
        return;
    case ACT_RECONNECT:
        s->tries = 0;
        fn__session_backoff(s, TASK_RECONNECT_MS);
        return;
    case ACT_PARK:
        s->tries = 0; /* phase 2 connects afresh */
        s->parked = 1;
        s->state = FN_SS_IDLE;
        return;
    case ACT_FAIL_CONNECT:
        s->conn = DEV_FAILED;
        t->failed_connect++;
        tk_report(t, s, FN_CONNECT_FAILED);
        tk_dev_finish(t, s);
        tk_gate_check(t);
        return;
    default:
        if (s->conn == DEV_PENDING && t->stopping) {
            s->conn = DEV_SKIPPED;
            tk_report(t, s, FN_CONNECT_SKIPPED);
        }
        tk_dev_finish(t, s);
        return;
    }
}

void fn__task_on_closed(fn_task_t *t, fn_dev_t *s)
{
    tk_on_closed(t, s);
    if (s->state == FN_SS_BACKOFF)
        t->waiting++; /* keeps its live session (and timer) to retry */
    else
        tk_live_put(t, s);
}

/* ------------------------------------------------------------------ */
/* admission (engine pump) */

void fn__task_requeue(fn_task_t *t, fn_dev_t *s)
{
    if (t->stopping) { /* inside its own timer: fn__task_free frees it */
        tk_dev_finish(t, s);
        if (s->conn == DEV_PENDING) {
            s->conn = DEV_SKIPPED;
            tk_report(t, s, FN_CONNECT_SKIPPED);
        }
        fn__engine_kick(t->e);
        return;
    }
    s->retry_next = t->retry;
    t->retry = s;
    fn__engine_kick(t->e);
}

int fn__task_can_start(const fn_task_t *t)
{
    /* a requeued retry already holds its slot: it never waits for one */
    return !t->stopping &&
           (t->retry || t->active + t->waiting < t->concurrency);
}

fn_dev_t *fn__task_next_idle(fn_task_t *t)
{
    fn_dev_t *s = NULL;
    if (t->retry) {
        s = t->retry;
        t->retry = s->retry_next;
        t->waiting--; /* its live session goes back to work */
    } else if (!t->gate) {
        /* phase 2 of connect-first: parked devices first */
        for (; t->next_idle < t->ndevs; t->next_idle++) {
            fn_dev_t *c = &t->devs[t->next_idle];
            if (c->state == FN_SS_IDLE && (c->parked || !c->reported)) {
                s = c;
                t->next_idle++;
                break;
            }
        }
    } else if (t->next_idle < t->ndevs) {
        s = &t->devs[t->next_idle++];
    }
    if (s && tk_live_get(t, s) != 0) { /* out of memory: try again later */
        t->next_idle--;
        return NULL;
    }
    if (s)
        t->active++;
    return s;
}

int fn__task_finished(const fn_task_t *t)
{
    return t->done == t->ndevs && t->active == 0 && !t->finalized;
}

fn_task_t *fn__task_next(fn_task_t *t)
{
    return t->next;
}

fn_engine_t *fn__task_engine(fn_task_t *t)
{
    return t->e;
}

const fn_task_spec_t *fn__task_spec(const fn_task_t *t)
{
    return &t->spec;
}

const char *fn__task_password(const fn_task_t *t, int enable)
{
    return enable ? t->enable_password : t->password;
}

/* ------------------------------------------------------------------ */
/* start, finish, free */

static int tk_secrets(fn_task_t *t, const fn_creds_t *c)
{
    int bad = 0;
    t->spec.creds.username = tk_str(t, c->username, &bad);
    t->spec.creds.key_file = tk_str(t, c->key_file, &bad);
    t->spec.creds.password = NULL;
    t->spec.creds.enable_password = NULL;
    if (c->password && !(t->password = strdup(c->password)))
        bad = 1;
    if (c->enable_password &&
        !(t->enable_password = strdup(c->enable_password)))
        bad = 1;
    return bad ? -ENOMEM : 0;
}

static void tk_wipe(char **p)
{
    if (*p) {
        fn_memwipe(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

void fn__task_free(fn_task_t *t)
{
    if (!t)
        return;
    for (unsigned i = 0; t->devs && i < t->ndevs; i++) {
        fn__session_free_resources(&t->devs[i]);
        tk_live_put(t, &t->devs[i]);
        free(t->devs[i].step_codes);
        free(t->devs[i].reason);
    }
    free(t->devs);
    while (t->pool) {
        fn_session_t *lv = t->pool;
        t->pool = lv->free_next;
        free(lv);
    }
    if (t->progress_ev)
        event_free(t->progress_ev);
    tk_wipe(&t->password);
    tk_wipe(&t->enable_password);
    for (size_t i = 0; i < t->nallocs; i++)
        free(t->allocs[i]);
    free(t->allocs);
    for (size_t i = 0; t->sel && i < t->spec.nsteps; i++)
        free(t->sel[i]);
    free(t->sel);
    free(t->steps);
    free(t->when_step);
    free(t);
}

static int tk_init(fn_task_t *t, const fn_task_spec_t *spec, char *err,
                   size_t errlen)
{
    int bad = 0;
    t->spec = *spec;
    tk_defaults(&t->spec);
    t->spec.task_id = tk_str(t, spec->task_id, &bad);
    t->spec.default_vendor = tk_str(t, spec->default_vendor, &bad);
    if (bad)
        return -ENOMEM;
    int rc = tk_secrets(t, &spec->creds);
    if (rc == 0)
        rc = tk_copy_steps(t, spec);
    if (rc == 0)
        rc = tk_validate(t, err, errlen);
    if (rc == 0)
        rc = tk_devices(t, err, errlen);
    if (rc == 0)
        rc = tk_selections(t);
    unsigned max = t->e->opts.max_sessions;
    t->concurrency =
        spec->concurrency && spec->concurrency < max ? spec->concurrency : max;
    t->gate = t->spec.mode == FN_MODE_CONNECT_FIRST;
    t->status = FN_TASK_DONE;
    return rc;
}

int fn_task_start(fn_engine_t *e, const fn_task_spec_t *spec,
                  const fn_sink_t *sink, fn_task_t **out, char *err,
                  size_t errlen)
{
    if (out)
        *out = NULL;
    if (!e || !spec || !spec->task_id || !spec->task_id[0])
        return tk_errf(err, errlen, FN_EPARSE, "task id required");
    if (spec->nhosts && !spec->hosts)
        return tk_errf(err, errlen, FN_EPARSE, "hosts missing");
    for (fn_task_t *o = e->tasks; o; o = o->next)
        if (!strcmp(o->spec.task_id, spec->task_id))
            return tk_errf(err, errlen, FN_EEXISTS, "task %s is running",
                           spec->task_id);
    fn_task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->e = e;
    if (sink)
        t->sink = *sink;
    int rc = tk_init(t, spec, err, errlen);
    if (rc == 0 && e->opts.progress_ms) {
        t->progress_ev = event_new(e->base, -1, EV_PERSIST, tk_on_progress, t);
        struct timeval tv = {e->opts.progress_ms / 1000,
                             (long)(e->opts.progress_ms % 1000) * 1000};
        if (!t->progress_ev || event_add(t->progress_ev, &tv) < 0)
            rc = -ENOMEM;
    }
    if (rc < 0) {
        fn__task_free(t);
        return rc;
    }
    t->t0_mono = fn_time_mono_us();
    t->t0_wall = fn_time_wall_us();
    t->next = e->tasks;
    e->tasks = t;
    if (out)
        *out = t;
    fn__task_log(t, NULL, FN_LOG_INFO, "task started: %u devices, %zu steps",
                 t->ndevs, t->spec.nsteps);
    fn__engine_kick(e);
    return 0;
}

/* Summary, then unlink and free. Engine pump only. */
void fn__task_finalize(fn_task_t *t)
{
    fn_engine_t *e = t->e;
    t->finalized = 1;
    tk_progress(t);
    fn_summary_t sm = {t->spec.task_id,   t->status,
                       t->ndevs,          t->connected,
                       t->failed_connect, t->ok,
                       t->failed,         t->commands,
                       t->errors,         fn_time_mono_us() - t->t0_mono,
                       t->backups,        t->error};
    TK_SINK(t, on_summary, &sm);
    for (fn_task_t **p = &e->tasks; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    fn__task_free(t);
}

/* Devices never started are SKIPPED once the task stops. */
static void tk_skip_idle(fn_task_t *t)
{
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *s = &t->devs[i];
        if (s->state != FN_SS_IDLE || s->finished)
            continue;
        if (s->conn == DEV_PENDING) {
            s->conn = DEV_SKIPPED;
            tk_report(t, s, FN_CONNECT_SKIPPED);
        }
        tk_dev_finish(t, s);
        tk_unwait(t, s); /* was queued to retry */
    }
    t->next_idle = t->ndevs;
    t->retry = NULL;
}

void fn__task_maybe_finish(fn_task_t *t)
{
    if (t->stopping)
        tk_skip_idle(t);
}

int fn_task_cancel(fn_task_t *t)
{
    if (!t || t->stopping)
        return FN_ESTATE;
    tk_stop(t, FN_TASK_CANCELLED, "cancelled");
    return 0;
}

const char *fn_task_id(const fn_task_t *t)
{
    return t->spec.task_id;
}

fn_engine_t *fn_task_engine(const fn_task_t *t)
{
    return t->e;
}
