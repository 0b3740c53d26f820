/*
 * run_args.c — `flexnet run` options (getopt_long) and the jobs they
 * describe: the manifest's sub-tasks (-f) with the flags laid over them,
 * or one job built from -c / --commands-file / --config /
 * --config-lines-file / --backup.
 *
 * Does not touch the inventory, the store or the network; does not read
 * passwords (run.c does, after validation). Thread: main. Owns the
 * arrays in fn__cli_run_opts_t (freed by fn__cli_run_opts_cleanup); the
 * strings are argv's.
 */
#include "run_int.h"
#include "fn_config.h"

#include "fn_str.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fn_log.h"

/* The synopsis and what follows the options in --help; the option lines
 * between them come from run_opts[]. */
static const char run_synopsis[] =
    "usage: flexnet run -i INVENTORY (-g PATTERN ... | --host H ...) -u USER\n"
    "         [--password-env VAR | --password-prompt | -p PASS]\n"
    "         [--key-file F] [--ssh-agent]\n"
    "         [--enable-password-env VAR | --enable-password-prompt |\n"
    "          --enable-password PASS]\n"
    "         [-c CMD ...] [--commands-file F] [--config-line LINE ...]\n"
    "         [--config-lines-file F] [--backup [--comment TEXT]\n"
    "         [--redact reversible|all|none]]\n"
    "         [-n NAME] [--connect-first [--max-failed N|P%] [--yes]]\n"
    "         [--concurrency N] [--connect-timeout S] [--command-timeout S]\n"
    "         [--login-timeout S] [--on-error stop|continue]\n"
    "         [--metrics-file F] [--log-format text|json]\n"
    "         [--json] [-v] [--db DIR] [--vendors-dir D] [--vendor NAME]\n"
    "         [--config FILE] [--credentials-provider P --credentials-ref R]\n"
    "         [--host-key-policy accept-new|strict|off]\n"
    "         [--limit PATTERN] [--inventory-format F]\n"
    "         [--template FILE | --templates DIR]\n"
    "         [--shard I/N | --shard-count N] [--run-id ID]\n"
    "       flexnet run -f MANIFEST.yaml [-i INVENTORY] [options above]\n"
    "       flexnet run --check -f MANIFEST.yaml [-i INVENTORY]\n"
    "\n"
    "Runs commands, config lines and a config backup on the target devices,\n"
    "in that order, and stores the task, its results, log and backups.\n"
    "\n";
static const char run_epilogue[] =
    "\n"
    "Exit status: 0 all steps ok; 1 some step failed on some device;\n"
    "2 usage or input error; 3 no device could be reached.\n";

/* What an option does with its argument. */
enum run_opt_kind {
    K_STR,       /* sets a string field to the argument */
    K_FLAG,      /* sets an int field to 1 */
    K_LIST,      /* appends to a string array (off) and its count (off_n) */
    K_PW_ENV,    /* a password source (off: which fn__cli_pw_src_t): $VAR */
    K_PW_PROMPT, /*  ... the terminal */
    K_PW_ARG,    /*  ... inline */
    K_SECONDS,   /* seconds > 0 into an unsigned milliseconds field */
    K_COUNT,     /* a number 1 .. 1000000 into an unsigned field */
    K_HOSTKEY,   /* accept-new | strict | off (tofu) into an int field */
    K_REDACT,    /* reversible | all | none into an int field */
    K_ON_ERROR,  /* stop | continue into an int field */
    K_HELP,
};

/* One option of `flexnet run`: the only list of them. It generates the
 * getopt table, the short-option string and the option lines of --help
 * (in this order), and says which field of fn__cli_run_opts_t it fills. */
typedef struct run_opt {
    const char *name; /* long name, without "--" */
    char letter;      /* short name, or 0 */
    const char *arg;  /* the argument's name in --help; NULL: none */
    enum run_opt_kind kind;
    size_t off, off_n; /* fields filled (off_n: K_LIST's count) */
    unsigned col;      /* --help column of the text; 0: HELP_COL */
    /* --help text, '\n' between lines; NULL: not listed; "": listed on
     * one line with the next listed options, up to one with text */
    const char *help;
} run_opt_t;

#define HELP_COL   28
#define F(field)   offsetof(fn__cli_run_opts_t, field)
#define LIST(v, n) K_LIST, F(v), F(n)

