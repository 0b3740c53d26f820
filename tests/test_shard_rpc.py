"""test_shard_rpc.py — flexnetd honours TaskSpec's shard fields: three
RunTask calls with shard_index 0..2 of 3 cover the fleet once between
them (each exactly the hosts the oracle of test_shard_cli.py assigns),
the stored tasks carry the run, and `flexnet tasks list` reads them back
from flexnetd's store as one run. A shard_index past the count is
refused. Ports 17200-17299.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_rpc_lib as L  # noqa: E402
from test_shard_cli import shard_of  # noqa: E402

PORT = 17200
DEVICES = 30
CLI = os.path.join(L.BIN, "cli", "flexnet")


def main():
    with L.Env(PORT, devices=DEVICES, sim_args=["--vendor", "cisco_ios"]) \
            as env:
        stub = env.stub()
        hosts = []
        with open(env.inventory) as f:
            for line in f:
                if line.strip() and not line.startswith(("[", "#", ";")):
                    hosts.append(line.split()[0])
        seen = []
        for i in range(3):
            kinds, summary = L.run_task(stub, L.spec(
                groups=["all"], shard_run="rpc-run", shard_index=i,
                shard_count=3))
            got = sorted(e.connection.host for e in kinds.get("connection",
                                                              []))
            want = sorted(h for h in hosts if shard_of(h, 3) == i)
            L.check(got == want, "shard %d: its hosts (%d vs %d)" %
                    (i, len(got), len(want)))
            L.check(summary.devices == len(want), "shard %d: summary" % i)
            t = L.wait_task(stub, summary.task_id, lambda t: t.finished_us)
            L.check(t.spec.shard_run == "rpc-run" and
                    t.spec.shard_index == i, "shard %d recorded" % i)
            seen += got
        L.check(sorted(seen) == sorted(hosts), "the fleet once in all")
        code = L.code_of(lambda: list(stub.RunTask(L.spec(
            groups=["all"], shard_run="x", shard_index=3, shard_count=3),
            timeout=30)))
        L.check(code != L.grpc.StatusCode.OK, "shard_index 3 of 3 refused")
        out = subprocess.run([CLI, "tasks", "list", "--db",
                              os.path.join(env.dir, "db")],
                             capture_output=True, text=True, timeout=60)
        L.check(out.returncode == 0 and "rpc-run" in out.stdout and
                "[3/3 shards]" in out.stdout,
                "tasks list reads flexnetd's shards as one run: %s %s" %
                (out.stdout, out.stderr))
    print("test_shard_rpc: ok")


if __name__ == "__main__":
    main()
