/*
 * cli_cmd.h — internals of the `flexnet` binary that need the store or
 * the engine: the subcommands, output of stored records, secrets.
 *
 * Thread: everything runs on the main thread, which also runs the
 * engine's event loop during `flexnet run`.
 *
 * Ownership: borrowed unless marked. Errors: exit statuses (enum
 * fn__cli_exit) for fn__cli_cmd_* and the error helpers; fn_err.h codes
 * elsewhere.
 */
#ifndef FN_CLI_CMD_H
#define FN_CLI_CMD_H

#include <stdio.h>

#include "cli_int.h"
#include "fn_recorder.h"
#include "fn_store.h"

/* ---- main.c: dispatch ---------------------------------------------- */

/* A (sub)command: argv[0] is its own name; returns an exit status. */
typedef int fn__cli_cmd_fn(int argc, char **argv);

typedef struct fn__cli_cmd {
    const char *name;
    fn__cli_cmd_fn *fn;
} fn__cli_cmd_t;

/* Runs the entry of table named argv[1] with (argc - 1, argv + 1); prints
 * usage for none, --help or an unknown name. cmd names the caller ("tasks")
 * in messages. */
int fn__cli_dispatch(const char *cmd, const fn__cli_cmd_t *table,
                     const char *usage, int argc, char **argv);
/* Prints "flexnet CMD: what" and a --help hint; returns FN_CLI_EXIT_USAGE. */
int fn__cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Opens the store in dir (NULL: ./.db), printing why on failure. Returns
 * 0 or an exit status. *st owned: fn_store_close. */
int fn__cli_store_open(fn_store_t **st, const char *dir, int rdonly);
/* Prints a store failure about `what` `id`; returns the exit status (2
 * for not found / ambiguous, 1 otherwise). */
int fn__cli_store_error(fn_store_t *st, const char *what, const char *id,
                        int rc);

/* Options of the read-back commands (tasks, backups, vendors). */
enum fn__cli_ro_flag {
    FN_CLI_RO_JSON = 1 << 0,    /* --json */
    FN_CLI_RO_ALL = 1 << 1,     /* --all */
    FN_CLI_RO_VERBOSE = 1 << 2, /* -v */
    FN_CLI_RO_HOST = 1 << 3,    /* --host H */
    FN_CLI_RO_TASK = 1 << 4,    /* --task ID */
    FN_CLI_RO_OUTPUT = 1 << 5,  /* -o FILE */
    FN_CLI_RO_DB = 1 << 6,      /* --db DIR */
    FN_CLI_RO_CONFIG = 1 << 7,  /* --config FILE */
    FN_CLI_RO_PARSED = 1 << 8,  /* --parsed */
    FN_CLI_RO_DBS = 1 << 9,     /* --db DIR may repeat (read-only) */
};
/* Most stores a reader opens at once (--db A --db B ...). */
#define FN_CLI_DB_MAX 64

typedef struct fn__cli_ro {
    int json, all, verbose, parsed;
    const char *host, *task, *output; /* borrowed from argv */
    const char *dbs[FN_CLI_DB_MAX];   /* --db, in order (argv's) */
    int ndb;
    const char *config;  /* borrowed from argv */
    const char *args[2]; /* positional arguments */
    int nargs;
} fn__cli_ro_t;

/* Parses argv for `flexnet CMD` accepting the options in `allowed` and
 * between min_args and max_args positionals (at most 2). Returns 0, -1
 * after printing usage for --help, or FN_CLI_EXIT_USAGE. */
int fn__cli_ro_parse(const char *cmd, const char *usage, unsigned allowed,
                     int min_args, int max_args, int argc, char **argv,
                     fn__cli_ro_t *ro);

/* fn__cli_ro_parse (with --db), then opens the store (read-only or
 * not). *st owned: fn_store_close. Same returns. */
int fn__cli_ro_open(const char *cmd, const char *usage, unsigned allowed,
                    int min_args, int max_args, int argc, char **argv,
                    fn__cli_ro_t *ro, fn_store_t **st, int rdonly);

fn__cli_cmd_fn fn__cli_cmd_run;          /* run.c */
fn__cli_cmd_fn fn__cli_cmd_tasks;        /* tasks.c */
fn__cli_cmd_fn fn__cli_cmd_backups;      /* backups.c */
fn__cli_cmd_fn fn__cli_cmd_vendors;      /* vendors_cmd.c */
fn__cli_cmd_fn fn__cli_cmd_parse;        /* parse_cmd.c */
fn__cli_cmd_fn fn__cli_cmd_integrations; /* integrations_cmd.c */
fn__cli_cmd_fn fn__cli_cmd_inventory;    /* inventory_cmd.c */
fn__cli_cmd_fn fn__cli_cmd_store;        /* store_cmd.c */

