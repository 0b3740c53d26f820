"""test_rpc_load.py — many clients at once, and a client that never reads.

20 clients run tasks concurrently and each receives all its results.
Then one client starts a task streaming ~20 MB and never reads: the
other 20 clients must finish about as fast as without it; the stalled
stream ends with RESOURCE_EXHAUSTED (flexnetd runs with a small
--stream-queue) while its task goes on to DONE, every result readable
through GetTask. Ports 30800-31100.
"""
import threading
import time

import grpc

from test_rpc_lib import Env, check, main, pb, run_task, spec, wait_task

PORT = 30800
DEVICES = 300
CLIENTS = 20
PER_CLIENT = 10  # devices per small task

env = None
state = {}


def small_spec(i):
    first = PORT + 1 + (i * PER_CLIENT) % DEVICES
    hosts = ["127.0.0.1:%d" % (first + k) for k in range(PER_CLIENT)]
    return spec(("show version",), name="client-%d" % i, hosts=hosts)


def run_clients():
    """Runs CLIENTS small tasks at once, each on its own channel."""
    errors, durations = [], []

    def one(i):
        t0 = time.monotonic()
        try:
            kinds, summ = run_task(env.stub(), small_spec(i))
            res = kinds.get("result", [])
            keys = {(e.result.host, e.result.seq) for e in res}
            if len(res) != PER_CLIENT or len(keys) != PER_CLIENT:
                errors.append("client %d: %d results" % (i, len(res)))
            if summ is None or summ.status != pb.TASK_STATUS_DONE:
                errors.append("client %d: summary %s" % (i, summ))
        except grpc.RpcError as e:
            errors.append("client %d: %s" % (i, e.code()))
        durations.append(time.monotonic() - t0)

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    wall = time.monotonic() - t0
    check(not errors, "; ".join(errors[:5]))
    check(len(durations) == CLIENTS, "a client hung")
    return wall


def t_concurrent():
    state["baseline"] = run_clients()
    print("  20 clients alone: %.2fs" % state["baseline"])


def wait_done(stub, tid):
    return wait_task(stub, tid, lambda t: t.status not in (
        pb.TASK_STATUS_RUNNING, pb.TASK_STATUS_PENDING), timeout=120)


def t_slow_client():
    stub = env.stub()
    big = spec(("show running-config",), name="never-read")
    stalled = stub.RunTask(big, timeout=300)  # started, never iterated
    tids = []
    deadline = time.monotonic() + 30
    while not tids and time.monotonic() < deadline:
        r = stub.ListTasks(pb.ListTasksRequest(name="never-read"),
                           timeout=10)
        tids = [t.id for t in r.tasks]
        time.sleep(0.05)  # polling a state, not synchronising
    check(tids, "the stalled task did not start")
    wall = run_clients()
    print("  20 clients beside a stalled one: %.2fs" % wall)
    check(wall < 3 * state["baseline"] + 10,
          "stalled client slowed the others: %.2fs vs %.2fs" %
          (wall, state["baseline"]))
    t = wait_done(stub, tids[0])
    check(t.status == pb.TASK_STATUS_DONE,
          "stalled task ended %s" % pb.TaskStatus.Name(t.status))
    got = stub.GetTask(pb.GetTaskRequest(task_id=tids[0], with_results=True),
                       timeout=60)
    check(len(got.results) == DEVICES or got.results_truncated,
          "GetTask: %d results" % len(got.results))
    check(t.summary.commands == DEVICES, "summary commands %d" %
          t.summary.commands)
    code, n = None, 0
    try:
        for _ in stalled:
            n += 1
    except grpc.RpcError as e:
        code = e.code()
    check(code == grpc.StatusCode.RESOURCE_EXHAUSTED,
          "stalled stream ended with %s after %d events" % (code, n))
    check(n < DEVICES * 2, "stalled stream was not cut (%d events)" % n)


if __name__ == "__main__":
    with Env(PORT, devices=DEVICES, sim_args=["--config-lines", "2000"],
             daemon_args=["--stream-queue", "32"]) as env:
        main([("concurrent_20", t_concurrent),
              ("slow_client", t_slow_client)])
        check(env.stop() == 0, "flexnetd exit code")
