/*
 * test_integrations_creds.c — fn_secrets against loopback Vault and
 * CyberArk fakes (tests/fakes/, /usr/bin/python3) on ports 32200-32299:
 * KV v2 with a token and with AppRole, CCP, PVWA; one fetch per
 * reference however many hosts ask; wrong token / AppID / password give
 * a clear FN_EAUTH; TLS verification on by default and really off with
 * verify_tls = false; fn_integrations_check. Every test captures all log
 * lines (debug, every category) and searches them, the reasons and the
 * reports for every secret the fakes hold.
 * Thread: main only (Check forks each test).
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations.h"
#include "fn_log.h"
#include "test_integrations_util.h"
#include "fn_check.h"

#define VAULT_TOKEN "hvs.FAKE-TOKEN-5f3a9c"
#define VAULT_SID   "sid-SECRET-77e1"
#define VAULT_PW    "V4ult-Pa55-core!"
#define VAULT_PW2   "V4ult-edge-9"
#define ARK_PW      "Ark-CCP-pw-31"
#define ARK_PW2     "Ark-PVWA-pw-44"
#define PVWA_PW     "PvWa-Logon-Secret-9"

/* What the fakes hold, and the wrong secrets the tests present. */
static const char *const all_secrets[] = {
    VAULT_TOKEN, VAULT_SID, VAULT_PW,        VAULT_PW2,         ARK_PW,
    ARK_PW2,     PVWA_PW,   "not-the-token", "wrong-secret-id", "bad-password",
};

static const char vault_spec[] =
    "{\"token\": \"" VAULT_TOKEN "\", \"role_id\": \"role-123\", "
    "\"secret_id\": \"" VAULT_SID "\", \"mount\": \"secret\", \"secrets\": "
    "{\"net/core\": {\"username\": \"ops\", \"password\": \"" VAULT_PW "\"},"
    " \"net/edge\": {\"user\": \"edgeops\", \"pass\": \"" VAULT_PW2 "\"}}}";

static const char ark_spec[] =
    "{\"app_id\": \"flexnet-app\", \"pvwa_user\": \"svc-flexnet\", "
    "\"pvwa_password\": \"" PVWA_PW "\", \"accounts\": ["
    "{\"safe\": \"NetSafe\", \"object\": \"core-rtr\", \"id\": \"12_7\", "
    "\"username\": \"netadmin\", \"password\": \"" ARK_PW "\"}, "
    "{\"safe\": \"NetSafe\", \"object\": \"edge-rtr\", \"id\": \"12_8\", "
    "\"username\": \"edgeadmin\", \"password\": \"" ARK_PW2 "\"}]}";

typedef struct env {
    char dir[600];
    fx_proc_t vault, ark;
    struct event_base *base;
    fn_http_t *http;
    fn_config_t *cfg;
    fn_secrets_t *creds;
    fn_buf_t log;  /* every fn_log line */
    fn_buf_t seen; /* every reason and report */
} env_t;

typedef struct answer {
    int done, status;
    char user[64], secret[128], reason[400];
    fn_buf_t *seen;
} answer_t;

static void on_cred(int status, const fn_secret_t *cred, const char *reason,
                    void *arg)
{
    answer_t *a = arg;
    a->done = 1;
    a->status = status;
    snprintf(a->user, sizeof(a->user), "%s",
             cred && cred->username ? cred->username : "");
    snprintf(a->secret, sizeof(a->secret), "%s", cred ? cred->secret : "");
    snprintf(a->reason, sizeof(a->reason), "%s", reason);
    fn_buf_printf(a->seen, "%s\n", reason);
}

static void start_fake(env_t *e, fx_proc_t *p, const char *script,
                       const char *spec, const char *const *tls)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s.json", e->dir, script);
    fx_write_file(path, spec);
    const char *args[8] = {"--spec", path};
    for (int i = 0; tls && tls[i]; i++)
        args[2 + i] = tls[i];
    ck_assert_int_eq(fx_start_fake(p, script, 32200, 32299, args), 0);
}

