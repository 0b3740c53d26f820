/*
 * manifest.c — the YAML task manifest (`flexnet run -f FILE`): the old
 * tool's Task / subTask structure in flexnet's words, parsed with libyaml
 * into one TaskSpec per sub-task.
 *
 *     task:
 *       name: nightly            # required
 *       inventory: fleet.ini     # optional; relative to the manifest
 *       subtasks:                # required, run in order
 *         - name: core
 *           targets: {groups: [core], hosts: [r9]}
 *           credentials: {username: admin, password_env: FN_PASS,
 *                         enable_password_env: FN_ENABLE}
 *           connect_first: true
 *           max_failed: 10%      # or a count
 *           vendor: cisco_ios    # for hosts the inventory gives none
 *           concurrency: 500
 *           connect_timeout: 10  # seconds
 *           command_timeout: 30
 *           login_timeout: 20    # first prompt after login
 *           templates: ntc-templates/ntc_templates/templates  # TextFSM
 *           steps:
 *             - commands: [show version, show clock]
 *               tag: ver
 *               exit_on_fail: true
 *               parse: true          # records by templates/index
 *             - commands: [show ip interface brief]
 *               template: ipbrief.textfsm  # or one template
 *             - config: [ntp server 10.0.0.1]
 *               on_error: stop     # default; continue sends every line
 *             - command: copy running-config startup-config
 *               expect: ["Destination filename* => "]   # QUESTION => ANSWER
 *             - save: true         # the vendor's save, its questions answered
 *               only_on: [r1]
 *               skip: [r2]
 *               when: {tag: ver, exit_code: 0}  # operator: is | is_not
 *             - backup: true
 *               comment: after ntp
 *
 * Every error names "file:line: what". Secrets never belong in a manifest:
 * a `password` key is refused (credentials come from the environment).
 *
 * Does not check hosts or groups against an inventory, does not run
 * anything. Thread: any. Owns the specs it returns until
 * fn__cli_manifest_cleanup.
 */
#include "cli_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* One parse: the document and where errors go. */
typedef struct mf {
    yaml_document_t *doc;
    const char *origin;
    char *err;
    size_t errlen;
    int failed;
} mf_t;

typedef int mf_key_fn(mf_t *m, yaml_node_t *val, void *obj, const char *key);

/* A key a mapping may hold, and who parses its value. */
typedef struct mf_key {
    const char *name;
    mf_key_fn *fn;
} mf_key_t;

static int mf_fail(mf_t *m, const yaml_node_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int mf_fail(mf_t *m, const yaml_node_t *at, const char *fmt, ...)
{
    if (m->failed++ || !m->err || !m->errlen)
        return FN_EPARSE;
    int n = snprintf(m->err, m->errlen, "%s:%lu: ", m->origin,
                     at ? (unsigned long)at->start_mark.line + 1 : 1UL);
    if (n >= 0 && (size_t)n < m->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->err + n, m->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return FN_EPARSE;
}

static int mf_oom(mf_t *m, const yaml_node_t *at)
{
    mf_fail(m, at, "out of memory");
    return -ENOMEM;
}

static const char *mf_scalar(mf_t *m, yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SCALAR_NODE) {
        mf_fail(m, n, "%s must be a single value", what);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static int mf_bool(mf_t *m, yaml_node_t *n, const char *what, int *out)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const char *s = mf_scalar(m, n, what);
    if (!s)
        return FN_EPARSE;
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
            *out = !strcasecmp(s, yes[i]);
            return 0;
        }
    }
    return mf_fail(m, n, "%s: expected true or false, got '%s'", what, s);
}

static int mf_uint(mf_t *m, yaml_node_t *n, const char *what, unsigned *out)
{
    const char *s = mf_scalar(m, n, what);
    if (!s)
        return FN_EPARSE;
    if (fn__cli_parse_uint(s, UINT_MAX, out))
        return mf_fail(m, n, "%s: expected a whole number, got '%s'", what, s);
    return 0;
}

