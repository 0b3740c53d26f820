/*
 * matcher.c — the streaming matcher (fn_matcher.h): one pass over every
 * output byte of a command; prompt, pager, password prompt and vendor
 * errors decided as the bytes arrive; output cleaned into stdout/stderr.
 *
 * How: the bytes drive a tiny terminal for the current line (cursor,
 * '\r', '\b', CSI cursor moves and erases), so pager text and the
 * backspaces or "\r   \r" that erase it cancel out the way they do on a
 * screen. Cells erased after a pager hold a sentinel (NUL; NUL input bytes
 * are dropped) so they vanish from the text instead of turning into
 * blanks. When a line ends (or the line tail fills up) its text is
 * committed: the echo is dropped, the error keywords run over it
 * (the profile's shared automaton, one table load per byte), and it goes
 * to stdout or stderr. Prompts, pagers and password prompts are checked
 * only against the trailing partial line at the end of each feed call.
 * Everything that changes the text happens at a byte, never at a chunk
 * boundary, so 1-byte chunks give exactly the result of one chunk.
 *
 * Does not: allocate while feeding (besides growing stdout/stderr up to
 * their caps), log, or look at earlier lines again.
 * Thread: the one that owns the session.
 * Owns: its stdout/stderr buffers; borrows the profile.
 */
#include "fn_matcher.h"
#include "fn_err.h"
#include "vendors_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL '\0'

enum line_kind {
    KIND_NEW = 0, /* nothing of the line committed yet */
    KIND_OUT,     /* stdout */
    KIND_ERR,     /* stderr: an error or caret marker line */
    KIND_DROP,    /* echo, strip_line, password prompt: nowhere */
};

enum esc_state {
    ESC_NONE = 0,
    ESC_START, /* after ESC */
    ESC_CSI,   /* ESC [ params */
    ESC_OSC,   /* ESC ] ... until BEL or ESC \ */
    ESC_OSC_ESC,
    ESC_INTER, /* ESC + intermediate bytes, waiting for the final */
};

struct fn_matcher {
    const fn_vendor_t *v; /* borrowed */
    fn_buf_t out;         /* owned: cleaned stdout, capped at max_output */
    fn_buf_t err;         /* owned: stderr, capped at FN_MATCHER_ERR_MAX */
    const char *keyword;  /* borrowed from the profile, or NULL */
    size_t max_output;
    uint32_t lines;      /* lines committed in this command */
    uint16_t ac;         /* automaton state inside the current line */
    uint16_t len;        /* cells used in line[] */
    uint16_t cur;        /* cursor column in line[] */
    uint16_t erase_from; /* erasing: where the last backward move landed */
    uint16_t esc_arg;    /* first CSI parameter */
    uint16_t cmd_len;
    uint8_t esc;         /* enum esc_state */
    uint8_t esc_more;    /* past the first CSI parameter */
    uint8_t kind;        /* enum line_kind of the current line */
    uint8_t partial;     /* the line's head is already committed */
    uint8_t sentinels;   /* line[] may hold SENTINEL cells */
    uint8_t erasing;     /* blanks after a pager erase it */
    uint8_t pager_fired; /* FN_MATCH_PAGER sent for this line */
    uint8_t pw_fired;    /* FN_MATCH_PASSWORD sent for this line */
    uint8_t login;       /* begin(NULL): learn the base prompt */
    uint8_t done;        /* prompt seen */
    uint8_t error;       /* an error keyword matched */
    uint8_t err_started; /* the echo line is in err */
    uint8_t mode;        /* enum fn_vendor_mode of the last prompt */
    uint8_t mode_prev;   /* before it: fn_matcher_resume restores it */
    uint16_t cut;        /* done: the prompt starts here in line[] (the
                          * output's last line lacked its newline) */
    uint8_t gap_open;    /* counting the blanks right after that prompt */
    uint16_t prompt_len; /* the last prompt, trailing blanks cut */
    uint16_t gap;        /* blanks after it, whatever chunk they came in */
    uint16_t echo_pad;   /* blanks leading the echo line */
    uint16_t echo_rest;  /* bytes of the command a wrapped echo still owes */
    int events;          /* FN_MATCH_ERROR seen during this feed */
    char cmd[FN_MATCHER_CMD_MAX + 1];
    char prompt[FN_MATCHER_PROMPT_MAX + 1];
    char base[FN_MATCHER_BASE_MAX + 1];
    /* + the '\n' of a commit, + the automaton's read-ahead */
    char line[FN_MATCHER_LINE_MAX + 1 + FN__AC_PAD];
};

