"""asyncssh with asyncio: the async model behind scrapli's async transport.

One event loop, at most --concurrency sessions at once. Per device: connect,
password auth, pty + shell, wait for the `H>` prompt, `enable` + password
(`H#`), `terminal length 0`, `show version`, `show running-config`, `exit`,
disconnect; then the output is checked (common.Expect). Prints one JSON
line: ok, failed and the failure reasons. Timing is done by the caller.
"""
import asyncio
import warnings

warnings.filterwarnings("ignore")
import asyncssh  # noqa: E402

import common  # noqa: E402

STEP_TIMEOUT = 60


async def read_until(proc, done):
    buf = b""
    while not done(buf):
        chunk = await asyncio.wait_for(proc.stdout.read(65536), STEP_TIMEOUT)
        if not chunk:
            raise ConnectionError("closed by the device")
        buf += chunk
    return buf


async def command(proc, line):
    proc.stdin.write(line.encode() + b"\n")
    return (await read_until(proc, common.at_prompt)).decode(
        errors="replace")


async def session(args, host, port):
    async with asyncssh.connect(
            host, port, username=args.user, password=args.password,
            known_hosts=None, compression_algs=None,
            encryption_algs=["aes128-ctr"]) as conn:
        proc = await conn.create_process(term_type="vt100", encoding=None)
        await read_until(proc, common.at_prompt)
        proc.stdin.write(b"enable\n")
        await read_until(proc, common.at_password)
        if not (await command(proc, args.enable)).endswith("#"):
            return "enable refused"
        await command(proc, "terminal length 0")
        version = await command(proc, "show version")
        config = await command(proc, "show running-config")
        proc.stdin.write(b"exit\n")
        return args.expect.check(version, config)


async def device(args, host, port, sem, tally):
    async with sem:
        try:
            tally.add(await session(args, host, port))
        except Exception as e:  # every failure counts, with its reason
            tally.add(f"{type(e).__name__}: {e}")


async def main():
    args = common.parse_args("asyncssh")
    hosts = common.load_hosts(args.inventory)
    tally = common.Tally("asyncssh")
    sem = asyncio.Semaphore(args.concurrency)
    await asyncio.gather(*(device(args, h, p, sem, tally) for h, p in hosts))
    tally.emit(len(hosts), cipher="aes128-ctr")


asyncio.run(main())