static int mf_seconds(mf_t *m, yaml_node_t *n, const char *what, unsigned *ms)
{
    const char *s = mf_scalar(m, n, what);
    if (!s)
        return FN_EPARSE;
    if (fn__cli_parse_seconds(s, ms))
        return mf_fail(m, n, "%s: expected seconds (> 0), got '%s'", what, s);
    return 0;
}

static int mf_string(mf_t *m, yaml_node_t *n, const char *what, char **field)
{
    const char *s = mf_scalar(m, n, what);
    if (!s)
        return FN_EPARSE;
    if (!*s)
        return mf_fail(m, n, "%s must not be empty", what);
    return fn__cli_str_set(field, s) ? mf_oom(m, n) : 0;
}

static int mf_push(mf_t *m, yaml_node_t *e, const char *what, char ***v,
                   size_t *nv)
{
    const char *s = mf_scalar(m, e, what);
    if (!s)
        return FN_EPARSE;
    if (!*s)
        return mf_fail(m, e, "%s: empty entry", what);
    return fn__cli_strv_push(v, nv, s) ? mf_oom(m, e) : 0;
}

/* A list of strings; a single scalar counts as a list of one. */
static int mf_strings(mf_t *m, yaml_node_t *n, const char *what, char ***v,
                      size_t *nv)
{
    if (n->type == YAML_SCALAR_NODE)
        return mf_push(m, n, what, v, nv);
    if (n->type != YAML_SEQUENCE_NODE)
        return mf_fail(m, n, "%s must be a list", what);
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        int rc = mf_push(m, yaml_document_get_node(m->doc, *it), what, v, nv);
        if (rc)
            return rc;
    }
    if (!*nv)
        return mf_fail(m, n, "%s must not be empty", what);
    return 0;
}

/* The error for a key not in keys: it lists the known ones. */
static int mf_unknown_key(mf_t *m, yaml_node_t *at, const char *name,
                          const char *what, const mf_key_t *keys)
{
    fn_buf_t known;
    fn_buf_init(&known, 256);
    for (const mf_key_t *kd = keys; kd->name; kd++)
        fn_buf_printf(&known, "%s%s", kd->name, kd[1].name ? ", " : "");
    int rc = mf_fail(m, at, "unknown key '%s' in %s (known: %s)", name, what,
                     known.data ? known.data : "");
    fn_buf_cleanup(&known);
    return rc;
}

/* Calls each key's parser; unknown keys are errors that list the known. */
static int mf_map(mf_t *m, yaml_node_t *n, const char *what,
                  const mf_key_t *keys, void *obj)
{
    if (n->type != YAML_MAPPING_NODE)
        return mf_fail(m, n, "%s must be a mapping (key: value)", what);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(m->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(m->doc, p->value);
        const char *name = mf_scalar(m, k, "a key");
        if (!name)
            return FN_EPARSE;
        const mf_key_t *kd = keys;
        while (kd->name && strcmp(kd->name, name))
            kd++;
        if (!kd->name)
            return mf_unknown_key(m, k, name, what, keys);
        int rc = kd->fn(m, v, obj, name);
        if (rc)
            return rc;
    }
    return 0;
}

static yaml_node_t *mf_get(mf_t *m, yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(m->doc, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(m->doc, p->value);
    }
    return NULL;
}

/* ---- steps -------------------------------------------------------- */

/* A step being parsed: kind comes from whichever kind key appears. */
typedef struct mf_step {
    Flexnet__V1__TaskSpec *spec; /* earlier steps' tags for `when` */
    Flexnet__V1__Step *step;
    yaml_node_t *node;
    int negate; /* when.operator: is_not */
} mf_step_t;

