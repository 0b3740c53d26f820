/*
 * test_cli.c — Check suite for the CLI pieces that stand alone: the JSON
 * string escaper and object writer (json.c), the YAML manifest parser
 * (manifest.c) and the number parsers (spec.c).
 *
 * Every manifest error is checked for its "file:line:" prefix: the line
 * is the promise `flexnet run --check` makes. End-to-end behaviour of the
 * binary is in test_cli_e2e.py.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_int.h"
#include "fn_check.h"

/* ---- JSON ----------------------------------------------------------- */

static void check_escape(const char *in, size_t len, const char *want)
{
    fn_buf_t b;
    fn_buf_init(&b, 0);
    ck_assert_int_eq(fn__cli_json_escape(&b, in, len), 0);
    ck_assert_str_eq(b.data, want);
    fn_buf_cleanup(&b);
}

START_TEST(json_escape_plain_and_specials)
{
    check_escape("", 0, "\"\"");
    check_escape("show version", 12, "\"show version\"");
    check_escape("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
    check_escape("l1\nl2\r\t\b\f", 9, "\"l1\\nl2\\r\\t\\b\\f\"");
    check_escape("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    check_escape("a\0b", 3, "\"a\\u0000b\"");
}
END_TEST

START_TEST(json_escape_utf8)
{
    /* Well-formed sequences of 2, 3 and 4 bytes pass unchanged. */
    check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    /* Invalid bytes become U+FFFD, one per byte. */
    check_escape("\xff", 1, "\"\xef\xbf\xbd\"");
    check_escape("\x80x", 2, "\"\xef\xbf\xbdx\"");
    check_escape("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* overlong */
    check_escape("\xed\xa0\x80", 3,                              /* surrogate */
                 "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_escape("\xe2\x82", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\""); /* cut */
    check_escape("\xf4\x90\x80\x80", 4,                          /* > 10FFFF */
                 "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}
END_TEST

START_TEST(json_object_writer)
{
    fn_buf_t b;
    fn__cli_json_t j;
    fn_buf_init(&b, 0);
    fn__cli_json_begin(&j, &b, "result");
    fn__cli_json_str(&j, "host", "r\"1");
    fn__cli_json_int(&j, "exit_code", -3);
    fn__cli_json_bool(&j, "truncated", 1);
    fn__cli_json_double(&j, "duration_ms", 1.5);
    fn__cli_json_double(&j, "eta", NAN);
    fn__cli_json_str(&j, "none", NULL);
    fn__cli_json_strn(&j, "out", "ab\ncd", 3);
    ck_assert_int_eq(fn__cli_json_end(&j), 0);
    ck_assert_str_eq(
        b.data, "{\"type\":\"result\",\"host\":\"r\\\"1\",\"exit_code\":-3,"
                "\"truncated\":true,\"duration_ms\":1.500,\"eta\":null,"
                "\"none\":\"\",\"out\":\"ab\\n\"}");
    fn_buf_cleanup(&b);
}
END_TEST

/* ---- manifest ------------------------------------------------------- */

static const char full_manifest[] =
    "task:\n"
    "  name: nightly\n"
    "  inventory: fleet.ini\n"
    "  subtasks:\n"
    "    - name: core\n"
    "      targets: {groups: [core, edge], hosts: r9}\n"
    "      credentials:\n"
    "        username: ops\n"
    "        password_env: FN_PASS\n"
    "        enable_password_env: FN_ENABLE\n"
    "      connect_first: yes\n"
    "      max_failed: 10%\n"
    "      concurrency: 500\n"
    "      connect_timeout: 2.5\n"
    "      command_timeout: 30\n"
    "      steps:\n"
    "        - commands: [show version, show clock]\n"
    "          tag: ver\n"
    "          exit_on_fail: true\n"
    "        - config: [ntp server 10.0.0.1]\n"
    "          only_on: [r1, r2]\n"
    "          skip: r3\n"
    "          when: {tag: ver, exit_code: 0}\n"
    "          timeout: 5\n"
    "        - command: show ntp\n"
    "          when: {tag: ver, exit_codes: [0, -2], operator: is_not}\n"
    "        - backup: true\n"
    "          comment: after ntp\n"
    "    - targets: {groups: [all]}\n"
    "      steps:\n"
    "        - backup: yes\n";

static void parse_ok(const char *text, fn__cli_manifest_t *m)
{
    char err[256] = "";
    int rc = fn__cli_manifest_parse(text, strlen(text), "m.yaml", m, err,
                                    sizeof(err));
    ck_assert_msg(rc == 0, "parse failed: %s", err);
}

START_TEST(manifest_full)
{
    fn__cli_manifest_t m;
    parse_ok(full_manifest, &m);
    ck_assert_uint_eq(m.n, 2);
    const Flexnet__V1__TaskSpec *s = m.jobs[0].spec;
    ck_assert_str_eq(s->name, "nightly / core");
    ck_assert_str_eq(s->inventory_path, "fleet.ini");
    ck_assert_uint_eq(s->n_groups, 2);
    ck_assert_str_eq(s->groups[1], "edge");
    ck_assert_uint_eq(s->n_hosts, 1);
    ck_assert_str_eq(s->hosts[0], "r9");
    ck_assert_str_eq(s->credentials->username, "ops");
    ck_assert_str_eq(s->credentials->password_env, "FN_PASS");
    ck_assert_str_eq(s->credentials->enable_password_env, "FN_ENABLE");
    ck_assert_int_eq(s->mode, FLEXNET__V1__RUN_MODE__RUN_MODE_CONNECT_FIRST);
    ck_assert_uint_eq(s->max_failed_percent, 10);
    ck_assert_int_eq(m.jobs[0].has_max_failed, 1);
    ck_assert_uint_eq(s->concurrency, 500);
    ck_assert_uint_eq(s->connect_timeout_ms, 2500);
    ck_assert_uint_eq(s->command_timeout_ms, 30000);
    ck_assert_int_eq(m.jobs[0].line, 5);
    ck_assert_uint_eq(s->n_steps, 4);

    const Flexnet__V1__Step *st = s->steps[0];
    ck_assert_int_eq(st->kind, FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS);
    ck_assert_uint_eq(st->n_commands, 2);
    ck_assert_str_eq(st->commands[1], "show clock");
    ck_assert_str_eq(st->tag, "ver");
    ck_assert_int_eq(st->exit_on_fail, 1);

    st = s->steps[1];
    ck_assert_int_eq(st->kind, FLEXNET__V1__STEP_KIND__STEP_KIND_CONFIG);
    ck_assert_str_eq(st->commands[0], "ntp server 10.0.0.1");
    ck_assert_uint_eq(st->n_only_on, 2);
    ck_assert_uint_eq(st->n_skip, 1);
    ck_assert_str_eq(st->skip[0], "r3");
    ck_assert_str_eq(st->when->tag, "ver");
    ck_assert_uint_eq(st->when->n_exit_codes, 1);
    ck_assert_int_eq(st->when->exit_codes[0], 0);
    ck_assert_uint_eq(st->timeout_ms, 5000);

    /* is_not [0, -2] keeps the other codes: 1, -1, -3. */
    st = s->steps[2];
    ck_assert_uint_eq(st->n_commands, 1);
    ck_assert_uint_eq(st->when->n_exit_codes, 3);
    ck_assert_int_eq(st->when->exit_codes[0], 1);
    ck_assert_int_eq(st->when->exit_codes[1], -1);
    ck_assert_int_eq(st->when->exit_codes[2], -3);

    st = s->steps[3];
    ck_assert_int_eq(st->kind, FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP);
    ck_assert_str_eq(st->comment, "after ntp");

    s = m.jobs[1].spec;
    ck_assert_str_eq(s->name, "nightly #2");
    ck_assert_int_eq(s->mode, 0);
    ck_assert_int_eq(m.jobs[1].has_max_failed, 0);
    fn__cli_manifest_cleanup(&m);
    ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(manifest_documents_and_env_username)
{
    fn__cli_manifest_t m;
    setenv("FN_TEST_CLI_USER", "netops", 1);
    parse_ok("task: {name: a, subtasks: [{targets: {hosts: [h]},"
             " steps: [{command: x}]}]}\n"
             "---\n"
             "task:\n"
             "  name: b\n"
             "  subtasks:\n"
             "    - credentials: {username_env: FN_TEST_CLI_USER}\n"
             "      max_failed: 0\n"
             "      steps: [{backup: true}]\n",
             &m);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_str_eq(m.jobs[0].spec->name, "a #1");
    ck_assert_str_eq(m.jobs[1].spec->name, "b #1");
    ck_assert_str_eq(m.jobs[1].spec->credentials->username, "netops");
    ck_assert_int_eq(m.jobs[1].has_max_failed, 1);
    ck_assert_uint_eq(m.jobs[1].spec->max_failed, 0);
    fn__cli_manifest_cleanup(&m);
}
END_TEST

/* Each bad manifest, and the start of the message it must give. */
static const struct {
    const char *text;
    const char *want;
} bad_manifests[] = {
    {"", "m.yaml:1: empty manifest"},
    {"- a\n- b\n", "m.yaml:1: a manifest is a mapping"},
    {"task:\n  name: x\n  subtask: []\n", "m.yaml:3: unknown key 'subtask'"},
    {"task:\n  name: x\n", "m.yaml:2: task: missing 'subtasks'"},
    {"task:\n  subtasks:\n    - steps: [{command: a}]\n",
     "m.yaml:2: task: missing 'name'"},
    {"task:\n  name: x\n  subtasks:\n    - steps: [{comand: a}]\n",
     "m.yaml:4: unknown key 'comand' in a step"},
    {"task:\n  name: x\n  subtasks:\n    - name: s\n",
     "m.yaml:4: subtask: missing 'steps'"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n        - tag: t\n",
     "m.yaml:5: a step needs one of"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - {command: a, backup: true}\n",
     "m.yaml:5: 'backup': a step has only one of"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - command: a\n          exit_on_fail: maybe\n",
     "m.yaml:6: exit_on_fail: expected true or false"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - command: a\n          when: {tag: nope, exit_code: 0}\n",
     "m.yaml:6: when: no earlier step has tag 'nope'"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - {command: a, tag: t}\n"
     "        - command: b\n          when: {tag: t, exit_code: 7}\n",
     "m.yaml:7: when.exit_code: expected one of"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - {command: a, tag: t}\n        - {command: b, tag: t}\n",
     "m.yaml:6: tag 't' is used twice"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - {command: a, comment: hi}\n",
     "m.yaml:5: comment: only a backup step"},
    {"task:\n  name: x\n  subtasks:\n    - credentials:\n"
     "        password: hunter2\n      steps: [{command: a}]\n",
     "m.yaml:5: password: secrets never go in a manifest"},
    {"task:\n  name: x\n  subtasks:\n    - max_failed: lots\n"
     "      steps: [{command: a}]\n",
     "m.yaml:4: max_failed: expected N or P%"},
    {"task:\n  name: x\n  subtasks:\n    - connect_timeout: -1\n"
     "      steps: [{command: a}]\n",
     "m.yaml:4: connect_timeout: expected seconds"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - command: [a, b]\n",
     "m.yaml:5: command: one command"},
    {"task:\n  name: x\n  subtasks:\n    - steps:\n"
     "        - commands: []\n",
     "m.yaml:5: commands must not be empty"},
    {"task:\n  name: x\n  subtasks:\n    - credentials: "
     "{username_env: FN_TEST_CLI_UNSET_VAR}\n      steps: [{command: a}]\n",
     "m.yaml:4: username_env: FN_TEST_CLI_UNSET_VAR is not set"},
    {"task:\n  name: [x\n", "m.yaml:3: YAML:"},
    {"task:\n  name: x\n\tsubtasks: []\n", "m.yaml:3: YAML:"},
};

START_TEST(manifest_errors_name_the_line)
{
    const char *text = bad_manifests[_i].text;
    const char *want = bad_manifests[_i].want;
    fn__cli_manifest_t m;
    char err[256] = "";
    unsetenv("FN_TEST_CLI_UNSET_VAR");
    int rc = fn__cli_manifest_parse(text, strlen(text), "m.yaml", &m, err,
                                    sizeof(err));
    ck_assert_int_eq(rc, FN_EPARSE);
    ck_assert_msg(!strncmp(err, want, strlen(want)),
                  "case %d: got \"%s\", want \"%s...\"", _i, err, want);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_ptr_null(m.jobs);
}
END_TEST

START_TEST(manifest_load_resolves_inventory)
{
    char dir[] = "/tmp/fn_test_cli_XXXXXX", path[64], err[256] = "";
    fn__cli_manifest_t m;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/m.yaml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("task:\n  name: x\n  inventory: inv.ini\n  subtasks:\n"
          "    - steps: [{command: a}]\n",
          f);
    fclose(f);
    ck_assert_int_eq(fn__cli_manifest_load(path, &m, err, sizeof(err)), 0);
    char want[80];
    snprintf(want, sizeof(want), "%s/inv.ini", dir);
    ck_assert_str_eq(m.jobs[0].spec->inventory_path, want);
    fn__cli_manifest_cleanup(&m);
    unlink(path);
    rmdir(dir);
    /* A missing file names itself. */
    ck_assert_int_eq(
        fn__cli_manifest_load("/nonexistent/m.yaml", &m, err, sizeof(err)),
        -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/m.yaml"));
}
END_TEST

/* ---- number parsers ------------------------------------------------- */

START_TEST(parsers)
{
    unsigned v = 0;
    ck_assert_int_eq(fn__cli_parse_uint("42", 100, &v), 0);
    ck_assert_uint_eq(v, 42);
    ck_assert_int_eq(fn__cli_parse_uint("101", 100, &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_uint("-1", 100, &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_uint("4x", 100, &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_uint("", 100, &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_seconds("0.25", &v), 0);
    ck_assert_uint_eq(v, 250);
    ck_assert_int_eq(fn__cli_parse_seconds("0", &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_seconds("nan", &v), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_seconds("1e9", &v), FN_EPARSE);

    Flexnet__V1__TaskSpec *s = fn__cli_spec_new();
    ck_assert_int_eq(fn__cli_parse_max_failed("25%", s), 0);
    ck_assert_uint_eq(s->max_failed_percent, 25);
    ck_assert_uint_eq(s->max_failed, 0);
    ck_assert_int_eq(fn__cli_parse_max_failed("7", s), 0);
    ck_assert_uint_eq(s->max_failed, 7);
    ck_assert_uint_eq(s->max_failed_percent, 0);
    ck_assert_int_eq(fn__cli_parse_max_failed("101%", s), FN_EPARSE);
    ck_assert_int_eq(fn__cli_parse_max_failed("%", s), FN_EPARSE);
    fn__cli_spec_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, json_escape_plain_and_specials);
    tcase_add_test(tc, json_escape_utf8);
    tcase_add_test(tc, json_object_writer);
    tcase_add_test(tc, manifest_full);
    tcase_add_test(tc, manifest_documents_and_env_username);
    tcase_add_loop_test(tc, manifest_errors_name_the_line, 0,
                        sizeof(bad_manifests) / sizeof(bad_manifests[0]));
    tcase_add_test(tc, manifest_load_resolves_inventory);
    tcase_add_test(tc, parsers);
    suite_add_tcase(s, tc);
    return fn_check_run(s);
}
