"""test_rpc_lib.py — shared harness of the flexnetd end-to-end tests.

Starts flexnet-sim (a fleet of SSH devices on loopback) and flexnetd (the
gRPC server under test) in a temporary directory, waits for their "ready"
lines, and hands out stubs generated at build time (build/rpc/py). Every
wait has a deadline; nothing sleeps to synchronise. Each test passes its
own port range (tests/rpc.cmake: rpc tests use 30000-31999, one
sub-range each).

Environment: FN_TEST_BIN (build root), FN_TEST_SRC (source root), set by
ctest. Run under /usr/bin/python3 (Debian's python3-grpcio).
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("FN_TEST_BIN", os.path.join(os.path.dirname(__file__),
                                                 "..", "build"))
sys.path.insert(0, os.path.join(BIN, "rpc", "py"))

import grpc  # noqa: E402
from flexnet.v1 import flexnet_pb2 as pb  # noqa: E402
from flexnet.v1 import flexnet_pb2_grpc as pbg  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402

FLEXNETD = os.path.join(BIN, "rpc", "flexnetd")
SIM = os.path.join(BIN, "sim", "flexnet-sim")
PASSWORD_ENV = "FN_RPC_TEST_PASSWORD"
ENABLE_ENV = "FN_RPC_TEST_ENABLE"


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def wait_line(proc, needle, timeout, what):
    """Reads proc's stdout until a line contains needle (or fails)."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("%s: no %r within %ss (got %r)" % (what, needle, timeout,
                                                   buf[-500:]))
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            fail("%s exited (rc=%s) before %r: %r" % (what, proc.wait(),
                                                      needle, buf[-500:]))
        buf += chunk
        if needle.encode() in buf:
            return buf.decode(errors="replace")


class Env:
    """A simulator + flexnetd pair. Use as a context manager."""

    def __init__(self, port, devices=0, sim_args=(), daemon_args=(),
                 token=None, valgrind=None, ready_timeout=60):
        self.port = port
        self.devices = devices
        self.dir = tempfile.mkdtemp(prefix="fn-rpc-")
        self.inventory = os.path.join(self.dir, "inventory.ini")
        self.sim = None
        self.daemon = None
        self.token = token
        self.channels = []
        self.term_sent = False
        try:
            if devices:
                self._start_sim(list(sim_args))
            self._start_daemon(list(daemon_args), valgrind, ready_timeout)
        except BaseException:
            # __exit__ never runs for a failed __init__: stop the
            # simulator here, or it outlives the test holding its ports.
            self.close()
            raise

    def _start_sim(self, extra):
        cmd = [SIM, "--devices", str(self.devices), "--base-port",
               str(self.port + 1), "--workers", "1",
               "--inventory-out", self.inventory] + extra
        self.sim = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
        wait_line(self.sim, "ready", 60, "flexnet-sim")

    def _start_daemon(self, extra, valgrind, timeout):
        env = dict(os.environ)
        env[PASSWORD_ENV] = "admin"
        env[ENABLE_ENV] = "enable"
        cmd = [FLEXNETD, "--listen", "127.0.0.1:%d" % self.port,
               "--db", os.path.join(self.dir, "db")]
        if self.devices:
            cmd += ["--inventory", self.inventory]
        if self.token:
            tf = os.path.join(self.dir, "token")
            with open(tf, "w") as f:
                f.write(self.token + "\n")
            cmd += ["--token-file", tf]
        cmd += extra
        if valgrind:
            cmd = valgrind + cmd
        self.stderr_path = os.path.join(self.dir, "flexnetd.stderr")
        self.stderr = open(self.stderr_path, "wb")
        self.daemon = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                       stderr=self.stderr, env=env)
        wait_line(self.daemon, "listening on", timeout, "flexnetd")

    def channel(self, **opts):
        ch = grpc.insecure_channel("127.0.0.1:%d" % self.port,
                                   options=list(opts.items()))
        self.channels.append(ch)
        return ch

    def stub(self, ch=None):
        return pbg.FlexnetStub(ch or self.channel())

    def md(self):
        return (("authorization", "Bearer " + self.token),) if self.token \
            else ()

    def terminate(self):
        """Sends SIGTERM once (a second one during the final cleanup,
        after the handler is gone, would kill the process)."""
        if not self.term_sent:
            self.term_sent = True
            self.daemon.send_signal(signal.SIGTERM)

    def alive(self):
        return self.daemon.poll() is None

    def stop(self, timeout=60, quiet=False):
        """SIGTERM flexnetd; returns its exit code (and prints its stderr
        when that is not 0, unless quiet)."""
        for ch in self.channels:
            ch.close()
        self.channels = []
        rc = None
        if self.daemon:
            if self.daemon.poll() is None:
                self.terminate()
            try:
                rc = self.daemon.wait(timeout)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                rc = self.daemon.wait()
                fail("flexnetd did not exit within %ss of SIGTERM" % timeout)
            self.daemon.stdout.close()
            self.stderr.close()
            self.daemon = None
            self.term_sent = False
            if rc != 0 and not quiet:
                with open(self.stderr_path, errors="replace") as f:
                    print("flexnetd exited %s; stderr:\n%s" %
                          (rc, f.read()[-8000:]), flush=True)
        return rc

    def close(self):
        try:
            self.stop()
        finally:
            if self.sim:
                self.sim.send_signal(signal.SIGTERM)
                try:
                    self.sim.wait(30)
                except subprocess.TimeoutExpired:
                    self.sim.kill()
                    self.sim.wait()
                self.sim.stdout.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def start_fake(name, args):
    """Starts tests/fakes/<name> (prints "READY <port>"); returns
    (process, port). The caller terminates it."""
    fakes = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "fakes")
    proc = subprocess.Popen([sys.executable, os.path.join(fakes, name)] +
                            args, stdout=subprocess.PIPE)
    line = wait_line(proc, "READY", 30, name)
    return proc, int(line.split("READY")[1].split()[0])