static const run_opt_t run_opts[] = {
    {"inventory", 'i', "FILE", K_STR, F(inventory), 0, 0,
     "Ansible INI/YAML, Nornir YAML or directory,\n"
     "flexnet INI (default: [defaults] inventory)"},
    {"inventory-format", 0, "F", K_STR, F(inventory_format), 0, 0,
     "ini, yaml, ansible or nornir (default:\n"
     "detected)"},
    {"group", 'g', "PATTERN", LIST(groups, ngroups), 0,
     "target a group or pattern (repeat; 'all':\n"
     "every host; core:&site1, all:!lab, edge-*)"},
    {"limit", 0, "PATTERN", K_STR, F(limit), 0, 0,
     "only targets also in PATTERN"},
    {"host", 0, "NAME", LIST(hosts, nhosts), 0, "target a host (repeat)"},
    {"user", 'u', "USER", K_STR, F(user), 0, 0,
     "login name (else the inventory's username=)"},
    {"password-env", 0, "VAR", K_PW_ENV, F(pw), 0, 0,
     "read the password from $VAR"},
    {"password-prompt", 0, NULL, K_PW_PROMPT, F(pw), 0, 0,
     "ask for it on the terminal (no echo)"},
    {"password", 'p', "PASS", K_PW_ARG, F(pw), 0, 0,
     "give it inline (visible in ps: avoid)"},
    {"key-file", 0, "F", K_STR, F(key_file), 0, 0,
     "log in with this private key first"},
    {"ssh-agent", 0, NULL, K_FLAG, F(ssh_agent), 0, 0,
     "then the keys of the agent at $SSH_AUTH_SOCK"},
    {"enable-password-env", 0, "VAR", K_PW_ENV, F(enable), 0, 0, ""},
    {"enable-password-prompt", 0, NULL, K_PW_PROMPT, F(enable), 0, 0, ""},
    {"enable-password", 0, "PASS", K_PW_ARG, F(enable), 0, 32,
     "the same for enable / super"},
    {"command", 'c', "CMD", LIST(commands, ncommands), 0,
     "run CMD (repeat; one step, in order)"},
    {"commands-file", 0, "F", K_STR, F(commands_file), 0, 0,
     "commands from F, one a line"},
    {"config-line", 0, "LINE", LIST(config, nconfig), 0,
     "a config-mode line (repeat)"},
    {"config-lines-file", 0, "F", K_STR, F(config_file), 0, 0,
     "config lines from F, one a line"},
    {"expect", 0, "'Q => A'", LIST(expects, nexpects), 0,
     "answer question Q of a -c command with A\n"
     "('*' wildcards; A empty: Enter; repeat)"},
    {"save", 0, NULL, K_FLAG, F(save), 0, 0,
     "save the configuration (copy run start, ...)"},
    {"backup", 0, NULL, K_FLAG, F(backup), 0, 0,
     "back up the running configuration"},
    {"comment", 0, "TEXT", K_STR, F(comment), 0, 0,
     "comment stored with the backup"},
    {"redact", 0, "MODE", K_REDACT, F(redact), 0, 0,
     "secrets in backups: reversible (default:\n"
     "cleartext and type 7 go), all (hashes\n"
     "too) or none"},
    {"file", 'f', "MANIFEST", K_STR, F(manifest), 0, 0,
     "YAML task manifest (see flexnet(1))"},
    {"check", 0, NULL, K_FLAG, F(check), 0, 0,
     "validate the manifest and inventory, run nothing"},
    {"name", 'n', "NAME", K_STR, F(name), 0, 0,
     "task name shown by `flexnet tasks list`"},
    {"connect-first", 0, NULL, K_FLAG, F(connect_first), 0, 0,
     "connect to every target, report, then run"},
    {"max-failed", 0, "N|P%", K_STR, F(max_failed), 0, 0,
     "with --connect-first: stop when more than\n"
     "N devices (or P%) failed to connect"},
    {"yes", 'y', NULL, K_FLAG, F(yes), 0, 0,
     "go on without asking when some failed"},
    {"concurrency", 0, "N", K_COUNT, F(concurrency), 0, 0,
     "sessions at once (default: 10000)"},
    {"connect-timeout", 0, "S", K_SECONDS, F(connect_timeout_ms), 0, 0,
     "seconds per connection (default 10)"},
    {"command-timeout", 0, "S", K_SECONDS, F(command_timeout_ms), 0, 0,
     "seconds per command (default 30)"},
    {"login-timeout", 0, "S", K_SECONDS, F(login_timeout_ms), 0, 0,
     "seconds to the first prompt (default 10)"},
    {"on-error", 0, "stop|continue", K_ON_ERROR, F(on_error), 0, 0,
     "after a failing config line: stop\n"
     "(default: nothing more sent, no commit,\n"
     "candidate discarded) or send the rest"},
    {"host-key-policy", 0, "P", K_HOSTKEY, F(hostkey_policy), 0, 0,
     "accept-new (default: pin new keys, refuse\n"
     "changed ones), strict (pinned keys only)\n"
     "or off (check nothing); a changed key is\n"
     "trusted only after flexnet hostkeys forget"},
    {"vendor", 0, "NAME", K_STR, F(vendor), 0, 0,
     "vendor of hosts the inventory gives none"},
    {"vendors-dir", 0, "DIR", K_STR, F(vendors_dir), 0, 0,
     "extra vendor profiles"},
    {"template", 0, "FILE", K_STR, F(template_file), 0, 0,
     "parse each command's output with this\n"
     "TextFSM template (records in --json,\n"
     "the store, `tasks show --parsed`)"},
    {"templates", 0, "DIR", K_STR, F(templates_dir), 0, 0,
     "pick the template from DIR/index\n"
     "(ntc-templates) by vendor and command"},
    {"shard", 0, "I/N", K_STR, F(shard), 0, 0,
     "run shard I (0..N-1) of N: the targets\n"
     "whose name hashes to I (default: from\n"
     "SLURM_ARRAY_TASK_ID/_COUNT, or\n"
     "JOB_COMPLETION_INDEX with --shard-count)"},
    {"shard-count", 0, "N", K_STR, F(shard_count), 0, 0,
     "the N for an index from the environment"},
    {"run-id", 0, "ID", K_STR, F(run_id), 0, 0,
     "the run the shards belong to (default:\n"
     "slurm-$SLURM_ARRAY_JOB_ID)"},
    {"json", 0, NULL, K_FLAG, F(json), 0, 0,
     "one JSON object per event on stdout"},
    {"verbose", 'v', NULL, K_FLAG, F(verbose), 0, 0,
     "print every result with its output"},
    {"db", 0, "DIR", K_STR, F(db), 0, 0, "store directory (default ./.db)"},
    {"config", 0, "FILE", K_STR, F(conf_file), 0, 0,
     "integrations config ([s3], [vault],\n"
     "[cyberark]; default ./flexnet.conf)"},
    {"credentials-provider", 0, "P", K_STR, F(provider), 0, 32,
     "env, file, vault or cyberark: the"},
    {"credentials-ref", 0, "REF", K_STR, F(ref), 0, 32,
     "password comes from P's REF"},
    {"metrics-file", 0, "F", K_STR, F(metrics_file), 0, 0,
     "write Prometheus metrics of the run to F\n"
     "at the end (node_exporter textfile format)"},
    {"log-format", 0, "FMT", K_STR, F(log_format), 0, 0,
     "text (default) or json: one object a line\n"
     "for the log lines on stderr"},
    {"help", 'h', NULL, K_HELP, 0, 0, 0, NULL},
};

