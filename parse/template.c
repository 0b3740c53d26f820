/*
 * template.c — compiles a TextFSM template into fn_parse_tpl_t.
 *
 * Follows python3-textfsm 1.1.0's parser line for line where it decides
 * what a template means (TextFSM._Parse, TextFSMValue.Parse,
 * TextFSMRule): the same tokenising (Value lines split on single
 * spaces), the same action grammar (its three action regexes, run here
 * through PCRE2), string.Template's `$` substitution, the same
 * validation and, where it has one, the same message, prefixed with
 * "file:line: ". Value groups are renamed `_fnvN` in the rule regexes:
 * PCRE2 caps group names at 32 bytes, TextFSM allows 48.
 *
 * Does no matching (fsm.c). Thread: any; owns nothing global.
 */
#include "parse_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"

/* The compiler's working state: the text, the cursor, the reason. */
typedef struct tc {
    const char *text, *end;
    const char *name;
    int line;
    char *reason;
    size_t reason_len;
    fn_parse_tpl_t *t;
    pcre2_code *re_match_action, *re_action[3];
} tc_t;

/* python3-textfsm's rule action grammar (TextFSMRule). */
#define NEWSTATE "(\\s+(?P<new_state>\\w+|\\\".*\\\"))?$"
#define RECOP    "(?P<rec_op>Clear|Clearall|Record|NoRecord)"
static const char *const action_res[3] = {
    "\\s+((?P<ln_op>Continue|Next|Error)(\\." RECOP ")?)" NEWSTATE,
    "\\s+" RECOP NEWSTATE,
    NEWSTATE,
};
static const char *const lop_names[] = {"Next", "Continue", "Error"};
static const char *const rop_names[] = {"NoRecord", "Record", "Clear",
                                        "Clearall"};
static const struct {
    const char *name;
    unsigned bit;
} opt_names[] = {{"Filldown", FN_PARSE_OPT_FILLDOWN},
                 {"Key", FN_PARSE_OPT_KEY},
                 {"Required", FN_PARSE_OPT_REQUIRED},
                 {"List", FN_PARSE_OPT_LIST},
                 {"Fillup", FN_PARSE_OPT_FILLUP}};

