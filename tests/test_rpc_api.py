"""test_rpc_api.py — flexnetd's methods end to end from a Python client.

RunTask on 500 simulated devices delivers every connection report and
every result exactly once; then GetTask, ListTasks (paging, filters),
GetTaskLog, backups (ListBackups, GetBackup in chunks, DiffBackups,
DeleteBackup), DeleteTask, ListVendors, Health, and UNIMPLEMENTED for
unknown methods; TextFSM records (Step.parse, Step.template); inline and server-path inventories; credentials by
reference (env var names, a password file, a Vault secret served by
tests/fakes/fake_vault.py); backups copied to S3 (tests/fakes/
fake_s3edge.py) and deleted there. Ports 30000-30500, fakes 30750-30770.
"""
import hashlib
import json
import os
import shutil
import tempfile
import time

import grpc

from test_rpc_lib import (Env, check, code_of, health, main, pb, run_task,
                          spec, start_fake)
import health_pb2

PORT = 30000
DEVICES = 500
COMMANDS = ("show version", "show clock")

env = None
state = {}


def t_health():
    check(health(env) == health_pb2.HealthCheckResponse.SERVING,
          "health is not SERVING")
    hs = __import__("health_pb2_grpc").HealthStub(env.channel())
    c = code_of(lambda: hs.Check(health_pb2.HealthCheckRequest(
        service="no.such.Service"), timeout=10))
    check(c == grpc.StatusCode.NOT_FOUND, "unknown service gave %s" % c)


def t_parsed():
    """TextFSM over gRPC: Step.parse with TaskSpec.templates_dir gives
    records on every successful result the index has a template for,
    parse_error on the others; a template that does not compile is
    INVALID_ARGUMENT naming file:line."""
    src = os.environ.get("FN_TEST_SRC", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    tdir = os.path.join(src, "tests", "parse", "templates")
    s = spec(("show version",), name="parsed", templates_dir=tdir)
    s.steps[0].parse = True
    kinds, summary = run_task(env.stub(), s)
    results = [e.result for e in kinds.get("result", [])]
    ok = [r for r in results if r.exit_code == 0]
    with_records = [r for r in ok if r.parsed and len(r.records)]
    check(len(with_records) >= len(ok) // 2,
          "%d of %d ok results have records" % (len(with_records), len(ok)))
    check(all(r.parsed and (len(r.records) or r.parse_error) for r in ok),
          "every ok result is parsed or says why not")
    r = with_records[0]
    check(r.records[0].values["VERSION"].str or
          r.records[0].values["OS"].str,
          "a version record has its VERSION: %s" % r.records[0])
    check(not any(r.parsed for r in results if r.exit_code != 0),
          "failed commands are not parsed")
    bad = os.path.join(tempfile.mkdtemp(prefix="fn-rpc-tpl-"), "b.textfsm")
    with open(bad, "w") as f:
        f.write("Value A (x)\n\nBegin\n  ^x\n")
    s = spec(("show version",), name="badtpl")
    s.steps[0].template = bad
    try:
        run_task(env.stub(), s)
        check(False, "a broken template was accepted")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.INVALID_ARGUMENT and
              "b.textfsm:" in e.details(),
              "broken template: %s %s" % (e.code(), e.details()))


def t_vendors():
    r = env.stub().ListVendors(pb.ListVendorsRequest(), timeout=10)
    names = [v.name for v in r.vendors]
    check("cisco_ios" in names, "ListVendors lacks cisco_ios: %s" % names)
    ios = [v for v in r.vendors if v.name == "cisco_ios"][0]
    check(ios.backup_command and ios.error_keywords,
          "cisco_ios profile is empty")


def t_run_500():
    kinds, summary = run_task(env.stub(), spec(COMMANDS, name="big"))
    check(summary is not None, "no summary event")
    check(summary.status == pb.TASK_STATUS_DONE,
          "status %s" % pb.TaskStatus.Name(summary.status))
    conns = [e.connection for e in kinds.get("connection", [])]
    hosts = [c.host for c in conns]
    check(len(hosts) == DEVICES and len(set(hosts)) == DEVICES,
          "%d connection rows for %d hosts" % (len(hosts), len(set(hosts))))
    ok_hosts = {c.host for c in conns if c.status == pb.CONNECT_STATUS_OK}
    check(len(ok_hosts) == DEVICES, "only %d connected" % len(ok_hosts))
    keys = [(e.result.host, e.result.step, e.result.seq)
            for e in kinds.get("result", [])]
    check(len(keys) == len(set(keys)), "a result arrived twice")
    want = {(h, 0, i) for h in ok_hosts for i in range(len(COMMANDS))}
    check(set(keys) == want, "results: %d, want %d" % (len(keys), len(want)))
    for e in kinds["result"]:
        r = e.result
        check(r.command == COMMANDS[r.seq], "result command mismatch")
        # 0, or 1 where a vendor of the mix lacks the command
        check(r.exit_code in (0, 1) and (r.stdout or r.stderr),
              "%s %r: exit %d %s" % (r.host, r.command, r.exit_code,
                                     r.reason))
    tid = summary.task_id
    check(all(e.task_id == tid for v in kinds.values() for e in v),
          "an event carries another task id")
    first = kinds["first"][0]
    check(first.WhichOneof("event") == "progress",
          "first event is a %s, not progress" % first.WhichOneof("event"))
    check(first.progress.total == DEVICES, "first event is not the count")
    state["task"] = tid
    state["results"] = len(keys)