/* ---- stores.c: readers over several stores ------------------------- */

/* The stores a reader opened (--db A --db B ..., or ./.db), read-only.
 * Owns the handles: fn__cli_stores_close. */
typedef struct fn__cli_stores {
    fn_store_t *st[FN_CLI_DB_MAX];
    const char *dir[FN_CLI_DB_MAX]; /* borrowed from argv */
    size_t n;
} fn__cli_stores_t;

/* fn__cli_ro_parse (--db may repeat), then opens every store read-only.
 * Same returns as fn__cli_ro_open. */
int fn__cli_ro_open_all(const char *cmd, const char *usage, unsigned allowed,
                        int min_args, int max_args, int argc, char **argv,
                        fn__cli_ro_t *ro, fn__cli_stores_t *ss);
void fn__cli_stores_close(fn__cli_stores_t *ss);
/* The store holding the task (backup 0) or backup (1) id_or_prefix, in
 * *st (borrowed from ss). Prints why when none or several do; returns 0
 * or an exit status. */
int fn__cli_stores_pick(fn__cli_stores_t *ss, int backup,
                        const char *id_or_prefix, fn_store_t **st);

/* Records of every store, newest first: pages (owned) and the records
 * in them (borrowed from the pages), each with the store it came from. */
typedef struct fn__cli_item {
    const void *msg; /* Flexnet__V1__Task or Flexnet__V1__Backup */
    fn_store_t *st;  /* borrowed from the fn__cli_stores_t */
} fn__cli_item_t;
typedef struct fn__cli_list {
    ProtobufCMessage **pages;
    size_t npages;
    fn__cli_item_t *items;
    size_t n;
    int more; /* older records were left out (limit) */
} fn__cli_list_t;
/* Lists tasks (q: ListTasksRequest) or backups (q: ListBackupsRequest)
 * of every store of ss, newest first by id, at most limit (0: all). q is
 * borrowed; its page fields are the lister's. Prints a store failure;
 * returns 0 or an exit status. out owned: fn__cli_list_cleanup. */
int fn__cli_list_tasks(fn__cli_stores_t *ss, Flexnet__V1__ListTasksRequest *q,
                       size_t limit, fn__cli_list_t *out);
int fn__cli_list_backups(fn__cli_stores_t *ss,
                         Flexnet__V1__ListBackupsRequest *q, size_t limit,
                         fn__cli_list_t *out);
void fn__cli_list_cleanup(fn__cli_list_t *l);
fn__cli_cmd_fn fn__cli_cmd_hostkeys; /* hostkeys.c */

/* Loads the integrations config: path (NULL: ./flexnet.conf when it
 * exists, else an empty config). Prints why on failure, naming cmd.
 * Returns 0 or FN_CLI_EXIT_USAGE. *cfg owned: fn_config_free. */
struct fn_config;
int fn__cli_config_load(const char *cmd, const char *path,
                        struct fn_config **cfg);

/* The [defaults] config: path, else ./flexnet.conf, else
 * $XDG_CONFIG_HOME/flexnet/flexnet.conf (~/.config when unset), else an
 * empty config. Returns 0 or FN_CLI_EXIT_USAGE after printing why. *cfg
 * owned: fn_config_free. (inventory_cmd.c) */
int fn__cli_defaults_load(const char *path, struct fn_config **cfg);

/* ---- secret.c: passwords ------------------------------------------- */

/* Each initialises out (capped at 1 KiB); wipe it with fn_buf_wipe then
 * fn_buf_cleanup. _env: FN_ECREDS when var is unset or empty. _arg: copies
 * arg, wipes it in argv, warns on stderr that `flag` is visible in ps.
 * _prompt: reads a line from /dev/tty with echo off; -errno when there is
 * no terminal, FN_ECREDS for an empty answer. */
int fn__cli_secret_env(const char *var, fn_buf_t *out);
int fn__cli_secret_arg(char *arg, fn_buf_t *out, const char *flag);
int fn__cli_secret_prompt(const char *prompt, fn_buf_t *out);
/* Asks question on stderr, reads a line from fd: 1 for y/yes, else 0. */
int fn__cli_ask_yes_no(int fd, const char *question);