def spec(commands=("show version",), name="test", backup=False, **kw):
    """A TaskSpec on the server's inventory, credentials by reference."""
    steps = []
    if commands:
        steps.append(pb.Step(kind=pb.STEP_KIND_COMMANDS,
                             commands=list(commands)))
    if backup:
        steps.append(pb.Step(kind=pb.STEP_KIND_BACKUP, comment="rpc test"))
    creds = pb.Credentials(username="admin", password_env=PASSWORD_ENV,
                           enable_password_env=ENABLE_ENV)
    return pb.TaskSpec(name=name, steps=steps, credentials=creds, **kw)


def run_task(stub, s, md=(), timeout=120):
    """Runs a task to its end; returns (events by kind, summary). The
    kind "first" holds the very first event of the stream."""
    kinds = {}
    summary = None
    for ev in stub.RunTask(s, metadata=md, timeout=timeout):
        kind = ev.WhichOneof("event")
        kinds.setdefault("first", [ev])
        kinds.setdefault(kind, []).append(ev)
        if kind == "summary":
            summary = ev.summary
    return kinds, summary


def wait_task(stub, tid, done, timeout=60, md=()):
    """Polls GetTask until done(task) holds; returns that task. (Polling a
    state the test cannot be told about, not synchronising on time.)"""
    deadline = time.monotonic() + timeout
    while True:
        t = stub.GetTask(pb.GetTaskRequest(task_id=tid), metadata=md,
                         timeout=10).task
        if done(t):
            return t
        if time.monotonic() > deadline:
            fail("task %s: still %s after %ss" % (
                tid, pb.TaskStatus.Name(t.status), timeout))
        time.sleep(0.1)


def code_of(fn):
    """The gRPC status code fn() ends with (OK when it raises nothing)."""
    try:
        fn()
    except grpc.RpcError as e:
        return e.code()
    return grpc.StatusCode.OK


def health(env, md=()):
    stub = health_pb2_grpc.HealthStub(env.channel())
    return stub.Check(health_pb2.HealthCheckRequest(service=""),
                      metadata=md, timeout=10).status


def main(tests):
    """Runs each (name, fn) in order; exit 1 on the first failure."""
    for name, fn in tests:
        t0 = time.monotonic()
        fn()
        print("ok %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    print("all %d passed" % len(tests))
