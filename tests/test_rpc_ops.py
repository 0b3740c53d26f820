"""test_rpc_ops.py — flexnetd for operations: server reflection, health
Watch, GetTaskLog follow, Prometheus /metrics, JSON logs.

Reflection is exercised the way grpcurl does it: a client that knows no
flexnet or health .proto (only the reflection protocol's own messages)
lists the services, fetches the descriptors, builds message classes from
them and runs a task on 50 simulated devices with streamed results, over
both grpc.reflection.v1 and v1alpha. /metrics is parsed as Prometheus
text (every sample typed, histograms cumulative, +Inf = count) and its
counters must move while a task runs. Ports 31600-31699.
"""
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from test_rpc_lib import (Env, PASSWORD_ENV, check, code_of, fail, main, pb,
                          run_task, spec)
import health_pb2
import health_pb2_grpc
from reflection.v1 import reflection_pb2 as refl_v1
from reflection.v1alpha import reflection_pb2 as refl_v1alpha

PORT = 31600
METRICS_PORT = 31699
DEVICES = 50
COMMANDS = ("show version", "show clock")

env = None


# ---------------------------------------------------------------------------
# A dynamic client: knows the reflection protocol, nothing else.

class Reflected:
    def __init__(self, channel, mod, version):
        path = "/grpc.reflection.%s.ServerReflection/ServerReflectionInfo" % (
            version)
        self.mod = mod
        self.ch = channel
        self.rpc = channel.stream_stream(
            path, request_serializer=mod.ServerReflectionRequest.
            SerializeToString, response_deserializer=mod.
            ServerReflectionResponse.FromString)
        self.pool = descriptor_pool.DescriptorPool()
        self.factory = message_factory.MessageFactory(self.pool)
        self.loaded = set()

    def ask(self, *reqs):
        """Sends every request on one stream; returns the answers."""
        msgs = [self.mod.ServerReflectionRequest(**r) for r in reqs]
        out = list(self.rpc(iter(msgs), timeout=10))
        check(len(out) == len(msgs), "%d answers to %d requests" %
              (len(out), len(msgs)))
        return out

    def services(self):
        r = self.ask({"list_services": ""})[0]
        return [s.name for s in r.list_services_response.service]

    def _add(self, blobs):
        fds = [descriptor_pb2.FileDescriptorProto.FromString(b)
               for b in blobs]
        pending = [f for f in fds if f.name not in self.loaded]
        while pending:  # dependencies first, whatever the order sent
            ready = [f for f in pending
                     if all(d in self.loaded for d in f.dependency)]
            check(ready, "descriptors with missing dependencies: %s" %
                  [f.name for f in pending])
            for f in ready:
                self.pool.Add(f)
                self.loaded.add(f.name)
                pending.remove(f)

    def load_symbol(self, name):
        r = self.ask({"file_containing_symbol": name})[0]
        check(r.WhichOneof("message_response") == "file_descriptor_response",
              "%s: %s" % (name, r))
        self._add(r.file_descriptor_response.file_descriptor_proto)

    def cls(self, full_name):
        d = self.pool.FindMessageTypeByName(full_name)
        get = getattr(message_factory, "GetMessageClass", None)
        return get(d) if get else self.factory.GetPrototype(d)

    def method(self, service, name):
        """(callable, request class) for service/name, streaming or not."""
        self.load_symbol(service)
        m = self.pool.FindServiceByName(service).methods_by_name[name]
        req, resp = self.cls(m.input_type.full_name), self.cls(
            m.output_type.full_name)
        kind = self.ch.unary_stream if m.server_streaming else \
            self.ch.unary_unary
        fn = kind("/%s/%s" % (service, name),
                  request_serializer=req.SerializeToString,
                  response_deserializer=resp.FromString)
        return fn, req


def reflected_task(r):
    """RunTask built only from reflected descriptors."""
    run, Spec = r.method("flexnet.v1.Flexnet", "RunTask")
    s = Spec()
    st = s.steps.add()
    st.kind = r.pool.FindEnumTypeByName(
        "flexnet.v1.StepKind").values_by_name["STEP_KIND_COMMANDS"].number
    st.commands.extend(COMMANDS)
    s.name = "reflected"
    s.credentials.username = "admin"
    s.credentials.password_env = PASSWORD_ENV
    results, summary = 0, None
    for ev in run(s, timeout=120):
        kind = ev.WhichOneof("event")
        results += kind == "result"
        if kind == "summary":
            summary = ev.summary
    check(summary is not None, "reflected RunTask: no summary")
    check(results == DEVICES * len(COMMANDS), "reflected RunTask: %d "
          "results" % results)
    check(summary.connected == DEVICES, "reflected: %d connected" %
          summary.connected)


