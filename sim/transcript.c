/*
 * transcript.c — loads a vendor's device transcript from sim/vendors/.
 *
 * The data format (one directive per line, '#' comments, double-quoted
 * strings with \e \b \r \n \t \\ \" escapes) is described in
 * sim/README.md. Texts are blocks closed by a line holding only ".".
 *
 * Does not: know any vendor by name (a vendor is data), render output
 * (cli.c does), or share anything with the engine's vendors/ tables.
 * Thread: the parent process, once, before the workers fork.
 * Owns: every string of the sim_vendor_t it returns.
 */
#include "sim_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOK_MAX 32

const char *const sim_vendor_names[] = {
    "cisco_ios",  "cisco_nxos", "cisco_iosxr",       "juniper_junos",
    "arista_eos", "huawei_vrp", "mikrotik_routeros",
};

static const char *const action_kw[] = {
#define SIM__A_KW(name, kw) kw,
    SIM_ACTION_MAP(SIM__A_KW)
#undef SIM__A_KW
};

static const char *const err_kw[] = {
#define SIM__E_KW(name, kw) kw,
    SIM_ERR_MAP(SIM__E_KW)
#undef SIM__E_KW
};

static const char *const answer_kw[] = {
#define SIM__ANS_KW(name, kw) kw,
    SIM_ANSWER_MAP(SIM__ANS_KW)
#undef SIM__ANS_KW
};

typedef struct parser {
    sim_vendor_t *v;
    const char *path;
    int line;
    char *err;
    size_t errlen;
    char *tok[TOK_MAX];
    int ntok;
} parser_t;

static int fail(parser_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(parser_t *p, const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->path, p->line, why);
    return -1;
}

static char unescape(char c)
{
    switch (c) {
    case 'e':
        return '\033';
    case 'b':
        return '\b';
    case 'r':
        return '\r';
    case 'n':
        return '\n';
    case 't':
        return '\t';
    default:
        return c;
    }
}

/* Splits line in place into p->tok. Quoted tokens lose their quotes and
 * have escapes resolved; bare tokens are taken verbatim. */
static int tokenize(parser_t *p, char *s)
{
    p->ntok = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            return 0;
        if (p->ntok == TOK_MAX)
            return fail(p, "too many tokens");
        if (*s != '"') {
            p->tok[p->ntok++] = s;
            while (*s && *s != ' ' && *s != '\t')
                s++;
            if (*s)
                *s++ = '\0';
            continue;
        }
        char *w = ++s;
        p->tok[p->ntok++] = w;
        while (*s && *s != '"') {
            if (*s == '\\' && s[1])
                s++, *w++ = unescape(*s++);
            else
                *w++ = *s++;
        }
        if (*s != '"')
            return fail(p, "unterminated string");
        s++;
        *w = '\0';
    }
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fputs("flexnet-sim: out of memory\n", stderr);
        exit(2);
    }
    return d;
}

static void *xgrow(void *ptr, int n, size_t size)
{
    void *q = realloc(ptr, (size_t)(n + 1) * size);
    if (!q) {
        fputs("flexnet-sim: out of memory\n", stderr);
        exit(2);
    }
    return q;
}

int sim_vendor_mode(const sim_vendor_t *v, const char *name)
{
    for (int i = 0; i < v->nmodes; i++)
        if (strcmp(v->modes[i].name, name) == 0)
            return i;
    return -1;
}

static int text_index(const sim_vendor_t *v, const char *name)
{
    for (int i = 0; i < v->ntexts; i++)
        if (strcmp(v->texts[i].name, name) == 0)
            return i;
    return -1;
}

static int keyword(const char *const *table, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(table[i], s) == 0)
            return i;
    return -1;
}

static int parse_modes(parser_t *p, const char *list, unsigned *out)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    *out = 0;
    if (strcmp(buf, "*") == 0) {
        *out = ~0u;
        return 0;
    }
    for (char *s = buf, *e; s; s = e) {
        e = strchr(s, ',');
        if (e)
            *e++ = '\0';
        int m = sim_vendor_mode(p->v, s);
        if (m < 0)
            return fail(p, "unknown mode '%s'", s);
        *out |= 1u << m;
    }
    return 0;
}