static int mf_step_kind(mf_t *m, yaml_node_t *v, mf_step_t *s,
                        Flexnet__V1__StepKind kind, const char *key)
{
    if (s->step->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_UNSPECIFIED)
        return mf_fail(m, v,
                       "'%s': a step has only one of commands, "
                       "command, config, backup",
                       key);
    s->step->kind = kind;
    return 0;
}

static int mf_k_commands(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    mf_step_t *s = obj;
    int config = !strcmp(key, "config");
    if (mf_step_kind(m, v, s,
                     config ? FLEXNET__V1__STEP_KIND__STEP_KIND_CONFIG
                            : FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS,
                     key))
        return FN_EPARSE;
    if (!strcmp(key, "command") && v->type != YAML_SCALAR_NODE)
        return mf_fail(m, v,
                       "command: one command (use 'commands' for a "
                       "list)");
    return mf_strings(m, v, key, &s->step->commands, &s->step->n_commands);
}

/* backup: true / save: true: a step of that kind. */
static int mf_k_backup(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    mf_step_t *s = obj;
    int on = 0;
    Flexnet__V1__StepKind kind = !strcmp(key, "save")
                                     ? FLEXNET__V1__STEP_KIND__STEP_KIND_SAVE
                                     : FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP;
    if (mf_step_kind(m, v, s, kind, key))
        return FN_EPARSE;
    if (mf_bool(m, v, key, &on))
        return FN_EPARSE;
    return on ? 0 : mf_fail(m, v, "%s: false is an empty step", key);
}

/* expect: ["QUESTION => ANSWER", ...] */
static int mf_k_expect(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__Step *st = ((mf_step_t *)obj)->step;
    char **items = NULL;
    size_t n = 0;
    int rc = mf_strings(m, v, key, &items, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (fn__cli_add_expect(st, items[i]))
            rc = mf_fail(m, v,
                         "%s: expected \"QUESTION => ANSWER\", got "
                         "'%s'",
                         key, items[i]);
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
    return rc;
}

static int mf_k_step_str(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__Step *st = ((mf_step_t *)obj)->step;
    if (!strcmp(key, "template"))
        return mf_string(m, v, key, &st->template_);
    return mf_string(m, v, key, !strcmp(key, "tag") ? &st->tag : &st->comment);
}

static int mf_k_parse(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    int on = 0;
    int rc = mf_bool(m, v, key, &on);
    ((mf_step_t *)obj)->step->parse = on;
    return rc;
}

static int mf_k_hostlist(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__Step *st = ((mf_step_t *)obj)->step;
    if (!strcmp(key, "skip"))
        return mf_strings(m, v, key, &st->skip, &st->n_skip);
    return mf_strings(m, v, key, &st->only_on, &st->n_only_on);
}

static int mf_k_exit_on_fail(mf_t *m, yaml_node_t *v, void *obj,
                             const char *key)
{
    int on = 0;
    int rc = mf_bool(m, v, key, &on);
    ((mf_step_t *)obj)->step->exit_on_fail = on;
    return rc;
}

/* A config step's choice after a failing line: stop (default) or
 * continue. */
static int mf_k_on_error(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    const char *s = mf_scalar(m, v, key);
    int mode = 0;
    if (!s)
        return FN_EPARSE;
    if (fn__cli_parse_on_error(s, &mode))
        return mf_fail(m, v, "%s: expected stop or continue, got '%s'", key, s);
    ((mf_step_t *)obj)->step->on_error = (Flexnet__V1__OnError)mode;
    return 0;
}

static int mf_k_timeout(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_seconds(m, v, key, &((mf_step_t *)obj)->step->timeout_ms);
}

/* Exit codes a `when` may test: see CommandResult.exit_code. */
static const int mf_codes[] = {0, 1, -1, -2, -3};
#define MF_NCODES (sizeof(mf_codes) / sizeof(mf_codes[0]))

static int mf_code(mf_t *m, yaml_node_t *e, Flexnet__V1__When *w)
{
    const char *s = mf_scalar(m, e, "when.exit_code");
    char *end;
    if (!s)
        return FN_EPARSE;
    long c = strtol(s, &end, 10);
    if (!*s || *end || c < -3 || c > 1)
        return mf_fail(m, e,
                       "when.exit_code: expected one of 0, 1, -1, -2, "
                       "-3, got '%s'",
                       s);
    int32_t *grown = realloc(w->exit_codes, (w->n_exit_codes + 1) * 4);
    if (!grown)
        return mf_oom(m, e);
    w->exit_codes = grown;
    grown[w->n_exit_codes++] = (int32_t)c;
    return 0;
}

static int mf_k_when_codes(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__When *w = ((mf_step_t *)obj)->step->when;
    if (v->type == YAML_SCALAR_NODE)
        return mf_code(m, v, w);
    if (v->type != YAML_SEQUENCE_NODE || !v->data.sequence.items.top ||
        v->data.sequence.items.top == v->data.sequence.items.start)
        return mf_fail(m, v, "%s: expected a code or a list of codes", key);
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         it < v->data.sequence.items.top; it++)
        if (mf_code(m, yaml_document_get_node(m->doc, *it), w))
            return FN_EPARSE;
    return 0;
}

