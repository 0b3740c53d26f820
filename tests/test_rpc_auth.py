"""test_rpc_auth.py — bearer tokens and TLS.

With --token-file every method (health and unknown methods included)
refuses calls without `authorization: Bearer <token>` or with a wrong one
(UNAUTHENTICATED) and serves the right one. With --tls-cert/--tls-key
(a self-signed certificate made here with openssl) a TLS client is
served and a plaintext client is not. Ports 30700-30703.
"""
import os
import shutil
import subprocess
import tempfile

import grpc

from test_rpc_lib import Env, check, code_of, health, main, pb
import health_pb2

TOKEN = "s3cr3t-t0ken-for-tests"
env = None


def t_token_refused():
    stub = env.stub()
    req = pb.ListTasksRequest()
    bad = [(), (("authorization", "Bearer wrong"),),
           (("authorization", "Bearer " + TOKEN + "x"),),
           (("authorization", TOKEN),),
           (("authorization", "Basic " + TOKEN),)]
    for md in bad:
        c = code_of(lambda: stub.ListTasks(req, metadata=md, timeout=10))
        check(c == grpc.StatusCode.UNAUTHENTICATED, "%r gave %s" % (md, c))
        c = code_of(lambda: list(stub.GetTaskLog(
            pb.GetTaskLogRequest(task_id="0"), metadata=md, timeout=10)))
        check(c == grpc.StatusCode.UNAUTHENTICATED, "stream %r: %s" % (md, c))
    c = code_of(lambda: health(env))
    check(c == grpc.StatusCode.UNAUTHENTICATED, "health without token: %s" % c)


def t_token_accepted():
    stub = env.stub()
    r = stub.ListTasks(pb.ListTasksRequest(), metadata=env.md(), timeout=10)
    check(len(r.tasks) == 0, "fresh store has tasks")
    check(health(env, env.md()) == health_pb2.HealthCheckResponse.SERVING,
          "health with token")
    call = env.channel().unary_unary("/x.Y/Z", request_serializer=bytes,
                                     response_deserializer=bytes)
    c = code_of(lambda: call(b"", metadata=env.md(), timeout=10))
    check(c == grpc.StatusCode.UNIMPLEMENTED, "unknown method: %s" % c)


def make_cert(d):
    key, crt = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return crt, key


def t_tls():
    d = tempfile.mkdtemp(prefix="fn-rpc-tls-")
    try:
        tls_in(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def tls_in(d):
    crt, key = make_cert(d)
    with Env(30702, daemon_args=["--tls-cert", crt, "--tls-key", key]) as e:
        with open(crt, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        ch = grpc.secure_channel("127.0.0.1:30702", creds)
        stub = pb_stub(ch)
        r = stub.ListTasks(pb.ListTasksRequest(), timeout=10)
        check(len(r.tasks) == 0, "TLS ListTasks")
        ch.close()
        c = code_of(lambda: e.stub().ListTasks(pb.ListTasksRequest(),
                                               timeout=5))
        check(c == grpc.StatusCode.UNAVAILABLE, "plaintext on TLS: %s" % c)
        check(e.stop() == 0, "TLS flexnetd exit code")


def pb_stub(ch):
    from flexnet.v1 import flexnet_pb2_grpc
    return flexnet_pb2_grpc.FlexnetStub(ch)


if __name__ == "__main__":
    with Env(30700, token=TOKEN) as env:
        main([("token_refused", t_token_refused),
              ("token_accepted", t_token_accepted), ("tls", t_tls)])
        check(env.stop() == 0, "flexnetd exit code")
