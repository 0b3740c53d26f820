#!/usr/bin/python3
"""test_cli_trickle.py — end to end: a command never ends early or
steals the next one's output.

A device behind paramiko's SSH server (devices/trickle_device.py, not our
simulator) writes its output 1-3 bytes at a time, and `show banner`
prints a line that reads exactly like its prompt ("r1#"). The engine used
to take that line for the end of the command: the rest of the banner
landed in the next command's stdout. Each command's stdout must hold
exactly its own output. The device also refuses `terminal width 511`:
the connection row carries that as a warning (it was silent).

Port 28650 (the CLI suites' range).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_util import check, finish, flexnet, json_lines, tempdir, write

PORT = 28650


def main():
    work = tempdir("fn-trickle-")
    dev = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "devices", "trickle_device.py"),
         str(PORT)], stdout=subprocess.PIPE, text=True)
    try:
        check(dev.stdout.readline().strip() == "ready", "device listening")
        inv = write(os.path.join(work, "inv.ini"),
                    "[lab]\n127.0.0.1:%d name=r1 vendor=cisco_ios\n" % PORT)
        p = flexnet(["run", "-i", inv, "-g", "lab", "-u", "admin",
                     "--password-env", "FN_T_PW", "-c", "show banner", "-c",
                     "show clock", "--json", "--db",
                     os.path.join(work, "db")], env={"FN_T_PW": "admin"})
        check(p.returncode == 0, "exit 0, got %d: %s" % (p.returncode,
                                                         p.stderr[-500:]))
        events = json_lines(p.stdout)
        res = {r["command"]: r for r in events if r["type"] == "result"}
        conn = [c for c in events if c["type"] == "connection"]
        check(len(conn) == 1 and conn[0]["status"] == "ok" and
              "terminal width 511" in conn[0].get("warning", "") and
              "Invalid input" in conn[0].get("warning", ""),
              "a refused setup command is a warning: %r" % conn)
        banner = res.get("show banner", {}).get("stdout", "")
        clock = res.get("show clock", {}).get("stdout", "")
        check(banner == "*** lab router ***\nr1#\nauthorized use only\n",
              "show banner holds its whole output: %r" % banner)
        check(clock == "*10:00:00.000 UTC Sun Dec 6 2026\n",
              "show clock holds only its own output: %r" % clock)
    finally:
        dev.kill()
        dev.wait()
    finish("test_cli_trickle")


if __name__ == "__main__":
    main()
