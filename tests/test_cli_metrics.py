#!/usr/bin/python3
"""test_cli_metrics.py — `flexnet run --metrics-file F` writes the run's
Prometheus metrics (the names flexnetd serves on /metrics) for
node_exporter's textfile collector, and `--log-format json` turns the log
lines on stderr into one JSON object each. Ports 28500-28599 (28599 is
never listened on).
"""
import json
import os
import re

from test_cli_util import (Sim, check, finish, flexnet, tempdir, write)

BASE = 28500
N = 20
DEAD = 28599
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{name{labels}: value}; every sample's family has a TYPE line."""
    types, out = set(), {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            types.add(line.split()[2])
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            check(m is not None, "sample line %r" % line)
            if not m:
                continue
            fam = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
            check(m.group(1) in types or fam in types,
                  "untyped %s" % m.group(1))
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def main():
    work = tempdir("fn-cli-metrics-")
    db = os.path.join(work, "db")
    prom = os.path.join(work, "flexnet.prom")
    with Sim(work, N, BASE, vendor="cisco_ios") as sim:
        inv = write(os.path.join(work, "inv.ini"),
                    open(sim.inventory).read() +
                    "\n[dead]\ndead1 host=127.0.0.1 port=%d "
                    "vendor=cisco_ios\n" % DEAD)
        p = flexnet(["run", "-i", inv, "-g", "all", "-u", "admin",
                     "--password-env", "FN_T_PW", "--enable-password-env",
                     "FN_T_EN", "--db", db, "-c", "show version",
                     "-c", "show nonsense", "--backup", "--connect-timeout",
                     "2", "--metrics-file", prom, "--log-format", "json"],
                    env=ENV)
        check(p.returncode == 1, "exit %d (a vendor error and a dead host): "
              "%s" % (p.returncode, p.stderr[-400:]))
    check(os.path.exists(prom), "no metrics file")
    check(not [f for f in os.listdir(work) if f.endswith(".tmp")],
          "a temporary file was left")
    m = parse(open(prom).read())
    check(m.get('flexnet_connects_total{outcome="ok"}') == N,
          "connects ok: %s" % m.get('flexnet_connects_total{outcome="ok"}'))
    check(m.get('flexnet_connects_total{outcome="failed"}') == 1,
          "connects failed")
    check(m.get('flexnet_commands_total{exit_code="0"}') >= N,
          "exit 0 count")
    check(m.get('flexnet_commands_total{exit_code="1"}') == N,
          "exit 1 count: %s" % m.get('flexnet_commands_total{exit_code="1"}'))
    check(m.get('flexnet_backups_total') == N, "backups")
    check(m.get('flexnet_tasks_total{status="done"}') == 1, "tasks done")
    check(m.get('flexnet_command_duration_seconds_count{vendor="cisco_ios"}')
          == 3 * N, "latency histogram count")
    check(m.get('flexnet_command_duration_seconds_bucket{vendor="cisco_ios",'
                'le="+Inf"}') == 3 * N, "+Inf bucket")
    check(m.get("flexnet_sessions_started_total", 0) >= N, "sessions")
    check(m.get("flexnet_store_map_bytes", 0) > 0, "store map")
    check(m.get("flexnet_store_commit_seconds_count", 0) > 0 and
          m.get("flexnet_store_commit_seconds_max", -1) >= 0,
          "store commit latency")
    check("flexnet_grpc_calls_total" not in open(prom).read(),
          "the CLI has no gRPC calls")
    # --log-format json: every stderr line that is a log line is JSON
    logs = [l for l in p.stderr.splitlines() if l.startswith("{")]
    for l in logs:
        o = json.loads(l)
        check({"time", "level", "msg"} <= set(o), "log fields %r" % l)
    check(not [l for l in p.stderr.splitlines()
               if re.match(r"^\d\d:\d\d:\d\d\.\d{3} ", l)],
          "a text log line with --log-format json")
    p = flexnet(["run", "--log-format", "xml", "-i", inv, "-g", "all",
                 "-c", "x"])
    check(p.returncode == 2, "--log-format xml exits 2")
    finish("test_cli_metrics")


if __name__ == "__main__":
    main()
