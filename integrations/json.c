/*
 * json.c — the purpose-written readers: JSON string-by-path, S3's XML
 * text scanner, secret loading and URL escaping. See
 * fn_integrations_int.h.
 *
 * The JSON reader walks the text once along the path, skipping whatever
 * is off the path with a depth cap, and never trusts a length: every
 * read checks the end pointer. It builds no tree and does not validate
 * parts of the document it does not need. Thread: any. Owns nothing.
 */
#include "fn_integrations_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fn_err.h"

#define JSON_MAX_DEPTH 64

typedef struct jcur {
    const char *p;
    const char *end;
    int depth;
} jcur_t;

static void skip_ws(jcur_t *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return FN_EPARSE;
    }
    *out = v;
    return 0;
}

static int put_utf8(fn_buf_t *out, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return out ? fn_buf_append(out, u, n) : 0;
}

/* \uXXXX, with a following low surrogate when the first is high. */
static int string_unicode(jcur_t *c, fn_buf_t *out)
{
    unsigned cp, lo;
    if (c->end - c->p < 5 || hex4(c->p + 1, &cp))
        return FN_EPARSE;
    c->p += 5;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
            hex4(c->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
            return FN_EPARSE;
        c->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return FN_EPARSE;
    }
    return put_utf8(out, cp);
}

static int string_escape(jcur_t *c, fn_buf_t *out)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    if (c->p >= c->end)
        return FN_EPARSE;
    if (*c->p == 'u')
        return string_unicode(c, out);
    const char *hit = memchr(from, *c->p, sizeof(from) - 1);
    if (!hit)
        return FN_EPARSE;
    c->p++;
    return out ? fn_buf_append(out, &to[hit - from], 1) : 0;
}

/* At an opening quote: decodes into out (NULL: skip). */
static int read_string(jcur_t *c, fn_buf_t *out)
{
    if (c->p >= c->end || *c->p != '"')
        return FN_EPARSE;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            c->p++;
            return 0;
        }
        if (ch < 0x20)
            return FN_EPARSE;
        c->p++;
        int rc = ch == '\\' ? string_escape(c, out)
                            : (out ? fn_buf_append(out, &ch, 1) : 0);
        if (rc)
            return rc;
    }
    return FN_EPARSE;
}

static int skip_value(jcur_t *c);

/* Skips an object or array; the opener is at c->p. */
static int skip_container(jcur_t *c)
{
    char close = *c->p == '{' ? '}' : ']';
    int is_obj = close == '}';
    if (++c->depth > JSON_MAX_DEPTH)
        return FN_EPARSE;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        int rc = 0;
        if (is_obj) {
            skip_ws(c);
            rc = read_string(c, NULL);
            skip_ws(c);
            if (!rc && (c->p >= c->end || *c->p++ != ':'))
                rc = FN_EPARSE;
        }
        if (!rc)
            rc = skip_value(c);
        if (rc)
            return rc;
        skip_ws(c);
        if (c->p >= c->end)
            return FN_EPARSE;
        if (*c->p == close) {
            c->p++;
            c->depth--;
            return 0;
        }
        if (*c->p++ != ',')
            return FN_EPARSE;
    }
}

static int skip_scalar(jcur_t *c)
{
    const char *start = c->p;
    while (c->p < c->end && *c->p &&
           (strchr("+-.eE", *c->p) || (*c->p >= '0' && *c->p <= '9') ||
            (*c->p >= 'a' && *c->p <= 'z')))
        c->p++;
    size_t n = (size_t)(c->p - start);
    if (n == 0)
        return FN_EPARSE;
    if ((n == 4 && (!memcmp(start, "true", 4) || !memcmp(start, "null", 4))) ||
        (n == 5 && !memcmp(start, "false", 5)))
        return 0;
    return (*start == '-' || (*start >= '0' && *start <= '9')) ? 0 : FN_EPARSE;
}

static int skip_value(jcur_t *c)
{
    skip_ws(c);
    if (c->p >= c->end)
        return FN_EPARSE;
    if (*c->p == '"')
        return read_string(c, NULL);
    if (*c->p == '{' || *c->p == '[')
        return skip_container(c);
    return skip_scalar(c);
}

