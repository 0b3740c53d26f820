#!/usr/bin/python3
"""flexnet_client.py (Python): runs a task on every device of flexnetd's
inventory with streamed results, then a config change with a backup,
reads the newest backup in chunks and diffs it against the one before.

    PYTHONPATH=build/rpc/py FLEXNET_ADDR=127.0.0.1:50051 \\
        FLEXNET_PASSWORD_ENV=FN_PASS python3 examples/python/flexnet_client.py

Stubs: build/rpc/py (the build generates them with protoc and
grpc_python_plugin; Debian's python3-grpcio and python3-protobuf run
them). Credentials go by reference: FLEXNET_PASSWORD_ENV names a variable
of the *server*.
"""
import hashlib
import os
import sys

import grpc
from flexnet.v1 import flexnet_pb2 as pb
from flexnet.v1 import flexnet_pb2_grpc as pbg

# The config line the second task applies (and the diff must show).
NTP = os.environ.get("FLEXNET_CONFIG_LINE", "ntp server 192.0.2.1")


def spec(name, *steps):
    creds = pb.Credentials(
        username=os.environ.get("FLEXNET_USER", "admin"),
        password_env=os.environ.get("FLEXNET_PASSWORD_ENV", "FN_PASS"),
        enable_password_env=os.environ.get("FLEXNET_ENABLE_ENV", ""))
    return pb.TaskSpec(name=name, steps=list(steps), credentials=creds)


def run_task(stub, s):
    """Streams a task's events; prints each result as it arrives."""
    results, summary = 0, None
    for ev in stub.RunTask(s, timeout=300):
        kind = ev.WhichOneof("event")
        if kind == "result":
            results += 1
            r = ev.result
            print('result %s "%s" exit=%d' % (r.host, r.command,
                                              r.exit_code))
        elif kind == "summary":
            summary = ev.summary
    if summary is None:
        sys.exit("flexnet_client: %s: no summary" % s.name)
    print("task %s: %s, %d devices, %d ok, %d results streamed" % (
        s.name, pb.TaskStatus.Name(summary.status), summary.devices,
        summary.ok, results))
    return summary, results


def main():
    ch = grpc.insecure_channel(os.environ.get("FLEXNET_ADDR",
                                              "127.0.0.1:50051"))
    stub = pbg.FlexnetStub(ch)
    one, n = run_task(stub, spec(
        "python-show",
        pb.Step(kind=pb.STEP_KIND_COMMANDS, commands=["show version"]),
        pb.Step(kind=pb.STEP_KIND_BACKUP, comment="before")))
    two, _ = run_task(stub, spec(
        "python-change",
        pb.Step(kind=pb.STEP_KIND_CONFIG, commands=[NTP]),
        pb.Step(kind=pb.STEP_KIND_BACKUP, comment="after")))
    if one.ok != one.devices or two.ok != two.devices:
        sys.exit("flexnet_client: a device failed")
    b = stub.ListBackups(pb.ListBackupsRequest(page_size=1),
                         timeout=60).backups[0]
    text = b"".join(c.data for c in stub.GetBackup(
        pb.GetBackupRequest(id=b.id, chunk_size=4096), timeout=60))
    if len(text) != b.size or hashlib.sha256(text).hexdigest() != b.sha256:
        sys.exit("flexnet_client: backup %s: size or sha256 mismatch" % b.id)
    d = stub.DiffBackups(pb.DiffBackupsRequest(id_a=b.id), timeout=60)
    sys.stdout.write(d.diff)
    if "+" + NTP not in d.diff:
        sys.exit("flexnet_client: the diff lacks +" + NTP)
    print("ok: %d devices, %d results streamed, backup %s of %s (%d bytes) "
          "diffed" % (one.devices, n, b.id, b.host, len(text)))
    ch.close()


if __name__ == "__main__":
    main()
