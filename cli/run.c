/*
 * run.c — `flexnet run`: loads vendors, inventory and the integrations
 * config, resolves targets and secrets, creates the task through the
 * recorder (which stores everything and copies backups to S3), hands it
 * to the engine and runs the loop until the summary and the last S3
 * copy; one job (sub-task) after the other.
 *
 * Secrets are read once (env, terminal, argv, or a credentials provider
 * by reference: env, file, vault, cyberark), passed to the engine
 * (which copies them) and wiped here as soon as the task has started.
 * The store only ever sees the spec, which names environment variables
 * and references, never a password.
 *
 * Does not print results (run_sink.c does) nor parse options
 * (run_args.c). Thread: main, which runs the engine's loop. Owns the
 * vendors registry, the inventory, the config, the http client, the
 * recorder, the engine, the store handle.
 */
#include "run_int.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fn_config.h"
#include "fn_http.h"
#include "fn_log.h"

/* What every job of one `flexnet run` shares. */
typedef struct run_ctx {
    const fn__cli_run_opts_t *o;
    fn_vendors_t *vendors;
    fn_inventory_t *inv; /* the current job's */
    char *inv_path;      /* owned: which file inv is */
    fn_store_t *st;
    fn_engine_t *engine;
    fn_config_t *cfg;      /* integrations config (may have no section) */
    fn_http_t *http;       /* on the engine's loop: S3, providers */
    fn_recorder_t *rec;    /* the store sink */
    fn__cli_run_t *cur;    /* the job running, for warnings */
    fn_metrics_t *metrics; /* with --metrics-file, else NULL */
    int store_failed;      /* a store write failed (not all was kept) */
    fn_buf_t pw, enable;   /* secrets given by flags (wiped at end) */
    int has_pw, has_enable;
} run_ctx_t;

/* ---- secrets ------------------------------------------------------- */

/* Reads the secret a flag names into out (password, or enable password
 * when `enable`). Returns 0 or an exit status. */
static int run_secret_flag(const fn__cli_pw_src_t *src, fn_buf_t *out,
                           int enable, int *has)
{
    const char *noun = enable ? "enable password" : "password";
    int rc;
    if (src->env)
        rc = fn__cli_secret_env(src->env, out);
    else if (src->arg)
        rc = fn__cli_secret_arg(src->arg, out,
                                enable ? "--enable-password" : "-p");
    else if (src->prompt)
        rc = fn__cli_secret_prompt(enable ? "Enable password: " : "Password: ",
                                   out);
    else
        return 0;
    *has = !rc;
    if (rc == FN_ECREDS && src->env)
        fprintf(stderr, "flexnet run: %s is not set (or empty): no %s\n",
                src->env, noun);
    else if (rc)
        fprintf(stderr, "flexnet run: cannot read the %s: %s\n", noun,
                rc == -ENXIO || rc == -ENOENT ? "no terminal"
                                              : fn_strerror(rc));
    return rc ? FN_CLI_EXIT_USAGE : 0;
}

/* The job's password: the flag's, else the manifest's password_env. */
static int run_job_secret(run_ctx_t *c, const char *env, fn_buf_t *flag,
                          int has_flag, fn_buf_t *out, const char **pw)
{
    *pw = NULL;
    if (has_flag) {
        *pw = flag->data;
        return 0;
    }
    if (!*env)
        return 0;
    if (fn__cli_secret_env(env, out)) {
        fprintf(stderr,
                "flexnet run: %s is not set (or empty): no "
                "password\n",
                env);
        return FN_CLI_EXIT_USAGE;
    }
    *pw = out->data;
    return 0;
}

