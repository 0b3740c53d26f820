/*
 * main.c — `flexnet`: dispatches to the subcommands (run, tasks, backups,
 * vendors, integrations, parse, hostkeys), and the helpers every
 * subcommand shares: the command table walk, usage errors, opening the
 * store.
 *
 * Process-wide: SIGPIPE is ignored (a closed pipe must not kill a task
 * mid-change). Does not parse any subcommand's options (each file does
 * its own) and prints no results. Thread: the main thread only. Owns
 * nothing beyond a call.
 */
#include "cli_cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fn_log.h"
#include "fn_proc.h"

#ifndef FLEXNET_VERSION
#define FLEXNET_VERSION "0.1.0"
#endif

static const char main_usage[] =
    "usage: flexnet COMMAND [ARGS]\n"
    "\n"
    "Runs commands, config changes and config backups on fleets of network\n"
    "devices over SSH, and reads back what it stored (./.db by default).\n"
    "\n"
    "Commands:\n"
    "  run       run a task on an inventory (flags or a YAML manifest)\n"
    "  tasks     list, show, read the log of, delete stored tasks\n"
    "  backups   list, print, diff, delete stored config backups\n"
    "  vendors   list the vendor profiles, show one\n"
    "  inventory list, show or graph what an inventory says\n"
    "  integrations check   check the [s3], [vault], [cyberark] config\n"
    "  parse     parse a saved command output with a TextFSM template\n"
    "  store     merge shard stores into one\n"
    "  hostkeys  list, forget, import the pinned SSH host keys\n"
    "\n"
    "`flexnet COMMAND --help` describes a command; `man flexnet` all.\n"
    "Exit status: 0 ok, 1 some step failed, 2 usage or input error,\n"
    "3 no device reachable.\n";

static const fn__cli_cmd_t main_cmds[] = {
    {"run", fn__cli_cmd_run},
    {"tasks", fn__cli_cmd_tasks},
    {"backups", fn__cli_cmd_backups},
    {"vendors", fn__cli_cmd_vendors},
    {"integrations", fn__cli_cmd_integrations},
    {"inventory", fn__cli_cmd_inventory},
    {"parse", fn__cli_cmd_parse},
    {"store", fn__cli_cmd_store},
    {"hostkeys", fn__cli_cmd_hostkeys},
    {NULL, NULL},
};

int fn__cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "flexnet %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'flexnet %s --help'.\n", cmd);
    return FN_CLI_EXIT_USAGE;
}

int fn__cli_dispatch(const char *cmd, const fn__cli_cmd_t *table,
                     const char *usage, int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return FN_CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return FN_CLI_EXIT_OK;
    }
    for (const fn__cli_cmd_t *c = table; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "flexnet%s%s: unknown command '%s'\n\n%s", *cmd ? " " : "",
            cmd, argv[1], usage);
    return FN_CLI_EXIT_USAGE;
}

