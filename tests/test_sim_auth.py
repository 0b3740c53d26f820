"""flexnet-sim end-to-end: public-key auth (--authorized-key) and a clean
event loop when a client vanishes with output pending.

- --authorized-key FILE: paramiko (an independent client) logs in with
  that ed25519 key and no password; another key is refused; the password
  still works.
- A client that closes its connection while the device still has a large
  output queued (1-byte chunks, so the simulator is mid-write) must not
  make libevent warn: the simulator used to keep a second event on a
  socket libssh had already closed ("[warn] Epoll MOD ... Bad file
  descriptor"). Its stderr is checked for any "[warn]" line.

Ports 20400-20499 (sim's range). Run by ctest with FN_TEST_BIN set.
"""
import os
import re
import signal
import sys
import tempfile
import time

import paramiko

from test_sim_common import TIMEOUT, Shell, Sim

PORT_KEY = 20400
PORT_VANISH = 20410


def write_key(path):
    """An ed25519 key pair from OpenSSH's ssh-keygen (paramiko cannot
    generate ed25519 keys): path and path.pub."""
    rc = os.system("ssh-keygen -q -t ed25519 -N '' -f '%s' >/dev/null" % path)
    assert rc == 0, "ssh-keygen failed"
    return paramiko.Ed25519Key.from_private_key_file(path)


def key_login(port, key):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    c.connect("127.0.0.1", port, username="admin", pkey=key,
              look_for_keys=False, allow_agent=False, timeout=TIMEOUT,
              banner_timeout=TIMEOUT, auth_timeout=TIMEOUT)
    return c


def check_authorized_key(tmp):
    good = write_key(os.path.join(tmp, "good"))
    bad = write_key(os.path.join(tmp, "bad"))
    with Sim(1, PORT_KEY, "--vendor", "cisco_ios", "--authorized-key",
             os.path.join(tmp, "good.pub")) as sim:
        c = key_login(PORT_KEY, good)
        ch = c.invoke_shell(width=200, height=50)
        ch.settimeout(TIMEOUT)
        buf = b""
        while not buf.endswith(b"cisco_ios-0>"):
            data = ch.recv(4096)
            assert data, buf
            buf += data
        c.close()
        try:
            key_login(PORT_KEY, bad)
            raise AssertionError("a key not in --authorized-key logged in")
        except paramiko.AuthenticationException:
            pass
        sh = Shell(PORT_KEY)  # the password works too
        sh.until("cisco_ios-0>")
        sh.close()
        text = sim.stop()
    assert "[warn]" not in text, text
    print("ok --authorized-key: key in, other key out, password in")


def wait_idle(sim):
    """Until the simulator reports no live session (SIGUSR1 stats)."""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        n = len(sim.stderr)
        os.kill(sim.p.pid, signal.SIGUSR1)
        while len(sim.stderr) == n and time.time() < deadline:
            time.sleep(0.05)
        stats = [ln for ln in sim.stderr if "worker=all" in ln]
        if stats and re.search(r"\bactive=0\b", stats[-1]):
            return
    raise AssertionError("sessions still live: %s" % sim.stderr[-3:])


def check_vanish_mid_output():
    with Sim(1, PORT_VANISH, "--vendor", "cisco_ios", "--chunk-bytes", 1,
             "--config-lines", 20000) as sim:
        for _ in range(5):
            sh = Shell(PORT_VANISH)
            sh.until("cisco_ios-0>")
            sh.ch.sendall(b"enable\renable\rterminal length 0\r"
                          b"show running-config\r")
            deadline = time.time() + TIMEOUT
            seen = b""
            while b"interface" not in seen and time.time() < deadline:
                seen += sh.ch.recv(65536)
            assert b"interface" in seen, seen[-300:]
            sh.close()  # gone while megabytes are still queued
        wait_idle(sim)  # each disconnect seen by the simulator
        text = sim.stop()
    assert "[warn]" not in text, text
    print("ok client vanishing mid-output: no libevent warning")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_authorized_key(tmp)
    check_vanish_mid_output()
    print("100%: flexnet-sim auth and clean disconnects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