static void env_open(env_t *e, const char *name)
{
    memset(e, 0, sizeof(*e));
    fn_buf_init(&e->log, 0);
    fn_buf_init(&e->seen, 0);
    fx_capture_logs(&e->log);
    fx_tmpdir(name, e->dir, sizeof(e->dir));
    start_fake(e, &e->vault, "fake_vault.py", vault_spec, NULL);
    start_fake(e, &e->ark, "fake_cyberark.py", ark_spec, NULL);
    e->base = event_base_new();
    ck_assert_int_eq(fn_http_new(&e->http, e->base), 0);
}

/* Parses the config text (printf format, ports filled in) and makes the
 * task's credential cache. */
static void env_config(env_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void env_config(env_t *e, const char *fmt, ...)
{
    char text[2048], err[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fn_secrets_free(e->creds);
    fn_config_free(e->cfg);
    e->creds = NULL;
    ck_assert_msg(fn_config_parse(&e->cfg, text, strlen(text), "t.conf", err,
                                  sizeof(err)) == 0,
                  "%s", err);
    ck_assert_int_eq(fn_secrets_new(&e->creds, e->http, e->cfg), 0);
}

static void assert_no_secrets(const char *what, const fn_buf_t *b)
{
    for (size_t i = 0; i < sizeof(all_secrets) / sizeof(all_secrets[0]); i++)
        ck_assert_msg(!b->data || !strstr(b->data, all_secrets[i]),
                      "a secret appears in the %s:\n%s", what, b->data);
}

static void env_close(env_t *e)
{
    fn_secrets_free(e->creds);
    fn_http_free(e->http);
    fn_config_free(e->cfg);
    event_base_free(e->base);
    fx_stop(&e->vault);
    fx_stop(&e->ark);
    fn_log_set_hook(NULL, NULL);
    ck_assert_uint_gt(e->log.len, 0); /* the search looked at something */
    assert_no_secrets("log", &e->log);
    assert_no_secrets("reasons and reports", &e->seen);
    fn_buf_cleanup(&e->log);
    fn_buf_cleanup(&e->seen);
}

static void lookup(env_t *e, const char *provider, const char *ref, answer_t *a)
{
    memset(a, 0, sizeof(*a));
    a->seen = &e->seen;
    ck_assert_int_eq(fn_secrets_get(e->creds, provider, ref, on_cred, a), 0);
}

static void wait_answer(env_t *e, answer_t *a)
{
    ck_assert_int_eq(fx_run_until(e->base, &a->done, 60000), 0);
}

/* Looks up three refs at once, waits for all; checks the two accounts
 * both CyberArk fakes serve (a: core-rtr, b: edge-rtr). */
static void ark_three(env_t *e, const char *const refs[3], answer_t ans[3])
{
    for (int i = 0; i < 3; i++)
        lookup(e, "cyberark", refs[i], &ans[i]);
    for (int i = 0; i < 3; i++)
        wait_answer(e, &ans[i]);
    ck_assert_int_eq(ans[0].status, 0);
    ck_assert_str_eq(ans[0].secret, ARK_PW);
    ck_assert_str_eq(ans[0].user, "netadmin");
    ck_assert_int_eq(ans[1].status, 0);
    ck_assert_str_eq(ans[1].secret, ARK_PW2);
    ck_assert_str_eq(ans[1].user, "edgeadmin");
}

/* One lookup that must fail with status and exactly reason. */
static void expect_fail(env_t *e, const char *provider, const char *ref,
                        int status, const char *reason)
{
    answer_t a;
    lookup(e, provider, ref, &a);
    wait_answer(e, &a);
    ck_assert_int_eq(a.status, status);
    ck_assert_str_eq(a.reason, reason);
}

/* GET /__stats count of "METHOD /path" on a fake. */
static int stat_count(env_t *e, const fx_proc_t *p, const char *key)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/__stats", p->port);
    const char *argv[] = {
        "/usr/bin/python3",
        "-c",
        "import json,sys,urllib.request as u;"
        "print(json.load(u.urlopen(sys.argv[1])).get(sys.argv[2],0))",
        url,
        key,
        NULL};
    fn_buf_t out;
    fn_buf_init(&out, 0);
    ck_assert_int_eq(fx_run(argv, NULL, &out), 0);
    int n = (int)strtol(out.data, NULL, 10);
    fn_buf_cleanup(&out);
    return n;
}

START_TEST(vault_token_fetched_once_for_many_hosts)
{
    env_t e;
    answer_t a[40], b, c, d;
    env_open(&e, "vtoken");
    setenv("FN_T_VTOKEN", VAULT_TOKEN, 1);
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\n",
               e.vault.port);
    for (int i = 0; i < 40; i++)
        lookup(&e, "vault", "net/core", &a[i]);
    lookup(&e, "vault", "net/edge#pass", &b);
    lookup(&e, "vault", "net/core#nope", &c);
    lookup(&e, "vault", "net/none", &d);
    for (int i = 0; i < 40; i++) {
        wait_answer(&e, &a[i]);
        ck_assert_int_eq(a[i].status, 0);
        ck_assert_str_eq(a[i].secret, VAULT_PW);
        ck_assert_str_eq(a[i].user, "ops");
    }
    wait_answer(&e, &b);
    ck_assert_str_eq(b.secret, VAULT_PW2);
    ck_assert_str_eq(b.user, "");
    wait_answer(&e, &c);
    ck_assert_int_eq(c.status, FN_ECREDS);
    ck_assert_str_eq(c.reason, "vault net/core#nope: vault: secret net/core "
                               "has no field 'nope'");
    wait_answer(&e, &d);
    ck_assert_int_eq(d.status, FN_ENOTFOUND);
    ck_assert_str_eq(d.reason, "vault net/none: vault: HTTP 404");
    ck_assert_int_eq(fn_secrets_fetches(e.creds), 4);
    /* 40 hosts asked for net/core: one read; net/core#nope is its own
     * reference, so its own read. */
    ck_assert_int_eq(stat_count(&e, &e.vault, "GET /v1/secret/data/net/core"),
                     2);
    env_close(&e);
}
END_TEST

