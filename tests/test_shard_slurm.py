"""test_shard_slurm.py — a sharded run on a real Slurm: slurmctld, slurmd
and munged started here in a private directory (one node, 2 CPUs), the
array script of deploy/slurm/ run as 4 shards over 4,000 simulated
devices, the merge job after it, and the merged store compared with a
single unsharded run of the same inventory: every device exactly once,
the same exit code for every command. Also: the shards read back as one
run before the merge (--db per shard), and merging again changes nothing.

Runs in a network namespace of its own whose lo also holds 10.213.0.1:
slurmd resolves its listening address with AI_ADDRCONFIG, which finds
nothing when 127.0.0.1 is the only IPv4 address (as in `unshare -n`).
Skipped (exit 77, with the reason) only when Slurm cannot start here.
Ports: the simulator 12000-15999, slurmctld 16817, slurmd 16818.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_util import (CLI, Sim, check, finish, flexnet,  # noqa: E402
                           inventory_hosts, json_lines, tempdir, write)

SRC = os.environ.get("FN_TEST_SRC",
                     os.path.dirname(os.path.dirname(os.path.abspath(
                         __file__))))
DEVICES = 4000
SHARDS = 4
BASE_PORT = 12000
CTLD_PORT, SLURMD_PORT = 16817, 16818
# slurmctld must run on the host SlurmctldHost names: this one
NODE = socket.gethostname().split(".")[0]
SKIP = 77

SLURM_CONF = """\
ClusterName=flexnet-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld}
SlurmdPort={slurmd}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={dir}/munge/munge.socket.2
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
NodeName={node} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def skip(why):
    print("test_shard_slurm: SKIPPED: " + why)
    sys.exit(SKIP)


class Slurm:
    """munged + slurmctld + slurmd in dir; use as a context manager."""

    def __init__(self, workdir):
        self.work = workdir  # jobs' cwd: their output files go here
        self.dir = os.path.join(workdir, "slurm")
        self.procs = []
        self.env = dict(os.environ)
        self.env["SLURM_CONF"] = os.path.join(self.dir, "slurm.conf")

    def _daemon(self, argv, pidfile):
        r = subprocess.run(argv, capture_output=True, text=True,
                           env=self.env, timeout=30)
        if r.returncode != 0:
            raise RuntimeError("%s: %s%s" % (argv[0], r.stdout, r.stderr))
        self.procs.append(pidfile)

    def __enter__(self):
        for d in ("munge", "state", "spool"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, "munge"), 0o755)  # socket dir: x
        m = os.path.join(self.dir, "munge")
        subprocess.run(["mungekey", "-c", "-f", "-k", m + "/munge.key"],
                       check=True, capture_output=True, timeout=30)
        self._daemon(["munged", "--force", "--key-file", m + "/munge.key",
                      "--socket", m + "/munge.socket.2",
                      "--pid-file", m + "/munged.pid",
                      "--seed-file", m + "/munged.seed",
                      "--log-file", m + "/munged.log"], m + "/munged.pid")
        write(self.env["SLURM_CONF"], SLURM_CONF.format(
            node=NODE, ctld=CTLD_PORT, slurmd=SLURMD_PORT, dir=self.dir))
        self._daemon(["slurmctld", "-c", "-i"], self.dir + "/slurmctld.pid")
        self._daemon(["slurmd", "-N", NODE], self.dir + "/slurmd.pid")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env,
                               capture_output=True, text=True, timeout=30)
            if r.returncode == 0 and r.stdout.strip() == "idle":
                return self
            time.sleep(0.2)
        raise RuntimeError("the node did not get idle: " + self.log())

    def log(self):
        out = []
        for name in ("slurmctld.log", "slurmd.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p) as f:
                    out.append(name + ":\n" + "".join(f.readlines()[-15:]))
        return "\n".join(out)

    def run(self, argv, timeout=300):
        return subprocess.run(argv, env=self.env, capture_output=True,
                              text=True, timeout=timeout, cwd=self.work)

    def __exit__(self, *exc):
        # jobs outlive slurmd: cancel them first
        subprocess.run(["scancel", "--user=root"], env=self.env,
                       capture_output=True, timeout=30)
        for pidfile in reversed(self.procs):
            try:
                with open(pidfile) as f:
                    pid = int(f.read().split()[0])
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.05)
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        return False