static int mf_k_when_tag(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_string(m, v, "when.tag", &((mf_step_t *)obj)->step->when->tag);
}

static int mf_k_when_op(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    const char *s = mf_scalar(m, v, "when.operator");
    if (!s)
        return FN_EPARSE;
    if (strcmp(s, "is") && strcmp(s, "is_not"))
        return mf_fail(m, v, "when.operator: expected is or is_not, got '%s'",
                       s);
    ((mf_step_t *)obj)->negate = !strcmp(s, "is_not");
    return 0;
}

static const mf_key_t mf_when_keys[] = {
    {"tag", mf_k_when_tag},
    {"exit_code", mf_k_when_codes},
    {"exit_codes", mf_k_when_codes},
    {"operator", mf_k_when_op},
    {NULL, NULL},
};

/* is_not: keep the codes that were not listed. Returns 0 or -ENOMEM. */
static int mf_when_negate(Flexnet__V1__When *w)
{
    size_t n = 0;
    int32_t keep[MF_NCODES];
    for (size_t i = 0; i < MF_NCODES; i++) {
        size_t j = 0;
        while (j < w->n_exit_codes && w->exit_codes[j] != mf_codes[i])
            j++;
        if (j == w->n_exit_codes)
            keep[n++] = mf_codes[i];
    }
    int32_t *codes = realloc(w->exit_codes, sizeof(keep));
    if (!codes)
        return -ENOMEM;
    memcpy(codes, keep, n * sizeof(keep[0]));
    w->exit_codes = codes;
    w->n_exit_codes = n;
    return 0;
}

static int mf_when_check(mf_t *m, yaml_node_t *v, mf_step_t *s)
{
    Flexnet__V1__When *w = s->step->when;
    if (!*w->tag)
        return mf_fail(m, v, "when: missing 'tag'");
    if (!w->n_exit_codes)
        return mf_fail(m, v, "when: missing 'exit_code'");
    for (size_t i = 0; i + 1 < s->spec->n_steps; i++)
        if (!strcmp(s->spec->steps[i]->tag, w->tag))
            return 0;
    return mf_fail(m, v, "when: no earlier step has tag '%s'", w->tag);
}

static int mf_k_when(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    mf_step_t *s = obj;
    if (s->step->when)
        return mf_fail(m, v, "when: given twice");
    s->step->when = malloc(sizeof(*s->step->when));
    if (!s->step->when)
        return mf_oom(m, v);
    flexnet__v1__when__init(s->step->when);
    int rc = mf_map(m, v, "when", mf_when_keys, s);
    if (!rc)
        rc = mf_when_check(m, v, s);
    if (!rc && s->negate && mf_when_negate(s->step->when))
        rc = mf_oom(m, v);
    if (!rc && !s->step->when->n_exit_codes)
        rc = mf_fail(m, v, "when: is_not every exit code never runs");
    return rc;
}

