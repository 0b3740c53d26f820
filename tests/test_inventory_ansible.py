#!/usr/bin/python3
"""test_inventory_ansible.py — differential: flexnet reads Ansible
inventories as Debian's ansible-core does. No network.

For inventories written as Ansible's documentation writes them (groups
of groups, group vars, host ranges, ansible_host aliases, precedence)
and for generated ones (random group trees with vars at every level, in
INI and in YAML), `ansible-inventory -i FILE --list` is the oracle and
`flexnet inventory list --json` must give the same hosts, the same
transitive group membership and the same variables: ansible_host,
ansible_port, ansible_user, ansible_network_os and ansible_become as
flexnet's address, port, username, vendor and become, every other
variable as host data. Refusals are checked too: a group cycle and an
undefined child group are errors in both.
"""
import json
import os
import random
import shutil
import subprocess
import sys

from test_cli_util import check, finish, flexnet, tempdir, write

ORACLE = shutil.which("ansible-inventory")

# The platform names of the issue, as the oracle hands them back, to the
# profile flexnet must choose: written down from the issue, not from
# flexnet's table.
VENDORS = {
    "cisco.ios.ios": "cisco_ios", "ios": "cisco_ios",
    "arista.eos.eos": "arista_eos", "eos": "arista_eos",
    "junipernetworks.junos.junos": "juniper_junos", "junos": "juniper_junos",
    "cisco.nxos.nxos": "cisco_nxos", "nxos": "cisco_nxos",
    "cisco.iosxr.iosxr": "cisco_iosxr", "iosxr": "cisco_iosxr",
    "community.routeros.routeros": "mikrotik_routeros",
    "routeros": "mikrotik_routeros",
    "ce": "huawei_vrp", "vrp": "huawei_vrp",
}
FIELDS = {"ansible_host": "address", "ansible_port": "port",
          "ansible_user": "username", "ansible_network_os": "vendor",
          "ansible_become": "become"}


def text(v):
    """The oracle's typed value as the text flexnet keeps."""
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


def oracle(path, env):
    p = subprocess.run([ORACLE, "-i", path, "--list"], capture_output=True,
                       text=True, env=env, timeout=120)
    if p.returncode != 0:
        return None, p.stderr
    return json.loads(p.stdout), p.stderr


def oracle_view(data):
    """{host: (groups, vars)} from ansible-inventory --list."""
    parents = {}
    direct = {}
    for g, body in data.items():
        if g == "_meta":
            continue
        for c in body.get("children", []):
            parents.setdefault(c, set()).add(g)
        for h in body.get("hosts", []):
            direct.setdefault(h, set()).add(g)

    def closure(g, seen):
        if g in seen:
            return
        seen.add(g)
        for p in parents.get(g, ()):
            closure(p, seen)

    view = {}
    hostvars = data.get("_meta", {}).get("hostvars", {})
    for h in direct:
        groups = set()
        for g in direct[h]:
            closure(g, groups)
        groups -= {"all", "ungrouped"}
        fields, rest = {}, {}
        for k, v in hostvars.get(h, {}).items():
            if k in FIELDS:
                fields[FIELDS[k]] = text(v)
            else:
                rest[k] = text(v)
        if "vendor" in fields:
            fields["vendor"] = VENDORS.get(fields["vendor"], fields["vendor"])
        if "become" in fields:
            fields["become"] = {"True": "1", "False": "0", "true": "1",
                                "false": "0", "yes": "1",
                                "no": "0"}.get(fields["become"],
                                               fields["become"])
        fields.setdefault("address", h)
        fields.setdefault("port", "22")
        view[h] = (groups, fields, rest)
    return view


def flexnet_view(path, fmt):
    p = flexnet(["inventory", "list", "-i", path, "--inventory-format", fmt,
                 "--json"])
    if p.returncode != 0:
        return None, p.stderr
    data = json.loads(p.stdout)
    view = {}
    for h, body in data["hosts"].items():
        fields = {k: v["value"] for k, v in body["settings"].items()}
        fields["address"] = body["address"]
        fields["port"] = str(body["port"])
        rest = {k: v["value"] for k, v in body["data"].items()}
        view[h] = (set(body["groups"]), fields, rest)
    return view, p.stderr