int fn__cli_store_open(fn_store_t **st, const char *dir, int rdonly)
{
    char why[256] = "";
    fn_store_opts_t o = {.flags = rdonly ? FN_STORE_RDONLY : 0,
                         .err = why,
                         .err_len = sizeof(why)};
    const char *path = dir ? dir : FN_STORE_DEFAULT_DIR;
    int rc = fn_store_open_opts(st, path, &o);
    if (rc == FN_ENOTFOUND && rdonly) {
        fprintf(stderr,
                "flexnet: no store in %s (run a task first, or give "
                "--db DIR)\n",
                path);
        return FN_CLI_EXIT_USAGE;
    }
    if (rc) {
        fprintf(stderr, "flexnet: cannot open the store in %s: %s\n", path,
                *why ? why : fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    return 0;
}

int fn__cli_store_error(fn_store_t *st, const char *what, const char *id,
                        int rc)
{
    if (rc == FN_ENOTFOUND)
        fprintf(stderr, "flexnet: %s %s: not found\n", what, id);
    else if (rc == FN_EAMBIGUOUS)
        fprintf(stderr,
                "flexnet: %s %s: ambiguous prefix, give more "
                "characters\n",
                what, id);
    else
        fprintf(stderr, "flexnet: %s %s: %s\n", what, id,
                *fn_store_reason(st) ? fn_store_reason(st) : fn_strerror(rc));
    return rc == FN_ENOTFOUND || rc == FN_EAMBIGUOUS || rc == FN_EPARSE
               ? FN_CLI_EXIT_USAGE
               : FN_CLI_EXIT_FAILED;
}

static const struct option ro_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"all", no_argument, NULL, 'a'},
    {"verbose", no_argument, NULL, 'v'},
    {"host", required_argument, NULL, 'H'},
    {"task", required_argument, NULL, 't'},
    {"output", required_argument, NULL, 'o'},
    {"db", required_argument, NULL, 'd'},
    {"config", required_argument, NULL, 'C'},
    {"parsed", no_argument, NULL, 'P'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Which fn__cli_ro_flag an option letter needs. */
static unsigned ro_flag(int c)
{
    switch (c) {
    case 'j':
        return FN_CLI_RO_JSON;
    case 'a':
        return FN_CLI_RO_ALL;
    case 'v':
        return FN_CLI_RO_VERBOSE;
    case 'H':
        return FN_CLI_RO_HOST;
    case 't':
        return FN_CLI_RO_TASK;
    case 'o':
        return FN_CLI_RO_OUTPUT;
    case 'd':
        return FN_CLI_RO_DB;
    case 'C':
        return FN_CLI_RO_CONFIG;
    case 'P':
        return FN_CLI_RO_PARSED;
    default:
        return 0;
    }
}

static const char *ro_name(int c)
{
    for (const struct option *o = ro_opts; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

static void ro_set(fn__cli_ro_t *ro, int c, const char *arg)
{
    ro->json |= c == 'j';
    ro->all |= c == 'a';
    ro->verbose |= c == 'v';
    ro->parsed |= c == 'P';
    if (c == 'H')
        ro->host = arg;
    else if (c == 't')
        ro->task = arg;
    else if (c == 'o')
        ro->output = arg;
    else if (c == 'd' && ro->ndb < FN_CLI_DB_MAX)
        ro->dbs[ro->ndb++] = arg;
    else if (c == 'C')
        ro->config = arg;
}

int fn__cli_ro_parse(const char *cmd, const char *usage, unsigned allowed,
                     int min_args, int max_args, int argc, char **argv,
                     fn__cli_ro_t *ro)
{
    int c;
    memset(ro, 0, sizeof(*ro));
    optind = 0; /* GNU: re-initialise getopt for this argv */
    while ((c = getopt_long(argc, argv, "vo:h", ro_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == '?')
            return fn__cli_usage_error(cmd, "bad option");
        if (!(ro_flag(c) & allowed))
            return fn__cli_usage_error(cmd, "--%s does not apply here",
                                       ro_name(c));
        ro_set(ro, c, optarg);
    }
    for (; optind < argc; optind++) {
        if (ro->nargs == max_args)
            return fn__cli_usage_error(cmd, "unexpected argument '%s'",
                                       argv[optind]);
        ro->args[ro->nargs++] = argv[optind];
    }
    if (ro->nargs < min_args)
        return fn__cli_usage_error(cmd, "missing argument");
    if (ro->ndb == FN_CLI_DB_MAX)
        return fn__cli_usage_error(cmd, "at most %d --db", FN_CLI_DB_MAX - 1);
    if (ro->ndb > 1 && !(allowed & FN_CLI_RO_DBS))
        return fn__cli_usage_error(cmd, "one --db here (it writes)");
    return 0;
}

int fn__cli_ro_open(const char *cmd, const char *usage, unsigned allowed,
                    int min_args, int max_args, int argc, char **argv,
                    fn__cli_ro_t *ro, fn_store_t **st, int rdonly)
{
    int rc = fn__cli_ro_parse(cmd, usage, allowed | FN_CLI_RO_DB, min_args,
                              max_args, argc, argv, ro);
    return rc ? rc : fn__cli_store_open(st, ro->dbs[0], rdonly);
}

int main(int argc, char **argv)
{
    fn_log_configure(FN_LOG_WARN, 0, stderr);
    if (fn_proc_protect_secrets() < 0)
        fprintf(stderr, "flexnet: warning: core dumps stay enabled\n");
    /* `flexnet run ... | head` must not kill a task half-way through a
     * config change: a closed pipe only stops the printing. */
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        printf("flexnet %s\n", FLEXNET_VERSION);
        return FN_CLI_EXIT_OK;
    }
    return fn__cli_dispatch("", main_cmds, main_usage, argc, argv);
}
