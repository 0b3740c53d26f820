/*
 * cli.c — one simulated device's command line: echo, prompts, modes,
 * command matching with the vendor's errors, pager, config recording.
 *
 * Pure: bytes typed go in through sim_cli_feed(), bytes to send come out
 * in c->out; the worker decides when to run a complete line (latency) and
 * how to send (chunks, flow control). Session faults that live in the
 * command line (hang, drop, dropidle) are applied here.
 *
 * Does not: touch sockets, timers or libssh; know any vendor by name.
 * Thread: the worker's. Owns: the session's input/output buffers.
 */
#include "sim_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 32
#define DROP_MIN   64 /* a drop fault cuts outputs at least this long */

typedef struct var {
    const char *name;
    const char *value;
} var_t;

typedef struct match {
    int rule; /* rule index, or -1 with err set */
    int err;  /* enum sim_err_kind, or -1 */
    size_t col;
    char token[64];
    char choices[512];
    char arg[256];           /* the first non-keyword word's text */
    char norm[SIM_LINE_MAX]; /* the line with keywords spelt out */
} match_t;

typedef struct tokens {
    int n;
    size_t off[MAX_TOKENS];
    size_t len[MAX_TOKENS];
} tokens_t;

/* ---- output helpers ---------------------------------------------------- */

static const char *var_get(const var_t *vars, int n, const char *name,
                           size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(vars[i].name) == len &&
            strncmp(vars[i].name, name, len) == 0)
            return vars[i].value;
    return NULL;
}

/* Appends s; crlf: each '\n' goes out as "\r\n". */
static void append_lines(fn_buf_t *out, const char *s, int crlf)
{
    while (*s) {
        size_t run = crlf ? strcspn(s, "\n") : strlen(s);
        fn_buf_append(out, s, run);
        s += run;
        if (*s == '\n') {
            fn_buf_append(out, "\r\n", 2);
            s++;
        }
    }
}

/* Appends template t with {name} replaced from vars (unknown names stay
 * verbatim, so Junos braces survive). crlf: '\n' becomes "\r\n". */
static void expand(fn_buf_t *out, const char *t, const var_t *vars, int n,
                   int crlf)
{
    while (*t) {
        size_t run = strcspn(t, "{\n");
        fn_buf_append(out, t, run);
        t += run;
        if (*t == '\n') {
            fn_buf_append_str(out, crlf ? "\r\n" : "\n");
            t++;
            continue;
        }
        if (*t != '{')
            break;
        size_t nl = strspn(t + 1, "abcdefghijklmnopqrstuvwxyz_");
        const char *val = t[1 + nl] == '}' ? var_get(vars, n, t + 1, nl) : NULL;
        if (val) {
            append_lines(out, val, crlf);
            t += nl + 2;
        } else {
            fn_buf_append(out, t, 1);
            t++;
        }
    }
}

static void out_str(sim_cli_t *c, const char *s)
{
    fn_buf_append_str(&c->out, s);
}

/* Session variables every template may use. vars must hold 8 entries;
 * buffers in scratch (>= 64 bytes) back the numbers. */
static int session_vars(const sim_cli_t *c, var_t *vars, char *scratch)
{
    uint64_t h = sim_mix64(c->opts->seed * 31u + c->dev->idx);
    snprintf(scratch, 64, "%u", c->dev->idx);
    snprintf(scratch + 16, 48, "%u", c->opts->base_port + c->dev->idx);
    snprintf(scratch + 32, 32, "%08X", (unsigned)(h & 0xffffffffu));
    int n = 0;
    vars[n++] = (var_t){"host", c->dev->host};
    vars[n++] = (var_t){"user", c->user};
    vars[n++] = (var_t){"vendor", c->v->name};
    vars[n++] = (var_t){"arg", c->arg};
    vars[n++] = (var_t){"idx", scratch};
    vars[n++] = (var_t){"port", scratch + 16};
    vars[n++] = (var_t){"serial", scratch + 32};
    vars[n++] = (var_t){"sess", c->sess};
    return n;
}

