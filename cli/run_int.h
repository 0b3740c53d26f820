/*
 * run_int.h — `flexnet run` internals shared by run_args.c (options to
 * jobs), run.c (inventory, secrets, store, recorder, engine) and
 * run_sink.c (the recorder's hooks: printing).
 *
 * Thread: main; the sink runs on the engine's loop, on the same thread.
 * Ownership: fn__cli_run_t owns its jobs, secrets, rows and copies;
 * strings from argv are borrowed for the process's life.
 */
#ifndef FN_CLI_RUN_INT_H
#define FN_CLI_RUN_INT_H

#include <stdio.h>

#include "cli_cmd.h"
#include "fn_engine.h"
#include "fn_metrics.h"
#include "fn_recorder.h"

/* Without -v, only the first failed results print as they come. */
#define FN_CLI_STREAM_FAILS 10

/* Where a password comes from (at most one per kind). */
typedef struct fn__cli_pw_src {
    const char *env; /* --password-env VAR */
    int prompt;      /* --password-prompt */
    char *arg;       /* -p PASS (argv memory: wiped once read) */
} fn__cli_pw_src_t;

/* Options of `flexnet run`, as given. */
typedef struct fn__cli_run_opts {
    const char *inventory;
    const char **groups, **hosts; /* owned arrays of argv strings */
    size_t ngroups, nhosts;
    const char *user;
    fn__cli_pw_src_t pw, enable;
    const char **commands, **config; /* owned arrays of argv strings */
    size_t ncommands, nconfig;
    const char *commands_file, *config_file;
    int backup;
    const char *comment;
    const char *manifest;
    int check;
    const char *name;
    int connect_first, yes;
    const char *max_failed;
    unsigned concurrency, connect_timeout_ms, command_timeout_ms;
    unsigned login_timeout_ms;
    int on_error; /* Flexnet__V1__OnError for config steps; 0: as given */
    int save;     /* --save: a SAVE step after the config lines */
    const char *key_file; /* --key-file: publickey login first */
    int ssh_agent;        /* --ssh-agent: the agent's keys after it */
    const char **expects; /* --expect "Q => A" for the -c step (argv's) */
    size_t nexpects;
    int json, verbose;
    const char *db, *vendors_dir, *vendor;
    const char *template_file;    /* --template FILE */
    const char *templates_dir;    /* --templates DIR */
    int hostkey_policy;           /* enum fn_hostkey_policy; 0: default */
    int redact;                   /* Flexnet__V1__RedactMode; 0: not given */
    const char *conf_file;        /* --config FILE (NULL: ./flexnet.conf) */
    const char *provider;         /* --credentials-provider */
    const char *ref;              /* --credentials-ref */
    const char *metrics_file;     /* --metrics-file: Prometheus text at end */
    const char *log_format;       /* --log-format text|json (stderr log) */
    const char *shard;            /* --shard I/N */
    const char *shard_count;      /* --shard-count N */
    const char *run_id;           /* --run-id ID */
    const char *inventory_format; /* --inventory-format */
    const char *limit;            /* --limit PATTERN (argv) */
    struct fn_config *defaults;   /* owned: [defaults] of flexnet.conf */
} fn__cli_run_opts_t;

/* Per-device state for the results table. */
typedef struct fn__cli_run_dev {
    fn__cli_dev_t row;
    char *note; /* owned; row.note points here */
} fn__cli_run_dev_t;

/* One job (sub-task) while it runs. */
typedef struct fn__cli_run {
    const fn__cli_run_opts_t *o;
    const fn__cli_job_t *job;
    fn_recorder_t *rec;  /* borrowed: stores everything */
    fn_rec_task_t *rt;   /* owned: this job's record */
    fn_engine_t *engine; /* borrowed */
    struct event *ev[2]; /* owned: SIGINT, SIGTERM */
    char task_id[FN_STORE_ID_LEN + 1];
    fn__cli_run_dev_t *devs;          /* owned, in target order */
    struct fn__cli_run_dev **by_name; /* owned: into devs, by host name */
    size_t ndevs;
    Flexnet__V1__ConnectionReport **conns; /* owned copies: only rows
                                              the table will list */
    size_t nconns, conns_cap;
    size_t conns_total, conns_bad; /* reports seen, of which failed */
    fn_buf_t json;                 /* scratch for --json lines */
    int tty;                       /* progress line on stderr */
    int progress_shown;
    int decided;             /* connect-first table printed */
    unsigned failures_shown; /* failed results printed as they came */
    fn_buf_t *wipe[4];       /* borrowed secrets to wipe once the engine
                                has copied them (NULL: none) */
    int exit;                /* exit status, set by the summary */
    fn_metrics_tap_t tap;    /* with --metrics-file: counts the records */
} fn__cli_run_t;

/* run_args.c: parses argv into o and jobs (from -f or from the flags).
 * Returns 0, or an exit status having printed why (-1: --help shown). */
int fn__cli_run_parse(int argc, char **argv, fn__cli_run_opts_t *o,
                      fn__cli_manifest_t *jobs);
void fn__cli_run_opts_cleanup(fn__cli_run_opts_t *o);

/* run_sink.c: the recorder hooks for one job (arg r); prepares r's
 * device rows for the hosts. Returns 0 or -ENOMEM. */
int fn__cli_run_sink_init(fn__cli_run_t *r, const fn_host_t *const *hosts,
                          size_t nhosts, fn_recorder_hooks_t *hooks);
void fn__cli_run_sink_cleanup(fn__cli_run_t *r);

#endif /* FN_CLI_RUN_INT_H */
