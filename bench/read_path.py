# ruff: noqa: T201  (a command-line report: printing is its job)
"""Where a point get's time goes in the server: each read stage alone, and what a get waits on during an ingest.

``python bench/read_path.py stages [--members N]`` (project virtualenv) times each stage of the
server's point get (member by guild + id) in one process, without the gRPC transport: the whole
``IterMembers`` handler as the server registers it (request decoding, metrics and all), the handler
alone, building the query's plan, the SQLite statement through the reader pool (an aiosqlite thread
hop) and on the point-get connection, and the bare ``sqlite3`` statement. Instructions instead of
time: ``valgrind --tool=callgrind --instr-atstart=no python bench/read_path.py stages --instructions
STAGE`` counts the stage named STAGE once; divide callgrind's ``Collected`` by the gets it prints.

``python bench/read_path.py ingest [--big N]`` runs a Kura server in this process with its event
loop traced, the ``million`` scenario's ingest against it from a worker process (1,000-member
chunks, 4 in flight, a get every 2 ms in the same process), and a second process doing point gets
as another bot would. It prints, for the second process's gets, the time before the handler ran,
in the handler and after, and what held the event loop for more than a millisecond. The tracing
wraps private parts of the server (it is a diagnostic, not a benchmark), so its own cost is in the
numbers: compare runs of this script with each other, not with ``run.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
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

import grpc
import workload

from hikari_kura.client import GrpcBackend
from hikari_kura.server import app as server_app
from hikari_kura.server import metrics, reads, service, sessions, sqlite_engine, write_session, writer
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, queries_pb2

BENCH: typing.Final = pathlib.Path(__file__).resolve().parent
GUILD: typing.Final = workload.guild_plan(5, seed=0)


class _Context:
    """Stands in for a servicer context: only ``abort`` is used, and a point get of a stored member never aborts."""

    async def abort(self, code: grpc.StatusCode, message: str) -> None:
        raise RuntimeError(f"{code}: {message}")


def _callgrind(switch: str) -> None:
    """Turn callgrind's counting of this process ``on`` or ``off`` (it runs under ``--instr-atstart=no``)."""
    subprocess.run(["callgrind_control", f"--instr={switch}", str(os.getpid())], check=True, capture_output=True)


async def _stages(members: int, gets: int, instructions: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "kura.sqlite3"
        server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=path, reflection=False))
        await server.start()
        app = workload.make_app()
        backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
        try:
            await backend.connect()
            await (await backend.bulk_members(workload.members(app, GUILD, 0, members), confirm=True))
        finally:
            await backend.disconnect()
            await server.stop()

        db = await sqlite_engine.SqliteEngine.open(path)
        queue = writer.Writer(db)
        queue.start()
        open_sessions = sessions.Sessions(queue, db)
        cache = service.CacheService(db, queue, open_sessions)
        registered = service.handler(cache, metrics.Metrics())._method_handlers  # type: ignore[attr-defined]
        method = registered[f"/{service.SERVICE_NAME}/IterMembers"]
        rng = random.Random(3)
        ids = [workload.member_id(GUILD, rng.randrange(members)) for _ in range(gets)]
        requests = [pb.IterMembersRequest(query=queries_pb2.MemberQuery(guild_id=GUILD.id, id=i)) for i in ids]
        encoded = [request.SerializeToString() for request in requests]
        context = _Context()
        sql, _ = reads.plan(reads.MEMBERS, requests[0].query).page_sql(None)
        direct = sqlite3.connect(path, isolation_level=None)

        async def registered_handler() -> None:
            for data in encoded:
                async for response in method.unary_stream(method.request_deserializer(data), context):
                    method.response_serializer(response)

        async def handler() -> None:
            for request in requests:
                async for _ in cache.IterMembers(request, context):
                    pass

        async def plan() -> None:
            for request in requests:
                reads.plan(reads.MEMBERS, request.query)

        async def pool() -> None:
            for user_id in ids:
                await db.fetch(sql, [GUILD.id, user_id, 1])

        async def point() -> None:
            for user_id in ids:
                await db.lookup(sql, [GUILD.id, user_id, 1])

        async def bare() -> None:
            for user_id in ids:
                direct.execute(sql, [GUILD.id, user_id, 1]).fetchall()

        stages = {
            "registered": ("IterMembers as registered (decode, metrics, handler, encode)", registered_handler),
            "handler": ("CacheService.IterMembers alone", handler),
            "plan": ("reads.plan", plan),
            "pool": ("statement on the reader pool (aiosqlite thread hop)", pool),
            "point": ("statement on the point-get connection (engine.lookup)", point),
            "bare": ("statement on a bare sqlite3 connection", bare),
        }
        try:
            if instructions is not None:
                _, run = stages[instructions]
                await run()  # warm
                _callgrind("on")
                await run()
                _callgrind("off")
                print(f"counted {instructions}: divide callgrind's 'Collected' by {gets:,}")
                return
            print(f"{members:,} members stored, {gets:,} random point gets; best of 5; microseconds per get\n")
            print("| stage | us/get |")
            print("|---|---:|")
            for name, run in stages.values():
                best = float("inf")
                for _ in range(5):
                    started = time.perf_counter()
                    await run()
                    best = min(best, time.perf_counter() - started)
                print(f"| {name} | {best / gets * 1e6:.2f} |")
        finally:
            direct.close()
            await queue.close()
            await open_sessions.stop()
            await db.close()


