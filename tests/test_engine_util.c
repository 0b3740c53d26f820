/*
 * test_engine_util.c — shared helpers of the engine end-to-end suites:
 * start/stop flexnet-sim, a recording sink, one-call task runs.
 *
 * Test-only; the reactor thread is the test's thread. Owns the copies
 * the recording sink makes of every event. The simulator is started from
 * $FN_TEST_BIN/sim/flexnet-sim and killed by pid (never by name).
 * Included (#include) by each engine test program: one translation unit
 * per test binary, so no header is needed.
 */
#include "fn_engine.h"
#include "fn_err.h"
#include "fn_inventory.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TEST_ENGINE_UTIL_INC
#define TEST_ENGINE_UTIL_INC

#include <sys/types.h>

#define TU_MAX_PINS 256

typedef struct tu_conn {
    char *host, *reason;
    int status, err;
    unsigned tries;
} tu_conn_t;

typedef struct tu_res {
    char *host, *cmd, *out, *err, *reason;
    unsigned step, seq;
    int code;
} tu_res_t;

typedef struct tu_backup {
    char *host, *text;
} tu_backup_t;

typedef struct tu_pins {
    char hp[TU_MAX_PINS][64], type[TU_MAX_PINS][32], sha[TU_MAX_PINS][128];
    size_t n;
} tu_pins_t;

typedef struct tu_rec {
    tu_conn_t *conns;
    size_t nconns;
    tu_res_t *res;
    size_t nres, capres;
    tu_backup_t *backups;
    size_t nbackups;
    fn_summary_t sum;
    char sum_error[256];
    int done, verbose;
    unsigned reconnects;
    unsigned enable_failed; /* log lines saying "enable failed" */
    tu_pins_t *pins;        /* host-key store; NULL: none */
    unsigned pinned, replaced;
    int use_decide, decide_answer, decided;
    unsigned decide_failed;
    fn_task_t *waiting_task;
    size_t cancel_after; /* cancel the task after this many results */
    unsigned nprogress;
    fn_progress_t progress; /* the last one */
    unsigned peak_sessions; /* engine-wide, read at the summary */
} tu_rec_t;

int tu_sim_start(const char *const *args, pid_t *pid);
/* Same, the simulator's stderr going to the file errpath (NULL: ours). */
int tu_sim_start_err(const char *const *args, pid_t *pid, const char *errpath);
void tu_sim_stop(pid_t pid);
void tu_rec_init(tu_rec_t *rec, size_t maxdev);
void tu_rec_free(tu_rec_t *rec);
fn_sink_t tu_sink(tu_rec_t *rec);
const tu_conn_t *tu_conn(const tu_rec_t *rec, const char *host);
const tu_res_t *tu_res(const tu_rec_t *rec, const char *host, unsigned step,
                       unsigned seq);
const tu_backup_t *tu_backup(const tu_rec_t *rec, const char *host);
int tu_run(const fn_vendors_t *vs, const fn_task_spec_t *spec, tu_rec_t *rec,
           char *err, size_t errlen);
fn_task_spec_t tu_spec(const char *id, const fn_host_t **hosts, size_t n,
                       const fn_step_t *steps, size_t nsteps);
void tu_run_ok(const fn_vendors_t *vs, const fn_task_spec_t *spec,
               tu_rec_t *rec);
unsigned tu_port(const char *host);
int tu_inventory(const char *path, const fn_vendors_t *vs, fn_inventory_t **inv,
                 const fn_host_t ***hosts, size_t *n);

#endif /* TEST_ENGINE_UTIL_INC */

int tu_sim_start(const char *const *args, pid_t *pid)
{
    return tu_sim_start_err(args, pid, NULL);
}

