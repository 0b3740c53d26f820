/*
 * test_integrations.c — unit suite of integrations/: the config parser
 * (file:line errors, defaults, no literal secrets), the JSON reader
 * (paths, escapes, malformed and truncated input), the XML scanner, URL
 * escaping, secret loading, and the credential cache with the local
 * providers (env, file, prompt): fetched once per reference, delivered
 * later from the loop, failures with a reason and no secret in it.
 * No network. Thread: main only.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fn_err.h"
#include "fn_integrations.h"
#include "fn_integrations_int.h"
#include "test_integrations_util.h"
#include "fn_check.h"

static fn_config_t *parse_ok(const char *text)
{
    char err[256] = "";
    fn_config_t *cfg = NULL;
    int rc =
        fn_config_parse(&cfg, text, strlen(text), "t.conf", err, sizeof(err));
    ck_assert_msg(rc == 0, "parse failed: %s", err);
    return cfg;
}

static void parse_bad(const char *text, const char *want)
{
    char err[256] = "";
    fn_config_t *cfg = NULL;
    int rc =
        fn_config_parse(&cfg, text, strlen(text), "t.conf", err, sizeof(err));
    ck_assert_int_eq(rc, FN_EPARSE);
    ck_assert_ptr_null(cfg);
    ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
}

START_TEST(config_views_and_defaults)
{
    fn_config_t *cfg =
        parse_ok("# flexnet\n[s3]\nendpoint = http://127.0.0.1:9000\n"
                 "bucket = b\naccess_key = AK\nsecret_key_env = SK\n"
                 "create_bucket = yes\n; c\n[vault]\naddress = https://v:8200\n"
                 "role_id = r\nsecret_id_file = /x\nverify_tls = false\n"
                 "timeout = 5\n[cyberark]\nmode = pvwa\nurl = https://pvwa\n"
                 "username = u\npassword_env = P\n");
    fn_s3_conf_t s3;
    fn_vault_conf_t v;
    fn_cyberark_conf_t a;
    ck_assert_int_eq(fn_config_s3(cfg, &s3), 0);
    ck_assert_str_eq(s3.region, "us-east-1");
    ck_assert_int_eq(s3.path_style, 1);
    ck_assert_int_eq(s3.create_bucket, 1);
    ck_assert_int_eq(s3.tls.verify_tls, 1);
    ck_assert_int_eq(s3.tls.retries, 3);
    ck_assert_int_eq(fn_config_vault(cfg, &v), 0);
    ck_assert_int_eq(v.tls.verify_tls, 0);
    ck_assert_int_eq(v.tls.timeout_ms, 5000);
    ck_assert_str_eq(v.mount, "secret");
    ck_assert_str_eq(v.password_field, "password");
    ck_assert_int_eq(fn_config_cyberark(cfg, &a), 0);
    ck_assert_int_eq(a.mode, FN_CYBERARK_PVWA);
    ck_assert_str_eq(a.auth_method, "CyberArk");
    ck_assert_str_eq(fn_config_get(cfg, "s3", "bucket"), "b");
    fn_config_free(cfg);
    cfg = parse_ok("[vault]\naddress = http://v\ntoken_env = T\n");
    ck_assert_int_eq(fn_config_s3(cfg, &s3), FN_ENOTFOUND);
    fn_config_free(cfg);
}
END_TEST

START_TEST(config_errors_name_file_and_line)
{
    parse_bad("[s3]\nendpoint = http://x\nbogus = 1\n",
              "t.conf:3: unknown key 'bogus'");
    parse_bad("\n[nope]\n", "t.conf:2: unknown section [nope]");
    parse_bad("[vault]\naddress = http://v\ntoken = s.123\n",
              "t.conf:3: secrets are not written in the file");
    parse_bad("[s3]\nendpoint = ftp://x\n", "t.conf:2: endpoint: want");
    parse_bad("[s3]\ncreate_bucket = maybe\n", "t.conf:2: create_bucket");
    parse_bad("[s3]\nurl_style = sideways\n", "want one of path|virtual");
    parse_bad("[s3]\nendpoint = http://x\nbucket = b\naccess_key = a\n",
              "t.conf:1: [s3] needs one of secret_key_env");
    parse_bad("[vault]\naddress = http://v\ntoken_env = A\ntoken_file = "
              "/f\n",
              "t.conf:1: [vault] needs only one of");
    parse_bad("[vault]\naddress = http://v\nrole_id = r\n",
              "needs one of secret_id_env");
    parse_bad("[cyberark]\nurl = http://c\n", "[cyberark] needs 'app_id'");
    parse_bad("key = v\n", "t.conf:1: 'key' outside any section");
    parse_bad("[s3]\n[s3]\n", "t.conf:2: section [s3] repeated");
    parse_bad("[s3]\nregion = a\nregion = b\n", "t.conf:3: 'region' rep");
    parse_bad("[s3]\ntimeout = -4\n", "t.conf:2: timeout: want a whole");
    parse_bad("[s3\n", "t.conf:1: bad section header");
}
END_TEST

START_TEST(config_load_missing_default_is_empty)
{
    char dir[600], path[700], err[256] = "";
    fn_config_t *cfg = NULL;
    fx_tmpdir("cfgload", dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/none.conf", dir);
    ck_assert_int_eq(fn_config_load(&cfg, path, err, sizeof(err)), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "none.conf"));
    snprintf(path, sizeof(path), "%s/f.conf", dir);
    fx_write_file(path, "[s3]\nendpoint = http://x\nbucket = b\n"
                        "access_key = a\nsecret_key_file = /s\nzzz = 1\n");
    ck_assert_int_eq(fn_config_load(&cfg, path, err, sizeof(err)), FN_EPARSE);
    ck_assert_ptr_nonnull(strstr(err, "f.conf:6:"));
}
END_TEST

static int json_get(const char *json, const char *path, char *out,
                    size_t outlen)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    int rc = fn__json_get_string(json, strlen(json), path, &b);
    snprintf(out, outlen, "%s", b.data ? b.data : "");
    fn_buf_cleanup(&b);
    return rc;
}

START_TEST(json_paths_and_escapes)
{
    char out[256];
    const char *doc =
        "{\"a\": 1, \"skip\": {\"x\": [1, 2.5e3, true, null, {\"y\": \"}\"}]},"
        " \"data\": {\"data\": {\"password\": \"p\\\"w\\\\d\\n\\u00e9\\ud83d"
        "\\ude00\", \"n\": 3}}, \"errors\": [\"permission denied\"]}";
    ck_assert_int_eq(json_get(doc, "data.data.password", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "p\"w\\d\n\xc3\xa9\xf0\x9f\x98\x80");
    ck_assert_int_eq(json_get(doc, "errors.0", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "permission denied");
    ck_assert_int_eq(json_get(doc, "skip.x.4.y", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "}");
    ck_assert_int_eq(json_get(doc, "data.data.n", out, sizeof(out)),
                     FN_ENOTFOUND);
    ck_assert_int_eq(json_get(doc, "errors.1", out, sizeof(out)), FN_ENOTFOUND);
    ck_assert_int_eq(json_get(doc, "nope", out, sizeof(out)), FN_ENOTFOUND);
    ck_assert_int_eq(json_get("\"tok\\/en\"", "", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "tok/en");
}
END_TEST

START_TEST(json_rejects_bad_input)
{
    char out[64];
    const char *bad[] = {
        "{\"a\": \"\\x\"}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\" 1}",
        "{\"b\": [1 2], \"a\": \"x\"}",
        "{\"a\": \"line\nbreak\"}",
        "{\"b\": tru, \"a\": \"x\"}",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(json_get(bad[i], "a", out, sizeof(out)) == FN_EPARSE,
                      "accepted %s", bad[i]);
    /* Deep nesting is refused, not recursed into without end. */
    char deep[400];
    memset(deep, '[', 300);
    snprintf(deep + 300, 100, "\"x\"");
    char doc[500];
    snprintf(doc, sizeof(doc), "{\"b\": %s, \"a\": \"x\"}", deep);
    ck_assert_int_eq(json_get(doc, "a", out, sizeof(out)), FN_EPARSE);
    /* Every truncation of a valid document fails cleanly. */
    const char *good = "{\"x\": [1, {\"q\": \"\\u0041\"}], \"a\": \"val\"}";
    for (size_t n = 0; n < strlen(good) - 1; n++) {
        fn_buf_t b;
        fn_buf_init(&b, 0);
        int rc = fn__json_get_string(good, n, "a", &b);
        ck_assert_msg(rc != 0, "truncated at %zu accepted", n);
        fn_buf_cleanup(&b);
    }
}
END_TEST