static void render_prompt(const sim_cli_t *c, fn_buf_t *out)
{
    var_t vars[8];
    char scratch[64];
    int n = session_vars(c, vars, scratch);
    expand(out, c->v->modes[c->mode].prompt, vars, n, 1);
}

static void out_prompt(sim_cli_t *c)
{
    render_prompt(c, &c->out);
}

/* ---- generated running config ------------------------------------------ */

void sim_config_render(fn_buf_t *out, const sim_device_t *d, uint64_t seed,
                       unsigned lines)
{
    const sim_vendor_t *v = d->vendor;
    char num[6][16];
    unsigned done = 0;
    for (unsigned n = 1; v->ngen > 0 && done < lines; n++) {
        uint64_t h = sim_mix64(seed ^ sim_mix64((uint64_t)d->idx << 20 | n));
        snprintf(num[0], 16, "%u", n);
        snprintf(num[1], 16, "%u", (unsigned)(h & 0xff));
        snprintf(num[2], 16, "%u", (unsigned)(h >> 8 & 0xff));
        snprintf(num[3], 16, "%u", (unsigned)(h >> 16 & 0xff));
        snprintf(num[4], 16, "%u", (unsigned)(h >> 24 & 0xfff) + 100);
        snprintf(num[5], 16, "%04x", (unsigned)(h >> 40 & 0xffff));
        const var_t vars[] = {{"n", num[0]},    {"a", num[1]},    {"b", num[2]},
                              {"c", num[3]},    {"vlan", num[4]}, {"r", num[5]},
                              {"host", d->host}};
        for (int g = 0; g < v->ngen && done < lines; g++, done++) {
            expand(out, v->gen[g], vars, 7, 0);
            fn_buf_append_str(out, "\n");
        }
    }
    if (d->added.len)
        fn_buf_append(out, d->added.data, d->added.len);
}

/* ---- matching ---------------------------------------------------------- */

static void tokenize(const char *line, size_t len, tokens_t *t)
{
    t->n = 0;
    size_t i = 0;
    while (i < len && t->n < MAX_TOKENS) {
        while (i < len && line[i] == ' ')
            i++;
        if (i == len)
            break;
        t->off[t->n] = i;
        while (i < len && line[i] != ' ')
            i++;
        t->len[t->n] = i - t->off[t->n];
        t->n++;
    }
}

static int is_num(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return len > 0;
}

static int key_prefix(const char *key, const char *tok, size_t len)
{
    return strlen(key) >= len && strncasecmp(key, tok, len) == 0;
}

static int key_exact(const char *key, const char *tok, size_t len)
{
    return strlen(key) == len && strncasecmp(key, tok, len) == 0;
}

static void set_err(match_t *m, int err, size_t col, const char *tok,
                    size_t len)
{
    m->err = err;
    m->col = col;
    snprintf(m->token, sizeof(m->token), "%.*s", (int)len, tok);
}

/* The distinct keywords at position k of live rules that tok prefixes;
 * collected into m->choices. Returns how many; *exact set if one equals
 * tok. */
static int keyword_choices(const sim_vendor_t *v, const char *alive, int k,
                           const char *tok, size_t len, int *exact, match_t *m,
                           const char **uniq)
{
    const char *seen[64];
    int count = 0;
    *exact = 0;
    m->choices[0] = '\0';
    for (int r = 0; r < v->nrules; r++) {
        const sim_rule_t *ru = &v->rules[r];
        if (alive[r] != 1 || k >= ru->nwords || ru->words[k].kind != SIM_W_KEY)
            continue;
        const char *key = ru->words[k].text;
        if (!key_prefix(key, tok, len))
            continue;
        *exact |= key_exact(key, tok, len);
        int dup = 0;
        for (int i = 0; i < count && i < 64 && !dup; i++)
            dup = strcmp(seen[i], key) == 0;
        if (dup)
            continue;
        if (count < 64)
            seen[count] = key;
        size_t used = strlen(m->choices);
        snprintf(m->choices + used, sizeof(m->choices) - used, "%s%s",
                 count ? "\n  " : "", key);
        *uniq = key;
        count++;
    }
    return count;
}