START_TEST(vault_wrong_token_is_clear)
{
    env_t e;
    env_open(&e, "vbad");
    setenv("FN_T_VTOKEN", "hvs.not-the-token", 1);
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\n",
               e.vault.port);
    expect_fail(&e, "vault", "net/core", FN_EAUTH,
                "vault net/core: vault: HTTP 403: permission denied");
    unsetenv("FN_T_VTOKEN");
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\n",
               e.vault.port);
    expect_fail(&e, "vault", "net/core", FN_ECREDS,
                "vault net/core: environment variable "
                "FN_T_VTOKEN is not set");
    env_close(&e);
}
END_TEST

START_TEST(vault_approle_logs_in_once)
{
    env_t e;
    answer_t a, b;
    char sid[700];
    env_open(&e, "vapprole");
    snprintf(sid, sizeof(sid), "%s/sid", e.dir);
    fx_write_file(sid, VAULT_SID "\n");
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\nrole_id = role-123\n"
               "secret_id_file = %s\nusername_field = user\n"
               "password_field = pass\n",
               e.vault.port, sid);
    lookup(&e, "vault", "net/edge", &a);
    lookup(&e, "vault", "net/core#password", &b);
    wait_answer(&e, &a);
    wait_answer(&e, &b);
    ck_assert_int_eq(a.status, 0);
    ck_assert_str_eq(a.secret, VAULT_PW2);
    ck_assert_str_eq(a.user, "edgeops");
    ck_assert_str_eq(b.secret, VAULT_PW);
    ck_assert_int_eq(stat_count(&e, &e.vault, "POST /v1/auth/approle/login"),
                     1);
    fx_write_file(sid, "wrong-secret-id\n");
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\nrole_id = role-123\n"
               "secret_id_file = %s\n",
               e.vault.port, sid);
    expect_fail(&e, "vault", "net/core", FN_EAUTH,
                "vault net/core: vault AppRole login: HTTP "
                "400: invalid role or secret ID");
    env_close(&e);
}
END_TEST