static const mf_key_t mf_step_keys[] = {
    {"commands", mf_k_commands},
    {"command", mf_k_commands},
    {"config", mf_k_commands},
    {"backup", mf_k_backup},
    {"tag", mf_k_step_str},
    {"comment", mf_k_step_str},
    {"exit_on_fail", mf_k_exit_on_fail},
    {"only_on", mf_k_hostlist},
    {"skip", mf_k_hostlist},
    {"when", mf_k_when},
    {"timeout", mf_k_timeout},
    {"on_error", mf_k_on_error},
    {"save", mf_k_backup},
    {"expect", mf_k_expect},
    {"parse", mf_k_parse},
    {"template", mf_k_step_str},
    {NULL, NULL},
};

static int mf_step(mf_t *m, yaml_node_t *n, Flexnet__V1__TaskSpec *spec)
{
    mf_step_t s = {.spec = spec, .node = n};
    s.step = fn__cli_spec_add_step(
        spec, FLEXNET__V1__STEP_KIND__STEP_KIND_UNSPECIFIED);
    if (!s.step)
        return mf_oom(m, n);
    int rc = mf_map(m, n, "a step", mf_step_keys, &s);
    if (rc)
        return rc;
    Flexnet__V1__Step *st = s.step;
    if (st->kind == FLEXNET__V1__STEP_KIND__STEP_KIND_UNSPECIFIED)
        return mf_fail(m, n,
                       "a step needs one of commands, command, config, "
                       "backup");
    if (*st->comment && st->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP)
        return mf_fail(m, n, "comment: only a backup step has a comment");
    if ((st->parse || *st->template_) &&
        st->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS)
        return mf_fail(m, n, "parse, template: only commands are parsed");
    if (st->parse && *st->template_)
        return mf_fail(m, n, "parse and template: give one");
    for (size_t i = 0; *st->tag && i + 1 < spec->n_steps; i++)
        if (!strcmp(spec->steps[i]->tag, st->tag))
            return mf_fail(m, n, "tag '%s' is used twice", st->tag);
    return 0;
}

/* ---- sub-tasks ---------------------------------------------------- */

static int mf_k_sub_name(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_string(m, v, key, &((fn__cli_job_t *)obj)->spec->name);
}

static int mf_k_targets_list(mf_t *m, yaml_node_t *v, void *obj,
                             const char *key)
{
    Flexnet__V1__TaskSpec *spec = ((fn__cli_job_t *)obj)->spec;
    if (!strcmp(key, "groups"))
        return mf_strings(m, v, "targets.groups", &spec->groups,
                          &spec->n_groups);
    return mf_strings(m, v, "targets.hosts", &spec->hosts, &spec->n_hosts);
}

static const mf_key_t mf_targets_keys[] = {
    {"groups", mf_k_targets_list},
    {"hosts", mf_k_targets_list},
    {NULL, NULL},
};

static int mf_k_targets(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_map(m, v, "targets", mf_targets_keys, obj);
}

static int mf_k_cred(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__Credentials *c = ((fn__cli_job_t *)obj)->spec->credentials;
    if (!strcmp(key, "username"))
        return mf_string(m, v, key, &c->username);
    if (!strcmp(key, "password_env"))
        return mf_string(m, v, key, &c->password_env);
    if (!strcmp(key, "enable_password_env"))
        return mf_string(m, v, key, &c->enable_password_env);
    if (!strcmp(key, "provider"))
        return mf_string(m, v, key, &c->provider);
    if (!strcmp(key, "ref"))
        return mf_string(m, v, key, &c->ref);
    if (!strcmp(key, "key_file"))
        return mf_string(m, v, key, &c->key_file);
    if (!strcmp(key, "ssh_agent")) {
        int on = 0;
        int rc = mf_bool(m, v, key, &on);
        c->ssh_agent = on;
        return rc;
    }
    /* username_env: the name is no secret; read it now. */
    const char *var = mf_scalar(m, v, key);
    const char *val = var ? getenv(var) : NULL;
    if (!var)
        return FN_EPARSE;
    if (!val || !*val)
        return mf_fail(m, v, "username_env: %s is not set", var);
    return fn__cli_str_set(&c->username, val) ? mf_oom(m, v) : 0;
}

