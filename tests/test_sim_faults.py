#!/usr/bin/python3
"""flexnet-sim end-to-end: fault injection, stats, legacy algorithms,
1-byte chunks with latency.

Faults: the same seed gives the same --faults-out whatever --workers is,
another seed gives another plan, and each fault really happens (authfail
rejects the password, refuse refuses TCP, drop cuts an output, hang never
returns the prompt, slowbanner delays the SSH banner, dropidle closes
after the first output once). Ports 20100-20399.
"""
import logging
import os
import signal
import socket
import sys
import tempfile
import time

import paramiko

from test_sim_common import MIX, TIMEOUT, VENDORS, Shell, Sim, fmt

BASE = 20100
N = 60
SPEC = ("authfail=15%,refuse=15%,drop=15%,hang=15%,slowbanner=10%,"
        "dropidle=15%")
SLOW_MS = 1500


def read_plan(path):
    with open(path) as f:
        return [ln.split() for ln in f if ln.strip()]


def plan_for(tmp, seed, workers, tag):
    path = os.path.join(tmp, "faults-%s.txt" % tag)
    with Sim(N, BASE, "--faults", SPEC, "--seed", seed, "--workers",
             workers, "--faults-out", path):
        pass
    return read_plan(path)


def login(port, vendor, base=BASE):
    """Shell at the prompt with paging off; returns (shell, prompt)."""
    v = VENDORS[vendor]
    host = "%s-%d" % (vendor, port - base)
    user = "admin" + v.get("login_pageoff", "")
    sh = Shell(port, user=user)
    prompt = fmt(v["prompt"], host)
    sh.until(prompt)
    for c in v["pageoff"]:
        sh.cmd(c, prompt)
    return sh, prompt


def fault_authfail(port, vendor):
    try:
        Shell(port)
    except paramiko.AuthenticationException:
        return
    raise AssertionError("authfail device %d accepted the password" % port)


def fault_refuse(port, vendor):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    except ConnectionRefusedError:
        return
    raise AssertionError("refuse device %d accepted TCP" % port)


def fault_drop(port, vendor):
    sh, prompt = login(port, vendor)
    sh.ch.sendall((VENDORS[vendor]["version"] + "\r").encode())
    got = b""
    sh.ch.settimeout(TIMEOUT)
    while True:
        data = sh.ch.recv(65536)
        if not data:
            break
        got += data
    assert len(got) > 20 and not got.endswith(prompt.encode()), got
    sh.close()


def fault_hang(port, vendor):
    sh, prompt = login(port, vendor)
    sh.ch.sendall((VENDORS[vendor]["version"] + "\r").encode())
    sh.ch.settimeout(2.0)
    got = b""
    try:
        while True:
            data = sh.ch.recv(65536)
            assert data, "hang device %d closed the channel" % port
            got += data
    except socket.timeout:
        pass
    assert VENDORS[vendor]["version_has"].encode() in got, got
    assert not got.endswith(prompt.encode()), got
    return sh  # left open: the sim must still stop clean


def fault_slowbanner(port, vendor):
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        banner = s.recv(256)
    assert banner.startswith(b"SSH-2.0-"), banner
    assert time.time() - t0 >= SLOW_MS / 1000.0 * 0.9
    sh, prompt = login(port, vendor)
    sh.close()


def fault_dropidle(port, vendor):
    sh, prompt = login(port, vendor)
    sh.cmd(VENDORS[vendor]["version"], prompt)
    assert sh.closed(), "dropidle device %d kept the session" % port
    sh.close()
    sh, prompt = login(port, vendor)  # a reconnect works normally
    sh.cmd(VENDORS[vendor]["version"], prompt)
    sh.cmd(VENDORS[vendor]["version"], prompt)
    sh.close()


def fault_none(port, vendor):
    sh, prompt = login(port, vendor)
    out = sh.cmd(VENDORS[vendor]["version"], prompt)
    assert VENDORS[vendor]["version_has"] in out
    sh.close()


CHECKS = {"authfail": fault_authfail, "refuse": fault_refuse,
          "drop": fault_drop, "hang": fault_hang,
          "slowbanner": fault_slowbanner, "dropidle": fault_dropidle}


