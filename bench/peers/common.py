"""Shared by the peer benchmarks and the flexnetd client: options,
inventory, the completeness check of a device's output, the tally.

Every tool does flexnet's per-device work: connect, auth, pty and shell,
prompt, enable (cisco_ios needs it for the running config), paging off,
`show version`, running config, disconnect. Each device's output is then
checked against the simulator's own transcript (sim/vendors/cisco_ios.conf):
`show version` must hold its first and last lines, the running config must
run from `Building configuration...` to the final `end` with exactly the
number of lines the transcript gives for --config-lines L. Not timed here;
does not talk to any device.
"""
import argparse
import collections
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# bench/run points this at its snapshot of the simulator's transcripts.
TRANSCRIPT = os.path.join(os.environ.get("FN_BENCH_SIM_DATA") or os.path.join(
    ROOT, "sim", "vendors"), "cisco_ios.conf")
PROMPT_LINE = re.compile(rb"^[\w.\-]+[>#]$")
PASSWORD_LINE = re.compile(rb"[Pp]assword: ?$")
CONFIG_FIRST = "Building configuration..."


def parse_args(tool):
    p = argparse.ArgumentParser(description=f"{tool} peer benchmark")
    p.add_argument("--inventory", required=True)
    p.add_argument("--user", default="admin")
    p.add_argument("--password-env", default="FN_BENCH_PASSWORD")
    p.add_argument("--enable-password-env", default="FN_BENCH_ENABLE")
    p.add_argument("--concurrency", type=int, default=1000)
    p.add_argument("--config-lines", type=int, required=True,
                   help="the simulator's --config-lines")
    a = p.parse_args()
    a.password = os.environ.get(a.password_env, "")
    a.enable = os.environ.get(a.enable_password_env, "")
    if not a.password or not a.enable:
        sys.exit(f"{tool}: set ${a.password_env} and ${a.enable_password_env}")
    a.expect = Expect(a.config_lines)
    return a


def load_hosts(path):
    """(host, port) pairs from flexnet's INI inventory."""
    hosts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            addr = line.split()[0]
            host, _, port = addr.rpartition(":")
            hosts.append((host, int(port)))
    return hosts


def _text_block(lines, name):
    start = lines.index("text " + name) + 1
    return lines[start:lines.index(".", start)]


class Expect:
    """What complete output looks like, read from the sim's transcript."""

    def __init__(self, config_lines, transcript=TRANSCRIPT):
        with open(transcript) as f:
            lines = f.read().split("\n")
        fixed = [l for l in _text_block(lines, "version") if "{" not in l
                 and l.strip()]
        self.version_marks = (fixed[0], fixed[-1])
        running = _text_block(lines, "running")
        # {config} expands to L lines, each ending in a newline; text after
        # it on the same line stays a line of its own.
        tail = [l for l in running if "{config}" in l][0]
        extra = 0 if tail.strip() == "{config}" else 1
        self.running_lines = len(running) - 1 + extra + config_lines

    def check(self, version_out, config_out):
        """None if both outputs are complete, else the reason."""
        return self.check_version(version_out) or \
            self.check_config(config_out)

    def check_version(self, out):
        for mark in self.version_marks:
            if mark not in out:
                return "show version: no line %r" % mark[:30]
        return None

    def check_config(self, config_out):
        lines = [l.rstrip() for l in config_out.replace("\r", "").split("\n")]
        if CONFIG_FIRST not in lines:
            return "running config: no %r" % CONFIG_FIRST
        first = lines.index(CONFIG_FIRST)
        ends = [i for i in range(first, len(lines)) if lines[i] == "end"]
        if not ends:
            return "running config: cut, no final 'end' (%d of %d lines)" % (
                len(lines) - first, self.running_lines)
        got = ends[-1] - first + 1
        if got != self.running_lines:
            return "running config: %d lines, want %d" % (
                got, self.running_lines)
        return None


def last_line(buf):
    """The bytes after the last newline of buf, trailing spaces removed."""
    return buf[buf.rfind(b"\n") + 1:].rstrip(b" \r")


def at_prompt(buf):
    return PROMPT_LINE.match(last_line(buf)) is not None


def at_password(buf):
    return PASSWORD_LINE.search(buf[-20:]) is not None


class Tally:
    def __init__(self, tool):
        self.tool = tool
        self.ok = 0
        self.reasons = collections.Counter()

    def add(self, reason):
        if reason is None:
            self.ok += 1
        else:
            self.reasons[str(reason)[:100]] += 1

    def result(self, n, **extra):
        r = {"tool": self.tool, "n": n, "ok": self.ok,
             "failed": n - self.ok, "reasons": dict(self.reasons)}
        r.update(extra)
        return r

    def emit(self, n, **extra):
        json.dump(self.result(n, **extra), sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()