/* Does rule word w accept tok, given what keywords matched? */
static int word_accepts(const sim_word_t *w, const char *tok, size_t len,
                        int exact, int nkeys, const char *uniq)
{
    switch (w->kind) {
    case SIM_W_KEY:
        if (exact)
            return key_exact(w->text, tok, len);
        return nkeys == 1 && strcmp(w->text, uniq) == 0;
    case SIM_W_NUM:
        return !exact && nkeys != 1 && is_num(tok, len);
    default:
        return !exact && nkeys != 1;
    }
}

/* One position of the walk. alive[r]: 0 dead, 1 live, 2 done by <rest>.
 * Returns 0, or -1 with m->err set. */
static int match_step(const sim_vendor_t *v, char *alive, int k,
                      const char *line, const tokens_t *t, match_t *m)
{
    const char *tok = line + t->off[k];
    size_t len = t->len[k];
    int exact, had_complete = 0, live = 0;
    const char *uniq = NULL;
    int nkeys = keyword_choices(v, alive, k, tok, len, &exact, m, &uniq);
    for (int r = 0; r < v->nrules; r++) {
        const sim_rule_t *ru = &v->rules[r];
        if (alive[r] != 1)
            continue;
        if (k >= ru->nwords) {
            had_complete = 1;
            alive[r] = 0;
        } else if (!word_accepts(&ru->words[k], tok, len, exact, nkeys, uniq)) {
            alive[r] = 0;
        } else if (ru->words[k].kind == SIM_W_REST) {
            alive[r] = 2;
        }
    }
    for (int r = 0; r < v->nrules; r++)
        live += alive[r] != 0;
    if (live)
        return 0;
    int err = nkeys >= 2     ? SIM_E_AMBIGUOUS
              : k == 0       ? SIM_E_UNKNOWN
              : had_complete ? SIM_E_EXTRA
                             : SIM_E_INVALID;
    set_err(m, err, t->off[k], tok, len);
    return -1;
}

/* Fills m->arg and m->norm from the rule that matched. */
static void match_capture(const sim_rule_t *ru, const char *line,
                          size_t linelen, const tokens_t *t, match_t *m)
{
    size_t used = 0;
    m->arg[0] = m->norm[0] = '\0';
    for (int k = 0; k < ru->nwords && k < t->n; k++) {
        const sim_word_t *w = &ru->words[k];
        const char *s = line + t->off[k];
        int len = (int)t->len[k];
        if (w->kind == SIM_W_REST)
            len = (int)(linelen - t->off[k]);
        if (w->kind == SIM_W_KEY)
            s = w->text, len = (int)strlen(w->text);
        else if (m->arg[0] == '\0')
            snprintf(m->arg, sizeof(m->arg), "%.*s", len, s);
        if (used < sizeof(m->norm))
            used += (size_t)snprintf(m->norm + used, sizeof(m->norm) - used,
                                     "%s%.*s", k ? " " : "", len, s);
    }
}

