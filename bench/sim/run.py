#!/usr/bin/python3
"""bench/sim/run.py — flexnet-sim under 10,000 concurrent sessions.

Starts one flexnet-sim command (N devices, 2 workers, ports 10000+), then
fn-bench-sim-hold opens one interactive session per device (kex, auth, pty,
shell, prompt) and holds them all open. Measures from /proc the workers'
CPU (user+sys) and RSS before and after, and the sim's own stats line.
Writes bench/results/sim.md and sim.json.

  bench/sim/run.py [--sessions 10000] [--build build]
"""
import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TICK = os.sysconf("SC_CLK_TCK")


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


def sample(pids):
    return sum(cpu_s(p) for p in pids), sum(rss_kb(p) for p in pids)


def sim_stats(sim, lines):
    """Asks the sim for its totals (SIGUSR1); returns them as a dict."""
    n = len(lines)
    sim.send_signal(signal.SIGUSR1)
    deadline = time.time() + 30
    while time.time() < deadline:
        new = [ln for ln in lines[n:] if "worker=all" in ln]
        if new:
            return dict(kv.split("=", 1) for kv in new[-1].split()
                        if "=" in kv)
        time.sleep(0.05)
    raise RuntimeError("no stats from flexnet-sim")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--inflight", type=int, default=200)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    sim_bin = os.path.join(a.build, "sim", "flexnet-sim")
    hold_bin = os.path.join(a.build, "bench", "sim", "fn-bench-sim-hold")
    base = 10000
    sim = subprocess.Popen(
        [sim_bin, "--devices", str(a.sessions), "--workers",
         str(a.workers), "--base-port", str(base), "--vendor", "cisco_ios"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    ready = sim.stdout.readline()
    assert ready.startswith("flexnet-sim: ready"), ready
    lines = []
    threading.Thread(target=lambda: lines.extend(sim.stderr),
                     daemon=True).start()
    workers = children(sim.pid)
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    cpu0, rss0 = sample(workers)
    st0 = sim_stats(sim, lines)
    hold = subprocess.Popen(
        [hold_bin, "--sessions", str(a.sessions), "--base-port", str(base),
         "--inflight", str(a.inflight)],
        stdout=subprocess.PIPE, text=True)
    line = hold.stdout.readline().split()
    assert line and line[0] == "held", line
    ok, failed, secs = int(line[1]), int(line[2]), float(line[3])
    time.sleep(1.0)
    cpu1, rss1 = sample(workers)
    st1 = sim_stats(sim, lines)
    hs = int(st1["handshakes"]) - int(st0["handshakes"])
    cmds = int(st1["commands"]) - int(st0["commands"])
    hold_cpu = cpu_s(hold.pid)
    hold_rss = rss_kb(hold.pid)
    hold.send_signal(signal.SIGTERM)
    hold.wait(timeout=120)
    sim.send_signal(signal.SIGTERM)
    sim.wait(timeout=120)
    time.sleep(0.2)
    stats = [ln.strip() for ln in lines if "worker=all" in ln][-1:]
    cpu_us = (cpu1 - cpu0) * 1e6 / max(hs, 1)
    r = {
        "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "sessions": a.sessions, "ok": ok, "failed": failed,
        "workers": a.workers, "inflight": a.inflight,
        "setup_seconds": round(secs, 3),
        "handshakes_per_s": round(ok / secs, 1),
        "sim_cpu_s": round(cpu1 - cpu0, 3),
        "sim_cpu_us_per_session": round(cpu_us, 1),
        "sim_capacity_per_core_per_s": round(1e6 / cpu_us, 1) if cpu_us else 0,
        "sim_rss_kb_before": rss0, "sim_rss_kb_held": rss1,
        "sim_rss_kib_per_idle_session": round((rss1 - rss0) / max(ok, 1), 2),
        "client_cpu_s": round(hold_cpu, 3), "client_rss_kb": hold_rss,
        "sim_stats": stats[0] if stats else "",
        "sim_handshakes_seen": hs, "other_commands_seen": cmds,
        "loadavg_at_start": load, "nice": os.nice(0),
    }
    out = os.path.join(ROOT, "bench", "results", "sim")
    with open(out + ".json", "w") as f:
        json.dump(r, f, indent=2)
    with open(out + ".md", "w") as f:
        f.write(MD.format(**r))
    print(json.dumps(r, indent=2))
    return 0 if failed == 0 else 1


MD = """# flexnet-sim: {sessions} concurrent sessions

{date}; one flexnet-sim command, {workers} workers, cisco_ios devices, one
session per device; client fn-bench-sim-hold (one libevent loop, libssh
non-blocking, {inflight} set-ups in flight) on the same 2-core machine.
Each session: TCP connect, kex (curve25519, ed25519), password auth, pty,
shell, first prompt; then held idle.

| figure | value | target |
|---|---:|---:|
| sessions up / failed | {ok} / {failed} | {sessions} / 0 |
| wall time to open all | {setup_seconds} s | |
| handshakes/s (whole run, client and sim share 2 cores) | {handshakes_per_s} | |
| handshakes the sim saw during the run / commands (other clients if > sessions or > 0) | {sim_handshakes_seen} / {other_commands_seen} | {sessions} / 0 |
| sim CPU per handshake (workers, user+sys) | {sim_cpu_us_per_session} us | |
| sim capacity per worker core (1e6 / CPU per session) | {sim_capacity_per_core_per_s} /s | >= 1,500 /s |
| sim RSS per idle session | {sim_rss_kib_per_idle_session} KiB | <= 40 KiB |
| sim RSS before / holding | {sim_rss_kb_before} / {sim_rss_kb_held} KiB | |
| client CPU / RSS | {client_cpu_s} s / {client_rss_kb} KiB | |
| load average at start, our nice | {loadavg_at_start}, {nice} | |

The wall rate is bounded by the single-threaded client, which needs about as
much CPU per session as the simulator and shares the 2 cores with it; the
simulator's own cost is the CPU-per-session row.

Sim stats at exit: `{sim_stats}`
"""

if __name__ == "__main__":
    sys.exit(main())
