#!/usr/bin/python3
"""test_rpc_redact.py — no secret of a backup reaches a gRPC client.

Seven devices, one per vendor, whose running configurations hold
cleartext/reversible secrets ("FnClear-…") and hashes ("FnHash-…").
RunTask with a BACKUP step: the backup events say REDACT_MODE_REVERSIBLE
and how many lines; GetBackup's bytes hold no FnClear (hashes stay);
DiffBackups text neither. TaskSpec.redact = ALL removes the hashes too,
NONE keeps everything. Ports 31810-31819.
"""
from test_rpc_lib import Env, check, main, pb, run_task, spec

PORT = 31810
DEVICES = 7


def backup_text(stub, bid):
    chunks = stub.GetBackup(pb.GetBackupRequest(id=bid, chunk_size=4096),
                            timeout=30)
    return b"".join(c.data for c in chunks)


def run_backups(env, stub, mode):
    s = spec((), backup=True, name="redact", inventory_path=env.inventory,
             groups=["all"])
    if mode is not None:
        s.redact = mode
    kinds, summary = run_task(stub, s)
    bks = [e.backup for e in kinds.get("backup", [])]
    check(len(bks) == DEVICES, "a backup per device (%d)" % len(bks))
    return bks


def t_default(env):
    stub = env.stub()
    run_backups(env, stub, None)  # an earlier backup to diff against
    bks = run_backups(env, stub, None)
    for b in bks:
        data = backup_text(stub, b.id)
        check(b"FnClear" not in data, "%s: GetBackup holds no secret"
              % b.vendor)
        check(b.redact == pb.REDACT_MODE_REVERSIBLE and b.redacted >= 1,
              "%s: metadata says reversible, %d lines" % (b.vendor,
                                                         b.redacted))
        d = stub.DiffBackups(pb.DiffBackupsRequest(id_a=b.id), timeout=10)
        check(d.identical and "FnClear" not in d.diff,
              "DiffBackups: unchanged, no secret")
    listed = stub.ListBackups(pb.ListBackupsRequest(), timeout=10).backups
    check(all(b.redact for b in listed), "ListBackups carries the mode")


def t_modes(env):
    stub = env.stub()
    for mode, clear, hashed in ((pb.REDACT_MODE_ALL, False, False),
                                (pb.REDACT_MODE_NONE, True, True)):
        for b in run_backups(env, stub, mode):
            data = backup_text(stub, b.id)
            check((b"FnClear" in data) == clear, "%s %s: cleartext %s"
                  % (b.vendor, mode, clear))
            if b.vendor != "mikrotik_routeros":  # exports hold no hash
                check((b"FnHash" in data) == hashed, "%s %s: hash %s"
                      % (b.vendor, mode, hashed))
            check(b.redact == mode, "%s: metadata %d" % (b.vendor, b.redact))


if __name__ == "__main__":
    with Env(PORT, devices=DEVICES, sim_args=["--vendor", "mix"]) as env:
        main([("default", lambda: t_default(env)),
              ("modes", lambda: t_modes(env))])