static void match_line(const sim_cli_t *c, const char *line, size_t len,
                       match_t *m)
{
    const sim_vendor_t *v = c->v;
    char alive[v->nrules > 0 ? v->nrules : 1];
    tokens_t t;
    tokenize(line, len, &t);
    m->rule = m->err = -1;
    for (int r = 0; r < v->nrules; r++)
        alive[r] = (v->rules[r].modes >> c->mode) & 1u;
    for (int k = 0; k < t.n; k++) {
        if (match_step(v, alive, k, line, &t, m) < 0) {
            /* IOS tries a lone unknown word as a host name to telnet to */
            if (m->err == SIM_E_UNKNOWN && t.n == 1 && v->err[SIM_E_WORD] &&
                ((v->err_modes[SIM_E_WORD] >> c->mode) & 1u))
                m->err = SIM_E_WORD;
            return;
        }
    }
    for (int r = 0; r < v->nrules && m->rule < 0; r++)
        if (alive[r] == 2 || (alive[r] == 1 && v->rules[r].nwords == t.n))
            m->rule = r;
    if (m->rule >= 0)
        match_capture(&v->rules[m->rule], line, len, &t, m);
    else
        set_err(m, SIM_E_INCOMPLETE, len, "", 0);
}

/* ---- command output ---------------------------------------------------- */

/* The message for error kind k in the current mode: a mode-specific
 * override first, else the kind's default. */
static const char *err_msg(const sim_cli_t *c, int k, int *caret)
{
    const sim_vendor_t *v = c->v;
    for (int i = 0; i < v->nerr_over; i++) {
        const sim_err_over_t *o = &v->err_over[i];
        if (o->kind == k && ((o->modes >> c->mode) & 1u)) {
            *caret = o->caret;
            return o->msg;
        }
    }
    *caret = v->caret[k];
    return v->err[k];
}

static void out_error(sim_cli_t *c, const match_t *m)
{
    const sim_vendor_t *v = c->v;
    int k = m->err;
    if (!v->err[k] && k == SIM_E_BADPASS) {
        out_str(c, "% Access denied\r\n");
        return;
    }
    if (!v->err[k])
        k = SIM_E_INVALID;
    int caret;
    const char *msg = err_msg(c, k, &caret);
    if (caret) {
        fn_buf_t p;
        fn_buf_init(&p, 0);
        render_prompt(c, &p);
        for (size_t i = 0; i < p.len + m->col; i++)
            out_str(c, " ");
        out_str(c, "^\r\n");
        fn_buf_cleanup(&p);
    }
    /* {word}/{wcol}: the token without a leading menu '/' (RouterOS). */
    int slash = m->token[0] == '/';
    char col[16], wcol[16];
    snprintf(col, sizeof(col), "%zu", m->col + 1);
    snprintf(wcol, sizeof(wcol), "%zu", m->col + 1 + (size_t)slash);
    char line[SIM_LINE_MAX + 1];
    snprintf(line, sizeof(line), "%.*s", (int)c->linelen, c->line);
    const var_t vars[] = {{"token", m->token},
                          {"input", line},
                          {"col", col},
                          {"choices", m->choices},
                          {"word", m->token + slash},
                          {"wcol", wcol}};
    expand(&c->out, msg, vars, 6, 1);
    out_str(c, "\r\n");
}

/* Sends the next page of c->body, then the pager or the prompt.
 * Returns enum sim_cli_ret. */
static int page_next(sim_cli_t *c)
{
    const char *s = c->body.data + c->body_off;
    size_t left = c->body.len - c->body_off;
    size_t take = left;
    if (c->page_lines > 0 && c->v->pager) {
        int lines = 0;
        for (size_t i = 0; i < left; i++)
            if (s[i] == '\n' && ++lines == c->page_lines) {
                take = i + 1;
                break;
            }
    }
    fn_buf_append(&c->out, s, take);
    c->body_off += take;
    if (c->body_off < c->body.len) {
        out_str(c, c->v->pager);
        c->state = SIM_CLI_PAGER;
        return SIM_CLI_CONTINUE;
    }
    fn_buf_cleanup(&c->body);
    c->body_off = 0;
    c->state = SIM_CLI_IDLE;
    if (c->fault == SIM_F_HANG && c->shown == 1) {
        c->state = SIM_CLI_HUNG;
        return SIM_CLI_CONTINUE;
    }
    out_prompt(c);
    if (c->fault == SIM_F_DROPIDLE && c->shown == 1) {
        c->state = SIM_CLI_CLOSED;
        return SIM_CLI_DROP;
    }
    return SIM_CLI_CONTINUE;
}

