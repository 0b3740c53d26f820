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

#include "fn_str.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const char run_usage[] =
    "usage: flexnet run -i INVENTORY (-g GROUP ... | --host H ...) -u USER\n"
    "         [--password-env VAR | --password-prompt | -p PASS]\n"
    "         [--enable-password-env VAR | --enable-password-prompt |\n"
    "          --enable-password PASS]\n"
    "         [-c CMD ...] [--commands-file F] [--config-line LINE ...]\n"
    "         [--config-lines-file F] [--backup [--comment TEXT]\n"
    "         [--redact reversible|all|none]]\n"
    "         [-n NAME] [--connect-first [--max-failed N|P%] [--yes]]\n"
    "         [--concurrency N] [--connect-timeout S] [--command-timeout S]\n"
    "         [--login-timeout S] [--on-error stop|continue]\n"
    "         [--json] [-v] [--db DIR] [--vendors-dir D] [--vendor NAME]\n"
    "         [--config FILE] [--credentials-provider P --credentials-ref R]\n"
    "         [--host-key-policy accept-new|strict|off]\n"
    "       flexnet run -f MANIFEST.yaml [-i INVENTORY] [options above]\n"
    "       flexnet run --check -f MANIFEST.yaml [-i INVENTORY]\n"
    "\n"
    "Runs commands, config lines and a config backup on the target devices,\n"
    "in that order, and stores the task, its results, log and backups.\n"
    "\n"
    "  -i, --inventory FILE      INI or YAML inventory\n"
    "  -g, --group GROUP         target a group (repeat; 'all': every host)\n"
    "      --host NAME           target a host (repeat)\n"
    "  -u, --user USER           login name (else the inventory's username=)\n"
    "      --password-env VAR    read the password from $VAR\n"
    "      --password-prompt     ask for it on the terminal (no echo)\n"
    "  -p, --password PASS       give it inline (visible in ps: avoid)\n"
    "      --enable-password-env VAR, --enable-password-prompt,\n"
    "      --enable-password PASS    the same for enable / super\n"
    "  -c, --command CMD         run CMD (repeat; one step, in order)\n"
    "      --commands-file F     commands from F, one a line\n"
    "      --config-line LINE    a config-mode line (repeat)\n"
    "      --config-lines-file F config lines from F, one a line\n"
    "      --backup              back up the running configuration\n"
    "      --comment TEXT        comment stored with the backup\n"
    "      --redact MODE         secrets in backups: reversible (default:\n"
    "                            cleartext and type 7 go), all (hashes\n"
    "                            too) or none\n"
    "  -f, --file MANIFEST       YAML task manifest (see flexnet(1))\n"
    "      --check               validate the manifest and inventory, run "
    "nothing\n"
    "  -n, --name NAME           task name shown by `flexnet tasks list`\n"
    "      --connect-first       connect to every target, report, then run\n"
    "      --max-failed N|P%     with --connect-first: stop when more than\n"
    "                            N devices (or P%) failed to connect\n"
    "  -y, --yes                 go on without asking when some failed\n"
    "      --concurrency N       sessions at once (default: 10000)\n"
    "      --connect-timeout S   seconds per connection (default 10)\n"
    "      --command-timeout S   seconds per command (default 30)\n"
    "      --login-timeout S     seconds to the first prompt (default 10)\n"
    "      --on-error stop|continue  after a failing config line: stop\n"
    "                            (default: nothing more sent, no commit,\n"
    "                            candidate discarded) or send the rest\n"
    "      --host-key-policy P   accept-new (default: pin new keys, refuse\n"
    "                            changed ones), strict (pinned keys only)\n"
    "                            or off (check nothing); a changed key is\n"
    "                            trusted only after flexnet hostkeys forget\n"
    "      --vendor NAME         vendor of hosts the inventory gives none\n"
    "      --vendors-dir DIR     extra vendor profiles\n"
    "      --json                one JSON object per event on stdout\n"
    "  -v, --verbose             print every result with its output\n"
    "      --db DIR              store directory (default ./.db)\n"
    "      --config FILE         integrations config ([s3], [vault],\n"
    "                            [cyberark]; default ./flexnet.conf)\n"
    "      --credentials-provider P  env, file, vault or cyberark: the\n"
    "      --credentials-ref REF     password comes from P's REF\n"
    "\n"
    "Exit status: 0 all steps ok; 1 some step failed on some device;\n"
    "2 usage or input error; 3 no device could be reached.\n";

