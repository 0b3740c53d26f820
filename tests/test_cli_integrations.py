"""test_cli_integrations.py — `flexnet` with integrations, end to end,
against flexnet-sim, s3rver (scripts/bootstrap installs it in .tools/),
the loopback fakes of tests/fakes/ (Vault, a slow S3):

 - run --backup --config with [s3]: the backup record says target s3,
   bucket, key; the S3 objects hold no secret (redacted before upload);
   `backups get` returns the content from S3 (proved by
   changing the object in S3); `backups delete` removes the object;
 - S3 down: the backup is still kept locally (target local, error set),
   a warning is printed, the exit status reflects only the SSH work;
 - a Vault-provided password logs into flexnet-sim; the secret appears
   nowhere (output, store bytes, task log);
 - a provider that fails: each host is reported with the reason, exit 3;
 - `integrations check`: ok (exit 0) and failing (exit 1);
 - a slow S3 (every answer delayed 3 s) does not slow the SSH work: the
   same task's per-command p50 with a fast and with a slow S3.

Ports (cli range): sim 28400-28429, fakes 28430-28469, s3rver
28470-28479, 28499 is never listened on (S3 down).
"""
import glob
import os
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli_util import (Sim, _die_with_parent, check, finish,  # noqa: E402
                           flexnet, json_lines, tempdir, write)

SRC = os.environ.get("FN_TEST_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), ".."))
FAKES = os.path.join(SRC, "tests", "fakes")
S3RVER = os.path.join(SRC, ".tools", "node_modules", "s3rver", "bin",
                      "s3rver.js")
BASE = 28400
DEVICES = 6
VAULT_TOKEN = "hvs.cli-test-token-1234"
# The device password as Vault holds it: flexnet-sim's is "admin", so the
# secret searched for must be that; "admin" is too common a word to
# search, so the sim runs with a distinctive password here.
SECRET = "Vlt-S3cret-9f2c71"
S3_KEY_ENV = "FN_T_S3_SECRET"


class Proc:
    """A helper server printing "READY <port>" (the fakes) or a port we
    poll (s3rver); stopped with SIGTERM."""

    def __init__(self, argv, port=None):
        self.argv, self.port, self.proc = argv, port, None

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True,
                                     preexec_fn=_die_with_parent)
        if self.port is None:
            line = self.proc.stdout.readline()
            if not line.startswith("READY "):
                raise RuntimeError("%s: %r" % (self.argv[1], line))
            self.port = int(line.split()[1])
            return self
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # readiness poll, not a sync
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/" % self.port,
                                       timeout=2)
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("s3rver did not start")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False


def fake(name, ports, *extra):
    return Proc(["/usr/bin/python3", os.path.join(FAKES, name), "--ports",
                 ports] + list(extra))


def s3_conf(path, port, bucket, extra=""):
    return write(path, "[s3]\nendpoint = http://127.0.0.1:%d\nbucket = %s\n"
                 "access_key = S3RVER\nsecret_key_env = %s\n"
                 "create_bucket = true\nprefix = cli/\n%s"
                 % (port, bucket, S3_KEY_ENV, extra))


ENV = {S3_KEY_ENV: "S3RVER", "FN_T_PW": SECRET, "FN_T_EN": "enable"}


def run(db, inv, *args, env=None):
    full = dict(ENV)
    full.update(env or {})
    return flexnet(["run", "-i", inv, "-g", "all", "-u", "admin", "--db", db,
                    "--enable-password-env", "FN_T_EN", "--json"] +
                   list(args), env=full)


def backups_of(out):
    return [e for e in json_lines(out) if e.get("type") == "backup"]


def record(db, bid):
    p = flexnet(["backups", "list", "--all", "--json", "--db", db])
    for b in json_lines(p.stdout):
        if b["id"] == bid:
            return b
    return None


