"""Netmiko with a 100-thread pool: the usual Netmiko / Nornir set-up.
Netmiko turns paging off itself (session_preparation)."""
import concurrent.futures
import warnings

warnings.filterwarnings("ignore")
from netmiko import ConnectHandler  # noqa: E402

import common  # noqa: E402


def device(args, host, port):
    try:
        conn = ConnectHandler(device_type="cisco_ios", host=host, port=port,
                              username=args.user, password=args.password,
                              timeout=60, banner_timeout=60)
        try:
            version = conn.send_command("show version")
            config = conn.send_command("show running-config")
        finally:
            conn.disconnect()
        return common.check(args, version, config)
    except Exception as e:
        return f"{type(e).__name__}: {e}"


def main():
    args = common.parse_args("netmiko")
    hosts = common.load_hosts(args.inventory)
    tally = common.Tally("netmiko")
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(args.concurrency, 100)) as pool:
        for r in pool.map(lambda hp: device(args, *hp), hosts):
            tally.add(r)
    tally.emit(len(hosts))


main()