enum {
    OPT_HOST = 256,
    OPT_PW_ENV,
    OPT_PW_PROMPT,
    OPT_EN_ENV,
    OPT_EN_PROMPT,
    OPT_EN_ARG,
    OPT_CMDS_FILE,
    OPT_CONFIG_LINE,
    OPT_INT_CONFIG,
    OPT_PROVIDER,
    OPT_REF,
    OPT_CONFIG_FILE,
    OPT_BACKUP,
    OPT_COMMENT,
    OPT_CHECK,
    OPT_CONNECT_FIRST,
    OPT_MAX_FAILED,
    OPT_CONCURRENCY,
    OPT_CONNECT_TIMEOUT,
    OPT_COMMAND_TIMEOUT,
    OPT_JSON,
    OPT_DB,
    OPT_VENDORS_DIR,
    OPT_VENDOR,
    OPT_HOSTKEY,
    OPT_LOGIN_TIMEOUT,
    OPT_ON_ERROR,
    OPT_REDACT,
};

static const struct option run_opts[] = {
    {"inventory", required_argument, NULL, 'i'},
    {"group", required_argument, NULL, 'g'},
    {"host", required_argument, NULL, OPT_HOST},
    {"user", required_argument, NULL, 'u'},
    {"password-env", required_argument, NULL, OPT_PW_ENV},
    {"password-prompt", no_argument, NULL, OPT_PW_PROMPT},
    {"password", required_argument, NULL, 'p'},
    {"enable-password-env", required_argument, NULL, OPT_EN_ENV},
    {"enable-password-prompt", no_argument, NULL, OPT_EN_PROMPT},
    {"enable-password", required_argument, NULL, OPT_EN_ARG},
    {"command", required_argument, NULL, 'c'},
    {"commands-file", required_argument, NULL, OPT_CMDS_FILE},
    {"config-line", required_argument, NULL, OPT_CONFIG_LINE},
    {"config", required_argument, NULL, OPT_INT_CONFIG},
    {"credentials-provider", required_argument, NULL, OPT_PROVIDER},
    {"credentials-ref", required_argument, NULL, OPT_REF},
    {"config-lines-file", required_argument, NULL, OPT_CONFIG_FILE},
    {"backup", no_argument, NULL, OPT_BACKUP},
    {"comment", required_argument, NULL, OPT_COMMENT},
    {"file", required_argument, NULL, 'f'},
    {"check", no_argument, NULL, OPT_CHECK},
    {"name", required_argument, NULL, 'n'},
    {"connect-first", no_argument, NULL, OPT_CONNECT_FIRST},
    {"max-failed", required_argument, NULL, OPT_MAX_FAILED},
    {"yes", no_argument, NULL, 'y'},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"command-timeout", required_argument, NULL, OPT_COMMAND_TIMEOUT},
    {"host-key-policy", required_argument, NULL, OPT_HOSTKEY},
    {"login-timeout", required_argument, NULL, OPT_LOGIN_TIMEOUT},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"redact", required_argument, NULL, OPT_REDACT},
    {"json", no_argument, NULL, OPT_JSON},
    {"verbose", no_argument, NULL, 'v'},
    {"db", required_argument, NULL, OPT_DB},
    {"vendors-dir", required_argument, NULL, OPT_VENDORS_DIR},
    {"vendor", required_argument, NULL, OPT_VENDOR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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

static int args_seconds(const char *flag, const char *s, unsigned *ms)
{
    if (fn__cli_parse_seconds(s, ms))
        return fn__cli_usage_error("run",
                                   "%s: expected seconds > 0, got "
                                   "'%s'",
                                   flag, s);
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

/* The options that take a number or a choice. */
static int args_value(fn__cli_run_opts_t *o, int c, char *arg)
{
    switch (c) {
    case OPT_CONCURRENCY:
        if (fn__cli_parse_uint(arg, 1000000, &o->concurrency) ||
            !o->concurrency)
            return fn__cli_usage_error("run",
                                       "--concurrency: expected a "
                                       "number > 0, got '%s'",
                                       arg);
        return 0;
    case OPT_CONNECT_TIMEOUT:
        return args_seconds("--connect-timeout", arg, &o->connect_timeout_ms);
    case OPT_COMMAND_TIMEOUT:
        return args_seconds("--command-timeout", arg, &o->command_timeout_ms);
    case OPT_HOSTKEY:
        return args_hostkey(arg, &o->hostkey_policy);
    case OPT_REDACT:
        o->redact = fn__cli_redact_parse(arg);
        if (o->redact < 0)
            return fn__cli_usage_error("run",
                                       "--redact: reversible, all or "
                                       "none, not '%s'",
                                       arg);
        return 0;
    case OPT_LOGIN_TIMEOUT:
        return args_seconds("--login-timeout", arg, &o->login_timeout_ms);
    case OPT_ON_ERROR:
        if (fn__cli_parse_on_error(arg, &o->on_error))
            return fn__cli_usage_error("run",
                                       "--on-error: stop or continue, "
                                       "not '%s'",
                                       arg);
        return 0;
    default:
        return fn__cli_usage_error("run", "internal: option %d", c);
    }
}

/* Options that set a string field, or a flag field to 1. */
typedef struct args_field {
    int opt;
    size_t off;
    int is_flag;
} args_field_t;

#define ARG_S(opt, f)                                                          \
    {                                                                          \
        opt, offsetof(fn__cli_run_opts_t, f), 0                                \
    }
#define ARG_F(opt, f)                                                          \
    {                                                                          \
        opt, offsetof(fn__cli_run_opts_t, f), 1                                \
    }
static const args_field_t args_fields[] = {
    ARG_S('i', inventory),
    ARG_S('u', user),
    ARG_S('f', manifest),
    ARG_S('n', name),
    ARG_S(OPT_CMDS_FILE, commands_file),
    ARG_S(OPT_CONFIG_FILE, config_file),
    ARG_S(OPT_COMMENT, comment),
    ARG_S(OPT_MAX_FAILED, max_failed),
    ARG_S(OPT_DB, db),
    ARG_S(OPT_VENDORS_DIR, vendors_dir),
    ARG_S(OPT_VENDOR, vendor),
    ARG_S(OPT_INT_CONFIG, conf_file),
    ARG_S(OPT_PROVIDER, provider),
    ARG_S(OPT_REF, ref),
    ARG_F(OPT_BACKUP, backup),
    ARG_F(OPT_CHECK, check),
    ARG_F(OPT_CONNECT_FIRST, connect_first),
    ARG_F('y', yes),
    ARG_F(OPT_JSON, json),
    ARG_F('v', verbose),
};

/* Options that add to a list, or name a password source. */
static int args_list(fn__cli_run_opts_t *o, int c, char *arg)
{
    switch (c) {
    case 'g':
        return args_push(&o->groups, &o->ngroups, arg);
    case OPT_HOST:
        return args_push(&o->hosts, &o->nhosts, arg);
    case 'c':
        return args_push(&o->commands, &o->ncommands, arg);
    case OPT_CONFIG_LINE:
        return args_push(&o->config, &o->nconfig, arg);
    case OPT_PW_ENV:
    case OPT_PW_PROMPT:
    case 'p':
        return args_pw(&o->pw, c == OPT_PW_ENV ? arg : NULL, c == OPT_PW_PROMPT,
                       c == 'p' ? arg : NULL, "password");
    case OPT_EN_ENV:
    case OPT_EN_PROMPT:
    case OPT_EN_ARG:
        return args_pw(&o->enable, c == OPT_EN_ENV ? arg : NULL,
                       c == OPT_EN_PROMPT, c == OPT_EN_ARG ? arg : NULL,
                       "enable password");
    default:
        return args_value(o, c, arg);
    }
}

/* getopt has said what is wrong; add the option meant, if it looks like
 * a typo of one. */
static int args_bad_option(const char *arg)
{
    char word[64];
    snprintf(word, sizeof(word), "%s", arg + strspn(arg, "-"));
    word[strcspn(word, "=")] = '\0';
    const char *names[sizeof(run_opts) / sizeof(run_opts[0])];
    size_t n = 0;
    for (; run_opts[n].name; n++)
        names[n] = run_opts[n].name;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(word, names[i]) && run_opts[i].has_arg)
            return fn__cli_usage_error("run", "option '%s' needs a value", arg);
    const char *near =
        arg[0] == '-' && arg[1] == '-' ? fn_str_closest(word, names, n) : NULL;
    if (near)
        return fn__cli_usage_error("run",
                                   "bad option '%s': did you mean "
                                   "--%s?",
                                   arg, near);
    return fn__cli_usage_error("run", "bad option '%s'", arg);
}

static int args_one(fn__cli_run_opts_t *o, int c, char *arg)
{
    if (c == 'h') {
        fputs(run_usage, stdout);
        return -1;
    }
    for (size_t i = 0; i < sizeof(args_fields) / sizeof(args_fields[0]); i++) {
        const args_field_t *f = &args_fields[i];
        if (f->opt != c)
            continue;
        if (f->is_flag)
            *(int *)((char *)o + f->off) = 1;
        else
            *(const char **)((char *)o + f->off) = arg;
        return 0;
    }
    return args_list(o, c, arg);
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
    if (!rc)
        rc = args_step(spec, FLEXNET__V1__STEP_KIND__STEP_KIND_CONFIG,
                       o->config, o->nconfig, o->config_file);
    if (!rc && o->backup) {
        Flexnet__V1__Step *b = fn__cli_spec_add_step(
            spec, FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP);
        rc = !b || fn__cli_str_set(&b->comment, o->comment ? o->comment : "");
    }
    if (!rc && !spec->n_steps)
        return fn__cli_usage_error("run", "nothing to run: give -c CMD, "
                                          "--config-line LINE, --backup or "
                                          "-f MANIFEST");
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
    if (o->user)
        rc |= fn__cli_str_set(&c->username, o->user);
    if (o->pw.env || o->pw.prompt || o->pw.arg) /* the flag's source wins */
        rc |= fn__cli_str_set(&c->password_env, o->pw.env);
    if (o->enable.env || o->enable.prompt || o->enable.arg)
        rc |= fn__cli_str_set(&c->enable_password_env, o->enable.env);
    if (o->provider)
        rc |= fn__cli_str_set(&c->provider, o->provider);
    if (o->ref)
        rc |= fn__cli_str_set(&c->ref, o->ref);
    if (o->vendors_dir)
        rc |= fn__cli_str_set(&s->vendors_dir, o->vendors_dir);
    if (o->vendor)
        rc |= fn__cli_str_set(&s->default_vendor, o->vendor);
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
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

static int args_check_jobs(const fn__cli_run_opts_t *o,
                           const fn__cli_manifest_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const Flexnet__V1__TaskSpec *s = m->jobs[i].spec;
        /* a manifest's subtask is named; the flags' one job is "run",
         * which the message prefix already says */
        const char *where = o->manifest ? s->name : NULL;
        const char *sep = where ? ": " : "";
        where = where ? where : "";
        if (!*s->inventory_path)
            return fn__cli_usage_error("run", "%s%sno inventory: give -i FILE",
                                       where, sep);
        if (!s->n_groups && !s->n_hosts)
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
    if (o->manifest && (o->ncommands || o->nconfig || o->commands_file ||
                        o->config_file || o->backup || o->name))
        return fn__cli_usage_error("run", "-f cannot be combined with -c, "
                                          "--config, --backup or -n");
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
    for (size_t i = 0; i < m->n; i++)
        if ((rc = args_overlay(o, &m->jobs[i])) != 0)
            return rc;
    return args_check_jobs(o, m);
}

int fn__cli_run_parse(int argc, char **argv, fn__cli_run_opts_t *o,
                      fn__cli_manifest_t *jobs)
{
    int c, rc = 0;
    memset(o, 0, sizeof(*o));
    memset(jobs, 0, sizeof(*jobs));
    optind = 0; /* GNU: re-initialise getopt for this argv */
    opterr = 0; /* args_bad_option says what is wrong, once */
    while (!rc && (c = getopt_long(argc, argv, "+i:g:u:p:c:f:n:yvh", run_opts,
                                   NULL)) != -1)
        rc = c == '?' ? args_bad_option(argv[optind - 1])
                      : args_one(o, c, optarg);
    if (!rc && optind < argc)
        rc = fn__cli_usage_error("run", "unexpected argument '%s'",
                                 argv[optind]);
    if (!rc)
        rc = args_jobs(o, jobs);
    return rc;
}

void fn__cli_run_opts_cleanup(fn__cli_run_opts_t *o)
{
    free(o->groups);
    free(o->hosts);
    free(o->commands);
    free(o->config);
    memset(o, 0, sizeof(*o));
}