/* In an object at '{': moves to the value of member `name`. */
static int find_member(jcur_t *c, const char *name, size_t nlen)
{
    fn_buf_t key;
    fn_buf_init(&key, 4096);
    int rc = FN_ENOTFOUND;
    c->p++;
    for (;;) {
        skip_ws(c);
        if (c->p < c->end && *c->p == '}')
            break;
        fn_buf_reset(&key);
        int r = read_string(c, &key);
        skip_ws(c);
        if (r || c->p >= c->end || *c->p++ != ':') {
            rc = r == -ENOMEM ? r : FN_EPARSE;
            break;
        }
        skip_ws(c);
        if (key.len == nlen && memcmp(key.data, name, nlen) == 0) {
            rc = 0;
            break;
        }
        if ((r = skip_value(c)) != 0) {
            rc = r;
            break;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p >= c->end || *c->p != '}')
            rc = FN_EPARSE;
        break;
    }
    fn_buf_cleanup(&key);
    return rc;
}

/* In an array at '[': moves to element idx. */
static int find_element(jcur_t *c, const char *seg, size_t slen)
{
    size_t idx = 0;
    if (slen == 0 || slen > 9)
        return FN_ENOTFOUND;
    for (size_t i = 0; i < slen; i++) {
        if (seg[i] < '0' || seg[i] > '9')
            return FN_ENOTFOUND;
        idx = idx * 10 + (size_t)(seg[i] - '0');
    }
    c->p++;
    for (size_t i = 0;; i++) {
        skip_ws(c);
        if (c->p < c->end && *c->p == ']')
            return FN_ENOTFOUND;
        if (i == idx)
            return 0;
        int rc = skip_value(c);
        if (rc)
            return rc;
        skip_ws(c);
        if (c->p >= c->end || (*c->p != ',' && *c->p != ']'))
            return FN_EPARSE;
        if (*c->p == ']')
            return FN_ENOTFOUND;
        c->p++;
    }
}

static int descend(jcur_t *c, const char *seg, size_t slen)
{
    skip_ws(c);
    if (c->p >= c->end)
        return FN_EPARSE;
    if (*c->p == '{')
        return find_member(c, seg, slen);
    if (*c->p == '[')
        return find_element(c, seg, slen);
    return FN_ENOTFOUND;
}

int fn__json_get_string(const char *json, size_t len, const char *path,
                        fn_buf_t *out)
{
    jcur_t c = {json, json + len, 0};
    fn_buf_reset(out);
    const char *seg = path;
    while (*seg) {
        const char *dot = strchr(seg, '.');
        size_t slen = dot ? (size_t)(dot - seg) : strlen(seg);
        int rc = descend(&c, seg, slen);
        if (rc)
            return rc;
        seg += slen + (dot ? 1 : 0);
    }
    skip_ws(&c);
    if (c.p >= c.end)
        return FN_EPARSE;
    if (*c.p != '"')
        return FN_ENOTFOUND;
    /* Decoded text is never longer than the raw text: size once so a
     * secret is never left behind by a realloc. */
    int rc = fn_buf_append(out, "", 0);
    size_t need = (size_t)(c.end - c.p);
    if (!rc && out->cap < need + 1) {
        char *p = malloc(need + 1);
        if (!p)
            return -ENOMEM;
        if (out->data)
            fn_memwipe(out->data, out->cap);
        free(out->data);
        out->data = p;
        out->cap = need + 1;
        out->data[0] = '\0';
    }
    rc = read_string(&c, out);
    if (rc)
        fn_buf_wipe(out);
    return rc;
}

int fn__json_put_string(fn_buf_t *out, const char *s)
{
    int rc = fn_buf_append(out, "\"", 1);
    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            rc = fn_buf_printf(out, "\\%c", ch);
        else if (ch < 0x20)
            rc = fn_buf_printf(out, "\\u%04x", ch);
        else
            rc = fn_buf_append(out, s, 1);
    }
    return rc ? rc : fn_buf_append(out, "\"", 1);
}

