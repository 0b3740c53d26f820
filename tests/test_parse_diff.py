#!/usr/bin/python3
"""Differential test: `flexnet parse` against python3-textfsm (Debian's
python3-textfsm 1.1.0, an independent implementation) on

  1. every flexnet-sim output (sim/vendors/*.conf `text` blocks, rendered
     as the simulator renders them, in LF, CRLF and no-final-newline
     forms) with the project's templates in tests/parse/templates, the
     template chosen through tests/parse/templates/index by both sides
     (clitable's IndexTable on the Python side);
  2. the hand-written edge cases in tests/parse/cases (NAME.textfsm with
     NAME.txt, NAME.2.txt, ... inputs): Filldown + Required, List of
     groups, Continue chains, Error action, EOF and End behaviour, ...;
  3. generated templates and inputs (seeded, so a failure reproduces).

Same records (ParseTextToDicts, List None items as null), or both reject
the template, or both raise the template's Error with the same message.

usage: test_parse_diff.py FLEXNET_BINARY [--seed N] [--count N]
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

import textfsm
from textfsm import clitable

SRC = os.environ.get(
    "FN_TEST_SRC", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(SRC, "tests", "parse", "templates")
CASES = os.path.join(SRC, "tests", "parse", "cases")

# flexnet vendor -> ntc-templates platform (parse/index.c has the same
# table; this one is the oracle's side).
PLATFORM = {"cisco_iosxr": "cisco_xr"}

# (vendor, sim text block, the command that prints it)
SIM_COMMANDS = [
    ("cisco_ios", "version", "show version"),
    ("cisco_ios", "ipbrief", "show ip interface brief"),
    ("cisco_ios", "running", "show running-config"),
    ("cisco_ios", "clock", "show clock"),
    ("cisco_nxos", "version", "show version"),
    ("cisco_nxos", "ifbrief", "show interface brief"),
    ("cisco_iosxr", "version", "show version"),
    ("cisco_iosxr", "ipbrief", "show ip interface brief"),
    ("juniper_junos", "terse", "show interfaces terse"),
    ("juniper_junos", "version", "show version"),
    ("arista_eos", "version", "show version"),
    ("arista_eos", "ipbrief", "sh ip int br"),
    ("huawei_vrp", "ipbrief", "display ip interface brief"),
    ("huawei_vrp", "version", "display version"),
    ("mikrotik_routeros", "interfaces", "/interface print"),
    ("mikrotik_routeros", "version", "/system resource print"),
]


class Result:
    def __init__(self, kind, value):
        self.kind = kind  # "records", "template", "fsm"
        self.value = value

    def __eq__(self, other):
        return (self.kind, self.value) == (other.kind, other.value)

    def __repr__(self):
        return "%s: %s" % (self.kind, json.dumps(self.value)[:2000])


def oracle(template_text, data):
    try:
        fsm = textfsm.TextFSM(io_text(template_text))
    except textfsm.TextFSMTemplateError:
        return Result("template", None)
    # the file is read in text mode: universal newlines, then splitlines
    text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    try:
        return Result("records", fsm.ParseTextToDicts(text))
    except textfsm.TextFSMError as e:
        return Result("fsm", str(e))


def io_text(s):
    import io
    return io.StringIO(s.replace("\r\n", "\n").replace("\r", "\n"))


def flexnet(binary, args, data):
    with tempfile.NamedTemporaryFile(suffix=".txt") as f:
        f.write(data)
        f.flush()
        p = subprocess.run([binary, "parse", "--json"] + args + [f.name],
                           capture_output=True, timeout=60)
    err = p.stderr.decode()
    if p.returncode == 0:
        return Result("records", json.loads(p.stdout))
    if p.returncode == 1:
        return Result("fsm", err.rstrip("\n").split("flexnet parse: ", 1)[1])
    if p.returncode == 2 and "flexnet parse: " in err:
        return Result("template", None)
    raise AssertionError("flexnet parse exit %d: %s" % (p.returncode, err))


def run_template(binary, template_text, data, tmpdir):
    path = os.path.join(tmpdir, "t.textfsm")
    with open(path, "w", newline="") as f:
        f.write(template_text)
    return flexnet(binary, [path], data)


# ---- 1. flexnet-sim outputs ---------------------------------------------

def sim_blocks(vendor):
    """The `text NAME` blocks of a sim vendor file and its gen lines."""
    blocks, gen, name, lines = {}, [], None, []
    path = os.path.join(SRC, "sim", "vendors", vendor + ".conf")
    # the transcripts hold some bytes that are not UTF-8 on purpose (IOS
    # `show location`, `show noise`); the blocks parsed here are text
    for line in open(path, encoding="utf-8",
                     errors="surrogateescape").read().split("\n"):
        if name is not None:
            if line == ".":
                blocks[name] = lines
                name, lines = None, []
            else:
                lines.append(line)
        elif line.startswith("text "):
            name = line[5:].strip()
        elif line.startswith("gen "):
            gen.append(json.loads(line[4:]))
    return blocks, gen


def sim_render(vendor, lines, gen):
    config = ""
    for n in range(3):
        for g in gen:
            config += g.format(n=n, r="%04x" % (n * 4099), a=n + 1, b=n * 7,
                               c=n * 3, vlan=100 + n) + "\n"
    subs = {"host": vendor + "-1", "serial": "1A2B3C4D", "idx": "7",
            "size": "2048", "user": "admin", "vendor": vendor,
            "port": "10001", "config": config}
    text = "\n".join(lines) + "\n"
    return re.sub(r"\{(\w+)\}", lambda m: subs.get(m.group(1), m.group(0)),
                  text)


def sim_cases(binary, tmpdir):
    ntc = clitable.CliTable("index", TEMPLATES)
    n = 0
    for vendor, block, command in SIM_COMMANDS:
        blocks, gen = sim_blocks(vendor)
        assert block in blocks, "%s has no text %s" % (vendor, block)
        text = sim_render(vendor, blocks[block], gen)
        row = ntc.index.GetRowMatch(
            {"Platform": PLATFORM.get(vendor, vendor), "Command": command})
        assert row, "index has no row for %s %s" % (vendor, command)
        tpl = ntc.index.index[row]["Template"].split(":")[0]
        tpl_text = open(os.path.join(TEMPLATES, tpl)).read()
        for form, data in (("lf", text),
                           ("crlf", text.replace("\n", "\r\n")),
                           ("nofinal", text.rstrip("\n"))):
            want = oracle(tpl_text, data.encode())
            got = flexnet(binary, ["--templates", TEMPLATES, "--vendor",
                                   vendor, "--command", command],
                          data.encode())
            check(got, want, "%s %s (%s, %s)" % (vendor, command, tpl, form))
            # the project's templates must yield records on the sim
            if not (want.kind == "records" and want.value):
                check(Result("no records", None), want, "%s %s: template yields nothing" % (vendor, command))
            n += 1
    return n


# ---- 2. hand-written cases ----------------------------------------------

def hand_cases(binary, tmpdir):
    n = 0
    for name in sorted(os.listdir(CASES)):
        if not name.endswith(".textfsm"):
            continue
        base = name[:-len(".textfsm")]
        tpl_text = open(os.path.join(CASES, name), newline="").read()
        inputs = sorted(f for f in os.listdir(CASES)
                        if re.fullmatch(re.escape(base) + r"(\.\d+)?\.txt", f))
        for inp in inputs or [None]:
            data = b"" if inp is None else open(os.path.join(CASES, inp),
                                                "rb").read()
            want = oracle(tpl_text, data)
            got = run_template(binary, tpl_text, data, tmpdir)
            check(got, want, "%s on %s" % (name, inp))
            n += 1
    return n


# ---- 3. generated cases -------------------------------------------------

OPTIONS = ["Filldown", "Required", "List", "Fillup", "Key"]
REGEXES = [r"(\d+)", r"(\w+)", r"(\S+)", r"(a|b)", r"(x?)", r"(\d*)",
           r"(1\d)"]
LIST_GROUPS = r"((?P<k>[a-z])(?P<n>\d))"
TOKENS = ["a", "b", "x", "1", "2", "12", "ab", "a1", "b2", "xx", "", "-"]
PIECES = [r"a", r"b", r"x", r"\d+", r"\s+", r"\S*", r"-"]


def gen_template(rnd):
    nvals = rnd.randint(0, 4)
    values = []
    out = []
    for i in range(nvals):
        opts = rnd.sample(OPTIONS, rnd.choice([0, 0, 1, 1, 2]))
        regex = rnd.choice(REGEXES)
        if "List" in opts and rnd.random() < 0.4:
            regex = LIST_GROUPS
        values.append(("V%d" % i, regex))
        out.append("Value %s%s %s" % (",".join(opts) + " " if opts else "",
                                      "V%d" % i, regex))
    out.append("")
    states = ["Start"] + ["S%d" % i for i in range(rnd.randint(0, 2))]
    eof = rnd.random() < 0.2
    end = rnd.random() < 0.1
    for st in states:
        out.append(st)
        for _ in range(rnd.randint(1, 5)):
            out.append(gen_rule(rnd, values, states))
        out.append("")
    if eof:
        out += ["EOF", ""]
    if end:
        out += ["End", ""]
    text = "\n".join(out)
    if rnd.random() < 0.05:  # a broken template: both must refuse it
        text = rnd.choice([
            text.replace("Start", "Begin", 1),
            text + "\nS9\n  ^a -> Continue S9\n",
            text + "\nS9\n  ^a -> Nowhere\n",
            text.replace("\n\n", "\n", 1),
            text + "\nS9\n   ^a\n",
            text + "\nS9\n  ^${NOPE}\n",
        ])
    return text


def gen_rule(rnd, values, states):
    parts = ["^"]
    for _ in range(rnd.randint(1, 3)):
        r = rnd.random()
        if values and r < 0.45:
            name, regex = rnd.choice(values)
            v = "${%s}" % name
            # Python's List hook crashes (TypeError) on a None item of a
            # regex with nested groups: never make those optional
            opt = regex != LIST_GROUPS and rnd.random() < 0.3
            parts.append("(?:\\s*%s)?" % v if opt else v)
        else:
            parts.append(rnd.choice(PIECES))
        if rnd.random() < 0.5:
            parts.append(r"\s*")
    # one Value may appear once per rule (Python: one group per name)
    seen, rule = set(), []
    for p in parts:
        m = re.search(r"\$\{(\w+)\}", p)
        if m and m.group(1) in seen:
            continue
        if m:
            seen.add(m.group(1))
        rule.append(p)
    if rnd.random() < 0.3:
        rule.append("$$")
    rule = "".join(rule)
    lop = rnd.choice(["", "", "Next", "Continue", "Continue"] +
                     (["Error"] if rnd.random() < 0.1 else []))
    rop = rnd.choice(["", "", "Record", "Record", "Clear", "Clearall",
                      "NoRecord"])
    new = ""
    if lop != "Continue" and rnd.random() < 0.3:
        new = rnd.choice(states + ["End", "EOF"])
    if lop == "Error" and rnd.random() < 0.5:
        new = '"bad %s"' % rnd.choice(["input", "line"])
    act = ".".join(x for x in (lop, rop) if x)
    tail = " ".join(x for x in (act, new) if x)
    return "  " + rule + (" -> " + tail if tail else "")


def gen_input(rnd):
    lines = []
    for _ in range(rnd.randint(0, 12)):
        lines.append(" ".join(rnd.choice(TOKENS)
                              for _ in range(rnd.randint(0, 4))))
    seps = ["\n"] * 8 + ["\r\n", "\r", "\x0b", "\x0c", "\x1c", "\u2028"]
    data = ""
    for line in lines:
        data += line + rnd.choice(seps)
    if data and rnd.random() < 0.3:
        data = data[:-1]
    return data.encode()


def gen_cases(binary, tmpdir, seed, count):
    rnd = random.Random(seed)
    kinds = {}
    for i in range(count):
        tpl = gen_template(rnd)
        data = gen_input(rnd)
        want = oracle(tpl, data)
        got = run_template(binary, tpl, data, tmpdir)
        check(got, want, "generated case %d (seed %d)\n%s\ninput %r" %
              (i, seed, tpl, data))
        kinds[want.kind] = kinds.get(want.kind, 0) + 1
        if want.kind == "records" and want.value:
            kinds["nonempty"] = kinds.get("nonempty", 0) + 1
    return kinds


FAILURES = []


def check(got, want, what):
    if got != want:
        FAILURES.append(what)
        print("FAIL %s\n  flexnet: %r\n  python:  %r" % (what, got, want))


def main():
    binary = sys.argv[1]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) \
        if "--seed" in sys.argv else 14
    count = int(sys.argv[sys.argv.index("--count") + 1]) \
        if "--count" in sys.argv else 600
    with tempfile.TemporaryDirectory() as tmpdir:
        n_sim = sim_cases(binary, tmpdir)
        n_hand = hand_cases(binary, tmpdir)
        kinds = gen_cases(binary, tmpdir, seed, count)
    print("sim outputs: %d, hand cases: %d, generated: %d %s" %
          (n_sim, n_hand, count, kinds))
    # the generator must exercise every outcome, or it tests little
    for k in ("records", "template", "fsm", "nonempty"):
        assert kinds.get(k, 0) > 0, "generator produced no %s case" % k
    total = n_sim + n_hand + count
    print("%d passed, %d failed" % (total - len(FAILURES), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