class _Trace:
    """What the traced server records: long loop callbacks, each IterMembers call, each write operation."""

    def __init__(self) -> None:
        self.callbacks: list[tuple[float, float, str]] = []
        self.reads: list[dict[str, typing.Any]] = []
        self.operations: list[tuple[float, int]] = []
        self.requests: list[int] = []

    def install(self) -> None:
        """Wrap the loop's callback runner and the server's read handler, write operations and write stream."""
        trace = self
        run_handle = asyncio.events.Handle._run

        def timed(handle: asyncio.events.Handle) -> None:
            started = time.monotonic()
            run_handle(handle)
            took = time.monotonic() - started
            if took > 0.001:
                trace.callbacks.append((started, took, _describe(handle._callback)))  # type: ignore[attr-defined]

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

        iter_members = service.CacheService.IterMembers

        async def traced_iter(
            self: service.CacheService, request: pb.IterMembersRequest, context: typing.Any
        ) -> typing.AsyncIterator[bytes]:
            record: dict[str, typing.Any] = {"user": request.query.id, "entered": time.monotonic()}
            trace.reads.append(record)
            async for batch in iter_members(self, request, context):
                yield batch
                record["sent"] = time.monotonic()

        service.CacheService.IterMembers = traced_iter  # type: ignore[assignment,method-assign]

        operation = service.CacheService.operation

        async def traced_operation(
            self: service.CacheService, name: str, request: typing.Any, session_id: int | None, *, first_index: int = 0
        ) -> typing.Any:
            started = time.monotonic()
            built = await operation(self, name, request, session_id, first_index=first_index)
            trace.operations.append((time.monotonic() - started, len(getattr(built, "rows", ()))))
            return built

        service.CacheService.operation = traced_operation  # type: ignore[method-assign]

        run_session = write_session.WriteSession.run

        async def traced_run(self: write_session.WriteSession, requests: typing.AsyncIterator[pb.WriteRequest]) -> None:
            async def counted() -> typing.AsyncIterator[pb.WriteRequest]:
                async for request in requests:
                    trace.requests.append(len(request.ops))
                    yield request

            await run_session(self, counted())

        write_session.WriteSession.run = traced_run  # type: ignore[method-assign]


def _describe(callback: typing.Any) -> str:
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return f"task {getattr(task.get_coro(), '__qualname__', '?')}"
    return str(getattr(callback, "__qualname__", type(callback).__name__))


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3


async def _second_bot(target: str, signals: pathlib.Path, out: pathlib.Path) -> None:
    """Point gets with monotonic timestamps from the start to the stop of the ingest (run in its own process)."""
    guild = workload.guild_plan(6, seed=0)
    rng = random.Random(99)
    gets = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)  # type: ignore[no-untyped-call]
        while not (signals / "start").exists():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        while not (signals / "stop").exists():
            user_id = workload.member_id(guild, rng.randrange(5000))
            query = queries_pb2.MemberQuery(guild_id=guild.id, id=user_id)
            started = time.monotonic()
            got = [reply async for reply in stub.IterMembers(pb.IterMembersRequest(query=query))]
            gets.append((user_id, started, time.monotonic()))
            if len(got) != 1:
                raise AssertionError(f"member {user_id} missing during the ingest")
            await asyncio.sleep(0.002)
    out.write_text(json.dumps(gets))  # noqa: ASYNC240 (after the measurement)