/* Bytes that are not plain text: controls except '\t', and DEL. */
static const uint8_t special[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
    [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1,
    [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1,
    [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
    [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1,
    [0x1f] = 1, [0x7f] = 1,
};

static const char caret_keyword[] = "^";

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- line text ----------------------------------------------------------- */

/* Removes SENTINEL cells in place; returns the new length. */
static size_t line_compact(char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != SENTINEL)
            s[j++] = s[i];
    return j;
}

/* The current line as text, copied into tmp when it holds sentinels. */
static size_t line_view(const fn_matcher_t *m, char *tmp, const char **s)
{
    if (!m->sentinels) {
        *s = m->line;
        return m->len;
    }
    memcpy(tmp, m->line, m->len);
    *s = tmp;
    return line_compact(tmp, m->len);
}

static size_t trim_blanks(const char **s, size_t n, size_t *trailing)
{
    size_t e = n;
    while (e > 0 && is_blank((*s)[e - 1]))
        e--;
    if (trailing)
        *trailing = n - e;
    return e;
}

static int glob_list(const fn__strlist_t *l, const char *s, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (fn__glob_match(l->items[i], s, n, NULL, NULL))
            return 1;
    return 0;
}

/* Which whole-line pattern lists (enum fn__line_list) may match the
 * line; trims the blanks around it. The profile's first/last byte tables
 * turn most lines away before any pattern is tried. */
static unsigned line_lists(const fn_vendor_t *v, const char **s, size_t *n)
{
    const char *p = *s;
    size_t k = *n;
    while (k > 0 && is_blank(*p)) {
        p++;
        k--;
    }
    k = trim_blanks(&p, k, NULL);
    if (k == 0 || k > FN_MATCHER_PROMPT_MAX)
        return 0;
    *s = p;
    *n = k;
    return v->line_first[(unsigned char)p[0]] &
           v->line_last[(unsigned char)p[k - 1]];
}

static const fn__strlist_t *line_list(const fn_vendor_t *v, unsigned which)
{
    return &v->list[which == FN__LINE_STRIP   ? FN__VL_STRIP_LINE
                    : which == FN__LINE_PAGER ? FN__VL_PAGER
                                              : FN__VL_PASSWORD];
}

/* The first list of `which` with a pattern matching the line, or 0. */
static unsigned line_is(const fn_vendor_t *v, unsigned which, const char *s,
                        size_t n)
{
    unsigned lists = line_lists(v, &s, &n) & which;
    for (unsigned bit = 1; lists; bit <<= 1) {
        if ((lists & bit) && glob_list(line_list(v, bit), s, n))
            return bit;
        lists &= ~bit;
    }
    return 0;
}

/* Inline first test of line_is: false for most lines. */
static int maybe_listed(const fn_vendor_t *v, unsigned lists, const char *s,
                        size_t n)
{
    unsigned char a = (unsigned char)s[0], z = (unsigned char)s[n - 1];
    unsigned first =
        is_blank((char)a) || a == SENTINEL ? 0xff : v->line_first[a];
    unsigned last = is_blank((char)z) || z == SENTINEL ? 0xff : v->line_last[z];
    return (first & last & lists) != 0;
}

static int is_caret_line(const char *s, size_t n)
{
    int carets = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '^')
            carets++;
        else if (!is_blank(s[i]))
            return 0;
    }
    return carets == 1;
}

/* The first line is the echo when it holds the head or the tail of the
 * command (terminal wrap junk may garble the rest). */
static int is_echo(fn_matcher_t *m, const char *s, size_t n)
{
    size_t k = m->cmd_len < 8 ? m->cmd_len : 8;
    const char *head = memmem(s, n, m->cmd, k);
    if (head) { /* blanks before the echo belong to the prompt's gap */
        size_t pad = (size_t)(head - s);
        while (pad > 0 && is_blank(s[pad - 1]))
            pad--;
        m->echo_pad = pad == 0 ? (uint16_t)(head - s) : 0;
        /* a device that wraps at its own width (80) owes the rest of the
         * command on the next lines */
        size_t shown = n - (size_t)(head - s);
        if (shown < m->cmd_len && !memcmp(head, m->cmd, shown))
            m->echo_rest = (uint16_t)(m->cmd_len - shown);
        return 1;
    }
    return memmem(s, n, m->cmd + m->cmd_len - k, k) != NULL;
}

/* ---- committing text
 * --------------------------------------------------------- */

/* The echo line as the device's screen showed it: the prompt, the
 * blanks after it, the command; so a caret marker counted from the start
 * of the prompt lines up under the command. */
static void err_echo_line(fn_matcher_t *m)
{
    static const char blanks[32] = "                                ";
    (void)fn_buf_append(&m->err, m->prompt, m->prompt_len);
    for (size_t pad = (size_t)m->gap + m->echo_pad; pad > 0;) {
        size_t k = pad < sizeof(blanks) ? pad : sizeof(blanks);
        (void)fn_buf_append(&m->err, blanks, k);
        pad -= k;
    }
    (void)fn_buf_append(&m->err, m->cmd, m->cmd_len);
    (void)fn_buf_append(&m->err, "\n", 1);
}

static void err_append(fn_matcher_t *m, const char *s, size_t n, int nl)
{
    if (!m->err_started && m->cmd_len)
        err_echo_line(m);
    m->err_started = 1;
    (void)fn_buf_append(&m->err, s, n);
    if (nl)
        (void)fn_buf_append(&m->err, "\n", 1);
}

static void error_hit(fn_matcher_t *m, const char *keyword)
{
    if (!m->error)
        m->keyword = keyword;
    m->error = 1;
    m->events |= FN_MATCH_ERROR;
}

static int classify(fn_matcher_t *m, const char *s, size_t n, int whole)
{
    const fn_vendor_t *v = m->v;
    /* the echo of an empty command (just Enter) is an empty line */
    if (m->lines == 0 && !m->login && (v->clean & FN__CLEAN_ECHO) &&
        (m->cmd_len ? is_echo(m, s, n) : n == 0 && whole))
        return KIND_DROP;
    if (m->echo_rest && n && n <= m->echo_rest &&
        !memcmp(s, m->cmd + m->cmd_len - m->echo_rest, n)) {
        m->echo_rest = (uint16_t)(m->echo_rest - n); /* more of the echo */
        return KIND_DROP;
    }
    m->echo_rest = 0;
    const unsigned all = FN__LINE_STRIP | FN__LINE_PAGER | FN__LINE_PASSWORD;
    if (whole && n > 0 && maybe_listed(v, all, s, n) && line_is(v, all, s, n))
        return KIND_DROP;
    if ((v->clean & FN__CLEAN_CARET) && is_caret_line(s, n)) {
        if (v->caret_error && !m->login)
            error_hit(m, caret_keyword);
        return KIND_ERR;
    }
    return KIND_OUT;
}

/* Appends a line (and its '\n' when nl) to stdout. */
static void out_line(fn_buf_t *b, const char *s, size_t n, int nl)
{
    if (b->len + n + 1 < b->cap && b->len + n + 1 <= b->max) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        if (nl)
            b->data[b->len++] = '\n';
        b->data[b->len] = '\0';
        return;
    }
    (void)fn_buf_append(b, s, n);
    if (nl)
        (void)fn_buf_append(b, "\n", 1);
}

