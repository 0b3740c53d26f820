"""sshd_fixture.py — a real OpenSSH server (Debian's /usr/sbin/sshd) for
end-to-end tests, started by the test on 127.0.0.1 only, with a scripted
device shell behind ForceCommand.

    with Sshd(port, work, password=True, kbdint=False) as d:
        ... flexnet run against 127.0.0.1:port as d.user / d.password

The server needs root (it reads /etc/shadow and changes user): the
fixture creates the local user `fntest` (password `fnpass`, no login
shell of its own) once, and removes nothing else. The device script
(tests/devices/shell_device.py) is copied into the server's own temp dir
so the test user can read it; its scenario comes from the environment
(SetEnv FN_SCENARIO=...).

Skips with a clear message when /usr/sbin/sshd is absent
(scripts/bootstrap installs openssh-server, so CI never skips).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

SSHD = "/usr/sbin/sshd"
USER = "fntest"
PASSWORD = "fnpass"
HERE = os.path.dirname(os.path.abspath(__file__))


def skip_unless_available(name):
    if not os.path.exists(SSHD):
        print("%s: SKIPPED: %s is absent (scripts/bootstrap installs "
              "openssh-server)" % (name, SSHD))
        sys.exit(0)
    if os.geteuid() != 0:
        print("%s: SKIPPED: a real sshd needs root to log users in" % name)
        sys.exit(0)


def ensure_user():
    """The local test user, with its password (idempotent)."""
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/bin/sh", USER],
                       check=True)
    subprocess.run(["chpasswd"], input="%s:%s\n" % (USER, PASSWORD),
                   text=True, check=True)


class Sshd:
    def __init__(self, port, scenario="plain", password=True, kbdint=False,
                 pubkey=True, authorized_key=None, extra=""):
        self.port = port
        self.user = USER
        self.password = PASSWORD
        self.scenario = scenario
        self.dir = tempfile.mkdtemp(prefix="fn-sshd-")
        os.chmod(self.dir, 0o755)
        self.password_auth = password
        self.kbdint = kbdint
        self.pubkey = pubkey
        self.authorized_key = authorized_key
        self.extra = extra
        self.proc = None

    def _config(self):
        key = os.path.join(self.dir, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        key], check=True)
        device = os.path.join(self.dir, "shell_device.py")
        shutil.copy(os.path.join(HERE, "devices", "shell_device.py"), device)
        os.chmod(device, 0o755)
        auth_keys = os.path.join(self.dir, "authorized_keys")
        with open(auth_keys, "w") as f:
            if self.authorized_key:
                f.write(open(self.authorized_key).read())
        os.chmod(auth_keys, 0o644)
        yn = lambda b: "yes" if b else "no"
        conf = os.path.join(self.dir, "sshd_config")
        with open(conf, "w") as f:
            f.write("""\
Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s/sshd.pid
StrictModes no
UsePAM yes
PermitRootLogin no
AllowUsers %s
PubkeyAuthentication %s
AuthorizedKeysFile %s
PasswordAuthentication %s
KbdInteractiveAuthentication %s
AuthenticationMethods any
MaxAuthTries 6
LogLevel ERROR
ForceCommand /usr/bin/python3 %s
SetEnv FN_SCENARIO=%s
%s
""" % (self.port, key, self.dir, USER, yn(self.pubkey), auth_keys,
                    yn(self.password_auth), yn(self.kbdint), device,
                    self.scenario, self.extra))
        return conf

    def __enter__(self):
        ensure_user()
        os.makedirs("/run/sshd", exist_ok=True)
        conf = self._config()
        self.log = os.path.join(self.dir, "sshd.log")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", conf],
                                     stderr=open(self.log, "w"))
        deadline = time.time() + 10
        import socket
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("sshd did not start: %s" % open(self.log).read())

    def inventory(self, path, vendor="cisco_ios", extra=""):
        with open(path, "w") as f:
            f.write("[lab]\n127.0.0.1:%d name=r1 vendor=%s %s\n"
                    % (self.port, vendor, extra))
        return path

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
