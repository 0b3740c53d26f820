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
#define TASK_DEF_LOGIN_MS   10000
#define TASK_DEF_COMMAND_MS 30000
#define TASK_DEF_TRIES      3
#define TASK_DEF_RECONNECTS 2
#define TASK_BACKOFF_MS     250 /* first retry; doubles per try */
#define TASK_RECONNECT_MS   50
#define TASK_SEL_ONLY       1 /* device listed in the step's only_on */
#define TASK_SEL_SKIP       2 /* device listed in the step's skip */

struct fn_task {
    fn_engine_t *e;
    fn_task_t *next;
    fn_task_spec_t spec;       /* deep copy; strings in allocs */
    fn_step_t *steps;          /* owned */
    fn_cmd_answer_t **answers; /* per step: its expect as answers, or NULL */
    struct task_save *saves;   /* per vendor: its save questions */
    int *when_step;            /* per step: index of the when_tag step or -1 */
    unsigned char *
        *sel; /* per step: per device TASK_SEL_ONLY|TASK_SEL_SKIP, or NULL */
    void **allocs; /* every string/array of the copy */
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

/* A vendor's save questions as answers, built once per task and vendor
 * (a request borrows them until it completes). */
struct task_save {
    const fn_vendor_t *vendor;
    fn_cmd_answer_t a[8];
    size_t n;
    struct task_save *next;
};

/* ------------------------------------------------------------------ */
/* spec copy */

static void *task_keep(fn_task_t *t, void *p)
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

static const char *task_str(fn_task_t *t, const char *dev, int *bad)
{
    if (!dev)
        return NULL;
    char *c = task_keep(t, strdup(dev));
    if (!c)
        *bad = 1;
    return c;
}

static const char *const *task_strv(fn_task_t *t, const char *const *v,
                                    size_t n, int *bad)
{
    if (!n)
        return NULL;
    const char **c = task_keep(t, calloc(n, sizeof(*c)));
    if (!c) {
        *bad = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        c[i] = task_str(t, v[i] ? v[i] : "", bad);
    return c;
}

static int task_copy_steps(fn_task_t *t, const fn_task_spec_t *sp)
{
    int bad = 0;
    t->steps = calloc(sp->nsteps + 1, sizeof(*t->steps));
    t->when_step = calloc(sp->nsteps + 1, sizeof(int));
    t->answers = calloc(sp->nsteps + 1, sizeof(*t->answers));
    if (!t->steps || !t->when_step || !t->answers)
        return -ENOMEM;
    for (size_t i = 0; i < sp->nsteps; i++) {
        const fn_step_t *in = &sp->steps[i];
        fn_step_t *o = &t->steps[i];
        *o = *in;
        o->commands = task_strv(t, in->commands, in->ncommands, &bad);
        o->only_on = task_strv(t, in->only_on, in->nonly_on, &bad);
        o->skip = task_strv(t, in->skip, in->nskip, &bad);
        o->tag = task_str(t, in->tag ? in->tag : "", &bad);
        o->when_tag = task_str(t, in->when_tag, &bad);
        o->comment = task_str(t, in->comment ? in->comment : "", &bad);
        o->parse_tpl = fn_parse_tpl_ref(in->parse_tpl); /* until task end */
        o->parse_index = fn_parse_index_ref(in->parse_index);
        o->expect = NULL;
        t->answers[i] =
            in->nexpect
                ? task_keep(t, calloc(in->nexpect, sizeof(**t->answers)))
                : NULL;
        if (in->nexpect && !t->answers[i])
            bad = 1;
        for (size_t k = 0; t->answers[i] && k < in->nexpect; k++)
            t->answers[i][k] = (fn_cmd_answer_t){
                .question = task_str(t, in->expect[k].question, &bad),
                .text = task_str(
                    t, in->expect[k].answer ? in->expect[k].answer : "", &bad),
            };
        if (in->nwhen_codes) {
            int *c = task_keep(t, malloc(in->nwhen_codes * sizeof(int)));
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

static void task_defaults(fn_task_spec_t *sp)
{
    if (!sp->mode)
        sp->mode = FN_MODE_PIPELINED;
    if (!sp->connect_timeout_ms)
        sp->connect_timeout_ms = TASK_DEF_CONNECT_MS;
    if (!sp->auth_timeout_ms)
        sp->auth_timeout_ms = TASK_DEF_AUTH_MS;
    if (!sp->login_timeout_ms)
        sp->login_timeout_ms = TASK_DEF_LOGIN_MS;
    if (!sp->command_timeout_ms)
        sp->command_timeout_ms = TASK_DEF_COMMAND_MS;
    if (!sp->hostkey_policy)
        sp->hostkey_policy = FN_HOSTKEY_TOFU;
    if (!sp->connect_tries)
        sp->connect_tries = TASK_DEF_TRIES;
    if (!sp->reconnects)
        sp->reconnects = TASK_DEF_RECONNECTS;
}

static int task_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int task_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
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
static int task_validate(fn_task_t *t, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->spec.nsteps; i++) {
        const fn_step_t *st = &t->steps[i];
        t->when_step[i] = -1;
        if (st->kind < FN_STEP_COMMANDS || st->kind > FN_STEP_SAVE)
            return task_errf(err, errlen, FN_EPARSE, "step %zu: bad kind %d", i,
                             st->kind);
        if (st->kind != FN_STEP_BACKUP && st->kind != FN_STEP_SAVE &&
            !st->ncommands)
            return task_errf(err, errlen, FN_EPARSE, "step %zu: no commands",
                             i);
        if (!st->when_tag || !st->when_tag[0])
            continue;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->steps[j].tag, st->when_tag))
                t->when_step[i] = (int)j;
        if (t->when_step[i] < 0)
            return task_errf(err, errlen, FN_EPARSE,
                             "step %zu: when: no earlier step tagged '%s'", i,
                             st->when_tag);
    }
    return 0;
}

/* The one-off name -> device index map. */
static size_t task_hash(const char *dev)
{
    return (size_t)fn_str_hash(dev);
}

static void task_mark(fn_task_t *t, const unsigned *map, size_t mask,
                      unsigned char *sel, const char *const *names, size_t n,
                      unsigned char bit)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = task_hash(names[k]) & mask; map[i]; i = (i + 1) & mask)
            if (!strcmp(fn_host_name(t->devs[map[i] - 1].host), names[k]))
                sel[map[i] - 1] |= bit;
}

/* only_on / skip lists become per-device bits once, so choosing a step
 * costs O(1) per device even with 10,000 names in a list. */
static int task_selections(fn_task_t *t)
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
        size_t i = task_hash(fn_host_name(t->devs[d].host)) & (cap - 1);
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
        task_mark(t, map, cap - 1, t->sel[k], st->only_on, st->nonly_on,
                  TASK_SEL_ONLY);
        task_mark(t, map, cap - 1, t->sel[k], st->skip, st->nskip,
                  TASK_SEL_SKIP);
    }
    free(map);
    return rc;
}