/* Routes committed text (s, n), the whole line when nl, by the line's
 * kind; error keywords run over it. FN__AC_PAD bytes after s + n must be
 * readable (see fn__ac_run). */
static void route_text(fn_matcher_t *m, const char *s, size_t n, int nl)
{
    if (m->kind == KIND_NEW)
        m->kind = (uint8_t)classify(m, s, n, nl && !m->partial);
    if (m->kind == KIND_OUT && !m->login) {
        int id = fn__ac_run(&m->v->ac, &m->ac, s, n, nl);
        if (id >= 0) {
            error_hit(m, fn__vendor_keyword(m->v, id));
            m->kind = KIND_ERR;
        }
    }
    if (m->kind == KIND_ERR)
        err_append(m, s, n, nl);
    else if (m->kind == KIND_OUT)
        out_line(&m->out, s, n, nl);
}

/* Commits line[0, len): the whole line (nl) or its head (tail full). */
static void line_commit(fn_matcher_t *m, int nl)
{
    size_t n = m->sentinels ? line_compact(m->line, m->len) : m->len;
    route_text(m, m->line, n, nl);
    m->len = m->cur = 0;
    m->sentinels = 0;
    m->erasing = 0;
}

static void line_reset(fn_matcher_t *m)
{
    m->len = m->cur = 0;
    m->partial = m->sentinels = m->erasing = 0;
    m->pager_fired = m->pw_fired = 0;
    m->kind = KIND_NEW;
    m->ac = m->v->ac.line_start;
}