static void parse_word(sim_word_t *w, const char *t)
{
    w->text = NULL;
    if (strcmp(t, "<num>") == 0)
        w->kind = SIM_W_NUM;
    else if (strcmp(t, "<word>") == 0)
        w->kind = SIM_W_WORD;
    else if (strcmp(t, "<rest>") == 0)
        w->kind = SIM_W_REST;
    else {
        w->kind = SIM_W_KEY;
        w->text = xstrdup(t);
    }
}

/* Resolves the action's NAME: a mode or a text block. Texts may follow
 * their rules in the file, so those resolve in resolve_texts(). */
static int parse_action(parser_t *p, sim_rule_t *r, int at)
{
    if (at >= p->ntok)
        return fail(p, "missing action after '='");
    r->action = keyword(action_kw, SIM_A_COUNT, p->tok[at]);
    if (r->action < 0)
        return fail(p, "unknown action '%s'", p->tok[at]);
    at++;
    int named = r->action == SIM_A_TEXT || r->action == SIM_A_RUNNING ||
                r->action == SIM_A_MODE || r->action == SIM_A_ENABLE ||
                r->action == SIM_A_SUBMODE || r->action == SIM_A_COMMIT ||
                r->action == SIM_A_DISCARD || r->action == SIM_A_LEAVE ||
                r->action == SIM_A_SESSION;
    /* commit and discard may stay in the mode they run in */
    int may_stay = r->action == SIM_A_COMMIT || r->action == SIM_A_DISCARD;
    if (named && may_stay && at < p->ntok && strcmp(p->tok[at], "-") == 0) {
        at++;
    } else if (named) {
        if (at >= p->ntok)
            return fail(p, "action '%s' needs a name", action_kw[r->action]);
        if (r->action == SIM_A_TEXT || r->action == SIM_A_RUNNING) {
            /* msg holds the name until resolve_texts() */
            r->msg = xstrdup(p->tok[at]);
        } else {
            r->target = sim_vendor_mode(p->v, p->tok[at]);
            if (r->target < 0)
                return fail(p, "unknown mode '%s'", p->tok[at]);
        }
        at++;
    }
    if (at < p->ntok && r->action != SIM_A_TEXT && r->action != SIM_A_RUNNING)
        r->msg = xstrdup(p->tok[at++]);
    if (at < p->ntok)
        return fail(p, "trailing tokens after the action");
    return 0;
}

static int parse_cmd(parser_t *p)
{
    sim_vendor_t *v = p->v;
    v->rules = xgrow(v->rules, v->nrules, sizeof(sim_rule_t));
    sim_rule_t *r = &v->rules[v->nrules];
    memset(r, 0, sizeof(*r));
    r->target = r->text = -1;
    r->line = p->line;
    int eq = 2;
    while (eq < p->ntok && strcmp(p->tok[eq], "=") != 0)
        eq++;
    if (p->ntok < 3 || eq == p->ntok || eq == 2)
        return fail(p, "expected: cmd MODES WORDS... = ACTION ...");
    if (eq - 2 > SIM_MAX_WORDS)
        return fail(p, "too many words");
    v->nrules++;
    if (parse_modes(p, p->tok[1], &r->modes) < 0)
        return -1;
    for (int i = 2; i < eq; i++)
        parse_word(&r->words[r->nwords++], p->tok[i]);
    return parse_action(p, r, eq + 1);
}

static int parse_mode(parser_t *p)
{
    sim_vendor_t *v = p->v;
    if (p->ntok < 3 || p->ntok > 4)
        return fail(p, "expected: mode NAME PROMPT [INDENT]");
    if (v->nmodes == SIM_MAX_MODES)
        return fail(p, "too many modes");
    sim_mode_t *m = &v->modes[v->nmodes++];
    m->name = xstrdup(p->tok[1]);
    m->prompt = xstrdup(p->tok[2]);
    m->indent = xstrdup(p->ntok == 4 ? p->tok[3] : "");
    return 0;
}

