# ruff: noqa: T201  (a command-line report: printing is its job)
"""Cost of each stage of Kura's bulk-ingest and scan paths, alone, in microseconds per member.

``python bench/micro.py [--members N]`` (project virtualenv). Each stage runs the
project's own code on the benchmark workload, in one process and one thread, so the
numbers add up to what one core would spend per member. Beside the end-to-end
benchmark and its py-spy profiles this says where the ceiling is: with the client and
the server in two processes on two cores, a pipelined ingest can go no faster than
its slower side.
"""

from __future__ import annotations

import argparse
import pathlib
import sqlite3
import sys
import tempfile
import time
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import workload

from hikari_kura.client.convert import members as members_convert
from hikari_kura.server import rows, schema, validation, wire, writes
from hikari_kura.v1 import cache_service_pb2 as pb


def _time(fn: typing.Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20_000)
    args = parser.parse_args()
    n = args.members
    app = workload.make_app()
    guild = workload.guild_plan(0)
    members = workload.members(app, guild, 0, n)
    chunk = 1000
    stages: list[tuple[str, str, float]] = []

    def stage(side: str, name: str, seconds: float) -> None:
        stages.append((side, name, seconds / n * 1e6))

    protos = [members_convert.member_to_proto(m) for m in members]
    stage(
        "client",
        "hikari -> proto (member_to_proto)",
        _time(lambda: [members_convert.member_to_proto(m) for m in members]),
    )

    def requests() -> list[bytes]:
        out = []
        for start in range(0, n, chunk):
            op = pb.WriteOp(upsert_members=pb.UpsertMembersRequest(members=protos[start : start + chunk]), seq=1)
            out.append(pb.WriteRequest(ops=[op]).SerializeToString())
        return out

    encoded = requests()
    stage("client", "WriteOp assembly + serialise (copies each Member)", _time(requests))
    stage("server", "parse WriteRequest", _time(lambda: [pb.WriteRequest.FromString(b) for b in encoded]))
    parsed = [m for b in encoded for m in pb.WriteRequest.FromString(b).ops[0].upsert_members.members]

    def validate() -> None:
        for i, m in enumerate(parsed):
            validation.member(m, f"members[{i}]")

    stage("server", "validation.member", _time(validate))
    stage(
        "server", "rows.member_row (re-serialises each Member)", _time(lambda: [rows.member_row(m, 1) for m in parsed])
    )
    stage("server", "role id lists", _time(lambda: [list(m.role_ids) for m in parsed]))
    member_rows = [rows.member_row(m, 1) for m in parsed]
    role_ids = [list(m.role_ids) for m in parsed]

    def sqlite_insert(synchronous: str) -> tuple[float, float]:
        with tempfile.TemporaryDirectory() as tmp:
            conn = sqlite3.connect(pathlib.Path(tmp) / "m.sqlite3", isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.executescript(schema.migration_script(0))
            latest = {(r[0], r[1]): (r, ids) for r, ids in zip(member_rows, role_ids, strict=True)}
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", latest.keys())
            conn.executemany(writes.UPSERT_SQL["members"], (r for r, _ in latest.values()))
            conn.executemany(
                "INSERT OR IGNORE INTO member_roles (guild_id, user_id, role_id) VALUES (?, ?, ?)",
                ((g, u, role) for (g, u), (_, ids) in latest.items() for role in ids),
            )
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

    write_full, read_pages = sqlite_insert("FULL")
    stage("server", "SQLite insert, one transaction (sqlite3 module, no aiosqlite)", write_full)
    stage("server (scan)", "SQLite keyset pages of 1000", read_pages)
    blobs = [r[-1] for r in member_rows]
    stage(
        "server (scan)",
        "wire.repeated_messages",
        _time(lambda: [wire.repeated_messages(1, blobs[s : s + 1000]) for s in range(0, n, 1000)]),
    )
    batches = [wire.repeated_messages(1, blobs[s : s + 1000]) for s in range(0, n, 1000)]
    stage(
        "client (scan)",
        "parse IterMembersResponse",
        _time(lambda: [pb.IterMembersResponse.FromString(b) for b in batches]),
    )
    messages = [m for b in batches for m in pb.IterMembersResponse.FromString(b).members]
    stage(
        "client (scan)",
        "proto -> hikari (member_from_proto)",
        _time(lambda: [members_convert.member_from_proto(m, app=app) for m in messages]),
    )

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


if __name__ == "__main__":
    main()