def t_reflection(mod, version):
    r = Reflected(env.channel(), mod, version)
    names = r.services()
    for want in ("flexnet.v1.Flexnet", "grpc.health.v1.Health",
                 "grpc.reflection.v1.ServerReflection",
                 "grpc.reflection.v1alpha.ServerReflection"):
        check(want in names, "%s: %s not listed (%s)" % (version, want,
                                                         names))
    # several requests on one stream, answered in order
    a = r.ask({"file_by_filename": "flexnet/v1/flexnet.proto"},
              {"file_containing_symbol": "flexnet.v1.Flexnet.GetTask"},
              {"file_containing_symbol": "flexnet.v1.Step"},
              {"file_containing_symbol": "no.such.Symbol"},
              {"all_extension_numbers_of_type": "flexnet.v1.TaskSpec"})
    for i in range(3):
        check(a[i].WhichOneof("message_response") ==
              "file_descriptor_response", "answer %d: %s" % (i, a[i]))
        names = [descriptor_pb2.FileDescriptorProto.FromString(b).name
                 for b in a[i].file_descriptor_response.file_descriptor_proto]
        check("flexnet/v1/flexnet.proto" in names, "answer %d: %s" %
              (i, names))
    check(a[3].error_response.error_code == grpc.StatusCode.NOT_FOUND.
          value[0], "unknown symbol: %s" % a[3])
    check(a[4].all_extension_numbers_response.base_type_name ==
          "flexnet.v1.TaskSpec", "extension numbers: %s" % a[4])
    check(a[1].original_request.file_containing_symbol ==
          "flexnet.v1.Flexnet.GetTask", "original_request not echoed")
    # every service can be described (grpcurl describe)
    for name in ("flexnet.v1.Flexnet", "grpc.health.v1.Health",
                 "grpc.reflection.v1.ServerReflection"):
        r.load_symbol(name)
    svc = r.pool.FindServiceByName("flexnet.v1.Flexnet")
    for m in ("RunTask", "GetTaskLog", "GetBackup", "ListVendors"):
        check(m in svc.methods_by_name, "Flexnet lacks %s" % m)
    check(svc.methods_by_name["RunTask"].server_streaming,
          "RunTask not a server stream")
    # calls with reflected types only
    vendors, Req = r.method("flexnet.v1.Flexnet", "ListVendors")
    got = [v.name for v in vendors(Req(), timeout=10).vendors]
    check("cisco_ios" in got, "reflected ListVendors: %s" % got)
    hc, HReq = r.method("grpc.health.v1.Health", "Check")
    check(hc(HReq(), timeout=10).status == 1, "reflected health")
    reflected_task(r)


def t_reflection_bad_request():
    """A request that does not parse ends the stream INVALID_ARGUMENT."""
    rpc = env.channel().stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=lambda b: b, response_deserializer=lambda b: b)
    c = code_of(lambda: list(rpc(iter([b"\xff\xff\xff"]), timeout=10)))
    check(c == grpc.StatusCode.INVALID_ARGUMENT, "garbage gave %s" % c)


# ---------------------------------------------------------------------------
# /metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? '
                    r'(-?[0-9.e+]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape():
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                METRICS_PORT, timeout=10) as r:
        check(r.headers["Content-Type"].startswith("text/plain; "
                                                   "version=0.0.4"),
              "content type %s" % r.headers["Content-Type"])
        return parse_metrics(r.read().decode())


