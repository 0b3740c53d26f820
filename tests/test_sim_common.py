"""Shared helpers for the flexnet-sim end-to-end tests (not a test itself).

Starts the real flexnet-sim binary from $FN_TEST_BIN/sim/flexnet-sim,
waits for its ready line, drives devices with paramiko (an independent SSH
client), and stops it with SIGTERM, checking it exits clean (under ASan a
leak makes a worker, hence the parent, exit non-zero).

VENDORS below holds what the real devices print, written from the
vendors' own output, independently of the simulator's sim/vendors/ data:
a wrong transcript fails these tests.
"""
import os
import re
import socket
import subprocess
import threading
import time

import paramiko

BIN = os.path.join(os.environ.get("FN_TEST_BIN", "build"), "sim",
                   "flexnet-sim")
MIX = ["cisco_ios", "cisco_nxos", "cisco_iosxr", "juniper_junos",
       "arista_eos", "huawei_vrp", "mikrotik_routeros"]
TIMEOUT = 30.0  # per read; generous for ASan on a loaded 2-core box

# user/priv/config prompts use {h} for the host name, {u} for the user.
# enable: (command, password prompt, privileged prompt) or None.
# err: (command, exact error line, caret column in the command or None).
# What every Cisco-style CLI shares (IOS, NX-OS, XR, EOS); rows override.
CISCO = dict(
    enable=None, pageoff=["terminal length 0", "terminal width 511"],
    pager="--More--", version="show version", running="show running-config",
    invalid=("show foo", "% Invalid input detected at '^' marker.", 5),
    incomplete=("show", "% Incomplete command.", None),
    ambiguous=("s", '% Ambiguous command:  "s"', None),
    config=["configure terminal"], line="ntp server 192.0.2.99",
    leave=["end"], expect="ntp server 192.0.2.99")

VENDORS = {
    "cisco_ios": dict(
        CISCO, prompt="{h}>", enable=("enable", "Password: ", "{h}#"),
        badpass="% Access denied", version_has="Cisco IOS Software",
        config_prompt="{h}(config)#"),
    "cisco_nxos": dict(
        CISCO, prompt="{h}# ",
        version_has="Cisco Nexus Operating System (NX-OS) Software",
        invalid=("show foo", "% Invalid command at '^' marker.", 5),
        incomplete=("show", "% Incomplete command at '^' marker.", 4),
        ambiguous=("s", "% Ambiguous command at '^' marker.", 0),
        config_prompt="{h}(config)# "),
    "cisco_iosxr": dict(
        CISCO, prompt="RP/0/RSP0/CPU0:{h}#",
        pageoff=["terminal length 0", "terminal width 512"],
        version_has="Cisco IOS XR Software",
        config_prompt="RP/0/RSP0/CPU0:{h}(config)#",
        leave=["commit", "end"]),
    "juniper_junos": dict(
        prompt="{u}@{h}> ", enable=None,
        pageoff=["set cli screen-length 0", "set cli screen-width 511",
                 "set cli complete-on-space off"],
        pager="---(more", version="show version", version_has="Junos:",
        running="show configuration | display set",
        invalid=("show foo", "syntax error, expecting <command>: foo", 5),
        incomplete=("show", "syntax error, expecting <command>.", 4),
        ambiguous=("s", "'s' is ambiguous.", 0),
        config=["configure"], config_prompt="{u}@{h}# ",
        line="set system ntp server 192.0.2.99",
        leave=["commit", "exit"], expect="set system ntp server 192.0.2.99"),
    "arista_eos": dict(
        CISCO, prompt="{h}>", enable=("enable", "Password: ", "{h}#"),
        badpass="% Access denied",
        pageoff=["terminal length 0", "terminal width 32767"],
        version_has="Arista DCS-",
        invalid=("show foo", "% Invalid input", None),
        incomplete=("show", "% Incomplete command", None),
        ambiguous=("s", "% Ambiguous command", None),
        config_prompt="{h}(config)#"),
    "huawei_vrp": dict(
        prompt="<{h}>", enable=("super", "Password:", "<{h}>"),
        badpass="Error: Failed to pass the authentication.",
        pageoff=["screen-length 0 temporary"],
        pager="---- More ----", version="display version",
        version_has="[V200R009C00SPC500]",
        running="display current-configuration",
        invalid=("display foo",
                 "Error: Unrecognized command found at '^' position.", 8),
        incomplete=("display",
                    "Error: Incomplete command found at '^' position.", 7),
        ambiguous=("s", "Error: Ambiguous command found at '^' position.",
                   0),
        config=["system-view"], config_prompt="[{h}]",
        line="ntp-service unicast-server 192.0.2.99", leave=["return"],
        expect="ntp-service unicast-server 192.0.2.99"),
    "mikrotik_routeros": dict(
        prompt="[{u}@{h}] > ", enable=None, pageoff=[],
        login_pageoff="+cte511w", pager="-- [Q quit|D dump|down]",
        version="/system resource print", version_has="version: 6.",
        running="/export",
        invalid=("/foo", "bad command name foo (line 1 column 2)", None),
        incomplete=("/system resource",
                    "syntax error (line 1 column 17)", None),
        ambiguous=("/s", "syntax error (line 1 column 1)", None),
        config=[], config_prompt="[{u}@{h}] > ",
        line="/ip address add address=192.0.2.99/24 interface=ether2",
        leave=[],
        expect="/ip address add address=192.0.2.99/24 interface=ether2"),
}