static void line_end(fn_matcher_t *m)
{
    line_commit(m, 1);
    line_reset(m);
    m->lines++;
}

/* The tail is full: commit its head so the line can go on. */
static void line_overflow(fn_matcher_t *m)
{
    line_commit(m, 0);
    m->partial = 1;
}

/* ---- the terminal
 * ------------------------------------------------------------ */

static void put_text(fn_matcher_t *m, const char *p, size_t n)
{
    while (n > 0) {
        if (m->cur == FN_MATCHER_LINE_MAX)
            line_overflow(m);
        size_t room = FN_MATCHER_LINE_MAX - m->cur;
        size_t k = n < room ? n : room;
        memcpy(m->line + m->cur, p, k);
        m->cur = (uint16_t)(m->cur + k);
        if (m->cur > m->len)
            m->len = m->cur;
        p += k;
        n -= k;
    }
}

/* Before the cursor moves back: a pager line being erased turns into
 * sentinels, and the blanks that follow erase (see erase_byte). */
static void pager_erase_check(fn_matcher_t *m)
{
    if (m->erasing || m->partial || !m->v->list[FN__VL_PAGER].n || m->len > 128)
        return;
    char tmp[FN_MATCHER_LINE_MAX];
    const char *s;
    size_t n = line_view(m, tmp, &s);
    if (!line_is(m->v, FN__LINE_PAGER, s, n))
        return;
    memset(m->line, SENTINEL, m->len);
    m->sentinels = 1;
    m->erasing = 1;
    m->pager_fired = 0;
}

static void cursor_back(fn_matcher_t *m, size_t k)
{
    /* cheap test first: most lines cannot be a pager */
    if (m->len > 0 && maybe_listed(m->v, FN__LINE_PAGER, m->line, m->len))
        pager_erase_check(m);
    m->cur = (uint16_t)(k > m->cur ? 0 : m->cur - k);
    m->erase_from = m->cur;
}

/* Cursor right past the text pads with blanks, as on a screen. */
static void cursor_forward(fn_matcher_t *m, size_t k)
{
    size_t to = m->cur + k;
    if (to > FN_MATCHER_LINE_MAX)
        to = FN_MATCHER_LINE_MAX;
    if (to > m->len) {
        memset(m->line + m->len, ' ', to - m->len);
        m->len = (uint16_t)to;
    }
    m->cur = (uint16_t)to;
}

/* CSI K: 0 erases to the end of the line, 1 and 2 blank cells out. */
static void erase_in_line(fn_matcher_t *m, unsigned mode)
{
    if (mode == 0) {
        if (m->cur < m->len)
            m->len = m->cur;
        return;
    }
    size_t to = mode == 1 ? m->cur : m->len;
    if (to > m->len)
        to = m->len;
    memset(m->line, SENTINEL, to);
    m->sentinels = 1;
}