def compare(name, path, fmt, env):
    want, werr = oracle(path, env)
    got, gerr = flexnet_view(path, fmt)
    if not check(want is not None, "%s: oracle refused: %s" % (name, werr)):
        return
    if not check(got is not None, "%s: flexnet refused: %s" % (name, gerr)):
        return
    want = oracle_view(want)
    check(set(want) == set(got), "%s: hosts differ: only ansible %s, only "
          "flexnet %s" % (name, sorted(set(want) - set(got))[:5],
                          sorted(set(got) - set(want))[:5]))
    for h in sorted(set(want) & set(got)):
        wg, wf, wr = want[h]
        gg, gf, gr = got[h]
        check(wg == gg, "%s: %s groups: ansible %s flexnet %s" %
              (name, h, sorted(wg), sorted(gg)))
        for k in set(wf) | {"address", "port"}:
            check(wf.get(k) == gf.get(k), "%s: %s %s: ansible %r flexnet %r"
                  % (name, h, k, wf.get(k), gf.get(k)))
        check(wr == gr, "%s: %s vars: ansible %s flexnet %s" %
              (name, h, sorted(wr.items()), sorted(gr.items())))


DOC_INI = """\
# As the Ansible documentation writes them
mail.example.com

[webservers]
foo.example.com
bar.example.com

[dbservers]
one.example.com
two.example.com
three.example.com

[atlanta]
host1 http_port=80 maxRequestsPerChild=808
host2 http_port=303 maxRequestsPerChild=909

[raleigh]
host2
host3 ansible_port=2201 ansible_host="192.0.2.13"

[southeast:children]
atlanta
raleigh

[southeast:vars]
some_server=foo.southeast.example.com
halon_system_timeout=30
escape_pods=2

[usa:children]
southeast
northeast

[northeast]
www[01:03].example.com
db-[a:c].example.com:2222
jumper ansible_port=5555 ansible_host=192.0.2.50

[routers]
r[1:9:4] ansible_network_os=cisco.ios.ios ansible_user=ops
edge ansible_network_os=junos ansible_become=true
badwolf.example.com:5309 ansible_network_os=arista.eos.eos

[routers:vars]
ansible_user=netops
ansible_network_os=nxos
ntp_server=10.0.0.1

[atlanta:vars]
ntp_server=10.0.0.3
escape_pods=3

[all:vars]
ntp_server=10.0.0.2
proxy=proxy.atlanta.example.com
"""

DOC_YAML = """\
all:
  vars:
    ntp_server: 10.0.0.2
  hosts:
    mail.example.com:
  children:
    webservers:
      hosts:
        foo.example.com:
        bar.example.com:
    dbservers:
      hosts:
        one.example.com:
        two.example.com:
        three.example.com:
    east:
      vars:
        ntp_server: 10.0.0.4
        ansible_user: east
      hosts:
        foo.example.com:
        one.example.com:
        two.example.com:
      children:
        leaf:
          vars:
            ansible_user: leaf
          hosts:
            two.example.com:
              ansible_port: 2222
    west:
      hosts:
        bar.example.com:
        three.example.com:
          ansible_host: 192.0.2.33
    prod:
      children:
        east:
        west:
    test:
      children:
        west:
    network:
      hosts:
        sw[1:3]:
          ansible_network_os: arista.eos.eos
        fw1:
          ansible_network_os: community.routeros.routeros
          ansible_become: false
"""