static int tc_fail(tc_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int tc_fail(tc_t *c, const char *fmt, ...)
{
    if (c->reason && c->reason_len) {
        int n = snprintf(c->reason, c->reason_len,
                         "%s:%d: ", c->name ? c->name : "template", c->line);
        if (n >= 0 && (size_t)n < c->reason_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->reason + n, c->reason_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return FN_ETEMPLATE;
}

/* Python's str.isspace() over ASCII (rstrip, strip, \s of comments). */
static int py_space(unsigned char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r') ||
           (ch >= 0x1c && ch <= 0x1f);
}

static int is_word(unsigned char ch)
{
    return ch == '_' || (ch >= '0' && ch <= '9') ||
           ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

/* Next template line as a NUL-terminated, rstripped copy (owned), split
 * as Python's text-mode file iteration does (\n, \r\n, \r). Returns 1 with
 * *out set, 0 at the end of the text, -ENOMEM. */
static int tc_next_line(tc_t *c, char **out)
{
    if (c->text >= c->end)
        return 0;
    const char *s = c->text, *e = s;
    while (e < c->end && *e != '\n' && *e != '\r')
        e++;
    c->text = e;
    if (e < c->end)
        c->text = e + 1 + (*e == '\r' && e + 1 < c->end && e[1] == '\n');
    while (e > s && py_space((unsigned char)e[-1]))
        e--;
    c->line++;
    *out = strndup(s, (size_t)(e - s));
    return *out ? 1 : -ENOMEM;
}

static int is_comment(const char *l)
{
    while (py_space((unsigned char)*l))
        l++;
    return *l == '#';
}

static pcre2_code *compile(const char *re, size_t len, uint32_t flags, int *err)
{
    PCRE2_SIZE off;
    return pcre2_compile((PCRE2_SPTR)re, len, flags, err, &off, NULL);
}

/* ---- Values ---------------------------------------------------------- */

static int value_add_opt(tc_t *c, fn__parse_value_t *v, const char *o, size_t n)
{
    for (size_t i = 0; i < sizeof opt_names / sizeof opt_names[0]; i++) {
        if (strlen(opt_names[i].name) != n || memcmp(opt_names[i].name, o, n))
            continue;
        if (v->opts & opt_names[i].bit)
            return tc_fail(c, "Duplicate option \"%.*s\" Line %d.", (int)n, o,
                           c->line);
        v->opts |= opt_names[i].bit;
        v->order[v->nopts++] = (uint8_t)opt_names[i].bit;
        return 0;
    }
    return tc_fail(c, "Unknown option \"%.*s\" Line %d.", (int)n, o, c->line);
}

/* The named groups of a List value's own regex, in group order: the keys
 * of the dict items Python's List option builds. */
static int value_list_names(fn__parse_value_t *v)
{
    uint32_t count, size;
    PCRE2_SPTR table;
    pcre2_pattern_info(v->list_re, PCRE2_INFO_CAPTURECOUNT, &v->list_ncap);
    pcre2_pattern_info(v->list_re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(v->list_re, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(v->list_re, PCRE2_INFO_NAMETABLE, &table);
    if (!count)
        return 0;
    v->list_grp = calloc(count, sizeof *v->list_grp);
    v->list_name = calloc(count, sizeof *v->list_name);
    if (!v->list_grp || !v->list_name)
        return -ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * size;
        uint32_t g = (uint32_t)e[0] << 8 | e[1], k = v->list_nnames;
        char *nm = strdup((const char *)e + 2);
        if (!nm)
            return -ENOMEM;
        while (k > 0 && v->list_grp[k - 1] > g) { /* table is by name */
            v->list_grp[k] = v->list_grp[k - 1];
            v->list_name[k] = v->list_name[k - 1];
            k--;
        }
        v->list_grp[k] = g;
        v->list_name[k] = nm;
        v->list_nnames++;
    }
    return 0;
}

/* `Value [opts] NAME (regex)`, tokenised like Python's line.split(' '). */
static int value_parse(tc_t *c, const char *l, fn__parse_value_t *v,
                       char **regex_out)
{
    int rc;
    const char *sp[3] = {NULL, NULL, NULL};
    const char *p = l;
    for (int i = 0; i < 3 && (p = strchr(p, ' ')); i++, p++)
        sp[i] = p;
    if (!sp[1])
        return tc_fail(c, "Expect at least 3 tokens on line. Line %d.",
                       c->line);
    const char *tok2 = sp[1] + 1, *name, *regex;
    size_t name_len;
    if (*tok2 != '(') {
        const char *o = sp[0] + 1;
        while (o <= sp[1]) {
            const char *comma = memchr(o, ',', (size_t)(sp[1] - o));
            const char *oe = comma ? comma : sp[1];
            rc = value_add_opt(c, v, o, (size_t)(oe - o));
            if (rc)
                return rc;
            o = oe + 1;
        }
        name = tok2;
        name_len = sp[2] ? (size_t)(sp[2] - tok2) : strlen(tok2);
        regex = sp[2] ? sp[2] + 1 : "";
    } else {
        name = sp[0] + 1;
        name_len = (size_t)(sp[1] - name);
        regex = tok2;
    }
    if (name_len > FN__PARSE_MAX_NAME)
        return tc_fail(c,
                       "Invalid Value name '%.*s' or name too long. Line %d.",
                       (int)name_len, name, c->line);
    size_t rl = strlen(regex), open = 0, close = 0;
    for (size_t i = 0; i < rl; i++) {
        open += regex[i] == '(';
        close += regex[i] == ')';
    }
    if (rl < 2 || regex[0] != '(' || regex[rl - 1] != ')' || open != close)
        return tc_fail(c,
                       "Value '%s' must be contained within a '()' pair. "
                       "Line %d.",
                       regex, c->line);
    if (!(v->name = strndup(name, name_len)) || !(*regex_out = strdup(regex)))
        return -ENOMEM;
    if (v->opts & FN_PARSE_OPT_LIST) {
        int err;
        v->list_re = compile(regex, rl, PCRE2_ANCHORED, &err);
        if (!v->list_re) {
            PCRE2_UCHAR msg[120];
            pcre2_get_error_message(err, msg, sizeof msg);
            return tc_fail(c, "%s Line %d.", (const char *)msg, c->line);
        }
        pcre2_jit_compile(v->list_re, PCRE2_JIT_COMPLETE);
        rc = value_list_names(v);
        if (v->list_ncap > c->t->max_cap)
            c->t->max_cap = v->list_ncap;
        return rc;
    }
    return 0;
}

/* Reads the Value block; the Value regexes are kept in regexes[] (owned)
 * for rule substitution. Returns 0 or an error. */
static int tc_values(tc_t *c, char ***regexes)
{
    fn_parse_tpl_t *t = c->t;
    char *l;
    int rc;
    while ((rc = tc_next_line(c, &l)) == 1) {
        if (!*l || is_comment(l)) {
            int blank = !*l;
            free(l);
            if (blank)
                return 0;
            continue;
        }
        if (strncmp(l, "Value ", 6) != 0) {
            free(l);
            return t->nvalues ? tc_fail(c,
                                        "Expected blank line after last "
                                        "Value entry. Line: %d.",
                                        c->line)
                              : tc_fail(c, "No Value definitions found.");
        }
        fn__parse_value_t *nv =
            realloc(t->values, (t->nvalues + 1) * sizeof *nv);
        char **nr = realloc(*regexes, (t->nvalues + 1) * sizeof *nr);
        if (nv)
            t->values = nv;
        if (nr)
            *regexes = nr;
        if (!nv || !nr) {
            free(l);
            return -ENOMEM;
        }
        fn__parse_value_t *v = &t->values[t->nvalues];
        memset(v, 0, sizeof *v);
        (*regexes)[t->nvalues] = NULL;
        t->nvalues++;
        rc = value_parse(c, l, v, &(*regexes)[t->nvalues - 1]);
        free(l);
        if (rc)
            return rc;
        for (size_t i = 0; i + 1 < t->nvalues; i++)
            if (strcmp(t->values[i].name, v->name) == 0)
                return tc_fail(c,
                               "Duplicate declarations for Value '%s'. "
                               "Line: %d.",
                               v->name, c->line);
    }
    return rc;
}

/* ---- rules ------------------------------------------------------------ */

static int value_index(const fn_parse_tpl_t *t, const char *name, size_t n)
{
    for (size_t i = 0; i < t->nvalues; i++)
        if (strlen(t->values[i].name) == n &&
            memcmp(t->values[i].name, name, n) == 0)
            return (int)i;
    return -1;
}

/* string.Template(match).substitute(value_map), Python 3.11's rules:
 * $$ -> $, $id and ${id} -> the Value's regex, anything else is an
 * error. */
static int rule_substitute(tc_t *c, const char *m, size_t n,
                           char *const *regexes, fn_buf_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i] != '$') {
            fn_buf_append(out, m + i, 1);
            continue;
        }
        size_t s = i + 1, e;
        int braced = s < n && m[s] == '{';
        if (s < n && m[s] == '$') {
            fn_buf_append(out, "$", 1);
            i = s;
            continue;
        }
        s += (size_t)braced;
        e = s;
        if (e < n && is_word((unsigned char)m[e]) &&
            !(m[e] >= '0' && m[e] <= '9'))
            while (e < n && is_word((unsigned char)m[e]))
                e++;
        int vi = e > s ? value_index(c->t, m + s, e - s) : -1;
        if (e == s || (braced && (e >= n || m[e] != '}')) || vi < 0)
            return tc_fail(c,
                           "Duplicate or invalid variable substitution: "
                           "'%.*s'. Line: %d.",
                           (int)n, m, c->line);
        /* the Value's regex, its first group named after it */
        fn_buf_printf(out, "(?P<_fnv%d>", vi);
        fn_buf_append_str(out, regexes[vi] + 1);
        i = e - 1 + (size_t)braced;
    }
    return out->truncated ? -ENOMEM : 0;
}

/* Maps the rule regex's named groups to Values: the `_fnvN` groups of
 * substitutions and any group a template names after a Value itself. */
static int rule_groups(tc_t *c, fn__parse_rule_t *r)
{
    uint32_t count, size, ncap;
    PCRE2_SPTR table;
    pcre2_pattern_info(r->re, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(r->re, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(r->re, PCRE2_INFO_NAMETABLE, &table);
    pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
    if (ncap > c->t->max_cap)
        c->t->max_cap = ncap;
    if (count && !(r->grp = calloc(count, sizeof *r->grp)))
        return -ENOMEM;
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * size;
        const char *nm = (const char *)e + 2;
        char *end = NULL;
        long n = strncmp(nm, "_fnv", 4) == 0 ? strtol(nm + 4, &end, 10) : -1;
        int vi =
            end && end != nm + 4 && !*end && n >= 0 && (size_t)n < c->t->nvalues
                ? (int)n /* a substituted ${VALUE} */
                : value_index(c->t, nm, strlen(nm));
        if (vi < 0)
            continue;
        uint32_t g = (uint32_t)e[0] << 8 | e[1], k = r->ngrp;
        for (uint32_t j = 0; j < r->ngrp; j++)
            if (r->grp[j].value == (uint32_t)vi)
                return tc_fail(c,
                               "Invalid regular expression: redefinition of "
                               "group name '%s'. Line: %d.",
                               c->t->values[vi].name, c->line);
        while (k > 0 && r->grp[k - 1].group > g) {
            r->grp[k] = r->grp[k - 1];
            k--;
        }
        r->grp[k].group = g;
        r->grp[k].value = (uint32_t)vi;
        r->ngrp++;
    }
    return 0;
}

/* The rule's prefilter: PCRE2's start-of-match facts about the regex
 * without its leading '^', compiled unanchored (an anchored pattern has
 * none). A match at offset 0 of the anchored rule is a match of that
 * pattern, so its first byte is in the set and its length above the
 * minimum: a superset, never a wrong reject. */
static void rule_prefilter(fn__parse_rule_t *r, const char *re, size_t len)
{
    uint32_t type = 0, unit = 0;
    const uint8_t *bits = NULL;
    int err;
    memset(r->first, 0xff, sizeof r->first);
    r->min_len = 0;
    if (!len || re[0] != '^')
        return;
    pcre2_code *c = compile(re + 1, len - 1, 0, &err);
    if (!c)
        return;
    pcre2_pattern_info(c, PCRE2_INFO_MINLENGTH, &r->min_len);
    pcre2_pattern_info(c, PCRE2_INFO_FIRSTCODETYPE, &type);
    pcre2_pattern_info(c, PCRE2_INFO_FIRSTBITMAP, &bits);
    if (type == 1 &&
        pcre2_pattern_info(c, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 &&
        unit < 256) {
        memset(r->first, 0, sizeof r->first);
        r->first[unit >> 3] |= (uint8_t)(1u << (unit & 7));
        if ((unit | 0x20) >= 'a' && (unit | 0x20) <= 'z') { /* caseless */
            unit ^= 0x20;
            r->first[unit >> 3] |= (uint8_t)(1u << (unit & 7));
        }
    } else if (type == 0 && bits) {
        memcpy(r->first, bits, sizeof r->first);
    }
    pcre2_code_free(c);
}

/* Named substring `name` of a meta-regex match, or (NULL, 0). */
static const char *md_named(pcre2_code *re, pcre2_match_data *md,
                            const char *subj, const char *name, size_t *len)
{
    int g = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    *len = 0;
    if (g < 0 || ov[2 * g] == PCRE2_UNSET)
        return NULL;
    *len = ov[2 * g + 1] - ov[2 * g];
    return subj + ov[2 * g];
}

static int word_index(const char *const *names, int n, const char *s,
                      size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
            return i;
    return 0;
}

/* The action after " -> ": line op, record op, new state (or Error's
 * message), by python3-textfsm's three regexes in turn. new_state is
 * resolved to an index once every state is known (tc_validate). */
static int rule_action(tc_t *c, fn__parse_rule_t *r, const char *a, size_t n,
                       pcre2_match_data *md, char **state)
{
    int i;
    for (i = 0; i < 3; i++)
        if (pcre2_match(c->re_action[i], (PCRE2_SPTR)a, n, 0, 0, md, NULL) >= 0)
            break;
    if (i == 3)
        return tc_fail(c, "Badly formatted rule. Line: %d.", c->line);
    size_t len;
    const char *s = md_named(c->re_action[i], md, a, "ln_op", &len);
    if (s)
        r->lop = word_index(lop_names, 3, s, len);
    if ((s = md_named(c->re_action[i], md, a, "rec_op", &len)))
        r->rop = word_index(rop_names, 4, s, len);
    if ((s = md_named(c->re_action[i], md, a, "new_state", &len)) && len &&
        !(*state = strndup(s, len)))
        return -ENOMEM;
    if (r->lop == FN__LOP_CONTINUE && *state)
        return tc_fail(c,
                       "Action 'Continue' with new state %s specified. "
                       "Line: %d.",
                       *state, c->line);
    if (r->lop != FN__LOP_ERROR && *state && !is_word((unsigned char)**state))
        return tc_fail(c,
                       "Alphanumeric characters only in state names. "
                       "Line: %d.",
                       c->line);
    if (r->lop == FN__LOP_ERROR) {
        r->msg = *state;
        *state = NULL;
    }
    return 0;
}

/* One rule line ("  ^regex -> action"). *state (owned) gets the target
 * name for tc_validate. */
static int rule_parse(tc_t *c, const char *l, char *const *regexes,
                      fn__parse_rule_t *r, char **state)
{
    while (py_space((unsigned char)*l))
        l++;
    size_t n = strlen(l);
    const char *m = l, *a = NULL;
    size_t mlen = n, alen = 0;
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    fn_buf_t re;
    int rc = 0;
    if (!md)
        return -ENOMEM;
    fn_buf_init(&re, 0);
    if (pcre2_match(c->re_match_action, (PCRE2_SPTR)l, n, 0, 0, md, NULL) >=
        0) {
        m = md_named(c->re_match_action, md, l, "match", &mlen);
        a = md_named(c->re_match_action, md, l, "action", &alen);
        m = m ? m : l;
    }
    r->line = c->line;
    if (c->t->nvalues)
        rc = rule_substitute(c, m, mlen, regexes, &re);
    else
        rc = fn_buf_append(&re, m, mlen);
    if (rc == 0) {
        int err;
        r->re = compile(re.data ? re.data : "", re.len, PCRE2_ANCHORED, &err);
        if (!r->re)
            rc = tc_fail(c, "Invalid regular expression: '%s'. Line: %d.",
                         re.data ? re.data : "", c->line);
    }
    if (rc == 0) {
        r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
        rule_prefilter(r, re.data, re.len);
        rc = rule_groups(c, r);
    }
    if (rc == 0 && a) {
        char *act = strndup(a, alen);
        rc = act ? rule_action(c, r, act, alen, md, state) : -ENOMEM;
        free(act);
    }
    pcre2_match_data_free(md);
    fn_buf_cleanup(&re);
    return rc;
}

/* ---- states ------------------------------------------------------------ */

static int valid_state_name(const char *l)
{
    static const char *const reserved[] = {
        "Continue", "Next", "Error", "Clear", "Clearall", "Record", "NoRecord"};
    if (!*l || strlen(l) > FN__PARSE_MAX_NAME)
        return 0;
    for (const char *p = l; *p; p++)
        if (!is_word((unsigned char)*p))
            return 0;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(l, reserved[i]) == 0)
            return 0;
    return 1;
}

static int state_rules(tc_t *c, fn__parse_state_t *s, char ***tnames,
                       char *const *regexes)
{
    char *l;
    int rc;
    while ((rc = tc_next_line(c, &l)) == 1) {
        if (!*l) {
            free(l);
            return 0;
        }
        if (is_comment(l)) {
            free(l);
            continue;
        }
        if (strncmp(l, " ^", 2) && strncmp(l, "  ^", 3) &&
            strncmp(l, "\t^", 2)) {
            free(l);
            return tc_fail(c,
                           "Missing white space or carat ('^') before rule. "
                           "Line: %d",
                           c->line);
        }
        fn__parse_rule_t *nr = realloc(s->rules, (s->nrules + 1) * sizeof *nr);
        char **nt = realloc(*tnames, (s->nrules + 1) * sizeof *nt);
        if (nr)
            s->rules = nr;
        if (nt)
            *tnames = nt;
        if (!nr || !nt) {
            free(l);
            return -ENOMEM;
        }
        fn__parse_rule_t *r = &s->rules[s->nrules];
        memset(r, 0, sizeof *r);
        (*tnames)[s->nrules] = NULL;
        s->nrules++;
        rc = rule_parse(c, l, regexes, r, &(*tnames)[s->nrules - 1]);
        free(l);
        if (rc)
            return rc;
    }
    return rc;
}

/* One state: its name line, then rules up to a blank line. Returns 1 if
 * a state was read, 0 at the end of the text, or an error. */
static int tc_state(tc_t *c, char ****tnames, char *const *regexes)
{
    fn_parse_tpl_t *t = c->t;
    char *l;
    int rc;
    while ((rc = tc_next_line(c, &l)) == 1) {
        if (!*l || is_comment(l)) {
            free(l);
            continue;
        }
        if (!valid_state_name(l)) {
            rc = tc_fail(c, "Invalid state name: '%s'. Line: %d", l, c->line);
            free(l);
            return rc;
        }
        for (size_t i = 0; i < t->nstates; i++)
            if (strcmp(t->states[i].name, l) == 0) {
                rc = tc_fail(c, "Duplicate state name: '%s'. Line: %d", l,
                             c->line);
                free(l);
                return rc;
            }
        fn__parse_state_t *ns =
            realloc(t->states, (t->nstates + 1) * sizeof *ns);
        char ***nt = realloc(*tnames, (t->nstates + 1) * sizeof *nt);
        if (ns)
            t->states = ns;
        if (nt)
            *tnames = nt;
        if (!ns || !nt) {
            free(l);
            return -ENOMEM;
        }
        fn__parse_state_t *s = &t->states[t->nstates];
        memset(s, 0, sizeof *s);
        s->name = l;
        (*tnames)[t->nstates] = NULL;
        t->nstates++;
        rc = state_rules(c, s, &(*tnames)[t->nstates - 1], regexes);
        return rc ? rc : 1;
    }
    return rc;
}

static int state_index(const fn_parse_tpl_t *t, const char *name)
{
    for (size_t i = 0; i < t->nstates; i++)
        if (strcmp(t->states[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void state_free(fn__parse_state_t *s)
{
    for (size_t j = 0; j < s->nrules; j++) {
        pcre2_code_free(s->rules[j].re);
        free(s->rules[j].msg);
        free(s->rules[j].grp);
    }
    free(s->rules);
    free(s->name);
}

/* TextFSM._ValidateFSM: Start exists, End and EOF are empty, End goes,
 * every target exists; then targets become indexes. */
static int tc_validate(tc_t *c, char ***tnames)
{
    fn_parse_tpl_t *t = c->t;
    int end = state_index(t, "End"), eof = state_index(t, "EOF");
    if (state_index(t, "Start") < 0)
        return tc_fail(c, "Missing state 'Start'.");
    if (end >= 0 && t->states[end].nrules)
        return tc_fail(c, "Non-Empty 'End' state.");
    if (eof >= 0 && t->states[eof].nrules)
        return tc_fail(c, "Non-Empty 'EOF' state.");
    if (end >= 0) {
        state_free(&t->states[end]);
        free(tnames[end]);
        memmove(&t->states[end], &t->states[end + 1],
                (t->nstates - (size_t)end - 1) * sizeof *t->states);
        memmove(&tnames[end], &tnames[end + 1],
                (t->nstates - (size_t)end - 1) * sizeof *tnames);
        t->nstates--;
    }
    t->eof_declared = eof >= 0;
    t->start = state_index(t, "Start");
    for (size_t i = 0; i < t->nstates; i++)
        for (size_t j = 0; j < t->states[i].nrules; j++) {
            const char *n = tnames[i][j];
            fn__parse_rule_t *r = &t->states[i].rules[j];
            r->next = FN__STATE_SAME;
            if (!n || r->lop == FN__LOP_ERROR)
                continue;
            if (strcmp(n, "End") == 0)
                r->next = FN__STATE_END;
            else if (strcmp(n, "EOF") == 0)
                r->next = FN__STATE_EOF;
            else if ((r->next = state_index(t, n)) < 0)
                return tc_fail(c,
                               "State '%s' not found, referenced in state "
                               "'%s'",
                               n, t->states[i].name);
        }
    return 0;
}

/* ---- public ------------------------------------------------------------ */

fn_parse_tpl_t *fn_parse_tpl_ref(const fn_parse_tpl_t *t)
{
    fn_parse_tpl_t *m = (fn_parse_tpl_t *)t;
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

void fn_parse_tpl_free(fn_parse_tpl_t *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) > 0)
        return;
    for (size_t i = 0; i < t->nvalues; i++) {
        fn__parse_value_t *v = &t->values[i];
        free(v->name);
        pcre2_code_free(v->list_re);
        for (uint32_t k = 0; k < v->list_nnames; k++)
            free(v->list_name[k]);
        free(v->list_name);
        free(v->list_grp);
    }
    free(t->values);
    for (size_t i = 0; i < t->nstates; i++)
        state_free(&t->states[i]);
    free(t->states);
    free(t);
}

static int tc_meta(tc_t *c)
{
    int err;
    static const char ma[] = "(?P<match>.*)(\\s->(?P<action>.*))";
    c->re_match_action = compile(ma, sizeof ma - 1, PCRE2_ANCHORED, &err);
    for (int i = 0; i < 3; i++)
        c->re_action[i] =
            compile(action_res[i], PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED, &err);
    return c->re_match_action && c->re_action[0] && c->re_action[1] &&
                   c->re_action[2]
               ? 0
               : -ENOMEM;
}

static void tc_cleanup(tc_t *c, char **regexes, char ***tnames)
{
    fn_parse_tpl_t *t = c->t;
    for (size_t i = 0; regexes && i < t->nvalues; i++)
        free(regexes[i]);
    free(regexes);
    for (size_t i = 0; tnames && i < t->nstates; i++) {
        for (size_t j = 0; tnames[i] && j < t->states[i].nrules; j++)
            free(tnames[i][j]);
        free(tnames[i]);
    }
    free(tnames);
    pcre2_code_free(c->re_match_action);
    for (int i = 0; i < 3; i++)
        pcre2_code_free(c->re_action[i]);
}

int fn_parse_tpl_new(const char *text, size_t len, const char *name,
                     fn_parse_tpl_t **out, char *reason, size_t reason_len)
{
    tc_t c = {.text = text,
              .end = text + len,
              .name = name,
              .reason = reason,
              .reason_len = reason_len};
    char **regexes = NULL, ***tnames = NULL;
    int rc;
    *out = NULL;
    if (reason && reason_len)
        reason[0] = '\0';
    if (!(c.t = calloc(1, sizeof *c.t)))
        return -ENOMEM;
    rc = tc_meta(&c);
    if (rc == 0)
        rc = tc_values(&c, &regexes);
    while (rc == 0 && (rc = tc_state(&c, &tnames, regexes)) == 1)
        rc = 0;
    if (rc == 0)
        rc = tc_validate(&c, tnames);
    tc_cleanup(&c, regexes, tnames);
    if (rc == -ENOMEM && reason && reason_len)
        snprintf(reason, reason_len, "%s: out of memory",
                 name ? name : "template");
    if (rc) {
        fn_parse_tpl_free(c.t);
        return rc;
    }
    *out = c.t;
    return 0;
}

int fn_parse_tpl_load(const char *path, fn_parse_tpl_t **out, char *reason,
                      size_t reason_len)
{
    FILE *f = fopen(path, "rb");
    fn_buf_t b;
    char chunk[8192];
    size_t n;
    *out = NULL;
    if (!f) {
        int e = errno;
        if (reason && reason_len)
            snprintf(reason, reason_len, "%s: %s", path, strerror(e));
        return -e;
    }
    fn_buf_init(&b, 16u << 20);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (fn_buf_append(&b, chunk, n))
            break;
    int rerr = ferror(f);
    fclose(f);
    int rc = rerr ? -EIO : b.truncated ? FN_EFULL : 0;
    if (rc && reason && reason_len)
        snprintf(reason, reason_len, "%s: %s", path,
                 rerr ? "read error" : "template larger than 16 MiB");
    if (rc == 0)
        rc = fn_parse_tpl_new(b.data ? b.data : "", b.len, path, out, reason,
                              reason_len);
    fn_buf_cleanup(&b);
    return rc;
}

size_t fn_parse_tpl_nvalues(const fn_parse_tpl_t *t)
{
    return t->nvalues;
}

const char *fn_parse_tpl_value(const fn_parse_tpl_t *t, size_t i,
                               unsigned *opts)
{
    if (i >= t->nvalues)
        return NULL;
    if (opts)
        *opts = t->values[i].opts;
    return t->values[i].name;
}
