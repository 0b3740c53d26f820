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
#include "fn_str.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

int fn__cli_json_escape(fn_buf_t *b, const char *s, size_t len)
{
    return fn_str_json_escape(b, s, len);
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

void fn__cli_json_raw(fn__cli_json_t *j, const char *key, const char *json,
                      size_t len)
{
    json_key(j, key);
    if (!j->rc)
        j->rc = fn_buf_append(j->b, json, len);
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
