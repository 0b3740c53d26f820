#!/usr/bin/python3
"""test_real_sshd.py — end to end against a server we did not write:
Debian's OpenSSH sshd, started here on 127.0.0.1 with a scripted device
shell (tests/devices/shell_device.py) behind ForceCommand.

- password login (PasswordAuthentication yes);
- keyboard-interactive only (PasswordAuthentication no,
  KbdInteractiveAuthentication yes, PAM asks "Password: "): it failed
  with "password rejected";
- publickey only and no key: the reason names the methods offered;
  --key-file, and --ssh-agent with the key in a running ssh-agent;
- auth= in the inventory sets the methods and their order;
- a wrong password: the reason names what was offered and tried;
- output that ends without its newline before the prompt: it timed out
  (exit -3 after the command timeout);
- an MOTD banner holding '#', '>' and prompt-like lines;
- a device that takes 3 s to show its first prompt, and --login-timeout
  shorter than that: the reason quotes what it said last;
- a question ("Destination filename [startup-config]?"): unanswered, the
  command ends within seconds (exit -3, the question as its reason);
  answered by --expect, or by the profile's save (--save);
- `hostname NEW` in config mode: the prompt changes at once, the
  following lines still finish;
- ANSI colour codes (stripped), a 5 MB output (complete), an echo the
  device wraps at 80 columns (not output), an echo one byte every 20 ms.

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


def check_auth_order(work):
    """auth= in the inventory: a server offering both password and
    keyboard-interactive is logged in with keyboard-interactive only when
    the host says so; a wrong name is refused before connecting."""
    with Sshd(BASE + 11, password=True, kbdint=True) as d:
        p, conns, res = run(work, d, "-c", "show version",
                            env={"FN_T_PW": "wrong"},
                            inv_extra="auth=keyboard-interactive")
        r = conns[0]["reason"] if conns else ""
        check(p.returncode == 3 and "tried keyboard-interactive:" in r and
              "password," not in r.split("tried")[1],
              "auth=keyboard-interactive tries only that: %r" % r)
        p, conns, res = run(work, d, "-c", "show version",
                            inv_extra="auth=keyboard-interactive")
        check(p.returncode == 0, "auth=keyboard-interactive logs in: %r"
              % conns)
        p, conns, res = run(work, d, "-c", "show version",
                            inv_extra="auth=passwd")
        check(p.returncode == 2 and "methods are publickey" in p.stderr,
              "a wrong method name: %r" % p.stderr[-200:])


def check_pubkey_only(work):
    with Sshd(BASE + 2, password=False, kbdint=False) as d:
        p, conns, res = run(work, d, "-c", "show version")
        r = conns[0]["reason"] if conns else ""
        check(p.returncode == 3 and "server offers publickey" in r and
              "no credentials" in r,
              "publickey only, no key: %r" % r)


def check_keys(work):
    """publickey only: --key-file logs in; so does --ssh-agent with the
    key in a running ssh-agent (and without --ssh-agent it is not used)."""
    import subprocess
    key = os.path.join(work, "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    key], check=True)
    with Sshd(BASE + 10, password=False, kbdint=False,
              authorized_key=key + ".pub") as d:
        p, conns, res = run(work, d, "-c", "show version", "--key-file", key,
                            password=False)
        check(p.returncode == 0 and conns[0]["status"] == "ok",
              "--key-file: %r %s" % (conns, p.stderr[-200:]))
        sock = os.path.join(work, "agent.sock")
        agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock],
                                 stdout=subprocess.DEVNULL)
        try:
            for _ in range(50):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            subprocess.run(["ssh-add", "-q", key], check=True,
                           env=dict(os.environ, SSH_AUTH_SOCK=sock),
                           stderr=subprocess.DEVNULL)
            env = {"SSH_AUTH_SOCK": sock}
            p, conns, res = run(work, d, "-c", "show version", "--ssh-agent",
                                env=env, password=False)
            check(p.returncode == 0 and conns[0]["status"] == "ok",
                  "--ssh-agent: %r %s" % (conns, p.stderr[-200:]))
            p, conns, res = run(work, d, "-c", "show version", env=env)
            r = conns[0]["reason"] if conns else ""
            check(p.returncode == 3 and "server offers publickey" in r,
                  "the agent only when asked: %r" % r)
        finally:
            agent.kill()
            agent.wait()


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


def check_questions(work):
    """copy running-config startup-config asks "Destination filename
    [startup-config]?": unanswered it ends quickly with exit -3 and the
    question as the reason; --expect answers it; --save uses the
    profile's own save and answer."""
    with Sshd(BASE + 6, scenario="copy") as d:
        cmd = "copy running-config startup-config"
        t0 = time.time()
        p, conns, res = run(work, d, "-c", cmd, "--command-timeout", "20")
        took = time.time() - t0
        r = res.get(cmd, {})
        check(r.get("exit_code") == -3 and "Destination filename" in
              r.get("reason", "") and "no answer was given" in
              r.get("reason", ""), "an unexpected question: %r" % r)
        check(took < 8, "ended quickly, not at the 20 s timeout (%.1f s)"
              % took)
        p, conns, res = run(work, d, "-c", cmd, "--expect",
                            "Destination filename* => ")
        r = res.get(cmd, {})
        check(r.get("exit_code") == 0 and "[OK]" in r.get("stdout", ""),
              "--expect answers it: %r" % r)
        p, conns, res = run(work, d, "--save")
        check(res.get(cmd, {}).get("exit_code") == 0 and
              "[OK]" in res.get(cmd, {}).get("stdout", ""),
              "--save: the profile's save and answer: %r" % res)


