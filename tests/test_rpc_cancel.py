"""test_rpc_cancel.py — stopping tasks through flexnetd.

Against slow simulated devices (every command answers after 150 ms):
CancelTask mid-task ends the stream with a CANCELLED summary; a client
that cancels its RunTask call cancels the task's remaining work; an
expired deadline does the same; SIGTERM with a task running marks it
INTERRUPTED (short --drain-ms) and flexnetd exits 0; after kill -9 the
task reads back INTERRUPTED. Ports 30600-30660.
"""
import time

import grpc

from test_rpc_lib import Env, check, code_of, main, pb, spec, wait_task

PORT = 30600
DEVICES = 60
SLOW = spec(("show version", "show clock", "show version"), name="slow",
            concurrency=4)

env = None


def wait_status(stub, tid, want):
    return wait_task(stub, tid, lambda t: t.status == want)


def t_cancel_task():
    stub = env.stub()
    stream = stub.RunTask(SLOW, timeout=120)
    tid, results, summary = None, 0, None
    for ev in stream:
        tid = ev.task_id
        kind = ev.WhichOneof("event")
        if kind == "result":
            results += 1
            if results == 1:
                t = stub.GetTask(pb.GetTaskRequest(task_id=tid),
                                 timeout=10).task
                check(t.status == pb.TASK_STATUS_RUNNING and t.started_us,
                      "mid-task GetTask: %s" % pb.TaskStatus.Name(t.status))
                c = code_of(lambda: stub.DeleteTask(
                    pb.DeleteTaskRequest(task_id=tid), timeout=10))
                check(c == grpc.StatusCode.FAILED_PRECONDITION,
                      "deleting a running task: %s" % c)
                r = stub.CancelTask(pb.CancelTaskRequest(task_id=tid),
                                    timeout=10)
                check(r.cancelled, "CancelTask said not cancelled")
        if kind == "summary":
            summary = ev.summary
    check(summary is not None, "stream ended without a summary")
    check(summary.status == pb.TASK_STATUS_CANCELLED,
          "summary %s" % pb.TaskStatus.Name(summary.status))
    check(results < DEVICES * 3, "cancel did not stop the work")
    wait_status(stub, tid, pb.TASK_STATUS_CANCELLED)
    r = stub.CancelTask(pb.CancelTaskRequest(task_id=tid), timeout=10)
    check(not r.cancelled, "a finished task was cancelled again")


def t_client_cancel():
    stub = env.stub()
    stream = stub.RunTask(SLOW, timeout=120)
    tid = next(stream).task_id
    for ev in stream:
        if ev.WhichOneof("event") == "result":
            break
    stream.cancel()
    t = wait_status(stub, tid, pb.TASK_STATUS_CANCELLED)
    check(t.summary.commands < DEVICES * 3, "work went on after cancel")


def t_deadline():
    stub = env.stub()
    t0 = time.monotonic()
    tid = None
    try:
        for ev in stub.RunTask(SLOW, timeout=2.0):
            tid = ev.task_id
        check(False, "stream ended before its deadline")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.DEADLINE_EXCEEDED,
              "deadline gave %s" % e.code())
    check(time.monotonic() - t0 < 10, "deadline not honoured")
    check(tid is not None, "no event before the deadline")
    wait_status(stub, tid, pb.TASK_STATUS_CANCELLED)


def t_sigterm_interrupts():
    stub = env.stub()
    stream = stub.RunTask(SLOW, timeout=120)
    tid = next(stream).task_id
    env.terminate()
    summary = None
    for ev in stream:
        if ev.WhichOneof("event") == "summary":
            summary = ev.summary
    check(summary is not None and
          summary.status == pb.TASK_STATUS_INTERRUPTED,
          "drained task summary: %s" % summary)
    check(env.stop() == 0, "flexnetd exit code after SIGTERM")
    env._start_daemon([], None, 60)  # same store: the record survived
    t = env.stub().GetTask(pb.GetTaskRequest(task_id=tid), timeout=10).task
    check(t.status == pb.TASK_STATUS_INTERRUPTED,
          "stored status %s" % pb.TaskStatus.Name(t.status))


def t_kill9_reads_interrupted():
    stub = env.stub()
    stream = stub.RunTask(SLOW, timeout=120)
    tid = next(stream).task_id
    env.daemon.kill()  # no drain: the record stays RUNNING on disk
    env.daemon.wait(30)
    env.stop(quiet=True)
    env._start_daemon([], None, 60)
    t = env.stub().GetTask(pb.GetTaskRequest(task_id=tid), timeout=10).task
    check(t.status == pb.TASK_STATUS_INTERRUPTED,
          "after kill -9: %s" % pb.TaskStatus.Name(t.status))


if __name__ == "__main__":
    with Env(PORT, devices=DEVICES, sim_args=["--latency-ms", "150"],
             daemon_args=["--drain-ms", "1500"]) as env:
        main([("cancel_task", t_cancel_task),
              ("client_cancel", t_client_cancel),
              ("deadline", t_deadline),
              ("sigterm_interrupts", t_sigterm_interrupts),
              ("kill9_reads_interrupted", t_kill9_reads_interrupted)])