def parse_metrics(text):
    """Prometheus text format 0.0.4 -> {(name, labels): value}; checks
    every sample has a TYPE and histograms are consistent."""
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            check(typ in ("counter", "gauge", "histogram", "summary"), line)
            check(name not in types, "TYPE twice: %s" % name)
            types[name] = typ
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        check(m, "not a sample line: %r" % line)
        name, labels = m.group(1), tuple(LABEL.findall(m.group(3) or ""))
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        check(name in types or (base in types and types[base] in
                                ("histogram", "summary")),
              "untyped sample %s" % name)
        check((name, labels) not in samples, "duplicate %s%s" % (name,
                                                                  labels))
        samples[(name, labels)] = float(m.group(4))
    for (name, labels), v in samples.items():
        if name.endswith("_bucket"):
            continue
        if name.endswith("_count") and types.get(name[:-6]) == "histogram":
            inf = dict(labels)
            inf["le"] = "+Inf"
            key = (name[:-6] + "_bucket", tuple(sorted(inf.items())))
            b = {tuple(sorted(dict(l).items())): x for (n, l), x in
                 samples.items() if n == name[:-6] + "_bucket"}
            check(b.get(key[1]) == v, "%s: +Inf bucket != count" % name)
    return samples


def val(s, name, **labels):
    for (n, ls), v in s.items():
        if n == name and all(dict(ls).get(k) == str(x) for k, x in
                             labels.items()):
            return v
    return 0.0


def t_metrics():
    before = scrape()
    check(val(before, "flexnet_tasks_running") == 0, "a task runs already")
    box = {}

    def run():
        box["kinds"], box["summary"] = run_task(
            env.stub(), spec(COMMANDS + ("show slow",), name="metrics"))
    th = threading.Thread(target=run)
    th.start()
    seen_running = False
    deadline = time.monotonic() + 60
    while th.is_alive() and time.monotonic() < deadline:
        now = scrape()
        if val(now, "flexnet_tasks_running") == 1 and \
                val(now, "flexnet_connects_total", outcome="ok") > \
                val(before, "flexnet_connects_total", outcome="ok"):
            seen_running = True
            check(val(now, "flexnet_grpc_calls_active") >= 1,
                  "RunTask not counted as an active call")
            break
        time.sleep(0.05)
    th.join(120)
    check(seen_running, "counters never moved while the task ran")
    after = scrape()
    s = box["summary"]
    check(s is not None and s.connected == DEVICES, "metrics task: %s" % s)
    d = lambda n, **l: val(after, n, **l) - val(before, n, **l)  # noqa
    check(d("flexnet_connects_total", outcome="ok") == DEVICES,
          "connects ok moved by %s" % d("flexnet_connects_total",
                                        outcome="ok"))
    results = box["kinds"].get("result", [])
    by_code = {}
    for e in results:
        by_code[e.result.exit_code] = by_code.get(e.result.exit_code, 0) + 1
    for code, n in by_code.items():
        check(d("flexnet_commands_total", exit_code=code) == n,
              "exit %d: metrics %s, stream %d" % (
                  code, d("flexnet_commands_total", exit_code=code), n))
    check(d("flexnet_tasks_total", status="done") == 1, "tasks done")
    check(d("flexnet_grpc_calls_total", method="flexnet.v1.Flexnet/RunTask",
            code="OK") == 1, "RunTask OK not counted")
    timed = sum(n for c, n in by_code.items() if c != -2)
    hist = sum(v for (n, l), v in after.items()
               if n == "flexnet_command_duration_seconds_count") - \
        sum(v for (n, l), v in before.items()
            if n == "flexnet_command_duration_seconds_count")
    check(hist == timed, "latency histogram count %s, results %d" %
          (hist, timed))
    out_bytes = sum(len(e.result.stdout) + len(e.result.stderr)
                    for e in results)
    check(d("flexnet_device_bytes_total", direction="in") == out_bytes,
          "bytes in %s, stream carried %d" % (
              d("flexnet_device_bytes_total", direction="in"), out_bytes))
    check(val(after, "flexnet_sessions_started_total") >= DEVICES,
          "sessions started")
    check(val(after, "flexnet_store_map_bytes") > 0, "store map size")
    commits = d("flexnet_store_commit_seconds_count")
    check(commits > 0 and d("flexnet_store_commit_seconds_sum") > 0,
          "store commits during the task: %s" % commits)
    check(val(after, "flexnet_tasks_running") == 0, "task still running")
    # unknown paths and methods
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/other" % METRICS_PORT,
                               timeout=10)
        fail("/other answered")
    except urllib.error.HTTPError as e:
        check(e.code == 404, "/other gave %d" % e.code)


# ---------------------------------------------------------------------------
# GetTaskLog follow