def check_faults(tmp):
    one = plan_for(tmp, 11, 1, "a")
    other = plan_for(tmp, 12, 2, "c")
    assert one != other, "another seed gave the same fault plan"
    path = os.path.join(tmp, "faults-b.txt")
    with Sim(N, BASE, "--faults", SPEC, "--seed", 11, "--workers", 2,
             "--faults-out", path, "--slowbanner-ms", SLOW_MS) as sim:
        plan = read_plan(path)
        assert plan == one, (plan, one)
        kinds = {f for _, _, f in plan}
        assert kinds == set(CHECKS), kinds
        seen, keep = set(), []
        for port, vendor, fault in plan:
            if fault not in seen:
                keep.append(CHECKS[fault](int(port), vendor))
                seen.add(fault)
                print("ok fault", fault, port, vendor)
        faulted = {int(p) for p, _, _ in plan}
        clean = [p for p in range(BASE, BASE + N) if p not in faulted]
        fault_none(clean[0], MIX[(clean[0] - BASE) % len(MIX)])
        check_stats(sim)
        # Stopping with a hung session and a half-open TCP client open.
        raw = socket.create_connection(("127.0.0.1", clean[1]))
    raw.close()
    for sh in keep:
        if sh:
            sh.close()


def check_stats(sim):
    sim.p.send_signal(signal.SIGUSR1)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        lines = [ln for ln in sim.stderr if "stats worker=all" in ln]
        if lines:
            assert "sessions=0 " not in lines[-1], lines[-1]
            assert "handshakes=" in lines[-1] and "peak_rss_kb=" in lines[-1]
            return
        time.sleep(0.05)
    raise AssertionError("no stats line after SIGUSR1: %r" % sim.stderr)


def check_legacy():
    port = 20300
    with Sim(1, port, "--legacy-algos", "--vendor", "cisco_ios"):
        t = paramiko.Transport(("127.0.0.1", port))
        opts = t.get_security_options()
        opts.kex = ["diffie-hellman-group14-sha1"]
        opts.key_types = ["ssh-rsa"]
        t.start_client(timeout=TIMEOUT)
        assert t.host_key.get_name() == "ssh-rsa"
        t.auth_password("admin", "admin")
        assert t.is_authenticated()
        t.close()
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # expected
        t = paramiko.Transport(("127.0.0.1", port))
        t.get_security_options().kex = ["curve25519-sha256@libssh.org"]
        try:
            t.start_client(timeout=TIMEOUT)
            raise AssertionError("modern kex accepted with --legacy-algos")
        except paramiko.SSHException:
            pass
        finally:
            t.close()
    print("ok legacy-algos")


def running_of(port, seed, *extra):
    """Junos running config of device 0 of a fresh sim."""
    with Sim(1, port, "--vendor", "juniper_junos", "--seed", seed,
             "--config-lines", 300, *extra):
        sh, prompt = login(port, "juniper_junos", base=port)
        out = sh.cmd("show configuration | display set", prompt)
        sh.close()
    return out


def check_chunks():
    """1-byte chunks and latency change timing, not content; the running
    config is a function of (seed, device)."""
    port = 20310
    plain = running_of(port, 7)
    chunked = running_of(port, 7, "--chunk-bytes", 1, "--latency-ms", "5-30")
    other = running_of(port, 8)
    assert chunked == plain
    assert other != plain
    assert len(plain.split("\r\n")) > 300
    print("ok chunk-bytes 1 with latency, deterministic config")


def check_hostkey(tmp):
    """--hostkey FILE is created once and then reused."""
    port, path, keys = 20320, os.path.join(tmp, "hostkey"), []
    for _ in range(2):
        with Sim(1, port, "--hostkey", path, "--vendor", "arista_eos"):
            sh = Shell(port)
            keys.append(sh.c.get_transport().get_remote_server_key())
            sh.close()
    assert os.path.exists(path) and keys[0] == keys[1]
    print("ok hostkey kept")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_faults(tmp)
        check_hostkey(tmp)
    check_legacy()
    check_chunks()
    print("100%: flexnet-sim faults, stats, legacy, chunks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
