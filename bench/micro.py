# ruff: noqa: T201  (a command-line report: printing is its job)
"""Cost of each stage of Kura's bulk-ingest and scan paths, alone, in microseconds per member.

``python bench/micro.py [--members N]`` (project virtualenv). Each stage runs the
project's own code on the benchmark workload, in one process and one thread, so the
numbers add up to what one core would spend per member. Beside the end-to-end
benchmark and its py-spy profiles this says where the ceiling is: with the client and
the server in two processes on two cores, a pipelined ingest can go no faster than
its slower side. The channel stages are per channel, over the channel_scan scenario's 500.

The client's single-operation stages (single writes through the write stream, point gets)
run against a real ``kura serve`` on loopback that micro.py starts (its own process, not
counted): they are per operation, everything the client process does for it, the gRPC
threads included.

Instructions instead of time (repeatable on a busy machine): ``valgrind --tool=callgrind
--instr-atstart=no python bench/micro.py --instructions STAGE`` runs the stage whose name
contains STAGE once with callgrind counting, and prints the count per member (or channel,
or operation).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import hikari
import run
import workload

from hikari_kura.client import GrpcBackend, MemberQuery, write_stream
from hikari_kura.client.convert import channels as channels_convert
from hikari_kura.client.convert import members as members_convert
from hikari_kura.server import rows, schema, sqlite_engine, validation, wire
from hikari_kura.v1 import cache_service_pb2 as pb


def _time(fn: typing.Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


class _IssuedOps:
    """Stands in for the write stream: keeps what ``GrpcBackend`` issues, sends nothing."""

    max_request_bytes = 4 * 1024 * 1024 - 1024
    backlogged = False

    def __init__(self) -> None:
        self.ops: list[bytes] = []

    def issue(self, ops: list[bytes], *_: object, **__: object) -> None:
        self.ops = ops


def _count_instructions(fn: typing.Callable[[], object]) -> None:
    """Run ``fn`` with callgrind counting (the process runs under ``--instr-atstart=no``)."""
    fn()  # warm: caches filled, code paths taken once
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    fn()
    subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)


def _single_ops(
    app: hikari.GatewayBot, ops: int, stage: typing.Callable[[str, str, typing.Callable[[], object], int], None]
) -> list[float]:
    """Stage the client's per-operation paths on a real server; return the loop's longest blocks in bulk writes (ms).

    The server runs in its own process (not counted, not timed apart): the stages are what the
    client process spends per operation, from the call to its outcome.
    """
    guild = workload.guild_plan(1)
    stored = workload.members(app, guild, 0, ops)
    updates = workload.members(app, guild, 0, ops, version=1)  # each stored member changed, as a bot's updates
    rng = random.Random(7)
    get_ids = [workload.member_id(guild, rng.randrange(ops)) for _ in range(ops)]
    with tempfile.TemporaryDirectory() as tmp:
        server = run.KuraServer(pathlib.Path(tmp), synchronous=None)
        server.start()
        loop = asyncio.new_event_loop()
        backend = GrpcBackend(server.target, app=app)
        try:
            loop.run_until_complete(backend.connect())

            async def bulk(members: list[hikari.Member]) -> None:
                await (await backend.bulk_members(members, confirm=True))

            loop.run_until_complete(bulk(stored))

            async def nowait() -> None:
                for member in updates[:-1]:
                    await backend.member_update(member, confirm=False)
                await (await backend.member_update(updates[-1], confirm=True))

            async def confirmed() -> None:
                for member in updates:
                    await (await backend.member_update(member, confirm=True))

            async def concurrent() -> None:
                async def writer(batch: list[hikari.Member]) -> None:
                    for member in batch:
                        await (await backend.member_update(member, confirm=True))

                await asyncio.gather(*(writer(updates[w::64]) for w in range(64)))

            async def point_gets() -> None:
                for user_id in get_ids:
                    found = None
                    async for member in backend.iter_members(MemberQuery(guild_id=guild.id, id=user_id)):
                        found = member
                    if found is None:
                        raise AssertionError(f"member {user_id} not found")

            side = "client (single ops, real server)"
            stage(
                side,
                "nowait writes: member_update(confirm=False) each, then one barrier",
                lambda: loop.run_until_complete(nowait()),
                ops,
            )
            stage(
                side,
                "confirmed writes: member_update(confirm=True), each awaited",
                lambda: loop.run_until_complete(confirmed()),
                ops,
            )
            stage(side, "64 concurrent confirmed writers", lambda: loop.run_until_complete(concurrent()), ops)
            stage(side, "point get: iter_members(guild + id)", lambda: loop.run_until_complete(point_gets()), ops)
            return [block for _ in range(5) for block in loop.run_until_complete(_bulk_blocks(backend, stored))]
        finally:
            loop.run_until_complete(backend.disconnect())
            loop.close()
            server.stop()


async def _bulk_blocks(backend: GrpcBackend, members: list[hikari.Member], chunk: int = 1000) -> list[float]:
    """Return, per confirmed ``bulk_members`` of ``chunk`` members, the longest the loop was held (ms of CPU).

    A ticker task measures the gaps between its turns, which a reader in the bot would wait too.
    """
    blocks: list[float] = []

    async def ticker(stop: asyncio.Event) -> float:
        # The main thread's CPU time between two turns: the work that held the loop, without the time
        # this busy machine's other processes took the core (a wall-clock gap mostly measures those).
        longest, last = 0.0, time.thread_time()
        while not stop.is_set():
            await asyncio.sleep(0)
            now = time.thread_time()
            longest, last = max(longest, now - last), now
        return longest

    for start in range(0, len(members) - chunk + 1, chunk):
        stop = asyncio.Event()
        task = asyncio.get_running_loop().create_task(ticker(stop))
        await asyncio.sleep(0)
        await (await backend.bulk_members(members[start : start + chunk], confirm=True))
        stop.set()
        blocks.append(await task * 1e3)
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--ops", type=int, default=2000, help="operations per single-op stage (at most --members)")
    parser.add_argument("--instructions", metavar="STAGE", help="count instructions of this stage (see above)")
    args = parser.parse_args()
    n = args.members
    app = workload.make_app()
    guild = workload.guild_plan(0)
    members = workload.members(app, guild, 0, n)
    stages: list[tuple[str, str, float]] = []

    def stage(side: str, name: str, fn: typing.Callable[[], object], count: int = n) -> None:
        if args.instructions is None:
            stages.append((side, name, _time(fn) / count * 1e6))
        elif args.instructions in name:
            _count_instructions(fn)
            print(f"counted {name}: divide callgrind's 'Collected' by {count:,}")
            sys.exit(0)

    stage(
        "client (part of bulk_members)",
        "hikari -> proto (member_to_proto)",
        lambda: [members_convert.member_to_proto(m) for m in members],
    )

    # What bulk_members does before the write stream: conversion, chunks of 1,000 serialised and sized.
    backend = GrpcBackend("127.0.0.1:1", app=app)
    session = _IssuedOps()
    backend._stream = session  # type: ignore[assignment]  # a stand-in: nothing is sent
    stage(
        "client",
        "bulk_members up to issue (convert, serialise chunks, size check)",
        lambda: asyncio.run(backend.bulk_members(members, confirm=False)),
    )
    asyncio.run(backend.bulk_members(members, confirm=False))  # the stage may not have run (--instructions)
    ops = session.ops
    # What the write stream does with them: put each one's seq ahead, frame it as an element of WriteRequest.ops.
    encoded = [write_stream._framed(op, 1, False) for op in ops]
    stage(
        "client", "write stream: frame each op with its seq", lambda: [write_stream._framed(op, 1, False) for op in ops]
    )
    stage("server", "parse WriteRequest", lambda: [pb.WriteRequest.FromString(b) for b in encoded])
    parsed = [m for b in encoded for m in pb.WriteRequest.FromString(b).ops[0].upsert_members.members]

    def validate() -> None:
        for i, m in enumerate(parsed):
            validation.member(m, f"members[{i}]")

    stage("server", "validation.member", validate)
    stage("server", "rows.member_row (re-serialises each Member)", lambda: [rows.member_row(m, 1) for m in parsed])
    stage("server", "role id lists", lambda: [list(m.role_ids) for m in parsed])
    member_rows = [rows.member_row(m, 1) for m in parsed]
    role_ids = [list(m.role_ids) for m in parsed]

    def sqlite_insert(synchronous: str) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as tmp:
            conn = sqlite3.connect(pathlib.Path(tmp) / "m.sqlite3", isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.executescript(schema.migration_script(0))
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            sqlite_engine.Statements(conn).upsert("members", member_rows, role_ids)  # the engine's own statements
            conn.execute("COMMIT")
            elapsed = time.perf_counter() - started
            started = time.perf_counter()
            fetched = 0
            after: tuple[int, int] | None = None
            while True:
                if after is None:
                    page = conn.execute(
                        "SELECT guild_id, id, data FROM members WHERE guild_id = ? ORDER BY guild_id, id LIMIT ?",
                        (guild.id, 1000),
                    ).fetchall()
                else:
                    page = conn.execute(
                        "SELECT guild_id, id, data FROM members WHERE guild_id = ? AND (guild_id, id) > (?, ?)"
                        " ORDER BY guild_id, id LIMIT ?",
                        (guild.id, *after, 1000),
                    ).fetchall()
                if not page:
                    break
                fetched += len(page)
                after = (page[-1][0], page[-1][1])
            read = time.perf_counter() - started
            conn.close()
            assert fetched == n
            return elapsed, read

    if args.instructions is None:
        write_full, read_pages = sqlite_insert("FULL")
        stages.append(("server", "SQLite insert, one transaction (sqlite3 module, no aiosqlite)", write_full / n * 1e6))
        stages.append(("server (scan)", "SQLite keyset pages of 1000", read_pages / n * 1e6))
    blobs = [r[-1] for r in member_rows]
    stage(
        "server (scan)",
        "wire.repeated_messages",
        lambda: [wire.repeated_messages(1, blobs[s : s + 1000]) for s in range(0, n, 1000)],
    )
    batches = [wire.repeated_messages(1, blobs[s : s + 1000]) for s in range(0, n, 1000)]
    stage("client (scan)", "parse IterMembersResponse", lambda: [pb.IterMembersResponse.FromString(b) for b in batches])
    messages = [m for b in batches for m in pb.IterMembersResponse.FromString(b).members]
    stage(
        "client (scan)",
        "proto -> hikari (member_from_proto)",
        lambda: [members_convert.member_from_proto(m, app=app) for m in messages],
    )

    channels = workload.mixed_channels(app, 500)
    channel_messages = [channels_convert.channel_to_proto(channel) for channel in channels]
    channel_stages_from = len(stages)
    # Each pass over 500 channels takes milliseconds: 20 of them make one timed stage.
    stage(
        "client (channels)",
        "hikari -> proto (channel_to_proto)",
        lambda: [channels_convert.channel_to_proto(c) for _ in range(20) for c in channels],
        20 * len(channels),
    )
    stage(
        "client (channel scan)",
        "proto -> hikari (channel_from_proto)",
        lambda: [channels_convert.channel_from_proto(m, app=app) for _ in range(20) for m in channel_messages],
        20 * len(channels),
    )
    single_stages_from = len(stages)
    ops = min(n, args.ops)

    async def updates_up_to_issue() -> None:
        for member in members[:ops]:
            await backend.member_update(member, confirm=False)

    stage(
        "client (single ops)",
        "single write: member_update(confirm=False) with a stand-in stream (nothing sent)",
        lambda: asyncio.run(updates_up_to_issue()),
        ops,
    )
    blocks = _single_ops(app, ops, stage)
    if args.instructions is not None:
        raise SystemExit(f"no stage named like {args.instructions!r}")
    single_stages = stages[single_stages_from:]
    channel_stages = stages[channel_stages_from:single_stages_from]
    del stages[channel_stages_from:]

    print(f"{n:,} benchmark members; best of 3; microseconds per member, one core\n")
    print("| side | stage | us/member |")
    print("|---|---|---:|")
    totals: dict[str, float] = {}
    for side, name, us in stages:
        print(f"| {side} | {name} | {us:.2f} |")
        totals[side] = totals.get(side, 0.0) + us
    print()
    for side, us in totals.items():
        print(f"- {side} total: {us:.2f} us/member -> at most {1e6 / us:,.0f} members/s on one core")
    print(f"\n{len(channels)} benchmark channels of every kind; best of 3; microseconds per channel, one core\n")
    print("| side | stage | us/channel |")
    print("|---|---|---:|")
    for side, name, us in channel_stages:
        print(f"| {side} | {name} | {us:.2f} |")
    print(f"\n{ops:,} operations each (on a kura serve on loopback where it says so); best of 3; microseconds per op\n")
    print("| side | stage | us/op |")
    print("|---|---|---:|")
    for side, name, us in single_stages:
        print(f"| {side} | {name} | {us:.2f} |")
    if blocks:
        print(
            f"\nconfirmed bulk_members of 1,000 members: the loop's longest block per bulk (CPU time), median"
            f" {statistics.median(blocks):.2f} ms, max {max(blocks):.2f} ms ({len(blocks)} bulks)"
        )


if __name__ == "__main__":
    main()