/* Random byte flips of a valid answer: any result but a crash or an
 * overread (ASan runs this too); a fixed seed keeps it repeatable. */
START_TEST(json_survives_mutations)
{
    const char *good = "{\"data\": {\"data\": {\"password\": \"p\\u00e9w\","
                       " \"n\": [1, -2.5e3, true, null, {}]}}}";
    size_t n = strlen(good);
    char doc[128];
    unsigned seed = 12345;
    int ok = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(doc, good, n);
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            doc[(seed >> 8) % n] = (char)(seed >> 20);
        }
        fn_buf_t b;
        fn_buf_init(&b, 0);
        int rc = fn__json_get_string(doc, n, "data.data.password", &b);
        ck_assert(rc == 0 || rc == FN_ENOTFOUND || rc == FN_EPARSE);
        ok += rc == 0;
        fn_buf_cleanup(&b);
    }
    ck_assert_int_gt(ok, 0); /* flips off the path still find it */
}
END_TEST

START_TEST(xml_and_url_helpers)
{
    const char *xml = "<R><Contents><Key>a&amp;b/c.txt</Key></Contents>"
                      "<Contents><Key>&lt;d&gt;</Key></Contents></R>";
    fn_buf_t t, u;
    size_t pos = 0;
    fn_buf_init(&t, 0);
    fn_buf_init(&u, 0);
    ck_assert_int_eq(fn__xml_next(xml, strlen(xml), "Key", &pos, &t), 0);
    ck_assert_str_eq(t.data, "a&b/c.txt");
    ck_assert_int_eq(fn__xml_next(xml, strlen(xml), "Key", &pos, &t), 0);
    ck_assert_str_eq(t.data, "<d>");
    ck_assert_int_eq(fn__xml_next(xml, strlen(xml), "Key", &pos, &t),
                     FN_ENOTFOUND);
    ck_assert_int_eq(fn__url_escape(&u, "a b/c~d+é", 1), 0);
    ck_assert_str_eq(u.data, "a%20b/c~d%2B%C3%A9");
    fn_buf_reset(&u);
    ck_assert_int_eq(fn__url_escape(&u, "x/y=z", 0), 0);
    ck_assert_str_eq(u.data, "x%2Fy%3Dz");
    fn_buf_cleanup(&t);
    fn_buf_cleanup(&u);
}
END_TEST

