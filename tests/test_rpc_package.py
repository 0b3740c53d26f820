"""test_rpc_package.py — what an operator installs: `cmake --install` puts the
binaries, man pages, protos, the systemd unit with its config, and the
embeddable library with flexnet.pc in place (a C program built only from
flexnet.pc runs a task on simulated devices); scripts/package builds a
.deb with dpkg-deb that dpkg installs (here under a private root, so the
test machine's own dpkg database is not touched), and the installed
unit's ExecStart, run without systemd, serves gRPC, health and /metrics
with the options of the installed /etc/flexnet/flexnetd.conf, drains on
SIGTERM and exits 0; dpkg removes it again. Ports 31700-31719.
"""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

from test_rpc_lib import BIN, check, health, main, wait_line
import health_pb2

SRC = os.environ.get("FN_TEST_SRC", os.path.join(os.path.dirname(
    os.path.abspath(__file__)), ".."))
PORT = 31700
METRICS = 31701
SIM_BASE = 31710
DEVICES = 5

work = tempfile.mkdtemp(prefix="fn-pkg-")
state = {}


def sh(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    check(p.returncode == 0, "%s: exit %d\n%s%s" % (
        " ".join(argv), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


def t_cmake_install():
    prefix = os.path.join(work, "prefix")
    sh(["cmake", "--install", BIN, "--prefix", prefix])
    for f in ("bin/flexnet", "bin/flexnetd", "bin/flexnet-sim",
              "share/man/man1/flexnet.1", "share/man/man8/flexnetd.8",
              "share/flexnet/proto/flexnet/v1/flexnet.proto",
              "share/flexnet/proto/health.proto", "lib/libflexnet.a",
              "lib/pkgconfig/flexnet.pc", "include/flexnet/fn_engine.h",
              "include/flexnet/flexnet/v1/flexnet.pb-c.h",
              "lib/systemd/system/flexnetd.service",
              "etc/flexnet/flexnetd.conf", "etc/flexnet/flexnetd.env"):
        check(os.path.exists(os.path.join(prefix, f)), "not installed: " + f)
    unit = open(os.path.join(prefix, "lib/systemd/system/flexnetd.service"))
    check("ExecStart=%s/bin/flexnetd --options %s/etc/flexnet/flexnetd.conf"
          % (prefix, prefix) in unit.read(), "unit paths follow the prefix")
    state["prefix"] = prefix


def t_embed_library():
    """examples/c/embed.c, built from flexnet.pc alone, runs a task."""
    prefix = state["prefix"]
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib",
                                                        "pkgconfig"))
    flags = sh(["pkg-config", "--cflags", "--libs", "flexnet"], env=env)
    exe = os.path.join(work, "embed")
    sh(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
        os.path.join(SRC, "examples", "c", "embed.c"), "-o", exe] +
       shlex.split(flags))
    inv = os.path.join(work, "sim.ini")
    sim = subprocess.Popen([os.path.join(prefix, "bin", "flexnet-sim"),
                            "--devices", str(DEVICES), "--base-port",
                            str(SIM_BASE), "--vendor", "cisco_ios",
                            "--workers", "1", "--inventory-out", inv],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        wait_line(sim, "ready", 60, "flexnet-sim")
        p = subprocess.run([exe, inv, "show version"], capture_output=True,
                           text=True, timeout=60,
                           env=dict(os.environ, FN_PASS="admin"))
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(30)
        sim.stdout.close()
    rows = [l for l in p.stdout.splitlines() if "\tshow version" in l]
    check(p.returncode == 0 and len(rows) == DEVICES and
          all("\t0\t" in r for r in rows),
          "embed: exit %d\n%s%s" % (p.returncode, p.stdout, p.stderr))


def t_deb_build():
    out = sh(["bash", os.path.join(SRC, "scripts", "package"),
              "--build-dir", BIN, "--out", os.path.join(work, "dist")])
    deb = out.strip().splitlines()[-1]
    check(deb.endswith(".deb") and os.path.exists(deb), "no .deb: %r" % out)
    info = sh(["dpkg-deb", "--info", deb])
    for want in ("Package: flexnet", "libgrpc29", "libssh-4", "liblmdb0"):
        check(want in info, "control lacks %s:\n%s" % (want, info))
    files = sh(["dpkg-deb", "--contents", deb])
    for f in ("./usr/bin/flexnetd", "./usr/lib/systemd/system/"
              "flexnetd.service", "./etc/flexnet/flexnetd.conf",
              "./usr/lib/pkgconfig/flexnet.pc"):
        check(f in files, "the .deb lacks " + f)
    state["deb"] = deb


def t_deb_install_and_start():
    root = os.path.join(work, "root")
    admin = os.path.join(root, "var", "lib", "dpkg")
    for d in ("updates", "info", "triggers"):
        os.makedirs(os.path.join(admin, d))
    open(os.path.join(admin, "status"), "w").close()
    dpkg = ["dpkg", "--root=" + root, "--log=/dev/null",
            "--force-script-chrootless", "--force-depends",
            "--force-not-root"]
    sh(dpkg + ["-i", state["deb"]])
    status = open(os.path.join(admin, "status")).read()
    check(re.search(r"Package: flexnet\nStatus: install ok installed",
                    status), "dpkg does not list flexnet as installed")
    envf = os.path.join(root, "etc", "flexnet", "flexnetd.env")
    check(os.stat(envf).st_mode & 0o077 == 0, "flexnetd.env is readable "
          "by others")
    unit = open(os.path.join(root, "usr/lib/systemd/system/"
                                   "flexnetd.service")).read()
    check("DynamicUser=yes" in unit and "StateDirectory=flexnetd" in unit
          and "EnvironmentFile=-/etc/flexnet/flexnetd.env" in unit,
          "unit settings")
    execstart = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    argv = [os.path.join(root, a[1:]) if a.startswith(("/usr/", "/etc/"))
            else a for a in shlex.split(execstart)]
    statedir = os.path.join(work, "state")  # systemd's StateDirectory
    os.makedirs(statedir)
    argv += ["--db", os.path.join(statedir, "db"), "--listen",
             "127.0.0.1:%d" % PORT, "--metrics-listen",
             "127.0.0.1:%d" % METRICS]
    errf = open(os.path.join(work, "stderr"), "w+")
    d = subprocess.Popen(argv, cwd=statedir, stdout=subprocess.PIPE,
                         stderr=errf)
    try:
        wait_line(d, "listening on", 60, "installed flexnetd")

        class E:  # what test_rpc_lib.health needs
            def channel(self):
                import grpc
                ch = grpc.insecure_channel("127.0.0.1:%d" % PORT)
                state.setdefault("chans", []).append(ch)
                return ch
        check(health(E()) == health_pb2.HealthCheckResponse.SERVING,
              "installed flexnetd is not SERVING")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % METRICS,
                                    timeout=10) as r:
            check(b"flexnet_sessions_open" in r.read(), "metrics")
    finally:
        for ch in state.pop("chans", []):
            ch.close()
        d.send_signal(signal.SIGTERM)
        rc = d.wait(60)
        d.stdout.close()
    check(rc == 0, "installed flexnetd exited %d" % rc)
    errf.seek(0)
    lines = [l for l in errf.read().splitlines() if l.strip()]
    check(lines and all(json.loads(l).get("msg") for l in lines),
          "log-format json from flexnetd.conf: %r" % lines)
    check(os.path.exists(os.path.join(statedir, "db", "data.mdb")),
          "no store in the state directory")
    sh(dpkg + ["-r", "flexnet"])
    check(not os.path.exists(os.path.join(root, "usr/bin/flexnetd")),
          "dpkg -r left the binary")


if __name__ == "__main__":
    try:
        main([("cmake --install", t_cmake_install),
              ("embeddable library", t_embed_library),
              ("scripts/package", t_deb_build),
              ("deb install + ExecStart", t_deb_install_and_start)])
    finally:
        shutil.rmtree(work, ignore_errors=True)
