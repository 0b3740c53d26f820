#!/usr/bin/python3
"""stall_device.py PORT: a device behind paramiko's SSH server whose first
session stops reading once in config mode, then drops: a long config line
can then not be written whole (the SSH window fills). Later sessions read
normally. Prompt "r1#", config mode "r1(config)#"; every config line is
accepted. Prints "ready" once listening; runs until killed.
"""
import socket
import sys
import threading
import time

import paramiko

SESSIONS = [0]


class Server(paramiko.ServerInterface):
    def check_auth_password(self, username, password):
        ok = (username, password) == ("admin", "admin")
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_shell_request(self, channel):
        return True


def shell(ch, first):
    config = False
    ch.sendall(b"\r\nr1#")
    line = b""
    while True:
        b = ch.recv(1)
        if not b:
            return
        if b not in (b"\r", b"\n"):
            line += b
            continue
        if not line:
            continue
        text = line.decode(errors="replace").strip()
        line = b""
        ch.sendall(text.encode() + b"\r\n")  # the echo
        if text == "configure terminal":
            config = True
            if first:  # stop reading: the window fills, then drop
                ch.sendall(b"r1(config)#")
                time.sleep(1.5)
                return
        elif text == "end":
            config = False
        ch.sendall(b"r1(config)#" if config else b"r1#")


def serve(conn, key):
    t = paramiko.Transport(conn)
    # the smallest window paramiko allows (32 KiB): a longer line cannot
    # leave the client until the device reads
    t.default_window_size = 2**15
    t.default_max_packet_size = 2**15
    t.add_server_key(key)
    t.start_server(server=Server())
    ch = t.accept(10)
    if ch is None:
        return
    SESSIONS[0] += 1
    try:
        time.sleep(0.05)
        shell(ch, SESSIONS[0] == 1)
    except (OSError, EOFError, paramiko.SSHException):
        pass
    finally:
        t.close()


def main():
    key = paramiko.RSAKey.generate(2048)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, key), daemon=True).start()


if __name__ == "__main__":
    main()
