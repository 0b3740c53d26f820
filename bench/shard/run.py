#!/usr/bin/python3
"""bench/shard/run.py — a run split into shards against the same run whole,
one sitting, one flexnet-sim fleet (default 10,000 cisco_ios devices):

  single      one `flexnet run` over every device
  4 shards    `flexnet run --shard i/4`, the 4 processes at once (what a
              scheduler does when it puts them on this one machine)
  each shard  the same 4 one after another: each one's wall is what it
              takes on a machine of its own (the cluster's wall is the max)
  merge       `flexnet store merge` of the 4 shard stores

Wall (s) and CPU (user + system of the flexnet processes, s), and the
merged store is checked: every device exactly once. Writes
bench/results/shard.{md,json}. Usage:

  unshare -n sh -c 'ip link set lo up && bench/shard/run.py [--build build]
      [--devices 10000] [--shards 4]'
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BASE_PORT = 10000


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def start_sim(build, n, work):
    inv = os.path.join(work, "fleet.ini")
    p = subprocess.Popen([os.path.join(build, "sim", "flexnet-sim"),
                          "--devices", str(n), "--base-port", str(BASE_PORT),
                          "--vendor", "cisco_ios", "--password", "admin",
                          "--inventory-out", inv, "--workers", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    for line in p.stdout:
        if line.startswith("flexnet-sim: ready"):
            return p, inv
    raise SystemExit("flexnet-sim did not start")


def flexnet_argv(build, inv, db, extra):
    return [os.path.join(build, "cli", "flexnet"), "run", "-i", inv, "-g",
            "all", "-u", "admin", "--password-env", "FN_PW", "--db", db,
            "-n", "bench", "-c", "show version", "--concurrency", "10000",
            "--connect-timeout", "30", "--json"] + extra


def timed(argvs, env):
    """Runs the argvs at once; (wall s, CPU s, exit codes)."""
    c0, t0 = cpu_children(), time.monotonic()
    procs = [subprocess.Popen(a, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for a in argvs]
    codes = [p.wait() for p in procs]
    return time.monotonic() - t0, cpu_children() - c0, codes


def count_devices(build, db, run_id):
    r = subprocess.run([os.path.join(build, "cli", "flexnet"), "tasks",
                        "show", run_id, "--json", "--db", db],
                       capture_output=True, text=True)
    hosts = [json.loads(line)["host"] for line in r.stdout.splitlines()
             if '"type":"connection"' in line]
    ok = sum(1 for line in r.stdout.splitlines()
             if '"type":"result"' in line and '"exit_code":0' in line)
    return len(hosts), len(set(hosts)), ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fn-bench-shard-")
    env = dict(os.environ, FN_PW="admin")
    sim, inv = start_sim(a.build, a.devices, work)
    res = {"devices": a.devices, "shards": a.shards,
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "load_start": os.getloadavg()[0]}
    try:
        db = os.path.join(work, "single")
        res["single"] = timed([flexnet_argv(a.build, inv, db, [])], env)
        shard = lambda i, tag: flexnet_argv(  # noqa: E731
            a.build, inv, os.path.join(work, "%s-%d" % (tag, i)),
            ["--shard", "%d/%d" % (i, a.shards), "--run-id", tag])
        res["together"] = timed([shard(i, "together")
                                 for i in range(a.shards)], env)
        res["each"] = [timed([shard(i, "each")], env)
                       for i in range(a.shards)]
        merged = os.path.join(work, "merged")
        res["merge"] = timed([[os.path.join(a.build, "cli", "flexnet"),
                               "store", "merge", merged] +
                              [os.path.join(work, "together-%d" % i)
                               for i in range(a.shards)]], env)
        res["merged_devices"] = count_devices(a.build, merged, "together")
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)
    res["load_end"] = os.getloadavg()[0]
    write(a.out, res)


def write(out, r):
    n, k = r["devices"], r["shards"]
    sw, sc, _ = r["single"]
    tw, tc, _ = r["together"]
    ew = max(e[0] for e in r["each"])
    ec = sum(e[1] for e in r["each"])
    mw, mc, _ = r["merge"]
    total, distinct, ok = r["merged_devices"]
    rows = [
        ("single run, %d devices" % n, sw, sc, ""),
        ("%d shards at once on this machine" % k, tw, tc,
         "%.2f× the single wall" % (tw / sw)),
        ("%d shards one by one (max wall = one machine each)" % k, ew, ec,
         "%.2f× the single wall" % (ew / sw)),
        ("merge of the %d shard stores" % k, mw, mc, ""),
    ]
    md = ["# Sharded run vs one run (bench/shard)", "",
          "%s, one sitting, flexnet-sim with %d cisco_ios devices on the "
          "same 2-core machine (2 simulator workers), `show version` per "
          "device; load average %.2f at the start, %.2f at the end." %
          (r["date"], n, r["load_start"], r["load_end"]), "",
          "| run | wall s | flexnet CPU s | |", "|---|---:|---:|---|"]
    for name, w, c, note in rows:
        md.append("| %s | %.2f | %.2f | %s |" % (name, w, c, note))
    md += ["", "Shard walls one by one: %s s. Merged store: %d connection "
           "reports, %d distinct devices, %d `show version` ok (every device "
           "exactly once: %s)." % (
               ", ".join("%.2f" % e[0] for e in r["each"]), total, distinct,
               ok, "yes" if total == distinct == n else "NO"), "",
           "Exit codes: single %s, shards at once %s, one by one %s." % (
               r["single"][2], r["together"][2],
               [e[2][0] for e in r["each"]])]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "shard.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "shard.json"), "w") as f:
        json.dump(r, f, indent=1)
    print("\n".join(md))


if __name__ == "__main__":
    sys.exit(main())
