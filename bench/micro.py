# ruff: noqa: T201  (a command-line report: printing is its job)
"""Cost of each stage of Kura's bulk-ingest and scan paths, alone, in microseconds per member.

``python bench/micro.py [--members N]`` (project virtualenv). Each stage runs the
project's own code on the benchmark workload, in one process and one thread, so the
numbers add up to what one core would spend per member. Beside the end-to-end
benchmark and its py-spy profiles this says where the ceiling is: with the client and
the server in two processes on two cores, a pipelined ingest can go no faster than
its slower side. The channel stages are per channel, over the channel_scan scenario's 500.

Instructions instead of time (repeatable on a busy machine): ``valgrind --tool=callgrind
--instr-atstart=no python bench/micro.py --instructions STAGE`` runs the stage whose name
contains STAGE once with callgrind counting, and prints the count per member (or channel).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import workload

from hikari_kura.client import GrpcBackend, write_stream
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

    def __init__(self) -> None:
        self.ops: list[pb.WriteOp] = []

    def issue(self, ops: list[pb.WriteOp], operation: str, detail: str, *, confirm: bool) -> None:
        self.ops = ops


def _count_instructions(fn: typing.Callable[[], object]) -> None:
    """Run ``fn`` with callgrind counting (the process runs under ``--instr-atstart=no``)."""
    fn()  # warm: caches filled, code paths taken once
    subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
    fn()
    subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20_000)
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

    # What bulk_members does before the write stream: conversion, chunks of 1,000, their size check.
    backend = GrpcBackend("127.0.0.1:1", app=app)
    session = _IssuedOps()
    backend._stream = session  # type: ignore[assignment]  # a stand-in: nothing is sent
    stage(
        "client",
        "bulk_members up to issue (convert, chunk requests, size check)",
        lambda: asyncio.run(backend.bulk_members(members, confirm=False)),
    )
    asyncio.run(backend.bulk_members(members, confirm=False))  # the stage may not have run (--instructions)
    ops = session.ops

    def requests() -> list[bytes]:
        # What the write stream did before 2026-11-26: size each op, copy it into a WriteRequest, serialise.
        for op in ops:
            op.ByteSize()
        return [pb.WriteRequest(ops=[op]).SerializeToString() for op in ops]

    stage("client, before (not in the total)", "write stream: size, WriteRequest copy, serialise", requests)
    # What it does now: encode each op once, as an element of WriteRequest.ops, when it is issued.
    encoded = [write_stream._framed(op) for op in ops]
    stage("client", "write stream: encode each op once", lambda: [write_stream._framed(op) for op in ops])
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
    if args.instructions is not None:
        raise SystemExit(f"no stage named like {args.instructions!r}")
    channel_stages = stages[channel_stages_from:]
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


if __name__ == "__main__":
    main()
