#!/usr/bin/python3
"""test_cli_secrets.py — end to end: a password given by environment,
by terminal prompt, or inline (-p) is used (the devices accept it) and
appears nowhere: not in `ps` output or /proc/PID/cmdline while flexnet
runs, not in its output (human or --json), not in the task log or
`tasks show --json`, not in any byte of the store's files; the prompt
does not echo it. Ports 28200-28299.
"""
import os
import pty
import re
import subprocess
import time

from test_cli_util import (CLI, Sim, check, finish, flexnet, tempdir)

BASE = 28200
N = 6
SECRET = "Pw-7xq-SECRET-e2e"
ENABLE = "En-3kz-SECRET-e2e"
LEAKS = (SECRET.encode(), ENABLE.encode())


def no_leak(data, where):
    if isinstance(data, str):
        data = data.encode()
    for s in LEAKS:
        check(s not in data, "%s leaks %r" % (where, s))


def ps_snapshot(pid):
    """Everything ps and /proc show about the running process."""
    ps = subprocess.run(["ps", "-eo", "pid,args", "-ww"], capture_output=True,
                        text=True).stdout
    # The simulator is given the password on its command line: skip it.
    ps = "\n".join(l for l in ps.splitlines() if "flexnet-sim" not in l)
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
    except OSError:
        cmdline = b""
    return ps, cmdline


def argv_for(inv, db, *extra):
    return [CLI, "run", "-i", inv, "-g", "all", "-u", "admin", "-c",
            "show version", "-c", "show clock", "--backup", "--db", db
            ] + list(extra)


def watch_running(proc, label):
    """Waits for the task line (secrets are read and wiped by then), then
    checks ps while the (slowed-down) task runs."""
    first = proc.stdout.readline()
    check(first.startswith("task "), "%s: task line first, got %r"
          % (label, first))
    snaps = 0
    while proc.poll() is None and snaps < 5:
        ps, cmdline = ps_snapshot(proc.pid)
        no_leak(ps, label + ": ps output")
        no_leak(cmdline, label + ": /proc/PID/cmdline")
        snaps += 1
        time.sleep(0.05)
    check(snaps > 0, "%s: ps looked while flexnet ran" % label)
    out, err = proc.communicate(timeout=90)
    return first + out, err


def check_env(inv, db):
    env = dict(os.environ, FN_T_PW=SECRET, FN_T_EN=ENABLE)
    proc = subprocess.Popen(argv_for(inv, db, "--password-env", "FN_T_PW",
                                     "--enable-password-env", "FN_T_EN"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    out, err = watch_running(proc, "env")
    check(proc.returncode == 0, "env password accepted: exit %d %r"
          % (proc.returncode, err + out[-300:]))
    no_leak(out + err, "env: output")
    p = flexnet(["run", "-i", inv, "-g", "all", "-u", "admin",
                 "--password-env", "FN_T_PW", "--enable-password-env",
                 "FN_T_EN", "-c", "show version", "--json", "--db", db],
                env={"FN_T_PW": SECRET, "FN_T_EN": ENABLE})
    check(p.returncode == 0 and p.stdout.count('"type":"result"') == N,
          "env --json run ok")
    no_leak(p.stdout + p.stderr, "--json output")


def check_inline(inv, db):
    proc = subprocess.Popen(argv_for(inv, db, "-p", SECRET,
                                     "--enable-password", ENABLE),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out, err = watch_running(proc, "-p")
    check(proc.returncode == 0, "-p password accepted: exit %d"
          % proc.returncode)
    check("puts the password on the command line" in err, "-p warns")
    no_leak(out + err, "-p: output")


def pty_expect(fd, want, transcript, deadline):
    while want not in transcript[0]:
        if time.monotonic() > deadline:
            return False
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        transcript[0] += chunk
    return True


def check_prompt(inv, db):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(CLI, argv_for(inv, db, "--password-prompt",
                               "--enable-password-prompt"))
    transcript = [b""]
    deadline = time.monotonic() + 60
    ok = pty_expect(fd, b"Password: ", transcript, deadline)
    check(ok, "prompt asks for the password: %r" % transcript[0])
    os.write(fd, SECRET.encode() + b"\n")
    ok = pty_expect(fd, b"Enable password: ", transcript, deadline)
    check(ok, "prompt asks for the enable password: %r" % transcript[0])
    os.write(fd, ENABLE.encode() + b"\n")
    ok = pty_expect(fd, b"\ntask ", transcript, deadline)
    ps, cmdline = ps_snapshot(pid)
    no_leak(ps, "prompt: ps output")
    pty_expect(fd, b"\x00never", transcript, deadline)  # read to EOF
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
          "prompted password accepted: status %r, %r"
          % (status, transcript[0][-400:]))
    no_leak(transcript[0], "prompt: terminal (echo)")
    check(re.search(rb"\r\x1b\[K +\d+%% of %d devices: \d+ connected, \d+ "
                    rb"failed, \d+ done, \d+/s, ETA " % N, transcript[0]),
          "a terminal gets the live progress line")


def check_store(db):
    p = flexnet(["tasks", "list", "--all", "--json", "--db", db])
    no_leak(p.stdout, "tasks list")
    ids = [l.split('"id":"')[1][:16] for l in p.stdout.splitlines()]
    check(len(ids) == 4, "four tasks stored, got %d" % len(ids))
    for tid in ids:
        for argv in (["tasks", "log", tid], ["tasks", "show", tid, "--json"],
                     ["tasks", "show", tid, "-v"]):
            p = flexnet(argv + ["--db", db])
            check(p.returncode == 0, "%s exits 0" % argv)
            no_leak(p.stdout, " ".join(argv[:2]))
    files = 0
    for name in os.listdir(db):
        with open(os.path.join(db, name), "rb") as f:
            no_leak(f.read(), "store file " + name)
        files += 1
    check(files >= 1, "the store has files")


def main():
    work = tempdir("fn-cli-sec-")
    db = os.path.join(work, "db")
    with Sim(work, N, BASE, vendor="cisco_ios", password=SECRET,
             enable=ENABLE, extra=("--latency-ms", "60-90")) as sim:
        check_env(sim.inventory, db)
        check_inline(sim.inventory, db)
        check_prompt(sim.inventory, db)
    check_store(db)
    finish("test_cli_secrets")


if __name__ == "__main__":
    main()