static int task_devices(fn_task_t *t, char *err, size_t errlen)
{
    const fn_task_spec_t *sp = &t->spec;
    t->ndevs = (unsigned)sp->nhosts;
    t->devs = calloc(sp->nhosts + 1, sizeof(*t->devs));
    if (!t->devs)
        return -ENOMEM;
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *dev = &t->devs[i];
        fn__session_init(dev, t, i);
        dev->host = sp->hosts[i];
        const char *vn = fn_host_vendor(dev->host);
        if (!vn[0])
            vn = sp->default_vendor ? sp->default_vendor : "";
        dev->vendor = fn_vendors_find(t->e->vendors, vn);
        if (!dev->vendor && !vn[0])
            return task_errf(err, errlen, FN_EVENDOR,
                             "host %s: no vendor (vendor ''): set vendor= in "
                             "the inventory or a default vendor",
                             fn_host_name(dev->host));
        if (!dev->vendor)
            return task_errf(err, errlen, FN_EVENDOR,
                             "host %s: unknown vendor '%s'",
                             fn_host_name(dev->host), vn);
        unsigned char plan[6];
        if (fn__session_auth_plan(fn_host_auth(dev->host), plan) < 0)
            return task_errf(err, errlen, FN_EPARSE,
                             "host %s: auth '%s': methods are publickey, "
                             "password, keyboard-interactive",
                             fn_host_name(dev->host), fn_host_auth(dev->host));
        dev->step_codes = calloc(sp->nsteps + 1, sizeof(int));
        if (!dev->step_codes)
            return -ENOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* live sessions: lent from the task's free list, at most `concurrency`
 * (active devices plus those waiting to retry) */

static int task_live_get(fn_task_t *t, fn_dev_t *dev)
{
    if (dev->sess)
        return 0; /* kept through a retry backoff */
    fn_session_t *sess = t->pool;
    if (sess)
        t->pool = sess->free_next;
    else if (!(sess = malloc(sizeof(*sess))))
        return -ENOMEM;
    fn__session_attach(dev, sess);
    if (++t->e->live > t->e->live_peak)
        t->e->live_peak = t->e->live;
    return 0;
}

/* Reaper or task teardown only: the session's resources are freed. */
static void task_live_put(fn_task_t *t, fn_dev_t *dev)
{
    fn_session_t *sess = fn__session_detach(dev);
    if (!sess)
        return;
    sess->free_next = t->pool;
    t->pool = sess;
    t->e->live--;
}

/* A device waiting to retry gives up its slot (the task stopped). */
static void task_unwait(fn_task_t *t, fn_dev_t *dev)
{
    if (!dev->sess)
        return;
    task_live_put(t, dev);
    t->waiting--;
}

/* ------------------------------------------------------------------ */
/* The sink chain's first link: one small function per event, each
 * counting the call so fn_engine_free can refuse to run inside one. */

static void sink_connection(fn_task_t *t, const fn_conn_report_t *r)
{
    t->e->in_callback++;
    if (t->sink.on_connection)
        t->sink.on_connection(t, r, t->sink.arg);
    t->e->in_callback--;
}

static void sink_result(fn_task_t *t, const fn_cmd_result_t *r)
{
    t->e->in_callback++;
    if (t->sink.on_result)
        t->sink.on_result(t, r, t->sink.arg);
    t->e->in_callback--;
}

static void sink_backup(fn_task_t *t, const fn_backup_t *b)
{
    t->e->in_callback++;
    if (t->sink.on_backup)
        t->sink.on_backup(t, b, t->sink.arg);
    t->e->in_callback--;
}

static void sink_log(fn_task_t *t, const fn_log_line_t *l)
{
    t->e->in_callback++;
    if (t->sink.on_log)
        t->sink.on_log(t, l, t->sink.arg);
    t->e->in_callback--;
}

static void sink_progress(fn_task_t *t, const fn_progress_t *p)
{
    t->e->in_callback++;
    if (t->sink.on_progress)
        t->sink.on_progress(t, p, t->sink.arg);
    t->e->in_callback--;
}

static void sink_summary(fn_task_t *t, const fn_summary_t *sm)
{
    t->e->in_callback++;
    if (t->sink.on_summary)
        t->sink.on_summary(t, sm, t->sink.arg);
    t->e->in_callback--;
}

static int sink_hostkey_get(fn_task_t *t, const char *hp, char *type,
                            size_t typelen, char *sha, size_t shalen)
{
    int rc = FN_ENOTFOUND;
    t->e->in_callback++;
    if (t->sink.hostkey_get)
        rc =
            t->sink.hostkey_get(t, hp, type, typelen, sha, shalen, t->sink.arg);
    t->e->in_callback--;
    return rc;
}

static void sink_hostkey_pin(fn_task_t *t, const char *hp, const char *type,
                             const char *sha, int replaced)
{
    t->e->in_callback++;
    if (t->sink.hostkey_pin)
        t->sink.hostkey_pin(t, hp, type, sha, replaced, t->sink.arg);
    t->e->in_callback--;
}

/* NULL decide: go exactly when under the threshold. */
static int sink_decide(fn_task_t *t, const fn_connect_summary_t *cs)
{
    int rc = !cs->over_threshold;
    t->e->in_callback++;
    if (t->sink.decide)
        rc = t->sink.decide(t, cs, t->sink.arg);
    t->e->in_callback--;
    return rc;
}

void fn__task_log(fn_task_t *t, const fn_dev_t *dev, int level, const char *fmt,
                  ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    const char *host = dev ? fn_host_name(dev->host) : "";
    fn_log_ctx_t ctx = {t->spec.task_id, host, FN_LOGC_CORE};
    fn_log(FN_LOG_DEBUG, &ctx, "%s", text); /* the sink decides, not us */
    unsigned max = t->sink.log_level ? t->sink.log_level : FN_LOG_INFO;
    if ((unsigned)level > max || !t->sink.on_log)
        return;
    fn_log_line_t l = {t->spec.task_id, ++t->log_seq, fn_time_wall_us(), host,
                       (unsigned)level, text};
    sink_log(t, &l);
}

static void task_progress(fn_task_t *t)
{
    double el = (double)(fn_time_mono_us() - t->t0_mono) / 1e6;
    fn_progress_t p = {
        t->ndevs, t->connected, t->failed_connect, t->done, t->active, 0, 0};
    p.rate = el > 0 ? t->done / el : 0;
    p.eta_s = p.rate > 0 ? (t->ndevs - t->done) / p.rate : 0;
    sink_progress(t, &p);
}

static void task_on_progress(evutil_socket_t fd, short what, void *arg)
{
    task_progress(arg);
}

static void task_report(fn_task_t *t, fn_dev_t *dev, int status)
{
    int ok = status == FN_CONNECT_OK;
    fn_conn_report_t r = {
        .task_id = t->spec.task_id,
        .host = fn_host_name(dev->host),
        .address = fn_host_address(dev->host),
        .port = fn_host_port(dev->host),
        .vendor = fn_vendor_name(dev->vendor),
        .status = status,
        .tries = dev->tries,
        .duration_us =
            dev->t_first_us ? fn_time_mono_us() - dev->t_first_us : 0,
        .reason = ok ? "" : fn__session_reason(dev),
        .err = status == FN_CONNECT_FAILED ? dev->last_err : 0,
        .warning = ok ? fn__session_warning(dev) : "",
    };
    if (status == FN_CONNECT_SKIPPED && !r.reason[0])
        r.reason = t->error[0] ? t->error : "not attempted";
    sink_connection(t, &r);
}

/* The template for a COMMANDS step's command on this device, or NULL. */
static const fn_parse_tpl_t *
task_template(const fn_dev_t *dev, const fn_step_t *st, const char *command)
{
    if (st->kind != FN_STEP_COMMANDS)
        return NULL;
    if (st->parse_tpl)
        return st->parse_tpl;
    if (!st->parse_index)
        return NULL;
    return fn_parse_index_get(st->parse_index, fn_vendor_name(dev->vendor),
                              command);
}

/* TextFSM over the cleaned output of a successful COMMANDS command: the
 * session fed the request's parser as the output streamed in (req->parse);
 * here the last bytes and the end of input. Returns the finished parser
 * (the caller frees it after the sink) or NULL; r->parse_error points to
 * why. Never touches the exit code. */
static fn_parse_t *task_parse(const fn_dev_t *dev, const fn_step_t *st,
                              const fn_cmd_t *req, fn_cmd_result_t *r,
                              char *why, size_t len)
{
    const char *vendor = fn_vendor_name(dev->vendor);
    fn_parse_t *p = req ? req->parse : NULL; /* submit found the template */
    const fn_parse_tpl_t *tpl = p ? NULL : task_template(dev, st, r->command);
    int rc = p ? req->parse_rc : tpl ? fn_parse_new(tpl, 0, &p) : FN_ENOTFOUND;
    size_t fed = req && req->parse ? req->parse_fed : 0;
    if (rc == 0 && r->out_len > fed)
        rc = fn_parse_feed(p, r->out + fed, r->out_len - fed);
    if (rc == 0)
        rc = fn_parse_finish(p);
    why[0] = '\0';
    if (!p && !tpl)
        snprintf(why, len, "no template for %s command '%s'", vendor,
                 r->command);
    else if (rc)
        snprintf(why, len, "%s",
                 p && *fn_parse_reason(p) ? fn_parse_reason(p)
                                          : fn_strerror(rc));
    r->parsed = 1;
    r->records = p;
    r->parse_error = why;
    return p;
}

/* One result. req (may be NULL: never sent) gives its timing, m (may
 * be NULL) the device's output. */
static void task_emit(fn_task_t *t, fn_dev_t *dev, const char *cmd, int code,
                      const fn_cmd_t *req, const fn_match_result_t *m,
                      const char *reason)
{
    const fn_step_t *st = &t->steps[dev->step];
    const char *priv = fn__session_priv_why(dev);
    if (code == FN_EXIT_VENDOR_ERROR && priv && (!reason || !reason[0]) &&
        st->kind != FN_STEP_COMMANDS)
        reason = priv; /* config and backups need privilege: the cause */
    fn_cmd_result_t r = {t->spec.task_id,
                         fn_host_name(dev->host),
                         dev->step,
                         dev->seq,
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
                         0,
                         0,
                         NULL,
                         ""};
    if (m) {
        r.out = m->out;
        r.out_len = m->out_len;
        r.err = m->err;
        r.err_len = m->err_len;
        r.truncated = m->truncated;
    }
    if (m && req) {
        r.started_us = req->started_wall_us;
        r.duration_us = req->duration_us;
    }
    if (st->kind == FN_STEP_BACKUP && code == 0) { /* text goes to backup */
        r.out = "";
        r.out_len = 0;
    }
    t->commands++;
    if (code != 0 && code != FN_EXIT_SKIPPED)
        t->errors++;
    if (code != 0 && code != FN_EXIT_SKIPPED)
        dev->any_fail = 1;
    if (code != 0 && dev->step_codes[dev->step] == 0)
        dev->step_codes[dev->step] = code;
    char why[FN_PARSE_REASON_LEN];
    fn_parse_t *parsed = NULL;
    if (st->kind == FN_STEP_COMMANDS && code == FN_EXIT_OK &&
        (st->parse_tpl || st->parse_index))
        parsed = task_parse(dev, st, req, &r, why, sizeof(why));
    sink_result(t, &r);
    if (req && req->parse && req->parse != parsed) /* not used: a failure */
        fn_parse_free(req->parse);
    fn_parse_free(parsed);
}

static const char *task_backup_cmd(const fn_task_t *t, const fn_dev_t *dev,
                                   const fn_step_t *st)
{
    if (st->ncommands)
        return st->commands[0];
    const char *c = fn_vendor_backup_command(dev->vendor);
    return c ? c : "show running-config";
}

/* The commands of step i as results would list them (for skips). */
static size_t task_step_len(const fn_task_t *t, const fn_dev_t *dev, unsigned i)
{
    const fn_step_t *st = &t->steps[i];
    if (st->kind == FN_STEP_BACKUP || st->kind == FN_STEP_SAVE)
        return 1;
    return st->ncommands;
}

/* The save command, or what a result names when the OS has none. */
static const char *task_save_cmd(const fn_dev_t *dev)
{
    const char *c = fn_vendor_save_command(dev->vendor);
    return c ? c : "(save)";
}

static const char *task_step_cmd(const fn_task_t *t, const fn_dev_t *dev,
                                 unsigned i, size_t k)
{
    const fn_step_t *st = &t->steps[i];
    if (st->kind == FN_STEP_SAVE)
        return task_save_cmd(dev);
    return st->kind == FN_STEP_BACKUP ? task_backup_cmd(t, dev, st)
                                      : st->commands[k];
}

/* -2 for the rest of the current step (from s->seq) and, if all, every
 * later step. */
static void task_skip_rest(fn_task_t *t, fn_dev_t *dev, const char *why,
                           int all)
{
    unsigned last = all ? (unsigned)t->spec.nsteps : dev->step + 1;
    for (; dev->step < last; dev->step++, dev->seq = 0) {
        size_t n = task_step_len(t, dev, dev->step);
        if (dev->seq == 0 && dev->step_codes[dev->step] == 0)
            dev->step_codes[dev->step] = FN_EXIT_SKIPPED;
        for (; dev->seq < n; dev->seq++)
            task_emit(t, dev, task_step_cmd(t, dev, dev->step, dev->seq),
                      FN_EXIT_SKIPPED, NULL, NULL, why);
    }
    dev->step = last;
    dev->seq = 0;
}

/* ------------------------------------------------------------------ */
/* step selection */

/* Returns NULL when the step runs on s, else why it is skipped. */
static const char *task_step_skip_reason(fn_task_t *t, fn_dev_t *dev)
{
    const fn_step_t *st = &t->steps[dev->step];
    unsigned char m = t->sel[dev->step] ? t->sel[dev->step][dev->idx] : 0;
    if (st->nonly_on && !(m & TASK_SEL_ONLY))
        return "skipped: host not in only_on";
    if (m & TASK_SEL_SKIP)
        return "skipped: host in skip";
    int w = t->when_step[dev->step];
    if (w >= 0) {
        int code = dev->step_codes[w];
        for (size_t i = 0; i < st->nwhen_codes; i++)
            if (st->when_codes[i] == code)
                return NULL;
        return "skipped: when condition not met";
    }
    return NULL;
}

static void task_dev_finish(fn_task_t *t, fn_dev_t *dev)
{
    if (dev->run == FN_RUN_FINISHED)
        return;
    dev->run = FN_RUN_FINISHED;
    t->done++;
    if (dev->conn != FN_DEV_CONNECTED)
        return;
    if (dev->any_fail)
        t->failed++;
    else if (dev->step >= t->spec.nsteps) /* ran everything it was given */
        t->ok++;
}

static void task_close(fn_dev_t *dev, enum fn_dev_next next)
{
    if (dev->state == FN_SS_CLOSING)
        return; /* already decided (e.g. cancelled from a callback) */
    dev->next = next;
    fn__session_close(dev);
}

static void task_on_cmd_done(fn_dev_t *dev, fn_cmd_t *cmd, int status,
                             const fn_match_result_t *out);

/* Hands the session the next command of the current step. */
/* The vendor's save questions as answers (built once per vendor). */
static const struct task_save *task_save_answers(fn_task_t *t,
                                                 const fn_vendor_t *v)
{
    struct task_save *s = t->saves;
    while (s && s->vendor != v)
        s = s->next;
    if (s || !(s = calloc(1, sizeof(*s))))
        return s;
    s->vendor = v;
    size_t n = fn_vendor_save_expect_count(v);
    for (s->n = 0; s->n < n && s->n < 8; s->n++)
        fn_vendor_save_expect_at(v, s->n, &s->a[s->n].question,
                                 &s->a[s->n].text);
    s->next = t->saves;
    t->saves = s;
    return s;
}

static void task_submit(fn_task_t *t, fn_dev_t *dev, const char *text,
                        enum fn_cmd_kind kind)
{
    const fn_step_t *st = &t->steps[dev->step];
    fn_cmd_t req = {
        .text = text,
        .kind = kind,
        .timeout_ms = kind == FN_CMD_USER && st->timeout_ms
                          ? st->timeout_ms
                          : t->spec.command_timeout_ms,
        .done = task_on_cmd_done,
    };
    const fn_parse_tpl_t *tpl =
        kind == FN_CMD_USER ? task_template(dev, st, text) : NULL;
    if (tpl && fn_parse_new(tpl, 0, &req.parse) < 0) /* no memory: */
        req.parse = NULL; /* parsed at the end instead */
    if (kind == FN_CMD_USER && st->kind == FN_STEP_SAVE) {
        const struct task_save *s = task_save_answers(t, dev->vendor);
        req.answers = s ? s->a : NULL;
        req.nanswers = s ? s->n : 0;
    } else if (kind == FN_CMD_USER) {
        req.answers = t->answers[dev->step];
        req.nanswers = st->nexpect;
    }
    if (fn__session_submit(dev, &req) < 0) { /* a bug: say it, go on */
        fn_parse_free(req.parse);
        fn__task_log(t, dev, FN_LOG_ERROR, "internal: submit in state %s",
                     fn__session_state_name(dev->state));
        task_close(dev, FN_NEXT_FINISH);
    }
}

/* A config line may have reached the device: the step is not redone. */
static int task_config_sent(const fn_dev_t *dev)
{
    if (dev->cfg_phase == FN_CFG_ENTER)
        return 0;
    if (dev->cfg_phase > FN_CFG_LINES)
        return 1;
    const fn_cmd_t *c = fn__session_cmd(dev);
    return dev->seq > 0 || (c && c->kind == FN_CMD_USER && c->written);
}

/* Leave config mode only while the prompt says we are in it: EOS's
 * commit and IOS-XR's abort already left, and "end" on IOS-XR with a
 * candidate would ask whether to commit it. */
static int task_in_config(const fn_dev_t *dev)
{
    int mode = fn__session_mode(dev);
    return mode == FN_VENDOR_MODE_CONFIG || mode == FN_VENDOR_MODE_UNKNOWN;
}

/* After a failing line (on_error stop), once discard and leave ran: the
 * lines after it and the commit are reported -2, saying why; then the
 * step's exit_on_fail applies. */
static void task_config_stopped(fn_task_t *t, fn_dev_t *dev,
                                const fn_step_t *st)
{
    const char *commit = fn_vendor_config_commit(dev->vendor);
    char why[200];
    snprintf(why, sizeof(why),
             "skipped: config line %u failed; nothing after it was sent",
             dev->cfg_failed);
    for (; dev->seq < st->ncommands; dev->seq++)
        task_emit(t, dev, st->commands[dev->seq], FN_EXIT_SKIPPED, NULL, NULL,
                  why);
    if (commit && dev->cfg_failed <= st->ncommands) { /* not the commit */
        snprintf(why, sizeof(why),
                 "skipped: not committed (config line %u failed; %s)",
                 dev->cfg_failed,
                 dev->cfg_discard == 0 ? "candidate discarded"
                 : dev->cfg_discard == FN_EXIT_SKIPPED
                     ? "the candidate may still hold the lines before it"
                     : "discarding the candidate FAILED: check the device");
        task_emit(t, dev, commit, FN_EXIT_SKIPPED, NULL, NULL, why);
    }
    dev->seq = (unsigned)st->ncommands + 1;
    dev->cfg_failed = 0;
    if (st->exit_on_fail) {
        dev->run = FN_RUN_STOPPED;
        task_skip_rest(t, dev, "skipped: exit_on_fail after a failure", 1);
    }
}

/* CONFIG step: enter, lines, commit (or, after a failing line, discard),
 * leave; the phase names what comes next and moves as each is sent.
 * Returns 1 if it sent. */
static int task_run_config(fn_task_t *t, fn_dev_t *dev, const fn_step_t *st)
{
    const char *enter = fn_vendor_config_enter(dev->vendor);
    const char *commit = fn_vendor_config_commit(dev->vendor);
    const char *discard = fn_vendor_config_discard(dev->vendor);
    const char *leave = fn_vendor_config_leave(dev->vendor);
    switch (dev->cfg_phase) {
    case FN_CFG_ENTER:
        dev->cfg_phase = FN_CFG_LINES;
        if (enter) {
            task_submit(t, dev, enter, FN_CMD_CONFIG_ENTER);
            return 1;
        }
        /* fall through */
    case FN_CFG_LINES:
        if (dev->seq < st->ncommands) {
            task_submit(t, dev, st->commands[dev->seq], FN_CMD_USER);
            return 1;
        }
        dev->cfg_phase = FN_CFG_COMMIT;
        /* fall through */
    case FN_CFG_COMMIT:
        dev->cfg_phase = FN_CFG_LEAVE;
        if (commit) { /* its result has seq = ncommands */
            task_submit(t, dev, commit, FN_CMD_USER);
            return 1;
        }
        break;
    case FN_CFG_DISCARD:
        dev->cfg_phase = FN_CFG_LEAVE;
        if (discard) {
            task_submit(t, dev, discard, FN_CMD_CONFIG_DISCARD);
            return 1;
        }
        break;
    case FN_CFG_LEAVE:
    case FN_CFG_DONE:
        break;
    }
    if (dev->cfg_phase == FN_CFG_LEAVE) {
        dev->cfg_phase = FN_CFG_DONE;
        if (leave && enter && task_in_config(dev)) {
            task_submit(t, dev, leave, FN_CMD_CONFIG_LEAVE);
            return 1;
        }
    }
    if (dev->cfg_failed)
        task_config_stopped(t, dev, st);
    return 0;
}

/* Gives a READY session its next command, or finishes the device. */
static void task_run_next(fn_task_t *t, fn_dev_t *dev)
{
    while (dev->step < t->spec.nsteps && dev->run == FN_RUN_STEPS &&
           !t->stopping) {
        const fn_step_t *st = &t->steps[dev->step];
        if (dev->seq == 0 && dev->cfg_phase == FN_CFG_ENTER) {
            const char *why = task_step_skip_reason(t, dev);
            if (why) {
                task_skip_rest(t, dev, why, 0);
                continue;
            }
        }
        int sent = 0;
        if (st->kind == FN_STEP_CONFIG) {
            sent = task_run_config(t, dev, st);
        } else if (st->kind == FN_STEP_SAVE && dev->seq == 0 &&
                   !fn_vendor_save_command(dev->vendor)) {
            task_emit(t, dev, task_save_cmd(dev), FN_EXIT_OK, NULL, NULL,
                      "nothing to save: this OS keeps what is committed");
            dev->seq++;
            continue;
        } else if (dev->seq < task_step_len(t, dev, dev->step)) {
            task_submit(t, dev, task_step_cmd(t, dev, dev->step, dev->seq),
                        FN_CMD_USER);
            sent = 1;
        }
        if (sent)
            return;
        if (dev->run != FN_RUN_STEPS)
            break; /* the step stopped the device (exit_on_fail) */
        dev->step++;
        dev->seq = 0;
        dev->cfg_phase = FN_CFG_ENTER;
    }
    task_close(dev, FN_NEXT_FINISH);
}

/* ------------------------------------------------------------------ */
/* connect-first gate */

static void task_release(fn_task_t *t)
{
    t->gate = 0;
    t->next_idle = 0; /* phase 2: rescan for parked devices */
    for (unsigned i = 0; i < t->ndevs && !t->stopping; i++) {
        fn_dev_t *dev = &t->devs[i];
        if (dev->state == FN_SS_READY)
            task_run_next(t, dev);
    }
    fn__engine_kick(t->e);
}

static void task_stop(fn_task_t *t, int status, const char *why)
{
    if (t->stopping)
        return;
    t->stopping = 1;
    t->status = status;
    snprintf(t->error, sizeof(t->error), "%s", why);
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *dev = &t->devs[i];
        if (dev->state == FN_SS_BACKOFF) {
            fn__session_unbackoff(dev); /* IDLE: task_skip_idle finishes it */
            task_unwait(t, dev);
        } else if (fn__session_is_active(dev))
            task_close(dev, FN_NEXT_FINISH);
    }
    fn__engine_kick(t->e);
}

