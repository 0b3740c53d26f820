#!/usr/bin/python3
"""test_rpc_utf8.py — device bytes that are not UTF-8 never break a client.

flexnet-sim's cisco_ios prints Latin-1 (`show location`: "Z\\xfcrich,
caf\\xe9") and bytes of no encoding (`show noise`). Through Debian's
python3-grpcio: the RunTask stream and GetTask (with results) decode,
every string is valid UTF-8 with U+FFFD for each bad byte, and
stdout_raw holds the exact bytes; `flexnet run --json` lines are valid
JSON with the exact bytes in stdout_raw_b64; the store keeps them
(`tasks show` after the fact). Ports 31800-31809.
"""
import base64
import json
import os
import subprocess

from test_rpc_lib import BIN, Env, check, main, pb, run_task, spec

PORT = 31800
CLI = os.path.join(BIN, "cli", "flexnet")
LATIN1 = b"Site: Z\xfcrich, caf\xe9 r\xe9seau (rack \xa7 4)\n"


def expected(raw):
    """What the sanitized string must be: U+FFFD per bad byte."""
    return raw.decode("utf-8", errors="replace")


def check_result(r, what):
    raw = bytes(r.stdout_raw)
    check(raw, "%s: %s: stdout_raw holds the exact bytes" % (what, r.command))
    check(r.stdout == expected(raw),
          "%s: stdout is stdout_raw with U+FFFD (%r)" % (what, r.stdout))
    check("\ufffd" in r.stdout, "%s: replacement characters" % what)
    if r.command == "show location":
        check(raw == LATIN1, "%s: Latin-1 bytes kept (%r)" % (what, raw))


def test_grpc(env):
    stub = env.stub()
    s = spec(commands=("show location", "show noise", "show clock"),
             name="utf8", inventory_path=env.inventory, groups=["all"])
    kinds, summary = run_task(stub, s)  # raised here before the fix
    results = [e.result for e in kinds.get("result", [])]
    check(len(results) == 3 and summary.errors == 0,
          "three results, no errors (%r)" % summary)
    for r in results[:2]:
        check_result(r, "RunTask")
    clock = results[2]
    check(clock.stdout and not clock.stdout_raw,
          "valid UTF-8 output: no raw copy (%r)" % clock.stdout_raw)
    got = stub.GetTask(pb.GetTaskRequest(task_id=summary.task_id,
                                         with_results=True), timeout=10)
    stored = [r for r in got.results if r.command != "show clock"]
    check(len(stored) == 2, "GetTask: results read back")
    for r in stored:
        check_result(r, "GetTask")
    return summary.task_id


def test_cli_json(env):
    db = os.path.join(env.dir, "cli-db")
    envv = dict(os.environ, FN_T_PW="admin", FN_T_EN="enable")
    p = subprocess.run([CLI, "run", "-i", env.inventory, "-g", "all", "-u",
                        "admin", "--password-env", "FN_T_PW",
                        "--enable-password-env", "FN_T_EN", "--db", db,
                        "-c", "show location", "-c", "show noise", "--json"],
                       capture_output=True, env=envv, timeout=120)
    check(p.returncode == 0, "flexnet run --json: exit 0 (%r)" % p.stderr)
    p.stdout.decode("utf-8")  # strict: raises on a bad byte
    events = [json.loads(ln) for ln in p.stdout.splitlines()]
    res = [e for e in events if e["type"] == "result"]
    check(len(res) == 2, "two results")
    for e in res:
        raw = base64.b64decode(e["stdout_raw_b64"])
        check(e["stdout"] == expected(raw),
              "--json: stdout is the raw bytes with U+FFFD (%r)" % e)
    check(base64.b64decode(res[0]["stdout_raw_b64"]) == LATIN1,
          "--json: exact Latin-1 bytes")
    task = [e for e in events if e["type"] == "summary"][0]["task_id"]
    p = subprocess.run([CLI, "tasks", "show", task, "--json", "--db", db],
                       capture_output=True, timeout=60)
    shown = [json.loads(ln) for ln in p.stdout.decode("utf-8").splitlines()]
    kept = [e for e in shown if e.get("type") == "result" and
            e.get("command") == "show location"]
    check(kept and base64.b64decode(kept[0]["stdout_raw_b64"]) == LATIN1,
          "the store keeps the exact bytes (%r)" % shown[-3:])


if __name__ == "__main__":
    with Env(PORT, devices=1, sim_args=["--vendor", "cisco_ios"]) as env:
        main([("grpc", lambda: test_grpc(env)),
              ("cli_json", lambda: test_cli_json(env))])
