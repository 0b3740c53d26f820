#!/usr/bin/python3
"""test_cli_errors.py — end to end: what `flexnet` does with bad input and
unreachable devices (ports 28100-28199; 28190-28199 never listen).

Malformed inventory and manifest give "file:line:" and exit 2; usage
errors exit 2; a missing password exits 2 before connecting; a port with
nothing listening on 127.0.0.1 is "connection refused": exit 3 when no
device is reachable, 1 when some are; --connect-first with --max-failed
stops or goes on; a big task's connections table lists the failed rows
(all of them with -v); hints name real options and suggest the option,
group or vendor meant; no silent user; `tasks list` says failed/partial;
a failed step's output shows without -v.
"""
import os
import re

from test_cli_util import (Sim, check, finish, flexnet, json_lines, tempdir,
                           write)

BASE = 28100
DEAD = (28190, 28191)  # nothing listens there
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}


def run(db, inv, *args, env=ENV):
    return flexnet(["run", "-i", inv, "-u", "admin", "--db", db] +
                   list(args), env=env)


def check_bad_inventory(work, db):
    ini = write(os.path.join(work, "bad.ini"),
                "[core]\n127.0.0.1:28100 vendor=cisco_ios\n"
                "127.0.0.1:99999 vendor=cisco_ios\n")
    p = run(db, ini, "-g", "core", "--password-env", "FN_T_PW", "-c", "x")
    check(p.returncode == 2 and (ini + ":3:") in p.stderr,
          "bad port: file:line, exit 2 (%d %r)" % (p.returncode, p.stderr))
    yml = write(os.path.join(work, "bad.yaml"),
                "hosts:\n  r1: {hostname: 127.0.0.1, port: 28100,\n"
                "       platform: cisco_ios, groups: [nope]}\n")
    p = run(db, yml, "-g", "all", "--password-env", "FN_T_PW", "-c", "x")
    check(p.returncode == 2 and re.search(re.escape(yml) + r":\d+:",
                                          p.stderr),
          "YAML inventory error: file:line, exit 2 (%r)" % p.stderr)
    vendor = write(os.path.join(work, "vendor.ini"),
                   "127.0.0.1:28100 vendor=cisco_iox\n")
    p = run(db, vendor, "-g", "all", "--password-env", "FN_T_PW", "-c", "x")
    check(p.returncode == 2 and (vendor + ":1:") in p.stderr,
          "unknown vendor: file:line, exit 2 (%r)" % p.stderr)
    p = run(db, os.path.join(work, "missing.ini"), "-g", "all",
            "--password-env", "FN_T_PW", "-c", "x")
    check(p.returncode == 2 and "missing.ini" in p.stderr,
          "missing inventory: exit 2")


def check_bad_manifest(work, inv):
    m = write(os.path.join(work, "bad-m.yaml"),
              "task:\n  name: x\n  subtasks:\n    - targets: {groups: [all]}\n"
              "      steps:\n        - command: show version\n"
              "          exit_on_fail: perhaps\n")
    for argv in (["run", "--check", "-f", m, "-i", inv],
                 ["run", "-f", m, "-i", inv, "--password-env", "FN_T_PW"]):
        p = flexnet(argv, env=ENV)
        check(p.returncode == 2 and (m + ":7: exit_on_fail") in p.stderr,
              "%s: file:line, exit 2 (%r)" % (argv[1], p.stderr))
    m2 = write(os.path.join(work, "syntax.yaml"), "task:\n  name: [x\n")
    p = flexnet(["run", "--check", "-f", m2])
    check(p.returncode == 2 and (m2 + ":3: YAML") in p.stderr,
          "YAML syntax error: file:line (%r)" % p.stderr)
    m3 = write(os.path.join(work, "unknown-group.yaml"),
               "task:\n  name: x\n  subtasks:\n"
               "    - targets: {groups: [nosuchgroup]}\n"
               "      steps: [{command: a}]\n")
    p = flexnet(["run", "--check", "-f", m3, "-i", inv])
    check(p.returncode == 2 and "nosuchgroup" in p.stderr,
          "--check resolves targets against the inventory (%r)" % p.stderr)


