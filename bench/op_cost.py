# ruff: noqa: T201  (a command-line report: printing is its job)
"""CPU time per write on each side: a ``kura serve`` process and the ``GrpcBackend`` driving it.

``python bench/op_cost.py [--synchronous MODE] [--rounds N]`` (project virtualenv) starts a
server on loopback, stores 2,000 members, then times the write scenarios of ``run.py`` at a
fixed size (5,000 unconfirmed updates and a barrier, 1,500 awaited confirmed updates, 64
writers doing 60 confirmed updates each) and reports, per write, the wall time, the server
process's CPU time (``/proc``, every thread) and the client process's. CPU time per write is
what bounds a scenario's rate once both processes are busy: with two cores, neither side can
go faster than one write per its own CPU time. Medians over ``--rounds`` fresh servers.
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import hikari

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import scenarios
import workload
from kura_side import KuraSide

_PRELOAD = 2_000
_NOWAIT, _SEQUENTIAL, _WRITERS, _EACH = 5_000, 1_500, 64, 60


def _cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of a process so far, every thread included."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(workdir: pathlib.Path, synchronous: str) -> tuple[subprocess.Popen[bytes], str]:
    log = workdir / "server.log"
    kura = pathlib.Path(sys.executable).parent / "kura"
    command = [str(kura), "serve", "--address", "127.0.0.1:0", "--database", str(workdir / "kura.sqlite3")]
    command += ["--log-level", "INFO", "--reflection", "false", "--synchronous", synchronous]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"serving address=\S+ port=(\d+)", log.read_text(errors="replace"))
        if match:
            return server, f"127.0.0.1:{match.group(1)}"
        time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"kura serve did not start:\n{log.read_text(errors='replace')}")


async def _round(synchronous: str) -> dict[str, tuple[float, float, float]]:
    """Return (wall, server CPU, client CPU) microseconds per write for each scenario, on a fresh server."""
    with tempfile.TemporaryDirectory() as tmp:
        server, target = _start_server(pathlib.Path(tmp), synchronous)
        try:
            app = workload.make_app()
            side = KuraSide(app, str(pathlib.Path(tmp) / "kura.sqlite3"), target=target, server_pid=server.pid)
            await side.connect()
            guild = workload.guild_plan(1)
            await scenarios._preload(side, guild, _PRELOAD)
            updates = scenarios._updates(side, guild, _PRELOAD, _NOWAIT + 1 + _SEQUENTIAL + _WRITERS * _EACH, 0)
            nowait, updates = updates[: _NOWAIT + 1], updates[_NOWAIT + 1 :]
            sequential, concurrent = updates[:_SEQUENTIAL], updates[_SEQUENTIAL:]

            async def unconfirmed() -> None:
                for member in nowait[:-1]:
                    await side.member_update(member, False)
                await side.member_update(nowait[-1], True)

            async def awaited() -> None:
                for member in sequential:
                    await side.member_update(member, True)

            async def writers() -> None:
                async def writer(batch: list[hikari.Member]) -> None:
                    for member in batch:
                        await side.member_update(member, True)

                await asyncio.gather(*(writer(concurrent[w * _EACH : (w + 1) * _EACH]) for w in range(_WRITERS)))

            cases: list[tuple[str, collections.abc.Callable[[], collections.abc.Awaitable[None]], int]] = [
                ("nowait_writes", unconfirmed, len(nowait)),
                ("seq_update", awaited, len(sequential)),
                ("concurrent_writers", writers, len(concurrent)),
            ]
            out = {}
            for name, case, count in cases:
                server_cpu, client_cpu, started = _cpu_seconds(server.pid), time.process_time(), time.perf_counter()
                await case()
                wall = time.perf_counter() - started
                out[name] = (
                    wall / count * 1e6,
                    (_cpu_seconds(server.pid) - server_cpu) / count * 1e6,
                    (time.process_time() - client_cpu) / count * 1e6,
                )
            await side.disconnect()
            return out
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synchronous", default="FULL", choices=("OFF", "NORMAL", "FULL", "EXTRA"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = [asyncio.run(_round(args.synchronous)) for _ in range(args.rounds)]
    print(f"synchronous={args.synchronous}, {args.rounds} rounds; microseconds per write, medians")
    print("| scenario | wall | server CPU | client CPU |")
    print("|---|---:|---:|---:|")
    for name in rounds[0]:
        wall, server_cpu, client_cpu = (statistics.median(r[name][i] for r in rounds) for i in range(3))
        print(f"| {name} | {wall:.1f} | {server_cpu:.1f} | {client_cpu:.1f} |")


if __name__ == "__main__":
    main()
