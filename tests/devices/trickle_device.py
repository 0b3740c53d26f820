#!/usr/bin/python3
"""trickle_device.py PORT: a scripted network device behind a real SSH
server that is not ours (paramiko's), for end-to-end tests of the engine.

It logs in admin/admin, opens a pty shell with the prompt "r1#" and
answers a few commands; any other ("terminal width 511" too) gets IOS's
"% Invalid input". Every byte of output goes out in writes of 1 to 3
bytes with a pause after each, so the client sees chunk boundaries
anywhere -- in particular right after an output line that reads exactly
like the prompt ("r1#"), which `show banner` prints.

Prints "ready" on stdout once listening; runs until killed.
"""
import socket
import sys
import threading
import time

import paramiko

PROMPT = b"r1#"
OUTPUTS = {
    b"terminal length 0": b"",
    # no "terminal width 511": this device refuses it (a setup warning)
    # a banner whose second line is the prompt itself
    b"show banner": b"*** lab router ***\r\nr1#\r\nauthorized use only\r\n",
    b"show clock": b"*10:00:00.000 UTC Sun Dec 6 2026\r\n",
}


class Server(paramiko.ServerInterface):
    def check_auth_password(self, username, password):
        if (username, password) == ("admin", "admin"):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_shell_request(self, channel):
        return True


def trickle(ch, data):
    """1, 2, 3, 1, 2, 3 ... bytes per write, 2 ms apart."""
    i, k = 0, 1
    while i < len(data):
        ch.sendall(data[i:i + k])
        i += k
        k = k % 3 + 1
        time.sleep(0.002)


def shell(ch):
    trickle(ch, b"\r\n" + PROMPT)
    line = b""
    while True:
        b = ch.recv(1)
        if not b:
            return
        if b in (b"\r", b"\n"):
            if not line and b == b"\n":
                continue
            trickle(ch, line + b"\r\n")  # the echo
            out = OUTPUTS.get(line.strip())
            if out is None:
                out = b"% Invalid input detected at '^' marker.\r\n"
            trickle(ch, out + PROMPT)
            line = b""
        else:
            line += b


def serve(conn, host_key):
    t = paramiko.Transport(conn)
    t.add_server_key(host_key)
    t.start_server(server=Server())
    ch = t.accept(10)
    if ch is None:
        return
    try:
        time.sleep(0.05)  # pty + shell requests
        shell(ch)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    finally:
        t.close()


def main():
    port = int(sys.argv[1])
    host_key = paramiko.RSAKey.generate(2048)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, host_key),
                         daemon=True).start()


if __name__ == "__main__":
    main()
