/*
 * fn_log.c — the log singleton. See fn_log.h.
 */
#include "fn_log.h"

#include "fn_utf8.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static struct {
    int level;
    unsigned mask;
    FILE *out; /* NULL means stderr */
    fn_log_hook_fn *hook;
    void *hook_arg;
    int format; /* enum fn_log_format */
} log_cfg = {FN_LOG_WARN, 0, NULL, NULL, NULL, FN_LOG_TEXT};

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void fn_log_configure(int level, unsigned debug_mask, FILE *out)
{
    log_cfg.level = level;
    log_cfg.mask = debug_mask;
    log_cfg.out = out;
}

void fn_log_set_format(int format)
{
    log_cfg.format = format;
}

int fn_log_format_parse(const char *name)
{
    if (strcmp(name, "text") == 0)
        return FN_LOG_TEXT;
    if (strcmp(name, "json") == 0)
        return FN_LOG_JSON;
    return -1;
}

void fn_log_set_hook(fn_log_hook_fn *hook, void *arg)
{
    log_cfg.hook = hook;
    log_cfg.hook_arg = arg;
}

const char *fn_log_level_name(int level)
{
    if (level < FN_LOG_ERROR || level > FN_LOG_DEBUG)
        return "?";
    return log_names[level];
}

int fn_log_enabled(int level, unsigned cat)
{
    if (level > log_cfg.level)
        return 0;
    if (level == FN_LOG_DEBUG && !(log_cfg.mask & cat))
        return 0;
    return 1;
}

/* Appends s as a JSON string body (RFC 8259 escapes). Device text may
 * not be UTF-8: a byte that is not part of a well-formed sequence becomes
 * U+FFFD (fn_utf8.h), so every line is valid JSON for any parser. */
static size_t log_json_str(char *out, size_t cap, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left && n + 7 < cap) {
        unsigned char c = *p;
        size_t seq = c < 0x80 ? 1 : fn_utf8_seq_len(p, left);
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[c >> 4];
            out[n + 5] = hex[c & 15];
            n += 6;
        } else if (!seq) {
            memcpy(out + n, FN_UTF8_REPLACEMENT, 3);
            n += 3;
            seq = 1;
        } else {
            memcpy(out + n, p, seq);
            n += seq;
        }
        p += seq;
        left -= seq;
    }
    return n;
}

static size_t log_json_field(char *out, size_t cap, size_t n, const char *key,
                             const char *val)
{
    int k = snprintf(out + n, cap - n, ",\"%s\":\"", key);
    if (k < 0 || (size_t)k >= cap - n)
        return n;
    n = log_json_str(out, cap - 2, n + (size_t)k, val);
    out[n++] = '"';
    return n;
}

/* One object a line, written with one fputs (lines of concurrent
 * threads never interleave). */
static void log_json(FILE *f, const struct timespec *ts, const struct tm *tm,
                     int level, const fn_log_ctx_t *ctx, const char *msg)
{
    char line[4 * 1024 + 512];
    int n0 = snprintf(line, sizeof(line),
                      "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
                      "\"level\":\"%s\"",
                      tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
                      tm->tm_hour, tm->tm_min, tm->tm_sec,
                      ts->tv_nsec / 1000000, fn_log_level_name(level));
    size_t n = n0 > 0 ? (size_t)n0 : 0;
    size_t cap = sizeof(line) - 3; /* room for "}\n" and the NUL */
    if (ctx && ctx->task)
        n = log_json_field(line, cap, n, "task", ctx->task);
    if (ctx && ctx->host)
        n = log_json_field(line, cap, n, "host", ctx->host);
    n = log_json_field(line, cap, n, "msg", msg);
    memcpy(line + n, "}\n", 3);
    fputs(line, f);
}

void fn_log(int level, const fn_log_ctx_t *ctx, const char *fmt, ...)
{
    unsigned cat = ctx ? ctx->cat : FN_LOGC_CORE;
    if (!fn_log_enabled(level, cat))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap); /* truncation is acceptable */
    va_end(ap);
    if (log_cfg.hook) {
        log_cfg.hook(level, ctx, msg, log_cfg.hook_arg);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    FILE *out = log_cfg.out ? log_cfg.out : stderr;
    if (log_cfg.format == FN_LOG_JSON) {
        log_json(out, &ts, &tm, level, ctx, msg);
        return;
    }
    fprintf(out, "%02d:%02d:%02d.%03ld %-5s %s%s%s%s%s\n", tm.tm_hour,
            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            fn_log_level_name(level), ctx && ctx->task ? ctx->task : "",
            ctx && ctx->task ? " " : "", ctx && ctx->host ? ctx->host : "",
            ctx && ctx->host ? ": " : "", msg);
}
