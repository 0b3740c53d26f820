"""paramiko, a thread per host, with the old Flexible-Network timing:
sleep 1 s after the shell opens, send the command plus two newlines, sleep
0.5 s, one recv of 9999 bytes."""
import threading
import time
import warnings

warnings.filterwarnings("ignore")
import paramiko  # noqa: E402

import common  # noqa: E402


def run_cmd(shell, cmd):
    shell.send(cmd + "\n\n")
    time.sleep(0.5)
    return shell.recv(9999).decode(errors="replace")


def device(args, host, port, tally, lock):
    reason = None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(host, port, args.user, args.password,
                       look_for_keys=False, allow_agent=False, timeout=60,
                       banner_timeout=60, auth_timeout=60)
        shell = client.invoke_shell()
        time.sleep(1)
        run_cmd(shell, "terminal length 0")
        version = run_cmd(shell, "show version")
        config = run_cmd(shell, "show running-config")
        reason = common.check(args, version, config)
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
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    tally.emit(len(hosts))


main()