static int mf_k_secret(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_fail(m, v, "%s: secrets never go in a manifest; use %s_env", key,
                   key);
}

static const mf_key_t mf_cred_keys[] = {
    {"username", mf_k_cred},
    {"username_env", mf_k_cred},
    {"password_env", mf_k_cred},
    {"enable_password_env", mf_k_cred},
    {"provider", mf_k_cred},
    {"ref", mf_k_cred},
    {"key_file", mf_k_cred},
    {"ssh_agent", mf_k_cred},
    {"password", mf_k_secret},
    {"enable_password", mf_k_secret},
    {NULL, NULL},
};

static int mf_k_credentials(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    return mf_map(m, v, "credentials", mf_cred_keys, obj);
}

static int mf_k_connect_first(mf_t *m, yaml_node_t *v, void *obj,
                              const char *key)
{
    int on = 0;
    if (mf_bool(m, v, key, &on))
        return FN_EPARSE;
    ((fn__cli_job_t *)obj)->spec->mode =
        on ? FLEXNET__V1__RUN_MODE__RUN_MODE_CONNECT_FIRST
           : FLEXNET__V1__RUN_MODE__RUN_MODE_PIPELINED;
    return 0;
}

static int mf_k_max_failed(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    fn__cli_job_t *job = obj;
    const char *s = mf_scalar(m, v, key);
    if (!s)
        return FN_EPARSE;
    if (fn__cli_parse_max_failed(s, job->spec))
        return mf_fail(m, v, "max_failed: expected N or P%%, got '%s'", s);
    job->has_max_failed = 1;
    return 0;
}

static int mf_k_redact(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__TaskSpec *spec = ((fn__cli_job_t *)obj)->spec;
    const char *s = mf_scalar(m, v, key);
    if (!s)
        return FN_EPARSE;
    int mode = fn__cli_redact_parse(s);
    if (mode < 0)
        return mf_fail(m, v, "redact: reversible, all or none, not '%s'", s);
    spec->redact = (Flexnet__V1__RedactMode)mode;
    return 0;
}

/* Numbers, and the one plain string of a sub-task (vendor). */
static int mf_k_sub_number(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__TaskSpec *spec = ((fn__cli_job_t *)obj)->spec;
    if (!strcmp(key, "vendor"))
        return mf_string(m, v, key, &spec->default_vendor);
    if (!strcmp(key, "templates"))
        return mf_string(m, v, key, &spec->templates_dir);
    if (!strcmp(key, "concurrency"))
        return mf_uint(m, v, key, &spec->concurrency);
    if (!strcmp(key, "connect_timeout"))
        return mf_seconds(m, v, key, &spec->connect_timeout_ms);
    if (!strcmp(key, "login_timeout"))
        return mf_seconds(m, v, key, &spec->login_timeout_ms);
    return mf_seconds(m, v, key, &spec->command_timeout_ms);
}

static int mf_k_steps(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    Flexnet__V1__TaskSpec *spec = ((fn__cli_job_t *)obj)->spec;
    if (v->type != YAML_SEQUENCE_NODE ||
        v->data.sequence.items.top == v->data.sequence.items.start)
        return mf_fail(m, v, "steps must be a non-empty list");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         it < v->data.sequence.items.top; it++) {
        int rc = mf_step(m, yaml_document_get_node(m->doc, *it), spec);
        if (rc)
            return rc;
    }
    return 0;
}