/* ---- output.c / output_json.c: records for humans and for --json --- */

/* One row of the per-device results table. Strings borrowed. */
typedef struct fn__cli_dev {
    const char *host;
    const char *vendor;
    int connect;       /* Flexnet__V1__ConnectStatus */
    unsigned commands; /* results received */
    unsigned errors;   /* results with exit_code != 0 (skips excluded) */
    unsigned backups;
    const char *note; /* connect reason or first error; may be NULL */
} fn__cli_dev_t;

/* Tables, each with its title line ("connections", "results"). With
 * `all` 0 and more than FN_CLI_TABLE_ALL rows, only the first
 * FN_CLI_TABLE_BAD rows that went wrong are listed, and the table says
 * how many it left out (or, when none went wrong, that all were ok). */
#define FN_CLI_TABLE_ALL 10
#define FN_CLI_TABLE_BAD 20
void fn__cli_print_conns(FILE *f, Flexnet__V1__ConnectionReport *const *rows,
                         size_t n, int all);
/* The same table when only some of its `total` rows were kept (`nbad`
 * of them went wrong): rows holds, in order, every row the table lists
 * (all of them when all or total <= FN_CLI_TABLE_ALL, else at least the
 * first FN_CLI_TABLE_BAD bad ones); the others are counted as left out. */
void fn__cli_print_conns_kept(FILE *f,
                              Flexnet__V1__ConnectionReport *const *rows,
                              size_t nrows, size_t total, size_t nbad, int all);
void fn__cli_print_devices(FILE *f, const fn__cli_dev_t *rows, size_t n,
                           int all);
/* One result: a status line, then stderr (and stdout if with_output)
 * indented. */
void fn__cli_print_result(FILE *f, const Flexnet__V1__CommandResult *r,
                          int with_output);
/* A result's TextFSM records as a table under a "HOST  step N: CMD" line
 * (nothing when parsing was not asked for). */
void fn__cli_print_records(FILE *f, const Flexnet__V1__CommandResult *r);
/* Appends a table: row 0 is the header, rows 1..nrows the data; cell()
 * appends the text of (row, col). Columns are padded to their widest
 * cell (cut at 48 bytes but the last). */
typedef void fn__cli_cell_fn(const void *arg, size_t row, size_t col,
                             fn_buf_t *out);
void fn__cli_table(fn_buf_t *out, size_t ncols, size_t nrows,
                   fn__cli_cell_fn *cell, const void *arg);
void fn__cli_print_summary(FILE *f, const Flexnet__V1__Summary *s,
                           const char *name);
/* What `tasks list` / `tasks show` print as a task's status: the stored
 * status, except that a finished task some of whose devices failed reads
 * "partial", and "failed" when all did. Borrowed static string. */
const char *fn__cli_task_outcome(const Flexnet__V1__Task *t);
void fn__cli_print_task_line(FILE *f, const Flexnet__V1__Task *t);
void fn__cli_print_backup_line(FILE *f, const Flexnet__V1__Backup *b);

/* The live progress line on stderr (a terminal), redrawn in place;
 * *shown (the caller's) remembers whether it is on screen. Clear it
 * before printing anything else. */
void fn__cli_progress_draw(int *shown, const Flexnet__V1__Progress *p);
void fn__cli_progress_clear(int *shown);

/* --json: each appends one object (no newline) to b. */
int fn__cli_json_conn(fn_buf_t *b, const Flexnet__V1__ConnectionReport *r);
/* A result's records as a JSON array of objects (List values arrays). */
int fn__cli_json_records(fn_buf_t *b, const Flexnet__V1__CommandResult *r);
int fn__cli_json_result(fn_buf_t *b, const Flexnet__V1__CommandResult *r);
int fn__cli_json_backup(fn_buf_t *b, const Flexnet__V1__Backup *bk);
int fn__cli_json_summary(fn_buf_t *b, const Flexnet__V1__Summary *s);
int fn__cli_json_task(fn_buf_t *b, const Flexnet__V1__Task *t);
/* A sharded run as one object: t is the run seen as a task (id: the run
 * id, summed summary), with `shards` of them stored, of shard_count. */
int fn__cli_json_run(fn_buf_t *b, const Flexnet__V1__Task *t, unsigned shards,
                     unsigned shard_count);
/* Writes b plus a newline to f and resets b. */
void fn__cli_json_emit(FILE *f, fn_buf_t *b);

#endif /* FN_CLI_CMD_H */
