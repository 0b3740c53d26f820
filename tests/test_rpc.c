/*
 * test_rpc.c — Check suite for rpc/: the promises of fn_rpc.h that need no
 * client (bind, port 0, TLS options, drain with nothing running, free) and
 * the request validator every call goes through (rpc_int.h). The methods
 * themselves are driven from Python against flexnet-sim
 * (tests/test_rpc_*.py). Port 31990 is taken on purpose by one test.
 */
#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fn_err.h"
#include "fn_rpc.h"
#include "fn_store.h"
#include "rpc_int.h"
#include "flexnet/v1/flexnet.pb-c.h"
#include "fn_check.h"

#define TAKEN_PORT "127.0.0.1:31990"

/* ---------------------------------------------------------------------
 * validator */

static int validate(const ProtobufCMessage *m)
{
    char why[160];
    return fn__rpc_validate(m, why, sizeof(why));
}

START_TEST(test_validate_accepts_a_good_spec)
{
    Flexnet__V1__Step st = FLEXNET__V1__STEP__INIT;
    char *cmds[] = {"show version", "show clock \xc3\xa9t\xc3\xa9"};
    st.kind = FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS;
    st.commands = cmds;
    st.n_commands = 2;
    Flexnet__V1__Step *steps[] = {&st};
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    spec.steps = steps;
    spec.n_steps = 1;
    spec.mode = FLEXNET__V1__RUN_MODE__RUN_MODE_CONNECT_FIRST;
    ck_assert_int_eq(validate(&spec.base), 0);
}
END_TEST

START_TEST(test_validate_refuses_unknown_enum_values)
{
    Flexnet__V1__ListTasksRequest req = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    req.status = 99;
    char why[160] = "";
    ck_assert_int_eq(fn__rpc_validate(&req.base, why, sizeof(why)), FN_EPARSE);
    ck_assert_ptr_nonnull(strstr(why, "status"));
    /* nested: a step's kind */
    Flexnet__V1__Step st = FLEXNET__V1__STEP__INIT;
    st.kind = 42;
    Flexnet__V1__Step *steps[] = {&st};
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    spec.steps = steps;
    spec.n_steps = 1;
    ck_assert_int_eq(validate(&spec.base), FN_EPARSE);
}
END_TEST

START_TEST(test_validate_refuses_bad_utf8)
{
    static const char *bad[] = {"\xff",  "\xc0\xaf",         "\xed\xa0\x80",
                                "a\x80", "\xf4\x90\x80\x80", "\xe2\x82"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        Flexnet__V1__GetTaskRequest req = FLEXNET__V1__GET_TASK_REQUEST__INIT;
        req.task_id = (char *)bad[i];
        ck_assert_int_eq(validate(&req.base), FN_EPARSE);
    }
    Flexnet__V1__GetTaskRequest ok = FLEXNET__V1__GET_TASK_REQUEST__INIT;
    ok.task_id = "\xf0\x9f\x98\x80"; /* U+1F600: valid */
    ck_assert_int_eq(validate(&ok.base), 0);
}
END_TEST

START_TEST(test_validate_caps_fields)
{
    char id[66];
    memset(id, 'a', sizeof(id) - 1);
    id[65] = '\0';
    Flexnet__V1__GetTaskRequest req = FLEXNET__V1__GET_TASK_REQUEST__INIT;
    req.task_id = id;
    ck_assert_int_eq(validate(&req.base), FN_EPARSE);
    id[64] = '\0';
    ck_assert_int_eq(validate(&req.base), 0);

    size_t n = 100001;
    char **hosts = calloc(n, sizeof(*hosts));
    for (size_t i = 0; i < n; i++)
        hosts[i] = "h";
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    spec.hosts = hosts;
    spec.n_hosts = n;
    ck_assert_int_eq(validate(&spec.base), FN_EPARSE);
    spec.n_hosts = n - 1;
    ck_assert_int_eq(validate(&spec.base), 0);
    free(hosts);
}
END_TEST