#undef LIST
#undef F

#define NOPTS (sizeof(run_opts) / sizeof(run_opts[0]))
/* getopt's value of a long-only option: its index past the byte range */
#define OPT_LONG 256

/* Prints "--name ARG" (and the indent or "-x, " before it) at column 0
 * of a line, or right after the previous option of a joined line. */
static int usage_left(FILE *f, const run_opt_t *r, int first)
{
    int n = 0;
    if (first)
        n +=
            r->letter ? fprintf(f, "  -%c, ", r->letter) : fprintf(f, "      ");
    n += fprintf(f, "--%s", r->name);
    if (r->arg)
        n += fprintf(f, " %s", r->arg);
    return n;
}

/* The option lines: "  -x, --name ARG", the text at its column and its
 * further lines under it. Options with text "" share one line, each with
 * a comma after it; the option after them carries their text. */
static void usage_options(FILE *f)
{
    int in_line = 0; /* an option with text "" started this line */
    for (size_t i = 0; i < NOPTS; i++) {
        const run_opt_t *r = &run_opts[i];
        if (!r->help)
            continue;
        int n = usage_left(f, r, !in_line);
        if (!*r->help) {
            in_line =
                i + 1 < NOPTS && run_opts[i + 1].help && !*run_opts[i + 1].help;
            fputs(in_line ? ", " : ",\n", f);
            continue;
        }
        int col = r->col ? (int)r->col : HELP_COL;
        for (const char *t = r->help; *t;) {
            const char *nl = strchr(t, '\n');
            int len = nl ? (int)(nl - t) : (int)strlen(t);
            fprintf(f, "%*s%.*s\n", n < col ? col - n : 1, "", len, t);
            n = 0;
            t += len + (nl != NULL);
        }
    }
}

