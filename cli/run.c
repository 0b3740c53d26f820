/*
 * run.c — `flexnet run`: loads vendors and inventory, resolves targets
 * and secrets, creates the task in the store, hands it to the engine and
 * runs the loop until the summary; one job (sub-task) after the other.
 *
 * Secrets are read once (env, terminal or argv), passed to the engine
 * (which copies them) and wiped here as soon as the task has started.
 * The store only ever sees the spec, which names environment variables,
 * never a password.
 *
 * Does not print results (run_sink.c does) nor parse options
 * (run_args.c). Thread: main, which runs the engine's loop. Owns the
 * vendors registry, the inventory, the engine, the store handle.
 */
#include "run_int.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(int) == sizeof(int32_t), "when codes are passed as-is");

/* What every job of one `flexnet run` shares. */
typedef struct run_ctx {
    const fn__cli_run_opts_t *o;
    fn_vendors_t *vendors;
    fn_inventory_t *inv; /* the current job's */
    char *inv_path;      /* owned: which file inv is */
    fn_store_t *st;
    fn_engine_t *engine;
    fn_buf_t pw, enable; /* secrets given by flags (wiped at end) */
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

static int run_inventory(run_ctx_t *c, const char *path)
{
    char err[512];
    if (c->inv && !strcmp(c->inv_path, path))
        return 0;
    fn_inventory_free(c->inv);
    free(c->inv_path);
    c->inv = NULL;
    c->inv_path = strdup(path);
    if (!c->inv_path)
        return FN_CLI_EXIT_FAILED;
    int rc = fn_inventory_load(&c->inv, path, FN_INVENTORY_GUESS, c->vendors,
                               err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: %s\n", *err ? err : fn_strerror(rc));
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
            fprintf(stderr,
                    "flexnet run: %s: unknown vendor '%s' (flexnet "
                    "vendors list names them)\n",
                    fn_host_name(hosts[i]), v);
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
    int rc = run_inventory(c, s->inventory_path);
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
    return run_check_vendors(c, s, *hosts, *n);
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

/* The engine's view of a spec: borrowed pointers into it. */
static fn_step_t *run_engine_steps(const Flexnet__V1__TaskSpec *s)
{
    fn_step_t *steps = calloc(s->n_steps ? s->n_steps : 1, sizeof(*steps));
    for (size_t i = 0; steps && i < s->n_steps; i++) {
        const Flexnet__V1__Step *p = s->steps[i];
        fn_step_t *e = &steps[i];
        e->kind = (int)p->kind;
        e->commands = (const char *const *)p->commands;
        e->ncommands = p->n_commands;
        e->tag = *p->tag ? p->tag : NULL;
        e->exit_on_fail = p->exit_on_fail;
        e->only_on = (const char *const *)p->only_on;
        e->nonly_on = p->n_only_on;
        e->skip = (const char *const *)p->skip;
        e->nskip = p->n_skip;
        e->when_tag = p->when ? p->when->tag : NULL;
        e->when_codes = p->when ? (const int *)p->when->exit_codes : NULL;
        e->nwhen_codes = p->when ? p->when->n_exit_codes : 0;
        e->comment = *p->comment ? p->comment : NULL;
        e->timeout_ms = p->timeout_ms;
    }
    return steps;
}

static void run_on_flush(evutil_socket_t fd, short what, void *arg)
{
    fn__cli_run_t *r = arg;
    int rc = fn_store_flush(r->st);
    if (rc && !r->store_failed++)
        fprintf(stderr, "flexnet run: store: %s\n",
                *fn_store_reason(r->st) ? fn_store_reason(r->st)
                                        : fn_strerror(rc));
}

/* SIGINT (Ctrl-C) or SIGTERM: cancel, so the task ends stored as
 * cancelled with what it did, instead of dying mid-change. */
static void run_on_signal(evutil_socket_t sig, short what, void *arg)
{
    fn__cli_run_t *r = arg;
    fprintf(stderr, "\nflexnet run: %s, cancelling the task\n",
            sig == SIGINT ? "interrupted" : "terminated");
    fn_engine_cancel(r->engine, r->task_id);
}

/* Creates the stored task; r->task_id gets its id. */
static int run_create_task(fn__cli_run_t *r, const Flexnet__V1__TaskSpec *s)
{
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.name = s->name;
    t.spec = (Flexnet__V1__TaskSpec *)s;
    t.owner = "cli";
    t.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING;
    int rc = fn_store_task_create(r->st, &t, r->task_id);
    if (rc)
        fprintf(stderr, "flexnet run: store: %s\n",
                *fn_store_reason(r->st) ? fn_store_reason(r->st)
                                        : fn_strerror(rc));
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

/* Starts the task and runs the loop until its summary. */
static int run_loop(fn__cli_run_t *r, const fn_task_spec_t *ts, fn_sink_t *sink)
{
    char err[512] = "";
    struct event_base *base = fn_engine_base(r->engine);
    struct timeval tick = {0, 20000}; /* group commit every 20 ms */
    r->ev[0] = event_new(base, -1, EV_PERSIST, run_on_flush, r);
    r->ev[1] = evsignal_new(base, SIGINT, run_on_signal, r);
    r->ev[2] = evsignal_new(base, SIGTERM, run_on_signal, r);
    for (int i = 0; i < 3; i++)
        if (!r->ev[i] || event_add(r->ev[i], i ? NULL : &tick))
            return FN_CLI_EXIT_FAILED;
    int rc = fn_task_start(r->engine, ts, sink, NULL, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "flexnet run: %s\n", *err ? err : fn_strerror(rc));
        fn_store_task_finish(r->st, r->task_id,
                             FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED, NULL,
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

static int run_job_task(run_ctx_t *c, fn__cli_run_t *r, const fn_host_t **hosts,
                        size_t n, const char *pw, const char *enable)
{
    const Flexnet__V1__TaskSpec *s = r->job->spec;
    fn_sink_t sink;
    fn_step_t *steps = run_engine_steps(s);
    int rc = steps ? run_create_task(r, s) : FN_CLI_EXIT_FAILED;
    if (!rc && fn__cli_run_sink_init(r, hosts, n, &sink))
        rc = FN_CLI_EXIT_FAILED;
    if (!rc) {
        fn_task_spec_t ts = {
            .task_id = r->task_id,
            .hosts = hosts,
            .nhosts = n,
            .steps = steps,
            .nsteps = s->n_steps,
            .creds = {.username = *s->credentials->username
                                      ? s->credentials->username
                                      : NULL,
                      .password = pw,
                      .enable_password = enable},
            .default_vendor = *s->default_vendor ? s->default_vendor : NULL,
            .mode = (int)s->mode,
            .max_failed = s->max_failed,
            .max_failed_percent = s->max_failed_percent,
            .concurrency = s->concurrency,
            .connect_timeout_ms = s->connect_timeout_ms,
            .command_timeout_ms = s->command_timeout_ms,
            .hostkey_policy = (int)s->host_key_policy,
        };
        rc = run_loop(r, &ts, &sink);
    }
    run_free_events(r);
    fn__cli_run_sink_cleanup(r);
    free(steps);
    return rc;
}

static int run_job(run_ctx_t *c, const fn__cli_job_t *job, int last)
{
    const fn_host_t **hosts = NULL;
    size_t n = 0;
    fn_buf_t pw_env, en_env;
    const char *pw = NULL, *enable = NULL;
    fn_buf_init(&pw_env, 1024);
    fn_buf_init(&en_env, 1024);
    fn__cli_run_t r = {.o = c->o, .job = job, .st = c->st, .engine = c->engine};
    int rc = run_targets(c, job->spec, &hosts, &n);
    if (!rc)
        rc = run_job_secret(c, job->spec->credentials->password_env, &c->pw,
                            c->has_pw, &pw_env, &pw);
    if (!rc)
        rc = run_job_secret(c, job->spec->credentials->enable_password_env,
                            &c->enable, c->has_enable, &en_env, &enable);
    if (!rc)
        rc = run_check_passwords(hosts, n, pw);
    /* The engine copies the secrets when the task starts: from then on
     * ours are wiped (the flags' only after the last job needs them). */
    r.wipe[0] = &pw_env;
    r.wipe[1] = &en_env;
    r.wipe[2] = last ? &c->pw : NULL;
    r.wipe[3] = last ? &c->enable : NULL;
    if (!rc)
        rc = run_job_task(c, &r, hosts, n, pw, enable);
    fn_buf_wipe(&pw_env); /* again: the task may not have started */
    fn_buf_cleanup(&pw_env);
    fn_buf_wipe(&en_env);
    fn_buf_cleanup(&en_env);
    free(hosts);
    return rc;
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
    int status = rc;
    for (size_t i = 0; !rc && i < jobs->n; i++) {
        int jrc = run_job(c, &jobs->jobs[i], i + 1 == jobs->n);
        if (jrc == FN_CLI_EXIT_USAGE)
            return jrc;
        status = run_combine(status, jrc, i == 0);
    }
    return status;
}

static void run_ctx_cleanup(run_ctx_t *c)
{
    fn_engine_free(c->engine);
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
    if (rc == -1)
        rc = FN_CLI_EXIT_OK; /* --help */
    else if (!rc)
        rc = o.check ? run_check(&c, &jobs) : run_jobs(&c, &jobs);
    run_ctx_cleanup(&c);
    fn__cli_manifest_cleanup(&jobs);
    fn__cli_run_opts_cleanup(&o);
    return rc;
}