START_TEST(test_status_mapping)
{
    ck_assert_int_eq(fn__rpc_status_of(0), GRPC_STATUS_OK);
    ck_assert_int_eq(fn__rpc_status_of(FN_ENOTFOUND), GRPC_STATUS_NOT_FOUND);
    ck_assert_int_eq(fn__rpc_status_of(FN_EPARSE),
                     GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_int_eq(fn__rpc_status_of(FN_EAMBIGUOUS),
                     GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_int_eq(fn__rpc_status_of(FN_ESTATE),
                     GRPC_STATUS_FAILED_PRECONDITION);
    ck_assert_int_eq(fn__rpc_status_of(FN_EFULL),
                     GRPC_STATUS_RESOURCE_EXHAUSTED);
    ck_assert_int_eq(fn__rpc_status_of(FN_EINTERNAL), GRPC_STATUS_INTERNAL);
}
END_TEST

/* ---------------------------------------------------------------------
 * server lifecycle (no client) */

typedef struct fixture {
    struct event_base *base;
    fn_store_t *store;
    char dir[64];
    int drained;
} fixture_t;

static void fixture_open(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    ck_assert_int_eq(evthread_use_pthreads(), 0);
    f->base = event_base_new();
    ck_assert_ptr_nonnull(f->base);
    snprintf(f->dir, sizeof(f->dir), "/tmp/fn-test-rpc-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    ck_assert_int_eq(fn_store_open(&f->store, f->dir, 0), 0);
}

static void fixture_close(fixture_t *f)
{
    fn_store_close(f->store);
    event_base_free(f->base);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void on_drained(fn_rpc_t *s, void *arg)
{
    fixture_t *f = arg;
    f->drained = 1;
}

START_TEST(test_port0_serves_then_drains)
{
    fixture_t f;
    fixture_open(&f);
    fn_rpc_opts_t o;
    fn_rpc_opts_init(&o);
    o.listen = "127.0.0.1:0";
    o.token = "tok";
    fn_rpc_t *s = NULL;
    char err[128] = "";
    ck_assert_int_eq(
        fn_rpc_new(&s, f.base, NULL, f.store, NULL, &o, err, sizeof(err)), 0);
    ck_assert_int_gt(fn_rpc_port(s), 0);
    event_base_loop(f.base, EVLOOP_NONBLOCK); /* posts the requests */
    ck_assert_int_eq(fn_rpc_drain(s, on_drained, &f), 0);
    ck_assert_int_eq(fn_rpc_drain(s, on_drained, &f), FN_ESTATE);
    while (!f.drained)
        event_base_loop(f.base, EVLOOP_ONCE);
    fn_rpc_free(s);
    fixture_close(&f);
}
END_TEST

START_TEST(test_free_without_drain)
{
    fixture_t f;
    fixture_open(&f);
    fn_rpc_opts_t o;
    fn_rpc_opts_init(&o);
    o.listen = "127.0.0.1:0";
    fn_rpc_t *s = NULL;
    ck_assert_int_eq(fn_rpc_new(&s, f.base, NULL, f.store, NULL, &o, NULL, 0),
                     0);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    fn_rpc_free(s); /* forced drain, blocking */
    fn_rpc_free(NULL);
    fixture_close(&f);
}
END_TEST

START_TEST(test_bind_errors)
{
    fixture_t f;
    fixture_open(&f);
    fn_rpc_opts_t o;
    fn_rpc_opts_init(&o);
    o.listen = TAKEN_PORT;
    fn_rpc_t *a = NULL, *b = NULL;
    char err[128] = "";
    ck_assert_int_eq(
        fn_rpc_new(&a, f.base, NULL, f.store, NULL, &o, err, sizeof(err)), 0);
    ck_assert_int_eq(
        fn_rpc_new(&b, f.base, NULL, f.store, NULL, &o, err, sizeof(err)),
        -EADDRINUSE);
    ck_assert_ptr_null(b);
    ck_assert_ptr_nonnull(strstr(err, "31990"));
    o.tls_cert_pem = "-----BEGIN CERTIFICATE-----";
    ck_assert_int_eq(
        fn_rpc_new(&b, f.base, NULL, f.store, NULL, &o, err, sizeof(err)),
        FN_EPARSE);
    event_base_loop(f.base, EVLOOP_NONBLOCK);
    fn_rpc_free(a);
    fixture_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rpc");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, test_validate_accepts_a_good_spec);
    tcase_add_test(tc, test_validate_refuses_unknown_enum_values);
    tcase_add_test(tc, test_validate_refuses_bad_utf8);
    tcase_add_test(tc, test_validate_caps_fields);
    tcase_add_test(tc, test_status_mapping);
    suite_add_tcase(s, tc);
    TCase *life = tcase_create("lifecycle");
    tcase_set_timeout(life, 30);
    tcase_add_test(life, test_port0_serves_then_drains);
    tcase_add_test(life, test_free_without_drain);
    tcase_add_test(life, test_bind_errors);
    suite_add_tcase(s, life);
    return fn_check_run(s);
}