/* Output of a show-like command: faults first, then the pager. */
static int out_body(sim_cli_t *c)
{
    c->shown++;
    if (c->fault == SIM_F_DROP && c->body.len >= DROP_MIN) {
        fn_buf_append(&c->out, c->body.data, c->body.len / 2);
        fn_buf_cleanup(&c->body);
        c->state = SIM_CLI_CLOSED;
        return SIM_CLI_DROP;
    }
    return page_next(c);
}

/* ---- candidate configuration ------------------------------------------- */

/* The buffer uncommitted lines go to: the device's shared candidate
 * (Junos) or this session's (IOS-XR, an EOS config session). */
static fn_buf_t *cand_buf(sim_cli_t *c)
{
    return c->v->cand_scope == SIM_CAND_DEVICE ? &c->dev->cand : &c->cand;
}

static int in_candidate_mode(const sim_cli_t *c)
{
    return c->v->cand_scope != SIM_CAND_NONE &&
           ((c->v->cand_modes >> c->mode) & 1u);
}

static int cand_pending(sim_cli_t *c)
{
    return c->v->cand_scope != SIM_CAND_NONE && cand_buf(c)->len > 0;
}

static void record_line(sim_cli_t *c, const match_t *m)
{
    fn_buf_t *to = in_candidate_mode(c) ? cand_buf(c) : &c->dev->added;
    fn_buf_append_str(to, c->v->modes[c->mode].indent);
    fn_buf_append_str(to, m->norm);
    fn_buf_append_str(to, "\n");
}

/* Candidate -> running. Returns 0, or -1 (the candidate holds the
 * vendor's commit_fail trigger: its message is printed, nothing
 * applies and the candidate stays, as on the devices). */
static int cand_commit(sim_cli_t *c)
{
    fn_buf_t *b = cand_buf(c);
    const char *trig = c->v->commit_fail;
    if (trig && b->len && memmem(b->data, b->len, trig, strlen(trig))) {
        append_lines(&c->out, c->v->commit_fail_msg, 1);
        out_str(c, "\r\n");
        return -1;
    }
    if (b->len)
        fn_buf_append(&c->dev->added, b->data, b->len);
    fn_buf_reset(b);
    return 0;
}

static void cand_discard(sim_cli_t *c)
{
    fn_buf_reset(cand_buf(c));
}

/* Prints the action's message with {val}. */
static void out_msg(sim_cli_t *c, const char *msg, const match_t *m)
{
    var_t vars[9];
    char scratch[64];
    int n = session_vars(c, vars, scratch);
    vars[n++] = (var_t){"val", m ? m->arg : ""};
    expand(&c->out, msg, vars, n, 1);
    out_str(c, "\r\n");
}

/* Leaves configuration mode for mode `to`, asking first when the vendor
 * has a question and lines are uncommitted. Returns 1 if it asked. */
static int cand_leave(sim_cli_t *c, int to, const char *msg)
{
    if (c->v->ask && cand_pending(c)) {
        append_lines(&c->out, c->v->ask, 1);
        c->ask_to = to;
        c->state = SIM_CLI_ASK;
        return 1;
    }
    if (msg)
        out_msg(c, msg, NULL);
    c->mode = to;
    return 0;
}