static void task_gate_check(fn_task_t *t)
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
    int go = sink_decide(t, &cs);
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
        task_release(t);
        return 0;
    }
    char why[200];
    snprintf(why, sizeof(why),
             "connect-first: %u of %u devices failed to connect; stopped",
             t->failed_connect, t->ndevs);
    task_stop(t, FN_TASK_FAILED, why);
    return 0;
}

/* ------------------------------------------------------------------ */
/* session callbacks */

void fn__task_on_ready(fn_task_t *t, fn_dev_t *dev)
{
    if (dev->conn == FN_DEV_PENDING) {
        dev->conn = FN_DEV_CONNECTED;
        t->connected++;
        task_report(t, dev, FN_CONNECT_OK);
        if (dev->state != FN_SS_READY)
            return; /* the sink cancelled */
    } else {
        dev->conn = FN_DEV_CONNECTED; /* a parked device is back */
        fn__task_log(t, dev, FN_LOG_INFO, "reconnected (%u)", dev->reconnects);
    }
    if (t->gate) {
        int waiting = t->next_idle < t->ndevs || t->retry;
        if (waiting && (t->active >= t->concurrency ||
                        t->e->sessions >= t->e->opts.max_sessions))
            task_close(dev, FN_NEXT_PARK);
        task_gate_check(t);
        return;
    }
    task_run_next(t, dev);
}

