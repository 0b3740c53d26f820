#!/usr/bin/python3
"""bench/grpc/run.py — how many events per second flexnetd streams, to 1
client and to 20 clients at once.

Starts flexnet-sim (500 devices) and flexnetd (through the rpc tests'
harness, tests/test_rpc_lib.py), then drives fn-bench-grpc, the C gRPC-core
client (one thread and one HTTP/2 connection per client, messages counted
not decoded, so the figure is the server's):

  run  RunTask on all devices, 40 commands each (one TaskEvent per
       result, plus connection rows, progress, summary): 1 client, then
       20 clients each on 1/20th of the devices at once. The whole
       engine -> store -> gRPC path.
  backup  GetBackup of a ~%d-line config in 64-byte chunks: one long
       stream of small messages per client, no engine work: the
       store -> gRPC streaming path alone, 1 client / 20 clients.
  log  short streams: GetTaskLog of a small task, CALLS times over, by 1
       and by 20 clients: the per-call cost.

For each it reports messages/s, MB/s and flexnetd's CPU time per message
(from /proc). Writes bench/results/grpc.md and grpc.json. Ports 11000-11500
(benchmarks: 10000-19999, one at a time).

  /usr/bin/python3 bench/grpc/run.py [BUILD_DIR]     (default: build)
""" % 20000
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                        os.path.join(ROOT, "build"))
os.environ["FN_TEST_BIN"] = BUILD
os.environ["FN_BENCH_PASSWORD"] = "admin"
os.environ["FN_BENCH_ENABLE"] = "enable"
sys.path.insert(0, os.path.join(ROOT, "tests"))

from test_rpc_lib import Env, pb  # noqa: E402