static void csi_final(fn_matcher_t *m, unsigned char c)
{
    unsigned n = m->esc_arg ? m->esc_arg : 1;
    switch (c) {
    case 'D':
        cursor_back(m, n);
        break;
    case 'C':
        cursor_forward(m, n);
        break;
    case 'G':
        if (n - 1 < m->cur)
            cursor_back(m, m->cur - (n - 1));
        else
            cursor_forward(m, n - 1 - m->cur);
        break;
    case 'K':
        erase_in_line(m, m->esc_arg);
        break;
    default: /* colours, screen clears, scrolling: no effect on text */
        break;
    }
}

static void esc_byte(fn_matcher_t *m, unsigned char c)
{
    switch (m->esc) {
    case ESC_START:
        m->esc_arg = 0;
        m->esc_more = 0;
        m->esc = c == '['                   ? ESC_CSI
                 : c == ']'                 ? ESC_OSC
                 : (c >= 0x20 && c <= 0x2f) ? ESC_INTER
                                            : ESC_NONE;
        break;
    case ESC_CSI:
        if (c >= '0' && c <= '9') {
            if (!m->esc_more && m->esc_arg < 1000)
                m->esc_arg = (uint16_t)(m->esc_arg * 10 + (c - '0'));
        } else if (c >= 0x40 && c <= 0x7e) {
            m->esc = ESC_NONE;
            csi_final(m, c);
        } else if (c < 0x20 || c > 0x7e) {
            m->esc = ESC_NONE; /* malformed: drop the sequence */
        } else if (c == ';') {
            m->esc_more = 1; /* only the first parameter counts */
        }
        break;
    case ESC_OSC:
        if (c == 0x07)
            m->esc = ESC_NONE;
        else if (c == 0x1b)
            m->esc = ESC_OSC_ESC;
        break;
    case ESC_INTER:
        if (c < 0x20 || c > 0x2f)
            m->esc = ESC_NONE;
        break;
    default: /* ESC_OSC_ESC: ST or not, the string ends */
        m->esc = ESC_NONE;
        break;
    }
}

static void control_byte(fn_matcher_t *m, unsigned char c)
{
    switch (c) {
    case '\n':
        line_end(m);
        break;
    case '\r':
        cursor_back(m, m->cur);
        break;
    case '\b':
        cursor_back(m, 1);
        break;
    case 0x1b:
        m->esc = ESC_START;
        break;
    default: /* NUL, BEL, other controls, DEL: dropped */
        break;
    }
}

/* After a pager was erased by a backward move: blanks are the device
 * wiping the pager text, until a visible byte shows the output goes on;
 * blanks typed since the last backward move were real indentation. */
static void erase_byte(fn_matcher_t *m, unsigned char c)
{
    if (c == ' ') {
        if (m->cur < FN_MATCHER_LINE_MAX) {
            m->line[m->cur++] = SENTINEL;
            if (m->cur > m->len)
                m->len = m->cur;
        }
        return;
    }
    if (special[c]) {
        if (c == '\n')
            m->erasing = 0;
        control_byte(m, c);
        return;
    }
    for (size_t i = m->erase_from; i < m->cur; i++)
        if (m->line[i] == SENTINEL)
            m->line[i] = ' ';
    m->erasing = 0;
    put_text(m, (const char *)&c, 1);
}

/* ---- the trailing line
 * ------------------------------------------------------- */

static int prompt_try(fn_matcher_t *m, int mode, const char *s, size_t n,
                      size_t tb)
{
    const char *base = m->base[0] ? m->base : NULL;
    size_t np = fn_vendor_prompt_count(m->v, mode);
    for (size_t i = 0; i < np; i++) {
        const char *pat = fn_vendor_prompt_at(m->v, mode, i);
        fn__glob_cap_t cap = {NULL, 0};
        /* Once the base is known, base-less shapes ("$ ") are output. */
        if (base && !strstr(pat, "{base}"))
            continue;
        if (!fn__glob_match_line(pat, s, n, tb, base, &cap))
            continue;
        if (!base && m->login && cap.n && cap.n <= FN_MATCHER_BASE_MAX) {
            memcpy(m->base, cap.p, cap.n);
            m->base[cap.n] = '\0';
        }
        return 1;
    }
    return 0;
}

