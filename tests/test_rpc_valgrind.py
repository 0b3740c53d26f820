"""test_rpc_valgrind.py — flexnetd under valgrind: start, serve every kind
of call (a task with results and backups copied to a fake S3, reads, a
stream cut short by the client, a refused token, malformed and unknown
requests), SIGTERM; valgrind must report no error and no definitely or
indirectly lost block, and flexnetd must exit 0.

Labelled no_asan: valgrind cannot run an ASan binary. Ports 31500-31530.
"""
import os
import re
import shutil
import tempfile

import grpc

from test_rpc_lib import (Env, check, code_of, main, pb, run_task, spec,
                          start_fake)

PORT = 31500
TOKEN = "valgrind-token"
env = None


def t_serve():
    stub = env.stub()
    md = env.md()
    c = code_of(lambda: stub.ListTasks(pb.ListTasksRequest(), timeout=60))
    check(c == grpc.StatusCode.UNAUTHENTICATED, "no token: %s" % c)
    kinds, summ = run_task(stub, spec(("show version",), backup=True),
                           md=md, timeout=300)
    check(summ and summ.status == pb.TASK_STATUS_DONE, "task: %s" % summ)
    tid = summ.task_id
    stub.GetTask(pb.GetTaskRequest(task_id=tid, with_results=True),
                 metadata=md, timeout=60)
    stub.ListTasks(pb.ListTasksRequest(), metadata=md, timeout=60)
    list(stub.GetTaskLog(pb.GetTaskLogRequest(task_id=tid), metadata=md,
                         timeout=60))
    bk = stub.ListBackups(pb.ListBackupsRequest(), metadata=md,
                          timeout=60).backups
    check(bk, "no backups")
    list(stub.GetBackup(pb.GetBackupRequest(id=bk[0].id, chunk_size=256),
                        metadata=md, timeout=60))
    stub.DiffBackups(pb.DiffBackupsRequest(id_a=bk[0].id, id_b=bk[-1].id),
                     metadata=md, timeout=60)
    stub.ListVendors(pb.ListVendorsRequest(), metadata=md, timeout=60)
    # a stream the client abandons half way
    it = stub.GetTaskLog(pb.GetTaskLogRequest(task_id=tid), metadata=md,
                         timeout=60)
    next(it)
    it.cancel()
    # a task cancelled by its client
    it = stub.RunTask(spec(("show version",) * 3), metadata=md, timeout=300)
    next(it)
    it.cancel()
    ch = env.channel()
    raw = {p: ch.unary_unary(p, request_serializer=bytes,
                             response_deserializer=bytes)
           for p in ("/flexnet.v1.Flexnet/GetTask", "/nope.Svc/X")}
    for body in (b"\x07garbage", b"\x0a\x02\xff\xfe"):
        c = code_of(lambda: raw["/flexnet.v1.Flexnet/GetTask"](
            body, metadata=md, timeout=60))
        check(c == grpc.StatusCode.INVALID_ARGUMENT, "malformed: %s" % c)
    c = code_of(lambda: raw["/nope.Svc/X"](b"", metadata=md, timeout=60))
    check(c == grpc.StatusCode.UNIMPLEMENTED, "unknown method: %s" % c)
    stub.DeleteBackup(pb.DeleteBackupRequest(id=bk[0].id), metadata=md,
                      timeout=60)


def t_clean_exit():
    rc = env.stop(timeout=120)
    with open(env.stderr_path, errors="replace") as f:
        log = f.read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", log)
    check(summary, "no valgrind summary:\n" + log[-3000:])
    check(summary.group(1) == "0", "valgrind errors:\n" + log[-6000:])
    for kind in ("definitely", "indirectly"):
        m = re.search(kind + r" lost: ([\d,]+) bytes", log)
        check(not m or m.group(1) == "0", kind + " lost:\n" + log[-6000:])
    check(rc == 0, "flexnetd exit code %s" % rc)
    print("  " + " ".join(log.split("LEAK SUMMARY:")[-1].split()[:40]))


def fake_s3(d):
    """A fake S3 for the uploads; returns (process, flexnet.conf path)."""
    proc, port = start_fake("fake_s3edge.py", ["--ports", "31521-31530"])
    conf = os.path.join(d, "flexnet.conf")
    with open(conf, "w") as f:
        f.write("[s3]\nendpoint = http://127.0.0.1:%d\nbucket = vg\n"
                "access_key = AKIDVALGRIND\n"
                "secret_key_env = FN_RPC_TEST_S3_SECRET\n" % port)
    os.environ["FN_RPC_TEST_S3_SECRET"] = "valgrind-s3-secret"
    return proc, conf


if __name__ == "__main__":
    vg = ["valgrind", "--error-exitcode=99", "--leak-check=full",
          "--errors-for-leak-kinds=definite,indirect",
          "--show-leak-kinds=definite,indirect", "--num-callers=30"]
    tmp = tempfile.mkdtemp(prefix="fn-rpc-vg-")
    s3, conf = fake_s3(tmp)
    try:
        with Env(PORT, devices=20, valgrind=vg, token=TOKEN,
                 daemon_args=["--config", conf], ready_timeout=120) as env:
            main([("serve", t_serve), ("clean_exit", t_clean_exit)])
    finally:
        s3.terminate()
        s3.wait()
        shutil.rmtree(tmp, ignore_errors=True)
