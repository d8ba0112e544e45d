# ruff: noqa: T201  (a command-line report: printing is its job)
"""Kura vs hikari-persist 0.3.0, side by side, on one generated workload: ``python bench/run.py [--scale small|full]``.

For every scenario and run this starts a fresh ``kura serve`` on 127.0.0.1 with a fresh
temporary database, runs the Kura worker against it (project virtualenv), stops it, then
runs the reference worker (hikari-persist's SQLiteBackend in its own process, under
bench/.venv-reference, which is created on first use). The order of the two alternates
from run to run. It prints machine facts, versions and commands, then one table per
scenario with medians, per-run ratios (Kura / reference) and the target of issue 5, and
writes everything measured to a JSON file. Nothing in the tables is typed in by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import typing

BENCH = pathlib.Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import reference  # noqa: E402

SCALES: typing.Final[dict[str, dict[str, dict[str, typing.Any]]]] = {
    "ci": {
        "bulk_ingest": {"members": 2000},
        "seq_update": {"preload": 1000, "ops": 200},
        "concurrent_writers": {"preload": 1000, "writers": 64, "ops_each": 3, "seq_ops": 100},
        "nowait_writes": {"preload": 1000, "ops": 1000},
        "scan_members": {"members": 2000},
        "point_get": {"members": 2000, "gets": 200},
        "guild_sync": {"guilds": 3, "members": 200, "roles": 50, "channels": 80},
        "channel_scan": {"channels": 500, "passes": 3},
        "million": {"small": 1000, "big": 10_000, "chunk": 1000, "gets": 200, "read_interval": 0.002, "window": 4},
    },
    "small": {
        "bulk_ingest": {"members": 20_000},
        "seq_update": {"preload": 5000, "ops": 1000},
        "concurrent_writers": {"preload": 5000, "writers": 64, "ops_each": 15, "seq_ops": 500},
        "nowait_writes": {"preload": 5000, "ops": 5000},
        "scan_members": {"members": 20_000},
        "point_get": {"members": 20_000, "gets": 1000},
        "guild_sync": {"guilds": 10, "members": 1000, "roles": 50, "channels": 80},
        "channel_scan": {"channels": 500, "passes": 5},
        "million": {"small": 5000, "big": 100_000, "chunk": 1000, "gets": 1000, "read_interval": 0.002, "window": 4},
    },
    "full": {
        "bulk_ingest": {"members": 100_000},
        "seq_update": {"preload": 10_000, "ops": 3000},
        "concurrent_writers": {"preload": 10_000, "writers": 64, "ops_each": 50, "seq_ops": 1000},
        "nowait_writes": {"preload": 10_000, "ops": 20_000},
        "scan_members": {"members": 100_000},
        "point_get": {"members": 100_000, "gets": 5000},
        "guild_sync": {"guilds": 50, "members": 2000, "roles": 50, "channels": 80},
        "channel_scan": {"channels": 500, "passes": 20},
        "million": {
            "small": 10_000,
            "big": 1_000_000,
            "chunk": 1000,
            "gets": 2000,
            "read_interval": 0.002,
            "window": 4,
        },
    },
}
DEFAULT_RUNS: typing.Final = {"ci": 1, "small": 2, "full": 3}
WORKER_TIMEOUT: typing.Final = 3600


# -- what the tables show ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of a scenario's table."""

    label: str
    kura: str
    """Metric key on the Kura side."""
    ref: str | None
    """Metric key on the reference side (None: no counterpart)."""
    unit: str
    target: str = ""
    kind: str = "info"
    """``ratio>=``/``ratio<=``: the median per-run ratio against ``bound``; ``abs<=``: Kura's median against it."""
    bound: float = 0.0
    scale: float = 1.0