def check_vendor(work, db):
    inv = write(os.path.join(work, "novendor.ini"),
                "127.0.0.1:%d\n127.0.0.1:%d\n" % (BASE, BASE + 1))
    args = ["-g", "all", "--password-env", "FN_T_PW", "-c", "show clock"]
    p = run(db, inv, *args)
    check(p.returncode == 2 and "no vendor" in p.stderr,
          "a host without vendor: exit 2 (%r)" % p.stderr)
    p = run(db, inv, *args, "--vendor", "cisco_iox")
    check(p.returncode == 2 and "unknown vendor 'cisco_iox'" in p.stderr,
          "unknown --vendor: exit 2 (%r)" % p.stderr)
    p = run(db, inv, *args, "--vendor", "cisco_ios", "--json")
    ev = json_lines(p.stdout)
    check(p.returncode == 0 and all(e["vendor"] == "cisco_ios" for e in ev
                                    if e["type"] == "connection"),
          "--vendor names the hosts' vendor (%d %r)" % (p.returncode,
                                                        p.stderr))
    m = write(os.path.join(work, "vendor.yaml"),
              "task:\n  name: v\n  inventory: novendor.ini\n  subtasks:\n"
              "    - targets: {groups: [all]}\n      vendor: cisco_ios\n"
              "      credentials: {username: admin, password_env: FN_T_PW}\n"
              "      steps: [{command: show clock}]\n")
    p = flexnet(["run", "-f", m, "--db", db], env=ENV)
    check(p.returncode == 0, "manifest vendor: names the hosts' vendor "
          "(%d %r)" % (p.returncode, p.stderr))


def check_yaml_inventory_and_vendors_dir(work, db):
    """A Nornir-style YAML inventory runs like an INI one; a profile file
    in --vendors-dir adds a vendor that `vendors` lists and `run` uses
    (here: IOS with one more error keyword, which fails `show clock`)."""
    yml = write(os.path.join(work, "fleet.yaml"),
                "hosts:\n  r1: {hostname: 127.0.0.1, port: %d, "
                "groups: [core]}\n  r2: {hostname: 127.0.0.1, port: %d, "
                "groups: [core]}\ngroups:\n  core: {platform: cisco_ios}\n"
                % (BASE, BASE + 1))
    p = run(db, yml, "-g", "core", "--password-env", "FN_T_PW",
            "--enable-password-env", "FN_T_EN", "-c", "show clock", "--json")
    hosts = sorted(e["host"] for e in json_lines(p.stdout)
                   if e["type"] == "result" and e["exit_code"] == 0)
    check(p.returncode == 0 and hosts == ["r1", "r2"],
          "YAML inventory run (%d %r %r)" % (p.returncode, hosts, p.stderr))
    vdir = os.path.join(work, "vendors")
    os.makedirs(vdir, exist_ok=True)
    write(os.path.join(vdir, "strict_ios.profile"),
          "inherit = cisco_ios\ndescription = IOS, clock is an error\n"
          "error += UTC\n")
    p = flexnet(["vendors", "list", "--vendors-dir", vdir])
    check(re.search(r"^strict_ios\s+\S*strict_ios.profile\s+IOS, clock",
                    p.stdout, re.M), "vendors list shows the file's profile")
    ini = write(os.path.join(work, "plain.ini"), "127.0.0.1:%d\n" % BASE)
    p = run(db, ini, "-g", "all", "--password-env", "FN_T_PW",
            "--enable-password-env", "FN_T_EN", "-c", "show clock",
            "--vendor", "strict_ios", "--vendors-dir", vdir, "--json")
    res = [e for e in json_lines(p.stdout) if e["type"] == "result"]
    check(p.returncode == 1 and len(res) == 1 and res[0]["exit_code"] == 1
          and "UTC" in res[0]["stderr"],
          "run uses the --vendors-dir profile (%d %r %r)"
          % (p.returncode, res, p.stderr))
    bad = write(os.path.join(vdir, "broken.profile"), "frobnicate = 1\n")
    p = flexnet(["vendors", "list", "--vendors-dir", vdir])
    check(p.returncode == 2 and (bad + ":1") in p.stderr,
          "a bad profile file: file:line, exit 2 (%r)" % p.stderr)


