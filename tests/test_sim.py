#!/usr/bin/python3
"""flexnet-sim end-to-end: every vendor through paramiko's invoke_shell.

Per vendor: login prompt, enable (wrong then right password), pager on by
default, the vendor's paging-off commands, width command, version text,
invalid/incomplete/ambiguous errors with the caret at the right column,
config mode prompt, a config line that shows in the next running config,
and logout. Ports 20000-20099.
"""
import os
import shutil
import sys
import tempfile

from test_sim_common import MIX, VENDORS, Shell, Sim, caret_col, fmt

BASE = 20000


def check_errors(sh, v, prompt):
    for kind in ("invalid", "incomplete", "ambiguous"):
        cmd, text, col = v[kind]
        out = sh.cmd(cmd, prompt)
        assert out.startswith(cmd + "\r\n"), (kind, out)  # echo
        assert text in out.split("\r\n"), (kind, text, out)
        if col is not None:
            assert caret_col(out) == len(prompt) + col, (kind, out)
        else:
            assert caret_col(out) is None, (kind, out)


def check_pager(sh, v, prompt):
    """Paging is on by default: the running config stops at the pager."""
    sh.ch.sendall((v["running"] + "\r").encode())
    text = sh.until(pager=v["pager"])
    assert prompt not in text.split("\r\n")[-1]
    pages = 1
    while True:
        sh.ch.sendall(b" ")
        out = sh.until(prompt, pager=v["pager"])
        pages += 1
        if out.endswith(prompt):
            break
    assert pages >= 3, pages


def enter_priv(sh, v, host, prompt):
    if not v["enable"]:
        return prompt
    cmd, ask, priv = v["enable"]
    priv = fmt(priv, host)
    assert sh.cmd(cmd, ask).endswith(ask)
    out = sh.cmd("wrong", prompt)
    assert v["badpass"] in out, out
    assert "wrong" not in out  # passwords are not echoed
    sh.cmd(cmd, ask)
    out = sh.cmd("enable", priv)
    assert out == "\r\n" + priv, out  # the password is not echoed
    return priv


def check_config(sh, v, host, priv):
    before = sh.cmd(v["running"], priv)
    assert v["expect"] not in before
    cfg = fmt(v["config_prompt"], host)
    for c in v["config"]:
        sh.cmd(c, cfg)
    out = sh.cmd(v["line"], cfg)
    assert "rror" not in out and "nvalid" not in out, out
    for c in v["leave"][:-1]:
        sh.cmd(c, cfg)
    for c in v["leave"][-1:]:
        sh.cmd(c, priv)
    after = sh.cmd(v["running"], priv)
    assert v["expect"] in after.split("\r\n"), after[-600:]
    assert v["pager"] not in after


def check_no_compression(port):
    """zlib is offered only with --compression (it costs memory)."""
    sh = Shell(port, compress=True)
    t = sh.c.get_transport()
    assert t.remote_compression == "none", t.remote_compression
    assert t.local_compression == "none", t.local_compression
    sh.close()


def check_vendor(port, name):
    v = VENDORS[name]
    host = "%s-%d" % (name, port - BASE)
    prompt = fmt(v["prompt"], host)
    sh = Shell(port)
    banner = sh.until(prompt)
    assert banner.endswith(prompt), banner
    priv = enter_priv(sh, v, host, prompt)
    check_pager(sh, v, priv)
    if v.get("login_pageoff"):
        sh.close()
        sh = Shell(port, user="admin" + v["login_pageoff"])
        sh.until(prompt)
    for c in v["pageoff"]:
        out = sh.cmd(c, priv)
        assert "rror" not in out and "nvalid" not in out, out
    ver = sh.cmd(v["version"], priv)
    assert v["version_has"] in ver and v["pager"] not in ver, ver
    check_errors(sh, v, priv)
    check_config(sh, v, host, priv)
    quit = name in ("huawei_vrp", "mikrotik_routeros")
    sh.ch.sendall(b"quit\r" if quit else b"exit\r")
    assert sh.closed(), name
    sh.close()


# Candidate configurations: (vendor, commands entering config mode, the
# config prompt, a bad line and its error, commands that throw the
# candidate away, the prompt after them). Nothing reaches the running
# configuration until a commit.
CANDIDATE = [
    ("juniper_junos", ["configure"], "{u}@{h}# ",
     ("set foo bar", "syntax error."), ["rollback 0", "exit"], "{u}@{h}> "),
    ("cisco_iosxr", ["configure"], "RP/0/RSP0/CPU0:{h}(config)#",
     ("foo bar", "% Invalid input detected at '^' marker."),
     ["abort"], "RP/0/RSP0/CPU0:{h}#"),
    ("arista_eos", ["configure session s1"], "{h}(config-s-s1)#",
     ("foo bar", "% Invalid input"), ["abort"], "{h}#"),
]


def check_candidate(port, name, enter, cfg, bad, discard, back):
    """Lines typed in a candidate are invisible until committed; a bad
    line answers the vendor's error; discarding leaves running as it was."""
    v = VENDORS[name]
    host = "%s-%d" % (name, port - BASE)
    sh = Shell(port)
    prompt = fmt(v["prompt"], host)
    sh.until(prompt)
    priv = enter_priv(sh, v, host, prompt)
    for c in v["pageoff"]:
        sh.cmd(c, priv)
    before = sh.cmd(v["running"], priv)
    cfg, back = fmt(cfg, host), fmt(back, host)
    for c in enter:
        sh.cmd(c, cfg)
    line = "set system domain-name cand.example" if name == "juniper_junos" \
        else "hostname cand-example"
    sh.cmd(line, cfg)
    out = sh.cmd(bad[0], cfg)
    assert bad[1] in out.split("\r\n"), out
    for c in discard[:-1]:
        sh.cmd(c, cfg)
    sh.cmd(discard[-1], back)
    after = sh.cmd(v["running"], priv)
    strip = (lambda t: t.split("\r\n", 1)[1])  # the echoed command
    assert strip(after) == strip(before), after[-400:]
    assert "cand" not in after
    sh.close()


def check_inventory(path):
    """flexnet's INI: one [vendor] group, `127.0.0.1:PORT vendor=NAME`."""
    with open(path) as f:
        text = f.read()
    want = "".join("[%s]\n127.0.0.1:%d vendor=%s\n\n" % (n, BASE + i, n)
                   for i, n in enumerate(MIX))
    assert text == want, text


def main():
    inv = os.path.join(tempfile.mkdtemp(), "inventory.ini")
    with Sim(len(MIX), BASE, "--vendor", "mix", "--workers", "2",
             "--config-lines", "120", "--seed", "7", "--inventory-out",
             inv) as sim:
        check_inventory(inv)
        check_no_compression(BASE)
        for i, name in enumerate(MIX):
            check_vendor(BASE + i, name)
            print("ok", name)
        for row in CANDIDATE:
            check_candidate(BASE + MIX.index(row[0]), *row)
            print("ok candidate", row[0])
        text = sim.stop()
    assert "commands=" in text
    shutil.rmtree(os.path.dirname(inv))
    print("100%: flexnet-sim vendors: 7 checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