TABLES: typing.Final[dict[str, tuple[str, list[Row]]]] = {
    "bulk_ingest": (
        "Bulk ingest: one confirmed bulk_members",
        [Row("members/s", "members_per_s", "members_per_s", "/s", ">= 3x", "ratio>=", 3)],
    ),
    "seq_update": (
        "Sequential member_update(confirm=True), each awaited",
        [
            Row("ops/s", "ops_per_s", "ops_per_s", "/s", ">= 0.5x", "ratio>=", 0.5),
            Row("p50 latency", "p50_ms", "p50_ms", "ms"),
            Row("p99 latency", "p99_ms", "p99_ms", "ms", "<= 2 ms", "abs<=", 2),
        ],
    ),
    "concurrent_writers": (
        "64 concurrent confirmed writers",
        [
            Row("Kura 64 writers vs reference sequential", "ops_per_s", "seq_ops_per_s", "/s", ">= 4x", "ratio>=", 4),
            Row("64 writers vs 64 writers", "ops_per_s", "ops_per_s", "/s"),
            Row("p99 latency", "p99_ms", "p99_ms", "ms"),
        ],
    ),
    "nowait_writes": (
        "confirm=False writes then one confirmed barrier",
        [Row("ops/s to the barrier", "ops_per_s", "ops_per_s", "/s", ">= 5x", "ratio>=", 5)],
    ),
    "scan_members": (
        "Scan: iter_members of one guild into hikari objects",
        [Row("members/s", "members_per_s", "members_per_s", "/s", ">= 2.5x", "ratio>=", 2.5)],
    ),
    "point_get": (
        "Point get: member by guild + id, random",
        [
            Row("p50 latency", "p50_ms", "p50_ms", "ms", "<= 2x", "ratio<=", 2),
            Row("p99 latency", "p99_ms", "p99_ms", "ms", "<= 2 ms", "abs<=", 2),
        ],
    ),
    "guild_sync": (
        "Full GUILD_CREATE syncs, all in flight",
        [Row("entities/s", "entities_per_s", "entities_per_s", "/s", ">= 3x", "ratio>=", 3)],
    ),
    "channel_scan": (
        "Scan channels of mixed types",
        [Row("channels/s", "channels_per_s", "channels_per_s", "/s", ">= 2x", "ratio>=", 2)],
    ),
    "million": (
        "Large store: point gets, reads during ingest, memory, disk",
        [
            Row("get p50 at small store", "get_small_p50_ms", "get_small_p50_ms", "ms"),
            Row("get p50 at large store", "get_big_p50_ms", "get_big_p50_ms", "ms"),
            Row("get p50 large / small", "get_ratio_p50", "get_ratio_p50", "x", "<= 1.3x", "abs<=", 1.3),
            Row(
                "read p99 during ingest (same process)",
                "read_during_ingest_p99_ms",
                "read_during_ingest_p99_ms",
                "ms",
                "<= 20 ms",
                "abs<=",
                20,
            ),
            Row("read p99 during ingest (2nd process)", "read_other_process_p99_ms", None, "ms"),
            Row("ingest with readers", "ingest_members_per_s", "ingest_members_per_s", "members/s"),
            Row(
                "RSS (Kura: server; ref: bot process)",
                "mem_server_VmRSS",
                "mem_process_VmRSS",
                "MB",
                "<= 200 MB",
                "abs<=",
                200,
                1 / 2**20,
            ),
            Row("disk bytes per member", "disk_bytes_per_member", "disk_bytes_per_member", "B", "<= ref", "ratio<=", 1),
        ],
    ),
}


