#!/usr/bin/python3
"""test_cli_tty.py — end to end: what `flexnet run` does on a terminal and
with signals (ports 28300-28399; 28390 never listens): --connect-first
asks whether to go on when devices failed (answered y and n through a
pty), --yes does not ask, Ctrl-C (SIGINT) or SIGTERM cancels the task and
stores it as cancelled; a closed output pipe does not stop a task; also
--commands-file, --config-lines-file and the task log.
"""
import os
import pty
import signal
import subprocess
import time

from test_cli_util import (CLI, Sim, check, finish, flexnet, json_lines,
                           tempdir, write)

BASE = 28300
DEAD = 28390
ENV = {"FN_T_PW": "admin", "FN_T_EN": "enable"}


def run_argv(inv, db, *extra):
    return [CLI, "run", "-i", inv, "-g", "all", "-u", "admin",
            "--password-env", "FN_T_PW", "--enable-password-env", "FN_T_EN",
            "--connect-timeout", "2", "--db", db] + list(extra)


def pty_run(argv, answer):
    """Runs argv on a pty; answers the go-on question with `answer`.
    Returns (exit status, transcript, asked)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(ENV)
        os.execv(argv[0], argv)
    out, asked = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not asked and b"[y/N]" in out:
            asked = True
            os.write(fd, answer + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.WEXITSTATUS(status), out, asked


def last_task(db):
    p = flexnet(["tasks", "list", "--json", "--db", db])
    return json_lines(p.stdout)[0]


def check_question(inv, db):
    argv = run_argv(inv, db, "--connect-first", "-c", "show clock")
    rc, out, asked = pty_run(argv, b"n")
    check(asked and b"1 of 5 devices failed to connect" in out,
          "a terminal is asked: %r" % out[-500:])
    check(b"\r\nconnections\r\n" in out,
          "the report comes before the question")
    t = last_task(db)
    check(rc == 1 and t["status"] == "failed" and t["commands"] == 0,
          "answer n stops the task (%d, %r)" % (rc, t))
    rc, out, asked = pty_run(argv, b"y")
    t = last_task(db)
    check(asked and rc == 1 and t["status"] == "done" and
          t["commands"] == 4, "answer y goes on (%d, %r)" % (rc, t))
    rc, out, asked = pty_run(argv + ["--yes"], b"n")
    check(not asked and rc == 1 and last_task(db)["commands"] == 4,
          "--yes does not ask")


def check_signal(inv, db, sig, word):
    cmds = []
    for _ in range(10):  # >= 10 round trips of >= 40 ms: the signal lands
        cmds += ["-c", "show clock"]
    proc = subprocess.Popen(run_argv(inv, db, *cmds),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, **ENV))
    first = proc.stdout.readline()
    check(first.startswith("task "), "task line first: %r" % first)
    proc.send_signal(sig)  # handled from the task line on
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 1 and (word + ", cancelling") in err,
          "%s: exit 1 (%d %r)" % (word, proc.returncode, err))
    t = last_task(db)
    check(t["status"] == "cancelled" and t["id"] == first.split()[1],
          "the stored task is cancelled: %r" % t)


def check_closed_pipe(inv, db):
    """`flexnet run ... | head -1`: the task still runs to its end."""
    proc = subprocess.Popen(run_argv(inv, db, "-c", "show clock", "-c",
                                     "show version", "--json"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, **ENV))
    first = proc.stdout.readline()
    proc.stdout.close()
    proc.wait(timeout=60)
    t = last_task(db)
    check(first.startswith(b'{"type":"connection"') and
          t["status"] == "done" and t["commands"] == 8,
          "a closed pipe does not stop the task: %r" % t)


def check_files_and_log(work, inv, db):
    cmds = write(os.path.join(work, "cmds.txt"),
                 "# audit\nshow version\n\nshow clock\r\nshow foo bar\n")
    cfg = write(os.path.join(work, "cfg.txt"), "ntp server 10.7.7.7\n")
    p = flexnet(["run", "-i", inv, "--host", "127.0.0.1:%d" % BASE, "-u",
                 "admin", "--password-env", "FN_T_PW", "--enable-password-env",
                 "FN_T_EN", "--commands-file", cmds, "--config-lines-file",
                 cfg, "--backup", "--json", "--db", db], env=ENV)
    res = [e for e in json_lines(p.stdout) if e["type"] == "result"]
    check([r["command"] for r in res] ==
          ["show version", "show clock", "show foo bar",
           "ntp server 10.7.7.7", "show running-config"],
          "file lines in order, comments and blanks skipped: %r"
          % [r["command"] for r in res])
    check(p.returncode == 1, "the invalid line fails the run")
    tid = res[0]["task_id"]
    p = flexnet(["tasks", "log", tid, "--db", db])
    log = p.stdout
    check("127.0.0.1:%d: connected to" % BASE in log and
          "ERROR 127.0.0.1:%d: step 1: show foo bar -> exit 1: %%" % BASE
          in log and "backup " in log and "task done:" in log,
          "the task log tells what happened: %r" % log)
    line = [l for l in log.splitlines() if ": backup " in l][0]
    bid = line.split(": backup ")[1].split(":")[0]
    p = flexnet(["backups", "get", bid, "--db", db])
    check("ntp server 10.7.7.7" in p.stdout, "the config line is in the "
          "backup taken after it")


def main():
    work = tempdir("fn-cli-tty-")
    db = os.path.join(work, "db")
    with Sim(work, 4, BASE, vendor="cisco_ios",
             extra=("--latency-ms", "40-60")) as sim:
        with open(sim.inventory) as f:
            text = f.read()
        inv = write(os.path.join(work, "fleet.ini"), text +
                    "127.0.0.1:%d vendor=cisco_ios\n" % DEAD)
        check_question(inv, db)
        check_signal(sim.inventory, db, signal.SIGINT, "interrupted")
        check_signal(sim.inventory, db, signal.SIGTERM, "terminated")
        check_closed_pipe(sim.inventory, db)
        check_files_and_log(work, sim.inventory, db)
    finish("test_cli_tty")


if __name__ == "__main__":
    main()