def t_get_task():
    stub = env.stub()
    tid = state["task"]
    r = stub.GetTask(pb.GetTaskRequest(task_id=tid[:12], with_results=True),
                     timeout=30)
    check(r.task.id == tid, "prefix did not resolve")
    check(r.task.status == pb.TASK_STATUS_DONE, "stored status not DONE")
    check(r.task.owner == "flexnetd", "owner %r" % r.task.owner)
    check(len(r.results) == state["results"], "GetTask has %d results" %
          len(r.results))
    check(len(r.connections) == DEVICES, "GetTask has %d connections" %
          len(r.connections))
    check(r.task.spec.credentials.password_env and
          not r.task.spec.credentials.ref, "spec not kept as submitted")
    r = stub.GetTask(pb.GetTaskRequest(task_id=tid), timeout=10)
    check(not r.results, "results without with_results")
    c = code_of(lambda: stub.GetTask(pb.GetTaskRequest(
        task_id="ffffffffffffffff"), timeout=10))
    check(c == grpc.StatusCode.NOT_FOUND, "unknown task gave %s" % c)


def t_list_tasks():
    stub = env.stub()
    for i in range(2):
        run_task(stub, spec(COMMANDS, name="small-%d" % i, hosts=[
            "127.0.0.1:%d" % (PORT + 1)]))
    seen, token = [], ""
    while True:
        r = stub.ListTasks(pb.ListTasksRequest(page_size=1, page_token=token),
                           timeout=10)
        check(len(r.tasks) <= 1, "page_size ignored")
        seen += [t.id for t in r.tasks]
        token = r.next_page_token
        if not token:
            break
    check(len(seen) == 3 and len(set(seen)) == 3, "paging saw %s" % seen)
    check(seen == sorted(seen, reverse=True), "not newest first")
    r = stub.ListTasks(pb.ListTasksRequest(name="small"), timeout=10)
    check(len(r.tasks) == 2, "name filter gave %d" % len(r.tasks))
    r = stub.ListTasks(pb.ListTasksRequest(status=pb.TASK_STATUS_FAILED),
                       timeout=10)
    check(len(r.tasks) == 0, "status filter gave %d" % len(r.tasks))


def t_task_log():
    lines = list(env.stub().GetTaskLog(
        pb.GetTaskLogRequest(task_id=state["task"]), timeout=30))
    check(lines, "no log lines")
    seqs = [ln.seq for ln in lines]
    check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
          "log seqs not increasing")
    # The recorder writes the same per-device audit lines as the CLI.
    text = "\n".join(ln.text for ln in lines)
    check("connected to 127.0.0.1:" in text and " -> exit " in text and
          "task done: " in text, "task log lacks the per-device lines")
    tail = list(env.stub().GetTaskLog(pb.GetTaskLogRequest(
        task_id=state["task"], from_seq=seqs[-1]), timeout=30))
    check([ln.seq for ln in tail] == [seqs[-1]], "from_seq ignored")