static int parse_err(parser_t *p)
{
    if (p->ntok != 4 && p->ntok != 5)
        return fail(p, "expected: err KIND caret|- MESSAGE [MODES]");
    int k = keyword(err_kw, SIM_E_COUNT, p->tok[1]);
    if (k < 0)
        return fail(p, "unknown error kind '%s'", p->tok[1]);
    unsigned modes = ~0u;
    if (p->ntok == 5 && parse_modes(p, p->tok[4], &modes) < 0)
        return -1;
    /* a second message for a kind, limited to some modes, overrides the
     * first there (Junos: "syntax error." in configuration mode) */
    if (p->v->err[k] && p->ntok == 5) {
        if (p->v->nerr_over == SIM_MAX_ERR_OVER)
            return fail(p, "too many mode-specific error messages");
        sim_err_over_t *o = &p->v->err_over[p->v->nerr_over++];
        *o = (sim_err_over_t){k, strcmp(p->tok[2], "caret") == 0, modes,
                              xstrdup(p->tok[3])};
        return 0;
    }
    free(p->v->err[k]);
    p->v->err[k] = xstrdup(p->tok[3]);
    p->v->caret[k] = strcmp(p->tok[2], "caret") == 0;
    p->v->err_modes[k] = modes;
    return 0;
}

static int parse_text(parser_t *p, FILE *f)
{
    sim_vendor_t *v = p->v;
    if (p->ntok != 2)
        return fail(p, "expected: text NAME");
    fn_buf_t body;
    fn_buf_init(&body, 0);
    char *ln = NULL;
    size_t cap = 0;
    ssize_t n;
    int closed = 0;
    while ((n = getline(&ln, &cap, f)) >= 0) {
        p->line++;
        if (strcmp(ln, ".\n") == 0 || strcmp(ln, ".") == 0) {
            closed = 1;
            break;
        }
        fn_buf_append(&body, ln, (size_t)n);
    }
    free(ln);
    v->texts = xgrow(v->texts, v->ntexts, sizeof(sim_text_t));
    v->texts[v->ntexts].name = xstrdup(p->tok[1]);
    v->texts[v->ntexts].body = fn_buf_steal(&body, NULL);
    v->ntexts++;
    return closed ? 0 : fail(p, "text '%s' lacks its closing '.'", p->tok[1]);
}

static int parse_scalar(parser_t *p)
{
    sim_vendor_t *v = p->v;
    const char *k = p->tok[0];
    if (p->ntok != 2)
        return fail(p, "expected: %s VALUE", k);
    const char *val = p->tok[1];
    if (strcmp(k, "name") == 0) {
        if (strcmp(val, v->name) != 0)
            return fail(p, "file is for '%s', not '%s'", val, v->name);
    } else if (strcmp(k, "start") == 0) {
        v->start_mode = sim_vendor_mode(v, val);
        if (v->start_mode < 0)
            return fail(p, "unknown mode '%s'", val);
    } else if (strcmp(k, "pager") == 0) {
        v->pager = xstrdup(val);
    } else if (strcmp(k, "pager_erase") == 0) {
        v->pager_erase = xstrdup(val);
    } else if (strcmp(k, "page_lines") == 0) {
        v->page_lines = (int)strtol(val, NULL, 10);
    } else if (strcmp(k, "login_suffix_pageoff") == 0) {
        v->login_suffix_pageoff = strcmp(val, "yes") == 0;
    } else if (strcmp(k, "gen") == 0) {
        v->gen = xgrow(v->gen, v->ngen, sizeof(char *));
        v->gen[v->ngen++] = xstrdup(val);
    } else {
        return fail(p, "unknown directive '%s'", k);
    }
    return 0;
}

/* candidate session|device MODES */
static int parse_candidate(parser_t *p)
{
    if (p->ntok != 3)
        return fail(p, "expected: candidate session|device MODES");
    if (strcmp(p->tok[1], "session") == 0)
        p->v->cand_scope = SIM_CAND_SESSION;
    else if (strcmp(p->tok[1], "device") == 0)
        p->v->cand_scope = SIM_CAND_DEVICE;
    else
        return fail(p, "candidate scope '%s': session or device", p->tok[1]);
    return parse_modes(p, p->tok[2], &p->v->cand_modes);
}

/* uncommitted QUESTION YES NO OTHER */
static int parse_uncommitted(parser_t *p)
{
    if (p->ntok != 5)
        return fail(p, "expected: uncommitted QUESTION YES NO OTHER");
    for (int i = 0; i < 3; i++) {
        p->v->ask_ans[i] = keyword(answer_kw, SIM_ANS_COUNT, p->tok[2 + i]);
        if (p->v->ask_ans[i] < 0)
            return fail(p, "unknown answer action '%s'", p->tok[2 + i]);
    }
    free(p->v->ask);
    p->v->ask = xstrdup(p->tok[1]);
    return 0;
}