static void ask_done(sim_cli_t *c)
{
    out_str(c, "\r\n");
    int i = 2;
    if (c->linelen == 3 && strncasecmp(c->line, "yes", 3) == 0)
        i = 0;
    else if (c->linelen == 2 && strncasecmp(c->line, "no", 2) == 0)
        i = 1;
    else if (c->linelen == 1)
        i = c->line[0] == 'y' || c->line[0] == 'Y'   ? 0
            : c->line[0] == 'n' || c->line[0] == 'N' ? 1
                                                     : 2;
    int ans = c->v->ask_ans[i];
    c->linelen = 0;
    c->state = SIM_CLI_IDLE;
    if (ans == SIM_ANS_COMMIT && cand_commit(c) < 0)
        ans = SIM_ANS_STAY;
    if (ans == SIM_ANS_DISCARD)
        cand_discard(c);
    if (ans != SIM_ANS_STAY)
        c->mode = c->ask_to;
    out_prompt(c);
}

/* Prints the candidate's lines (Junos "show | compare" style). */
static void out_candidate(sim_cli_t *c)
{
    fn_buf_t *b = cand_buf(c);
    const char *s = b->data, *end = b->data + b->len;
    while (s && s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
        out_str(c, "+");
        fn_buf_append(&c->out, s, len);
        out_str(c, "\r\n");
        s += len + 1;
    }
}

/* A named config session (EOS "configure session NAME"): another name
 * starts from an empty candidate; no name is a fresh session with a
 * generated one ("configure session" alone). */
static void enter_session(sim_cli_t *c, const char *name)
{
    char fresh[32];
    if (!*name) {
        snprintf(fresh, sizeof(fresh), "s%u", ++c->sessions);
        name = fresh;
    }
    if (strcmp(c->sess, name) != 0)
        cand_discard(c);
    snprintf(c->sess, sizeof(c->sess), "%.*s", (int)sizeof(c->sess) - 1, name);
}

/* Runs the candidate actions. Returns 1 if the prompt must wait (a
 * question was asked). */
static int run_cand_action(sim_cli_t *c, const sim_rule_t *ru, const match_t *m)
{
    switch (ru->action) {
    case SIM_A_COMMIT:
        if (cand_commit(c) < 0)
            return 0;
        if (ru->msg)
            out_msg(c, ru->msg, m);
        break;
    case SIM_A_DISCARD:
        cand_discard(c);
        if (ru->msg)
            out_msg(c, ru->msg, m);
        break;
    case SIM_A_LEAVE:
        return cand_leave(c, ru->target, ru->msg);
    case SIM_A_CANDIDATE:
        out_candidate(c);
        if (ru->msg)
            out_msg(c, ru->msg, m);
        return 0;
    case SIM_A_SESSION:
        enter_session(c, m->arg);
        break;
    default:
        return 0;
    }
    if (ru->target >= 0)
        c->mode = ru->target;
    return 0;
}

static int is_cand_action(int action)
{
    return action == SIM_A_COMMIT || action == SIM_A_DISCARD ||
           action == SIM_A_LEAVE || action == SIM_A_CANDIDATE ||
           action == SIM_A_SESSION;
}

static void render_text(sim_cli_t *c, const sim_rule_t *ru)
{
    var_t vars[10];
    char scratch[64], size[24];
    int n = session_vars(c, vars, scratch);
    fn_buf_t cfg;
    fn_buf_init(&cfg, 0);
    if (ru->action == SIM_A_RUNNING)
        sim_config_render(&cfg, c->dev, c->opts->seed, c->opts->config_lines);
    snprintf(size, sizeof(size), "%zu", cfg.len);
    vars[n++] = (var_t){"config", cfg.data ? cfg.data : ""};
    vars[n++] = (var_t){"size", size};
    fn_buf_reset(&c->body);
    expand(&c->body, c->v->texts[ru->text].body, vars, n, 1);
    fn_buf_cleanup(&cfg);
}