# -- machine -----------------------------------------------------------------------------------


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info(ref_python: pathlib.Path) -> dict[str, typing.Any]:
    """Return the facts a reader needs to weigh the numbers."""
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ref_versions = subprocess.run(
        [
            str(ref_python),
            "-c",
            "import importlib.metadata as m, sys; print(sys.version.split()[0], "
            "*(m.version(p) for p in ('hikari', 'hikari-persist', 'aiosqlite')))",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    memory = ""
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as meminfo:
        memory = meminfo.readline().split(":", 1)[1].strip()
    import sqlite3

    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory": memory,
        "load_average_at_start": os.getloadavg(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kura": {name: _version(name) for name in ("hikari-kura", "hikari", "grpcio", "protobuf", "aiosqlite")},
        "reference": dict(zip(("python", "hikari", "hikari-persist", "aiosqlite"), ref_versions, strict=False)),
        "kura_source": kura_source(),
        "filesystem_of_databases": _filesystem(tempfile.gettempdir()),
    }


def kura_source() -> dict[str, str]:
    """Return where the measured Kura code comes from: its directory, git commit and whether it had local edits."""
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import hikari_kura.server as s, os; print(os.path.dirname(os.path.dirname(s.__file__)))",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()

    def git(*argv: str) -> str:
        return subprocess.run(["git", "-C", where, *argv], capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "not a git tree"
    dirty = git("status", "--porcelain", "--", "server", "client", "proto")
    return {"path": where, "commit": commit, "local_edits_to_server_client_proto": "yes" if dirty else "no"}


def _filesystem(path: str) -> str:
    out = subprocess.run(["df", "-T", path], capture_output=True, text=True, check=False).stdout.splitlines()
    return out[-1].split()[1] if len(out) > 1 else "unknown"


# -- running -----------------------------------------------------------------------------------


class Failed(RuntimeError):
    """A worker or the server did not produce a result."""


def _parse_result(output: str, what: str, stderr: str) -> dict[str, typing.Any]:
    for line in reversed(output.splitlines()):
        if line.startswith("RESULT "):
            return typing.cast(dict[str, typing.Any], json.loads(line[len("RESULT ") :]))
    raise Failed(f"{what} printed no result\n--- stdout\n{output[-2000:]}\n--- stderr\n{stderr[-4000:]}")


class Profiler:
    """py-spy attached to given pids between a worker's MARK start and MARK stop."""

    def __init__(self, directory: pathlib.Path | None, label: str, *, native: bool = False) -> None:
        self.directory = directory
        self.label = label
        self.native = native
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, pids: dict[str, int]) -> None:
        if self.directory is None:
            return
        py_spy = shutil.which("py-spy") or str(pathlib.Path(sys.executable).parent / "py-spy")
        for role, pid in pids.items():
            out = self.directory / f"{self.label}-{role}.folded"
            cmd = [py_spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--threads"]
            if self.native:
                cmd.append("--native")
            cmd += ["--output", str(out)]
            self.procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []


def _run_worker(
    cmd: list[str],
    what: str,
    *,
    env: dict[str, str],
    profiler: Profiler | None = None,
    pids: dict[str, int] | None = None,
) -> dict[str, typing.Any]:
    """Run a worker, following its MARK lines for the profiler; return its result."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=BENCH)
    lines = []
    assert proc.stdout is not None
    deadline = time.monotonic() + WORKER_TIMEOUT
    for line in proc.stdout:
        lines.append(line)
        if profiler is not None and line.startswith("MARK start"):
            profiler.start({**(pids or {}), "client": proc.pid})
        elif profiler is not None and line.startswith("MARK stop"):
            profiler.stop()
        if time.monotonic() > deadline:
            proc.kill()
            break
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    if profiler is not None:
        profiler.stop()
    return _parse_result("".join(lines), what, stderr)


class KuraServer:
    """A ``kura serve`` process on 127.0.0.1 with its own database, for one measurement."""

    def __init__(
        self,
        workdir: pathlib.Path,
        synchronous: str | None,
        switch_interval: float | None = None,
        database_url: str | None = None,
    ) -> None:
        self.database = workdir / "kura.sqlite3"
        self.log = workdir / "server.log"
        kura = pathlib.Path(sys.executable).parent / "kura"
        self.cmd = [str(kura)]
        if switch_interval is not None:  # an experiment: the same server with a shorter GIL switch interval
            code = "import sys; from hikari_kura.server.cli import main; sys.setswitchinterval({}); sys.exit(main())"
            self.cmd = [sys.executable, "-c", code.format(switch_interval)]
        self.cmd += ["serve", "--address", "127.0.0.1:0", "--database", database_url or str(self.database)]
        self.cmd += ["--log-level", "INFO", "--reflection", "false"]
        if synchronous:
            self.cmd += ["--synchronous", synchronous]
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"serving address=\S+ port=(\d+)", self.log.read_text(errors="replace"))
            if match:
                self.port = int(match.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise Failed(f"kura serve did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM: the server commits, checkpoints the WAL into the file and exits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _db_bytes(path: pathlib.Path) -> int | None:
    """Return the bytes of a SQLite file with its WAL; None where there is no file (a PostgreSQL run)."""
    if not path.exists():
        return None
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


@contextlib.contextmanager
def postgres_database(admin_url: str | None) -> typing.Iterator[str | None]:
    """Create a fresh database on the PostgreSQL server of ``admin_url`` for one measurement, drop it after."""
    if admin_url is None:
        yield None
        return
    import asyncio

    import asyncpg

    name = f"kura_bench_{os.getpid()}_{time.monotonic_ns()}"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def run_kura(
    scenario: str, params: dict[str, typing.Any], args: argparse.Namespace, profile_dir: pathlib.Path | None
) -> dict[str, typing.Any]:
    """Measure one scenario on a fresh Kura server."""
    with tempfile.TemporaryDirectory(prefix="kura-bench-") as tmp, postgres_database(args.postgres) as url:
        workdir = pathlib.Path(tmp)
        server = KuraServer(workdir, args.kura_synchronous, args.kura_switch_interval, url)
        server.start()
        assert server.proc is not None
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        profiler = None
        if profile_dir is not None and scenario in PROFILED:
            env["KURA_BENCH_MARKS"] = "1"
            profiler = Profiler(profile_dir, scenario, native=args.profile_native)
        base = [sys.executable, str(BENCH / "kura_worker.py"), "--params", json.dumps(params)]
        base += ["--db", str(server.database), "--target", server.target, "--server-pid", str(server.proc.pid)]
        reader = None
        try:
            if scenario == "million":
                signals = workdir / "signals"
                signals.mkdir()
                reader = subprocess.Popen(
                    [*base, "--scenario", "reader", "--signal-dir", str(signals)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                    cwd=BENCH,
                )
                cmd = [*base, "--scenario", scenario, "--signal-dir", str(signals)]
            else:
                cmd = [*base, "--scenario", scenario]
            result = _run_worker(cmd, f"kura {scenario}", env=env, profiler=profiler, pids={"server": server.proc.pid})
            if reader is not None:
                out, err = reader.communicate(timeout=120)
                result["metrics"].update(_parse_result(out, "kura reader", err)["metrics"])
        finally:
            if reader is not None and reader.poll() is None:
                reader.kill()
            server.stop()
        result["metrics"]["disk_bytes_closed"] = _db_bytes(server.database)
        return result


def run_reference(scenario: str, params: dict[str, typing.Any], ref_python: pathlib.Path) -> dict[str, typing.Any]:
    """Measure one scenario on hikari-persist in its own process and virtualenv."""
    with tempfile.TemporaryDirectory(prefix="kura-bench-ref-") as tmp:
        cmd = [str(ref_python), str(BENCH / "reference_worker.py"), "--scenario", scenario]
        cmd += ["--params", json.dumps(params), "--db", str(pathlib.Path(tmp) / "persist.sqlite3")]
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        env.pop("VIRTUAL_ENV", None)
        return _run_worker(cmd, f"reference {scenario}", env=env)


PROFILED: typing.Final = ("bulk_ingest", "scan_members", "guild_sync")


def _derive(result: dict[str, typing.Any]) -> None:
    metrics = result["metrics"]
    if "members" in metrics and metrics.get("disk_bytes_closed") is not None:
        metrics["disk_bytes_per_member"] = metrics["disk_bytes_closed"] / metrics["members"]


# -- reporting ---------------------------------------------------------------------------------


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def summarize(results: dict[str, dict[str, list[dict[str, typing.Any]]]]) -> dict[str, list[dict[str, typing.Any]]]:
    """Return, per scenario, one summary per row: medians, per-run ratios, target verdict."""
    out: dict[str, list[dict[str, typing.Any]]] = {}
    for scenario, (_, rows) in TABLES.items():
        if scenario not in results:
            continue
        kura_runs = [r["metrics"] for r in results[scenario].get("kura", [])]
        ref_runs = [r["metrics"] for r in results[scenario].get("reference", [])]
        summaries = []
        for row in rows:
            k = [m[row.kura] * row.scale for m in kura_runs if m.get(row.kura) is not None]
            r = [m[row.ref] * row.scale for m in ref_runs if row.ref and row.ref in m]
            ratios = [a / b for a, b in zip(k, r, strict=False) if b]
            k_med = statistics.median(k) if k else None
            r_med = statistics.median(r) if r else None
            ratio_med = statistics.median(ratios) if ratios else None
            verdict = ""
            if row.kind == "ratio>=" and ratio_med is not None:
                verdict = "met" if ratio_med >= row.bound else "not met"
            elif row.kind == "ratio<=" and ratio_med is not None:
                verdict = "met" if ratio_med <= row.bound else "not met"
            elif row.kind == "abs<=" and k_med is not None:
                verdict = "met" if k_med <= row.bound else "not met"
            summaries.append(
                {
                    "label": row.label,
                    "unit": row.unit,
                    "kura_median": k_med,
                    "reference_median": r_med,
                    "kura_runs": k,
                    "reference_runs": r,
                    "ratio_runs": ratios,
                    "ratio_median": ratio_med,
                    "target": row.target,
                    "verdict": verdict,
                }
            )
        out[scenario] = summaries
    return out


def markdown(
    summary: dict[str, list[dict[str, typing.Any]]],
    results: dict[str, dict[str, list[dict[str, typing.Any]]]],
    scale: str,
) -> str:
    """Return the tables as Markdown."""
    lines = []
    for scenario, rows in summary.items():
        title = TABLES[scenario][0]
        params = SCALES[scale][scenario]
        lines.append(f"#### {title} (`{scenario}`)")
        lines.append("")
        lines.append(
            "Parameters: " + ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in params.items())
        )
        lines.append("")
        lines.append(
            "| metric | Kura (median) | reference (median) | ratio per run | ratio (median) | target | verdict |"
        )
        lines.append("|---|---:|---:|---|---:|---|---|")
        for row in rows:
            unit = row["unit"] if row["unit"] not in ("x", "/s") else ""
            per_run = ", ".join(_fmt(x, "x") for x in row["ratio_runs"]) or "n/a"
            lines.append(
                f"| {row['label']}{f' ({unit})' if unit else ''} | {_fmt(row['kura_median'], row['unit'])} "
                f"| {_fmt(row['reference_median'], row['unit'])} | {per_run} | {_fmt(row['ratio_median'], 'x')} "
                f"| {row['target']} | {row['verdict']} |"
            )
        notes = sorted({n for side in results[scenario].values() for r in side for n in r.get("notes", [])})
        if notes:
            lines.append("")
            lines.extend(f"- {note}" for note in notes)
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=tuple(SCALES), default="small")
    parser.add_argument("--runs", type=int, help="runs per scenario and side (default: ci 1, small 2, full 3)")
    parser.add_argument("--only", nargs="+", choices=tuple(SCALES["full"]), help="run only these scenarios")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--kura-synchronous",
        choices=("OFF", "NORMAL", "FULL", "EXTRA"),
        help="pass --synchronous to kura serve (default: the server's own default, FULL)",
    )
    parser.add_argument(
        "--json-out", type=pathlib.Path, help="where to write every measurement (default bench/results/SCALE.json)"
    )
    parser.add_argument("--markdown-out", type=pathlib.Path, help="also write the tables as Markdown here")
    parser.add_argument(
        "--profile", type=pathlib.Path, help=f"attach py-spy to the Kura server and client during {', '.join(PROFILED)}"
    )
    parser.add_argument(
        "--kura-switch-interval", type=float, help="experiment: run the server with this sys.setswitchinterval"
    )
    parser.add_argument(
        "--profile-native", action="store_true", help="with --profile: sample C frames too (py-spy --native)"
    )
    parser.add_argument("--skip-reference", action="store_true", help="measure Kura only (no ratios)")
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        help="run Kura on PostgreSQL: the URL of a database on a running server (e.g. postgresql://kura@127.0.0.1:"
        "5432/postgres) where each measurement creates and drops a fresh database of its own",
    )
    args = parser.parse_args()
    runs = args.runs or DEFAULT_RUNS[args.scale]
    scenarios = args.only or list(SCALES[args.scale])
    ref_python = reference.ensure_venv()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    info = machine_info(ref_python)
    command = shlex.join([os.path.relpath(sys.executable, ROOT), os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    info["command"] = command
    info["runs"] = runs
    info["scale"] = args.scale
    info["kura_synchronous"] = args.kura_synchronous or "server default (FULL)"
    info["kura_engine"] = "postgresql" if args.postgres else "sqlite"
    if args.kura_switch_interval is not None:
        info["kura_switch_interval"] = args.kura_switch_interval
    print(json.dumps(info, indent=2), flush=True)

    results: dict[str, dict[str, list[dict[str, typing.Any]]]] = {}
    started = time.monotonic()
    failures = 0
    for run in range(runs):
        for scenario in scenarios:
            params = {**SCALES[args.scale][scenario], "seed": args.seed + run}
            sides = ["kura", "reference"] if run % 2 == 0 else ["reference", "kura"]
            if args.skip_reference:
                sides = ["kura"]
            for side in sides:
                t0 = time.monotonic()
                try:
                    if side == "kura":
                        result = run_kura(scenario, params, args, args.profile if run == 0 else None)
                    else:
                        result = run_reference(scenario, params, ref_python)
                except Failed as exc:
                    failures += 1
                    print(f"[run {run + 1}/{runs}] {scenario:<18} {side:<9} FAILED: {exc}", file=sys.stderr, flush=True)
                    continue
                _derive(result)
                results.setdefault(scenario, {}).setdefault(side, []).append(result)
                headline = TABLES[scenario][1][0]
                key = headline.kura if side == "kura" else headline.ref
                value = result["metrics"].get(key or "")
                print(
                    f"[run {run + 1}/{runs}] {scenario:<18} {side:<9} {headline.label}: {_fmt(value)}"
                    f"  ({time.monotonic() - t0:.1f}s)",
                    flush=True,
                )
    info["wall_seconds"] = round(time.monotonic() - started, 1)

    summary = summarize(results)
    table = markdown(summary, results, args.scale)
    print()
    print(table)
    print(f"\nwall time {info['wall_seconds']}s, {failures} failed measurement(s)")
    json_out = args.json_out or BENCH / "results" / f"{args.scale}.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(
        json.dumps({"machine": info, "scales": SCALES[args.scale], "summary": summary, "results": results}, indent=1)
        + "\n"
    )
    print(f"wrote {os.path.relpath(json_out, ROOT)}")
    if args.markdown_out:
        args.markdown_out.write_text(table + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