def outcome(lines):
    """(hosts of the connection reports, {(host, step, seq): exit_code},
    number of results) of a `tasks show --json` output."""
    hosts = [o["host"] for o in lines if o["type"] == "connection"]
    codes = {(o["host"], "connect"): o["status"] for o in lines
             if o["type"] == "connection"}
    n = 0
    for o in lines:
        if o["type"] == "result":
            codes[(o["host"], o["step"], o["seq"])] = o["exit_code"]
            n += 1
    return hosts, codes, n


def own_netns():
    """Re-runs this test in a private network namespace (lo with one
    more address); returns only inside it. Without unshare: runs here."""
    if os.environ.get("FN_SLURM_NETNS") or not shutil.which("unshare"):
        return
    setup = ("ip link set lo up && ip addr add 10.213.0.1/32 dev lo && "
             "exec \"$0\" \"$@\"")
    env = dict(os.environ, FN_SLURM_NETNS="1")
    r = subprocess.run(["unshare", "-n", "sh", "-c", setup, sys.executable,
                        os.path.abspath(__file__)], env=env)
    sys.exit(r.returncode)


def main():
    own_netns()
    for tool in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch"):
        if not shutil.which(tool):
            skip("%s is not installed (scripts/bootstrap installs it)" % tool)
    if os.geteuid() != 0:
        skip("slurmd and munged need root here")
    work = tempdir("fn-slurm-")
    os.chmod(work, 0o755)
    env = {"FLEXNET_PW": "admin", "FLEXNET": CLI,
           "FLEXNET_DB_ROOT": os.path.join(work, "runs")}
    with Sim(work, DEVICES, BASE_PORT, extra=(
            "--workers", "2", "--faults", "authfail=3%,refuse=2%")) as sim:
        run_args = ["-i", sim.inventory, "-g", "all", "-u", "admin",
                    "--password-env", "FLEXNET_PW", "-n", "fleet",
                    "-c", "show version", "-c", "show bogus-command",
                    "--connect-timeout", "5"]
        single = flexnet(["run", "--db", os.path.join(work, "single"),
                          "--json"] + run_args, env=env, timeout=300)
        check(single.returncode == 1, "single run exits 1 (some steps "
              "fail): %d %s" % (single.returncode, single.stderr[-500:]))
        try:
            slurm = Slurm(work).__enter__()
        except (RuntimeError, subprocess.SubprocessError, OSError) as e:
            skip("Slurm did not start: %s" % e)
        try:
            sharded(slurm, work, env, run_args, sim)
        finally:
            slurm.__exit__(None, None, None)
    finish("test_shard_slurm")