def t_backups():
    stub = env.stub()
    hosts = ["127.0.0.1:%d" % (PORT + 1 + i) for i in range(3)]
    ids = []
    for i in range(2):
        kinds, summ = run_task(stub, spec((), backup=True,
                                          name="bk-%d" % i, hosts=hosts))
        check(summ.backups == 3, "summary backups %d" % summ.backups)
        ids.append([e.backup.id for e in kinds.get("backup", [])])
        check(len(ids[-1]) == 3, "backup events: %d" % len(ids[-1]))
    r = stub.ListBackups(pb.ListBackupsRequest(host=hosts[0]), timeout=10)
    check(len(r.backups) == 2, "ListBackups(host) gave %d" % len(r.backups))
    newest = r.backups[0]
    chunks = list(stub.GetBackup(pb.GetBackupRequest(id=newest.id,
                                                     chunk_size=512),
                                 timeout=30))
    data = b"".join(c.data for c in chunks)
    check(len(chunks) > 1 and chunks[-1].last, "chunking: %d" % len(chunks))
    check(len(data) == newest.size, "size %d != %d" % (len(data),
                                                       newest.size))
    check(hashlib.sha256(data).hexdigest() == newest.sha256, "sha256")
    offs = [c.offset for c in chunks]
    check(offs == sorted(offs) and offs[0] == 0, "offsets")
    d = stub.DiffBackups(pb.DiffBackupsRequest(id_a=newest.id), timeout=10)
    check(d.id_b == r.backups[1].id, "diff picked %s" % d.id_b)
    check(d.identical == (d.diff == ""), "identical flag vs diff")
    every = [b.id for b in stub.ListBackups(pb.ListBackupsRequest(),
                                            timeout=10).backups]
    check(set(every) >= set(ids[0] + ids[1]), "ListBackups() misses some")
    # copied to S3 ([s3] in --config): records say so once uploaded
    deadline = time.monotonic() + 30
    while True:
        bks = stub.ListBackups(pb.ListBackupsRequest(host=hosts[0]),
                               timeout=10).backups
        if all(b.target == "s3" for b in bks) or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # polling a state, not synchronising
    check(all(b.target == "s3" and b.bucket == "backups" and
              b.key == "%s/%s.cfg" % (hosts[0], b.id) for b in bks),
          "S3 copy: %s" % [(b.target, b.bucket, b.key, b.error)
                           for b in bks])
    puts = s3_requests("PUT")
    check(any(p.endswith(newest.id + ".cfg") for p in puts),
          "no PUT of %s in %s" % (newest.id, puts[:3]))
    r2 = stub.DeleteBackup(pb.DeleteBackupRequest(id=newest.id), timeout=10)
    check(r2.deleted, "not deleted")
    deadline = time.monotonic() + 30
    while not any(p.endswith(newest.id + ".cfg")
                  for p in s3_requests("DELETE")):
        check(time.monotonic() < deadline, "S3 object not deleted")
        time.sleep(0.1)  # polling a state, not synchronising
    c = code_of(lambda: list(stub.GetBackup(pb.GetBackupRequest(
        id=newest.id), timeout=10)))
    check(c == grpc.StatusCode.NOT_FOUND, "deleted backup gave %s" % c)


def t_delete_task():
    stub = env.stub()
    r = stub.DeleteTask(pb.DeleteTaskRequest(task_id=state["task"]),
                        timeout=30)
    check(r.deleted, "not deleted")
    c = code_of(lambda: stub.GetTask(pb.GetTaskRequest(
        task_id=state["task"]), timeout=10))
    check(c == grpc.StatusCode.NOT_FOUND, "deleted task gave %s" % c)


