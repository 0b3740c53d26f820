"""test_cli_util.py — helpers shared by the CLI end-to-end tests (not a
test itself): find the binaries, start and stop flexnet-sim, run
`flexnet`, parse --json output, fail with a readable message.

Binaries come from FN_CLI / FN_SIM (set by tests/cli.cmake), else from
FN_TEST_BIN. Each test passes its own port range (tests/cli.cmake lists
them) so that ctest can run them in parallel.
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("FN_TEST_BIN", os.path.join(os.getcwd(), "build"))
CLI = os.environ.get("FN_CLI", os.path.join(BIN, "cli", "flexnet"))
SIM = os.environ.get("FN_SIM", os.path.join(BIN, "sim", "flexnet-sim"))

# Generous: the machine is shared and ASan builds are slow.
RUN_TIMEOUT = 90
READY_TIMEOUT = 60

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child: get SIGTERM when the test dies (even by SIGKILL from a
    ctest timeout), so no simulator outlives its test."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


failures = []
checks = [0]


def check(cond, what):
    """Records a failed expectation (the test goes on, exits 1 at end)."""
    checks[0] += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def finish(name):
    if failures:
        print("%s: %d failure(s)" % (name, len(failures)))
        sys.exit(1)
    print("%s: ok (%d checks)" % (name, checks[0]))
    sys.exit(0)


class Sim:
    """A flexnet-sim fleet on 127.0.0.1; use as a context manager."""

    def __init__(self, workdir, devices, base_port, vendor="mix",
                 password="admin", enable="enable", extra=()):
        self.inventory = os.path.join(workdir, "sim-%d.ini" % base_port)
        self.devices = devices
        self.argv = [SIM, "--devices", str(devices), "--base-port",
                     str(base_port), "--vendor", vendor, "--password",
                     password, "--enable-password", enable,
                     "--inventory-out", self.inventory, "--workers", "1"]
        self.argv += list(extra)
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + READY_TIMEOUT
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("flexnet-sim: ready"):
                return self
        self.stop()
        raise RuntimeError("flexnet-sim did not get ready: " + "".join(seen))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()
        return False


def flexnet(args, env=None, input=None, timeout=RUN_TIMEOUT):
    """Runs flexnet; returns CompletedProcess (text)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([CLI] + list(args), capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


def json_lines(text):
    """Parses one JSON object per line; raises on anything else."""
    out = []
    for line in text.splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def inventory_hosts(path):
    """Host names of an INI inventory the simulator wrote (HOST:PORT)."""
    hosts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("[", "#", ";")):
                hosts.append(line.split()[0])
    return hosts
