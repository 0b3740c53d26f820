#!/usr/bin/python3
"""test_real_sshd.py — end to end against a server we did not write:
Debian's OpenSSH sshd, started here on 127.0.0.1 with a scripted device
shell (tests/devices/shell_device.py) behind ForceCommand.

- password login (PasswordAuthentication yes);
- keyboard-interactive only (PasswordAuthentication no,
  KbdInteractiveAuthentication yes, PAM asks "Password: "): it failed
  with "password rejected";
- publickey only and no key: the reason names the methods offered;
- a wrong password: the reason names what was offered and tried;
- output that ends without its newline before the prompt: it timed out
  (exit -3 after the command timeout);
- an MOTD banner holding '#', '>' and prompt-like lines;
- a device that takes 3 s to show its first prompt, and --login-timeout
  shorter than that: the reason quotes what it said last.

Ports 28600-28619 (the CLI suites' range). Needs root (sshd logs users
in): skipped with a clear message without /usr/sbin/sshd or root.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sshd_fixture import Sshd, skip_unless_available
from test_cli_util import check, finish, flexnet, json_lines, tempdir

BASE = 28600


def run(work, d, *args, env=None, inv_extra="", password=True):
    inv = d.inventory(os.path.join(work, "inv-%d.ini" % d.port),
                      extra=inv_extra)
    argv = ["run", "-i", inv, "-g", "lab", "-u", d.user, "--json", "--db",
            os.path.join(work, "db")]
    if password:
        argv += ["--password-env", "FN_T_PW"]
    e = {"FN_T_PW": d.password}
    e.update(env or {})
    p = flexnet(argv + list(args), env=e)
    ev = json_lines(p.stdout)
    return p, [x for x in ev if x["type"] == "connection"], \
        {r["command"]: r for r in ev if r["type"] == "result"}


def check_password(work):
    with Sshd(BASE, password=True, kbdint=False) as d:
        p, conns, res = run(work, d, "-c", "show version")
        check(p.returncode == 0 and conns[0]["status"] == "ok",
              "password login: %r %s" % (conns, p.stderr[-300:]))
        check("Version 15.2" in res["show version"]["stdout"],
              "show version output: %r" % res)


def check_kbdint_only(work):
    with Sshd(BASE + 1, password=False, kbdint=True) as d:
        p, conns, res = run(work, d, "-c", "show version")
        check(p.returncode == 0 and conns and conns[0]["status"] == "ok",
              "keyboard-interactive login: %r %s" % (conns, p.stderr[-300:]))
        # a wrong password: the reason says what was offered and tried
        p, conns, res = run(work, d, "-c", "show version",
                            env={"FN_T_PW": "wrong"})
        r = conns[0]["reason"] if conns else ""
        offers = r.split("; tried")[0]
        check(p.returncode == 3 and r.startswith("authentication failed: "
                                                 "server offers") and
              "keyboard-interactive" in offers and "password" not in offers
              and "tried keyboard-interactive: password not accepted" in r,
              "wrong password, kbd-int: %r" % r)


def check_pubkey_only(work):
    with Sshd(BASE + 2, password=False, kbdint=False) as d:
        p, conns, res = run(work, d, "-c", "show version")
        r = conns[0]["reason"] if conns else ""
        check(p.returncode == 3 and "server offers publickey" in r and
              "no credentials" in r,
              "publickey only, no key: %r" % r)


def check_no_newline(work):
    with Sshd(BASE + 3, scenario="nonl") as d:
        t0 = time.time()
        p, conns, res = run(work, d, "-c", "show nonl", "-c", "show clock",
                            "--command-timeout", "10")
        took = time.time() - t0
        nonl = res.get("show nonl", {})
        check(p.returncode == 0 and nonl.get("exit_code") == 0 and
              nonl.get("stdout") == "no newline at the end\n",
              "output without its last newline: %r" % nonl)
        check(took < 5, "done at the prompt, not at the timeout (%.1f s)"
              % took)
        check(res.get("show clock", {}).get("stdout", "").startswith(
            "*10:00:00"), "the next command unaffected: %r" % res)


def check_banner(work):
    with Sshd(BASE + 4, scenario="banner") as d:
        p, conns, res = run(work, d, "-c", "show version", "-c",
                            "show clock")
        check(p.returncode == 0 and
              "Version 15.2" in res["show version"]["stdout"] and
              res["show clock"]["stdout"].startswith("*10:00"),
              "a banner with prompt-like lines: %r %s"
              % (res, p.stderr[-300:]))


def check_slow_prompt(work):
    with Sshd(BASE + 5, scenario="slow") as d:
        p, conns, res = run(work, d, "-c", "show version")
        check(p.returncode == 0 and conns[0]["status"] == "ok",
              "a 3 s first prompt within the default login timeout: %r"
              % conns)
        p, conns, res = run(work, d, "-c", "show version",
                            "--login-timeout", "1")
        r = conns[0]["reason"] if conns else ""
        check(p.returncode == 3 and "no prompt within the login timeout" in r
              and "last bytes received" in r,
              "--login-timeout 1 on a 3 s prompt: %r" % r)


def main():
    skip_unless_available("test_real_sshd")
    work = tempdir("fn-sshd-")
    check_password(work)
    check_kbdint_only(work)
    check_pubkey_only(work)
    check_no_newline(work)
    check_banner(work)
    check_slow_prompt(work)
    finish("test_real_sshd")


if __name__ == "__main__":
    main()