def t_s3_roundtrip(work, inv, s3port):
    db = os.path.join(work, "db-s3")
    conf = s3_conf(os.path.join(work, "s3.conf"), s3port, "flexnet-cli")
    p = run(db, inv, "--password-env", "FN_T_PW", "-c", "show version",
            "--backup", "--config", conf)
    check(p.returncode == 0, "run --backup with [s3]: exit 0 (%d: %s)"
          % (p.returncode, p.stderr[-300:]))
    bks = backups_of(p.stdout)
    check(len(bks) == DEVICES, "one backup per device (%d)" % len(bks))
    if not bks:
        return
    rec = record(db, bks[0]["id"])
    check(rec and rec.get("target") == "s3" and rec.get("bucket") ==
          "flexnet-cli" and rec.get("key", "").startswith("cli/"),
          "backup record: target s3, bucket, key (%r)" % rec)
    if not rec or rec.get("target") != "s3":
        return
    url = "http://127.0.0.1:%d/flexnet-cli/%s" % (s3port, rec["key"])
    local = flexnet(["backups", "get", rec["id"], "--db", db,
                     "--config", conf], env=ENV)
    obj = urllib.request.urlopen(url, timeout=10).read().decode()
    check(local.returncode == 0 and local.stdout == obj and obj and
          not local.stderr, "backups get returns the S3 object's content")
    # Secrets never reach S3: every object uploaded is redacted (the sim's
    # config holds FnClear-* secrets; the default mode removes them).
    # (Only the copies that made it: concurrent first uploads can lose a
    # create_bucket race, 409, and stay local; see the report.)
    uploaded = [r for r in (record(db, b["id"]) for b in bks)
                if r and r.get("target") == "s3"]
    check(uploaded, "some backup copied to S3")
    for r in uploaded:
        o = urllib.request.urlopen("http://127.0.0.1:%d/flexnet-cli/%s" % (
            s3port, r["key"]), timeout=10).read()
        check(b"FnClear" not in o and b"<removed>" in o,
              "S3 copy of %s is redacted (%r)" % (r["id"], o[:200]))
    # Prove it comes from S3: replace the object, read again.
    req = urllib.request.Request(url, data=b"changed in s3\n", method="PUT")
    urllib.request.urlopen(req, timeout=10).read()
    again = flexnet(["backups", "get", rec["id"], "--db", db,
                     "--config", conf], env=ENV)
    check(again.stdout == "changed in s3\n", "backups get reads from S3 "
          "(%r %r)" % (again.stdout[:80], again.stderr[:300]))
    # S3 unreachable at get time: the local copy, with a warning.
    down = s3_conf(os.path.join(work, "down-get.conf"), 28499, "flexnet-cli",
                   "retries = 0\ntimeout = 5\n")
    fb = flexnet(["backups", "get", rec["id"], "--db", db, "--config", down],
                 env=ENV)
    check(fb.returncode == 0 and fb.stdout == obj and
          "warning" in fb.stderr, "backups get falls back to the local copy")
    d = flexnet(["backups", "delete", rec["id"], "--db", db,
                 "--config", conf], env=ENV)
    check(d.returncode == 0, "backups delete exit 0 (%s)" % d.stderr)
    try:
        urllib.request.urlopen(url, timeout=10)
        gone = False
    except urllib.error.HTTPError as e:
        gone = e.code == 404
    check(gone, "backups delete removed the S3 object")


def t_s3_down(work, inv):
    db = os.path.join(work, "db-down")
    conf = s3_conf(os.path.join(work, "down.conf"), 28499, "flexnet-cli",
                   "retries = 0\ntimeout = 5\n")
    p = run(db, inv, "--password-env", "FN_T_PW", "-c", "show version",
            "--backup", "--config", conf)
    check(p.returncode == 0, "S3 down: exit status of the SSH work (0), "
          "got %d" % p.returncode)
    check("warning" in p.stderr and "S3" in p.stderr,
          "S3 down: a warning is printed")
    bks = backups_of(p.stdout)
    check(len(bks) == DEVICES, "S3 down: every backup kept")
    for b in bks[:1]:
        rec = record(db, b["id"])
        check(rec and rec.get("target") == "local" and rec.get("error"),
              "S3 down: record target local with the error (%r)" % rec)
        g = flexnet(["backups", "get", b["id"], "--db", db])
        check(g.returncode == 0 and "hostname" in g.stdout.lower() or
              len(g.stdout) > 20, "S3 down: the local copy reads back")


