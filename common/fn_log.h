/*
 * fn_log.h — flexnet's logger: nginx-style levels plus a category mask.
 *
 * The layer that decides about an error logs it, once; lower layers return
 * codes. vendors/ never logs. Secrets are never passed to fn_log.
 *
 * Global state: the log configuration is one documented singleton
 * (level, mask, output). Set it before starting threads; fn_log itself is
 * thread-safe (one fprintf per line, or the hook).
 */
#ifndef FN_LOG_H
#define FN_LOG_H

#include <stdio.h>

enum fn_log_level {
    FN_LOG_ERROR = 0,
    FN_LOG_WARN = 1,
    FN_LOG_INFO = 2,
    FN_LOG_DEBUG = 3,
};

/* Categories, for debug filtering (FN_LOG_DEBUG lines only print when
 * their category is in the mask). */
enum fn_log_cat {
    FN_LOGC_CORE = 1 << 0,
    FN_LOGC_SESSION = 1 << 1,
    FN_LOGC_SSH = 1 << 2,
    FN_LOGC_STORE = 1 << 3,
    FN_LOGC_RPC = 1 << 4,
    FN_LOGC_HTTP = 1 << 5,
    FN_LOGC_SIM = 1 << 6,
    FN_LOGC_ALL = 0xffff,
};

/* Where a line comes from: any field may be NULL. Borrowed. */
typedef struct fn_log_ctx {
    const char *task; /* task id */
    const char *host; /* device name */
    unsigned cat;     /* one enum fn_log_cat bit */
} fn_log_ctx_t;

/* Receives each formatted line (no trailing newline) instead of stderr.
 * Called on the logging thread; must not call fn_log. */
typedef void fn_log_hook_fn(int level, const fn_log_ctx_t *ctx,
                            const char *line, void *arg);

/* How lines look: text ("12:00:00.000 warn  TASK host: msg") or one JSON
 * object a line ({"time","level","task","host","msg"}; task and host
 * only when known), for log shippers. */
enum fn_log_format {
    FN_LOG_TEXT = 0,
    FN_LOG_JSON = 1,
};

void fn_log_configure(int level, unsigned debug_mask, FILE *out);
void fn_log_set_format(int format); /* enum fn_log_format */
/* "text" or "json" to its enum value; -1 for anything else. */
int fn_log_format_parse(const char *name);
void fn_log_set_hook(fn_log_hook_fn *hook, void *arg);
int fn_log_enabled(int level, unsigned cat);
const char *fn_log_level_name(int level);

void fn_log(int level, const fn_log_ctx_t *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* FN_LOG_H */
