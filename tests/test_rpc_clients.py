"""test_rpc_clients.py — the example gRPC clients in three languages
(examples/python, examples/node, examples/go) against flexnetd and 50
simulated devices: each runs a task with streamed results, applies a
config line with a backup, reads the newest backup in chunks (size and
sha256 checked) and diffs it. The Go client is built offline from
Debian's Go sources (examples/go/build.sh), the Node one runs on
@grpc/grpc-js from .tools/ (scripts/bootstrap). The server's view is
checked too: every client's tasks are stored DONE with 50 devices.
Ports 31720-31779.
"""
import os
import re
import subprocess
import tempfile

from test_rpc_lib import (BIN, ENABLE_ENV, PASSWORD_ENV, Env, check, main,
                          pb)

SRC = os.environ.get("FN_TEST_SRC", os.path.join(os.path.dirname(
    os.path.abspath(__file__)), ".."))
PORT = 31720
DEVICES = 50
TOOLS = os.path.join(SRC, ".tools", "node_modules")
env = None


def run_client(name, argv, line, extra_env=None):
    e = dict(os.environ)
    e.update({"FLEXNET_ADDR": "127.0.0.1:%d" % PORT,
              "FLEXNET_PASSWORD_ENV": PASSWORD_ENV,
              "FLEXNET_ENABLE_ENV": ENABLE_ENV,
              "FLEXNET_CONFIG_LINE": line})
    e.update(extra_env or {})
    p = subprocess.run(argv, capture_output=True, text=True, env=e,
                       timeout=300)
    check(p.returncode == 0, "%s client: exit %d\n%s\n%s" % (
        name, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    out = p.stdout
    results = re.findall(r'^result \S+ "show version" exit=0$', out, re.M)
    check(len(results) == DEVICES, "%s: %d streamed results" %
          (name, len(results)))
    check(re.search(r"^\+%s$" % re.escape(line), out, re.M),
          "%s: the diff lacks +%s" % (name, line))
    # a result per device for the command and one for the backup step
    check(re.search(r"^ok: %d devices, %d results streamed, backup "
                    r"[0-9a-f]{16} of \S+ \(\d+ bytes\) diffed$" %
                    (DEVICES, 2 * DEVICES), out, re.M),
          "%s: no ok line:\n%s" % (name, out[-1000:]))
    # the server stored both tasks, all devices DONE
    tasks = env.stub().ListTasks(pb.ListTasksRequest(page_size=2),
                                 timeout=10).tasks
    check([t.name for t in tasks] == ["%s-change" % name, "%s-show" % name],
          "%s: stored tasks %s" % (name, [t.name for t in tasks]))
    check(all(t.status == pb.TASK_STATUS_DONE for t in tasks),
          "%s: tasks not DONE" % name)


def t_python():
    run_client("python", ["/usr/bin/python3", os.path.join(
        SRC, "examples", "python", "flexnet_client.py")],
        "ntp server 192.0.2.11",
        {"PYTHONPATH": os.path.join(BIN, "rpc", "py")})


def t_node():
    check(os.path.isdir(os.path.join(TOOLS, "@grpc", "grpc-js")),
          "@grpc/grpc-js missing from .tools: run scripts/bootstrap")
    run_client("node", ["node", os.path.join(SRC, "examples", "node",
                                             "flexnet_client.js")],
               "ntp server 192.0.2.12", {"NODE_PATH": TOOLS})


def t_go():
    exe = os.path.join(tempfile.mkdtemp(prefix="fn-go-"), "flexnet-client")
    cache = os.path.join(BIN, "go-cache")  # rebuilds reuse it
    p = subprocess.run(["bash", os.path.join(SRC, "examples", "go",
                                             "build.sh"), exe],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, GOCACHE=cache))
    check(p.returncode == 0, "go build: %s" % p.stderr[-3000:])
    run_client("go", [exe], "ntp server 192.0.2.13")


if __name__ == "__main__":
    with Env(PORT, devices=DEVICES, sim_args=["--vendor", "cisco_ios"]) as e:
        env = e
        main([("python client", t_python), ("node client", t_node),
              ("go client", t_go)])