def t_vault(work, inv, vport):
    db = os.path.join(work, "db-vault")
    conf = write(os.path.join(work, "vault.conf"),
                 "[vault]\naddress = http://127.0.0.1:%d\n"
                 "token_env = FN_T_VTOKEN\n" % vport)
    env = {"FN_T_VTOKEN": VAULT_TOKEN}
    p = run(db, inv, "-c", "show version", "--config", conf,
            "--credentials-provider", "vault", "--credentials-ref",
            "net/core", env=env)
    res = [e for e in json_lines(p.stdout) if e.get("type") == "result"]
    check(p.returncode == 0 and len(res) == DEVICES and
          all(r["exit_code"] == 0 for r in res),
          "vault password logs in (exit %d, %d results: %s)"
          % (p.returncode, len(res), p.stderr[-200:]))
    tid = json_lines(p.stdout)[-1].get("task_id", "") if p.stdout else ""
    seen = p.stdout + p.stderr
    for argv in (["tasks", "log", tid], ["tasks", "show", tid, "--json"]):
        seen += flexnet(argv + ["--db", db]).stdout
    blob = b""
    for f in glob.glob(os.path.join(db, "*")):
        with open(f, "rb") as fh:
            blob += fh.read()
    check(SECRET not in seen and SECRET.encode() not in blob,
          "the Vault secret appears nowhere (output, log, store)")
    check(VAULT_TOKEN not in seen and VAULT_TOKEN.encode() not in blob,
          "the Vault token appears nowhere")
    bad = run(db, inv, "-c", "show version", "--config", conf,
              "--credentials-provider", "vault", "--credentials-ref",
              "net/absent", env=env)
    lines = [ln for ln in bad.stderr.splitlines() if "no password" in ln]
    check(bad.returncode == 3 and len(lines) == DEVICES,
          "a failing provider is reported per host, exit 3 (%d, %d lines)"
          % (bad.returncode, len(lines)))
    t_vault_per_host(work, inv, conf, env)
    man = write(os.path.join(work, "vault.yaml"),
                "task:\n  name: vault-manifest\n  subtasks:\n    - name: v\n"
                "      targets: {groups: [all]}\n"
                "      credentials: {provider: vault, ref: net/core}\n"
                "      steps:\n        - commands: [show clock]\n")
    m = run(db, inv, "-f", man, "--config", conf, env=env)
    ok = [e for e in json_lines(m.stdout)
          if e.get("type") == "result" and e["exit_code"] == 0]
    check(m.returncode == 0 and len(ok) == DEVICES,
          "manifest credentials {provider, ref} log in (%d)" % m.returncode)
    half = write(os.path.join(work, "half.yaml"),
                 open(man).read().replace(", ref: net/core", ""))
    h = flexnet(["run", "--check", "-f", half, "-i", inv])
    check(h.returncode == 2 and "provider and a ref" in h.stderr,
          "a provider without a ref is a usage error: %r" % h.stderr)
    chk = flexnet(["integrations", "check", "--config", conf], env=env)
    check(chk.returncode == 0 and chk.stdout.startswith("vault: ok"),
          "integrations check ok: %r" % chk.stdout)
    chk = flexnet(["integrations", "check", "--config", conf],
                  env={"FN_T_VTOKEN": "hvs.wrong"})
    check(chk.returncode == 1 and "vault: FAILED" in chk.stdout,
          "integrations check fails on a wrong token: %r" % chk.stdout)