START_TEST(secret_load_env_and_file)
{
    char dir[600], path[700], reason[256];
    char *s = NULL;
    fx_tmpdir("secret", dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pw", dir);
    fx_write_file(path, "filesecret\r\n");
    setenv("FN_T_SECRET", "envsecret", 1);
    ck_assert_int_eq(
        fn__secret_load("FN_T_SECRET", NULL, &s, reason, sizeof(reason)), 0);
    ck_assert_str_eq(s, "envsecret");
    fn__secret_free(s);
    ck_assert_int_eq(fn__secret_load(NULL, path, &s, reason, sizeof(reason)),
                     0);
    ck_assert_str_eq(s, "filesecret");
    fn__secret_free(s);
    ck_assert_int_eq(
        fn__secret_load("FN_T_UNSET_X", NULL, &s, reason, sizeof(reason)),
        FN_ECREDS);
    ck_assert_str_eq(reason, "environment variable FN_T_UNSET_X is not set");
    ck_assert_int_eq(
        fn__secret_load(NULL, "/nonexistent/pw", &s, reason, sizeof(reason)),
        FN_ECREDS);
    ck_assert_ptr_nonnull(strstr(reason, "/nonexistent/pw"));
}
END_TEST

/* --- credential cache with local providers --------------------------- */

typedef struct answer {
    int done, status;
    char secret[128], reason[256];
    int inside_get; /* set while fn_secrets_get runs */
    int called_inside;
} answer_t;

static void on_cred(int status, const fn_secret_t *cred, const char *reason,
                    void *arg)
{
    answer_t *a = arg;
    a->done++;
    a->status = status;
    a->called_inside |= a->inside_get;
    snprintf(a->secret, sizeof(a->secret), "%s", cred ? cred->secret : "");
    snprintf(a->reason, sizeof(a->reason), "%s", reason);
}

static int prompts;

static int prompt_fn(const char *ref, char *out, size_t outlen, void *arg)
{
    prompts++;
    snprintf(out, outlen, "typed-%s", ref);
    return 0;
}

static void get(fn_secrets_t *c, const char *p, const char *ref, answer_t *a)
{
    a->inside_get = 1;
    ck_assert_int_eq(fn_secrets_get(c, p, ref, on_cred, a), 0);
    a->inside_get = 0;
}

START_TEST(creds_local_cached_once_per_task)
{
    struct event_base *base = event_base_new();
    fn_http_t *http = NULL;
    fn_secrets_t *c = NULL;
    char dir[600], path[700];
    answer_t a[6];
    memset(a, 0, sizeof(a));
    fx_tmpdir("credslocal", dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/pw", dir);
    fx_write_file(path, "from-file\n");
    setenv("FN_T_DEVPW", "from-env", 1);
    ck_assert_int_eq(fn_http_new(&http, base), 0);
    ck_assert_int_eq(fn_secrets_new(&c, http, NULL), 0);
    fn_secrets_set_prompt(c, prompt_fn, NULL);
    prompts = 0;
    get(c, "env", "FN_T_DEVPW", &a[0]);
    get(c, "env", "FN_T_DEVPW", &a[1]);
    get(c, "file", path, &a[2]);
    get(c, "prompt", "core", &a[3]);
    get(c, "prompt", "core", &a[4]);
    get(c, "vault", "net/core", &a[5]);
    ck_assert_int_eq(fn_secrets_get(c, "ldap", "x", on_cred, NULL), -EINVAL);
    ck_assert_int_eq(a[0].done, 0); /* never inside fn_secrets_get */
    int all = 0;
    while (!all) {
        event_base_loop(base, EVLOOP_ONCE);
        all = 1;
        for (int i = 0; i < 6; i++)
            all &= a[i].done == 1;
    }
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(a[i].called_inside, 0);
    ck_assert_str_eq(a[0].secret, "from-env");
    ck_assert_str_eq(a[1].secret, "from-env");
    ck_assert_str_eq(a[2].secret, "from-file");
    ck_assert_str_eq(a[4].secret, "typed-core");
    ck_assert_int_eq(prompts, 1);
    ck_assert_int_eq(a[5].status, FN_ECREDS);
    ck_assert_str_eq(a[5].reason,
                     "vault net/core: no [vault] section in the config");
    ck_assert_int_eq(fn_secrets_fetches(c), 4);
    fn_secrets_free(c);
    fn_http_free(http);
    event_base_free(base);
}
END_TEST

START_TEST(creds_failure_reason_has_no_secret)
{
    struct event_base *base = event_base_new();
    fn_http_t *http = NULL;
    fn_secrets_t *c = NULL;
    answer_t a = {0}, b = {0};
    setenv("FN_T_EMPTY", "", 1);
    ck_assert_int_eq(fn_http_new(&http, base), 0);
    ck_assert_int_eq(fn_secrets_new(&c, http, NULL), 0);
    get(c, "env", "FN_T_EMPTY", &a);
    get(c, "prompt", "x", &b); /* no prompt function set */
    while (!a.done || !b.done)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(a.status, FN_ECREDS);
    ck_assert_str_eq(a.reason, "env FN_T_EMPTY: environment variable "
                               "FN_T_EMPTY is empty");
    ck_assert_int_eq(b.status, FN_ECREDS);
    ck_assert_str_eq(b.reason, "prompt x: no prompt available");
    fn_secrets_free(c);
    fn_http_free(http);
    event_base_free(base);
}
END_TEST

typedef struct ticks {
    struct event *ev;
    int n; /* timer runs so far */
} ticks_t;

static void tick(evutil_socket_t fd, short what, void *arg)
{
    ticks_t *t = arg;
    struct timeval tv = {0, 1000};
    if (++t->n < 3)
        evtimer_add(t->ev, &tv);
}

static int ticked_thrice(const void *arg)
{
    return ((const ticks_t *)arg)->n >= 3;
}

START_TEST(http_wait_runs_the_loop_until_done)
{
    struct event_base *base = event_base_new();
    ticks_t t = {0};
    t.ev = evtimer_new(base, tick, &t);
    struct timeval tv = {0, 1000};
    evtimer_add(t.ev, &tv);
    ck_assert_int_eq(fn_http_wait(base, ticked_thrice, &t), 0);
    ck_assert_int_eq(t.n, 3);
    /* already done: returns without running the loop */
    ck_assert_int_eq(fn_http_wait(base, ticked_thrice, &t), 0);
    ck_assert_int_eq(t.n, 3);
    event_free(t.ev);
    event_base_free(base);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("integrations");
    TCase *tc = tcase_create("unit");
    tcase_add_test(tc, config_views_and_defaults);
    tcase_add_test(tc, config_errors_name_file_and_line);
    tcase_add_test(tc, config_load_missing_default_is_empty);
    tcase_add_test(tc, json_paths_and_escapes);
    tcase_add_test(tc, json_rejects_bad_input);
    tcase_add_test(tc, json_survives_mutations);
    tcase_add_test(tc, xml_and_url_helpers);
    tcase_add_test(tc, secret_load_env_and_file);
    tcase_add_test(tc, creds_local_cached_once_per_task);
    tcase_add_test(tc, creds_failure_reason_has_no_secret);
    tcase_add_test(tc, http_wait_runs_the_loop_until_done);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(suite());
}