def t_unimplemented():
    ch = env.channel()
    for path in ("/flexnet.v1.Flexnet/NoSuchMethod", "/other.Svc/Call",
                 "/grpc.health.v1.Health/NoSuchMethod"):
        call = ch.unary_unary(path, request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
        c = code_of(lambda: call(b"", timeout=10))
        check(c == grpc.StatusCode.UNIMPLEMENTED, "%s gave %s" % (path, c))


def t_bad_spec():
    stub = env.stub()
    cases = [
        pb.TaskSpec(name="no steps"),
        spec(COMMANDS, hosts=["no-such-host"]),
        spec(COMMANDS, inventory_text="[g]\nhost:notaport vendor=x\n"),
    ]
    for s in cases:
        c = code_of(lambda: list(stub.RunTask(s, timeout=30)))
        check(c in (grpc.StatusCode.INVALID_ARGUMENT,
                    grpc.StatusCode.NOT_FOUND), "bad spec gave %s" % c)
    s = spec(COMMANDS)
    s.steps[0].when.tag, s.steps[0].when.exit_codes[:] = "no-such-tag", [0]
    c = code_of(lambda: list(stub.RunTask(s, timeout=30)))
    check(c == grpc.StatusCode.INVALID_ARGUMENT, "when on no tag: %s" % c)
    s = spec(COMMANDS)
    s.credentials.password_env = "FN_RPC_TEST_UNSET_VAR"
    c = code_of(lambda: list(stub.RunTask(s, timeout=30)))
    check(c == grpc.StatusCode.FAILED_PRECONDITION, "unset env gave %s" % c)


def t_inventory_and_creds():
    stub = env.stub()
    with open(env.inventory) as f:
        text = f.read()
    host = "127.0.0.1:%d" % (PORT + 7)
    pwfile = os.path.join(env.dir, "pw")
    with open(pwfile, "w") as f:
        f.write("admin\n")
    variants = [
        spec(COMMANDS, name="inline", inventory_text=text, hosts=[host]),
        spec(COMMANDS, name="path", inventory_path=env.inventory,
             hosts=[host]),
        spec(COMMANDS, name="file-creds", hosts=[host]),
    ]
    creds = variants[2].credentials
    creds.password_env = ""
    creds.provider, creds.ref = "file", pwfile
    for s in variants:
        kinds, summ = run_task(stub, s)
        check(summ.status == pb.TASK_STATUS_DONE and summ.connected == 1,
              "%s: %s" % (s.name, summ))
        check(len(kinds.get("result", [])) == len(COMMANDS), s.name)
    listed = stub.ListTasks(pb.ListTasksRequest(name="inline"),
                            timeout=10).tasks
    check(listed[0].spec.inventory_text == "(inline)",
          "ListTasks kept the inline inventory")
    got = stub.GetTask(pb.GetTaskRequest(task_id=listed[0].id), timeout=10)
    check(got.task.spec.inventory_text == text, "GetTask lost the inventory")
    s = spec(COMMANDS, hosts=[host], name="vault")
    s.credentials.password_env = ""
    s.credentials.username = ""
    s.credentials.provider, s.credentials.ref = "vault", "net/core"
    kinds, summ = run_task(stub, s)
    check(summ.status == pb.TASK_STATUS_DONE and summ.connected == 1,
          "vault creds: %s" % summ)
    s.credentials.ref = "net/missing"
    c = code_of(lambda: list(stub.RunTask(s, timeout=30)))
    check(c == grpc.StatusCode.FAILED_PRECONDITION, "missing secret: %s" % c)
    s.credentials.provider = "no-such-provider"
    c = code_of(lambda: list(stub.RunTask(s, timeout=30)))
    check(c == grpc.StatusCode.FAILED_PRECONDITION, "bad provider: %s" % c)


def fakes(d):
    """A fake Vault and a fake S3, and the flexnet.conf naming both."""
    spec_path = os.path.join(d, "vault.json")
    with open(spec_path, "w") as f:
        json.dump({"token": "t0k3n", "secrets": {
            "net/core": {"username": "admin", "password": "admin"}}}, f)
    vault, vport = start_fake("fake_vault.py", ["--ports", "30750-30760",
                                                "--spec", spec_path])
    state["s3_capture"] = os.path.join(d, "s3.jsonl")
    s3, sport = start_fake("fake_s3edge.py", ["--ports", "30761-30770",
                                              "--capture",
                                              state["s3_capture"]])
    conf = os.path.join(d, "flexnet.conf")
    with open(conf, "w") as f:
        f.write("[vault]\naddress = http://127.0.0.1:%d\n"
                "token_env = FN_RPC_TEST_VAULT_TOKEN\n\n"
                "[s3]\nendpoint = http://127.0.0.1:%d\nbucket = backups\n"
                "access_key = AKIDRPCTEST\n"
                "secret_key_env = FN_RPC_TEST_S3_SECRET\n" % (vport, sport))
    os.environ["FN_RPC_TEST_VAULT_TOKEN"] = "t0k3n"
    os.environ["FN_RPC_TEST_S3_SECRET"] = "s3-secret-for-tests"
    return [vault, s3], conf


def s3_requests(method):
    """(method, path) of the requests the fake S3 saw."""
    out = []
    with open(state["s3_capture"]) as f:
        for line in f:
            r = json.loads(line)
            if r["method"] == method:
                out.append(r["path"])
    return out


def run_all(conf):
    global env
    with Env(PORT, devices=DEVICES, daemon_args=["--config", conf]) as env:
        main([("health", t_health), ("vendors", t_vendors),
              ("run_500", t_run_500), ("get_task", t_get_task),
              ("list_tasks", t_list_tasks), ("task_log", t_task_log),
              ("backups", t_backups), ("delete_task", t_delete_task),
              ("unimplemented", t_unimplemented), ("bad_spec", t_bad_spec),
              ("inventory_and_creds", t_inventory_and_creds),
              ("parsed", t_parsed)])
        check(env.stop() == 0, "flexnetd exit code")


if __name__ == "__main__":
    tmp = tempfile.mkdtemp(prefix="fn-rpc-fakes-")
    procs, conf = fakes(tmp)
    try:
        run_all(conf)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
