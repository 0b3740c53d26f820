#!/usr/bin/python3
"""test_inventory_formats.py — end to end: every inventory format flexnet
reads, through `flexnet inventory` and a real run against flexnet-sim
(ports 28800-28899).

Nornir SimpleInventory (a directory, and hosts.yaml alone) is checked
against expectations written from Nornir's documented semantics: a host
takes each attribute from itself, else from its groups in order (each
group before its own parents), else from defaults; `data` merges key by
key the same way. The same simulator fleet is then reached through
flexnet INI, Ansible INI, Ansible YAML, flexnet YAML and a Nornir
directory; host patterns and --limit select as Ansible's; [defaults] in
./flexnet.conf and in $XDG_CONFIG_HOME/flexnet/flexnet.conf spare -i, -u
and --password-env; a password written in an inventory is refused with
a pointer to password_env.
"""
import json
import os

from test_cli_util import (Sim, check, finish, flexnet, json_lines, tempdir,
                           write)

BASE = 28800
N = 4
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}


def inv_json(path, *args, env=None, cwd=None):
    p = flexnet(["inventory", "list", "-i", path, "--json"] + list(args),
                env=env)
    if not check(p.returncode == 0, "inventory list %s %s: %s" %
                 (path, args, p.stderr)):
        return {"hosts": {}, "groups": {}}
    return json.loads(p.stdout)


NORNIR_HOSTS = """\
---
r1:
  hostname: 10.0.0.1
  groups: [edge, core]
  data:
    role: border
    site:
      name: par
r2:
  hostname: 10.0.0.2
  port: 2222
  platform: eos
  groups: [core]
r3:
  groups: [lab]
  username: me
"""
NORNIR_GROUPS = """\
---
base:
  username: base-user
  data: {role: base, tier: 3}
core:
  port: 830
  platform: ios
  groups: [base]
  data: {role: core}
edge:
  platform: junos
  data: {tier: 1}
lab: {}
"""
NORNIR_DEFAULTS = """\
---
username: admin
port: 22
platform: linux
data: {tier: 9, owner: noc}
"""


def check_nornir(work):
    d = os.path.join(work, "nornir")
    os.makedirs(d)
    write(os.path.join(d, "hosts.yaml"), NORNIR_HOSTS)
    write(os.path.join(d, "groups.yaml"), NORNIR_GROUPS)
    write(os.path.join(d, "defaults.yaml"), NORNIR_DEFAULTS)
    got = inv_json(d)
    check(got.get("format") == "nornir", "directory read as Nornir")
    h = got["hosts"]
    # Expectations from Nornir's rules, worked by hand:
    # r1: groups edge, core (-> base): edge gives platform junos, tier 1;
    # core gives port 830, role? host has role; base gives username.
    want = {
        "r1": dict(address="10.0.0.1", port=830, vendor="juniper_junos",
                   username="base-user",
                   data={"role": "border", "site.name": "par", "tier": "1",
                         "owner": "noc"}),
        "r2": dict(address="10.0.0.2", port=2222, vendor="arista_eos",
                   username="base-user",
                   data={"role": "core", "tier": "3", "owner": "noc"}),
        "r3": dict(address="r3", port=22, vendor="linux", username="me",
                   data={"tier": "9", "owner": "noc"}),
    }
    for name, w in want.items():
        g = h.get(name)
        if not check(g is not None, "nornir host %s listed" % name):
            continue
        for k in ("address", "port", "vendor", "username"):
            check(g[k] == w[k], "nornir %s %s: want %r got %r" %
                  (name, k, w[k], g[k]))
        data = {k: v["value"] for k, v in g["data"].items()}
        check(data == w["data"], "nornir %s data: want %s got %s" %
              (name, w["data"], data))
    check(h["r1"]["settings"]["port"]["from"] == "core" and
          h["r1"]["settings"]["username"]["from"] == "base" and
          h["r3"]["settings"]["vendor"]["from"] == "defaults",
          "nornir: where each value came from")
    check(set(h["r1"]["groups"]) == {"edge", "core", "base"},
          "nornir r1 in edge, core and (through core) base")
    # hosts.yaml alone: the Nornir hosts file shape, groups unknown
    alone = write(os.path.join(work, "hosts.yaml"),
                  "r9:\n  hostname: 10.0.0.9\n  platform: cisco_xr\n")
    got = inv_json(alone)
    check(got["hosts"].get("r9", {}).get("vendor") == "cisco_iosxr",
          "Nornir hosts.yaml alone, Netmiko platform name")
    bad = write(os.path.join(d, "hosts.yaml"),
                NORNIR_HOSTS.replace("[lab]", "[nope]"))
    p = flexnet(["inventory", "list", "-i", d])
    check(p.returncode == 2 and bad + ":" in p.stderr and "nope" in p.stderr,
          "nornir unknown group: file:line (%r)" % p.stderr)