def check_hostname_change(work):
    """`hostname core9` in config mode changes the prompt at once: the
    line and the next ones still finish (at the new prompt, after a
    second of quiet), not at the command timeout."""
    with Sshd(BASE + 7) as d:
        t0 = time.time()
        p, conns, res = run(work, d, "--config-line", "hostname core9",
                            "--config-line", "ntp server 10.1.1.1",
                            "--command-timeout", "20")
        took = time.time() - t0
        codes = [res.get(c, {}).get("exit_code") for c in
                 ("hostname core9", "ntp server 10.1.1.1")]
        check(p.returncode == 0 and codes == [0, 0],
              "lines after a prompt change: %r %s" % (res, p.stderr[-300:]))
        check(took < 10, "no command timeout on the new prompt (%.1f s)"
              % took)


def check_output_quirks(work):
    """ANSI colours out of stdout; 5 MB complete at streaming speed; an
    echo wrapped at 80 columns is not output (its second line was)."""
    with Sshd(BASE + 8, scenario="ansi,big") as d:
        p, conns, res = run(work, d, "-c", "show color", "-c", "show big")
        color = res.get("show color", {})
        check(color.get("stdout") == "Gi0/1  up\nGi0/2  down\n",
              "ANSI codes stripped: %r" % color.get("stdout"))
        big = res.get("show big", {})
        out = big.get("stdout", "")
        check(big.get("exit_code") == 0 and len(out) == 65536 * 80 and
              not big.get("truncated") and out.endswith("x 65535\n"),
              "5 MB complete: %d bytes" % len(out))
        check(big.get("duration_ms", 1e9) < 15000,
              "5 MB in %.0f ms" % big.get("duration_ms", 0))
    with Sshd(BASE + 12, scenario="slowecho") as d:
        p, conns, res = run(work, d, "-c", "show version", "-c",
                            "show clock")
        check(p.returncode == 0 and res["show version"]["stdout"] ==
              "Cisco IOS Software, Version 15.2(4)M7\nr1 uptime is 1 day\n"
              and res["show clock"]["stdout"].startswith("*10:00"),
              "a slow echo: %r" % res)
    with Sshd(BASE + 9, scenario="wrap") as d:
        long_cmd = "show " + "interfaces " * 12 + "version"
        p, conns, res = run(work, d, "-c", long_cmd, "-c", "show clock")
        r = res.get(long_cmd, {})
        # the device does not know the command (exit 1): what matters is
        # that no piece of the wrapped echo lands in stdout
        check(r.get("exit_code") == 1 and r.get("stdout") == "" and
              long_cmd in r.get("stderr", ""),
              "a wrapped echo is not output: %r" % r)
        check(res.get("show clock", {}).get("stdout", "").startswith(
            "*10:00"), "the next command after a wrapped echo: %r" % res)


def main():
    skip_unless_available("test_real_sshd")
    work = tempdir("fn-sshd-")
    check_password(work)
    check_kbdint_only(work)
    check_pubkey_only(work)
    check_keys(work)
    check_auth_order(work)
    check_no_newline(work)
    check_banner(work)
    check_slow_prompt(work)
    check_questions(work)
    check_hostname_change(work)
    check_output_quirks(work)
    finish("test_real_sshd")


if __name__ == "__main__":
    main()