int tu_sim_start_err(const char *const *args, pid_t *pid, const char *errpath)
{
    const char *bin = getenv("FN_TEST_BIN");
    char path[1024];
    snprintf(path, sizeof(path), "%s/sim/flexnet-sim", bin ? bin : ".");
    const char *argv[64] = {path};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    int p[2];
    if (pipe(p) < 0)
        return -errno;
    *pid = fork();
    if (*pid == 0) {
        /* a failed (aborted) case must not leave it holding its ports */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int efd =
            errpath ? open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
        if (efd >= 0) {
            dup2(efd, 2);
            close(efd);
        }
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    char buf[4096];
    size_t len = 0;
    int ok = 0;
    /* generous: a loaded 2-core machine starts 1,000 listeners slowly */
    for (int i = 0; i < 600 && !ok; i++) {
        struct pollfd pf = {p[0], POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(p[0], buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        ok = strstr(buf, "ready") != NULL;
    }
    close(p[0]);
    if (!ok) {
        tu_sim_stop(*pid);
        return -1;
    }
    return 0;
}

void tu_sim_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void on_conn(fn_task_t *t, const fn_conn_report_t *r, void *arg)
{
    tu_rec_t *rec = arg;
    tu_conn_t *c = &rec->conns[rec->nconns++];
    c->host = strdup(r->host);
    c->status = r->status;
    c->tries = r->tries;
    c->err = r->err;
    c->reason = strdup(r->reason);
}

static void on_result(fn_task_t *t, const fn_cmd_result_t *r, void *arg)
{
    tu_rec_t *rec = arg;
    if (rec->nres == rec->capres) {
        rec->capres = rec->capres ? rec->capres * 2 : 1024;
        rec->res = realloc(rec->res, rec->capres * sizeof(*rec->res));
    }
    tu_res_t *x = &rec->res[rec->nres++];
    x->host = strdup(r->host);
    x->step = r->step;
    x->seq = r->seq;
    x->code = r->exit_code;
    x->cmd = strdup(r->command);
    x->out = dupn(r->out, r->out_len);
    x->err = dupn(r->err, r->err_len);
    x->reason = strdup(r->reason);
    if (rec->cancel_after && rec->nres >= rec->cancel_after)
        fn_task_cancel(t);
}

static void on_backup(fn_task_t *t, const fn_backup_t *b, void *arg)
{
    tu_rec_t *rec = arg;
    tu_backup_t *x = &rec->backups[rec->nbackups++];
    x->host = strdup(b->host);
    x->text = dupn(b->text, b->size);
}

static void on_log(fn_task_t *t, const fn_log_line_t *l, void *arg)
{
    tu_rec_t *rec = arg;
    if (strstr(l->text, "reconnected"))
        rec->reconnects++;
    if (strstr(l->text, "enable failed"))
        rec->enable_failed++;
    if (rec->verbose)
        fprintf(stderr, "log %s: %s\n", l->host, l->text);
}

static void on_progress(fn_task_t *t, const fn_progress_t *p, void *arg)
{
    tu_rec_t *rec = arg;
    rec->nprogress++;
    rec->progress = *p;
}

static void on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    tu_rec_t *rec = arg;
    fn_engine_stats_t st;
    fn_engine_stats(fn_task_engine(t), &st);
    rec->peak_sessions = st.sessions_peak;
    rec->sum = *s;
    rec->sum.task_id = NULL;
    rec->sum.error = NULL;
    snprintf(rec->sum_error, sizeof(rec->sum_error), "%s", s->error);
    rec->done = 1;
}

static int hk_get(fn_task_t *t, const char *hp, char *type, size_t tl,
                  char *sha, size_t sl, void *arg)
{
    tu_rec_t *rec = arg;
    tu_pins_t *p = rec->pins;
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->hp[i], hp)) {
            snprintf(type, tl, "%s", p->type[i]);
            snprintf(sha, sl, "%s", p->sha[i]);
            return 0;
        }
    return FN_ENOTFOUND;
}

static void hk_pin(fn_task_t *t, const char *hp, const char *type,
                   const char *sha, int replaced, void *arg)
{
    tu_rec_t *rec = arg;
    tu_pins_t *p = rec->pins;
    if (!p)
        return;
    rec->pinned++;
    rec->replaced += replaced;
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->hp[i], hp)) {
            snprintf(p->sha[i], sizeof(p->sha[i]), "%s", sha);
            return;
        }
    if (p->n < TU_MAX_PINS) {
        snprintf(p->hp[p->n], sizeof(p->hp[0]), "%s", hp);
        snprintf(p->type[p->n], sizeof(p->type[0]), "%s", type);
        snprintf(p->sha[p->n], sizeof(p->sha[0]), "%s", sha);
        p->n++;
    }
}

static int on_decide(fn_task_t *t, const fn_connect_summary_t *s, void *arg)
{
    tu_rec_t *rec = arg;
    rec->decided++;
    rec->decide_failed = s->failed;
    if (rec->decide_answer == FN_EAGAIN)
        rec->waiting_task = t;
    return rec->decide_answer;
}

void tu_rec_init(tu_rec_t *rec, size_t maxdev)
{
    memset(rec, 0, sizeof(*rec));
    rec->conns = calloc(maxdev + 1, sizeof(*rec->conns));
    rec->backups = calloc(maxdev * 4 + 1, sizeof(*rec->backups));
}

