#!/usr/bin/python3
"""test_cli_stall.py — a config line whose bytes never left is not "may
have applied".

A device behind paramiko's SSH server (devices/stall_device.py) stops
reading in config mode on its first session and drops it, so a 60 KB
config line cannot be written whole (the SSH window fills). Nothing of
the line reached the device: the step is redone on the next session and
succeeds. It was reported -1 "the change may have applied; not repeated"
because a line in flight counted as sent whether or not its bytes left.

Port 28660 (the CLI suites' range).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_util import check, finish, flexnet, json_lines, tempdir, write

PORT = 28660


def main():
    work = tempdir("fn-stall-")
    dev = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(os.path.dirname(
            os.path.abspath(__file__)), "devices", "stall_device.py"),
         str(PORT)], stdout=subprocess.PIPE, text=True)
    try:
        check(dev.stdout.readline().strip() == "ready", "device listening")
        inv = write(os.path.join(work, "inv.ini"),
                    "[lab]\n127.0.0.1:%d name=r1 vendor=cisco_ios\n" % PORT)
        line = "description " + "x" * 60000
        p = flexnet(["run", "-i", inv, "-g", "lab", "-u", "admin",
                     "--password-env", "FN_T_PW", "--config-line", line,
                     "--command-timeout", "10", "--json", "--db",
                     os.path.join(work, "db")], env={"FN_T_PW": "admin"})
        res = [r for r in json_lines(p.stdout) if r["type"] == "result"]
        check(len(res) == 1 and res[0]["exit_code"] == 0,
              "the unsent line was redone on the next session: %r %s" % (
                  [(r["exit_code"], r["reason"]) for r in res],
                  p.stderr[-300:]))
    finally:
        dev.kill()
        dev.wait()
    finish("test_cli_stall")


if __name__ == "__main__":
    main()
