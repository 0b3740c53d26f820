#!/usr/bin/python3
"""test_cli_run.py — end to end: every `flexnet` subcommand against a
mixed flexnet-sim fleet (ports 28000-28099): run (flags, manifest,
connect-first), --json parsed back field by field, exit statuses, tasks
list/show/log/delete, backups list/get/diff/delete, vendors list/show,
--help everywhere, unique id prefixes.
"""
import os
import re

from test_cli_util import (Sim, check, finish, flexnet, inventory_hosts,
                           json_lines, tempdir, write)

BASE = 28000
N = 24
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}
HEX16 = re.compile(r"^[0-9a-f]{16}$")
EVENT_TYPES = {"connection", "result", "backup", "summary"}


def run(db, inv, *args):
    return flexnet(["run", "-i", inv, "-u", "admin", "--password-env",
                    "FN_T_PW", "--enable-password-env", "FN_T_EN", "--db",
                    db] + list(args), env=ENV)


def check_help():
    for argv in (["--help"], ["run", "--help"], ["tasks", "--help"],
                 ["tasks", "list", "--help"], ["tasks", "show", "--help"],
                 ["tasks", "log", "--help"], ["tasks", "delete", "--help"],
                 ["backups", "--help"], ["backups", "list", "--help"],
                 ["backups", "get", "--help"], ["backups", "diff", "--help"],
                 ["backups", "delete", "--help"], ["vendors", "--help"],
                 ["vendors", "list", "--help"], ["vendors", "show", "--help"],
                 ["hostkeys", "--help"], ["hostkeys", "list", "--help"],
                 ["hostkeys", "forget", "--help"],
                 ["hostkeys", "import", "--help"]):
        p = flexnet(argv)
        check(p.returncode == 0 and p.stdout.startswith("usage: flexnet"),
              "%s: exit %d, %r" % (argv, p.returncode, p.stdout[:60]))
    p = flexnet(["frobnicate"])
    check(p.returncode == 2, "unknown command exits 2")
    check_man_page()


