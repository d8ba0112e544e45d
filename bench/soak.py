# ruff: noqa: T201  (a command-line report: printing is its job)
"""Soak: clients run a mixed workload against one ``kura serve`` on loopback; report errors, memory and latency.

    .venv/bin/python bench/soak.py                     # 8 clients, 5 minutes
    .venv/bin/python bench/soak.py --duration 20       # the CI length (tests/test_soak.py)

The server runs as its own process over a fresh database in a temporary directory,
seeded with 4 guilds of 2,000 members (roles, channels and threads too). Each client
is its own process with one ``GrpcBackend`` and issues, at a steady pace, a random mix
of confirmed member upserts and deletes, point gets (a member by guild and id),
members-by-role queries (stopping after 100) and a guild's channels. The server's RSS
is sampled every second. Exit status 1 if any operation failed, if the server's RSS
grew by more than ``--max-rss-growth-mb`` from the first to the last quarter of the
run (a fixed, generous bound: memory that grows without limit, not a timing), or if
the server did not stop cleanly with an intact database.

With ``--restart-every N`` the server is stopped (SIGTERM) and started again on the same
port and file every N seconds: the clients reconnect and no write may fail. Reads issued
while it is away fail at once by design; they are counted apart, not as errors.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import pathlib
import random
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import typing

import grpc
import hikari
import workload
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hikari_kura.client import ChannelQuery, GrpcBackend, MemberQuery, UnavailableError

GUILDS: typing.Final = 4
MEMBERS: typing.Final = 2000
"""Members per guild: the ids clients update, delete and look up (a bounded set, so memory may stay flat)."""
CHANNELS: typing.Final = 60
OPERATIONS: typing.Final = {
    "member_update": 35,
    "member_delete": 10,
    "get_member": 35,
    "members_by_role": 10,
    "guild_channels": 10,
}
"""Each operation and its share of the mix, in percent."""
READS: typing.Final = frozenset({"get_member", "members_by_role", "guild_channels"})
ROLE_QUERY_LIMIT: typing.Final = 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    """One ``kura serve`` process at a time on a fixed address and database file."""

    def __init__(self, database: pathlib.Path) -> None:
        self.database = database
        self.target = f"127.0.0.1:{_free_port()}"
        self.process: asyncio.subprocess.Process | None = None
        self.exit_statuses: list[int] = []

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        """Start the server and wait until it reports SERVING."""
        command = ("serve", "--database", str(self.database), "--address", self.target)
        self.process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "hikari_kura.server", *command),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await _wait_serving(self.target, self.process)

    async def stop(self) -> None:
        """Stop it with SIGTERM, as an operator does, and record its exit status."""
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.exit_statuses.append(await asyncio.wait_for(self.process.wait(), 120))
            self.process = None


async def _wait_serving(target: str, process: asyncio.subprocess.Process) -> None:
    for _ in range(1200):
        if process.returncode is not None:
            raise SystemExit(f"kura serve exited with {process.returncode}")
        async with grpc.aio.insecure_channel(target) as channel:
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        await asyncio.sleep(0.05)
    raise SystemExit("kura serve never reported SERVING")


def _rss_mib(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _seed(target: str) -> None:
    app = workload.make_app()
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        for index in range(GUILDS):
            plan = workload.guild_plan(index)
            payload = workload.guild_create_payload(plan, member_count=MEMBERS, channel_count=CHANNELS)
            entities = workload.guild_entities(app, payload)
            await backend.guild_join(entities.guild, confirm=False)
            await backend.bulk_roles(entities.roles, confirm=False)
            await backend.bulk_channels(entities.channels, confirm=False)
            await (await backend.bulk_members(entities.members, confirm=True))
    finally:
        await backend.disconnect()


async def _client(
    index: int, target: str, duration: float, rate: float, restarts: bool, ready: pathlib.Path
) -> dict[str, typing.Any]:
    """Run one client's workload for ``duration`` seconds at ``rate`` operations a second."""
    app = workload.make_app()
    rng = random.Random(index)
    plans = [workload.guild_plan(guild) for guild in range(GUILDS)]
    # Made before the clock starts: hikari's entity factory is not what this measures.
    versions = {plan.id: workload.members(app, plan, 0, MEMBERS, version=index + 1) for plan in plans}
    names, weights = list(OPERATIONS), list(OPERATIONS.values())
    latencies: dict[str, list[float]] = {name: [] for name in names}
    errors: list[str] = []
    refused_reads = 0
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    (ready / str(index)).touch()  # connect() does not retry: restarts wait until every client is in
    started = time.perf_counter()
    issued = 0
    try:
        while (now := time.perf_counter()) - started < duration:
            pause = started + issued / rate - now
            if pause > 0:
                await asyncio.sleep(pause)
            issued += 1
            name = rng.choices(names, weights)[0]
            plan = rng.choice(plans)
            number = rng.randrange(MEMBERS)
            begun = time.perf_counter()
            try:
                if name == "member_update":
                    await (await backend.member_update(versions[plan.id][number], confirm=True))
                elif name == "member_delete":
                    user_id = hikari.Snowflake(workload.member_id(plan, number))
                    await (await backend.member_delete(user_id, hikari.Snowflake(plan.id), confirm=True))
                elif name == "get_member":
                    query = MemberQuery(guild_id=plan.id, id=workload.member_id(plan, number))
                    [member async for member in backend.iter_members(query)]
                elif name == "members_by_role":
                    query = MemberQuery(guild_id=plan.id, role_id=rng.choice(plan.role_ids[1:]))
                    count = 0
                    async for _ in backend.iter_members(query):
                        count += 1
                        if count == ROLE_QUERY_LIMIT:
                            break
                else:
                    [channel async for channel in backend.iter_channels(ChannelQuery(guild_id=plan.id))]
            except Exception as exc:
                if restarts and name in READS and isinstance(exc, UnavailableError):
                    refused_reads += 1  # the server is restarting: reads fail at once, by design
                else:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            latencies[name].append((time.perf_counter() - begun) * 1000)
    finally:
        failed_writes, reconnects = backend.failed_writes, backend.reconnects  # counted until disconnect
        await backend.disconnect()
    return {
        "seconds": time.perf_counter() - started,
        "latencies_ms": latencies,
        "errors": errors[:20],
        "error_count": len(errors) + failed_writes,
        "refused_reads": refused_reads,
        "reconnects": reconnects,
        "operations": issued,
    }