def check_password_refused(work):
    for name, body in (
            ("pw.ini", "[core]\nr1 ansible_host=10.0.0.1 "
                       "ansible_password=secret\n"),
            ("pw.yaml", "hosts:\n  r1: {hostname: 10.0.0.1, "
                        "password: secret}\n")):
        path = write(os.path.join(work, name), body)
        p = flexnet(["inventory", "list", "-i", path])
        check(p.returncode == 2 and path + ":" in p.stderr and
              "password_env" in p.stderr and "secret" not in p.stderr,
              "%s: password field refused, points to password_env (%r)" %
              (name, p.stderr))


def check_patterns(work):
    path = write(os.path.join(work, "pat.ini"), """\
[core]
core-[1:3] ansible_host=10.0.1.1
[edge]
edge-[1:2] ansible_host=10.0.2.1
[site1]
core-1
edge-1
[lab]
core-3
""")
    cases = {
        ("core:&site1",): ["core-1"],
        ("all:!lab",): ["core-1", "core-2", "edge-1", "edge-2"],
        ("edge-*",): ["edge-1", "edge-2"],
        ("core,edge-2",): ["core-1", "core-2", "core-3", "edge-2"],
        ("~core-[12]",): ["core-1", "core-2"],
        ("core", "--limit", "site1:lab"): ["core-1", "core-3"],
        ("!core",): ["edge-1", "edge-2"],
    }
    for args, want in cases.items():
        got = inv_json(path, "-g", *args)
        check(sorted(got["hosts"]) == want, "pattern %s: want %s got %s" %
              (args, want, sorted(got["hosts"])))
    p = flexnet(["inventory", "list", "-i", path, "-g", "nosuch"])
    check(p.returncode == 2 and "nosuch" in p.stderr,
          "unknown group in a pattern: exit 2")


def sim_formats(work, sim_inv):
    """The simulator's hosts in every format: {name: path}."""
    rows = []
    with open(sim_inv) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("[", "#", ";")):
                hp, rest = line.split(None, 1)
                host, port = hp.rsplit(":", 1)
                vendor = rest.split("vendor=")[1].split()[0]
                rows.append((host, int(port), vendor))
    short = {"cisco_ios": "cisco.ios.ios", "arista_eos": "eos",
             "juniper_junos": "junipernetworks.junos.junos",
             "cisco_nxos": "nxos", "cisco_iosxr": "cisco.iosxr.iosxr",
             "huawei_vrp": "vrp", "mikrotik_routeros": "routeros",
             "linux": "linux"}
    names = ["d%d" % i for i in range(len(rows))]
    ans_ini = ["[sim]"] + ["%s ansible_host=%s ansible_port=%d "
                           "ansible_network_os=%s" % (n, h, p, short[v])
                           for n, (h, p, v) in zip(names, rows)]
    ans_ini += ["[sim:vars]", "ansible_user=admin"]
    ans_yaml = ["all:", "  children:", "    sim:", "      vars:",
                "        ansible_user: admin", "      hosts:"]
    ans_yaml += ["        %s: {ansible_host: %s, ansible_port: %d, "
                 "ansible_network_os: %s}" % (n, h, p, short[v])
                 for n, (h, p, v) in zip(names, rows)]
    fx_yaml = ["hosts:"] + ["  %s: {hostname: %s, port: %d, platform: %s, "
                            "groups: [sim]}" % (n, h, p, v)
                            for n, (h, p, v) in zip(names, rows)]
    fx_yaml += ["groups:", "  sim: {username: admin}"]
    nd = os.path.join(work, "sim-nornir")
    os.makedirs(nd, exist_ok=True)
    write(os.path.join(nd, "hosts.yaml"), "\n".join(
        "%s:\n  hostname: %s\n  port: %d\n  platform: %s\n  groups: [sim]"
        % (n, h, p, v) for n, (h, p, v) in zip(names, rows)) + "\n")
    write(os.path.join(nd, "groups.yaml"), "sim:\n  username: admin\n")
    write(os.path.join(nd, "defaults.yaml"), "port: 22\n")
    return {
        "flexnet-ini": sim_inv,
        "ansible-ini": write(os.path.join(work, "sim.ansible"),
                             "\n".join(ans_ini) + "\n"),
        "ansible-yaml": write(os.path.join(work, "sim-ansible.yml"),
                              "\n".join(ans_yaml) + "\n"),
        "flexnet-yaml": write(os.path.join(work, "sim-flexnet.yaml"),
                              "\n".join(fx_yaml) + "\n"),
        "nornir-dir": nd,
    }, len(rows)


