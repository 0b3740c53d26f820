"""Shared by the peer benchmarks: inventory, per-device checks, the summary.

Each peer does flexnet's per-device work exactly: connect, auth, pty and
shell, prompt, paging off, `show version`, running config, disconnect; and
each device's output is checked for completeness, not only timed.
"""
import argparse
import collections
import json
import os
import re
import sys

PROMPT_RE = re.compile(rb"[\w.\-@()/:\[\]~]+[>#]\s*$")


def parse_args(tool):
    p = argparse.ArgumentParser(description=f"{tool} peer benchmark")
    p.add_argument("--inventory", required=True)
    p.add_argument("--user", default="admin")
    p.add_argument("--password-env", default="FN_BENCH_PASSWORD")
    p.add_argument("--concurrency", type=int, default=1000)
    p.add_argument("--config-lines", type=int, default=0,
                   help="minimum running-config lines for a complete backup")
    p.add_argument("--version-text", default="Version",
                   help="text `show version` output must contain")
    a = p.parse_args()
    a.password = os.environ.get(a.password_env, "admin")
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


def check(args, version_out, config_out):
    """None if the device's output is complete, else the reason."""
    if args.version_text not in version_out:
        return "show version incomplete"
    lines = [l for l in config_out.splitlines() if l.strip()]
    if len(lines) < args.config_lines or not any(
            l.strip() == "end" for l in lines[-3:]):
        return "running config incomplete"
    return None


class Tally:
    def __init__(self, tool):
        self.tool = tool
        self.ok = 0
        self.reasons = collections.Counter()

    def add(self, reason):
        if reason is None:
            self.ok += 1
        else:
            self.reasons[reason[:80]] += 1

    def emit(self, n):
        json.dump({"tool": self.tool, "n": n, "ok": self.ok,
                   "failed": n - self.ok, "reasons": dict(self.reasons)},
                  sys.stdout)
        sys.stdout.write("\n")