def _run_client(
    index: int, target: str, duration: float, rate: float, restarts: bool, ready: pathlib.Path
) -> dict[str, typing.Any]:
    return asyncio.run(_client(index, target, duration, rate, restarts, ready))


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _slope_mib_per_min(samples: list[tuple[float, float]]) -> float:
    """Return the least-squares slope of RSS over time, in MiB a minute."""
    if len(samples) < 2:
        return 0.0
    times, values = [t for t, _ in samples], [v for _, v in samples]
    mean_t, mean_v = statistics.fmean(times), statistics.fmean(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    return 0.0 if spread == 0 else 60 * sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread


async def soak(args: argparse.Namespace) -> dict[str, typing.Any]:
    """Run the whole soak and return its report."""
    with tempfile.TemporaryDirectory(prefix="kura-soak-") as directory:
        database = pathlib.Path(directory) / "soak.sqlite3"
        server = _Server(database)
        restarts = 0
        try:
            await server.start()
            await _seed(server.target)
            samples: list[tuple[float, float]] = []
            loop = asyncio.get_running_loop()
            context = multiprocessing.get_context("spawn")  # gRPC does not survive fork
            with concurrent.futures.ProcessPoolExecutor(args.clients, mp_context=context) as pool:
                ready = pathlib.Path(directory) / "ready"
                ready.mkdir()
                restarting = args.restart_every > 0
                runs = [
                    loop.run_in_executor(
                        pool, _run_client, index, server.target, args.duration, args.rate, restarting, ready
                    )
                    for index in range(args.clients)
                ]
                started = time.perf_counter()
                all_in: float | None = None
                while not all(run.done() for run in runs):
                    now = time.perf_counter() - started
                    if all_in is None and len(list(ready.iterdir())) == args.clients:
                        all_in = now
                    due = None if all_in is None else all_in + (restarts + 1) * args.restart_every
                    # Not as the clients finish: a restart then would find nobody left to reconnect.
                    if restarting and due is not None and due <= now < all_in + args.duration - 2:
                        await server.stop()
                        await server.start()
                        restarts += 1
                    samples.append((now, _rss_mib(server.pid)))
                    await asyncio.wait(runs, timeout=1.0)
                results = [run.result() for run in runs]
        finally:
            await server.stop()
        with sqlite3.connect(database) as conn:
            integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])

    quarter = max(1, len(samples) // 4)
    first, last = (
        statistics.median(v for _, v in samples[:quarter]),
        statistics.median(v for _, v in samples[-quarter:]),
    )
    latency: dict[str, dict[str, float]] = {}
    for name in OPERATIONS:
        ordered = sorted(value for result in results for value in result["latencies_ms"][name])
        if ordered:
            latency[name] = {
                "count": len(ordered),
                "p50_ms": _percentile(ordered, 0.50),
                "p95_ms": _percentile(ordered, 0.95),
                "p99_ms": _percentile(ordered, 0.99),
                "max_ms": ordered[-1],
            }
    operations = sum(result["operations"] for result in results)
    elapsed = max(result["seconds"] for result in results)
    return {
        "clients": args.clients,
        "duration_s": round(elapsed, 1),
        "operations": operations,
        "operations_per_s": round(operations / elapsed, 1),
        "errors": sum(result["error_count"] for result in results),
        "error_samples": [error for result in results for error in result["errors"]][:20],
        "rss_mib": {
            "first_quarter_median": round(first, 1),
            "last_quarter_median": round(last, 1),
            "growth": round(last - first, 1),
            "max": round(max(v for _, v in samples), 1),
            "slope_per_min": round(_slope_mib_per_min(samples), 2),
            "samples": [(round(t, 1), round(v, 1)) for t, v in samples],
        },
        "latency": latency,
        "restarts": restarts,
        "reconnects": sum(result["reconnects"] for result in results),
        "reads_refused_while_restarting": sum(result["refused_reads"] for result in results),
        "server_exit_statuses": server.exit_statuses,
        "integrity_check": integrity,
    }


def _print(report: dict[str, typing.Any]) -> None:
    rss = report["rss_mib"]
    print(
        f"{report['clients']} clients, {report['duration_s']} s, {report['operations']} operations"
        f" ({report['operations_per_s']}/s), errors: {report['errors']}"
    )
    print(
        f"server RSS MiB: first quarter {rss['first_quarter_median']}, last quarter {rss['last_quarter_median']}"
        f" (growth {rss['growth']}), max {rss['max']}, slope {rss['slope_per_min']} MiB/min"
    )
    print(
        f"server restarts {report['restarts']}, client reconnects {report['reconnects']},"
        f" reads refused while restarting {report['reads_refused_while_restarting']}"
    )
    print(f"server exit statuses {report['server_exit_statuses']}, integrity_check {report['integrity_check']}")
    print("| operation | count | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in report["latency"].items():
        print(
            f"| {name} | {row['count']} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f}"
            f" | {row['p99_ms']:.2f} | {row['max_ms']:.2f} |"
        )
    for error in report["error_samples"]:
        print(f"error: {error}")


def main() -> int:
    """Run the soak from the command line; exit 1 on errors, unbounded memory or an unclean stop."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300)")
    parser.add_argument("--clients", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--rate", type=float, default=50.0, help="operations a second per client (default 50)")
    parser.add_argument(
        "--max-rss-growth-mb", type=float, default=150.0, help="fail above this RSS growth, in MiB (default 150)"
    )
    parser.add_argument(
        "--restart-every", type=float, default=0.0, help="restart the server every N seconds (default: never)"
    )
    parser.add_argument("--json-out", type=pathlib.Path, help="write the report as JSON here")
    args = parser.parse_args()
    report = asyncio.run(soak(args))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    _print(report)
    failed = (
        report["errors"] > 0
        or report["rss_mib"]["growth"] > args.max_rss_growth_mb
        or any(report["server_exit_statuses"])
        or report["integrity_check"] != "ok"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