async def _ingest(big: int) -> None:
    trace = _Trace()
    trace.install()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        database = workdir / "kura.sqlite3"
        server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database, reflection=False))
        await server.start()
        target = f"127.0.0.1:{server.port}"
        signals = workdir / "signals"
        signals.mkdir()
        params = {
            "seed": 0,
            "small": 5000,
            "big": big,
            "chunk": 1000,
            "gets": 1000,
            "read_interval": 0.002,
            "window": 4,
        }
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        second = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "second-bot", target, str(signals), str(workdir / "gets.json"), env=env
        )
        worker = [sys.executable, str(BENCH / "kura_worker.py"), "--params", json.dumps(params), "--db", str(database)]
        worker += ["--target", target, "--server-pid", str(os.getpid()), "--scenario", "million"]
        ingest = await asyncio.create_subprocess_exec(
            *worker, "--signal-dir", str(signals), stdout=subprocess.PIPE, env=env, cwd=BENCH
        )
        out, _ = await ingest.communicate()
        await second.wait()
        await server.stop()
        if ingest.returncode or second.returncode:
            raise SystemExit(f"a worker failed: ingest {ingest.returncode}, second bot {second.returncode}")
        gets = json.loads((workdir / "gets.json").read_text())
    (result,) = [json.loads(line[7:]) for line in out.decode().splitlines() if line.startswith("RESULT ")]
    same = result["metrics"]
    print(f"same-process reads during the ingest: p50 {same['read_during_ingest_p50_ms']:.2f} ms, ", end="")
    print(f"p99 {same['read_during_ingest_p99_ms']:.2f} ms")
    _report(trace, gets)


def _report(trace: _Trace, gets: list[tuple[int, float, float]]) -> None:
    handled = collections.defaultdict(list)
    for record in trace.reads:
        handled[record["user"]].append(record)
    parts = []
    for user_id, started, ended in gets:
        # The same-process reader asks for the same guild's members: a get is matched by user and time.
        for record in handled[user_id]:
            if started <= record["entered"] <= ended and "sent" in record:
                waited, inside = record["entered"] - started, record["sent"] - record["entered"]
                parts.append((ended - started, waited, inside, record))
                break
    print(f"\nsecond process: {len(gets)} point gets during the ingest ({len(parts)} matched to the server's); ms")
    print("| part | p50 | p90 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    for name, index in (("whole get, as the client saw it", 0), ("before the handler ran", 1), ("in the handler", 2)):
        values = [part[index] for part in parts]
        print(f"| {name} | {_quantile(values, 0.5):.2f} | {_quantile(values, 0.9):.2f} | ", end="")
        print(f"{_quantile(values, 0.99):.2f} | {max(values) * 1e3:.2f} |")
    slowest = sorted(parts, key=lambda part: -part[0])[: max(1, len(parts) // 100)]
    before = statistics.mean(part[1] for part in slowest) * 1e3
    inside = statistics.mean(part[2] for part in slowest) * 1e3
    print(f"\nslowest 1% ({len(slowest)}): on average {before:.1f} ms before the handler, {inside:.1f} ms in it")
    held: collections.Counter[str] = collections.Counter()
    for _, waited, _, record in slowest:
        start, end = record["entered"] - waited, record["entered"]
        for began, took, what in trace.callbacks:
            overlap = min(end, began + took) - max(start, began)
            if overlap > 0:
                held[what] += overlap
    print("what held the loop while they waited for the handler (ms, summed):")
    for what, seconds in held.most_common(4):
        print(f"  {what}: {seconds * 1e3:.1f}")
    print("\nevent loop callbacks over 1 ms during the run:")
    by_kind = collections.defaultdict(list)
    for _, took, what in trace.callbacks:
        by_kind[what].append(took)
    for what, times in sorted(by_kind.items(), key=lambda item: -sum(item[1]))[:5]:
        print(f"  {what}: {len(times)}, p50 {_quantile(times, 0.5):.1f} ms, max {max(times) * 1e3:.1f} ms")
    bulk = [seconds / rows for seconds, rows in trace.operations if rows >= 500]
    if bulk:
        print(f"\nwrite operations of 500+ rows (validation and rows, start to end): {len(bulk)}, ", end="")
        print(f"{statistics.median(bulk) * 1e6:.1f} us per row (median)")
    print(f"write ops per WriteRequest: {dict(sorted(collections.Counter(trace.requests).items()))}")


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    stages = commands.add_parser("stages")
    stages.add_argument("--members", type=int, default=10_000)
    stages.add_argument("--gets", type=int, default=1000)
    stages.add_argument("--instructions", metavar="STAGE", help="count instructions of this stage (see above)")
    ingest = commands.add_parser("ingest")
    ingest.add_argument("--big", type=int, default=100_000, help="members stored when the ingest ends")
    second = commands.add_parser("second-bot")
    second.add_argument("target")
    second.add_argument("signals", type=pathlib.Path)
    second.add_argument("out", type=pathlib.Path)
    args = parser.parse_args()
    if args.command == "stages":
        asyncio.run(_stages(args.members, args.gets, args.instructions))
    elif args.command == "ingest":
        asyncio.run(_ingest(args.big))
    else:
        asyncio.run(_second_bot(args.target, args.signals, args.out))


if __name__ == "__main__":
    main()
