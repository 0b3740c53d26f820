#!/usr/bin/python3
"""test_cli_hostkeys.py — host-key policies with OpenSSH's meanings, and
replacing a pinned key as a deliberate act.

Two devices; the simulator restarts on the same ports with another host
key (a re-installed device, or a man in the middle):
 - accept-new (default) pins; after the change it refuses, and so does
   an explicit `--host-key-policy accept-new` (it used to replace the
   key); the reason says how to recover (`flexnet hostkeys forget HOST`);
 - `off` connects whatever the key, says so in the task log, pins nothing;
 - `hostkeys list` shows the pins; `hostkeys forget HOST` lets the next
   run pin the new key for that host only;
 - `hostkeys import known_hosts`: pins OpenSSH entries (`[addr]:port`),
   refuses to overwrite another pin, skips hashed names; strict then
   trusts exactly the imported keys.
Ports 28900-28939.
"""
import os
import socket

import paramiko

from test_cli_util import (Sim, check, finish, flexnet, json_lines, tempdir,
                           write)

BASE = 28900
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}
HOSTS = ["127.0.0.1:%d" % (BASE + i) for i in range(2)]


def run(db, inv, *args):
    p = flexnet(["run", "-i", inv, "-g", "all", "-u", "admin", "--db", db,
                 "--password-env", "FN_T_PW", "--enable-password-env",
                 "FN_T_EN", "-c", "show clock", "--json"] + list(args),
                env=ENV)
    conns = {c["host"]: c for c in json_lines(p.stdout)
             if c["type"] == "connection"}
    return p, conns


def pins(db):
    p = flexnet(["hostkeys", "list", "--json", "--db", db])
    check(p.returncode == 0, "hostkeys list: exit 0 (%r)" % p.stderr)
    return {h["host"]: h["sha256"] for h in json_lines(p.stdout)}


def server_key(port):
    """The device's host key as OpenSSH writes it (type, base64)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t = paramiko.Transport(s)
    t.start_client(timeout=10)
    k = t.get_remote_server_key()
    t.close()
    return k.get_name(), k.get_base64()


def main():
    work = tempdir("fn-cli-hk-")
    db = os.path.join(work, "db")
    k1, k2 = os.path.join(work, "k1"), os.path.join(work, "k2")
    with Sim(work, 2, BASE, vendor="cisco_ios",
             extra=["--hostkey", k1]) as sim:
        inv = sim.inventory
        p, conns = run(db, inv)
        check(p.returncode == 0, "first run pins (%r)" % p.stderr[-300:])
        first = pins(db)
        check(sorted(first) == HOSTS and
              all(v.startswith("SHA256:") for v in first.values()),
              "hostkeys list: both pinned %r" % first)
    with Sim(work, 2, BASE, vendor="cisco_ios",
             extra=["--hostkey", k2]) as sim:
        for args in ([], ["--host-key-policy", "accept-new"],
                     ["--host-key-policy", "tofu"]):
            p, conns = run(db, inv, *args)
            why = conns[HOSTS[0]]["reason"]
            check(p.returncode == 3 and "host key changed" in why and
                  "flexnet hostkeys forget %s" % HOSTS[0] in why,
                  "%s: changed key refused, recovery named (%d %r)"
                  % (args, p.returncode, why))
        check(pins(db) == first, "a refused run changes no pin")
        p, conns = run(db, inv, "--host-key-policy", "off")
        check(p.returncode == 0, "off: connects (%r)" % p.stderr[-300:])
        tid = [e for e in json_lines(p.stdout)
               if e["type"] == "summary"][0]["task_id"]
        log = flexnet(["tasks", "log", tid, "--db", db]).stdout
        check("NOT CHECKED (--host-key-policy off)" in log,
              "off: said loudly in the task log (%r)" % log[-400:])
        check(pins(db) == first, "off pins nothing")
        f = flexnet(["hostkeys", "forget", HOSTS[0], "--db", db])
        check(f.returncode == 0 and "forgot the key of %s" % HOSTS[0]
              in f.stdout, "forget: %r %r" % (f.stdout, f.stderr))
        f = flexnet(["hostkeys", "forget", "192.0.2.9", "--db", db])
        check(f.returncode == 2 and "not found" in f.stderr,
              "forget of an unknown host: exit 2 (%r)" % f.stderr)
        p, conns = run(db, inv)
        check(p.returncode == 1 and conns[HOSTS[0]]["status"] == "ok" and
              conns[HOSTS[1]]["status"] == "failed",
              "after forget: that host pins the new key, the other is still"
              " refused (%d)" % p.returncode)
        second = pins(db)
        check(second[HOSTS[0]] != first[HOSTS[0]] and
              second[HOSTS[1]] == first[HOSTS[1]], "pins %r" % second)
        ktype, b64 = server_key(BASE + 1)
        kh = write(os.path.join(work, "known_hosts"),
                   "# comment\n[127.0.0.1]:%d %s %s\n"
                   "|1|aGFzaGVk|c2FsdA== %s %s\n"
                   "@cert-authority * %s %s\n" % (BASE + 1, ktype, b64,
                                                  ktype, b64, ktype, b64))
        i = flexnet(["hostkeys", "import", kh, "--db", db])
        check(i.returncode == 1 and "another key is pinned" in i.stderr,
              "import does not overwrite a pin (%d %r)"
              % (i.returncode, i.stderr))
        flexnet(["hostkeys", "forget", HOSTS[1], "--db", db])
        i = flexnet(["hostkeys", "import", kh, "--db", db])
        check(i.returncode == 0 and "1 pinned" in i.stdout and
              "2 skipped" in i.stdout, "import: %r %r" % (i.stdout, i.stderr))
        p, conns = run(db, inv, "--host-key-policy", "strict")
        check(p.returncode == 0, "strict trusts the imported key: the "
              "fingerprints agree (%r)" % [c["reason"] for c in
                                           conns.values()])
    finish("test_cli_hostkeys")


if __name__ == "__main__":
    main()
