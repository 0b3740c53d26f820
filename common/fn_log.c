/*
 * fn_log.c — the log singleton. See fn_log.h.
 */
#include "fn_log.h"

#include <stdarg.h>
#include <time.h>

static struct {
    int level;
    unsigned mask;
    FILE *out; /* NULL means stderr */
    fn_log_hook_fn *hook;
    void *hook_arg;
} log_cfg = {FN_LOG_WARN, 0, NULL, NULL, NULL};

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void fn_log_configure(int level, unsigned debug_mask, FILE *out)
{
    log_cfg.level = level;
    log_cfg.mask = debug_mask;
    log_cfg.out = out;
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
    fprintf(out, "%02d:%02d:%02d.%03ld %-5s %s%s%s%s%s\n", tm.tm_hour,
            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            fn_log_level_name(level), ctx && ctx->task ? ctx->task : "",
            ctx && ctx->task ? " " : "", ctx && ctx->host ? ctx->host : "",
            ctx && ctx->host ? ": " : "", msg);
}