def run_ok(what, p, n):
    ev = json_lines(p.stdout) if p.returncode == 0 else []
    res = [e for e in ev if e["type"] == "result"]
    ok = [r for r in res if r["exit_code"] == 0]
    check(p.returncode == 0 and len(ok) == n,
          "%s: show version on %d devices, exit 0 (rc %d, %d ok): %s" %
          (what, n, p.returncode, len(ok), p.stderr[-300:]))


def check_sim_runs(work, sim_inv):
    invs, n = sim_formats(work, sim_inv)
    db = os.path.join(work, "db")
    for fmt, path in invs.items():
        args = ["run", "-i", path, "-g", "all", "--db", db, "-c",
                "show version", "--password-env", "FN_T_PW", "--json"]
        if fmt == "flexnet-ini":
            args += ["-u", "admin"]
        run_ok("run through " + fmt, flexnet(args, env=ENV), n)
    forced = flexnet(["run", "-i", invs["ansible-ini"], "--inventory-format",
                      "ansible", "-g", "sim", "--limit", "d0", "--db", db,
                      "-c", "show version", "--password-env", "FN_T_PW",
                      "--json"], env=ENV)
    run_ok("--inventory-format ansible --limit d0", forced, 1)
    return invs


def check_defaults(work, invs):
    """[defaults]: ./flexnet.conf, else $XDG_CONFIG_HOME/flexnet/."""
    conf = ("[defaults]\ninventory = %s  # the fleet\nuser = admin\n"
            "password_env = FN_T_PW\n" % invs["flexnet-ini"])
    cwd = os.path.join(work, "cwd")
    os.makedirs(cwd)
    write(os.path.join(cwd, "flexnet.conf"), conf)
    db = os.path.join(work, "db-defaults")
    argv = ["run", "-g", "all", "--db", db, "-c", "show version", "--json"]
    p = flexnet_in(cwd, argv, ENV)
    run_ok("[defaults] in ./flexnet.conf", p, N)
    xdg = os.path.join(work, "xdg")
    os.makedirs(os.path.join(xdg, "flexnet"))
    os.rename(os.path.join(cwd, "flexnet.conf"),
              os.path.join(xdg, "flexnet", "flexnet.conf"))
    p = flexnet_in(cwd, argv, dict(ENV, XDG_CONFIG_HOME=xdg))
    run_ok("[defaults] in $XDG_CONFIG_HOME/flexnet/flexnet.conf", p, N)
    p = flexnet_in(cwd, argv + ["-u", "nobody"], dict(ENV,
                                                      XDG_CONFIG_HOME=xdg))
    check(p.returncode != 0, "a flag overrides [defaults] (-u nobody fails)")
    write(os.path.join(cwd, "flexnet.conf"), "[defaults]\npassword = x\n")
    p = flexnet_in(cwd, argv, ENV)
    check(p.returncode == 2 and "flexnet.conf:2:" in p.stderr,
          "a password in [defaults] is refused with file:line (%r)"
          % p.stderr)


def flexnet_in(cwd, argv, env):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return flexnet(argv, env=env)
    finally:
        os.chdir(old)


def main():
    work = tempdir("fn-inv-formats-")
    check_nornir(work)
    check_password_refused(work)
    check_patterns(work)
    with Sim(work, N, BASE, vendor="mix") as sim:
        invs = check_sim_runs(work, sim.inventory)
        check_defaults(work, invs)
    finish("test_inventory_formats")


if __name__ == "__main__":
    main()
