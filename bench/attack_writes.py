# ruff: noqa: T201  (a command-line report: printing is its job)
"""What one client's large or hostile writes cost everyone else: other clients' latency and the server's memory.

    .venv/bin/python bench/attack_writes.py                    # every attack, one after another
    .venv/bin/python bench/attack_writes.py --attack bulk unary --json-out attack.json

One ``kura serve`` process runs over a fresh SQLite file in a temporary directory, seeded with
10,000 members of one guild. Two other clients, each in a process of its own, run from start to
end: one does indexed gets (a member by guild and id, ``IterMembers``), the other confirmed writes
(one member upsert on its own ``Write`` stream, awaiting ``committed_through``), each at a steady
``--rate``. Between quiet spells, the attacker sends one of:

- ``bulk``: ``GrpcBackend.bulk_members`` of ``--bulk-members`` generated members, confirmed (the
  client cuts it into chunks; the server stores it as one transaction);
- ``unary``: one ``UpsertMembers`` call of ``--unary-members`` generated members, or as many as fit
  the message limit;
- ``over_cap``: one ``UpsertMembers`` call of minimal members (17 bytes each) filling the message
  limit (3.9M in 64 MiB), over ``--max-bulk-items``: it must be refused with RESOURCE_EXHAUSTED and
  change nothing;
- ``flood``: a ``Write`` stream of 2M writes the server refuses (13 MiB sent), whose responses the
  attacker never reads, held open for ``--flood-seconds``.

For each attack it reports the other clients' get and write latency (p50, p99, max) during the
attack and the 2 s after it, next to the quiet spell before it, how long the attack took, and the server's RSS before,
at its peak during the attack (sampled every 20 ms) and after. Stored data are counted after each
attack: a refused one must have stored nothing. Exit status 1 if any client call failed or the data
are wrong; there are no timing thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import concurrent.futures
import contextlib
import json
import multiprocessing
import pathlib
import random
import sys
import tempfile
import threading
import time
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import grpc
import soak
import workload

from hikari_kura.client import GrpcBackend
from hikari_kura.client.convert import members as members_convert
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, members_pb2, queries_pb2

SEEDED: typing.Final = 10_000
"""Members of the seeded guild, which the other clients read and write."""
GUILD: typing.Final = workload.guild_plan(0)
ATTACK_GUILD: typing.Final = workload.guild_plan(1)
"""The guild the attacker writes: apart from the seeded one, so its members can be counted."""
FLOOD_OPS: typing.Final = 2_000_000
FLOOD_OPS_PER_MESSAGE: typing.Final = 10_000
SETTLE_SECONDS: typing.Final = 2.0
"""Time after an attack still counted as its own: what it left behind (rows to free, answers to send) settles."""
ATTACKS: typing.Final = ("bulk", "unary", "over_cap", "flood")

Stop: typing.TypeAlias = typing.Any
"""A ``multiprocessing.Manager().Event()`` proxy, set when the other clients are to stop."""
Samples: typing.TypeAlias = list[tuple[float, float]]
"""(monotonic start time, latency in seconds) of each call; CLOCK_MONOTONIC is one clock for every process."""


# -- the other clients -------------------------------------------------------------------------


async def _paced(rate: float, stop: Stop, call: collections.abc.Callable[[int], typing.Awaitable[None]]) -> Samples:
    """Run ``call(n)`` ``rate`` times a second, one at a time, until ``stop`` is set; return its samples."""
    samples: Samples = []
    started = time.monotonic()
    issued = 0
    while not stop.is_set():  # a manager's event: one quick local round trip
        pause = started + issued / rate - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        begun = time.monotonic()
        await call(issued)
        samples.append((begun, time.monotonic() - begun))
        issued += 1
    return samples


async def _getter(target: str, rate: float, stop: Stop) -> Samples:
    rng = random.Random(1)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)

        async def get(_: int) -> None:
            user_id = workload.member_id(GUILD, rng.randrange(SEEDED))
            query = queries_pb2.MemberQuery(guild_id=GUILD.id, id=user_id)
            found = [m async for batch in stub.IterMembers(pb.IterMembersRequest(query=query)) for m in batch.members]
            if len(found) != 1:
                raise RuntimeError(f"member {user_id} not found")

        return await _paced(rate, stop, get)


async def _writer(target: str, rate: float, stop: Stop) -> Samples:
    rng = random.Random(2)
    app = workload.make_app()
    protos = [members_convert.member_to_proto(m) for m in workload.members(app, GUILD, 0, 1000, version=1)]
    requests: asyncio.Queue[pb.WriteRequest | None] = asyncio.Queue()

    async def outgoing() -> collections.abc.AsyncIterator[pb.WriteRequest]:
        while (request := await requests.get()) is not None:
            yield request

    async with grpc.aio.insecure_channel(target) as channel:
        call = cache_service_pb2_grpc.CacheServiceStub(channel).Write(outgoing())
        await call.read()  # session_opened

        async def write(number: int) -> None:
            upsert = pb.UpsertMembersRequest(members=[rng.choice(protos)])
            await requests.put(pb.WriteRequest(ops=[pb.WriteOp(seq=number + 1, upsert_members=upsert)]))
            response = await call.read()
            if response.WhichOneof("event") != "committed_through" or response.committed_through != number + 1:
                raise RuntimeError(f"write {number + 1} not confirmed: {response}")

        samples = await _paced(rate, stop, write)
        await requests.put(None)
        await call.code()
    return samples


def _run_client(kind: str, target: str, rate: float, stop: Stop) -> Samples:
    return asyncio.run((_getter if kind == "get" else _writer)(target, rate, stop))


# -- the attacks -------------------------------------------------------------------------------


def _member_protos(start: int, count: int) -> list[members_pb2.Member]:
    app = workload.make_app()
    out: list[members_pb2.Member] = []
    for chunk in workload.member_chunks(app, ATTACK_GUILD, start, count):
        out.extend(members_convert.member_to_proto(m) for m in chunk)
    return out


Attack: typing.TypeAlias = collections.abc.Callable[[], collections.abc.Awaitable[tuple[str, int]]]
"""Send a prepared attack; return what happened and how many attack-guild members it stored."""


def _bulk(target: str, count: int) -> Attack:
    app = workload.make_app()
    members = [m for chunk in workload.member_chunks(app, ATTACK_GUILD, 0, count) for m in chunk]
    size = sum(members_convert.member_to_proto(m).ByteSize() for m in members)

    async def send() -> tuple[str, int]:
        backend = GrpcBackend(target, app=app)
        await backend.connect()
        try:
            await (await backend.bulk_members(members, confirm=True))
        finally:
            await backend.disconnect()
        return f"{count:,} members, {size / 2**20:.1f} MiB, stored", count

    return send


def _fitting(protos: list[members_pb2.Member], limit: int) -> list[members_pb2.Member]:
    """Return the longest prefix of ``protos`` whose ``UpsertMembersRequest`` stays 64 KiB under ``limit``."""
    total, kept = 0, 0
    for proto in protos:
        total += proto.ByteSize() + 4
        if total > limit - 65536:
            break
        kept += 1
    return protos[:kept]


def _unary(target: str, max_message_bytes: int, count: int, stored: int) -> Attack:
    protos = _fitting(_member_protos(stored, count), max_message_bytes)
    request = pb.UpsertMembersRequest(members=protos)

    async def send() -> tuple[str, int]:
        async with grpc.aio.insecure_channel(target, options=_message_options(max_message_bytes)) as channel:
            await cache_service_pb2_grpc.CacheServiceStub(channel).UpsertMembers(request)
        return f"{len(protos):,} members, {request.ByteSize() / 2**20:.1f} MiB, stored", len(protos)

    return send


def _over_cap(target: str, max_message_bytes: int) -> Attack:
    one = pb.UpsertMembersRequest(
        members=[members_pb2.Member(guild_id=ATTACK_GUILD.id, user=members_pb2.User(id=1))]
    ).SerializeToString()
    count = (max_message_bytes - 65536) // len(one)
    data = one * count  # a repeated field's elements, one after another
    what = f"{count:,} members, {len(data) / 2**20:.1f} MiB"

    async def send() -> tuple[str, int]:
        async with grpc.aio.insecure_channel(target, options=_message_options(max_message_bytes)) as channel:
            raw = channel.unary_unary(
                "/hikari_kura.v1.CacheService/UpsertMembers",
                request_serializer=None,
                response_deserializer=pb.UpsertMembersResponse.FromString,
            )
            try:
                await raw(data)
            except grpc.aio.AioRpcError as exc:
                return f"{what}: {exc.code().name} {exc.details()}", 0
        return f"{what}: ACCEPTED (stored as one member: they share a user id)", 1

    return send


def _flood(target: str, seconds: float) -> Attack:
    refused = pb.DeleteRoleRequest(role_id=0)
    messages = [
        pb.WriteRequest(
            ops=[pb.WriteOp(seq=seq, delete_role=refused) for seq in range(first, first + FLOOD_OPS_PER_MESSAGE)]
        )
        for first in range(1, FLOOD_OPS + 1, FLOOD_OPS_PER_MESSAGE)
    ]
    size = sum(message.ByteSize() for message in messages)

    async def send() -> tuple[str, int]:
        sent = 0

        async def requests() -> collections.abc.AsyncIterator[pb.WriteRequest]:
            nonlocal sent
            for message in messages:
                yield message
                sent += len(message.ops)

        async with grpc.aio.insecure_channel(target) as channel:
            call = cache_service_pb2_grpc.CacheServiceStub(channel).Write(requests())
            await call.read()  # session_opened; nothing after it is read
            await asyncio.sleep(seconds)
            call.cancel()
        return (
            f"{sent:,} of {FLOOD_OPS:,} refused writes ({size / 2**20:.0f} MiB) taken in {seconds:g} s,"
            " no response read"
        ), 0

    return send


def _message_options(limit: int) -> list[tuple[str, int]]:
    return [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]


# -- measuring ---------------------------------------------------------------------------------


class _RssSampler:
    """Sample a process's RSS every 20 ms on a thread, so the peak of a short attack is seen."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._stop = threading.Event()
        self.peak = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            with contextlib.suppress(OSError, RuntimeError):
                self.peak = max(self.peak, soak._rss_mib(self._pid))


