"""test_shard_cli.py — `flexnet run --shard` and `flexnet store merge`
end to end against flexnet-sim, without a scheduler: which hosts a shard
runs (an FNV-1a oracle written here, not the C code), the defaults from
Slurm's and Kubernetes' variables, usage errors, readers over several
stores, backups deduplicated across shards by the merge, a shard killed
mid-run (its task reads back interrupted and the run names the shard),
merging twice. Ports 17000-17099.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_util import (CLI, Sim, check, finish, flexnet,  # noqa: E402
                           inventory_hosts, json_lines, tempdir)

N = 60
SHARDS = 3
BASE = 17000
ENV = {"PW": "admin", "EN": "enable"}


def fnv1a(name):
    x = 14695981039346656037
    for b in name.encode():
        x = ((x ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return x


def fmix64(h):
    m = 0xFFFFFFFFFFFFFFFF
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & m
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & m
    return h ^ (h >> 33)


def shard_of(name, count):
    return fmix64(fnv1a(name)) % count


def run(db, inv, *args, env=None):
    e = dict(ENV)
    e.update(env or {})
    return flexnet(["run", "-i", inv, "-g", "all", "-u", "admin",
                    "--password-env", "PW", "--enable-password-env", "EN",
                    "--db", db, "--json"] +
                   list(args), env=e)


def tasks_json(*args):
    r = flexnet(["tasks"] + list(args) + ["--json"])
    check(r.returncode == 0, "tasks %s: %s" % (args, r.stderr))
    return json_lines(r.stdout)


def conn_hosts(lines):
    return sorted(o["host"] for o in lines if o["type"] == "connection")


def check_assignment(work, inv, hosts):
    """Each shard runs exactly the hosts whose FNV-1a hash says so."""
    dbs = []
    for i in range(SHARDS):
        db = os.path.join(work, "s%d" % i)
        dbs.append(db)
        r = run(db, inv, "--shard", "%d/%d" % (i, SHARDS), "--run-id",
                "nightly", "-n", "fleet", "-c", "show version", "--backup")
        check(r.returncode == 0, "shard %d: %s" % (i, r.stderr[-300:]))
        want = sorted(h for h in hosts if shard_of(h, SHARDS) == i)
        tid = tasks_json("list", "--db", db)[0]["id"]
        got = conn_hosts(tasks_json("show", tid, "--db", db))
        check(got == want, "shard %d runs its hosts: %d vs %d" %
              (i, len(got), len(want)))
        check(0 < len(got) < len(hosts), "shard %d has a part" % i)
    # the low bits of FNV-1a follow the low bits of the bytes: mixed first,
    # or names a multiple of 4 apart would always share a shard
    names = ["sw%d" % i for i in range(1, 400)]
    split = sum(1 for k in range(1, 396) if shard_of(names[k - 1], 4) !=
                shard_of(names[k + 3], 4))
    check(split > 200, "sw1 and sw5 need not share a shard: %d" % split)
    return dbs


def check_env_defaults(work, inv):
    cases = [
        ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1",
          "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_JOB_ID": "4711"}, [],
         (2, 3, "slurm-4711")),
        ({"JOB_COMPLETION_INDEX": "1"}, ["--shard-count", "4", "--run-id",
                                         "k8s-abc"], (1, 4, "k8s-abc")),
    ]
    for i, (env, extra, (index, count, run_id)) in enumerate(cases):
        db = os.path.join(work, "env%d" % i)
        r = run(db, inv, "-c", "show version", *extra, env=env)
        check(r.returncode == 0, "env shard %s: %s" % (env, r.stderr))
        t = tasks_json("list", "--db", db)
        check(len(t) == 1 and t[0]["type"] == "run" and t[0]["id"] == run_id
              and t[0]["shard_count"] == count,
              "env %s: the run %s of %d: %s" % (env, run_id, count, t))
        shard = [o for o in tasks_json("show", run_id, "--db", db)
                 if o["type"] == "task"]
        check(len(shard) == 1 and shard[0]["shard_index"] == index,
              "env %s: shard index %d" % (env, index))
    bad = [
        (["--shard", "3/3", "--run-id", "x"], {}, "expected 0 <= I < N"),
        (["--shard", "1"], {}, "expected I/N"),
        (["--shard", "0/2"], {}, "needs --run-id"),
        (["--shard-count", "2", "--run-id", "x"], {}, "no index"),
        ([], {"JOB_COMPLETION_INDEX": "0"}, "give --shard-count"),
    ]
    for args, env, msg in bad:
        r = run(os.path.join(work, "bad"), inv, "-c", "show version", *args,
                env=env)
        check(r.returncode == 2 and msg in r.stderr,
              "%s %s: exit 2, '%s': %d %s" % (args, env, msg, r.returncode,
                                              r.stderr))


def check_readers_and_merge(work, dbs, hosts):
    multi = []
    for d in dbs:
        multi += ["--db", d]
    lst = tasks_json("list", *multi)
    check(len(lst) == 1 and lst[0]["type"] == "run" and
          lst[0]["devices"] == N and lst[0]["shards"] == SHARDS,
          "the shards read together list as one run: %s" % lst)
    shown = tasks_json("show", "nightly", *multi)
    check(conn_hosts(shown) == sorted(hosts), "show RUN: every device once")
    bk = json_lines(flexnet(["backups", "list", "--all", "--json"] +
                            multi).stdout)
    check(len(bk) == N, "backups list over the shard stores: %d" % len(bk))
    one = bk[0]["id"]
    g = flexnet(["backups", "get", one] + multi)
    check(g.returncode == 0 and "hostname" in g.stdout,
          "backups get finds its store: %s" % g.stderr)
    merged = os.path.join(work, "merged")
    m = flexnet(["store", "merge", merged] + dbs)
    check(m.returncode == 0, "merge: %s %s" % (m.stdout, m.stderr))
    again = flexnet(["store", "merge", merged] + dbs)
    check(again.returncode == 0 and again.stdout.count(" 0 records") ==
          SHARDS and again.stdout.count(" 0 backups") == SHARDS,
          "merging twice changes nothing: %s" % again.stdout)
    check(conn_hosts(tasks_json("show", "nightly", "--db", merged)) ==
          sorted(hosts), "merged: every device once")
    text = flexnet(["tasks", "list", "--db", merged]).stdout
    check("nightly" in text and "[3/3 shards]" in text,
          "tasks list shows the run: " + text)
    self_merge = flexnet(["store", "merge", merged, merged])
    check(self_merge.returncode == 2, "merging a store into itself: usage")
    return merged


def check_crashed_shard(work, hosts, merged):
    """A fourth run's shard 1 is killed mid-run; the merged run says so."""
    with Sim(work, 12, BASE + 80, vendor="cisco_ios",
             extra=("--latency-ms", "3000")) as slow:
        db = os.path.join(work, "crash")
        p = subprocess.Popen([CLI, "run", "-i", slow.inventory, "-g", "all",
                              "-u", "admin", "--password-env", "PW", "--db",
                              db, "--shard", "1/2", "--run-id", "crashy",
                              "-c", "show version"],
                             env=dict(os.environ, **ENV),
                             stdout=subprocess.PIPE, text=True)
        line = ""
        deadline = time.monotonic() + 60
        while "task " not in line and time.monotonic() < deadline:
            line = p.stdout.readline()
        time.sleep(0.5)
        p.send_signal(signal.SIGKILL)
        p.wait()
        ok = run(os.path.join(work, "crash0"), slow.inventory, "--shard",
                 "0/2", "--run-id", "crashy", "-c", "show version")
        check(ok.returncode == 0, "shard 0 of crashy: %s" % ok.stderr)
    m = flexnet(["store", "merge", merged, db, os.path.join(work, "crash0")])
    check(m.returncode == 0 and "(1 interrupted)" in m.stdout,
          "merge reports the interrupted shard: %s" % m.stdout)
    text = flexnet(["tasks", "list", "--db", merged]).stdout
    row = [line for line in text.splitlines() if line.startswith("crashy")]
    check(row and "interrupted" in row[0] and "shard 1 interrupted" in row[0],
          "tasks list: the run is interrupted and names shard 1: %s" % text)
    show = flexnet(["tasks", "show", "crashy", "--db", merged]).stdout
    check("status   interrupted: shard 1/2" in show,
          "tasks show RUN names the shard: " + show[:600])


def main():
    work = tempdir("fn-shard-")
    with Sim(work, N, BASE, vendor="cisco_ios") as sim:
        hosts = inventory_hosts(sim.inventory)
        dbs = check_assignment(work, sim.inventory, hosts)
        check_env_defaults(work, sim.inventory)
        merged = check_readers_and_merge(work, dbs, hosts)
    check_crashed_shard(work, hosts, merged)
    finish("test_shard_cli")


if __name__ == "__main__":
    main()