static int run_rule(sim_cli_t *c, const sim_rule_t *ru, const match_t *m)
{
    if (is_cand_action(ru->action)) {
        if (!run_cand_action(c, ru, m))
            out_prompt(c);
        return SIM_CLI_CONTINUE;
    }
    if (ru->msg && ru->action != SIM_A_ENABLE)
        out_msg(c, ru->msg, m);
    switch (ru->action) {
    case SIM_A_TEXT:
    case SIM_A_RUNNING:
        render_text(c, ru);
        return out_body(c);
    case SIM_A_ENABLE:
        out_str(c, ru->msg ? ru->msg : "Password: ");
        c->enable_to = ru->target;
        c->state = SIM_CLI_PASSWORD;
        return SIM_CLI_CONTINUE;
    case SIM_A_SUBMODE:
        record_line(c, m);
        snprintf(c->arg, sizeof(c->arg), "%.*s", (int)sizeof(c->arg) - 1,
                 m->arg);
        c->mode = ru->target;
        break;
    case SIM_A_MODE:
        c->mode = ru->target;
        break;
    case SIM_A_SET:
        record_line(c, m);
        break;
    case SIM_A_PAGEOFF:
        c->page_lines = 0;
        break;
    case SIM_A_PAGELEN: {
        long n = strtol(m->arg, NULL, 10);
        c->page_lines = n <= 0 ? 0 : n > 1 ? (int)n - 1 : 1;
        break;
    }
    case SIM_A_LOGOUT:
        c->state = SIM_CLI_CLOSED;
        return SIM_CLI_LOGOUT;
    default:
        break;
    }
    out_prompt(c);
    return SIM_CLI_CONTINUE;
}

static int exec_line(sim_cli_t *c)
{
    match_t m;
    c->state = SIM_CLI_IDLE;
    c->commands++;
    match_line(c, c->line, c->linelen, &m);
    int ret;
    if (m.rule < 0) {
        out_error(c, &m);
        out_prompt(c);
        ret = SIM_CLI_CONTINUE;
    } else {
        ret = run_rule(c, &c->v->rules[m.rule], &m);
    }
    c->linelen = 0;
    return ret;
}

/* ---- input ------------------------------------------------------------- */

static void password_done(sim_cli_t *c)
{
    out_str(c, "\r\n");
    const char *want = c->opts->enable_password;
    if (strlen(want) == c->linelen && memcmp(want, c->line, c->linelen) == 0) {
        c->mode = c->enable_to;
    } else {
        match_t m = {.err = SIM_E_BADPASS};
        out_error(c, &m);
    }
    fn_memwipe(c->line, c->linelen);
    c->linelen = 0;
    c->state = SIM_CLI_IDLE;
    out_prompt(c);
}

/* Line editing in IDLE and PASSWORD. Returns 1 when a line ends. */
static int edit_byte(sim_cli_t *c, unsigned char b, int echo)
{
    if (b == '\r' || b == '\n')
        return 1;
    if (b == 0x7f || b == 0x08) {
        if (c->linelen > 0) {
            c->linelen--;
            if (echo)
                out_str(c, "\b \b");
        }
    } else if (b >= 0x20 && c->linelen < sizeof(c->line)) {
        c->line[c->linelen++] = (char)b;
        if (echo)
            fn_buf_append(&c->out, &b, 1);
    }
    return 0;
}

static int pager_key(sim_cli_t *c, unsigned char b)
{
    if (c->v->pager_erase)
        out_str(c, c->v->pager_erase);
    if (b == 'q' || b == 'Q') {
        fn_buf_cleanup(&c->body);
        c->body_off = 0;
        c->state = SIM_CLI_IDLE;
        out_str(c, "\r\n");
        out_prompt(c);
        return SIM_CLI_CONTINUE;
    }
    return page_next(c);
}