/* commit_fail TRIGGER MESSAGE */
static int parse_commit_fail(parser_t *p)
{
    if (p->ntok != 3)
        return fail(p, "expected: commit_fail TRIGGER MESSAGE");
    free(p->v->commit_fail);
    free(p->v->commit_fail_msg);
    p->v->commit_fail = xstrdup(p->tok[1]);
    p->v->commit_fail_msg = xstrdup(p->tok[2]);
    return 0;
}

static int parse_line(parser_t *p, char *ln, FILE *f)
{
    if (tokenize(p, ln) < 0)
        return -1;
    if (p->ntok == 0)
        return 0;
    const char *k = p->tok[0];
    if (strcmp(k, "mode") == 0)
        return parse_mode(p);
    if (strcmp(k, "cmd") == 0)
        return parse_cmd(p);
    if (strcmp(k, "err") == 0)
        return parse_err(p);
    if (strcmp(k, "text") == 0)
        return parse_text(p, f);
    if (strcmp(k, "candidate") == 0)
        return parse_candidate(p);
    if (strcmp(k, "uncommitted") == 0)
        return parse_uncommitted(p);
    if (strcmp(k, "commit_fail") == 0)
        return parse_commit_fail(p);
    return parse_scalar(p);
}

static int resolve_texts(parser_t *p)
{
    sim_vendor_t *v = p->v;
    for (int i = 0; i < v->nrules; i++) {
        sim_rule_t *r = &v->rules[i];
        if (r->action != SIM_A_TEXT && r->action != SIM_A_RUNNING)
            continue;
        r->text = text_index(v, r->msg);
        p->line = r->line;
        if (r->text < 0)
            return fail(p, "unknown text '%s'", r->msg);
        free(r->msg);
        r->msg = NULL;
    }
    if (v->nmodes == 0)
        return fail(p, "no modes");
    if (!v->err[SIM_E_INVALID] || !v->err[SIM_E_INCOMPLETE] ||
        !v->err[SIM_E_AMBIGUOUS])
        return fail(p, "err invalid, incomplete and ambiguous are required");
    if (v->pager && v->page_lines < 2)
        return fail(p, "page_lines must be >= 2 with a pager");
    return 0;
}

static int load_file(parser_t *p, FILE *f)
{
    char *ln = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&ln, &cap, f)) >= 0) {
        p->line++;
        while (n > 0 && (ln[n - 1] == '\n' || ln[n - 1] == '\r'))
            ln[--n] = '\0';
        rc = parse_line(p, ln, f);
    }
    free(ln);
    return rc == 0 ? resolve_texts(p) : rc;
}

sim_vendor_t *sim_vendor_load(const char *dir, const char *name, char *err,
                              size_t errlen)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    sim_vendor_t *v = calloc(1, sizeof(*v));
    if (!v) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    v->name = xstrdup(name);
    parser_t p = {.v = v, .path = path, .err = err, .errlen = errlen};
    int rc = load_file(&p, f);
    fclose(f);
    if (rc < 0) {
        sim_vendor_free(v);
        return NULL;
    }
    return v;
}

void sim_vendor_free(sim_vendor_t *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->nmodes; i++) {
        free(v->modes[i].name);
        free(v->modes[i].prompt);
        free(v->modes[i].indent);
    }
    for (int i = 0; i < v->nrules; i++) {
        for (int w = 0; w < v->rules[i].nwords; w++)
            free(v->rules[i].words[w].text);
        free(v->rules[i].msg);
    }
    for (int i = 0; i < v->ntexts; i++) {
        free(v->texts[i].name);
        free(v->texts[i].body);
    }
    for (int i = 0; i < v->ngen; i++)
        free(v->gen[i]);
    for (int i = 0; i < SIM_E_COUNT; i++)
        free(v->err[i]);
    for (int i = 0; i < v->nerr_over; i++)
        free(v->err_over[i].msg);
    free(v->ask);
    free(v->commit_fail);
    free(v->commit_fail_msg);
    free(v->rules);
    free(v->texts);
    free(v->gen);
    free(v->pager);
    free(v->pager_erase);
    free(v->name);
    free(v);
}