/* Leaves a CONFIG step for good: -2 for its unsent lines, next step. */
static void task_config_abort(fn_task_t *t, fn_dev_t *dev, const char *why)
{
    task_skip_rest(t, dev, why, 0);
    dev->cfg_phase = FN_CFG_ENTER;
    dev->cfg_failed = 0;
}

/* Commands left for this device: a session is worth reopening. */
static int task_more_to_run(const fn_task_t *t, const fn_dev_t *dev)
{
    if (dev->run != FN_RUN_STEPS || dev->step >= t->spec.nsteps)
        return 0;
    return dev->seq < task_step_len(t, dev, dev->step) ||
           dev->step + 1 < t->spec.nsteps;
}

static void task_after_result(fn_task_t *t, fn_dev_t *dev, int code)
{
    const fn_step_t *st = &t->steps[dev->step];
    if (code != 0 && st->exit_on_fail) {
        dev->run = FN_RUN_STOPPED;
        task_skip_rest(t, dev, "skipped: exit_on_fail after a failure", 1);
    }
    if (code == FN_EXIT_TIMEOUT) {
        /* the device's state is unknown: go on with a new session; a
         * config step is not resumed outside config mode */
        dev->last_err = FN_ETIMEOUT;
        if (st->kind == FN_STEP_CONFIG && dev->run == FN_RUN_STEPS)
            task_config_abort(t, dev, "skipped: config step interrupted");
        if (task_more_to_run(t, dev) && dev->reconnects < t->spec.reconnects &&
            !t->stopping) {
            dev->reconnects++;
            task_close(dev, FN_NEXT_RECONNECT);
            return;
        }
        dev->run = FN_RUN_STOPPED;
        task_skip_rest(t, dev, "skipped: device stopped answering", 1);
        task_close(dev, FN_NEXT_FINISH);
        return;
    }
    if (dev->state == FN_SS_READY)
        task_run_next(t, dev);
}