static void usage(FILE *f)
{
    fputs(run_synopsis, f);
    usage_options(f);
    fputs(run_epilogue, f);
}

/* getopt_long's tables from run_opts[]: longs (NOPTS + 1 entries) and the
 * short-option string ("+" keeps getopt from permuting argv). */
static void args_getopt_tables(struct option *longs, char *shorts)
{
    *shorts++ = '+';
    for (size_t i = 0; i < NOPTS; i++) {
        const run_opt_t *r = &run_opts[i];
        longs[i] =
            (struct option){r->name, r->arg ? required_argument : no_argument,
                            NULL, r->letter ? r->letter : OPT_LONG + (int)i};
        if (r->letter) {
            *shorts++ = r->letter;
            if (r->arg)
                *shorts++ = ':';
        }
    }
    longs[NOPTS] = (struct option){NULL, 0, NULL, 0};
    *shorts = '\0';
}

/* The row getopt_long's value c stands for, or NULL. */
static const run_opt_t *args_row(int c)
{
    if (c >= OPT_LONG && c < OPT_LONG + (int)NOPTS)
        return &run_opts[c - OPT_LONG];
    for (size_t i = 0; c > 0 && c < OPT_LONG && i < NOPTS; i++)
        if (run_opts[i].letter == c)
            return &run_opts[i];
    return NULL;
}

static int args_push(const char ***v, size_t *n, const char *s)
{
    const char **grown = realloc(*v, (*n + 1) * sizeof(*grown));
    if (!grown)
        return FN_CLI_EXIT_FAILED;
    grown[(*n)++] = s;
    *v = grown;
    return 0;
}

/* Sets a password source; a second source of the same kind is an error. */
static int args_pw(fn__cli_pw_src_t *src, const char *env, int prompt,
                   char *arg, const char *what)
{
    if (src->env || src->prompt || src->arg)
        return fn__cli_usage_error("run", "give one %s source", what);
    src->env = env;
    src->prompt = prompt;
    src->arg = arg;
    return 0;
}

static int args_seconds(const char *name, const char *s, unsigned *ms)
{
    if (fn__cli_parse_seconds(s, ms))
        return fn__cli_usage_error("run",
                                   "--%s: expected seconds > 0, got "
                                   "'%s'",
                                   name, s);
    return 0;
}

static int args_count(const char *name, const char *s, unsigned *n)
{
    if (fn__cli_parse_uint(s, 1000000, n) || !*n)
        return fn__cli_usage_error("run",
                                   "--%s: expected a "
                                   "number > 0, got '%s'",
                                   name, s);
    return 0;
}

/* OpenSSH's names; "tofu" is accept-new's old name. */
static int args_hostkey(const char *s, int *policy)
{
    static const struct {
        const char *name;
        int policy;
    } names[] = {
        {"accept-new",
         FLEXNET__V1__HOST_KEY_POLICY__HOST_KEY_POLICY_ACCEPT_NEW},
        {"strict", FLEXNET__V1__HOST_KEY_POLICY__HOST_KEY_POLICY_STRICT},
        {"off", FLEXNET__V1__HOST_KEY_POLICY__HOST_KEY_POLICY_OFF},
        {"tofu", FLEXNET__V1__HOST_KEY_POLICY__HOST_KEY_POLICY_ACCEPT_NEW},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(s, names[i].name)) {
            *policy = names[i].policy;
            return 0;
        }
    return fn__cli_usage_error("run",
                               "--host-key-policy: accept-new, strict or "
                               "off, not '%s'",
                               s);
}

/* getopt has found no such option (or no value for one): say which, and
 * the option meant when it looks like a typo of one. */
static int args_bad_option(const char *arg)
{
    char word[64];
    snprintf(word, sizeof(word), "%s", arg + strspn(arg, "-"));
    word[strcspn(word, "=")] = '\0';
    const char *names[NOPTS];
    for (size_t i = 0; i < NOPTS; i++) {
        names[i] = run_opts[i].name;
        if (!strcmp(word, names[i]) && run_opts[i].arg)
            return fn__cli_usage_error("run", "option '%s' needs a value", arg);
    }
    const char *near = arg[0] == '-' && arg[1] == '-'
                           ? fn_str_closest(word, names, NOPTS)
                           : NULL;
    if (near)
        return fn__cli_usage_error("run", "bad option '%s': did you mean --%s?",
                                   arg, near);
    return fn__cli_usage_error("run", "bad option '%s'", arg);
}

/* Applies one option (getopt_long's value c) to o. Returns 0, -1 after
 * --help, or an exit status. */
