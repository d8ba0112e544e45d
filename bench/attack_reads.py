# ruff: noqa: T201  (a command-line report: printing is its job)
"""Attackers loop unindexed queries with short deadlines; another client's indexed reads are timed beside a quiet run.

    .venv/bin/python bench/attack_reads.py                   # small: 100k members, 6 attackers, 3 rounds
    .venv/bin/python bench/attack_reads.py --scale full      # 1M members
    .venv/bin/python bench/attack_reads.py --server-arg=--scan-readers=1 --json-out attack.json

One ``kura serve`` (its own process, default flags unless ``--server-arg`` adds some) is
filled with members of 4 guilds through confirmed bulk writes. Then rounds alternate a
quiet phase and an attack phase of ``--phase`` seconds each (which comes first alternates
from round to round). In both, this process is the measured client: one ``GrpcBackend``
doing, at ``--rate`` operations a second, point gets of a random member by guild and id
(4 in 5) and the first 100 members of a guild holding a random role (1 in 5; a page
through the reader pool). In an attack phase, ``--attackers`` processes each loop
``IterMembers`` filtered on a nickname no member has (no index serves it: every call reads
the whole members table) with a ``--deadline`` of 0.2 s, one call after another, as the
issue's probe did. The server's RSS is read from ``/proc`` every half second.

The report gives, per operation, the p50 and p99 of each phase of each round, the ratio
attack / quiet per round and its median. ``--kura`` runs another install's ``kura``
(e.g. a checkout before the fix) so both are measured the same way. There are no
thresholds: it exits 1 only if a measured read failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pathlib
import random
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import grpc
import workload
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hikari_kura.client import GrpcBackend, MemberQuery
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, queries_pb2

GUILDS: typing.Final = 4
SCALES: typing.Final = {"small": 100_000, "full": 1_000_000}
FILL_CHUNK: typing.Final = 10_000
PAGE: typing.Final = 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


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


async def _fill(target: str, members: int) -> float:
    """Store 4 guilds and ``members`` members through confirmed bulks, 4 in flight; return the seconds it took."""
    app = workload.make_app()
    backend = GrpcBackend(target, app=app)
    await backend.connect()
    started = time.perf_counter()
    try:
        in_flight: list[asyncio.Future[typing.Any]] = []
        for index in range(GUILDS):
            plan = workload.guild_plan(index)
            payload = workload.guild_create_payload(plan, member_count=0, channel_count=20)
            entities = workload.guild_entities(app, payload)
            await backend.guild_join(entities.guild, confirm=False)
            await backend.bulk_roles(entities.roles, confirm=False)
            for chunk in workload.member_chunks(app, plan, 0, members // GUILDS, chunk=FILL_CHUNK):
                in_flight.append(await backend.bulk_members(chunk, confirm=True))
                if len(in_flight) >= 4:
                    await in_flight.pop(0)
        for future in in_flight:
            await future
        if backend.failed_writes:
            raise SystemExit(f"{backend.failed_writes} writes failed while filling")
    finally:
        await backend.disconnect()
    return time.perf_counter() - started


async def _attack(target: str, deadline: float, seed: int) -> dict[str, int]:
    """Loop unindexed queries with a short deadline until SIGTERM; return how the calls ended."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    outcomes = {"calls": 0, "completed": 0, "deadline_exceeded": 0, "other": 0}
    rng = random.Random(seed)
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        while not stop.is_set():
            query = queries_pb2.MemberQuery(nickname=f"nobody-{rng.randrange(1 << 30)}")
            outcomes["calls"] += 1
            try:
                async for _ in stub.IterMembers(pb.IterMembersRequest(query=query), timeout=deadline):
                    pass
                outcomes["completed"] += 1
            except grpc.aio.AioRpcError as exc:
                key = "deadline_exceeded" if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED else "other"
                outcomes[key] += 1
    return outcomes


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"count": len(ordered), "p50": _percentile(ordered, 0.5), "p99": _percentile(ordered, 0.99)}


