"""paramiko, a thread per host, with the old Flexible-Network timing: sleep
1 s after the shell opens, send the command plus two newlines, sleep 0.5 s,
one recv of 9999 bytes. No prompt detection: whatever the single recv holds
is the output, and the check (common.Expect) says whether it was complete.

Enable follows the same pattern (send, sleep 0.5 s, one recv) with a single
newline: a second one would be read by the device as an empty password.
--concurrency is ignored: thread per host means N sessions at once. A
thread that cannot be started counts as a failure with its reason. Prints
one JSON line (ok, failed, reasons); timing is done by the caller.
"""
import threading
import time
import warnings

warnings.filterwarnings("ignore")
import paramiko  # noqa: E402

import common  # noqa: E402


def send_recv(shell, text):
    shell.send(text)
    time.sleep(0.5)
    return shell.recv(9999).decode(errors="replace")


def session(args, client, host, port):
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port, args.user, args.password,
                   look_for_keys=False, allow_agent=False, timeout=60,
                   banner_timeout=60, auth_timeout=60)
    shell = client.invoke_shell()
    time.sleep(1)
    send_recv(shell, "enable\n")
    send_recv(shell, args.enable + "\n")
    send_recv(shell, "terminal length 0\n\n")
    version = send_recv(shell, "show version\n\n")
    config = send_recv(shell, "show running-config\n\n")
    return args.expect.check(version, config)


def device(args, host, port, tally, lock):
    client = paramiko.SSHClient()
    try:
        reason = session(args, client, host, port)
    except Exception as e:
        reason = f"{type(e).__name__}: {e}"
    finally:
        client.close()
    with lock:
        tally.add(reason)


def main():
    args = common.parse_args("paramiko")
    hosts = common.load_hosts(args.inventory)
    tally = common.Tally("paramiko")
    lock = threading.Lock()
    threads = []
    for h, p in hosts:
        t = threading.Thread(target=device, args=(args, h, p, tally, lock))
        try:
            t.start()
        except RuntimeError as e:  # e.g. "can't start new thread"
            with lock:
                tally.add(f"thread {len(threads) + 1}: {e}")
            continue
        threads.append(t)
    for t in threads:
        t.join()
    tally.emit(len(hosts), cipher="aes128-ctr", threads=len(threads))


main()
