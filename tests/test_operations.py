"""Running Kura as a service: stats, Prometheus metrics, operator commands, JSON logs, shutdown under load."""

from __future__ import annotations

import asyncio
import collections.abc
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import grpc
import hikari
import payloads
import pytest
import serverproc

from hikari_kura.client import GrpcBackend, MemberQuery, RoleQuery, UnavailableError
from hikari_kura.server import app as server_app
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

KURA = [sys.executable, "-m", "hikari_kura.server"]
GUILD = 77 << 22


def _members(app: hikari.GatewayBot, user_ids: range) -> list[hikari.Member]:
    return [payloads.member(app, payloads.member_payload(user_id), guild_id=GUILD) for user_id in user_ids]


def _kura(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KURA, *args], capture_output=True, text=True, timeout=60)


async def test_get_stats_reports_counts_sessions_and_size(
    backend: GrpcBackend, app: hikari.GatewayBot, stub: cache_service_pb2_grpc.CacheServiceStub, engine: str
) -> None:
    await (await backend.bulk_members(_members(app, range(1, 26)), confirm=True))
    await (await backend.bulk_roles(payloads.roles(app, payloads.guild_create_payload()), confirm=True))

    stats = await stub.GetStats(pb.GetStatsRequest())

    assert (stats.members, stats.guilds, stats.channels) == (25, 0, 0)
    assert stats.roles == len(payloads.roles(app, payloads.guild_create_payload()))
    assert stats.open_sessions == 1
    assert stats.database_bytes > 0
    assert stats.transactions >= 2
    # Each engine counts its own migrations.
    assert stats.schema_version == (2 if engine == "sqlite" else 1)
    assert stats.uptime.ToNanoseconds() > 0
    assert stats.server_version


