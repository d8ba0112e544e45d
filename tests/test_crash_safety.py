"""Confirmed means durable: kill -9 the server during a storm of confirmed writes, and nothing confirmed is lost."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import sqlite3

import hikari
import payloads
import serverproc

from hikari_kura.client import GrpcBackend, KuraError, MemberQuery, RoleQuery

GUILD = 55 << 22
ROUNDS = 5
CLIENTS = 3
CONFIRMED_BEFORE_KILL = 300
"""Confirmations each round sees (from all its clients together) before the server is killed."""


async def _storm(
    target: str,
    app: hikari.GatewayBot,
    client: int,
    first_id: int,
    confirmed: set[tuple[str, int]],
    enough: asyncio.Event,
) -> None:
    """Write members and roles with confirm=True until the server dies; record each confirmation seen."""
    # No reconnecting: the storm ends when the server dies, with what it saw confirmed.
    backend = GrpcBackend(target, app=app, reconnect=None)
    await backend.connect()
    try:
        for offset in range(100_000):
            entity_id = first_id + offset * CLIENTS + client
            try:
                if offset % 2:
                    role = payloads.role(app, payloads.role_payload(entity_id), guild_id=GUILD)
                    await (await backend.role_update(role, confirm=True))
                    confirmed.append(("role", entity_id))
                else:
                    member = payloads.member(app, payloads.member_payload(entity_id), guild_id=GUILD)
                    await (await backend.member_update(member, confirm=True))
                    confirmed.append(("member", entity_id))
            except KuraError:
                return  # the server is gone: this write's confirmation was never seen
            if len(confirmed) >= CONFIRMED_BEFORE_KILL:
                enough.set()
    finally:
        try:
            await backend.disconnect()
        except KuraError:
            pass


async def test_kill_9_during_confirmed_writes_loses_no_confirmed_write(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "crash.sqlite3"
    confirmed: set[tuple[str, int]] = set()
    for round_number in range(ROUNDS):
        port = serverproc.free_port()
        target = f"127.0.0.1:{port}"
        process = await serverproc.start(database, port)
        this_round: list[tuple[str, int]] = []
        enough = asyncio.Event()
        storms = [
            asyncio.create_task(_storm(target, app, client, 1 + round_number * 1_000_000, this_round, enough))
            for client in range(CLIENTS)
        ]
        try:
            await asyncio.wait_for(enough.wait(), timeout=120)
            os.kill(process.pid, signal.SIGKILL)
            await asyncio.wait_for(asyncio.gather(*storms), timeout=120)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
        assert process.returncode == -signal.SIGKILL
        assert len(this_round) >= CONFIRMED_BEFORE_KILL
        confirmed.update(this_round)

    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    port = serverproc.free_port()
    target = f"127.0.0.1:{port}"
    process = await serverproc.start(database, port)
    try:
        reader = GrpcBackend(target, app=app)
        await reader.connect()
        stored = {("member", int(m.id)) async for m in reader.iter_members(MemberQuery(guild_id=GUILD))}
        stored |= {("role", int(r.id)) async for r in reader.iter_roles(RoleQuery(guild_id=GUILD))}
        await reader.disconnect()
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert len(confirmed) >= ROUNDS * CONFIRMED_BEFORE_KILL
    assert confirmed - stored == set()