/* The backup event, its text without the vendor's volatile lines
 * (backup_strip: "Current configuration : N bytes" …) so unchanged
 * configurations give identical backups. */
static void task_emit_backup(fn_task_t *t, fn_dev_t *dev, const fn_step_t *st,
                             const fn_cmd_t *cmd, const fn_match_result_t *r)
{
    fn_buf_t clean;
    fn_buf_init(&clean, 0);
    const char *text = r->out;
    size_t len = r->out_len;
    if (fn_vendor_backup_clean(dev->vendor, r->out, r->out_len, &clean) == 0) {
        text = clean.data ? clean.data : "";
        len = clean.len;
    } else { /* keep the raw text rather than lose the backup */
        fn__task_log(t, dev, FN_LOG_WARN, "backup_strip: out of memory");
    }
    fn_buf_t red; /* secrets out before the text leaves the engine */
    fn_buf_init(&red, 0);
    unsigned nred = 0;
    if (fn_vendor_backup_redact(dev->vendor, text, len, t->spec.redact, &red,
                                &nred) != 0) {
        fn__task_log(t, dev, FN_LOG_ERROR, "backup not kept: out of memory");
        fn_buf_cleanup(&red);
        fn_buf_cleanup(&clean);
        return;
    }
    text = red.data ? red.data : "";
    len = red.len;
    fn_backup_t b = {
        .task_id = t->spec.task_id,
        .host = fn_host_name(dev->host),
        .vendor = fn_vendor_name(dev->vendor),
        .created_us = fn_time_wall_us(),
        .comment = st->comment,
        .command = cmd->text,
        .text = text,
        .size = len,
        .step = dev->step,
        .redact = t->spec.redact,
        .redacted = nred,
    };
    t->backups++;
    sink_backup(t, &b);
    fn_buf_cleanup(&red);
    fn_buf_cleanup(&clean);
}