def _window(samples: Samples, start: float, end: float) -> dict[str, float]:
    """Return count, p50, p99 and max in ms of the calls that began in [start, end) or were running at start."""
    inside = sorted(
        latency * 1000 for begun, latency in samples if start <= begun < end or begun < start < begun + latency
    )
    if not inside:
        return {"count": 0}
    return {
        "count": len(inside),
        "p50_ms": round(soak._percentile(inside, 0.50), 2),
        "p99_ms": round(soak._percentile(inside, 0.99), 2),
        "max_ms": round(inside[-1], 2),
    }


async def _stored_members(target: str, guild_id: int) -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        request = pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=guild_id), batch_size=10_000)
        return sum([len(batch.members) async for batch in stub.IterMembers(request)])


async def _seed(target: str) -> None:
    app = workload.make_app()
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        await (await backend.bulk_members(workload.members(app, GUILD, 0, SEEDED), confirm=True))
    finally:
        await backend.disconnect()


async def run(args: argparse.Namespace) -> dict[str, typing.Any]:
    """Start the server and the other clients, run each attack between quiet spells, and return the report."""
    report: dict[str, typing.Any] = {"attacks": {}, "errors": []}
    with tempfile.TemporaryDirectory(prefix="kura-attack-") as directory:
        server = soak._Server(pathlib.Path(directory) / "attack.sqlite3")
        await server.start()
        try:
            await _seed(server.target)
            loop = asyncio.get_running_loop()
            context = multiprocessing.get_context("spawn")  # gRPC does not survive fork
            with context.Manager() as manager, concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
                stop = manager.Event()
                clients = {
                    kind: loop.run_in_executor(pool, _run_client, kind, server.target, args.rate, stop)
                    for kind in ("get", "write")
                }
                try:
                    timeline = await _attacks(args, server, report)
                finally:
                    stop.set()  # the clients stop, whatever happened
                samples: dict[str, Samples] = {}
                for kind, future in clients.items():
                    try:
                        samples[kind] = await future
                    except Exception as exc:
                        report["errors"].append(f"{kind} client: {type(exc).__name__}: {exc}")
                        samples[kind] = []
            for name, (quiet_start, start, end) in timeline.items():
                entry = report["attacks"][name]
                for kind, kind_samples in samples.items():
                    entry[f"{kind}_quiet"] = _window(kind_samples, quiet_start, start)
                    entry[f"{kind}_attack"] = _window(kind_samples, start, end)
        finally:
            await server.stop()
    return report


