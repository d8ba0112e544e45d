# ruff: noqa: T201  (a command-line report: printing is its job)
"""Cost of the SQLite engine's write transactions alone, per member: no gRPC, no validation.

``python bench/write_path.py [--members N] [--synchronous MODE]`` (project virtualenv) times
three cases through the engine's own interface (``SqliteEngine.transaction().upsert``), the
way the writer drives it:

- ``bulk``: one transaction upserting N members not stored yet (a bulk ingest);
- ``update``: one transaction upserting the same N members again, each with other roles
  (a group of member updates);
- ``single``: N transactions of one member update each (awaited confirmed writes).

The interface is the same at every commit since the engine split, so a clone of an older
commit runs this same file for a side-by-side comparison. Instructions instead of time
(repeatable on a busy machine): ``valgrind --tool=callgrind --instr-atstart=no python
bench/write_path.py --instructions CASE`` counts one case, every thread of the process.
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import workload

from hikari_kura.client.convert import members as members_convert
from hikari_kura.server import rows, sqlite_engine


def _callgrind(on: bool) -> None:
    """Switch callgrind's counting on or off for this process (which runs under ``--instr-atstart=no``)."""
    subprocess.run(
        ["callgrind_control", f"--instr={'on' if on else 'off'}", str(os.getpid())], check=True, capture_output=True
    )


async def _run(members: int, synchronous: str, instructions: str | None) -> dict[str, float]:
    app = workload.make_app()
    protos = [members_convert.member_to_proto(m) for m in workload.members(app, workload.guild_plan(0), 0, members)]
    member_rows = [rows.member_row(m, 1) for m in protos]
    role_ids = [list(m.role_ids) for m in protos]
    other_roles = [[*ids[1:], 1_234_567_890_123_456] for ids in role_ids]
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = await sqlite_engine.SqliteEngine.open(pathlib.Path(tmp) / "write-path.sqlite3", synchronous=synchronous)
        try:

            async def upsert(ids: list[list[int]]) -> None:
                async with db.transaction() as tx:
                    await tx.upsert("members", member_rows, ids)

            async def single() -> None:
                for row, ids in zip(member_rows, role_ids, strict=True):
                    async with db.transaction() as tx:
                        await tx.upsert("members", [row], [ids])

            cases: list[tuple[str, collections.abc.Callable[[], collections.abc.Awaitable[None]]]] = [
                ("bulk", lambda: upsert(role_ids)),
                ("update", lambda: upsert(other_roles)),
                ("single", single),
            ]
            for name, case in cases:
                counted = instructions == name
                if counted:
                    _callgrind(True)
                started = time.perf_counter()
                await case()
                seconds[name] = time.perf_counter() - started
                if counted:
                    _callgrind(False)
        finally:
            await db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--synchronous", default="OFF", choices=sqlite_engine.SYNCHRONOUS_MODES)
    parser.add_argument("--instructions", choices=("bulk", "update", "single"), help="count this case (see above)")
    args = parser.parse_args()
    seconds = asyncio.run(_run(args.members, args.synchronous, args.instructions))
    if args.instructions:
        print(f"counted {args.instructions}: divide callgrind's 'Collected' by {args.members:,}")
        return
    print(f"{args.members:,} members, synchronous={args.synchronous}; us per member (single: per transaction)")
    for name, elapsed in seconds.items():
        print(f"{name:>8}: {elapsed / args.members * 1e6:8.2f}")


if __name__ == "__main__":
    main()