void tu_rec_free(tu_rec_t *rec)
{
    for (size_t i = 0; i < rec->nconns; i++) {
        free(rec->conns[i].host);
        free(rec->conns[i].reason);
    }
    for (size_t i = 0; i < rec->nres; i++) {
        tu_res_t *x = &rec->res[i];
        free(x->host);
        free(x->cmd);
        free(x->out);
        free(x->err);
        free(x->reason);
    }
    for (size_t i = 0; i < rec->nbackups; i++) {
        free(rec->backups[i].host);
        free(rec->backups[i].text);
    }
    free(rec->conns);
    free(rec->res);
    free(rec->backups);
}

fn_sink_t tu_sink(tu_rec_t *rec)
{
    fn_sink_t s = {.on_connection = on_conn,
                   .on_result = on_result,
                   .on_backup = on_backup,
                   .on_log = on_log,
                   .on_progress = on_progress,
                   .on_summary = on_summary,
                   .hostkey_get = hk_get,
                   .hostkey_pin = hk_pin,
                   .decide = rec->use_decide ? on_decide : NULL,
                   .arg = rec};
    return s;
}

const tu_conn_t *tu_conn(const tu_rec_t *rec, const char *host)
{
    for (size_t i = 0; i < rec->nconns; i++)
        if (!strcmp(rec->conns[i].host, host))
            return &rec->conns[i];
    return NULL;
}

const tu_res_t *tu_res(const tu_rec_t *rec, const char *host, unsigned step,
                       unsigned seq)
{
    for (size_t i = 0; i < rec->nres; i++) {
        const tu_res_t *x = &rec->res[i];
        if (x->step == step && x->seq == seq && !strcmp(x->host, host))
            return x;
    }
    return NULL;
}

const tu_backup_t *tu_backup(const tu_rec_t *rec, const char *host)
{
    for (size_t i = 0; i < rec->nbackups; i++)
        if (!strcmp(rec->backups[i].host, host))
            return &rec->backups[i];
    return NULL;
}

/* Runs spec on a fresh engine until its summary. Returns fn_task_start's
 * code. */
int tu_run(const fn_vendors_t *vs, const fn_task_spec_t *spec, tu_rec_t *rec,
           char *err, size_t errlen)
{
    fn_engine_opts_t eo;
    fn_engine_opts_init(&eo);
    eo.progress_ms = 200;
    fn_engine_t *e = NULL;
    if (fn_engine_new(&e, NULL, vs, &eo) < 0)
        return -ENOMEM;
    fn_sink_t sink = tu_sink(rec);
    int rc = fn_task_start(e, spec, &sink, NULL, err, errlen);
    if (rc == 0)
        rc = fn_engine_run(e);
    fn_engine_free(e);
    return rc;
}

/* A fresh recorder, then the run, which must start and finish. */
void tu_run_ok(const fn_vendors_t *vs, const fn_task_spec_t *spec,
               tu_rec_t *rec)
{
    char err[256] = "";
    tu_rec_init(rec, spec->nhosts);
    int rc = tu_run(vs, spec, rec, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "task %s: %s (%s)\n", spec->task_id, err,
                fn_strerror(rc));
        abort();
    }
}

/* The spec every test starts from: the simulator's default login. */
fn_task_spec_t tu_spec(const char *id, const fn_host_t **hosts, size_t n,
                       const fn_step_t *steps, size_t nsteps)
{
    return (fn_task_spec_t){
        .task_id = id,
        .hosts = hosts,
        .nhosts = n,
        .steps = steps,
        .nsteps = nsteps,
        .creds = {.password = "admin", .enable_password = "enable"}};
}

/* Ports of the hosts are what the simulator wrote: "127.0.0.1:PORT". */
unsigned tu_port(const char *host)
{
    const char *c = strrchr(host, ':');
    return c ? (unsigned)strtoul(c + 1, NULL, 10) : 0;
}

/* Loads the simulator's inventory, selecting everything. */
int tu_inventory(const char *path, const fn_vendors_t *vs, fn_inventory_t **inv,
                 const fn_host_t ***hosts, size_t *n)
{
    char err[512];
    int rc = fn_inventory_load(inv, path, 0, vs, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "inventory: %s\n", err);
        return rc;
    }
    return fn_inventory_select(*inv, NULL, 0, NULL, 0, hosts, n, err,
                               sizeof(err));
}