/* Entering config mode: reported only when refused. */
static void task_on_config_enter(fn_task_t *t, fn_dev_t *dev, fn_cmd_t *cmd,
                                 int status, const fn_match_result_t *out)
{
    if (status == 0) {
        task_run_next(t, dev);
        return;
    }
    const char *priv = fn__session_priv_why(dev);
    char why[240];
    snprintf(why, sizeof(why), "config mode refused%s%s", priv ? ": " : "",
             priv ? priv : "");
    dev->seq = 0;
    task_emit(t, dev, cmd->text, status, cmd, out, why);
    dev->cfg_phase = FN_CFG_DONE;
    task_after_result(t, dev, status);
}

/* A config line (on_error stop) or the commit failed: report it, saying
 * what became of the lines before it, then discard the candidate and
 * leave config mode (task_run_config) before anything else runs. */
static void task_config_failed(fn_task_t *t, fn_dev_t *dev, const fn_step_t *st,
                               fn_cmd_t *cmd, const fn_match_result_t *out)
{
    const char *discard = fn_vendor_config_discard(dev->vendor);
    char why[240];
    unsigned k = dev->seq + 1;
    if (k > st->ncommands)
        snprintf(why, sizeof(why), "commit failed%s%s%s",
                 discard ? ": the candidate is discarded (" : "",
                 discard ? discard : "", discard ? ")" : "");
    else if (discard)
        snprintf(why, sizeof(why),
                 "config line %u of %zu failed: the step stops; lines "
                 "before it were only in the candidate, which is "
                 "discarded (%s): nothing committed",
                 k, st->ncommands, discard);
    else
        snprintf(why, sizeof(why),
                 "config line %u of %zu failed: the step stops; %u line(s) "
                 "before it were applied (this OS applies each line at "
                 "once), nothing after it was sent",
                 k, st->ncommands, k - 1);
    task_emit(t, dev, cmd->text, FN_EXIT_VENDOR_ERROR, cmd, out, why);
    dev->seq++;
    dev->cfg_failed = k;
    dev->cfg_discard = FN_EXIT_SKIPPED;
    dev->cfg_phase = FN_CFG_DISCARD;
    task_run_next(t, dev);
}

/* Every request the task submits completes here (fn_cmd_done_fn). */
static void task_on_cmd_done(fn_dev_t *dev, fn_cmd_t *cmd, int status,
                             const fn_match_result_t *out)
{
    fn_task_t *t = dev->task;
    const fn_step_t *st = &t->steps[dev->step];
    const char *reason =
        status == FN_EXIT_TIMEOUT ? fn__session_reason(dev) : "";
    switch (cmd->kind) {
    case FN_CMD_CONFIG_ENTER:
        task_on_config_enter(t, dev, cmd, status, out);
        return;
    case FN_CMD_CONFIG_LEAVE:
        if (status != 0)
            fn__task_log(t, dev, FN_LOG_WARN, "leaving config mode failed");
        task_after_result(t, dev, status == FN_EXIT_TIMEOUT ? status : 0);
        return;
    case FN_CMD_CONFIG_DISCARD:
        dev->cfg_discard = status;
        if (status != 0)
            fn__task_log(t, dev, FN_LOG_ERROR,
                         "discarding the candidate failed (%s)", cmd->text);
        task_after_result(t, dev, status == FN_EXIT_TIMEOUT ? status : 0);
        return;
    default:
        break;
    }
    /* a USER request in phase LEAVE is the commit (phase moves on send) */
    if (st->kind == FN_STEP_CONFIG && status == FN_EXIT_VENDOR_ERROR &&
        (dev->cfg_phase == FN_CFG_LEAVE ||
         (dev->cfg_phase == FN_CFG_LINES &&
          st->on_error != FN_ON_ERROR_CONTINUE))) {
        task_config_failed(t, dev, st, cmd, out);
        return;
    }
    if (st->kind == FN_STEP_BACKUP && status == FN_EXIT_OK &&
        !fn_vendor_backup_plausible(dev->vendor, out->out, out->out_len)) {
        status = FN_EXIT_VENDOR_ERROR; /* never store an error as a config */
        reason = "the output does not look like a configuration (no line "
                 "the vendor's configurations have): not stored";
    }
    task_emit(t, dev, cmd->text, status, cmd, out, reason);
    if (st->kind == FN_STEP_BACKUP && status == 0)
        task_emit_backup(t, dev, st, cmd, out);
    dev->seq++;
    task_after_result(t, dev, status);
}