def check_usage(work, db, inv):
    cases = [
        (["run", "-g", "all", "-c", "x"], "no inventory"),
        (["run", "-i", inv, "-c", "x"], "no targets"),
        (["run", "-i", inv, "-g", "all"], "nothing to run"),
        (["run", "--frob"], "bad option"),
        (["run", "-i", inv, "-g", "all", "-c", "x", "--max-failed", "3"],
         "--max-failed goes with --connect-first"),
        (["run", "-i", inv, "-g", "all", "-c", "x", "--connect-first",
          "--max-failed", "lots"], "--max-failed: expected"),
        (["run", "-i", inv, "-g", "all", "-c", "x", "--concurrency", "0"],
         "--concurrency"),
        (["run", "-i", inv, "-g", "all", "-c", "x", "--password-env", "A",
          "--password-prompt"], "one password source"),
        (["run", "--check"], "--check needs -f"),
        (["tasks", "show"], "missing argument"),
        (["tasks", "list", "--host", "x"], "does not apply"),
        (["backups", "diff", "a", "b", "c"], "unexpected argument"),
        (["tasks", "list", "--db", os.path.join(work, "nostore")],
         "no store"),
    ]
    for argv, want in cases:
        p = flexnet(argv + (["--db", db] if argv[0] == "run" else []))
        check(p.returncode == 2 and want in p.stderr,
              "%s: exit 2 with %r, got %d %r" % (argv, want, p.returncode,
                                                 p.stderr))


def check_missing_password(db, inv):
    p = run(db, inv, "-g", "all", "-c", "show version", env={})
    check(p.returncode == 2 and "no password" in p.stderr,
          "no password source: exit 2 (%r)" % p.stderr)
    p = run(db, inv, "-g", "all", "-c", "show version", "--password-env",
            "FN_T_UNSET_VAR", env={})
    check(p.returncode == 2 and "FN_T_UNSET_VAR is not set" in p.stderr,
          "unset --password-env: exit 2 (%r)" % p.stderr)
    p = run(db, inv, "-g", "all", "-c", "x", "--password-prompt",
            env={})
    check(p.returncode == 2 and "no terminal" in p.stderr,
          "--password-prompt without a terminal: exit 2 (%r)" % p.stderr)


def check_unreachable(work, db):
    dead = write(os.path.join(work, "dead.ini"), "".join(
        "127.0.0.1:%d vendor=cisco_ios\n" % p for p in DEAD))
    p = run(db, dead, "-g", "all", "-c", "show version", "--password-env",
            "FN_T_PW", "--connect-timeout", "2", "--json")
    check(p.returncode == 3, "nothing reachable: exit 3, got %d %r"
          % (p.returncode, p.stderr))
    ev = json_lines(p.stdout)
    conns = [e for e in ev if e["type"] == "connection"]
    check(len(conns) == 2 and all(c["status"] == "failed" and c["reason"]
                                  for c in conns),
          "refused rows: failed with a reason %r" % conns)
    check(ev[-1]["type"] == "summary" and ev[-1]["connected"] == 0 and
          ev[-1]["failed_connect"] == 2, "summary counts the refused")
    p = run(db, dead, "-g", "all", "-c", "show version", "--password-env",
            "FN_T_PW", "--connect-timeout", "2")
    check(p.returncode == 3 and "failed" in p.stdout and "2 unreachable"
          in p.stdout, "human output on unreachable (%r)" % p.stdout)