/* Consumes one byte in the current state. Returns enum sim_cli_ret. */
static int take_byte(sim_cli_t *c, unsigned char b)
{
    int swallow = c->last_cr && b == '\n';
    c->last_cr = b == '\r';
    if (swallow)
        return SIM_CLI_CONTINUE;
    switch (c->state) {
    case SIM_CLI_PAGER:
        return pager_key(c, b);
    case SIM_CLI_PASSWORD:
        if (edit_byte(c, b, 0))
            password_done(c);
        return SIM_CLI_CONTINUE;
    case SIM_CLI_ASK:
        if (edit_byte(c, b, 1))
            ask_done(c);
        return SIM_CLI_CONTINUE;
    case SIM_CLI_IDLE:
        if (!edit_byte(c, b, 1))
            return SIM_CLI_CONTINUE;
        out_str(c, "\r\n");
        if (c->linelen == 0)
            out_prompt(c);
        else
            c->state = SIM_CLI_EXEC;
        return SIM_CLI_CONTINUE;
    default:
        return SIM_CLI_CONTINUE;
    }
}

/* Reads type-ahead until a line waits for execution or input runs out. */
static int run_input(sim_cli_t *c)
{
    size_t i = 0;
    int ret = SIM_CLI_CONTINUE;
    while (i < c->in.len && ret == SIM_CLI_CONTINUE &&
           c->state != SIM_CLI_EXEC) {
        if (c->state == SIM_CLI_HUNG || c->state == SIM_CLI_CLOSED) {
            i = c->in.len;
            break;
        }
        ret = take_byte(c, (unsigned char)c->in.data[i++]);
    }
    if (i == c->in.len)
        fn_buf_cleanup(&c->in);
    else if (i > 0) {
        memmove(c->in.data, c->in.data + i, c->in.len - i);
        c->in.len -= i;
    }
    if (ret == SIM_CLI_CONTINUE && c->state == SIM_CLI_EXEC)
        ret = SIM_CLI_WAIT_EXEC;
    return ret;
}

/* ---- public ------------------------------------------------------------ */

void sim_cli_init(sim_cli_t *c, sim_device_t *dev, const sim_opts_t *o,
                  const char *user, int fault)
{
    memset(c, 0, sizeof(*c));
    c->v = dev->vendor;
    c->dev = dev;
    c->opts = o;
    c->fault = fault;
    c->mode = c->v->start_mode;
    c->page_lines = c->v->pager ? c->v->page_lines : 0;
    size_t ulen = strcspn(user, "+");
    if (user[ulen] == '+' && c->v->login_suffix_pageoff)
        c->page_lines = 0;
    else
        ulen = strlen(user);
    snprintf(c->user, sizeof(c->user), "%.*s", (int)ulen, user);
    fn_buf_init(&c->in, SIM_IN_MAX);
    fn_buf_init(&c->out, 0);
    fn_buf_init(&c->body, 0);
    fn_buf_init(&c->cand, 1u << 20);
}

void sim_cli_cleanup(sim_cli_t *c)
{
    fn_memwipe(c->line, sizeof(c->line));
    fn_buf_cleanup(&c->in);
    fn_buf_cleanup(&c->out);
    fn_buf_cleanup(&c->body);
    fn_buf_cleanup(&c->cand);
}

void sim_cli_start(sim_cli_t *c)
{
    for (int i = 0; i < c->v->ntexts; i++) {
        if (strcmp(c->v->texts[i].name, "banner") != 0)
            continue;
        var_t vars[8];
        char scratch[64];
        int n = session_vars(c, vars, scratch);
        expand(&c->out, c->v->texts[i].body, vars, n, 1);
    }
    out_prompt(c);
}

int sim_cli_feed(sim_cli_t *c, const void *data, size_t len)
{
    if (c->state == SIM_CLI_HUNG || c->state == SIM_CLI_CLOSED)
        return SIM_CLI_CONTINUE;
    fn_buf_append(&c->in, data, len);
    if (c->state == SIM_CLI_EXEC)
        return SIM_CLI_WAIT_EXEC;
    return run_input(c);
}

int sim_cli_exec(sim_cli_t *c)
{
    if (c->state != SIM_CLI_EXEC)
        return SIM_CLI_CONTINUE;
    int ret = exec_line(c);
    if (ret != SIM_CLI_CONTINUE)
        return ret;
    return run_input(c);
}