def t_log_follow():
    stub = env.stub()
    events = stub.RunTask(spec(COMMANDS + ("show slow",), name="follow"),
                          timeout=120)
    first = next(events)
    tid = first.task_id
    done = {}

    def drain():
        for ev in events:
            if ev.WhichOneof("event") == "summary":
                done["at"] = time.monotonic()
    th = threading.Thread(target=drain)
    th.start()
    lines, times = [], []
    for line in stub.GetTaskLog(pb.GetTaskLogRequest(task_id=tid,
                                                     follow=True),
                                timeout=120):
        lines.append(line)
        times.append(time.monotonic())
    end = time.monotonic()
    th.join(60)
    check("at" in done, "the task never finished")
    check(end >= done["at"] - 0.5,
          "follow ended %.2fs before the task" % (done["at"] - end))
    early = sum(1 for t in times if t < done["at"])
    check(early > 0, "no line arrived while the task ran")
    stored = list(stub.GetTaskLog(pb.GetTaskLogRequest(task_id=tid),
                                  timeout=30))
    check([l.seq for l in lines] == [l.seq for l in stored],
          "follow saw %d lines, the store holds %d" % (len(lines),
                                                       len(stored)))
    check(any("summary" in l.text or "done" in l.text for l in lines[-3:]),
          "the last lines are not the task's end: %s" %
          [l.text for l in lines[-3:]])
    # a finished task: follow reads to the end and stops at once
    t0 = time.monotonic()
    again = list(stub.GetTaskLog(pb.GetTaskLogRequest(task_id=tid,
                                                      follow=True),
                                 timeout=30))
    check(len(again) == len(stored) and time.monotonic() - t0 < 5,
          "follow of a finished task")


# ---------------------------------------------------------------------------
# Health Watch (stops the daemon: runs last)

def t_watch_unknown():
    hs = health_pb2_grpc.HealthStub(env.channel())
    it = hs.Watch(health_pb2.HealthCheckRequest(service="no.such"),
                  timeout=10)
    check(next(it).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN,
          "unknown service not SERVICE_UNKNOWN")
    it.cancel()


def t_watch_drain():
    hs = health_pb2_grpc.HealthStub(env.channel())
    watch = hs.Watch(health_pb2.HealthCheckRequest(service=""), timeout=120)
    check(next(watch).status == health_pb2.HealthCheckResponse.SERVING,
          "Watch did not start SERVING")
    # a task that outlives the signal keeps the drain going a while
    events = env.stub().RunTask(spec(COMMANDS + ("show slow",) * 3,
                                     name="drain"), timeout=120)
    next(events)
    env.terminate()
    t0 = time.monotonic()
    st = next(watch).status
    check(st == health_pb2.HealthCheckResponse.NOT_SERVING,
          "Watch got %s after SIGTERM" % st)
    got_summary = False
    for ev in events:
        got_summary |= ev.WhichOneof("event") == "summary"
    check(got_summary, "the draining task's stream lost its summary")
    rest = list(watch)  # ends OK once the drain is over
    check(not rest, "Watch sent more: %s" % rest)
    check(time.monotonic() - t0 < 30, "drain took too long")
    check(env.stop() == 0, "flexnetd exit code")


def t_json_logs():
    path = env.stderr_path
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    check(lines, "no log lines")
    tasks = 0
    for l in lines:
        try:
            o = json.loads(l)
        except ValueError:
            fail("not JSON: %r" % l)
        check({"time", "level", "msg"} <= set(o), "fields: %r" % l)
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$",
                       o["time"]), "time %r" % o["time"])
        tasks += "task" in o
    check(tasks > 0, "no line carries a task id")


def main_tests():
    global env
    with Env(PORT, devices=DEVICES, sim_args=["--latency-ms", "100"],
             daemon_args=["--metrics-listen", "127.0.0.1:%d" % METRICS_PORT,
                          "--log-format", "json", "--verbose",
                          "--drain-ms", "20000"]) as e:
        env = e
        main([("reflection v1", lambda: t_reflection(refl_v1, "v1")),
              ("reflection v1alpha",
               lambda: t_reflection(refl_v1alpha, "v1alpha")),
              ("reflection bad request", t_reflection_bad_request),
              ("metrics", t_metrics),
              ("log follow", t_log_follow),
              ("watch unknown service", t_watch_unknown),
              ("watch drain", t_watch_drain),
              ("json logs", t_json_logs)])


if __name__ == "__main__":
    main_tests()