/* --- XML ------------------------------------------------------------- */

static int xml_decode(fn_buf_t *out, const char *s, size_t n)
{
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {{"&amp;", '&'},
                {"&lt;", '<'},
                {"&gt;", '>'},
                {"&quot;", '"'},
                {"&apos;", '\''}};
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t k = 0, nents = sizeof(ents) / sizeof(ents[0]);
        for (; s[i] == '&' && k < nents; k++) {
            size_t el = strlen(ents[k].ent);
            if (n - i >= el && memcmp(s + i, ents[k].ent, el) == 0)
                break;
        }
        if (s[i] == '&' && k < nents) {
            rc = fn_buf_append(out, &ents[k].ch, 1);
            i += strlen(ents[k].ent);
        } else {
            rc = fn_buf_append(out, s + i, 1);
            i++;
        }
    }
    return rc;
}

static const char *mem_find(const char *h, size_t hl, const char *n)
{
    size_t nl = strlen(n);
    for (size_t i = 0; nl <= hl && i <= hl - nl; i++)
        if (memcmp(h + i, n, nl) == 0)
            return h + i;
    return NULL;
}

int fn__xml_next(const char *xml, size_t len, const char *tag, size_t *pos,
                 fn_buf_t *out)
{
    char open[64], close[64];
    fn_buf_reset(out);
    if (snprintf(open, sizeof(open), "<%s>", tag) >= (int)sizeof(open) ||
        snprintf(close, sizeof(close), "</%s>", tag) >= (int)sizeof(close))
        return FN_ENOTFOUND;
    if (*pos >= len)
        return FN_ENOTFOUND;
    const char *o = mem_find(xml + *pos, len - *pos, open);
    if (!o)
        return FN_ENOTFOUND;
    const char *start = o + strlen(open);
    const char *c = mem_find(start, (size_t)(xml + len - start), close);
    if (!c)
        return FN_ENOTFOUND;
    *pos = (size_t)(c - xml) + strlen(close);
    return xml_decode(out, start, (size_t)(c - start));
}

/* --- secrets --------------------------------------------------------- */

static int secret_from_file(const char *path, char **out, char *reason,
                            size_t rlen)
{
    char buf[FN__SECRET_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(reason, rlen, "cannot read secret file %s: %s", path,
                 strerror(errno));
        return FN_ECREDS;
    }
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
        n += (size_t)r;
    close(fd);
    int rc = 0;
    if (n > FN__SECRET_MAX) {
        snprintf(reason, rlen, "secret file %s is too large", path);
        rc = FN_ECREDS;
    } else {
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        buf[n] = '\0';
        *out = n ? strdup(buf) : NULL;
        if (!n)
            snprintf(reason, rlen, "secret file %s is empty", path);
        rc = n ? (*out ? 0 : -ENOMEM) : FN_ECREDS;
    }
    fn_memwipe(buf, sizeof(buf));
    return rc;
}

int fn__secret_load(const char *env, const char *path, char **out, char *reason,
                    size_t rlen)
{
    *out = NULL;
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v) {
            snprintf(reason, rlen, "environment variable %s is %s", env,
                     v ? "empty" : "not set");
            return FN_ECREDS;
        }
        if (strlen(v) > FN__SECRET_MAX) {
            snprintf(reason, rlen, "environment variable %s is too long", env);
            return FN_ECREDS;
        }
        *out = strdup(v);
        return *out ? 0 : -ENOMEM;
    }
    if (path)
        return secret_from_file(path, out, reason, rlen);
    snprintf(reason, rlen, "no secret source configured");
    return FN_ECREDS;
}

void fn__secret_free(char *s)
{
    if (!s)
        return;
    fn_memwipe(s, strlen(s));
    free(s);
}

int fn__url_escape(fn_buf_t *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        int keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                   (ch >= '0' && ch <= '9') || strchr("-._~", ch) ||
                   (keep_slash && ch == '/');
        if (ch && keep) {
            rc = fn_buf_append(out, s, 1);
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            rc = fn_buf_append(out, esc, 3);
        }
    }
    return rc;
}