def check_man_page():
    """doc/flexnet.1 documents every option `--help` lists."""
    src = os.environ.get("FN_TEST_SRC", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    with open(os.path.join(src, "doc", "flexnet.1")) as f:
        man = f.read().replace("\\-", "-")
    helps = ""
    for argv in (["run"], ["tasks"], ["backups"], ["vendors"],
                 ["inventory"], ["hostkeys"]):
        helps += flexnet(argv + ["--help"]).stdout
    opts = set(re.findall(r"(--[a-z][a-z-]+)", helps))
    missing = sorted(o for o in opts if o not in man)
    check(len(opts) > 30 and not missing,
          "man page documents every option (missing %r)" % missing)


def check_vendors():
    p = flexnet(["vendors", "list"])
    check(p.returncode == 0, "vendors list exit 0")
    for v in ("cisco_ios", "juniper_junos", "huawei_vrp", "arista_eos"):
        check(re.search(r"^%s\s+builtin" % v, p.stdout, re.M),
              "vendors list names " + v)
    p = flexnet(["vendors", "show", "juniper_junos"])
    check(p.returncode == 0 and "show configuration | display set"
          in p.stdout, "vendors show juniper_junos gives its backup command")
    p = flexnet(["vendors", "show", "nope"])
    check(p.returncode == 2 and "nope" in p.stderr, "vendors show nope: 2")


def check_result(r, hosts, tid):
    """Field-by-field check of one --json result line."""
    check(r["task_id"] == tid, "result task_id")
    check(r["host"] in hosts, "result host %r known" % r["host"])
    check(isinstance(r["command"], str) and r["command"], "result command")
    check(r["exit_code"] in (0, 1, -1, -2, -3), "result exit_code %r"
          % r["exit_code"])
    check(isinstance(r["stdout"], str) and isinstance(r["stderr"], str),
          "result stdout/stderr strings")
    check(isinstance(r["duration_ms"], (int, float)) and
          r["duration_ms"] >= 0, "result duration_ms")
    check(isinstance(r["step"], int) and isinstance(r["seq"], int),
          "result step/seq")
    if r["command"] == "show foo bar":
        check(r["exit_code"] == 1 and r["stderr"].strip(),
              "invalid command on %s: exit 1 with stderr (%r)"
              % (r["host"], r["stderr"]))
    if r["command"] == "show version" and r["host"] in CISCO:
        check(r["exit_code"] == 0 and "Cisco" in r["stdout"] and
              not r["stderr"], "show version on %s ok" % r["host"])


def check_json_run(db, inv, hosts):
    p = run(db, inv, "-g", "all", "-c", "show version", "-c",
            "show foo bar", "--backup", "--comment", "e2e first", "--json")
    check(p.returncode == 1, "run with an invalid command exits 1, got %d: %s"
          % (p.returncode, p.stderr))
    ev = json_lines(p.stdout)
    check(all(e["type"] in EVENT_TYPES for e in ev), "only known types")
    check(ev and ev[-1]["type"] == "summary", "summary comes last")
    s = ev[-1]
    tid = s["task_id"]
    check(HEX16.match(tid), "task id is 16 hex")
    conns = [e for e in ev if e["type"] == "connection"]
    check(sorted(c["host"] for c in conns) == sorted(hosts),
          "one connection row per device")
    for c in conns:
        check(c["status"] == "ok" and c["reason"] == "" and
              c["address"] == "127.0.0.1" and
              BASE <= c["port"] < BASE + N and c["vendor"],
              "connection row %r" % c)
    results = [e for e in ev if e["type"] == "result"]
    for r in results:
        check_result(r, hosts, tid)
    bad = [r for r in results if r["command"] == "show foo bar"]
    check(len(bad) == N, "invalid command ran on every device")
    backups = [e for e in ev if e["type"] == "backup"]
    check(len(backups) == N, "one backup per device, got %d" % len(backups))
    for b in backups:
        check(HEX16.match(b["id"]) and b["task_id"] == tid and
              b["host"] in hosts and b["size"] > 0 and
              re.match(r"^[0-9a-f]{64}$", b["sha256"]) and
              b["comment"] == "e2e first", "backup event %r" % b)
    check(s["status"] == "done" and s["devices"] == N and
          s["connected"] == N and s["failed_connect"] == 0 and
          s["backups"] == N and s["failed"] == N, "summary %r" % s)
    return tid, backups


def check_human_run(db, inv):
    p = run(db, inv, "-g", "cisco_ios", "-c", "show version", "--backup")
    check(p.returncode == 0, "all-ok run exits 0, got %d: %s"
          % (p.returncode, p.stderr + p.stdout))
    out = p.stdout
    check(re.search(r"^task [0-9a-f]{16} \"run\": %d devices" % len(CISCO),
                    out, re.M), "human output names the task")
    check("\nconnections\nHOST" in out and "\nresults\nHOST" in out,
          "connection report and per-device tables")
    check(re.search(r"devices %d: %d connected, 0 unreachable; %d ok"
                    % (len(CISCO), len(CISCO), len(CISCO)), out),
          "summary line")
    check("\r" not in p.stderr, "no progress line when stderr is no tty")


def check_tasks(db, tid):
    p = flexnet(["tasks", "list", "--db", db])
    check(p.returncode == 0 and tid in p.stdout, "tasks list shows the task")
    p = flexnet(["tasks", "list", "--all", "--json", "--db", db])
    tasks = json_lines(p.stdout)
    check(any(t["id"] == tid and t["status"] == "done" and
              t["devices"] == N for t in tasks), "tasks list --json")
    p = flexnet(["tasks", "show", tid[:12], "--db", db])
    check(p.returncode == 0 and ("task     " + tid) in p.stdout and
          "show foo bar" in p.stdout, "tasks show by prefix")
    rows = re.findall(r"^(\S+)\s+\S+\s+ok\s+(\d+)\s+(\d+)\s+(\d+)\s",
                      p.stdout.split("\nresults\n")[-1], re.M)
    check(len(rows) == 20 and all(c == "3" and int(e) >= 1 and b == "1"
                                  for _, c, e, b in rows),
          "tasks show: per-device commands, errors, backups: %r" % rows)
    p = flexnet(["tasks", "show", tid, "--json", "--db", db])
    ev = json_lines(p.stdout)
    check(ev[0]["type"] == "task" and ev[0]["id"] == tid, "show --json task")
    check(len([e for e in ev if e["type"] == "connection"]) == N,
          "show --json connections")
    check(len([e for e in ev if e["type"] == "result" and
               e["command"] == "show foo bar" and e["exit_code"] == 1]) == N,
          "show --json results")
    p = flexnet(["tasks", "log", tid, "--db", db])
    check(p.returncode == 0 and p.stdout.strip(), "tasks log prints lines")
    p = flexnet(["tasks", "show", "0", "--db", db])
    check(p.returncode == 2, "unknown id exits 2")


def check_backups(db, inv, first):
    cisco = sorted(CISCO)[:2]
    args = []
    for h in cisco:
        args += ["--host", h]
    p = run(db, inv, *args, "--config-line", "ntp server 10.9.9.9", "--backup",
            "--comment", "after ntp")
    check(p.returncode == 0, "config + backup run exits 0: %s" % p.stdout)
    p = flexnet(["backups", "list", "--host", cisco[0], "--json", "--db", db])
    bl = json_lines(p.stdout)
    check(len(bl) >= 2 and bl[0]["comment"] == "after ntp",
          "backups list --host, newest first")
    new, old = bl[0]["id"], [b for b in first if b["host"] == cisco[0]][0]
    p = flexnet(["backups", "diff", new[:15], "--db", db])
    check(p.returncode == 0 and "+ntp server 10.9.9.9" in p.stdout and
          p.stdout.startswith("--- "), "diff against the previous backup: "
          "%d %r %r" % (p.returncode, p.stdout[:300], p.stderr))
    p = flexnet(["backups", "diff", new, old["id"], "--db", db])
    check("+ntp server 10.9.9.9" in p.stdout, "diff between two ids")
    out = os.path.join(os.path.dirname(db), "cfg.txt")
    p = flexnet(["backups", "get", new, "-o", out, "--db", db])
    q = flexnet(["backups", "get", new, "--db", db])
    with open(out) as f:
        text = f.read()
    check(p.returncode == 0 and text == q.stdout and
          "ntp server 10.9.9.9" in text, "backups get, -o FILE")
    p = flexnet(["backups", "list", "--task", first[0]["task_id"][:12],
                 "--db", db])
    check(p.stdout.count("e2e first") == N, "backups list --task")
    p = flexnet(["backups", "delete", new, "--db", db])
    check(p.returncode == 0 and new in p.stdout, "backups delete")
    p = flexnet(["backups", "get", new, "--db", db])
    check(p.returncode == 2, "deleted backup is gone")
    p = flexnet(["backups", "diff", old["id"], "--db", db])
    check(p.returncode == 2 and "first backup" in p.stderr,
          "diff of a first backup says so")


def check_manifest(db, inv, work):
    m = write(os.path.join(work, "m.yaml"), """\
task:
  name: e2e manifest
  inventory: %s
  subtasks:
    - name: cisco
      targets: {groups: [cisco_ios]}
      credentials: {username: admin, password_env: FN_T_PW,
                    enable_password_env: FN_T_EN}
      steps:
        - command: show version
          tag: ver
        - command: show clock
          when: {tag: ver, exit_code: 1}
        - command: show ip interface brief
          when: {tag: ver, exit_code: 0}
""" % os.path.basename(inv))
    p = flexnet(["run", "--check", "-f", m])
    check(p.returncode == 0 and "ok: 1 subtask, 3 steps, %d target" %
          len(CISCO) in p.stdout, "--check on a good manifest: %s%s"
          % (p.stdout, p.stderr))
    p = flexnet(["run", "-f", m, "--json", "--db", db], env=ENV)
    check(p.returncode == 0, "manifest run exits 0 (a skip is no failure),"
          " got %d: %s" % (p.returncode, p.stderr))
    res = [e for e in json_lines(p.stdout) if e["type"] == "result"]
    clock = [r for r in res if r["command"] == "show clock"]
    brief = [r for r in res if r["command"] == "show ip interface brief"]
    check(len(clock) == len(CISCO) and all(r["exit_code"] == -2
                                           for r in clock),
          "when not met: skipped (-2)")
    check(len(brief) == len(CISCO) and all(r["exit_code"] == 0
                                           for r in brief), "when met: ran")


def check_config_on_error(db, inv, work):
    """A failing config line stops the step (flags), and a manifest's
    `on_error: continue` sends the rest: each as the results say."""
    host = CISCO[0]
    p = run(db, inv, "--host", host, "--config-line", "ntp server 10.7.7.1",
            "--config-line", "flexnet bogus line", "--config-line",
            "ntp server 10.7.7.3", "--json")
    check(p.returncode == 1, "a failing config line: exit 1")
    res = [e for e in json_lines(p.stdout) if e["type"] == "result"]
    codes = [r["exit_code"] for r in res]
    check(codes == [0, 1, -2], "stop at the failing line: %r" % codes)
    check("config line 2 of 3 failed" in res[1]["reason"] and
          "nothing after it was sent" in res[1]["reason"],
          "the failing line says what happened: %r" % res[1]["reason"])
    m = write(os.path.join(work, "on_error.yaml"), """\
task:
  name: on_error
  inventory: %s
  subtasks:
    - targets: {hosts: ["%s"]}
      credentials: {username: admin, password_env: FN_T_PW,
                    enable_password_env: FN_T_EN}
      steps:
        - config: [ntp server 10.7.7.4, flexnet bogus line, ntp server 10.7.7.6]
          on_error: continue
""" % (os.path.basename(inv), host))
    p = flexnet(["run", "-f", m, "--json", "--db", db], env=ENV)
    codes = [e["exit_code"] for e in json_lines(p.stdout)
             if e["type"] == "result"]
    check(codes == [0, 1, 0], "on_error continue: %r %s" % (codes, p.stderr))
    bad = write(os.path.join(work, "bad_on_error.yaml"),
                open(m).read().replace("on_error: continue",
                                       "on_error: sometimes"))
    p = flexnet(["run", "--check", "-f", bad])
    check(p.returncode == 2 and "bad_on_error.yaml:10:" in p.stderr and
          "stop or continue" in p.stderr,
          "a bad on_error names file:line: %r" % p.stderr)


def check_connect_first(db, inv):
    p = run(db, inv, "-g", "cisco_ios", "-c", "show version",
            "--connect-first", "--yes", "--json")
    check(p.returncode == 0, "connect-first, all reachable: exit 0")
    ev = json_lines(p.stdout)
    first_result = min(i for i, e in enumerate(ev) if e["type"] == "result")
    last_conn = max(i for i, e in enumerate(ev) if e["type"] == "connection")
    check(last_conn < first_result, "connect-first: every row before results")


def check_ambiguous_and_delete(db, tid):
    p = flexnet(["tasks", "show", tid[:1], "--db", db])
    check(p.returncode == 2 and "ambiguous" in p.stderr,
          "a prefix of several tasks is ambiguous")
    p = flexnet(["tasks", "delete", tid, "--db", db])
    check(p.returncode == 0 and tid in p.stdout, "tasks delete")
    p = flexnet(["tasks", "show", tid, "--db", db])
    check(p.returncode == 2, "deleted task is gone")


def main():
    global CISCO
    work = tempdir("fn-cli-run-")
    db = os.path.join(work, "db")
    check_help()
    check_vendors()
    with Sim(work, N, BASE) as sim:
        hosts = inventory_hosts(sim.inventory)
        check(len(hosts) == N, "simulator inventory lists %d hosts" % N)
        with open(sim.inventory) as f:
            text = f.read()
        section = text.split("[cisco_ios]")[1].split("[")[0]
        CISCO = [l.split()[0] for l in section.splitlines() if l.strip()]
        check(len(CISCO) >= 2, "the mix has cisco_ios devices")
        tid, backups = check_json_run(db, sim.inventory, hosts)
        check_human_run(db, sim.inventory)
        check_tasks(db, tid)
        check_backups(db, sim.inventory, backups)
        check_manifest(db, sim.inventory, work)
        check_config_on_error(db, sim.inventory, work)
        check_connect_first(db, sim.inventory)
        check_ambiguous_and_delete(db, tid)
    finish("test_cli_run")


CISCO = []
if __name__ == "__main__":
    main()
