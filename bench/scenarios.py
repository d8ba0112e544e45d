"""The benchmark scenarios, written once against a small ``Side`` interface that Kura and the reference both implement.

A worker process runs one scenario on one side and prints its metrics as JSON. Entities
are built before the clock starts (and frozen out of the garbage collector's way), so
only cache work is timed. Each scenario function returns a flat dict of numbers and
notes; ``run.py`` turns pairs of them into ratios.
"""

from __future__ import annotations

import abc
import asyncio
import collections.abc
import gc
import os
import random
import sys
import time
import typing

import hikari
import workload

Metrics = dict[str, typing.Any]


def percentile(values: collections.abc.Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def latency_metrics(prefix: str, seconds: collections.abc.Sequence[float]) -> Metrics:
    """Return p50, p99 and max of latencies in milliseconds."""
    return {
        f"{prefix}p50_ms": percentile(seconds, 0.50) * 1000,
        f"{prefix}p99_ms": percentile(seconds, 0.99) * 1000,
        f"{prefix}max_ms": max(seconds, default=0.0) * 1000,
        f"{prefix}count": len(seconds),
    }


def rss_bytes(pid: int) -> dict[str, int]:
    """Return the resident set size (now and peak) of a process, from /proc."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def file_bytes(path: str) -> int | None:
    """Return the bytes of a SQLite database with its -wal and -shm files; None without a file (PostgreSQL)."""
    if not os.path.exists(path):
        return None
    return sum(os.path.getsize(path + suffix) for suffix in ("", "-wal", "-shm") if os.path.exists(path + suffix))


def mark(what: str) -> None:
    """Tell a profiler attached by ``run.py --profile`` where the timed part starts and stops."""
    if os.environ.get("KURA_BENCH_MARKS"):
        sys.stdout.write(f"MARK {what}\n")
        sys.stdout.flush()
        time.sleep(0.5)  # let the profiler attach (or detach) before going on


def _touch(path: str) -> None:
    """Create an empty file: the signal a reader in another process waits for."""
    with open(path, "w"):
        pass


def freeze() -> None:
    """Move everything built so far out of the garbage collector's generations."""
    gc.collect()
    gc.freeze()


class Side(abc.ABC):
    """One cache under test, as the scenarios drive it."""

    name: str
    notes: list[str]

    def __init__(self, app: hikari.GatewayBot, db_path: str) -> None:
        self.app = app
        self.db_path = db_path
        self.notes = []

    @abc.abstractmethod
    async def connect(self) -> None: ...

    @abc.abstractmethod
    async def disconnect(self) -> None: ...

    @abc.abstractmethod
    async def bulk_members(self, members: list[hikari.Member]) -> None:
        """Store members in one bulk write and wait until it is committed."""

    @abc.abstractmethod
    async def issue_bulk_members(self, members: list[hikari.Member]) -> collections.abc.Awaitable[None]:
        """Issue a confirmed bulk write and return what to await for its commit."""

    @abc.abstractmethod
    async def member_update(self, member: hikari.Member, confirm: bool) -> None:
        """Update one member; with ``confirm``, wait until it is committed."""

    @abc.abstractmethod
    async def get_member(self, guild_id: int, user_id: int) -> hikari.Member | None:
        """Return one member by guild and user id."""

    @abc.abstractmethod
    async def scan_members(self, guild_id: int) -> int:
        """Turn every member of a guild into a hikari object; return how many."""

    @abc.abstractmethod
    def storable_channels(self, channels: list[hikari.GuildChannel]) -> list[hikari.GuildChannel]:
        """Return the channels this side can store and read back (all, unless it has defects)."""

    @abc.abstractmethod
    async def bulk_channels(self, channels: list[hikari.GuildChannel]) -> None:
        """Store channels in bulk and wait until committed."""

    @abc.abstractmethod
    async def scan_channels(self) -> int:
        """Turn every stored channel into a hikari object; return how many."""

    @abc.abstractmethod
    async def guild_sync(self, entities: workload.GuildEntities) -> int:
        """Store one GUILD_CREATE (guild, roles, channels, members), confirmed; return the entities stored."""

    @abc.abstractmethod
    def memory(self) -> dict[str, int]:
        """Return the RSS of whatever holds the cache."""

    async def check_full_set(self, channels: list[hikari.GuildChannel]) -> None:  # noqa: B027 (optional hook)
        """Try the whole channel set as shipped and note what fails (the reference's defects)."""


# -- scenarios ---------------------------------------------------------------------------------


async def bulk_ingest(side: Side, p: Metrics) -> Metrics:
    """One confirmed ``bulk_members`` of ``members`` members."""
    guild = workload.guild_plan(0, seed=p["seed"])
    members = workload.members(side.app, guild, 0, p["members"])
    freeze()
    mark("start")
    started = time.perf_counter()
    await side.bulk_members(members)
    elapsed = time.perf_counter() - started
    mark("stop")
    return {"members": len(members), "seconds": elapsed, "members_per_s": len(members) / elapsed}


async def _preload(side: Side, guild: workload.Guild, count: int) -> None:
    for start in range(0, count, 10_000):
        await side.bulk_members(workload.members(side.app, guild, start, min(10_000, count - start)))


def _updates(side: Side, guild: workload.Guild, preload: int, count: int, seed: int) -> list[hikari.Member]:
    """Return ``count`` changed versions of random stored members (each a real, different payload)."""
    rng = random.Random(seed)
    numbers = [rng.randrange(preload) for _ in range(count)]
    by_number = {}
    for version in range(1, 4):
        for number, member in zip(
            range(preload), workload.members(side.app, guild, 0, preload, version=version), strict=True
        ):
            by_number[(number, version)] = member
    return [by_number[(number, 1 + i % 3)] for i, number in enumerate(numbers)]


async def seq_update(side: Side, p: Metrics) -> Metrics:
    """``ops`` sequential ``member_update(confirm=True)``, each awaited."""
    guild = workload.guild_plan(1, seed=p["seed"])
    await _preload(side, guild, p["preload"])
    updates = _updates(side, guild, p["preload"], p["ops"], p["seed"])
    freeze()
    latencies = []
    started = time.perf_counter()
    for member in updates:
        t0 = time.perf_counter()
        await side.member_update(member, True)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {"ops": len(updates), "ops_per_s": len(updates) / elapsed, **latency_metrics("", latencies)}


async def concurrent_writers(side: Side, p: Metrics) -> Metrics:
    """``writers`` tasks each doing ``ops_each`` awaited confirmed updates; also the sequential rate, for the target."""
    guild = workload.guild_plan(2, seed=p["seed"])
    await _preload(side, guild, p["preload"])
    writers, each = p["writers"], p["ops_each"]
    updates = _updates(side, guild, p["preload"], writers * each + p["seq_ops"], p["seed"])
    freeze()
    sequential = updates[writers * each :]
    started = time.perf_counter()
    for member in sequential:
        await side.member_update(member, True)
    seq_elapsed = time.perf_counter() - started
    latencies: list[float] = []

    async def writer(batch: list[hikari.Member]) -> None:
        for member in batch:
            t0 = time.perf_counter()
            await side.member_update(member, True)
            latencies.append(time.perf_counter() - t0)

    started = time.perf_counter()
    await asyncio.gather(*(writer(updates[w * each : (w + 1) * each]) for w in range(writers)))
    elapsed = time.perf_counter() - started
    return {
        "writers": writers,
        "ops": writers * each,
        "ops_per_s": writers * each / elapsed,
        "seq_ops_per_s": len(sequential) / seq_elapsed,
        **latency_metrics("", latencies),
    }


async def nowait_writes(side: Side, p: Metrics) -> Metrics:
    """``ops`` ``member_update(confirm=False)`` then one confirmed write as the barrier; ops/s to the barrier."""
    guild = workload.guild_plan(3, seed=p["seed"])
    await _preload(side, guild, p["preload"])
    updates = _updates(side, guild, p["preload"], p["ops"] + 1, p["seed"])
    freeze()
    started = time.perf_counter()
    for member in updates[:-1]:
        await side.member_update(member, False)
    issued = time.perf_counter() - started
    await side.member_update(updates[-1], True)
    elapsed = time.perf_counter() - started
    return {"ops": len(updates), "ops_per_s": len(updates) / elapsed, "issue_seconds": issued, "seconds": elapsed}


async def scan_members(side: Side, p: Metrics) -> Metrics:
    """Iterate a guild of ``members`` members into hikari objects."""
    guild = workload.guild_plan(4, seed=p["seed"])
    await _preload(side, guild, p["members"])
    freeze()
    best = []
    mark("start")
    for _ in range(p.get("passes", 1)):
        started = time.perf_counter()
        count = await side.scan_members(guild.id)
        best.append(time.perf_counter() - started)
    mark("stop")
    if count != p["members"]:
        raise AssertionError(f"scan returned {count} members, expected {p['members']}")
    elapsed = min(best)
    return {"members": count, "seconds": elapsed, "members_per_s": count / elapsed}


async def _gets(side: Side, guild: workload.Guild, stored: int, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    latencies = []
    for _ in range(count):
        number = rng.randrange(stored)
        user_id = workload.member_id(guild, number)
        t0 = time.perf_counter()
        member = await side.get_member(guild.id, user_id)
        latencies.append(time.perf_counter() - t0)
        if member is None or member.id != user_id:
            raise AssertionError(f"point get of member {user_id} returned {member!r}")
    return latencies


async def point_get(side: Side, p: Metrics) -> Metrics:
    """``gets`` random point gets (guild + user id) among ``members`` stored members."""
    guild = workload.guild_plan(5, seed=p["seed"])
    await _preload(side, guild, p["members"])
    freeze()
    await _gets(side, guild, p["members"], 50, p["seed"] + 1)  # warm the connections
    started = time.perf_counter()
    latencies = await _gets(side, guild, p["members"], p["gets"], p["seed"])
    elapsed = time.perf_counter() - started
    return {"gets_per_s": len(latencies) / elapsed, **latency_metrics("", latencies)}


async def guild_sync(side: Side, p: Metrics) -> Metrics:
    """``guilds`` full GUILD_CREATE syncs, all in flight at once as at a bot's start."""
    syncs = [
        workload.guild_entities(
            side.app,
            workload.guild_create_payload(
                workload.guild_plan(100 + i, roles=p["roles"], seed=p["seed"]),
                member_count=p["members"],
                channel_count=p["channels"],
            ),
        )
        for i in range(p["guilds"])
    ]
    offered = sum(sync.count for sync in syncs)
    freeze()
    mark("start")
    started = time.perf_counter()
    stored = sum(await asyncio.gather(*(side.guild_sync(sync) for sync in syncs)))
    elapsed = time.perf_counter() - started
    mark("stop")
    return {"entities": stored, "entities_offered": offered, "seconds": elapsed, "entities_per_s": stored / elapsed}


async def channel_scan(side: Side, p: Metrics) -> Metrics:
    """Store ``channels`` channels of every kind, then iterate them all into hikari objects (best of ``passes``)."""
    channels = workload.mixed_channels(side.app, p["channels"], seed=p["seed"])
    await side.check_full_set(channels)
    storable = side.storable_channels(channels)
    await side.bulk_channels(storable)
    freeze()
    times = []
    for _ in range(p["passes"]):
        started = time.perf_counter()
        count = await side.scan_channels()
        times.append(time.perf_counter() - started)
    if count != len(storable):
        raise AssertionError(f"scan returned {count} channels, expected {len(storable)}")
    elapsed = sorted(times)[len(times) // 2]
    return {"channels": count, "channels_offered": len(channels), "seconds": elapsed, "channels_per_s": count / elapsed}


async def million(side: Side, p: Metrics) -> Metrics:
    """Point gets at ``small`` members, reads during the ingest up to ``big``, point gets at ``big``, memory, disk."""
    guild = workload.guild_plan(6, seed=p["seed"])
    small, big, chunk = p["small"], p["big"], p["chunk"]
    first = workload.members(side.app, guild, 0, small)
    rest = list(workload.member_chunks(side.app, guild, small, big - small, chunk=chunk))
    freeze()
    out: Metrics = {}
    await side.bulk_members(first)
    await _gets(side, guild, small, 50, 1)
    out.update(latency_metrics("get_small_", await _gets(side, guild, small, p["gets"], p["seed"])))

    signal = p.get("signal_dir")
    if signal:  # a reader in another process measures while the ingest runs
        _touch(os.path.join(signal, "start"))
    stop = asyncio.Event()
    read_latencies: list[float] = []

    async def reader() -> None:
        rng = random.Random(p["seed"] + 7)
        while not stop.is_set():
            user_id = workload.member_id(guild, rng.randrange(small))
            t0 = time.perf_counter()
            member = await side.get_member(guild.id, user_id)
            read_latencies.append(time.perf_counter() - t0)
            if member is None:
                raise AssertionError(f"member {user_id} missing during ingest")
            await asyncio.sleep(p["read_interval"])

    reading = asyncio.get_running_loop().create_task(reader())
    window: collections.deque[collections.abc.Awaitable[None]] = collections.deque()
    started = time.perf_counter()
    for members in rest:
        window.append(await side.issue_bulk_members(members))
        if len(window) >= p["window"]:
            await window.popleft()
    while window:
        await window.popleft()
    ingest = time.perf_counter() - started
    stop.set()
    await reading
    if signal:
        _touch(os.path.join(signal, "stop"))
    out.update(latency_metrics("read_during_ingest_", read_latencies))
    out["ingest_members_per_s"] = (big - small) / ingest
    out["ingest_seconds"] = ingest
    await _gets(side, guild, big, 50, 2)
    out.update(latency_metrics("get_big_", await _gets(side, guild, big, p["gets"], p["seed"] + 3)))
    out["get_ratio_p50"] = out["get_big_p50_ms"] / out["get_small_p50_ms"]
    out["members"] = big
    for key, value in side.memory().items():
        out[f"mem_{key}"] = value
    out["disk_bytes_open"] = file_bytes(side.db_path)
    return out


SCENARIOS: typing.Final[dict[str, collections.abc.Callable[[Side, Metrics], collections.abc.Awaitable[Metrics]]]] = {
    "bulk_ingest": bulk_ingest,
    "seq_update": seq_update,
    "concurrent_writers": concurrent_writers,
    "nowait_writes": nowait_writes,
    "scan_members": scan_members,
    "point_get": point_get,
    "guild_sync": guild_sync,
    "channel_scan": channel_scan,
    "million": million,
}