@pytest.fixture
async def metered_server(database: pathlib.Path | str) -> collections.abc.AsyncIterator[server_app.Server]:
    """Run a server that also serves Prometheus metrics on a loopback port."""
    running = server_app.Server(
        server_app.Config(address="127.0.0.1:0", database=database, metrics_address="127.0.0.1:0")
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return str(response.read().decode())


async def test_metrics_count_rpcs_by_method_and_status_and_what_is_stored(
    metered_server: server_app.Server, app: hikari.GatewayBot
) -> None:
    backend = GrpcBackend(f"127.0.0.1:{metered_server.port}", app=app)
    await backend.connect()
    try:
        await (await backend.bulk_members(_members(app, range(1, 11)), confirm=True))
        assert len([m async for m in backend.iter_members(MemberQuery(guild_id=GUILD))]) == 10
        async with grpc.aio.insecure_channel(f"127.0.0.1:{metered_server.port}") as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.DeleteRole(pb.DeleteRoleRequest(role_id=0))
        assert metered_server.metrics_port is not None
        # grpc.aio's abort sends the status before the handler returns and its call is counted:
        # the client can see the error first, so wait (bounded) for the count to appear.
        deleted = 'kura_rpcs_total{code="INVALID_ARGUMENT",method="DeleteRole"} 1.0'
        for _ in range(100):
            text = await asyncio.to_thread(_scrape, metered_server.metrics_port)
            if deleted in text:
                break
            await asyncio.sleep(0.05)
    finally:
        await backend.disconnect()

    assert 'kura_rpcs_total{code="OK",method="IterMembers"} 1.0' in text
    assert deleted in text
    assert 'kura_rpc_duration_seconds_count{method="IterMembers"} 1.0' in text
    assert 'kura_objects{kind="members"} 10.0' in text
    assert "kura_open_sessions 1.0" in text
    assert "kura_write_queue_depth 0.0" in text
    assert "kura_commit_batch_operations_count" in text
    assert "kura_database_bytes" in text


async def test_kura_commands_report_stats_and_move_a_snapshot_between_servers(
    target: str, backend: GrpcBackend, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    await (await backend.bulk_members(_members(app, range(1, 51)), confirm=True))
    snapshot = tmp_path / "cache.snapshot"

    taken = await asyncio.to_thread(_kura, "snapshot", str(snapshot), "--target", target)
    assert taken.returncode == 0, taken.stderr
    assert snapshot.stat().st_size > 0
    # Progress is shown on a terminal only (tests/test_cli.py runs one): piped, stderr is for failures.
    assert taken.stderr == ""

    other = server_app.Server(server_app.Config(address="127.0.0.1:0", database=tmp_path / "other.sqlite3"))
    await other.start()
    try:
        other_target = f"127.0.0.1:{other.port}"
        restored = await asyncio.to_thread(_kura, "restore", str(snapshot), "--target", other_target)
        assert restored.returncode == 0, restored.stderr
        assert "50 members" in restored.stdout

        report = await asyncio.to_thread(_kura, "stats", "--target", other_target)
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["members"] == 50

        refused = await asyncio.to_thread(_kura, "restore", str(tmp_path / "missing"), "--target", other_target)
        assert refused.returncode == 1
        assert "no such file" in refused.stderr
        not_a_snapshot = tmp_path / "junk"
        not_a_snapshot.write_bytes(b"junk" * 1000)
        refused = await asyncio.to_thread(_kura, "restore", str(not_a_snapshot), "--target", other_target)
        assert refused.returncode == 1
        assert "INVALID_ARGUMENT" in refused.stderr
    finally:
        await other.stop()


def test_kura_stats_of_an_unreachable_server_fails_clearly() -> None:
    result = _kura("stats", "--target", f"127.0.0.1:{serverproc.free_port()}", "--timeout", "2")
    assert result.returncode == 1
    assert "UNAVAILABLE" in result.stderr or "DEADLINE_EXCEEDED" in result.stderr


def _start(database: pathlib.Path | str, port: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*KURA, "serve", "--database", str(database), "--address", f"127.0.0.1:{port}", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_serving(port: int, process: subprocess.Popen[str]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise AssertionError(f"kura serve exited with {process.returncode}: {process.communicate()[0]}")
        if _kura("health", "--target", f"127.0.0.1:{port}", "--timeout", "1").returncode == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the server never reported SERVING")


def test_json_logs_are_one_object_per_line(tmp_path: pathlib.Path) -> None:
    port = serverproc.free_port()
    process = _start(tmp_path / "json.sqlite3", port, "--log-format", "json")
    try:
        _wait_serving(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= entries[0].keys()
    assert any(entry["message"].startswith("serving address=127.0.0.1:") for entry in entries)


async def test_sigterm_during_a_stream_of_writes_keeps_every_confirmed_write(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "shutdown.sqlite3"
    port = serverproc.free_port()
    process = _start(database, port)
    confirmed: list[int] = []
    enough = asyncio.Event()
    try:
        await asyncio.to_thread(_wait_serving, port, process)
        # Not reconnecting: this is about what the stopping server commits, not what a client resends.
        backend = GrpcBackend(f"127.0.0.1:{port}", app=app, reconnect=None)
        await backend.connect()

        async def write_until_refused() -> None:
            role = payloads.role_payload(1)
            for role_id in range(1, 100_000):
                role["id"] = str(role_id)
                try:
                    await (await backend.role_update(payloads.role(app, role, guild_id=GUILD), confirm=True))
                except UnavailableError:
                    return
                confirmed.append(role_id)
                if len(confirmed) == 200:
                    enough.set()

        writer = asyncio.create_task(write_until_refused())
        await asyncio.wait_for(enough.wait(), timeout=60)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(writer, timeout=60)
        await asyncio.to_thread(process.wait, 60)
        await backend.disconnect()
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "stopped" in output

    restarted = server_app.Server(server_app.Config(address="127.0.0.1:0", database=database))
    await restarted.start()
    reader = GrpcBackend(f"127.0.0.1:{restarted.port}", app=app)
    await reader.connect()
    try:
        stored = {int(role.id) async for role in reader.iter_roles(RoleQuery(guild_id=GUILD))}
    finally:
        await reader.disconnect()
        await restarted.stop()
    assert set(confirmed) <= stored
    assert len(confirmed) >= 200
