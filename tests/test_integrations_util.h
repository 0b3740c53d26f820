/*
 * test_integrations_util.h — helpers of the integrations test suites:
 * start a loopback server (python fake or s3rver) and wait until it
 * listens, stop it, make a scratch directory, capture fn_log lines, run
 * a loop until a flag is set. Test code only; not thread-safe.
 */
#ifndef TEST_INTEGRATIONS_UTIL_H
#define TEST_INTEGRATIONS_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "fn_buf.h"

struct event_base;

typedef struct fx_proc {
    pid_t pid;
    int port;
} fx_proc_t;

/* $FN_TEST_SRC/rel (static buffer per call site is not needed: out). */
void fx_src_path(const char *rel, char *out, size_t outlen);
/* A fresh scratch dir $FN_TEST_BIN/tests/tmp/<name>-<pid>. */
void fx_tmpdir(const char *name, char *out, size_t outlen);
void fx_write_file(const char *path, const char *text);

/* Starts /usr/bin/python3 tests/fakes/<script> --ports lo-hi extra...
 * (NULL-terminated) and waits (<= 30 s) for its "READY <port>" line.
 * Returns 0 and fills p, or -1. */
int fx_start_fake(fx_proc_t *p, const char *script, int lo, int hi,
                  const char *const *extra);
/* Starts s3rver on the first free port of [lo, hi] with data dir dir;
 * waits until it accepts connections. 0 or -1. */
int fx_start_s3rver(fx_proc_t *p, const char *dir, int lo, int hi);
void fx_stop(fx_proc_t *p);

/* A free loopback port in [lo, hi] (bind probe), or -1. */
int fx_free_port(int lo, int hi);

/* Runs base until *flag is set or timeout_ms passed. 0, or -1 on
 * timeout. */
int fx_run_until(struct event_base *base, const int *flag, int timeout_ms);

/* Every fn_log line (all levels, all categories) goes into log. */
void fx_capture_logs(fn_buf_t *log);

/* Runs argv (NULL-terminated) with extra env "K=V" pairs (NULL-term.),
 * its stdout+stderr into out. Returns the exit status or -1. */
int fx_run(const char *const *argv, const char *const *env, fn_buf_t *out);

#endif /* TEST_INTEGRATIONS_UTIL_H */