static int prompt_check(fn_matcher_t *m, const char *s, size_t n)
{
    size_t tb;
    n = trim_blanks(&s, n, &tb);
    int learning = m->login && !m->base[0];
    for (int mode = FN_VENDOR_MODE_USER; mode <= FN_VENDOR_MODE_CONFIG;
         mode++) {
        /* Config-mode shapes ("[x]") are not trusted to learn from. */
        if (learning && mode == FN_VENDOR_MODE_CONFIG)
            break;
        if (prompt_try(m, mode, s, n, tb)) {
            m->mode = (uint8_t)mode;
            return 1;
        }
    }
    return 0;
}

/* Keeps the prompt for the next command's stderr echo line. Its
 * trailing blanks are counted apart (gap), so blanks arriving after the
 * prompt fired (a later chunk) count the same. */
static void prompt_keep(fn_matcher_t *m, const char *s, size_t n)
{
    size_t tb;
    n = trim_blanks(&s, n, &tb);
    memcpy(m->prompt, s, n);
    m->prompt[n] = '\0';
    m->prompt_len = (uint16_t)n;
    m->gap = (uint16_t)tb;
    m->gap_open = 1;
}

/* After the prompt: only the blanks right after it are looked at. */
static void gap_count(fn_matcher_t *m, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len && m->gap_open; i++) {
        if (p[i] == ' ' && m->gap < FN_MATCHER_PROMPT_MAX)
            m->gap++;
        else
            m->gap_open = 0;
    }
}

/* Output that ends without a newline puts the prompt at the end of its
 * last line ("no newline herer1#"): where such a prompt starts, or 0.
 * Only once the base prompt is known, and only where the line holds it:
 * a prompt pattern may put text before the base ("RP/0/RSP0/CPU0:"), so
 * starts up to FN_MATCHER_PROMPT_MAX bytes before it are tried. */
static size_t prompt_suffix(fn_matcher_t *m, const char *s, size_t n)
{
    size_t blen = strlen(m->base);
    if (m->login || !blen || n <= blen)
        return 0;
    for (const char *b = memmem(s + 1, n - 1, m->base, blen); b;
         b = b + 1 < s + n
                 ? memmem(b + 1, (size_t)(s + n - b - 1), m->base, blen)
                 : NULL) {
        size_t at = (size_t)(b - s);
        size_t lo = at > FN_MATCHER_PROMPT_MAX ? at - FN_MATCHER_PROMPT_MAX : 1;
        for (size_t st = at + 1; st-- > lo;)
            if (n - st <= FN_MATCHER_PROMPT_MAX &&
                prompt_check(m, s + st, n - st))
                return st;
    }
    return 0;
}

static int tail_check(fn_matcher_t *m)
{
    if (m->partial || m->len == 0 || m->esc != ESC_NONE)
        return 0;
    char tmp[FN_MATCHER_LINE_MAX];
    const char *s;
    size_t n = line_view(m, tmp, &s);
    if (n == 0)
        return 0;
    uint8_t prev = m->mode;
    size_t cut = 0;
    int whole = n <= FN_MATCHER_PROMPT_MAX && prompt_check(m, s, n);
    if (whole || (cut = prompt_suffix(m, s, n)) > 0) {
        /* the line stays: fn_matcher_resume continues it, and finish
         * commits the output before a cut */
        m->mode_prev = prev;
        m->cut = (uint16_t)cut;
        prompt_keep(m, s + cut, n - cut);
        m->done = 1;
        return FN_MATCH_PROMPT;
    }
    if (n > FN_MATCHER_PROMPT_MAX)
        return 0;
    if (!m->pager_fired && line_is(m->v, FN__LINE_PAGER, s, n)) {
        m->pager_fired = 1;
        return FN_MATCH_PAGER;
    }
    if (!m->pw_fired && line_is(m->v, FN__LINE_PASSWORD, s, n)) {
        m->pw_fired = 1;
        return FN_MATCH_PASSWORD;
    }
    return 0;
}

/* 16 bytes at a time (GCC/clang vector extension). */
typedef uint8_t text_v16 __attribute__((vector_size(16)));

/* End of the run of plain text at p: 16 bytes at a time while none is
 * below 0x20 or DEL, then byte by byte. */
