"""Netmiko (Debian's 2.4.2) with a 100-thread pool: the usual Netmiko /
Nornir set-up. device_type cisco_ios: Netmiko finds the prompt and turns
paging off itself (session_preparation: `terminal width 511`, `terminal
length 0`); `enable()` with `secret`; then `show version` and `show
running-config` with send_command (prompt-driven), disconnect. Output is
checked by common.Expect. Prints one JSON line; timing by the caller.
"""
import concurrent.futures
import warnings

warnings.filterwarnings("ignore")
from netmiko import ConnectHandler  # noqa: E402

import common  # noqa: E402

POOL = 100


def device(args, host, port):
    try:
        conn = ConnectHandler(device_type="cisco_ios", host=host, port=port,
                              username=args.user, password=args.password,
                              secret=args.enable, timeout=60,
                              banner_timeout=60)
        try:
            conn.enable()
            version = conn.send_command("show version")
            config = conn.send_command("show running-config")
        finally:
            conn.disconnect()
        return args.expect.check(version, config)
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def main():
    args = common.parse_args("netmiko")
    hosts = common.load_hosts(args.inventory)
    tally = common.Tally("netmiko")
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(args.concurrency, POOL)) as pool:
        for r in pool.map(lambda hp: device(args, *hp), hosts):
            tally.add(r)
    tally.emit(len(hosts), cipher="aes128-ctr")


main()