static const mf_key_t mf_sub_keys[] = {
    {"name", mf_k_sub_name},
    {"targets", mf_k_targets},
    {"credentials", mf_k_credentials},
    {"connect_first", mf_k_connect_first},
    {"max_failed", mf_k_max_failed},
    {"vendor", mf_k_sub_number},
    {"templates", mf_k_sub_number},
    {"concurrency", mf_k_sub_number},
    {"connect_timeout", mf_k_sub_number},
    {"command_timeout", mf_k_sub_number},
    {"login_timeout", mf_k_sub_number},
    {"redact", mf_k_redact},
    {"steps", mf_k_steps},
    {NULL, NULL},
};

/* ---- the task ----------------------------------------------------- */

typedef struct mf_task {
    fn__cli_manifest_t *out;
    size_t first; /* this document's first job */
    char *name;
    char *inventory;
} mf_task_t;

static int mf_subtask(mf_t *m, yaml_node_t *n, mf_task_t *t)
{
    fn__cli_manifest_t *out = t->out;
    fn__cli_job_t *grown = realloc(out->jobs, (out->n + 1) * sizeof(*grown));
    if (!grown)
        return mf_oom(m, n);
    out->jobs = grown;
    fn__cli_job_t *job = &grown[out->n];
    memset(job, 0, sizeof(*job));
    job->line = (int)n->start_mark.line + 1;
    job->spec = fn__cli_spec_new();
    if (!job->spec)
        return mf_oom(m, n);
    out->n++;
    int rc = mf_map(m, n, "a subtask", mf_sub_keys, job);
    if (!rc && !job->spec->n_steps)
        rc = mf_fail(m, n, "subtask: missing 'steps'");
    return rc;
}

static int mf_k_subtasks(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    if (v->type != YAML_SEQUENCE_NODE ||
        v->data.sequence.items.top == v->data.sequence.items.start)
        return mf_fail(m, v, "subtasks must be a non-empty list");
    for (yaml_node_item_t *it = v->data.sequence.items.start;
         it < v->data.sequence.items.top; it++) {
        int rc = mf_subtask(m, yaml_document_get_node(m->doc, *it), obj);
        if (rc)
            return rc;
    }
    return 0;
}

static int mf_k_task_str(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    mf_task_t *t = obj;
    return mf_string(m, v, key,
                     !strcmp(key, "name") ? &t->name : &t->inventory);
}

static const mf_key_t mf_task_keys[] = {
    {"name", mf_k_task_str},
    {"inventory", mf_k_task_str},
    {"subtasks", mf_k_subtasks},
    {NULL, NULL},
};

/* Names each job "task / subtask" (or "task #i") and gives it the
 * task's inventory. */
static int mf_task_finish(mf_t *m, yaml_node_t *v, mf_task_t *t)
{
    for (size_t i = t->first; i < t->out->n; i++) {
        Flexnet__V1__TaskSpec *spec = t->out->jobs[i].spec;
        fn_buf_t name;
        fn_buf_init(&name, 0);
        if (*spec->name)
            fn_buf_printf(&name, "%s / %s", t->name, spec->name);
        else
            fn_buf_printf(&name, "%s #%zu", t->name, i - t->first + 1);
        int rc = name.data ? fn__cli_str_set(&spec->name, name.data) : -ENOMEM;
        fn_buf_cleanup(&name);
        if (!rc && t->inventory)
            rc = fn__cli_str_set(&spec->inventory_path, t->inventory);
        if (rc)
            return mf_oom(m, v);
    }
    return 0;
}

static int mf_k_task(mf_t *m, yaml_node_t *v, void *obj, const char *key)
{
    mf_task_t *t = obj;
    int rc = mf_map(m, v, "task", mf_task_keys, t);
    if (!rc && !t->name)
        rc = mf_fail(m, v, "task: missing 'name'");
    if (!rc && t->out->n == t->first)
        rc = mf_fail(m, v, "task: missing 'subtasks'");
    if (!rc)
        rc = mf_task_finish(m, v, t);
    free(t->name);
    free(t->inventory);
    t->name = t->inventory = NULL;
    return rc;
}