async def _attacks(
    args: argparse.Namespace, server: soak._Server, report: dict[str, typing.Any]
) -> dict[str, tuple[float, float, float]]:
    """Run each chosen attack after a quiet spell; return (quiet start, attack start, attack end) of each."""
    timeline: dict[str, tuple[float, float, float]] = {}
    stored = 0
    await asyncio.sleep(2.0)  # the clients' processes start and connect
    for name in args.attack:
        if name == "bulk":
            attack = _bulk(server.target, args.bulk_members)
        elif name == "unary":
            attack = _unary(server.target, args.max_message_bytes, args.unary_members, stored)
        elif name == "over_cap":
            attack = _over_cap(server.target, args.max_message_bytes)
        else:
            attack = _flood(server.target, args.flood_seconds)
        quiet_start = time.monotonic()
        await asyncio.sleep(args.quiet_seconds)
        before = soak._rss_mib(server.pid)
        with _RssSampler(server.pid) as sampler:
            start = time.monotonic()
            try:
                outcome, added = await attack()
            except Exception as exc:
                outcome, added = f"failed: {type(exc).__name__}: {exc}", 0
                report["errors"].append(f"{name}: {outcome}")
            end = time.monotonic()
            await asyncio.sleep(SETTLE_SECONDS)  # what the attack left behind settles
        stored += added
        found = await _stored_members(server.target, ATTACK_GUILD.id)
        if name != "over_cap" and found != stored:
            report["errors"].append(f"{name}: {found} attack-guild members stored, expected {stored}")
        if name == "over_cap" and added:
            report["errors"].append("over_cap: accepted")
        report["attacks"][name] = {
            "outcome": outcome,
            "seconds": round(end - start, 2),
            "stored_members_after": found,
            "rss_mib": {
                "before": round(before, 1),
                "peak": round(max(sampler.peak, before), 1),
                "after": round(soak._rss_mib(server.pid), 1),
            },
        }
        timeline[name] = (quiet_start, start, end + SETTLE_SECONDS)
    return timeline


