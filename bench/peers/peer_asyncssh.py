"""asyncssh with asyncio: the async model behind scrapli's async transport."""
import asyncio
import warnings

warnings.filterwarnings("ignore")
import asyncssh  # noqa: E402

import common  # noqa: E402


async def read_prompt(proc, timeout=60):
    buf = b""
    while True:
        chunk = await asyncio.wait_for(proc.stdout.read(65536), timeout)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
        if common.PROMPT_RE.search(buf[-200:]):
            return buf.decode(errors="replace")


async def device(args, host, port, sem, tally):
    async with sem:
        try:
            async with asyncssh.connect(
                    host, port, username=args.user, password=args.password,
                    known_hosts=None, compression_algs=None,
                    encryption_algs=["aes128-ctr"]) as conn:
                proc = await conn.create_process(term_type="vt100",
                                                 encoding=None)
                await read_prompt(proc)
                outs = []
                for cmd in ("terminal length 0", "show version",
                            "show running-config"):
                    proc.stdin.write(cmd.encode() + b"\n")
                    outs.append(await read_prompt(proc))
                proc.stdin.write(b"exit\n")
                tally.add(common.check(args, outs[1], outs[2]))
        except Exception as e:  # every failure counts, with its reason
            tally.add(f"{type(e).__name__}: {e}")


async def main():
    args = common.parse_args("asyncssh")
    hosts = common.load_hosts(args.inventory)
    tally = common.Tally("asyncssh")
    sem = asyncio.Semaphore(args.concurrency)
    await asyncio.gather(*(device(args, h, p, sem, tally) for h, p in hosts))
    tally.emit(len(hosts))


asyncio.run(main())