def check_dns_timeout(work, db):
    """Host names and a name server that never answers (the test's own,
    on loopback: no query leaves the machine): the lookups time out, the
    run reports them and exits 3 (it crashed with SIGSEGV: a cancelled
    lookup's callback ran on a freed device)."""
    import socket
    ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ns.bind(("127.0.0.1", 28153))  # reads nothing, answers nothing
    conf = write(os.path.join(work, "resolv.conf"),
                 "nameserver 127.0.0.1:28153\noptions timeout:5\n")
    names = write(os.path.join(work, "names.ini"),
                  "r1.flexnet.test:28100 vendor=cisco_ios\n"
                  "r2.flexnet.test:28101 vendor=cisco_ios\n")
    env = dict(ENV, FLEXNET_RESOLV_CONF=conf)
    p = run(db, names, "-g", "all", "-c", "show version", "--password-env",
            "FN_T_PW", "--connect-timeout", "1", "--json", env=env)
    ns.close()
    check(p.returncode == 3, "DNS timeout: exit 3, got %d %r"
          % (p.returncode, p.stderr[-400:]))
    conns = [e for e in json_lines(p.stdout) if e["type"] == "connection"]
    check(len(conns) == 2 and all("name resolution timed out" in c["reason"]
                                  for c in conns),
          "rows say the lookup timed out: %r" % conns)


def check_partial(work, db, inv):
    with open(inv) as f:
        text = f.read()
    mixed = write(os.path.join(work, "mixed.ini"), text +
                  "[cisco_ios]\n127.0.0.1:%d vendor=cisco_ios\n" % DEAD[0])
    common = ["-g", "cisco_ios", "-c", "show version", "--password-env",
              "FN_T_PW", "--enable-password-env", "FN_T_EN",
              "--connect-timeout", "2", "--json"]
    p = run(db, mixed, *common)
    check(p.returncode == 1, "some unreachable: exit 1, got %d"
          % p.returncode)
    p = run(db, mixed, *common, "--connect-first", "--max-failed", "0")
    ev = json_lines(p.stdout)
    check(p.returncode == 1 and ev[-1]["status"] == "failed" and
          not [e for e in ev if e["type"] == "result"],
          "--max-failed 0 stops before any step (%r)" % ev[-1:])
    p = run(db, mixed, *common, "--connect-first", "--max-failed", "60%")
    ev = json_lines(p.stdout)
    check(p.returncode == 1 and
          [e for e in ev if e["type"] == "result" and e["exit_code"] == 0],
          "--max-failed 60% goes on with the reachable")


def conn_table(out):
    """The host column of the connections table, and its last line."""
    sect = out.split("\nconnections\n", 1)[1].split("\n\n", 1)[0]
    lines = sect.splitlines()
    return [ln.split()[0] for ln in lines[1:] if ln[:1].isdigit()], lines[-1]


def check_big_table(work, db, inv):
    """More than 10 devices without -v: the connections table lists only
    the failed rows (the CLI keeps copies of those alone) and counts the
    others; -v lists every row."""
    with open(inv) as f:
        text = f.read()
    dead = ["127.0.0.1:%d" % p for p in range(28190, 28200)]
    big = write(os.path.join(work, "big.ini"), text + "[cisco_ios]\n" +
                "".join("%s vendor=cisco_ios\n" % h for h in dead))
    common = ["-g", "cisco_ios", "-c", "show version", "--password-env",
              "FN_T_PW", "--enable-password-env", "FN_T_EN",
              "--connect-timeout", "2"]
    p = run(db, big, *common)
    hosts, last = conn_table(p.stdout)
    check(p.returncode == 1 and sorted(hosts) == dead and
          last.startswith("(4 of 14 rows not listed"),
          "big task: failed rows only, others counted (%r %r)"
          % (hosts, last))
    p = run(db, big, *common, "-v")
    hosts, last = conn_table(p.stdout)
    check(p.returncode == 1 and len(hosts) == 14 and set(dead) <= set(hosts),
          "-v: every connection row (%r)" % hosts)