def sharded(slurm, work, env, run_args, sim):
    slurm.env.update(env)
    t0 = time.monotonic()
    r = slurm.run(["bash", os.path.join(SRC, "deploy/slurm/submit.sh"),
                   str(SHARDS)] + run_args)
    if not check(r.returncode == 0, "submit.sh: %s %s" % (r.stdout,
                                                          r.stderr)):
        return
    job = r.stdout.split("job ")[1].split()[0]
    merge = r.stdout.split("merge: job ")[1].split()[0]
    # wait for the merge job (it starts after every shard ended)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        q = slurm.run(["squeue", "-h", "-o", "%i"])
        if q.returncode == 0 and not q.stdout.strip():
            break
        time.sleep(0.5)
    print("shards + merge on Slurm: %.1f s" % (time.monotonic() - t0))
    root = os.path.join(env["FLEXNET_DB_ROOT"], "slurm-" + job)
    shard_dbs = [os.path.join(root, "shard-%d" % i) for i in range(SHARDS)]
    merged = os.path.join(root, "merged")
    for d in shard_dbs + [merged]:
        check(os.path.isdir(d), "%s exists (%s)" % (d, slurm.log()))
    with open(os.path.join(work, "flexnet-merge-%s.out" % merge)) as f:
        mout = f.read()
    check("4/4 shards" in mout, "the merge job lists the run: " + mout)
    run_id = "slurm-" + job

    single = flexnet(["tasks", "list", "--json", "--db",
                      os.path.join(work, "single")])
    single_id = json_lines(single.stdout)[0]["id"]
    want = json_lines(flexnet(["tasks", "show", single_id, "--json", "--db",
                               os.path.join(work, "single")]).stdout)
    got_r = flexnet(["tasks", "show", run_id, "--json", "--db", merged])
    check(got_r.returncode == 0, "tasks show RUN: %s" % got_r.stderr)
    got = json_lines(got_r.stdout)
    w_hosts, w_codes, w_n = outcome(want)
    g_hosts, g_codes, g_n = outcome(got)
    inv = inventory_hosts(sim.inventory)
    check(len(inv) == DEVICES, "inventory has %d hosts" % len(inv))
    check(sorted(g_hosts) == sorted(inv),
          "merged run: every device exactly once (%d reports, %d distinct)"
          % (len(g_hosts), len(set(g_hosts))))
    check(g_n + len(g_hosts) == len(g_codes), "merged run: no result twice "
          "(%d, %d)" % (g_n, len(g_codes)))
    check(g_codes == w_codes, "merged run: the same exit codes as one run "
          "(%d vs %d results, %d differ)" % (len(g_codes), len(w_codes),
          sum(1 for k in w_codes if g_codes.get(k) != w_codes[k])))
    check(len(set(w_codes.values())) >= 4, "the runs saw ok, vendor "
          "errors and unreachable devices: %s" % sorted(set(
              str(v) for v in w_codes.values())))
    print("merged: %d devices, %d results, outcomes %s" % (
        len(g_hosts), g_n, sorted(set(str(v) for v in g_codes.values()))))
    runs = [o for o in got if o["type"] == "run"]
    tasks = [o for o in got if o["type"] == "task"]
    check(len(runs) == 1 and runs[0]["shards"] == SHARDS and
          runs[0]["devices"] == DEVICES,
          "the run: %d shards, %d devices: %s" % (SHARDS, DEVICES, runs))
    check(sorted(t["shard_index"] for t in tasks) == list(range(SHARDS)),
          "each shard once: %s" % [t.get("shard_index") for t in tasks])
    check(all(t["shard_run"] == run_id and t["shard_count"] == SHARDS
              for t in tasks), "shards record their run and count")

    # tasks list: one row for the run, with the shards' totals
    lst = json_lines(flexnet(["tasks", "list", "--json", "--db",
                              merged]).stdout)
    check(len(lst) == 1 and lst[0]["type"] == "run" and
          lst[0]["id"] == run_id and lst[0]["devices"] == DEVICES,
          "tasks list: the run as one row: %s" % lst)
    # before merging: the shard stores read together
    multi = []
    for d in shard_dbs:
        multi += ["--db", d]
    unmerged = json_lines(flexnet(["tasks", "show", run_id, "--json"] +
                                  multi).stdout)
    check(outcome(unmerged)[1] == g_codes,
          "the shard stores read together equal the merged one")
    # merging again writes nothing
    again = flexnet(["store", "merge", merged] + shard_dbs)
    check(again.returncode == 0 and all(
        " 0 tasks" in line and " 0 records" in line
        for line in again.stdout.splitlines()),
        "merging again changes nothing: %s %s" % (again.stdout,
                                                  again.stderr))


if __name__ == "__main__":
    main()