static unsigned task_backoff_ms(const fn_dev_t *dev)
{
    unsigned ms = TASK_BACKOFF_MS << (dev->tries > 4 ? 4 : dev->tries - 1);
    return ms + (unsigned)(dev->idx * 7919u % (ms / 2 + 1)); /* spread */
}

/* A config step lost its connection after a line went out: the line in
 * flight is reported -1 ("may have applied"), the rest skipped. */
static void task_config_lost(fn_task_t *t, fn_dev_t *dev, const fn_step_t *st,
                             const char *why)
{
    const fn_cmd_t *inflight = fn__session_cmd(dev);
    char r[300];
    if (inflight && inflight->written)
        snprintf(r, sizeof(r),
                 "connection lost during a config step (%s): the change "
                 "may have applied; not repeated",
                 why);
    else /* its bytes never left: only the lines before it were sent */
        snprintf(r, sizeof(r),
                 "connection lost during a config step (%s) before this "
                 "line was sent; the step is not repeated",
                 why);
    if (dev->seq < st->ncommands + 1 && dev->state == FN_SS_RUNNING &&
        inflight) {
        task_emit(t, dev, inflight->text, FN_EXIT_CONNECTION, NULL, NULL, r);
        dev->seq++;
    }
    task_config_abort(t, dev, "skipped: config step interrupted");
}

/* Lost after login: re-run a show command, report a config change. */
static void task_on_drop(fn_task_t *t, fn_dev_t *dev, const char *why)
{
    const fn_step_t *st =
        dev->step < t->spec.nsteps ? &t->steps[dev->step] : NULL;
    if (st && st->kind == FN_STEP_CONFIG && task_config_sent(dev))
        task_config_lost(t, dev, st, why);
    else if (st && st->kind == FN_STEP_CONFIG)
        dev->cfg_phase = FN_CFG_ENTER; /* nothing sent yet: redo the step */
    if (dev->reconnects < t->spec.reconnects && !t->stopping &&
        dev->step < t->spec.nsteps) {
        dev->reconnects++;
        fn__task_log(t, dev, FN_LOG_WARN, "connection lost (%s); reconnecting",
                     why);
        task_close(dev, FN_NEXT_RECONNECT);
        return;
    }
    if (dev->step < t->spec.nsteps) {
        char r[300];
        snprintf(r, sizeof(r), "connection lost: %s", why);
        size_t n = task_step_len(t, dev, dev->step);
        if (dev->seq < n) {
            task_emit(t, dev, task_step_cmd(t, dev, dev->step, dev->seq),
                      FN_EXIT_CONNECTION, NULL, NULL, r);
            dev->seq++;
        }
        dev->run = FN_RUN_STOPPED;
        task_skip_rest(t, dev, "skipped: connection lost", 1);
    }
    task_close(dev, FN_NEXT_FINISH);
}

void fn__task_on_failure(fn_task_t *t, fn_dev_t *dev, int err, int retryable)
{
    dev->last_err = err;
    if (t->stopping) {
        task_close(dev, FN_NEXT_FINISH);
        return;
    }
    if (retryable && dev->tries < t->spec.connect_tries) {
        task_close(dev, FN_NEXT_RETRY);
        return;
    }
    if (dev->conn == FN_DEV_PENDING) {
        task_close(dev, FN_NEXT_FAIL_CONNECT);
        return;
    }
    task_on_drop(t, dev, fn__session_reason(dev));
}

int fn__task_hostkey(fn_task_t *t, fn_dev_t *dev, const char *type,
                     const char *sha256, char *why, size_t whylen)
{
    char hp[300], ktype[64] = "", ksha[128] = "";
    snprintf(hp, sizeof(hp), "%s:%u", fn_host_address(dev->host),
             fn_host_port(dev->host));
    int rc = sink_hostkey_get(t, hp, ktype, sizeof(ktype), ksha, sizeof(ksha));
    int policy = t->spec.hostkey_policy;
    if (rc == 0 && !strcmp(ksha, sha256))
        return 0;
    if (policy == FN_HOSTKEY_OFF) { /* OpenSSH's "off": checks nothing */
        fn__task_log(t, dev, FN_LOG_WARN,
                     "host key %s %s NOT CHECKED (--host-key-policy off)%s%s",
                     type, sha256, rc == 0 ? ": pinned is " : "",
                     rc == 0 ? ksha : "");
        return dev->state == FN_SS_CLOSING ? FN_ECANCELED : 0;
    }
    if (rc == 0) { /* a changed key: only the operator may replace it */
        snprintf(why, whylen,
                 "host key changed: pinned %s %s, offered %s (refused; to "
                 "trust the new key: flexnet hostkeys forget %s)",
                 ktype, ksha, sha256, hp);
        return FN_EHOSTKEY;
    }
    if (policy == FN_HOSTKEY_STRICT) {
        snprintf(why, whylen,
                 "host key %s %s not pinned (strict policy; pin it with "
                 "flexnet hostkeys import FILE, or run once with "
                 "--host-key-policy accept-new)",
                 type, sha256);
        return FN_EHOSTKEY;
    }
    sink_hostkey_pin(t, hp, type, sha256, 0);
    return dev->state == FN_SS_CLOSING ? FN_ECANCELED : 0;
}

static void task_on_closed(fn_task_t *t, fn_dev_t *dev)
{
    t->active--;
    switch (dev->next) {
    case FN_NEXT_RETRY:
        fn__task_log(t, dev, FN_LOG_INFO, "try %u failed (%s); retrying",
                     dev->tries, fn__session_reason(dev));
        fn__session_backoff(dev, task_backoff_ms(dev));
        return;
    case FN_NEXT_RECONNECT:
        dev->tries = 0;
        fn__session_backoff(dev, TASK_RECONNECT_MS);
        return;
    case FN_NEXT_PARK:
        dev->tries = 0; /* phase 2 connects afresh */
        dev->conn = FN_DEV_PARKED;
        fn__session_park(dev);
        return;
    case FN_NEXT_FAIL_CONNECT:
        dev->conn = FN_DEV_FAILED;
        t->failed_connect++;
        task_report(t, dev, FN_CONNECT_FAILED);
        task_dev_finish(t, dev);
        task_gate_check(t);
        return;
    case FN_NEXT_FINISH:
        if (dev->conn == FN_DEV_PENDING && t->stopping) {
            dev->conn = FN_DEV_SKIPPED;
            task_report(t, dev, FN_CONNECT_SKIPPED);
        }
        task_dev_finish(t, dev);
        return;
    }
}

