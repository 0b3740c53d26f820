/*
 * json.c — the CLI's JSON writer: a string escaper and a flat object
 * builder, enough for `--json` output (one object per line).
 *
 * Device output is arbitrary bytes, JSON text must be UTF-8: well-formed
 * UTF-8 sequences pass through, every other byte becomes U+FFFD, control
 * characters are escaped, so any input yields valid JSON.
 *
 * Does not parse JSON, does not nest objects. Thread: any; state lives in
 * the caller's fn__cli_json_t. Owns nothing: writes into a borrowed fn_buf_t.
 */
#include "cli_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fn_utf8.h"

/* The short escape of an ASCII byte, or NULL when it needs none (or the
 * \u form). */
static const char *json_short_escape(unsigned char c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        return NULL;
    }
}

int fn__cli_json_escape(fn_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = fn_buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < len && rc == 0) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' &&
               p[run] != '\\')
            run++;
        if (run > i) { /* plain ASCII passes in one append */
            rc = fn_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        const char *esc = json_short_escape(p[i]);
        if (esc) {
            rc = fn_buf_append_str(b, esc);
            i++;
        } else if (p[i] < 0x20 || p[i] == 0x7F) {
            char u[7] = {'\\',           'u', '0', '0', hex[p[i] >> 4],
                         hex[p[i] & 15], 0};
            rc = fn_buf_append(b, u, 6);
            i++;
        } else {
            size_t n = fn_utf8_seq_len(p + i, len - i);
            if (n) {
                rc = fn_buf_append(b, p + i, n);
                i += n;
            } else {
                rc = fn_buf_append_str(b, FN_UTF8_REPLACEMENT);
                i++;
            }
        }
    }
    return rc ? rc : fn_buf_append(b, "\"", 1);
}

void fn__cli_json_begin(fn__cli_json_t *j, fn_buf_t *b, const char *type)
{
    j->b = b;
    j->n = 0;
    j->rc = fn_buf_append(b, "{", 1);
    if (type)
        fn__cli_json_str(j, "type", type);
}

/* Writes the separator and the quoted key. */
static void json_key(fn__cli_json_t *j, const char *key)
{
    if (j->rc)
        return;
    if (j->n++)
        j->rc = fn_buf_append(j->b, ",", 1);
    if (!j->rc)
        j->rc = fn__cli_json_escape(j->b, key, strlen(key));
    if (!j->rc)
        j->rc = fn_buf_append(j->b, ":", 1);
}

void fn__cli_json_strn(fn__cli_json_t *j, const char *key, const char *v,
                       size_t len)
{
    json_key(j, key);
    if (!j->rc)
        j->rc = fn__cli_json_escape(j->b, v ? v : "", v ? len : 0);
}

void fn__cli_json_str(fn__cli_json_t *j, const char *key, const char *v)
{
    fn__cli_json_strn(j, key, v, v ? strlen(v) : 0);
}

void fn__cli_json_int(fn__cli_json_t *j, const char *key, int64_t v)
{
    json_key(j, key);
    if (!j->rc)
        j->rc = fn_buf_printf(j->b, "%" PRId64, v);
}

void fn__cli_json_bool(fn__cli_json_t *j, const char *key, int v)
{
    json_key(j, key);
    if (!j->rc)
        j->rc = fn_buf_append_str(j->b, v ? "true" : "false");
}

void fn__cli_json_double(fn__cli_json_t *j, const char *key, double v)
{
    json_key(j, key);
    if (j->rc)
        return;
    if (!isfinite(v)) /* JSON has no NaN or Infinity */
        j->rc = fn_buf_append_str(j->b, "null");
    else
        j->rc = fn_buf_printf(j->b, "%.3f", v);
}

int fn__cli_json_end(fn__cli_json_t *j)
{
    if (!j->rc)
        j->rc = fn_buf_append(j->b, "}", 1);
    return j->rc;
}
