/*
 * test_integrations_slow.c — a slow S3 endpoint (every answer delayed
 * 3 s by tests/fakes/fake_s3edge.py, ports 32300-32399) must not slow
 * the event loop that also runs SSH work: a 10 ms libevent timer keeps
 * firing on time while an upload is pending. Measures the timer's
 * lateness with no upload and during the upload and prints both; also a
 * request timeout (1 s) that retries and then fails with FN_ETIMEOUT
 * while the loop stays responsive. Thread: main only.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations.h"
#include "fn_time.h"
#include "test_integrations_util.h"
#include "fn_check.h"

#define TICK_MS 10

typedef struct ticker {
    struct event *ev;
    int64_t last_us;
    int64_t max_late_us;
    long ticks;
} ticker_t;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    ticker_t *t = arg;
    int64_t now = fn_time_mono_us();
    int64_t late = now - t->last_us - TICK_MS * 1000;
    if (late > t->max_late_us)
        t->max_late_us = late;
    t->last_us = now;
    t->ticks++;
}

static void ticker_start(ticker_t *t, struct event_base *base)
{
    struct timeval tv = {0, TICK_MS * 1000};
    memset(t, 0, sizeof(*t));
    t->ev = event_new(base, -1, EV_PERSIST, on_tick, t);
    t->last_us = fn_time_mono_us();
    event_add(t->ev, &tv);
}

typedef struct res {
    int done, status;
    char reason[512];
} res_t;

static void on_s3(int status, const fn_s3_result_t *r, void *arg)
{
    res_t *x = arg;
    x->done = 1;
    x->status = status;
    snprintf(x->reason, sizeof(x->reason), "%s", r->reason);
}

static void on_idle_done(evutil_socket_t fd, short what, void *arg)
{
    *(int *)arg = 1;
}

typedef struct env {
    fx_proc_t fake;
    struct event_base *base;
    fn_http_t *http;
    fn_s3_t *s3;
    char endpoint[64];
} env_t;

static void env_open(env_t *e, long timeout_ms, int retries)
{
    const char *args[] = {"--delay", "3", NULL};
    fn_s3_conf_t c = {0};
    memset(e, 0, sizeof(*e));
    ck_assert_int_eq(
        fx_start_fake(&e->fake, "fake_s3edge.py", 32300, 32399, args), 0);
    snprintf(e->endpoint, sizeof(e->endpoint), "http://127.0.0.1:%d",
             e->fake.port);
    setenv("FN_T_SK", "slow-secret", 1);
    c.endpoint = e->endpoint;
    c.region = "us-east-1";
    c.bucket = "slow";
    c.access_key = "AK";
    c.secret_key_env = "FN_T_SK";
    c.path_style = 1;
    c.prefix = "";
    c.tls = (fn_tls_conf_t){1, NULL, timeout_ms, retries};
    e->base = event_base_new();
    ck_assert_int_eq(fn_http_new(&e->http, e->base), 0);
    ck_assert_int_eq(fn_s3_new(&e->s3, e->http, &c, NULL, 0), 0);
}

static void env_close(env_t *e)
{
    fn_s3_free(e->s3);
    fn_http_free(e->http);
    event_base_free(e->base);
    fx_stop(&e->fake);
}

START_TEST(slow_upload_does_not_block_the_loop)
{
    env_t e;
    ticker_t idle, busy;
    res_t r = {0};
    int idle_done = 0;
    size_t n = 256 * 1024;
    char *data = malloc(n);
    memset(data, 'c', n);
    env_open(&e, 30000, 0);

    /* Baseline: the same timer for 1 s with nothing else on the loop. */
    ticker_start(&idle, e.base);
    struct timeval one = {1, 0};
    event_base_once(e.base, -1, EV_TIMEOUT, on_idle_done, &idle_done, &one);
    ck_assert_int_eq(fx_run_until(e.base, &idle_done, 10000), 0);
    event_free(idle.ev);

    ticker_start(&busy, e.base);
    int64_t t0 = fn_time_mono_us();
    ck_assert_int_eq(fn_s3_put(e.s3, "big.cfg", data, n, on_s3, &r), 0);
    ck_assert_int_eq(fx_run_until(e.base, &r.done, 60000), 0);
    int64_t took_ms = (fn_time_mono_us() - t0) / 1000;
    event_free(busy.ev);
    fprintf(stderr,
            "slow S3: upload took %lld ms; 10 ms timer: idle max late "
            "%.1f ms (%ld ticks/1 s), during upload max late %.1f ms "
            "(%ld ticks)\n",
            (long long)took_ms, idle.max_late_us / 1000.0, idle.ticks,
            busy.max_late_us / 1000.0, busy.ticks);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_ge(took_ms, 2900);
    /* A blocking upload would stall the timer for the whole 3 s. */
    ck_assert_int_lt(busy.max_late_us, 500 * 1000);
    ck_assert_int_ge(busy.ticks, took_ms / TICK_MS / 2);
    free(data);
    env_close(&e);
}
END_TEST

START_TEST(slow_endpoint_times_out_and_retries)
{
    env_t e;
    ticker_t t;
    res_t r = {0};
    env_open(&e, 1000, 1);
    ticker_start(&t, e.base);
    int64_t t0 = fn_time_mono_us();
    ck_assert_int_eq(fn_s3_put(e.s3, "k", "x", 1, on_s3, &r), 0);
    ck_assert_int_eq(fx_run_until(e.base, &r.done, 60000), 0);
    int64_t took_ms = (fn_time_mono_us() - t0) / 1000;
    event_free(t.ev);
    ck_assert_int_eq(r.status, FN_ETIMEOUT);
    ck_assert_msg(strstr(r.reason, "timed out") &&
                      strstr(r.reason, "after 2 attempts"),
                  "%s", r.reason);
    ck_assert_int_ge(took_ms, 2000); /* two 1 s attempts + 200 ms backoff */
    ck_assert_int_lt(took_ms, 10000);
    ck_assert_int_lt(t.max_late_us, 500 * 1000);
    env_close(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("integrations_slow");
    TCase *tc = tcase_create("slow");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slow_upload_does_not_block_the_loop);
    tcase_add_test(tc, slow_endpoint_times_out_and_retries);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(suite());
}