def gen_inventory(rng):
    """A random group DAG with vars on all, groups and hosts, as INI and as
    YAML text that say the same."""
    ng = rng.randint(3, 8)
    groups = ["g%d" % i for i in range(ng)]
    children = {g: [] for g in groups}
    for i, g in enumerate(groups[1:], 1):  # parents only earlier: no cycle
        for p in rng.sample(groups[:i], rng.randint(0, min(2, i))):
            children[p].append(g)
    keys = ["site", "role", "ansible_user", "ansible_port", "ntp",
            "ansible_network_os"]
    vals = {"ansible_port": lambda: str(rng.randint(1, 65535)),
            "ansible_network_os": lambda: rng.choice(sorted(VENDORS))}

    def some_vars(n):
        out = {}
        for k in rng.sample(keys, n):
            out[k] = vals.get(k, lambda: "v%d" % rng.randint(0, 99))()
        return out

    gvars = {g: some_vars(rng.randint(0, 3)) for g in groups}
    allvars = some_vars(rng.randint(0, 2))
    hosts = {}
    for i in range(rng.randint(3, 15)):
        h = "h%02d.example.net" % i
        hosts[h] = (rng.sample(groups, rng.randint(0, 2)),
                    some_vars(rng.randint(0, 2)))
    ini = ["[all:vars]"] + ["%s=%s" % kv for kv in allvars.items()]
    yaml = ["all:", "  vars: {%s}" % ", ".join("%s: '%s'" % kv
                                              for kv in allvars.items()),
            "  hosts:"]
    for h, (gs, hv) in hosts.items():
        if not gs:
            ini.insert(0, " ".join([h] + ["%s=%s" % kv for kv in hv.items()]))
            yaml.append("    %s: {%s}" % (h, ", ".join(
                "%s: '%s'" % kv for kv in hv.items())))
    yaml.append("  children:")
    for g in groups:
        ini.append("[%s]" % g)
        yaml.append("    %s:" % g)
        yaml.append("      vars: {%s}" % ", ".join(
            "%s: '%s'" % kv for kv in gvars[g].items()))
        yaml.append("      hosts:")
        for h, (gs, hv) in hosts.items():
            if g in gs:
                own = hv if gs[0] == g else {}
                ini.append(" ".join([h] + ["%s=%s" % kv
                                           for kv in own.items()]))
                yaml.append("        %s: {%s}" % (h, ", ".join(
                    "%s: '%s'" % kv for kv in own.items())))
        yaml.append("      children:")
        for c in children[g]:
            yaml.append("        %s:" % c)
        if children[g]:
            ini.append("[%s:children]" % g)
            ini.extend(children[g])
        if gvars[g]:
            ini.append("[%s:vars]" % g)
            ini.extend("%s=%s" % kv for kv in gvars[g].items())
    return "\n".join(ini) + "\n", "\n".join(yaml) + "\n"


def check_refusals(work, env):
    cases = {
        "cycle.ini": "[a:children]\nb\n[b:children]\na\n",
        "undefined.ini": "[a:children]\nnope\n[a]\nh1\n",
        "vars-undefined.ini": "[ghost:vars]\nx=1\n[a]\nh1\n",
    }
    for name, body in cases.items():
        path = write(os.path.join(work, name), body)
        want, _ = oracle(path, dict(env, ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
                                    ANSIBLE_INVENTORY_ENABLED="ini"))
        got = flexnet(["inventory", "list", "-i", path, "--json"])
        check(want is None, "%s: ansible refuses it" % name)
        check(got.returncode == 2 and (path + ":") in got.stderr,
              "%s: flexnet refuses it with file:line (%d %r)" %
              (name, got.returncode, got.stderr))


def main():
    if not ORACLE:
        print("ansible-inventory missing: run scripts/bootstrap")
        sys.exit(1)
    work = tempdir("fn_inv_ansible_")
    env = dict(os.environ, ANSIBLE_HOME=os.path.join(work, "ansible"),
               ANSIBLE_LOCAL_TEMP=os.path.join(work, "tmp"),
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    os.environ.update({"ANSIBLE_HOME": env["ANSIBLE_HOME"]})
    compare("doc.ini", write(os.path.join(work, "doc.ini"), DOC_INI),
            "ansible", env)
    compare("doc.yaml", write(os.path.join(work, "doc.yaml"), DOC_YAML),
            "ansible", env)
    # detection: the same files without --inventory-format
    got = flexnet(["inventory", "list", "-i", os.path.join(work, "doc.ini"),
                   "--json"])
    check(got.returncode == 0 and
          json.loads(got.stdout)["format"] == "ansible",
          "doc.ini detected as Ansible INI (%r)" % got.stderr)
    rng = random.Random(int(os.environ.get("FN_SEED", "20261206")))
    for i in range(int(os.environ.get("FN_INV_CASES", "6"))):
        ini, yaml = gen_inventory(rng)
        compare("gen%d.ini" % i, write(os.path.join(work, "gen%d.ini" % i),
                                       ini), "ansible", env)
        compare("gen%d.yaml" % i, write(os.path.join(work, "gen%d.yml" % i),
                                        yaml), "yaml", env)
    check_refusals(work, env)
    shutil.rmtree(work, ignore_errors=True)
    finish("test_inventory_ansible")


main()