PORT = 11000
DEVICES = 500
COMMANDS = 40
CONFIG_LINES = 20000
CHUNK = 64
BACKUP_MESSAGES = 200000  # per backup scenario, all clients together
CALLS = 20000  # per log scenario, all clients together
DRIVER = os.path.join(BUILD, "bench", "grpc", "fn-bench-grpc")
RESULTS = os.path.join(ROOT, "bench", "results")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def drive(env, args):
    before = cpu_seconds(env.daemon.pid)
    p = subprocess.run([DRIVER, "--target", "127.0.0.1:%d" % PORT] + args,
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        sys.exit("fn-bench-grpc %s failed:\n%s%s" % (" ".join(args),
                                                     p.stdout, p.stderr))
    r = json.loads(p.stdout)
    r["server_cpu_s"] = round(cpu_seconds(env.daemon.pid) - before, 3)
    r["server_us_per_msg"] = round(r["server_cpu_s"] * 1e6 /
                                   max(r["messages"], 1), 2)
    print("  %-4s %2d client(s): %8d msgs %7.1f MB in %6.2fs = %8.0f msg/s,"
          " %6.1f MB/s, server %.2f us CPU/msg" % (
              r["mode"], r["clients"], r["messages"], r["bytes"] / 1e6,
              r["seconds"], r["messages_per_s"], r["mb_per_s"],
              r["server_us_per_msg"]), flush=True)
    return r


def log_task(env):
    """A task of one host and one command, made for the log scenario: the
    recorder logs a line per result, so the RunTask scenarios' tasks have
    ~20,000 log lines each and are no short stream."""
    stub = env.stub()
    s = pb.TaskSpec(name="bench-log", hosts=["127.0.0.1:%d" % (PORT + 1)],
                    steps=[pb.Step(kind=pb.STEP_KIND_COMMANDS,
                                   commands=["show version"])],
                    credentials=pb.Credentials(
                        username="admin", password_env="FN_BENCH_PASSWORD",
                        enable_password_env="FN_BENCH_ENABLE"))
    tid = ""
    for ev in stub.RunTask(s, timeout=120):
        tid = tid or ev.task_id
    lines = sum(1 for _ in stub.GetTaskLog(pb.GetTaskLogRequest(
        task_id=tid), timeout=300))
    return tid, lines


def backup_id(env):
    stub = env.stub()
    s = pb.TaskSpec(name="bench-backup", hosts=["127.0.0.1:%d" % (PORT + 1)],
                    steps=[pb.Step(kind=pb.STEP_KIND_BACKUP)],
                    credentials=pb.Credentials(
                        username="admin", password_env="FN_BENCH_PASSWORD",
                        enable_password_env="FN_BENCH_ENABLE"))
    for ev in stub.RunTask(s, timeout=120):
        if ev.WhichOneof("event") == "backup":
            return ev.backup.id, ev.backup.size
    sys.exit("bench: no backup made")


def write(results, lines, backup_bytes):
    os.makedirs(RESULTS, exist_ok=True)
    meta = {"date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"),
            "host": platform.node(), "cpus": os.cpu_count(),
            "devices": DEVICES, "commands": COMMANDS, "calls": CALLS,
            "log_lines_per_call": lines, "backup_bytes": backup_bytes,
            "chunk": CHUNK, "load_avg_at_start": LOAD_AT_START}
    with open(os.path.join(RESULTS, "grpc.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    rows = ["| scenario | clients | messages | MB | s | messages/s | MB/s "
            "| flexnetd CPU µs/msg |", "|---|---:|---:|---:|---:|---:|---:"
            "|---:|"]
    names = {"run": "RunTask stream (engine+store+gRPC)",
             "backup": "GetBackup, %d-byte chunks (store+gRPC)" % CHUNK,
             "log": "GetTaskLog, short streams"}
    for r in results:
        rows.append("| %s | %d | %d | %.1f | %.2f | %.0f | %.1f | %.2f |" % (
            names[r["mode"]], r["clients"], r["messages"], r["bytes"] / 1e6,
            r["seconds"], r["messages_per_s"], r["mb_per_s"],
            r["server_us_per_msg"]))
    text = ("# flexnetd streaming throughput\n\n"
            "%s UTC, %s, %d CPUs (shared by flexnetd, flexnet-sim and the "
            "client; load average %.2f at start). RunTask: %d simulated cisco_ios devices, %d commands "
            "each; one TaskEvent per result plus connection rows, progress "
            "and summary; 20 clients split the devices. GetBackup: one "
            "stream of %d-byte chunks of a %.0f KB config per call. "
            "GetTaskLog: %d calls of a %d-line stream (per-call cost). "
            "Client: "
            "fn-bench-grpc (gRPC core, one connection per client, messages "
            "counted, not decoded).\n\n%s\n\n"
            "Re-run: `/usr/bin/python3 bench/grpc/run.py build`.\n" % (
                meta["date"], meta["host"], meta["cpus"],
                meta["load_avg_at_start"], DEVICES, COMMANDS,
                CHUNK, meta["backup_bytes"] / 1e3, CALLS, lines,
                "\n".join(rows)))
    with open(os.path.join(RESULTS, "grpc.md"), "w") as f:
        f.write(text)
    print(text)


LOAD_AT_START = os.getloadavg()[0]


def main():
    results = []
    with Env(PORT, devices=DEVICES, sim_args=["--workers", "2",
                                              "--vendor", "cisco_ios",
                                              "--config-lines",
                                              str(CONFIG_LINES)],
             ready_timeout=120) as env:
        for clients in (1, 20):
            results.append(drive(env, ["--mode", "run", "--clients",
                                       str(clients), "--hosts",
                                       str(DEVICES), "--base-port",
                                       str(PORT + 1), "--commands",
                                       str(COMMANDS)]))
        bid, size = backup_id(env)
        for clients in (1, 20):
            per_call = max(1, size // CHUNK)
            repeat = max(1, BACKUP_MESSAGES // (per_call * clients))
            results.append(drive(env, ["--mode", "backup", "--clients",
                                       str(clients), "--task", bid,
                                       "--chunk", str(CHUNK), "--repeat",
                                       str(repeat)]))
        tid, lines = log_task(env)
        for clients in (1, 20):
            repeat = max(1, CALLS // clients)
            results.append(drive(env, ["--mode", "log", "--clients",
                                       str(clients), "--task", tid,
                                       "--repeat", str(repeat)]))
        env.stop()
    write(results, lines, size)


if __name__ == "__main__":
    main()