static int args_one(fn__cli_run_opts_t *o, int c, char *arg)
{
    const run_opt_t *r = args_row(c);
    if (!r)
        return fn__cli_usage_error("run", "bad option");
    char *field = (char *)o + r->off;
    switch (r->kind) {
    case K_STR:
        *(const char **)field = arg;
        return 0;
    case K_FLAG:
        *(int *)field = 1;
        return 0;
    case K_LIST:
        return args_push((const char ***)field,
                         (size_t *)((char *)o + r->off_n), arg);
    case K_PW_ENV:
    case K_PW_PROMPT:
    case K_PW_ARG:
        return args_pw(
            (fn__cli_pw_src_t *)field, r->kind == K_PW_ENV ? arg : NULL,
            r->kind == K_PW_PROMPT, r->kind == K_PW_ARG ? arg : NULL,
            r->off == offsetof(fn__cli_run_opts_t, enable) ? "enable password"
                                                           : "password");
    case K_SECONDS:
        return args_seconds(r->name, arg, (unsigned *)field);
    case K_COUNT:
        return args_count(r->name, arg, (unsigned *)field);
    case K_HOSTKEY:
        return args_hostkey(arg, (int *)field);
    case K_REDACT:
        *(int *)field = fn__cli_redact_parse(arg);
        if (*(int *)field < 0)
            return fn__cli_usage_error("run",
                                       "--redact: reversible, all or "
                                       "none, not '%s'",
                                       arg);
        return 0;
    case K_ON_ERROR:
        if (fn__cli_parse_on_error(arg, (int *)field))
            return fn__cli_usage_error("run",
                                       "--on-error: stop or continue, "
                                       "not '%s'",
                                       arg);
        return 0;
    case K_HELP:
        usage(stdout);
        return -1;
    }
    return fn__cli_usage_error("run", "internal: option %d", c);
}

/* Appends the non-empty, non-comment lines of path to a step. */
static int args_file_lines(const char *path, Flexnet__V1__Step *step)
{
    fn_buf_t text;
    int rc = fn__cli_read_file(path, &text, 16u << 20);
    if (rc) {
        fn_buf_cleanup(&text);
        fprintf(stderr, "flexnet run: %s: %s\n", path, fn_strerror(rc));
        return FN_CLI_EXIT_USAGE;
    }
    for (char *line = text.data; line && *line && !rc;) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : line + strlen(line);
        size_t len = (size_t)(next - line) - (nl ? 1 : 0);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        line[len] = '\0';
        if (len && line[0] != '#')
            rc = fn__cli_strv_push(&step->commands, &step->n_commands, line);
        line = next;
    }
    fn_buf_cleanup(&text);
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

/* A step from argv strings plus a file's lines; none when both empty. */
static int args_step(Flexnet__V1__TaskSpec *spec, Flexnet__V1__StepKind kind,
                     const char **lines, size_t n, const char *file)
{
    if (!n && !file)
        return 0;
    Flexnet__V1__Step *step = fn__cli_spec_add_step(spec, kind);
    if (!step)
        return FN_CLI_EXIT_FAILED;
    for (size_t i = 0; i < n; i++)
        if (fn__cli_strv_push(&step->commands, &step->n_commands, lines[i]))
            return FN_CLI_EXIT_FAILED;
    int rc = file ? args_file_lines(file, step) : 0;
    if (!rc && !step->n_commands)
        return fn__cli_usage_error("run", "%s has no lines", file);
    return rc;
}

/* The one job the flags describe. */
static int args_flag_job(const fn__cli_run_opts_t *o, fn__cli_manifest_t *m)
{
    m->jobs = calloc(1, sizeof(*m->jobs));
    Flexnet__V1__TaskSpec *spec = fn__cli_spec_new();
    if (!m->jobs || !spec) {
        fn__cli_spec_free(spec);
        return FN_CLI_EXIT_FAILED;
    }
    m->jobs[0].spec = spec;
    m->n = 1;
    int rc = args_step(spec, FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS,
                       o->commands, o->ncommands, o->commands_file);
    for (size_t i = 0; !rc && i < o->nexpects; i++) {
        if (!spec->n_steps)
            return fn__cli_usage_error("run", "--expect goes with -c");
        if (fn__cli_add_expect(spec->steps[0], o->expects[i]))
            return fn__cli_usage_error("run",
                                       "--expect: \"QUESTION => ANSWER\", "
                                       "not '%s'",
                                       o->expects[i]);
    }
    if (!rc)
        rc = args_step(spec, FLEXNET__V1__STEP_KIND__STEP_KIND_CONFIG,
                       o->config, o->nconfig, o->config_file);
    if (!rc && o->save &&
        !fn__cli_spec_add_step(spec, FLEXNET__V1__STEP_KIND__STEP_KIND_SAVE))
        rc = FN_CLI_EXIT_FAILED;
    if (!rc && o->backup) {
        Flexnet__V1__Step *b = fn__cli_spec_add_step(
            spec, FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP);
        rc = !b || fn__cli_str_set(&b->comment, o->comment ? o->comment : "");
    }
    if (!rc && !spec->n_steps)
        return fn__cli_usage_error("run", "nothing to run: give -c CMD, "
                                          "--config-line LINE, --save, "
                                          "--backup or -f MANIFEST");
    if (!rc)
        rc = fn__cli_str_set(&spec->name, o->name ? o->name : "run")
                 ? FN_CLI_EXIT_FAILED
                 : 0;
    return rc;
}