def t_vault_per_host(work, inv, conf, env):
    """Per host / group references (`credentials=provider:ref` in the
    inventory): one engine task per reference, each fetched once; a host
    whose reference fails is reported, the others run."""
    refs = ["vault:net/core", "vault:net/edge", "vault:net/absent"]
    lines, hosts = [], []
    with open(inv) as f:
        for line in f:
            if line.strip() and not line.startswith(("[", "#")):
                hosts.append(line.split()[0])
                i = len(hosts) - 1
                line = line.rstrip("\n") + " credentials=%s\n" % (
                    refs[2] if i == 2 else refs[i % 2])
            lines.append(line)
    inv2 = write(os.path.join(work, "percred.ini"), "".join(lines))
    db = os.path.join(work, "db-percred")
    p = run(db, inv2, "-c", "show version", "--config", conf, env=env)
    ev = json_lines(p.stdout)
    sums = [e for e in ev if e.get("type") == "summary"]
    res = [e for e in ev if e.get("type") == "result"]
    absent = [ln for ln in p.stderr.splitlines()
              if "net/absent" in ln and "no password" in ln]
    check(len(sums) == 2 and len(res) == DEVICES - 1 and
          all(r["exit_code"] == 0 for r in res),
          "per-host references: 2 tasks, every other host logs in "
          "(%d summaries, %d results)" % (len(sums), len(res)))
    check(len(absent) == 1 and hosts[2] in absent[0] and
          p.returncode == 1, "the host with a failing reference is "
          "reported with its reason (exit %d)" % p.returncode)
    check(SECRET not in p.stdout + p.stderr, "per-host: no secret shown")


def p50_ms(out):
    d = [e["duration_ms"] for e in json_lines(out)
         if e.get("type") == "result" and e["command"] == "show version"]
    return statistics.median(d) if d else None, len(d)


def t_slow_s3(work, inv):
    """Backups first, then commands: the S3 copies are in flight (3 s per
    answer on the slow one) while the commands run."""
    man = write(os.path.join(work, "slow.yaml"),
                "task:\n  name: slow-s3\n  subtasks:\n    - name: s\n"
                "      targets: {groups: [all]}\n      steps:\n"
                "        - backup: true\n"
                "        - commands: [%s]\n" % ", ".join(["show version"] * 10))
    figures = {}
    for name, delay in (("fast", "0"), ("slow", "3")):
        with fake("fake_s3edge.py", "28440-28469", "--delay", delay) as s3:
            conf = s3_conf(os.path.join(work, name + ".conf"), s3.port,
                           "edge")
            db = os.path.join(work, "db-" + name)
            t0 = time.monotonic()
            p = run(db, inv, "-f", man, "--password-env", "FN_T_PW",
                    "--config", conf)
            wall = time.monotonic() - t0
            figures[name] = p50_ms(p.stdout) + (wall,)
            check(p.returncode == 0, "%s S3 run: exit 0 (%s)"
                  % (name, p.stderr[-200:]))
    (fast, nf, fw), (slow, ns, sw) = figures["fast"], figures["slow"]
    print("per-command p50: fast S3 %.2f ms (%d cmds, run %.1f s), "
          "slow S3 %.2f ms (%d cmds, run %.1f s)"
          % (fast or -1, nf, fw, slow or -1, ns, sw), flush=True)
    check(fast is not None and slow is not None and
          slow < 2 * fast + 50, "slow S3 does not slow SSH commands")
    check(sw >= 3, "the slow run waited for its S3 copies (%.1f s)" % sw)


def main():
    if not os.path.exists(S3RVER):
        print("s3rver missing at %s: run scripts/bootstrap" % S3RVER)
        sys.exit(1)
    work = tempdir("fn-cli-int-")
    os.makedirs(os.path.join(work, "s3"), exist_ok=True)
    vspec = write(os.path.join(work, "vault.json"),
                  '{"token": "%s", "mount": "secret", "secrets": '
                  '{"net/core": {"username": "admin", "password": "%s"}, '
                  '"net/edge": {"password": "%s"}}}'
                  % (VAULT_TOKEN, SECRET, SECRET))
    with Sim(work, DEVICES, BASE, vendor="cisco_ios",
             password=SECRET) as sim, \
            Proc(["/usr/bin/env", "node", S3RVER, "-d",
                  os.path.join(work, "s3"), "-a", "127.0.0.1", "-p",
                  "28470", "-s"], port=28470) as s3, \
            fake("fake_vault.py", "28430-28439", "--spec", vspec) as vault:
        t_s3_roundtrip(work, sim.inventory, s3.port)
        t_s3_down(work, sim.inventory)
        t_vault(work, sim.inventory, vault.port)
        t_slow_s3(work, sim.inventory)
    finish("test_cli_integrations")


if __name__ == "__main__":
    main()