static const mf_key_t mf_root_keys[] = {
    {"task", mf_k_task},
    {NULL, NULL},
};

/* A relative inventory path is relative to the manifest's directory. */
static int manifest_resolve_inventory(fn__cli_manifest_t *mf, const char *path,
                                      char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    for (size_t i = 0; i < mf->n; i++) {
        char **inv = &mf->jobs[i].spec->inventory_path;
        if (!**inv || **inv == '/')
            continue;
        fn_buf_t full;
        fn_buf_init(&full, 0);
        fn_buf_printf(&full, "%.*s/%s", (int)(slash - path), path, *inv);
        int rc = full.data ? fn__cli_str_set(inv, full.data) : -ENOMEM;
        fn_buf_cleanup(&full);
        if (rc) {
            snprintf(err, errlen, "%s: out of memory", path);
            return rc;
        }
    }
    return 0;
}

/* ---- documents ---------------------------------------------------- */

static int mf_document(mf_t *m, yaml_node_t *root, fn__cli_manifest_t *out)
{
    if (root->type != YAML_MAPPING_NODE || !mf_get(m, root, "task"))
        return mf_fail(m, root, "a manifest is a mapping with a 'task' key");
    mf_task_t t = {.out = out, .first = out->n};
    return mf_map(m, root, "the manifest", mf_root_keys, &t);
}

static int mf_yaml_error(mf_t *m, const yaml_parser_t *p)
{
    yaml_node_t at = {.start_mark = p->problem_mark};
    if (p->error == YAML_MEMORY_ERROR)
        return mf_oom(m, NULL);
    if (p->context)
        return mf_fail(m, &at, "YAML: %s %s", p->problem ? p->problem : "",
                       p->context);
    return mf_fail(m, &at, "YAML: %s", p->problem ? p->problem : "error");
}

int fn__cli_manifest_parse(const char *text, size_t len, const char *origin,
                           fn__cli_manifest_t *out, char *err, size_t errlen)
{
    mf_t m = {
        .origin = origin ? origin : "<manifest>", .err = err, .errlen = errlen};
    yaml_parser_t parser;
    int rc = 0, docs = 0;
    memset(out, 0, sizeof(*out));
    if (!yaml_parser_initialize(&parser))
        return mf_oom(&m, NULL);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!rc) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            rc = mf_yaml_error(&m, &parser);
            break;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root) {
            m.doc = &doc;
            rc = mf_document(&m, root, out);
            docs++;
        }
        yaml_document_delete(&doc);
        if (!root)
            break;
    }
    yaml_parser_delete(&parser);
    if (!rc && !docs)
        rc = mf_fail(&m, NULL, "empty manifest");
    if (rc)
        fn__cli_manifest_cleanup(out);
    return rc;
}

int fn__cli_manifest_load(const char *path, fn__cli_manifest_t *out, char *err,
                          size_t errlen)
{
    fn_buf_t text;
    memset(out, 0, sizeof(*out));
    int rc = fn__cli_read_file(path, &text, 4u << 20);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == FN_EFULL ? "larger than 4 MiB" : fn_strerror(rc));
        fn_buf_cleanup(&text);
        return rc;
    }
    rc = fn__cli_manifest_parse(text.data ? text.data : "", text.len, path, out,
                                err, errlen);
    fn_buf_cleanup(&text);
    if (!rc)
        rc = manifest_resolve_inventory(out, path, err, errlen);
    return rc;
}

void fn__cli_manifest_cleanup(fn__cli_manifest_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        fn__cli_spec_free(m->jobs[i].spec);
    free(m->jobs);
    memset(m, 0, sizeof(*m));
}