static int args_strv_replace(char ***v, size_t *n, const char **src,
                             size_t nsrc)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
    for (size_t i = 0; i < nsrc; i++)
        if (fn__cli_strv_push(v, n, src[i]))
            return -1;
    return 0;
}

/* Sets *field from [defaults] key when neither a flag nor the manifest
 * gave it. */
static int args_default(const fn__cli_run_opts_t *o, char **field,
                        const char *key)
{
    const char *v = fn_config_get(o->defaults, "defaults", key);
    return v && !**field ? fn__cli_str_set(field, v) : 0;
}

/* [defaults] of flexnet.conf: the lowest layer, under the manifest and
 * the flags. */
static int args_defaults(const fn__cli_run_opts_t *o, fn__cli_job_t *job)
{
    Flexnet__V1__TaskSpec *s = job->spec;
    Flexnet__V1__Credentials *c = s->credentials;
    int rc = args_default(o, &s->inventory_path, "inventory");
    rc |= args_default(o, &s->inventory_format, "inventory_format");
    rc |= args_default(o, &c->username, "user");
    rc |= args_default(o, &s->default_vendor, "vendor");
    if (!o->pw.env && !o->pw.prompt && !o->pw.arg)
        rc |= args_default(o, &c->password_env, "password_env");
    if (!o->enable.env && !o->enable.prompt && !o->enable.arg)
        rc |= args_default(o, &c->enable_password_env, "enable_password_env");
    return rc;
}

/* --limit P: the entry "&P", which fn_inventory_select intersects. */
static int args_limit(const fn__cli_run_opts_t *o, Flexnet__V1__TaskSpec *s)
{
    size_t n = strlen(o->limit);
    char *amp = malloc(n + 2);
    if (!amp)
        return -1;
    amp[0] = '&';
    memcpy(amp + 1, o->limit, n + 1);
    int rc = fn__cli_strv_push(&s->groups, &s->n_groups, amp);
    free(amp);
    return rc;
}

/* The shard of this process: --shard I/N, else Slurm's array variables,
 * else Kubernetes' JOB_COMPLETION_INDEX with --shard-count N. *count
 * stays 0 when none applies (not sharded). */
static int args_shard(const fn__cli_run_opts_t *o, unsigned *index,
                      unsigned *count, const char **run, char *buf, size_t len)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *min = NULL;
    const char *n =
        o->shard_count ? o->shard_count : getenv("SLURM_ARRAY_TASK_COUNT");
    unsigned base = 0;
    char sh[64];
    char *slash = NULL;
    if (o->shard && snprintf(sh, sizeof(sh), "%s", o->shard) < (int)sizeof(sh))
        slash = strchr(sh, '/');
    if (o->shard && (!slash || o->shard_count))
        return fn__cli_usage_error("run",
                                   "--shard: expected I/N (and no "
                                   "--shard-count), got '%s'",
                                   o->shard);
    if (slash) {
        *slash = '\0';
        id = sh;
        n = slash + 1;
    } else if (id) {
        min = getenv("SLURM_ARRAY_TASK_MIN"); /* --array=1-4 starts at 1 */
    } else {
        id = getenv("JOB_COMPLETION_INDEX");
    }
    if (id && !n) /* every pod would run every host: refuse */
        return fn__cli_usage_error("run", "JOB_COMPLETION_INDEX is set: "
                                          "give --shard-count N");
    if (!id)
        return o->shard_count
                   ? fn__cli_usage_error("run", "--shard-count: no "
                                                "index (--shard, Slurm "
                                                "or Kubernetes)")
                   : 0;
    if (fn__cli_parse_uint(id, 1u << 20, index) ||
        fn__cli_parse_uint(n, 1u << 20, count) ||
        (min && fn__cli_parse_uint(min, 1u << 20, &base)) || *index < base ||
        (*index -= base) >= *count)
        return fn__cli_usage_error("run",
                                   "shard: index %s of %s: expected "
                                   "0 <= I < N",
                                   id, n);
    const char *job = getenv("SLURM_ARRAY_JOB_ID");
    if (!o->run_id && job)
        snprintf(buf, len, "slurm-%s", job);
    *run = o->run_id ? o->run_id : job ? buf : NULL;
    if (!*run)
        return fn__cli_usage_error("run", "a shard needs --run-id ID (the "
                                          "same for every shard of the run)");
    return 0;
}