def _print(report: dict[str, typing.Any]) -> None:
    print(
        "| attack | what | s | RSS MiB before / peak / after | get p50 / p99 / max ms (quiet -> attack) "
        "| write p50 / p99 / max ms (quiet -> attack) |"
    )
    print("|---|---|---:|---|---|---|")

    def latency(row: dict[str, float]) -> str:
        if not row.get("count"):
            return "none"
        return f"{row['p50_ms']:.1f} / {row['p99_ms']:.1f} / {row['max_ms']:.1f}"

    for name, entry in report["attacks"].items():
        rss = entry["rss_mib"]
        print(
            f"| {name} | {entry['outcome']} | {entry['seconds']} | {rss['before']} / {rss['peak']} / {rss['after']}"
            f" | {latency(entry['get_quiet'])} -> {latency(entry['get_attack'])}"
            f" | {latency(entry['write_quiet'])} -> {latency(entry['write_attack'])} |"
        )
    for error in report["errors"]:
        print(f"error: {error}")


def main() -> int:
    """Run the attacks from the command line; exit 1 if a client call failed or the stored data are wrong."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attack", nargs="+", choices=ATTACKS, default=list(ATTACKS), help="attacks to run, in order")
    parser.add_argument(
        "--bulk-members", type=int, default=110_000, help="members of the bulk attack (default 110,000)"
    )
    parser.add_argument(
        "--unary-members", type=int, default=300_000, help="most members of the unary attack (default: as many as fit)"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="calls a second of each other client (default 100)")
    parser.add_argument("--quiet-seconds", type=float, default=3.0, help="quiet spell before each attack (default 3)")
    parser.add_argument("--flood-seconds", type=float, default=10.0, help="how long the flood stream stays open")
    parser.add_argument(
        "--max-message-bytes", type=int, default=64 * 1024 * 1024, help="the server's message limit (its default)"
    )
    parser.add_argument("--json-out", type=pathlib.Path, help="write the report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    _print(report)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