async def _measure(
    backend: GrpcBackend, members: int, seconds: float, rate: float, rng: random.Random, pid: int
) -> dict[str, typing.Any]:
    """Run the measured client's reads for ``seconds``; return their latencies (ms) and the server's RSS."""
    plans = [workload.guild_plan(index) for index in range(GUILDS)]
    latencies: dict[str, list[float]] = {"point_get": [], "role_page": []}
    errors: list[str] = []
    rss: list[float] = []
    started = time.perf_counter()
    issued = 0
    next_rss = started
    while (now := time.perf_counter()) - started < seconds:
        if now >= next_rss:
            rss.append(_rss_mib(pid))
            next_rss += 0.5
        pause = started + issued / rate - now
        if pause > 0:
            await asyncio.sleep(pause)
        issued += 1
        plan = rng.choice(plans)
        name = "role_page" if issued % 5 == 0 else "point_get"
        begun = time.perf_counter()
        try:
            if name == "point_get":
                query = MemberQuery(guild_id=plan.id, id=workload.member_id(plan, rng.randrange(members // GUILDS)))
                found = [member async for member in backend.iter_members(query)]
                if len(found) != 1:
                    errors.append(f"point get found {len(found)} members")
            else:
                count = 0
                query = MemberQuery(guild_id=plan.id, role_id=rng.choice(plan.role_ids[1:]))
                async for _ in backend.iter_members(query):
                    count += 1
                    if count == PAGE:
                        break
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        latencies[name].append((time.perf_counter() - begun) * 1000)
    return {
        "latencies": {name: _summary(values) for name, values in latencies.items()},
        "errors": errors[:10],
        "error_count": len(errors),
        "rss_mib": {"median": statistics.median(rss), "max": max(rss)},
    }


def _attackers(target: str, count: int, deadline: float) -> list[subprocess.Popen[str]]:
    command = [sys.executable, __file__, "--attacker", target, "--deadline", str(deadline)]
    return [
        subprocess.Popen([*command, "--seed", str(index)], stdout=subprocess.PIPE, text=True) for index in range(count)
    ]


def _stop_attackers(processes: list[subprocess.Popen[str]]) -> dict[str, int]:
    totals = {"calls": 0, "completed": 0, "deadline_exceeded": 0, "other": 0}
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        out, _ = process.communicate(timeout=60)
        for key, value in json.loads(out.strip().splitlines()[-1]).items():
            totals[key] += value
    return totals


async def run(args: argparse.Namespace) -> dict[str, typing.Any]:
    members = args.members or SCALES[args.scale]
    with tempfile.TemporaryDirectory(prefix="kura-attack-") as tmp:
        database = args.database or str(pathlib.Path(tmp) / "kura.sqlite3")
        target = f"127.0.0.1:{_free_port()}"
        command = [*shlex.split(args.kura), "serve", "--database", database, "--address", target, *args.server_arg]
        server = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            await _wait_serving(target, server)
            fill_seconds = await _fill(target, members)
            rss_filled = _rss_mib(server.pid)
            print(f"filled {members:,} members in {fill_seconds:.0f} s; server RSS {rss_filled:.1f} MiB", flush=True)
            backend = GrpcBackend(target, app=workload.make_app())
            await backend.connect()
            rng = random.Random(7)
            rounds = []
            try:
                await _measure(backend, members, 3.0, args.rate, rng, server.pid)  # warm the caches; not reported
                for number in range(args.rounds):
                    phases: dict[str, typing.Any] = {}
                    for phase in ("quiet", "attack") if number % 2 == 0 else ("attack", "quiet"):
                        attackers = _attackers(target, args.attackers, args.deadline) if phase == "attack" else []
                        if attackers:
                            await asyncio.sleep(1.0)  # the attackers connect and start looping
                        phases[phase] = await _measure(backend, members, args.phase, args.rate, rng, server.pid)
                        if attackers:
                            phases[phase]["attackers"] = _stop_attackers(attackers)
                        print(json.dumps({"round": number, "phase": phase, **phases[phase]}), flush=True)
                    rounds.append(phases)
            finally:
                await backend.disconnect()
        finally:
            server.send_signal(signal.SIGTERM)
            await asyncio.wait_for(server.wait(), 120)
    return {
        "command": sys.argv,
        "server_command": command,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "members": members,
        "attackers": args.attackers,
        "deadline_s": args.deadline,
        "phase_s": args.phase,
        "rate": args.rate,
        "fill_s": fill_seconds,
        "rss_filled_mib": rss_filled,
        "server_exit_status": server.returncode,
        "rounds": rounds,
    }


def _table(report: dict[str, typing.Any]) -> str:
    rounds = report["rounds"]
    lines = [
        "| operation | quiet p50 ms | attack p50 ms | p50 ratio | quiet p99 ms | attack p99 ms | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("point_get", "role_page"):
        cells = []
        for stat in ("p50", "p99"):
            quiet = [r["quiet"]["latencies"][name][stat] for r in rounds]
            attack = [r["attack"]["latencies"][name][stat] for r in rounds]
            ratios = [a / q for a, q in zip(attack, quiet, strict=True)]
            per_round = ", ".join(f"{ratio:.2f}" for ratio in ratios)
            cells += [
                f"{statistics.median(quiet):.2f}",
                f"{statistics.median(attack):.2f}",
                f"**{statistics.median(ratios):.2f}x** ({per_round})",
            ]
        lines.append(f"| {name} | {' | '.join([cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]])} |")
    rss = ", ".join(f"{r['quiet']['rss_mib']['median']:.1f} / {r['attack']['rss_mib']['median']:.1f}" for r in rounds)
    attack_max = max(r["attack"]["rss_mib"]["max"] for r in rounds)
    calls = sum(r["attack"]["attackers"]["calls"] for r in rounds)
    expired = sum(r["attack"]["attackers"]["deadline_exceeded"] for r in rounds)
    seconds = report["phase_s"] * len(rounds)
    counts = ", ".join(
        f"{sum(r['quiet']['latencies'][name]['count'] for r in rounds):,} / "
        f"{sum(r['attack']['latencies'][name]['count'] for r in rounds):,} {name}"
        for name in ("point_get", "role_page")
    )
    lines += [
        "",
        f"Reads done, quiet / attack: {counts}.",
        f"Server RSS: {report['rss_filled_mib']:.1f} MiB after the fill; median of each round, quiet / attack: "
        f"{rss} MiB (at most {attack_max:.1f} under attack).",
        f"Attackers: {calls:,} calls ({calls / seconds:.0f}/s), {expired:,} past their deadline.",
    ]
    return "\n".join(lines)


def main() -> int:
    """Run the measurement (or, with ``--attacker``, one attacker process) from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=SCALES, default="small", help="members: small 100k, full 1M")
    parser.add_argument("--members", type=int, default=0, help="members to store, instead of the scale's")
    parser.add_argument("--attackers", type=int, default=6, help="attacker processes (default 6)")
    parser.add_argument("--deadline", type=float, default=0.2, help="each attacker call's deadline in s (default 0.2)")
    parser.add_argument("--rounds", type=int, default=3, help="quiet + attack rounds (default 3)")
    parser.add_argument("--phase", type=float, default=15.0, help="seconds of each phase (default 15)")
    parser.add_argument("--rate", type=float, default=100.0, help="measured reads a second (default 100)")
    parser.add_argument("--database", help="a postgresql:// URL of an empty database (default: a SQLite file)")
    parser.add_argument(
        "--kura", default=f"{shlex.quote(sys.executable)} -m hikari_kura.server", help="the kura command to serve with"
    )
    parser.add_argument("--server-arg", action="append", default=[], help="a flag for kura serve (repeatable)")
    parser.add_argument("--json-out", type=pathlib.Path, help="write the report as JSON here")
    parser.add_argument("--attacker", metavar="TARGET", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attacker:
        print(json.dumps(asyncio.run(_attack(args.attacker, args.deadline, args.seed))), flush=True)
        return 0
    report = asyncio.run(run(args))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2))
    print(_table(report))
    failed = sum(phase["error_count"] for r in report["rounds"] for phase in r.values())
    return 1 if failed or report["server_exit_status"] else 0


if __name__ == "__main__":
    sys.exit(main())
