"""test_rpc_malformed.py — a few thousand malformed requests, each must get
INVALID_ARGUMENT, and flexnetd must stay up and keep answering.

Kinds: random bytes that cannot parse (first tag has wire type 6 or 7),
truncated length-delimited fields, invalid UTF-8 in string fields, huge
strings (over the per-field caps, under gRPC's 4 MiB message limit), too
many repeated elements, unknown enum values, and a RunTask spec with no
steps. Port 31400.
"""
import os
import random

import grpc

from test_rpc_lib import Env, check, health, main, pb
import health_pb2

PORT = 31400
RANDOM = 2500
TRUNCATED = 500
rnd = random.Random(8)
env = None

# Method path -> tag byte of a string field of its request.
STRING_FIELD = {
    "RunTask": 0x0a, "CancelTask": 0x0a, "GetTask": 0x0a,
    "ListTasks": 0x12, "GetTaskLog": 0x0a, "ListBackups": 0x0a,
    "GetBackup": 0x0a, "DiffBackups": 0x0a, "DeleteTask": 0x0a,
    "DeleteBackup": 0x0a,
}


def path(m):
    if m == "Check":
        return "/grpc.health.v1.Health/Check"
    return "/flexnet.v1.Flexnet/" + m


def varint(n):
    out = b""
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cases():
    methods = list(STRING_FIELD) + ["ListVendors", "Check"]
    for _ in range(RANDOM):
        first = (rnd.randrange(256) & 0x78) | rnd.choice((6, 7))
        body = bytes([first]) + os.urandom(rnd.randrange(0, 200))
        yield rnd.choice(methods), body
    for _ in range(TRUNCATED):
        m = rnd.choice(list(STRING_FIELD))
        n = rnd.randrange(10, 100000)
        yield m, bytes([STRING_FIELD[m]]) + varint(n) + b"x" * (n // 3)
    bad_utf8 = [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"ab\x80",
                b"\xf4\x90\x80\x80", b"\xe2\x82"]
    for m, tag in STRING_FIELD.items():
        for s in bad_utf8:
            yield m, bytes([tag]) + varint(len(s)) + s
        big = b"h" * (1024 * 1024)
        yield m, bytes([tag]) + varint(len(big)) + big
    yield "Check", b"\x0a" + varint(300) + b"s" * 300
    yield "ListTasks", pb.ListTasksRequest(status=99).SerializeToString()
    yield "ListTasks", pb.ListTasksRequest(status=-5).SerializeToString()
    bad_specs = [
        pb.TaskSpec(steps=[pb.Step(kind=42, commands=["x"])]),
        pb.TaskSpec(mode=7, steps=[pb.Step(kind=1, commands=["x"])]),
        pb.TaskSpec(host_key_policy=9, steps=[pb.Step(kind=1,
                                                      commands=["x"])]),
        pb.TaskSpec(hosts=["a"] * 100001),
        pb.TaskSpec(steps=[pb.Step(kind=1, commands=["c" * 70000])]),
        pb.TaskSpec(name="n"),  # no steps
    ]
    for s in bad_specs:
        yield "RunTask", s.SerializeToString()


def t_malformed():
    ch = env.channel()
    calls = {}
    total, wrong = 0, []
    batch = []

    def drain():
        for m, fut in batch:
            try:
                r = fut.result()
                if isinstance(r, grpc.Call):  # a stream: read it
                    list(r)
                wrong.append((m, "OK"))
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    wrong.append((m, e.code()))
        batch.clear()

    for m, body in cases():
        total += 1
        streaming = m in ("RunTask", "GetTaskLog", "GetBackup")
        key = (m, streaming)
        if key not in calls:
            mk = ch.unary_stream if streaming else ch.unary_unary
            calls[key] = mk(path(m), request_serializer=lambda b: b,
                            response_deserializer=lambda b: b)
        if streaming:
            it = calls[key](body, timeout=30)
            batch.append((m, _Done(it)))
        else:
            batch.append((m, calls[key].future(body, timeout=30)))
        if len(batch) >= 64:
            drain()
    drain()
    check(not wrong, "%d/%d wrong answers, e.g. %s" % (len(wrong), total,
                                                         wrong[:5]))
    check(total >= 2500, "only %d cases" % total)
    check(env.alive(), "flexnetd died")
    print("  %d malformed requests, all INVALID_ARGUMENT" % total)


class _Done:
    """Adapts a response stream to the future interface used above."""

    def __init__(self, it):
        self.it = it

    def result(self):
        list(self.it)
        return None


def t_still_serving():
    check(health(env) == health_pb2.HealthCheckResponse.SERVING,
          "not serving after the fuzz")
    r = env.stub().ListTasks(pb.ListTasksRequest(), timeout=10)
    check(len(r.tasks) == 0, "a malformed RunTask created a task")


if __name__ == "__main__":
    with Env(PORT) as env:
        main([("malformed", t_malformed), ("still_serving", t_still_serving)])
        check(env.stop() == 0, "flexnetd exit code")