def check_hints(work, db, inv):
    """Messages that name the way out: the real option names, "did you
    mean" for a typo, no "run: run:", no silent user."""
    p = flexnet(["run", "-i", inv, "-g", "all", "--db", db])
    check(p.returncode == 2 and "--config-line LINE" in p.stderr and
          "--config LINE" not in p.stderr,
          "nothing to run names --config-line (%r)" % p.stderr)
    p = flexnet(["run", "-g", "all", "-c", "x", "--db", db])
    check(p.returncode == 2 and "run: run:" not in p.stderr and
          "flexnet run: no inventory" in p.stderr,
          "no doubled 'run: run:' (%r)" % p.stderr)
    typos = [
        (["run", "-i", inv, "--hots", "x", "-c", "x"],
         "did you mean --host?"),
        (["run", "-i", inv, "-g", "all", "--comand", "x"],
         "did you mean --command?"),
        (["run", "-i", inv, "-g", "cisco_iso", "-c", "x", "-u", "admin",
          "--password-env", "FN_T_PW"], "did you mean 'cisco_ios'?"),
        (["run", "-i", write(os.path.join(work, "typo.ini"),
                             "127.0.0.1:%d vendor=cisco_iox\n" % BASE),
          "-g", "all", "-c", "x", "-u", "admin", "--password-env",
          "FN_T_PW"], "did you mean 'cisco_ios'?"),
    ]
    for argv, want in typos:
        p = flexnet(argv + ["--db", db], env=ENV)
        check(p.returncode == 2 and want in p.stderr,
              "%s: %r (%r)" % (argv, want, p.stderr))
    p = flexnet(["run", "-i", inv, "-g", "all", "-c", "show version",
                 "--password-env", "FN_T_PW", "--db", db], env=ENV)
    check(p.returncode == 2 and "no user: give -u USER" in p.stderr,
          "no -u and no inventory username: exit 2, no silent admin (%r)"
          % p.stderr)


def check_tasks_outcome(work, db):
    """tasks list says failed / partial when devices failed."""
    p = flexnet(["tasks", "list", "--all", "--db", db])
    rows = p.stdout.splitlines()[1:]
    status = [r.split()[3] for r in rows]
    check(p.returncode == 0 and "failed" in status and "partial" in status,
          "tasks list: failed and partial rows (%r)" % status)
    dead = [r for r in rows if r.split()[5] == "0" and
            r.split()[4] == r.split()[6] != "0"]
    check(dead and all(r.split()[3] == "failed" for r in dead),
          "no device ok: failed (%r)" % dead)


def check_failed_output(work, db):
    """A failed step's output is printed without -v (a hung command's
    partial output says where it stopped)."""
    with Sim(work, 1, 28180, vendor="cisco_ios",
             extra=["--faults", "hang=100%"]) as hung:
        p = run(db, hung.inventory, "-g", "all", "-c", "show clock",
                "--password-env", "FN_T_PW", "--enable-password-env",
                "FN_T_EN", "--command-timeout", "1")
    check(p.returncode == 1 and "timeout" in p.stdout and
          "06:30:00.000 UTC Sun Nov 29 2026" in p.stdout,
          "timed-out step's output shown without -v (%r)" % p.stdout)


def main():
    work = tempdir("fn-cli-err-")
    db = os.path.join(work, "db")
    with Sim(work, 4, BASE, vendor="cisco_ios") as sim:
        check_bad_inventory(work, db)
        check_bad_manifest(work, sim.inventory)
        check_usage(work, db, sim.inventory)
        check_vendor(work, db)
        check_yaml_inventory_and_vendors_dir(work, db)
        check_missing_password(db, sim.inventory)
        check_unreachable(work, db)
        check_dns_timeout(work, db)
        check_partial(work, db, sim.inventory)
        check_big_table(work, db, sim.inventory)
        check_hints(work, db, sim.inventory)
        check_failed_output(work, db)
        check_tasks_outcome(work, db)
    finish("test_cli_errors")


if __name__ == "__main__":
    main()