def fmt(template, host, user="admin"):
    return template.replace("{h}", host).replace("{u}", user)


class Sim:
    """One flexnet-sim process; use as a context manager."""

    def __init__(self, devices, base, *args):
        self.base = base
        self.cmd = [BIN, "--devices", str(devices), "--base-port",
                    str(base)] + [str(a) for a in args]
        self.stderr = []

    def __enter__(self):
        self.p = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.t = threading.Thread(target=self._drain, daemon=True)
        self.t.start()
        line = _readline(self.p.stdout, 60.0)
        assert line.startswith(b"flexnet-sim: ready"), \
            (line, self.cmd, self.stderr)
        return self

    def _drain(self):
        for ln in self.p.stderr:
            self.stderr.append(ln.decode(errors="replace"))

    def stop(self):
        self.p.terminate()
        rc = self.p.wait(timeout=60)
        self.t.join(timeout=10)
        text = "".join(self.stderr)
        assert "Sanitizer" not in text, text
        assert rc == 0, (rc, text)
        assert "stats worker=all" in text, text
        return text

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.p.kill()
            self.p.wait()


def _readline(f, timeout):
    out = []
    done = threading.Event()

    def read():
        out.append(f.readline())
        done.set()
    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), "flexnet-sim did not print its ready line"
    return out[0]


class Shell:
    """An interactive shell on one simulated device."""

    def __init__(self, port, user="admin", password="admin", **kw):
        self.c = paramiko.SSHClient()
        self.c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.c.connect("127.0.0.1", port, username=user, password=password,
                       look_for_keys=False, allow_agent=False,
                       timeout=TIMEOUT, banner_timeout=TIMEOUT,
                       auth_timeout=TIMEOUT, **kw)
        self.ch = self.c.invoke_shell(width=200, height=50)
        self.ch.settimeout(TIMEOUT)
        self.buf = b""

    def until(self, *endings, timeout=TIMEOUT, pager=None):
        """Reads until the text ends with one of endings (or its last
        line holds pager); returns it."""
        deadline = time.time() + timeout
        ends = [e.encode() for e in endings]
        pg = pager.encode() if pager else None
        while not any(self.buf.endswith(e) for e in ends) and not (
                pg and pg in self.buf.rsplit(b"\n", 1)[-1]):
            left = deadline - time.time()
            assert left > 0, ("timeout waiting for", endings, self.buf[-300:])
            self.ch.settimeout(left)
            try:
                data = self.ch.recv(65536)
            except socket.timeout:
                data = None
            assert data is not None, ("timeout waiting for", endings,
                                      self.buf[-300:])
            assert data, ("closed while waiting for", endings,
                          self.buf[-300:])
            self.buf += data
        text, self.buf = self.buf.decode(errors="replace"), b""
        return text

    def cmd(self, line, prompt):
        self.ch.sendall((line + "\r").encode())
        return self.until(prompt)

    def closed(self, timeout=TIMEOUT):
        """True once the server closes the channel (EOF)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.ch.settimeout(deadline - time.time())
            try:
                if not self.ch.recv(65536):
                    return True
            except socket.timeout:
                return False
            except (EOFError, OSError, paramiko.SSHException):
                return True
        return False

    def close(self):
        self.c.close()


def caret_col(text):
    """Column of the '^' on a line holding only spaces and one caret."""
    for ln in text.split("\r\n"):
        if re.fullmatch(r" *\^", ln):
            return len(ln) - 1
    return None
