#!/usr/bin/python3
"""test_cli_redact.py — secrets stay out of backups, end to end.

flexnet-sim's running configurations hold secrets of every kind the
vendors' secret patterns cover: cleartext and reversible ones spelt
"FnClear-…", one-way hashes spelt "FnHash-…". Against all seven vendors:

 - default (`--redact reversible`): no "FnClear" in any stored backup
   (`backups get`), nor in the task's results or log; the hashes stay;
   the backup record says redact "reversible" and how many lines;
 - `--redact all`: neither; `--redact none`: both (restorable);
 - a manifest's `redact: all` is the same as the flag;
 - diff and dedup work on the redacted text: an unchanged device gives
   the same sha256 (one blob), a config change diffs as that line alone.

Ports 28940-28979.
"""
import os
import re

from test_cli_util import (Sim, check, finish, flexnet, json_lines, tempdir,
                           write)

BASE = 28940
VENDORS = ["cisco_ios", "cisco_nxos", "cisco_iosxr", "juniper_junos",
           "arista_eos", "huawei_vrp", "mikrotik_routeros"]
HASHED = set(VENDORS) - {"mikrotik_routeros"}  # RouterOS exports no hash
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}


def run(db, inv, *args):
    p = flexnet(["run", "-i", inv, "-g", "all", "-u", "admin", "--db", db,
                 "--password-env", "FN_T_PW", "--enable-password-env",
                 "FN_T_EN", "--json"] + list(args), env=ENV)
    check(p.returncode == 0, "run %s: exit 0 (%d %s)"
          % (args, p.returncode, p.stderr[-300:]))
    return json_lines(p.stdout)


def texts(db, events):
    """{vendor: (backup record, stored text)} of a run's backups."""
    out = {}
    for b in [e for e in events if e["type"] == "backup"]:
        p = flexnet(["backups", "get", b["id"], "--db", db])
        check(p.returncode == 0, "backups get %s" % b["id"])
        out[b["vendor"]] = (b, p.stdout)
    check(sorted(out) == sorted(VENDORS), "a backup per vendor %r"
          % sorted(out))
    return out


def check_default(db, inv):
    ev = run(db, inv, "--backup")
    for v, (b, text) in texts(db, ev).items():
        check("FnClear" not in text, "%s: no cleartext/reversible secret "
              "in the stored backup: %r" % (v, re.findall(r".*FnClear.*",
                                                          text)))
        check(("FnHash" in text) == (v in HASHED),
              "%s: hashes kept by default" % v)
        check("<removed>" in text, "%s: the place is marked" % v)
        check(b["redact"] == "reversible" and b["redacted"] >= 1,
              "%s: record says reversible, %d lines" % (v, b["redacted"]))
    tid = [e for e in ev if e["type"] == "summary"][0]["task_id"]
    for argv in (["tasks", "show", tid, "--json"], ["tasks", "log", tid]):
        p = flexnet(argv + ["--db", db])
        check(p.returncode == 0 and "FnClear" not in p.stdout,
              "%s: no secret" % argv[1])
    return ev


def check_modes(db, inv, work):
    for mode, clear, hashed in (("all", False, False),
                                ("none", True, True)):
        for v, (b, text) in texts(db, run(db, inv, "--backup", "--redact",
                                          mode)).items():
            check(("FnClear" in text) == clear and
                  ("FnHash" in text) == (hashed and v in HASHED),
                  "%s --redact %s: clear %s hash %s" % (v, mode, clear,
                                                         hashed))
            check(b["redact"] == mode, "%s: record says %s" % (v, mode))
    m = write(os.path.join(work, "redact.yaml"),
              "task:\n  name: r\n  inventory: %s\n  subtasks:\n"
              "    - targets: {groups: [all]}\n      redact: all\n"
              "      credentials: {username: admin, password_env: FN_T_PW,\n"
              "                    enable_password_env: FN_T_EN}\n"
              "      steps: [{backup: true}]\n" % inv)
    p = flexnet(["run", "-f", m, "--db", db, "--json"], env=ENV)
    bks = [e for e in json_lines(p.stdout) if e["type"] == "backup"]
    check(p.returncode == 0 and len(bks) == 7 and
          all(b["redact"] == "all" for b in bks),
          "manifest redact: all (%d %r)" % (p.returncode, p.stderr[-300:]))
    bad = write(os.path.join(work, "bad.yaml"),
                open(m).read().replace("redact: all", "redact: some"))
    p = flexnet(["run", "--check", "-f", bad], env=ENV)
    check(p.returncode == 2 and "redact: reversible, all or none" in p.stderr,
          "manifest: a bad redact value is a usage error (%r)" % p.stderr)


def check_dedup_and_diff(db, inv, first):
    second = run(db, inv, "--backup")
    a = {b["vendor"]: b for b in first if b["type"] == "backup"}
    b = {x["vendor"]: x for x in second if x["type"] == "backup"}
    for v in VENDORS:
        check(a[v]["sha256"] == b[v]["sha256"],
              "%s: unchanged config, same redacted blob" % v)
    ios = [x for x in second if x["type"] == "backup" and
           x["vendor"] == "cisco_ios"][0]
    host = ios["host"]
    p = flexnet(["run", "-i", inv, "--host", host, "-u", "admin", "--db", db,
                 "--password-env", "FN_T_PW", "--enable-password-env",
                 "FN_T_EN", "--config-line", "ntp server 192.0.2.77",
                 "--backup", "--json"], env=ENV)
    third = [e for e in json_lines(p.stdout) if e["type"] == "backup"][0]
    p = flexnet(["backups", "diff", third["id"], ios["id"], "--db", db])
    added = [ln for ln in p.stdout.splitlines()
             if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in p.stdout.splitlines()
               if ln.startswith("-") and not ln.startswith("---")]
    check(added == ["+ntp server 192.0.2.77"] and not removed and
          "FnClear" not in p.stdout,
          "diff of redacted backups: the change alone (%r)" % p.stdout)


def main():
    work = tempdir("fn-cli-redact-")
    db = os.path.join(work, "db")
    with Sim(work, 7, BASE, vendor="mix") as sim:
        first = check_default(db, sim.inventory)
        check_modes(db, sim.inventory, work)
        check_dedup_and_diff(db, sim.inventory, first)
    finish("test_cli_redact")


if __name__ == "__main__":
    main()