void fn__task_on_closed(fn_task_t *t, fn_dev_t *dev)
{
    task_on_closed(t, dev);
    if (dev->state == FN_SS_BACKOFF)
        t->waiting++; /* keeps its live session (and timer) to retry */
    else
        task_live_put(t, dev);
}

/* ------------------------------------------------------------------ */
/* admission (engine pump) */

void fn__task_requeue(fn_task_t *t, fn_dev_t *dev)
{
    if (t->stopping) { /* inside its own timer: fn__task_free frees it */
        task_dev_finish(t, dev);
        if (dev->conn == FN_DEV_PENDING) {
            dev->conn = FN_DEV_SKIPPED;
            task_report(t, dev, FN_CONNECT_SKIPPED);
        }
        fn__engine_kick(t->e);
        return;
    }
    dev->retry_next = t->retry;
    t->retry = dev;
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
    fn_dev_t *dev = NULL;
    if (t->retry) {
        dev = t->retry;
        t->retry = dev->retry_next;
        t->waiting--; /* its live session goes back to work */
    } else if (!t->gate) {
        /* phase 2 of connect-first: parked devices first */
        for (; t->next_idle < t->ndevs; t->next_idle++) {
            fn_dev_t *c = &t->devs[t->next_idle];
            if (c->state == FN_SS_IDLE &&
                (c->conn == FN_DEV_PARKED || c->conn == FN_DEV_PENDING)) {
                dev = c;
                t->next_idle++;
                break;
            }
        }
    } else if (t->next_idle < t->ndevs) {
        dev = &t->devs[t->next_idle++];
    }
    if (dev &&
        task_live_get(t, dev) != 0) { /* out of memory: try again later */
        t->next_idle--;
        return NULL;
    }
    if (dev)
        t->active++;
    return dev;
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

static int task_secrets(fn_task_t *t, const fn_creds_t *c)
{
    int bad = 0;
    t->spec.creds.username = task_str(t, c->username, &bad);
    t->spec.creds.key_file = task_str(t, c->key_file, &bad);
    t->spec.creds.use_agent = c->use_agent;
    t->spec.creds.password = NULL;
    t->spec.creds.enable_password = NULL;
    if (c->password && !(t->password = strdup(c->password)))
        bad = 1;
    if (c->enable_password &&
        !(t->enable_password = strdup(c->enable_password)))
        bad = 1;
    return bad ? -ENOMEM : 0;
}

static void task_wipe(char **p)
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
        task_live_put(t, &t->devs[i]);
        free(t->devs[i].step_codes);
        free(t->devs[i].reason);
    }
    free(t->devs);
    while (t->pool) {
        fn_session_t *sess = t->pool;
        t->pool = sess->free_next;
        free(sess);
    }
    if (t->progress_ev)
        event_free(t->progress_ev);
    task_wipe(&t->password);
    task_wipe(&t->enable_password);
    for (size_t i = 0; i < t->nallocs; i++)
        free(t->allocs[i]);
    free(t->allocs);
    for (size_t i = 0; t->sel && i < t->spec.nsteps; i++)
        free(t->sel[i]);
    free(t->sel);
    for (size_t i = 0; t->steps && i < t->spec.nsteps; i++) {
        fn_parse_tpl_free((fn_parse_tpl_t *)t->steps[i].parse_tpl);
        fn_parse_index_free((fn_parse_index_t *)t->steps[i].parse_index);
    }
    free(t->steps);
    free(t->when_step);
    free(t->answers);
    while (t->saves) {
        struct task_save *s = t->saves;
        t->saves = s->next;
        free(s);
    }
    free(t);
}

static int task_init(fn_task_t *t, const fn_task_spec_t *spec, char *err,
                     size_t errlen)
{
    int bad = 0;
    t->spec = *spec;
    task_defaults(&t->spec);
    t->spec.task_id = task_str(t, spec->task_id, &bad);
    t->spec.default_vendor = task_str(t, spec->default_vendor, &bad);
    if (bad)
        return -ENOMEM;
    int rc = task_secrets(t, &spec->creds);
    if (rc == 0)
        rc = task_copy_steps(t, spec);
    if (rc == 0)
        rc = task_validate(t, err, errlen);
    if (rc == 0)
        rc = task_devices(t, err, errlen);
    if (rc == 0)
        rc = task_selections(t);
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
        return task_errf(err, errlen, FN_EPARSE, "task id required");
    if (spec->nhosts && !spec->hosts)
        return task_errf(err, errlen, FN_EPARSE, "hosts missing");
    for (fn_task_t *o = e->tasks; o; o = o->next)
        if (!strcmp(o->spec.task_id, spec->task_id))
            return task_errf(err, errlen, FN_EEXISTS, "task %s is running",
                             spec->task_id);
    fn_task_t *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->e = e;
    if (sink)
        t->sink = *sink;
    int rc = task_init(t, spec, err, errlen);
    if (rc == 0 && e->opts.progress_ms) {
        t->progress_ev =
            event_new(e->base, -1, EV_PERSIST, task_on_progress, t);
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
    task_progress(t);
    fn_summary_t sm = {t->spec.task_id,   t->status,
                       t->ndevs,          t->connected,
                       t->failed_connect, t->ok,
                       t->failed,         t->commands,
                       t->errors,         fn_time_mono_us() - t->t0_mono,
                       t->backups,        t->error};
    sink_summary(t, &sm);
    for (fn_task_t **p = &e->tasks; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    fn__task_free(t);
}

/* Devices never started are SKIPPED once the task stops. */
static void task_skip_idle(fn_task_t *t)
{
    for (unsigned i = 0; i < t->ndevs; i++) {
        fn_dev_t *dev = &t->devs[i];
        if (dev->state != FN_SS_IDLE || dev->run == FN_RUN_FINISHED)
            continue;
        if (dev->conn == FN_DEV_PENDING) {
            dev->conn = FN_DEV_SKIPPED;
            task_report(t, dev, FN_CONNECT_SKIPPED);
        }
        task_dev_finish(t, dev);
        task_unwait(t, dev); /* was queued to retry */
    }
    t->next_idle = t->ndevs;
    t->retry = NULL;
}

void fn__task_maybe_finish(fn_task_t *t)
{
    if (t->stopping)
        task_skip_idle(t);
}

int fn_task_cancel(fn_task_t *t)
{
    if (!t || t->stopping)
        return FN_ESTATE;
    task_stop(t, FN_TASK_CANCELLED, "cancelled");
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
