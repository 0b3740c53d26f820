#!/usr/bin/python3
"""test_cli_parse.py — end to end: TextFSM parsing inside `flexnet run`
against a flexnet-sim fleet of every vendor (ports 28700-28799): the
index (--templates, manifest `parse: true` / `templates:`) and one template
(--template, manifest `template:`); every parsed result's records equal
python3-textfsm's on the same stdout; records in --json, in the store
(`tasks show --json`, `tasks show --parsed`); a parse failure sets
parse_error and changes neither exit_code nor the exit status; template
errors are usage errors naming file:line.
"""
import json
import os

import textfsm

from test_cli_util import (Sim, check, finish, flexnet, json_lines, tempdir,
                           write)

BASE = 28700
N = 14  # two devices of each of the 7 vendors
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}
SRC = os.environ.get("FN_TEST_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
TEMPLATES = os.path.join(SRC, "tests", "parse", "templates")
PLATFORM = {"cisco_iosxr": "cisco_xr"}
# per vendor: commands the project's index has templates for
COMMANDS = {
    "cisco_ios": ["show ip interface brief", "show version"],
    "cisco_nxos": ["show interface brief", "show version"],
    "cisco_iosxr": ["show ip interface brief", "show version"],
    "juniper_junos": ["show interfaces terse", "show version"],
    "arista_eos": ["show ip interface brief", "show version"],
    "huawei_vrp": ["display ip interface brief", "display version"],
    "mikrotik_routeros": ["/interface print", "/system resource print"],
}


def run(db, inv, *args):
    return flexnet(["run", "-i", inv, "-u", "admin", "--password-env",
                    "FN_T_PW", "--enable-password-env", "FN_T_EN", "--db",
                    db, "--json"] + list(args), env=ENV)


def oracle(template_path, stdout):
    fsm = textfsm.TextFSM(open(template_path))
    rows = fsm.ParseTextToDicts(stdout)
    # the proto's list items are strings: None as clitable writes it, a
    # dict of nested groups as its JSON text
    def item(i):
        return "None" if i is None else json.dumps(i) \
            if isinstance(i, dict) else i
    return [{k: ([item(i) for i in v] if isinstance(v, list) else v)
             for k, v in r.items()} for r in rows]


def index_template(vendor, command):
    from textfsm import clitable
    ntc = clitable.CliTable("index", TEMPLATES)
    row = ntc.index.GetRowMatch({"Platform": PLATFORM.get(vendor, vendor),
                                 "Command": command})
    return os.path.join(TEMPLATES, ntc.index.index[row]["Template"])


def results(stdout):
    return [e for e in json_lines(stdout) if e.get("type") == "result"]


def check_index_runs(db, inv):
    """--templates: every vendor, every command, records == Python's."""
    task_ids = []
    for vendor, cmds in COMMANDS.items():
        args = ["-g", vendor, "--templates", TEMPLATES]
        for c in cmds:
            args += ["-c", c]
        p = run(db, inv, *args)
        check(p.returncode == 0, "%s: run exit %d: %s" % (vendor, p.returncode,
                                                           p.stderr[-300:]))
        rs = results(p.stdout)
        check(len(rs) == 2 * len(cmds), "%s: %d results" % (vendor, len(rs)))
        for r in rs:
            want = oracle(index_template(vendor, r["command"]), r["stdout"])
            check(r.get("parse_error") == "" and r["exit_code"] == 0,
                  "%s %s: parsed cleanly (%r)" % (vendor, r["command"],
                                                  r.get("parse_error")))
            check(r.get("records") == want and want,
                  "%s %s: records %r == python3-textfsm %r" % (
                      vendor, r["command"], r.get("records"), want))
            task_ids.append(r["task_id"])
    return task_ids


def check_store(db, task_id):
    p = flexnet(["tasks", "show", task_id, "--json", "--db", db])
    rs = results(p.stdout)
    check(rs and all(r.get("records") for r in rs),
          "tasks show --json keeps the records")
    p = flexnet(["tasks", "show", task_id, "--parsed", "--db", db])
    check(p.returncode == 0 and "INTERFACE" in p.stdout and
          "GigabitEthernet0/0" in p.stdout and "record(s)" in p.stdout,
          "tasks show --parsed prints the tables: %r" % p.stdout[-600:])


def check_failures(db, inv, work):
    # an Error action fires on the version output: the result stays ok
    bad = write(os.path.join(work, "strict.textfsm"),
                "Value V (\\S+)\n\nStart\n  ^Cisco IOS Software -> Error "
                "\"not for IOS\"\n  ^${V}\n")
    p = run(db, inv, "-g", "cisco_ios", "-c", "show version", "--template",
            bad)
    rs = results(p.stdout)
    check(p.returncode == 0, "a parse failure keeps exit status 0")
    check(rs and all(r["exit_code"] == 0 and r["records"] == [] and
                     "not for IOS" in r["parse_error"] for r in rs),
          "Error action: parse_error set, exit_code 0: %r" % rs[:1])
    # no template in the index for the command
    p = run(db, inv, "-g", "cisco_nxos", "-c", "show clock", "--templates",
            TEMPLATES)
    rs = results(p.stdout)
    check(p.returncode == 0 and rs and all(
        "no template for cisco_nxos" in r["parse_error"] for r in rs),
        "no template: parse_error, exit 0: %r" % rs[:1])
    # a broken template is a usage error naming file:line
    broken = write(os.path.join(work, "broken.textfsm"),
                   "Value V (\\S+)\n\nStart\n  ^${V} -> Continue Start\n")
    p = run(db, inv, "-g", "cisco_ios", "-c", "show version", "--template",
            broken)
    check(p.returncode == 2 and "broken.textfsm:4:" in p.stderr,
          "broken template: exit 2, file:line: %r" % p.stderr)
    # results without parsing carry no records at all
    p = run(db, inv, "-g", "cisco_ios", "-c", "show version")
    rs = results(p.stdout)
    check(rs and all("records" not in r for r in rs),
          "no parsing asked: no records member")


def check_manifest(db, inv, work):
    tpl = os.path.join(TEMPLATES, "cisco_ios_show_ip_interface_brief.textfsm")
    m = write(os.path.join(work, "m.yaml"), """
task:
  name: parse
  inventory: %s
  subtasks:
    - name: parse
      targets: {groups: [cisco_ios, juniper_junos]}
      credentials: {username: admin, password_env: FN_T_PW,
                    enable_password_env: FN_T_EN}
      templates: %s
      steps:
        - commands: [show version]
          parse: true
        - commands: [show ip interface brief]
          template: %s
          only_on: ["127.0.0.1:%d"]
""" % (inv, TEMPLATES, tpl, BASE))
    p = flexnet(["run", "-f", m, "--db", db, "--json"], env=ENV)
    rs = results(p.stdout)
    check(p.returncode == 0, "manifest run exit %d: %s" % (p.returncode,
                                                           p.stderr[-300:]))
    ver = [r for r in rs if r["step"] == 0]
    check(len(ver) == 4 and all(r["records"] for r in ver),
          "manifest parse: true gives records on both vendors")
    ip = [r for r in rs if r["step"] == 1 and r["exit_code"] == 0]
    check(len(ip) == 1 and ip[0]["records"] == oracle(tpl, ip[0]["stdout"]),
          "manifest template: records on the one host: %r" % ip)
    bad = write(os.path.join(work, "bad.yaml"), """
task:
  name: parse
  inventory: %s
  subtasks:
    - name: bad
      targets: {groups: [cisco_ios]}
      steps:
        - config: [ntp server 10.0.0.1]
          parse: true
""" % inv)
    p = flexnet(["run", "--check", "-f", bad, "--db", db], env=ENV)
    check(p.returncode == 2 and "only commands are parsed" in p.stderr,
          "parse on a config step is refused: %r" % p.stderr)


def main():
    work = tempdir("fn-cli-parse-")
    db = os.path.join(work, "db")
    with Sim(work, N, BASE) as sim:
        ids = check_index_runs(db, sim.inventory)
        if ids:
            check_store(db, ids[0])
        check_failures(db, sim.inventory, work)
        check_manifest(db, sim.inventory, work)
    finish("test_cli_parse")


if __name__ == "__main__":
    main()