/* Marks job i of n as shard index/count of run (a manifest's jobs are
 * runs of their own: run.i). */
static int args_shard_job(Flexnet__V1__TaskSpec *s, size_t i, size_t n,
                          unsigned index, unsigned count, const char *run)
{
    char id[256];
    if ((n > 1 ? snprintf(id, sizeof(id), "%s.%zu", run, i + 1)
               : snprintf(id, sizeof(id), "%s", run)) >= (int)sizeof(id))
        return fn__cli_usage_error("run", "--run-id: too long");
    s->shard_index = index;
    s->shard_count = count;
    return fn__cli_str_set(&s->shard_run, id) ? FN_CLI_EXIT_FAILED : 0;
}

/* Lays the flags over one job: a flag wins over the manifest. */
static int args_overlay(const fn__cli_run_opts_t *o, fn__cli_job_t *job)
{
    Flexnet__V1__TaskSpec *s = job->spec;
    Flexnet__V1__Credentials *c = s->credentials;
    int rc = 0;
    if (o->inventory)
        rc |= fn__cli_str_set(&s->inventory_path, o->inventory);
    if (o->ngroups || o->nhosts) {
        rc |=
            args_strv_replace(&s->groups, &s->n_groups, o->groups, o->ngroups);
        rc |= args_strv_replace(&s->hosts, &s->n_hosts, o->hosts, o->nhosts);
    }
    if (o->limit)
        rc |= args_limit(o, s);
    if (o->inventory_format)
        rc |= fn__cli_str_set(&s->inventory_format, o->inventory_format);
    if (o->user)
        rc |= fn__cli_str_set(&c->username, o->user);
    if (o->pw.env || o->pw.prompt || o->pw.arg) /* the flag's source wins */
        rc |= fn__cli_str_set(&c->password_env, o->pw.env);
    if (o->enable.env || o->enable.prompt || o->enable.arg)
        rc |= fn__cli_str_set(&c->enable_password_env, o->enable.env);
    if (o->key_file)
        rc |= fn__cli_str_set(&c->key_file, o->key_file);
    if (o->ssh_agent)
        c->ssh_agent = 1;
    if (o->provider)
        rc |= fn__cli_str_set(&c->provider, o->provider);
    if (o->ref)
        rc |= fn__cli_str_set(&c->ref, o->ref);
    if (o->vendors_dir)
        rc |= fn__cli_str_set(&s->vendors_dir, o->vendors_dir);
    if (o->vendor)
        rc |= fn__cli_str_set(&s->default_vendor, o->vendor);
    if (o->templates_dir)
        rc |= fn__cli_str_set(&s->templates_dir, o->templates_dir);
    for (size_t i = 0; i < s->n_steps; i++) { /* every COMMANDS step */
        Flexnet__V1__Step *st = s->steps[i];
        if (st->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS)
            continue;
        if (o->template_file)
            rc |= fn__cli_str_set(&st->template_, o->template_file);
        else if (o->templates_dir && !*st->template_)
            st->parse = 1;
    }
    if (o->connect_first)
        s->mode = FLEXNET__V1__RUN_MODE__RUN_MODE_CONNECT_FIRST;
    if (o->max_failed) {
        if (fn__cli_parse_max_failed(o->max_failed, s))
            return fn__cli_usage_error("run",
                                       "--max-failed: expected N or "
                                       "P%%, got '%s'",
                                       o->max_failed);
        job->has_max_failed = 1;
    }
    if (o->concurrency)
        s->concurrency = o->concurrency;
    if (o->connect_timeout_ms)
        s->connect_timeout_ms = o->connect_timeout_ms;
    if (o->command_timeout_ms)
        s->command_timeout_ms = o->command_timeout_ms;
    if (o->login_timeout_ms)
        s->login_timeout_ms = o->login_timeout_ms;
    for (size_t i = 0; o->on_error && i < s->n_steps; i++)
        if (s->steps[i]->kind == FLEXNET__V1__STEP_KIND__STEP_KIND_CONFIG)
            s->steps[i]->on_error = (Flexnet__V1__OnError)o->on_error;
    if (o->hostkey_policy)
        s->host_key_policy = (Flexnet__V1__HostKeyPolicy)o->hostkey_policy;
    if (o->redact)
        s->redact = (Flexnet__V1__RedactMode)o->redact;
    if (!s->mode)
        s->mode = FLEXNET__V1__RUN_MODE__RUN_MODE_PIPELINED;
    rc |= args_defaults(o, job);
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

static int args_check_jobs(const fn__cli_run_opts_t *o,
                           const fn__cli_manifest_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const Flexnet__V1__TaskSpec *s = m->jobs[i].spec;
        /* a manifest's subtask is named; the flags' one job is "run",
         * which the message prefix already says */
        const char *where = o->manifest ? s->name : "";
        const char *sep = o->manifest ? ": " : "";
        if (!*s->inventory_path)
            return fn__cli_usage_error("run", "%s%sno inventory: give -i FILE",
                                       where, sep);
        if (!s->n_groups && !s->n_hosts && !o->limit)
            return fn__cli_usage_error("run",
                                       "%s%sno targets: give -g GROUP "
                                       "or --host NAME (-g all for "
                                       "every host)",
                                       where, sep);
        if (!*s->credentials->provider != !*s->credentials->ref)
            return fn__cli_usage_error("run",
                                       "%s%scredentials need both a "
                                       "provider and a ref",
                                       where, sep);
        if (o->max_failed &&
            s->mode != FLEXNET__V1__RUN_MODE__RUN_MODE_CONNECT_FIRST)
            return fn__cli_usage_error("run", "--max-failed goes with "
                                              "--connect-first");
    }
    return 0;
}