static const unsigned char *text_end(const unsigned char *p,
                                     const unsigned char *e)
{
    while (e - p >= 16) {
        text_v16 x;
        memcpy(&x, p, 16);
        text_v16 hit = (text_v16)((x < 0x20) | (x == 0x7f));
        uint64_t h[2];
        memcpy(h, &hit, 16);
        if (h[0])
            return p + __builtin_ctzll(h[0]) / 8;
        if (h[1])
            return p + 8 + __builtin_ctzll(h[1]) / 8;
        p += 16;
    }
    while (p < e && !special[*p])
        p++;
    return p;
}

/* ---- public
 * ------------------------------------------------------------------ */

int fn_matcher_new(fn_matcher_t **out, const fn_vendor_t *v, size_t max_output)
{
    fn_matcher_t *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->v = v;
    m->max_output = max_output ? max_output : FN_MATCHER_OUTPUT_DEFAULT;
    fn_buf_init(&m->out, m->max_output);
    fn_buf_init(&m->err, FN_MATCHER_ERR_MAX);
    m->mode = FN_VENDOR_MODE_UNKNOWN;
    *out = m;
    return fn_matcher_begin(m, NULL);
}

void fn_matcher_free(fn_matcher_t *m)
{
    if (!m)
        return;
    fn_buf_cleanup(&m->out);
    fn_buf_cleanup(&m->err);
    free(m);
}

/* A big output's buffer is given back rather than kept for the session. */
static void buf_recycle(fn_buf_t *b)
{
    if (b->cap > FN_MATCHER_KEEP_MAX) {
        size_t max = b->max;
        fn_buf_cleanup(b);
        fn_buf_init(b, max);
    }
    fn_buf_reset(b);
}

int fn_matcher_begin(fn_matcher_t *m, const char *command)
{
    buf_recycle(&m->out);
    buf_recycle(&m->err);
    m->keyword = NULL;
    m->lines = 0;
    m->esc = ESC_NONE;
    m->login = command == NULL;
    m->done = m->error = m->err_started = 0;
    m->cut = 0;
    m->events = 0;
    m->gap_open = 0;
    m->echo_pad = 0;
    m->echo_rest = 0;
    if (!command) /* login: the prompt is learned again */
        m->prompt_len = m->gap = 0;
    line_reset(m);
    size_t n = command ? strlen(command) : 0;
    while (n > 0 && (command[n - 1] == '\n' || command[n - 1] == '\r'))
        n--;
    if (n > FN_MATCHER_CMD_MAX)
        n = FN_MATCHER_CMD_MAX;
    if (n)
        memcpy(m->cmd, command, n);
    m->cmd[n] = '\0';
    m->cmd_len = (uint16_t)n;
    if (m->login)
        m->base[0] = '\0';
    return 0;
}

/* The common case, a whole plain line "text\r\n" inside the chunk at a
 * line start: routed straight from the chunk, without the terminal.
 * Gives what the byte-wise path gives (the same text reaches the same
 * routing); lines that may be pagers, that are too long, or too close
 * to the chunk's end for the automaton's read-ahead take the byte-wise
 * path. Returns the byte after the line, or NULL. */
static const unsigned char *whole_line(fn_matcher_t *m, const unsigned char *p,
                                       const unsigned char *q,
                                       const unsigned char *e)
{
    size_t n = (size_t)(q - p);
    if (m->len || m->partial || m->kind != KIND_NEW ||
        n > FN_MATCHER_LINE_MAX || (size_t)(e - q) < FN__AC_PAD + 2)
        return NULL;
    const unsigned char *after = q + 1;
    if (*q == '\r' && q[1] == '\n')
        after = q + 2;
    else if (*q != '\n')
        return NULL;
    if (*q == '\r' && m->v->list[FN__VL_PAGER].n &&
        maybe_listed(m->v, FN__LINE_PAGER, (const char *)p, n))
        return NULL;
    route_text(m, (const char *)p, n, 1);
    line_reset(m);
    m->lines++;
    return after;
}