START_TEST(cyberark_ccp)
{
    env_t e;
    answer_t ans[3];
    env_open(&e, "ccp");
    env_config(&e,
               "[cyberark]\nurl = http://127.0.0.1:%d\napp_id = flexnet-app\n"
               "safe = NetSafe\n",
               e.ark.port);
    const char *refs[3] = {"core-rtr", "NetSafe/edge-rtr", "NetSafe/gone"};
    ark_three(&e, refs, ans);
    ck_assert_int_eq(ans[2].status, FN_ENOTFOUND);
    ck_assert_str_eq(ans[2].reason, "cyberark NetSafe/gone: cyberark CCP: HTTP "
                                    "404: Password object matching query was "
                                    "not found");
    env_config(&e,
               "[cyberark]\nurl = http://127.0.0.1:%d\napp_id = other-app\n"
               "safe = NetSafe\n",
               e.ark.port);
    expect_fail(&e, "cyberark", "core-rtr", FN_EAUTH,
                "cyberark core-rtr: cyberark CCP: HTTP 403: "
                "App ID is not authorized");
    env_close(&e);
}
END_TEST

START_TEST(cyberark_pvwa_logon_once)
{
    env_t e;
    answer_t ans[3];
    env_open(&e, "pvwa");
    setenv("FN_T_PVWA", PVWA_PW, 1);
    env_config(&e,
               "[cyberark]\nmode = pvwa\nurl = http://127.0.0.1:%d\n"
               "username = svc-flexnet\npassword_env = FN_T_PVWA\n"
               "safe = NetSafe\n",
               e.ark.port);
    const char *refs[3] = {"core-rtr", "edge-rtr", "absent-rtr"};
    ark_three(&e, refs, ans);
    ck_assert_int_eq(ans[2].status, FN_ENOTFOUND);
    ck_assert_int_eq(
        stat_count(&e, &e.ark, "POST /PasswordVault/API/auth/CyberArk/Logon"),
        1);
    setenv("FN_T_PVWA", "bad-password", 1);
    env_config(&e,
               "[cyberark]\nmode = pvwa\nurl = http://127.0.0.1:%d\n"
               "username = svc-flexnet\npassword_env = FN_T_PVWA\n"
               "safe = NetSafe\n",
               e.ark.port);
    expect_fail(&e, "cyberark", "core-rtr", FN_EAUTH,
                "cyberark core-rtr: cyberark PVWA logon: HTTP "
                "403: Authentication failure for User "
                "[svc-flexnet].");
    env_close(&e);
}
END_TEST

START_TEST(integrations_check_reports_each_section)
{
    env_t e;
    fn_buf_t report;
    env_open(&e, "check");
    setenv("FN_T_VTOKEN", VAULT_TOKEN, 1);
    setenv("FN_T_PVWA", PVWA_PW, 1);
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\ncheck_ref = net/core\n"
               "[cyberark]\nmode = pvwa\nurl = http://127.0.0.1:%d\n"
               "username = svc-flexnet\npassword_env = FN_T_PVWA\n"
               "safe = NetSafe\ncheck_ref = core-rtr\n",
               e.vault.port, e.ark.port);
    fn_buf_init(&report, 0);
    ck_assert_int_eq(fn_integrations_check(e.cfg, &report), 0);
    fn_buf_append(&e.seen, report.data, report.len);
    ck_assert_msg(strstr(report.data, "vault: ok: ") &&
                      strstr(report.data, "token accepted, read net/core") &&
                      strstr(report.data, "cyberark: ok: ") &&
                      strstr(report.data, "retrieved core-rtr"),
                  "%s", report.data);
    setenv("FN_T_VTOKEN", "hvs.wrong", 1);
    fn_buf_reset(&report);
    ck_assert_int_eq(fn_integrations_check(e.cfg, &report), FN_EAUTH);
    fn_buf_append(&e.seen, report.data, report.len);
    ck_assert_msg(strstr(report.data, "vault: FAILED: vault: HTTP 403: "
                                      "permission denied"),
                  "%s", report.data);
    fn_buf_cleanup(&report);
    env_close(&e);
}
END_TEST