static int args_jobs(const fn__cli_run_opts_t *o, fn__cli_manifest_t *m)
{
    char err[512];
    int rc;
    if (o->manifest &&
        (o->ncommands || o->nconfig || o->commands_file || o->config_file ||
         o->backup || o->save || o->nexpects || o->name))
        return fn__cli_usage_error("run", "-f cannot be combined with -c, "
                                          "--config-line, --expect, --save, "
                                          "--backup or -n");
    if (!o->manifest && o->check)
        return fn__cli_usage_error("run", "--check needs -f MANIFEST");
    if (o->manifest) {
        rc = fn__cli_manifest_load(o->manifest, m, err, sizeof(err));
        if (rc) {
            fprintf(stderr, "flexnet run: %s\n", err);
            return FN_CLI_EXIT_USAGE;
        }
    } else if ((rc = args_flag_job(o, m)) != 0) {
        return rc;
    }
    unsigned index = 0, count = 0;
    const char *run = NULL;
    char buf[128];
    if ((rc = args_shard(o, &index, &count, &run, buf, sizeof(buf))) != 0)
        return rc;
    for (size_t i = 0; i < m->n; i++) {
        if ((rc = args_overlay(o, &m->jobs[i])) != 0)
            return rc;
        if (count &&
            (rc = args_shard_job(m->jobs[i].spec, i, m->n, index, count, run)))
            return rc;
    }
    return args_check_jobs(o, m);
}

int fn__cli_run_parse(int argc, char **argv, fn__cli_run_opts_t *o,
                      fn__cli_manifest_t *jobs)
{
    int c, rc = 0;
    struct option longs[NOPTS + 1];
    char shorts[2 * NOPTS + 2];
    args_getopt_tables(longs, shorts);
    memset(o, 0, sizeof(*o));
    memset(jobs, 0, sizeof(*jobs));
    optind = 0; /* GNU: re-initialise getopt for this argv */
    opterr = 0; /* args_bad_option says what is wrong, once */
    while (!rc && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1)
        rc = c == '?' ? args_bad_option(argv[optind - 1])
                      : args_one(o, c, optarg);
    if (!rc && optind < argc)
        rc = fn__cli_usage_error("run", "unexpected argument '%s'",
                                 argv[optind]);
    if (!rc && o->log_format && fn_log_format_parse(o->log_format) < 0)
        rc = fn__cli_usage_error("run", "--log-format: text or json, not '%s'",
                                 o->log_format);
    if (!rc)
        rc = fn__cli_defaults_load(o->conf_file, &o->defaults);
    if (!rc)
        rc = args_jobs(o, jobs);
    return rc;
}

void fn__cli_run_opts_cleanup(fn__cli_run_opts_t *o)
{
    fn_config_free(o->defaults);
    free(o->groups);
    free(o->hosts);
    free(o->commands);
    free(o->config);
    free(o->expects);
    memset(o, 0, sizeof(*o));
}