/* Without a task-wide password every host needs its own source. */
static int run_check_passwords(const fn_host_t *const *hosts, size_t n,
                               const char *pw)
{
    for (size_t i = 0; !pw && i < n; i++) {
        const char *env = fn_host_password_env(hosts[i]);
        if (fn_host_key_file(hosts[i]) || (env && getenv(env)))
            continue;
        if (env)
            fprintf(stderr, "flexnet run: %s: %s is not set: no password\n",
                    fn_host_name(hosts[i]), env);
        else
            fprintf(stderr,
                    "flexnet run: no password for %s: give "
                    "--password-env VAR, --password-prompt or -p\n",
                    fn_host_name(hosts[i]));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- inventory and targets ----------------------------------------- */

static int run_inventory(run_ctx_t *c, const char *path, const char *format)
{
    char err[512];
    int fmt = fn_inventory_format_parse(format);
    if (fmt < 0) {
        fprintf(stderr,
                "flexnet run: inventory format '%s': want ini, "
                "yaml, ansible or nornir\n",
                format);
        return FN_CLI_EXIT_USAGE;
    }
    if (c->inv && !strcmp(c->inv_path, path))
        return 0;
    fn_inventory_free(c->inv);
    free(c->inv_path);
    c->inv = NULL;
    c->inv_path = strdup(path);
    if (!c->inv_path)
        return FN_CLI_EXIT_FAILED;
    int rc =
        fn_inventory_load(&c->inv, path, fmt, c->vendors, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: %s\n", *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

/* "unknown vendor 'X'", with the closest known name if X looks like a
 * typo of it. */
static void run_unknown_vendor(run_ctx_t *c, const char *host, const char *v)
{
    const char *near = fn_vendors_closest(c->vendors, v);
    fprintf(stderr,
            "flexnet run: %s: unknown vendor '%s'%s%s%s (flexnet "
            "vendors list names them)\n",
            host, v, near ? ": did you mean '" : "", near ? near : "",
            near ? "'?" : "");
}

/* Every target needs a login name: the task's (-u, manifest), its own
 * (inventory username=), or the credentials provider's. No silent
 * default: a wrong guess costs a failed login on every device, and
 * lockouts. */
static int run_check_users(const Flexnet__V1__TaskSpec *s,
                           const fn_host_t *const *hosts, size_t n)
{
    const Flexnet__V1__Credentials *cr = s->credentials;
    if (*cr->username || *cr->provider)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *u = fn_host_username(hosts[i]);
        if (u && *u)
            continue;
        fprintf(stderr,
                "flexnet run: %s: no user: give -u USER, or username= "
                "in the inventory\n",
                fn_host_name(hosts[i]));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

/* Every target needs a known vendor: its own, or the task's default. */
static int run_check_vendors(run_ctx_t *c, const Flexnet__V1__TaskSpec *s,
                             const fn_host_t *const *hosts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = fn_host_vendor(hosts[i]);
        if (!v || !*v)
            v = s->default_vendor;
        if (*v && fn_vendors_find(c->vendors, v))
            continue;
        if (*v)
            run_unknown_vendor(c, fn_host_name(hosts[i]), v);
        else
            fprintf(stderr,
                    "flexnet run: %s: no vendor: give vendor= in "
                    "the inventory or --vendor NAME\n",
                    fn_host_name(hosts[i]));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

static int run_targets(run_ctx_t *c, const Flexnet__V1__TaskSpec *s,
                       const fn_host_t ***hosts, size_t *n)
{
    char err[512] = "";
    int rc = run_inventory(c, s->inventory_path, s->inventory_format);
    if (rc)
        return rc;
    rc = fn_inventory_select(c->inv, (const char *const *)s->groups,
                             s->n_groups, (const char *const *)s->hosts,
                             s->n_hosts, hosts, n, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: %s: %s\n", s->inventory_path,
                *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    if (!*n) {
        fprintf(stderr, "flexnet run: %s: the targets select no host\n",
                s->inventory_path);
        return FN_CLI_EXIT_USAGE;
    }
    size_t kept = 0, all = *n;
    for (size_t i = 0; i < all; i++) /* --shard: this shard's part */
        if (fn_recorder_spec_in_shard(s, fn_host_name((*hosts)[i])))
            (*hosts)[kept++] = (*hosts)[i];
    *n = kept;
    if (s->shard_count && !c->o->json && c->engine) /* once: not in checks */
        printf("shard %u/%u of run %s: %zu of %zu targets\n", s->shard_index,
               s->shard_count, s->shard_run, kept, all);
    if (!kept)
        return 0;
    rc = run_check_vendors(c, s, *hosts, *n);
    return rc ? rc : run_check_users(s, *hosts, *n);
}

static int run_vendors(run_ctx_t *c)
{
    char err[512] = "";
    int rc = fn_vendors_new(&c->vendors, c->o->vendors_dir, err, sizeof(err));
    if (rc)
        fprintf(stderr, "flexnet run: vendors: %s\n",
                *err ? err : fn_strerror(rc));
    return rc ? FN_CLI_EXIT_USAGE : 0;
}

/* ---- --check -------------------------------------------------------- */

/* Loads the vendors and every job's inventory and targets: all input is
 * checked before a password is asked for or a device contacted. */
static int run_validate(run_ctx_t *c, const fn__cli_manifest_t *jobs,
                        size_t *steps, size_t *devices)
{
    int rc = run_vendors(c);
    for (size_t i = 0; !rc && i < jobs->n; i++) {
        const fn_host_t **hosts = NULL;
        size_t n = 0;
        rc = run_targets(c, jobs->jobs[i].spec, &hosts, &n);
        free(hosts);
        *steps += jobs->jobs[i].spec->n_steps;
        *devices += n;
    }
    return rc;
}

static int run_check(run_ctx_t *c, const fn__cli_manifest_t *jobs)
{
    size_t steps = 0, devices = 0;
    int rc = run_validate(c, jobs, &steps, &devices);
    if (!rc)
        printf("%s: ok: %zu subtask%s, %zu steps, %zu target devices\n",
               c->o->manifest, jobs->n, jobs->n == 1 ? "" : "s", steps,
               devices);
    return rc;
}

/* ---- one job on the engine ----------------------------------------- */

/* SIGINT (Ctrl-C) or SIGTERM: cancel, so the task ends stored as
 * cancelled with what it did, instead of dying mid-change. */
static void run_on_signal(evutil_socket_t sig, short what, void *arg)
{
    fn__cli_run_t *r = arg;
    fprintf(stderr, "\nflexnet run: %s, cancelling the task\n",
            sig == SIGINT ? "interrupted" : "terminated");
    fn_engine_cancel(r->engine, r->task_id);
}

/* Creates the stored task through the recorder; r->task_id gets its id. */
static int run_create_task(run_ctx_t *c, fn__cli_run_t *r,
                           const fn_recorder_hooks_t *hooks)
{
    const Flexnet__V1__TaskSpec *s = r->job->spec;
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.name = s->name;
    t.spec = (Flexnet__V1__TaskSpec *)s;
    t.owner = "cli";
    t.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING;
    int rc = fn_recorder_task_new(&r->rt, c->rec, &t, hooks);
    if (rc)
        fprintf(stderr, "flexnet run: store: %s\n",
                *fn_store_reason(c->st) ? fn_store_reason(c->st)
                                        : fn_strerror(rc));
    else
        snprintf(r->task_id, sizeof(r->task_id), "%s",
                 fn_recorder_task_id(r->rt));
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

/* Starts the task and runs the loop until its summary. */
static int run_loop(fn__cli_run_t *r, const fn_task_spec_t *ts)
{
    char err[512] = "";
    fn_sink_t sink;
    struct event_base *base = fn_engine_base(r->engine);
    r->ev[0] = evsignal_new(base, SIGINT, run_on_signal, r);
    r->ev[1] = evsignal_new(base, SIGTERM, run_on_signal, r);
    for (int i = 0; i < 2; i++)
        if (!r->ev[i] || event_add(r->ev[i], NULL))
            return FN_CLI_EXIT_FAILED;
    fn_recorder_task_sink(r->rt, &sink);
    int rc = fn_task_start(r->engine, ts, &sink, NULL, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: %s\n", *err ? err : fn_strerror(rc));
        fn_recorder_task_abandon(r->rt,
                                 FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED,
                                 *err ? err : fn_strerror(rc));
        return rc == -ENOMEM ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof(r->wipe) / sizeof(r->wipe[0]); i++)
        if (r->wipe[i])
            fn_buf_wipe(r->wipe[i]);
    if (!r->o->json) /* signals are ours from here on: say the task id */
        printf("task %s \"%s\": %zu device%s\n", r->task_id, r->job->spec->name,
               ts->nhosts, ts->nhosts == 1 ? "" : "s");
    fflush(stdout);
    fn_engine_run(r->engine);
    fn_recorder_wait(r->rec); /* S3 copies never slowed the SSH work */
    return r->exit;
}

static void run_free_events(fn__cli_run_t *r)
{
    for (size_t i = 0; i < sizeof(r->ev) / sizeof(r->ev[0]); i++) {
        if (r->ev[i])
            event_free(r->ev[i]);
        r->ev[i] = NULL;
    }
}

/* --metrics-file: every record also counts (flexnetd's /metrics names). */
static void run_tap(run_ctx_t *c, fn__cli_run_t *r, fn_recorder_hooks_t *hooks)
{
    fn_metrics_tap_t *t = &r->tap;
    t->m = c->metrics;
    t->inv = c->inv;
    t->default_vendor = r->job->spec->default_vendor;
    t->s3 = fn_recorder_has_s3(c->rec);
    fn_metrics_tap(t, hooks);
}

static int run_job_task(run_ctx_t *c, fn__cli_run_t *r, const fn_host_t **hosts,
                        size_t n, const char *user, const char *pw,
                        const char *enable)
{
    fn_recorder_hooks_t hooks;
    fn_task_spec_t ts;
    char why[512];
    int rc = fn_recorder_spec(r->job->spec, &ts) ? FN_CLI_EXIT_FAILED : 0;
    if (!rc && fn_recorder_spec_parse(r->job->spec, &ts, why, sizeof(why))) {
        fprintf(stderr, "flexnet run: %s\n", why);
        rc = FN_CLI_EXIT_USAGE;
    }
    if (!rc && fn__cli_run_sink_init(r, hosts, n, &hooks))
        rc = FN_CLI_EXIT_FAILED;
    if (!rc && c->metrics)
        run_tap(c, r, &hooks);
    if (!rc)
        rc = run_create_task(c, r, &hooks);
    if (!rc) {
        ts.task_id = r->task_id;
        ts.hosts = hosts;
        ts.nhosts = n;
        if (user) /* the provider's, over the spec's */
            ts.creds.username = user;
        ts.creds.password = pw;
        ts.creds.enable_password = enable;
        c->cur = r;
        rc = run_loop(r, &ts);
        c->cur = NULL;
        if (!rc && c->store_failed) /* ran, but not all of it was kept */
            rc = FN_CLI_EXIT_FAILED;
    }
    run_free_events(r);
    fn__cli_run_sink_cleanup(r);
    fn_recorder_task_free(r->rt);
    r->rt = NULL;
    fn_recorder_spec_cleanup(&ts);
    return rc;
}

/* ---- credentials by reference -------------------------------------- */

typedef struct run_fetch {
    int done, status;
    fn_buf_t *pw;   /* the secret's copy (wiped by the caller) */
    char user[128]; /* the provider's username, or "" */
    char reason[256];
} run_fetch_t;

static void run_on_fetch(int status, const char *user, const char *secret,
                         const char *reason, void *arg)
{
    run_fetch_t *f = arg;
    f->done = 1;
    f->status = status;
    if (!status && fn_buf_append(f->pw, secret, strlen(secret)))
        f->status = -ENOMEM;
    if (!status && user)
        snprintf(f->user, sizeof(f->user), "%s", user);
    snprintf(f->reason, sizeof(f->reason), "%s", reason ? reason : "");
}

static int run_fetched(const void *arg)
{
    return ((const run_fetch_t *)arg)->done;
}

/* Fetches the task's password from (provider, ref) into out, once,
 * running the loop until it arrives. Every target host that cannot log
 * in without it is reported with the reason. Returns 0 or an exit
 * status. */
static int run_fetch_secret(run_ctx_t *c, const Flexnet__V1__Credentials *cr,
                            const fn_host_t *const *hosts, size_t n,
                            fn_buf_t *out, run_fetch_t *f)
{
    fn_rec_fetch_t *fetch = NULL;
    f->pw = out;
    int rc = fn_recorder_fetch_start(&fetch, c->rec, cr->provider, cr->ref,
                                     run_on_fetch, f);
    if (rc)
        snprintf(f->reason, sizeof(f->reason), "%s", fn_strerror(rc));
    if (!rc)
        rc = fn_http_wait(fn_engine_base(c->engine), run_fetched, f);
    fn_recorder_fetch_free(fetch); /* wipes the provider's copy */
    rc = rc ? rc : f->status;
    if (!rc)
        return 0;
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "flexnet run: %s: no password: credentials %s:%s: %s\n",
                fn_host_name(hosts[i]), cr->provider, cr->ref,
                *f->reason ? f->reason : fn_strerror(rc));
    return FN_CLI_EXIT_UNREACHABLE;
}

/* 3 only when no job reached any device; else 1 when any job failed. */
static int run_combine(int sofar, int rc, int first)
{
    if (first)
        return rc;
    if (rc == FN_CLI_EXIT_UNREACHABLE && sofar == FN_CLI_EXIT_UNREACHABLE)
        return rc;
    return rc || sofar ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_OK;
}

/* A store write or an S3 copy failed: say so (the task goes on). */
static void run_on_warning(const char *task_id, int what, const char *msg,
                           void *arg)
{
    run_ctx_t *c = arg;
    if (c->cur)
        fn__cli_progress_clear(&c->cur->progress_shown);
    if (c->o->log_format &&
        fn_log_format_parse(c->o->log_format) == FN_LOG_JSON) {
        fn_log_ctx_t ctx = {*task_id ? task_id : NULL, NULL, FN_LOGC_CORE};
        fn_log(FN_LOG_WARN, &ctx, "%s", msg); /* for the log shipper */
    } else {
        fprintf(stderr, "flexnet run: %s%s\n",
                what == FN_RECORDER_WARN_S3 ? "warning: " : "", msg);
    }
    c->store_failed |= what == FN_RECORDER_WARN_STORE;
}

/* The integrations config (--config, else ./flexnet.conf if present),
 * the http client on the engine's loop, the recorder. */
static int run_recorder(run_ctx_t *c)
{
    char err[512] = "";
    int rc = fn_config_load(&c->cfg, c->o->conf_file, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: config: %s\n",
                *err ? err : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    struct event_base *base = fn_engine_base(c->engine);
    if (fn_http_new(&c->http, base)) {
        fprintf(stderr, "flexnet run: cannot start the http client\n");
        return FN_CLI_EXIT_FAILED;
    }
    fn_recorder_opts_t ro = {.base = base,
                             .store = c->st,
                             .http = c->http,
                             .config = c->cfg,
                             .on_warning = run_on_warning,
                             .arg = c};
    rc = fn_recorder_new(&c->rec, &ro, err, sizeof(err));
    if (rc)
        fprintf(stderr, "flexnet run: config: [s3]: %s\n",
                *err ? err : fn_strerror(rc));
    return rc ? FN_CLI_EXIT_USAGE : 0;
}

/* One engine task on hosts. Its password: from (provider, ref) when the
 * hosts' inventory names that reference (by_host), else from the flags,
 * else from the task's provider, else from the spec's env names. */
static int run_part(run_ctx_t *c, const fn__cli_job_t *job,
                    const fn_host_t **hosts, size_t n,
                    const Flexnet__V1__Credentials *cr, int by_host, int last)
{
    fn_buf_t pw_env, en_env;
    const char *pw = NULL, *enable = NULL;
    run_fetch_t fetched = {0};
    int rc = 0;
    fn_buf_init(&pw_env, 1024);
    fn_buf_init(&en_env, 1024);
    fn__cli_run_t r = {
        .o = c->o, .job = job, .rec = c->rec, .engine = c->engine};
    if (*cr->provider && (by_host || !c->has_pw)) {
        rc = run_fetch_secret(c, cr, hosts, n, &pw_env, &fetched);
        pw = rc ? NULL : pw_env.data;
    } else {
        rc = run_job_secret(c, cr->password_env, &c->pw, c->has_pw, &pw_env,
                            &pw);
    }
    if (!rc)
        rc = run_job_secret(c, cr->enable_password_env, &c->enable,
                            c->has_enable, &en_env, &enable);
    if (!rc && !*cr->key_file && !cr->ssh_agent) /* a key may do instead */
        rc = run_check_passwords(hosts, n, pw);
    /* The engine copies the secrets when the task starts: from then on
     * ours are wiped (the flags' only after the last job needs them). */
    r.wipe[0] = &pw_env;
    r.wipe[1] = &en_env;
    r.wipe[2] = last ? &c->pw : NULL;
    r.wipe[3] = last ? &c->enable : NULL;
    if (!rc)
        rc = run_job_task(c, &r, hosts, n, *fetched.user ? fetched.user : NULL,
                          pw, enable);
    fn_buf_wipe(&pw_env); /* again: the task may not have started */
    fn_buf_cleanup(&pw_env);
    fn_buf_wipe(&en_env);
    fn_buf_cleanup(&en_env);
    return rc;
}

/* A host's credentials reference "provider:ref": its inventory key
 * `credentials` (its own, or inherited from its YAML groups), else the
 * task's, else "". */
static const char *run_host_ref(const fn_host_t *h,
                                const Flexnet__V1__Credentials *cr, char *buf,
                                size_t len)
{
    const char *v = fn_host_get(h, "credentials");
    if (v)
        return v;
    if (!*cr->provider)
        return "";
    snprintf(buf, len, "%s:%s", cr->provider, cr->ref);
    return buf;
}

/* The hosts whose reference is ref (in order) into part; *n their count. */
static void run_pick(const fn_host_t **hosts, size_t n, const char *ref,
                     const Flexnet__V1__Credentials *cr, const fn_host_t **part,
                     size_t *np, char *done)
{
    char buf[512];
    *np = 0;
    for (size_t i = 0; i < n; i++)
        if (!done[i] &&
            !strcmp(run_host_ref(hosts[i], cr, buf, sizeof(buf)), ref)) {
            part[(*np)++] = hosts[i];
            done[i] = 1;
        }
}

/* Splits "provider:ref" into a Credentials view over cr's other fields
 * (provider and ref point into ref_buf). Returns 0 or an exit status. */
static int run_split_ref(const char *host, const char *full,
                         const Flexnet__V1__Credentials *cr, char *ref_buf,
                         size_t len, Flexnet__V1__Credentials *out)
{
    *out = *cr;
    if (!*full) {
        out->provider = out->ref = "";
        return 0;
    }
    snprintf(ref_buf, len, "%s", full);
    char *colon = strchr(ref_buf, ':');
    if (!colon || colon == ref_buf || !colon[1]) {
        fprintf(stderr,
                "flexnet run: %s: credentials=%s: expected "
                "PROVIDER:REF (e.g. vault:secret/path)\n",
                host, full);
        return FN_CLI_EXIT_USAGE;
    }
    *colon = '\0';
    out->provider = ref_buf;
    out->ref = colon + 1;
    return 0;
}

/* Runs a job: one engine task per distinct credentials reference among
 * its targets (usually one), each reference fetched once. */
static int run_job(run_ctx_t *c, const fn__cli_job_t *job, int last)
{
    const fn_host_t **hosts = NULL, **part = NULL;
    size_t n = 0, np = 0;
    char *done = NULL, buf[512], ref[512];
    int rc = run_targets(c, job->spec, &hosts, &n), status = 0, first = 1;
    if (!rc && !n) { /* a shard none of the targets falls in */
        free(hosts);
        return 0;
    }
    if (!rc && (!(part = calloc(n, sizeof(*part))) || !(done = calloc(n, 1))))
        rc = FN_CLI_EXIT_FAILED;
    const Flexnet__V1__Credentials *cr = job->spec->credentials;
    for (size_t i = 0; !rc && i < n; i++) {
        if (done[i])
            continue;
        Flexnet__V1__Credentials view;
        const char *full = run_host_ref(hosts[i], cr, buf, sizeof(buf));
        rc = run_split_ref(fn_host_name(hosts[i]), full, cr, ref, sizeof(ref),
                           &view);
        if (rc)
            break;
        run_pick(hosts, n, full, cr, part, &np, done);
        int more = memchr(done, 0, n) != NULL;
        int by_host = fn_host_get(hosts[i], "credentials") != NULL;
        int prc = run_part(c, job, part, np, &view, by_host, last && !more);
        if (prc == FN_CLI_EXIT_USAGE)
            rc = prc;
        status = run_combine(status, prc, first);
        first = 0;
    }
    free(done);
    free(part);
    free(hosts);
    return rc ? rc : status;
}

/* The run's counters plus the engine's and the store's gauges, written
 * atomically for node_exporter's textfile collector. Returns 0 or -1
 * having said why. */
static int run_write_metrics(run_ctx_t *c)
{
    fn_engine_stats_t es;
    fn_store_stats_t ss;
    fn_metrics_gauges_t g;
    fn_metrics_gauges_read(&g, &es, &ss, c->engine, c->st, c->rec);
    int rc = fn_metrics_write_file(c->metrics, &g, c->o->metrics_file);
    if (rc)
        fprintf(stderr, "flexnet run: --metrics-file %s: %s\n",
                c->o->metrics_file, fn_strerror(rc));
    return rc ? -1 : 0;
}

static int run_jobs(run_ctx_t *c, const fn__cli_manifest_t *jobs)
{
    fn_engine_opts_t eo;
    const fn__cli_run_opts_t *o = c->o;
    size_t steps = 0, devices = 0;
    int rc = run_validate(c, jobs, &steps, &devices);
    if (!rc)
        rc = run_secret_flag(&o->pw, &c->pw, 0, &c->has_pw);
    if (!rc)
        rc = run_secret_flag(&o->enable, &c->enable, 1, &c->has_enable);
    if (!rc)
        rc = fn__cli_store_open(&c->st, o->db, 0);
    fn_engine_opts_init(&eo);
    eo.progress_ms = !o->json && isatty(2) ? 250 : 0;
    if (!rc && fn_engine_new(&c->engine, NULL, c->vendors, &eo)) {
        fprintf(stderr, "flexnet run: cannot start the engine\n");
        rc = FN_CLI_EXIT_FAILED;
    }
    if (!rc)
        rc = run_recorder(c);
    if (!rc && o->metrics_file && fn_metrics_new(&c->metrics))
        rc = FN_CLI_EXIT_FAILED;
    int status = rc;
    for (size_t i = 0; !rc && i < jobs->n; i++) {
        int jrc = run_job(c, &jobs->jobs[i], i + 1 == jobs->n);
        if (jrc == FN_CLI_EXIT_USAGE)
            return jrc;
        status = run_combine(status, jrc, i == 0);
    }
    if (!rc && c->metrics && run_write_metrics(c) && !status)
        status = FN_CLI_EXIT_FAILED;
    return status;
}

static void run_ctx_cleanup(run_ctx_t *c)
{
    fn_metrics_free(c->metrics);
    fn_recorder_free(c->rec);
    fn_http_free(c->http);
    fn_engine_free(c->engine);
    fn_config_free(c->cfg);
    fn_store_close(c->st);
    fn_inventory_free(c->inv);
    fn_vendors_free(c->vendors);
    free(c->inv_path);
    fn_buf_wipe(&c->pw);
    fn_buf_cleanup(&c->pw);
    fn_buf_wipe(&c->enable);
    fn_buf_cleanup(&c->enable);
}

int fn__cli_cmd_run(int argc, char **argv)
{
    fn__cli_run_opts_t o;
    fn__cli_manifest_t jobs;
    run_ctx_t c;
    memset(&c, 0, sizeof(c));
    fn_buf_init(&c.pw, 1024);
    fn_buf_init(&c.enable, 1024);
    c.o = &o;
    int rc = fn__cli_run_parse(argc, argv, &o, &jobs);
    if (!rc && o.log_format)
        fn_log_set_format(fn_log_format_parse(o.log_format));
    if (rc == -1)
        rc = FN_CLI_EXIT_OK; /* --help */
    else if (!rc)
        rc = o.check ? run_check(&c, &jobs) : run_jobs(&c, &jobs);
    run_ctx_cleanup(&c);
    fn__cli_manifest_cleanup(&jobs);
    fn__cli_run_opts_cleanup(&o);
    return rc;
}