START_TEST(tls_verification_on_by_default_and_really_off)
{
    env_t e;
    answer_t a, b, c;
    char cert[700], key[700], cmd[2048];
    fx_proc_t tls = {0};
    env_open(&e, "tls");
    snprintf(cert, sizeof(cert), "%s/cert.pem", e.dir);
    snprintf(key, sizeof(key), "%s/key.pem", e.dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
             "-keyout '%s' -out '%s' 2>/dev/null",
             key, cert);
    ck_assert_int_eq(system(cmd), 0);
    const char *targs[] = {"--tls-cert", cert, "--tls-key", key, NULL};
    start_fake(&e, &tls, "fake_vault.py", vault_spec, targs);
    setenv("FN_T_VTOKEN", VAULT_TOKEN, 1);
    env_config(&e,
               "[vault]\naddress = https://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\nretries = 0\n",
               tls.port);
    lookup(&e, "vault", "net/core", &a);
    wait_answer(&e, &a);
    ck_assert_int_eq(a.status, FN_EHTTP);
    ck_assert_msg(strstr(a.reason, "certificate"), "%s", a.reason);
    env_config(&e,
               "[vault]\naddress = https://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\nverify_tls = false\n",
               tls.port);
    lookup(&e, "vault", "net/core", &b);
    wait_answer(&e, &b);
    ck_assert_int_eq(b.status, 0);
    ck_assert_str_eq(b.secret, VAULT_PW);
    env_config(&e,
               "[vault]\naddress = https://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\nca_file = %s\n",
               tls.port, cert);
    lookup(&e, "vault", "net/core", &c);
    wait_answer(&e, &c);
    ck_assert_int_eq(c.status, 0);
    fx_stop(&tls);
    env_close(&e);
}
END_TEST

START_TEST(creds_free_cancels_pending_fetch)
{
    env_t e;
    answer_t a;
    env_open(&e, "cancel");
    setenv("FN_T_VTOKEN", VAULT_TOKEN, 1);
    env_config(&e,
               "[vault]\naddress = http://127.0.0.1:%d\n"
               "token_env = FN_T_VTOKEN\n",
               e.vault.port);
    lookup(&e, "vault", "net/core", &a);
    fn_secrets_free(e.creds);
    e.creds = NULL;
    ck_assert_int_eq(a.done, 1);
    ck_assert_int_eq(a.status, FN_ECANCELED);
    ck_assert_int_eq(fn_http_pending(e.http), 0);
    fn_log(FN_LOG_INFO, NULL, "cancelled as expected");
    env_close(&e);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("integrations_creds");
    TCase *tc = tcase_create("fakes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, vault_token_fetched_once_for_many_hosts);
    tcase_add_test(tc, vault_wrong_token_is_clear);
    tcase_add_test(tc, vault_approle_logs_in_once);
    tcase_add_test(tc, cyberark_ccp);
    tcase_add_test(tc, cyberark_pvwa_logon_once);
    tcase_add_test(tc, integrations_check_reports_each_section);
    tcase_add_test(tc, tls_verification_on_by_default_and_really_off);
    tcase_add_test(tc, creds_free_cancels_pending_fetch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(suite());
}