int fn_matcher_feed(fn_matcher_t *m, const char *buf, size_t len)
{
    if (m->done) {
        gap_count(m, (const unsigned char *)buf, len);
        return 0;
    }
    const unsigned char *p = (const unsigned char *)buf;
    const unsigned char *e = p + len;
    m->events = 0;
    while (p < e) {
        if (m->esc != ESC_NONE) {
            esc_byte(m, *p++);
        } else if (m->erasing) {
            erase_byte(m, *p++);
        } else if (special[*p]) {
            control_byte(m, *p++);
        } else {
            const unsigned char *q = text_end(p + 1, e);
            const unsigned char *next = q < e ? whole_line(m, p, q, e) : NULL;
            if (next) {
                p = next;
                continue;
            }
            put_text(m, (const char *)p, (size_t)(q - p));
            p = q;
        }
    }
    return m->events | tail_check(m);
}

int fn_matcher_relearn(fn_matcher_t *m)
{
    if (m->done || m->partial || m->esc != ESC_NONE || !m->len)
        return 0;
    char tmp[FN_MATCHER_LINE_MAX];
    const char *s;
    size_t n = line_view(m, tmp, &s);
    if (n > FN_MATCHER_PROMPT_MAX)
        return 0;
    char saved[FN_MATCHER_BASE_MAX + 1];
    memcpy(saved, m->base, sizeof(saved));
    uint8_t login = m->login, prev = m->mode;
    m->base[0] = '\0';
    m->login = 1; /* prompt_try learns the base from what matches */
    size_t tb;
    const char *t = s;
    size_t tn = trim_blanks(&t, n, &tb);
    int mode = FN_VENDOR_MODE_USER;
    while (mode <= FN_VENDOR_MODE_CONFIG && !prompt_try(m, mode, t, tn, tb))
        mode++;
    m->login = login;
    if (mode > FN_VENDOR_MODE_CONFIG || !m->base[0]) {
        memcpy(m->base, saved, sizeof(saved));
        return 0;
    }
    m->mode_prev = prev;
    m->mode = (uint8_t)mode;
    m->cut = 0;
    prompt_keep(m, s, n);
    m->done = 1;
    return FN_MATCH_PROMPT;
}

size_t fn_matcher_tail(const fn_matcher_t *m, char *buf, size_t cap)
{
    char tmp[FN_MATCHER_LINE_MAX];
    const char *s;
    size_t n = m->partial || m->esc != ESC_NONE ? 0 : line_view(m, tmp, &s);
    if (!cap)
        return 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(buf, s, n);
    buf[n] = '\0';
    return n;
}

int fn_matcher_resume(fn_matcher_t *m)
{
    if (!m->done)
        return 0;
    m->done = 0; /* the line, prompt and all, is still in line[] */
    m->cut = 0;
    m->gap_open = 0;
    m->mode = m->mode_prev;
    return 0;
}

const char *fn_matcher_pager_answer(const fn_matcher_t *m)
{
    return fn_vendor_pager_answer(m->v);
}

int fn_matcher_finish(fn_matcher_t *m, fn_match_result_t *r)
{
    if (!m->done && m->len > 0)
        line_overflow(m);
    if (m->done && m->cut) { /* output before a prompt on the same line */
        char tmp[FN_MATCHER_LINE_MAX + FN__AC_PAD];
        const char *s;
        (void)line_view(m, tmp, &s);
        route_text(m, s, m->cut, 1);
        m->lines++;
        m->cut = 0;
        line_reset(m);
    }
    r->exit_code = m->error ? 1 : 0;
    r->out = m->out.data ? m->out.data : "";
    r->out_len = m->out.len;
    r->err = m->err.data ? m->err.data : "";
    r->err_len = m->err.len;
    r->keyword = m->keyword;
    r->truncated = m->out.truncated || m->err.truncated;
    r->mode = m->mode;
    return 0;
}

const char *fn_matcher_base_prompt(const fn_matcher_t *m)
{
    return m->base;
}

int fn_matcher_mode(const fn_matcher_t *m)
{
    return m->mode;
}

size_t fn_matcher_state_size(void)
{
    return sizeof(fn_matcher_t);
}

size_t fn_matcher_memory(const fn_matcher_t *m)
{
    return sizeof(*m) + m->out.cap + m->err.cap;
}
