"""Several Kura servers over one PostgreSQL database: what one confirms the others serve, and prune
by a session on one server keeps what sessions on the others wrote, until their server dies."""

from __future__ import annotations

import asyncio
import collections.abc
import logging
import signal
import sys

import asyncpg
import cachestate
import hikari
import payloads
import pytest
import serverproc

from hikari_kura.client import GrpcBackend, RoleQuery
from hikari_kura.server import app as server_app


@pytest.fixture
async def replicas(postgres_url: str) -> collections.abc.AsyncIterator[list[server_app.Server]]:
    """Start two servers on one database at once (they migrate its schema once between them)."""
    servers = [server_app.Server(server_app.Config(address="127.0.0.1:0", database=postgres_url)) for _ in range(2)]
    await asyncio.gather(*(server.start() for server in servers))
    try:
        yield servers
    finally:
        await asyncio.gather(*(server.stop() for server in servers))


async def _connected(server: server_app.Server, app: hikari.GatewayBot) -> GrpcBackend:
    client = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await client.connect()
    return client


async def test_a_write_confirmed_through_one_server_is_served_by_the_other(
    replicas: list[server_app.Server], app: hikari.GatewayBot
) -> None:
    writer, reader = await _connected(replicas[0], app), await _connected(replicas[1], app)
    try:
        await (await writer.guild_join(payloads.guild_with_id(app, 1 << 22), confirm=True))
        await (await writer.bulk_members(payloads.members_of(app, 1 << 22, range(1, 201)), confirm=True))
        role = payloads.role(app, payloads.role_payload(55), guild_id=1 << 22)
        await (await writer.role_create(role, confirm=True))

        assert await cachestate.guild_ids(reader) == {1 << 22}
        assert await cachestate.member_ids(reader, 1 << 22) == set(range(1, 201))
        assert [int(r.id) async for r in reader.iter_roles(RoleQuery(id=55))] == [55]

        await (await reader.member_delete(7, 1 << 22, confirm=True))
        assert 7 not in await cachestate.member_ids(writer, 1 << 22)
    finally:
        await writer.disconnect()
        await reader.disconnect()


async def test_session_ids_are_unique_across_servers(replicas: list[server_app.Server], app: hikari.GatewayBot) -> None:
    clients = [await _connected(server, app) for server in (*replicas, *replicas)]
    try:
        assert len({client.session_id for client in clients}) == 4
    finally:
        for client in clients:
            await client.disconnect()


async def test_prune_on_one_server_keeps_what_a_session_on_the_other_wrote(
    replicas: list[server_app.Server], app: hikari.GatewayBot
) -> None:
    gone = await _connected(replicas[1], app)
    await (await gone.guild_join(payloads.guild_with_id(app, 9 << 22), confirm=True))
    await gone.disconnect()

    shard_0, shard_1 = await _connected(replicas[0], app), await _connected(replicas[1], app)
    try:
        await (await shard_0.guild_join(payloads.guild_with_id(app, 2 << 22), confirm=True))
        await (await shard_0.bulk_members(payloads.members_of(app, 2 << 22, range(1, 51)), confirm=True))
        await (await shard_1.guild_join(payloads.guild_with_id(app, 3 << 22), confirm=True))
        await (await shard_1.bulk_members(payloads.members_of(app, 3 << 22, range(1, 51)), confirm=True))

        await shard_0.prune()

        assert await cachestate.guild_ids(shard_1) == {2 << 22, 3 << 22}  # the closed session's guild went
        assert await cachestate.member_ids(shard_0, 3 << 22) == set(range(1, 51))

        await shard_1.prune()

        assert await cachestate.guild_ids(shard_0) == {2 << 22, 3 << 22}
        assert await cachestate.member_ids(shard_1, 2 << 22) == set(range(1, 51))
    finally:
        await shard_0.disconnect()
        await shard_1.disconnect()


async def _kura(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hikari_kura.server",
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _serve_until_healthy(url: str, *extra: str) -> tuple[asyncio.subprocess.Process, str]:
    target = f"127.0.0.1:{serverproc.free_port()}"
    process = await _kura("serve", "--database", url, "--address", target, *extra)
    for _ in range(300):
        check = await _kura("health", "--target", target, "--timeout", "1")
        if await check.wait() == 0:
            return process, target
        await asyncio.sleep(0.1)
    process.kill()
    await process.wait()
    raise AssertionError(f"kura serve on {url} never became healthy")


async def test_sessions_of_a_killed_server_expire_and_its_writes_become_prunable(
    postgres_url: str, app: hikari.GatewayBot
) -> None:
    ttl = "1.5"
    process, target = await _serve_until_healthy(postgres_url, "--session-ttl", ttl)
    crashed = GrpcBackend(target, app=app)
    await crashed.connect()
    try:
        await (await crashed.guild_join(payloads.guild_with_id(app, 4 << 22), confirm=True))
        survivor = server_app.Server(
            server_app.Config(address="127.0.0.1:0", database=postgres_url, session_ttl_seconds=float(ttl))
        )
        await survivor.start()
        try:
            live = await _connected(survivor, app)
            try:
                await (await live.guild_join(payloads.guild_with_id(app, 5 << 22), confirm=True))
                await live.prune()
                assert await cachestate.guild_ids(live) == {4 << 22, 5 << 22}  # the other server's session is alive

                process.send_signal(signal.SIGKILL)
                await process.wait()
                # No heartbeat marks the killed server's session alive any more: past its TTL it is stale.
                await asyncio.sleep(float(ttl) * 2)
                await live.prune()

                assert await cachestate.guild_ids(live) == {5 << 22}
            finally:
                await live.disconnect()
        finally:
            await survivor.stop()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await crashed.disconnect()


async def test_two_servers_writing_the_same_rows_at_once_commit_every_write(
    replicas: list[server_app.Server], app: hikari.GatewayBot
) -> None:
    # Each server's group commit puts guilds, members and roles in one transaction, in the order
    # they came: here in opposite orders, on the same rows, so the two servers' transactions wait
    # on each other's row locks. Should PostgreSQL abort one as a deadlock, the writer runs that
    # transaction again (shown deterministically by the next test).
    guild = payloads.guild_with_id(app, 6 << 22)
    members = payloads.members_of(app, 6 << 22, range(1, 101))
    roles = [payloads.role(app, payloads.role_payload(role_id), guild_id=6 << 22) for role_id in range(900, 910)]
    first, second = await _connected(replicas[0], app), await _connected(replicas[1], app)
    try:

        async def forwards(client: GrpcBackend) -> None:
            for _ in range(20):
                await client.guild_join(guild, confirm=False)
                await client.bulk_members(members, confirm=False)
                await client.bulk_roles(roles, confirm=False)
            await client.flush()

        async def backwards(client: GrpcBackend) -> None:
            for _ in range(20):
                await client.bulk_roles(roles[::-1], confirm=False)
                await client.bulk_members(members[::-1], confirm=False)
                await client.guild_join(guild, confirm=False)
            await client.flush()

        await asyncio.gather(forwards(first), backwards(second))

        assert (first.failed_writes, second.failed_writes) == (0, 0)
        assert await cachestate.member_ids(second, 6 << 22) == set(range(1, 101))
        assert {int(r.id) async for r in first.iter_roles(RoleQuery(guild_id=6 << 22))} == set(range(900, 910))
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_a_transaction_postgresql_aborts_as_a_deadlock_is_run_again_and_commits(
    replicas: list[server_app.Server], postgres_url: str, app: hikari.GatewayBot, caplog: pytest.LogCaptureFixture
) -> None:
    # Another client of the database (standing in for the other server) holds a role's row lock,
    # the writer's transaction takes the guild's and waits for the role's, then the other client
    # asks for the guild's: a cycle, which PostgreSQL breaks by aborting the transaction that
    # waited longest (the writer's). The writer must run it again, and the write must commit.
    guild_id = 7 << 22
    guild = payloads.guild_with_id(app, guild_id)
    role = payloads.role(app, payloads.role_payload(950), guild_id=guild_id)
    client = await _connected(replicas[0], app)
    other = await asyncpg.connect(postgres_url)
    try:
        await (await client.guild_join(guild, confirm=True))
        await (await client.role_update(role, confirm=True))
        other_tx = other.transaction()
        await other_tx.start()
        await other.execute("SELECT 1 FROM roles WHERE id = 950 FOR UPDATE")
        caplog.set_level(logging.WARNING, logger="hikari_kura.server.writer")

        # One group: the guild first, then the role (a bulk of both as one confirmed barrier).
        await client.guild_join(guild, confirm=False)
        written = await client.role_update(role, confirm=True)
        await asyncio.sleep(0.5)  # the writer now holds the guild's row and waits for the role's
        # PostgreSQL checks a waiting transaction for a cycle after deadlock_timeout (1 s): the writer's,
        # waiting half a second longer, is checked and aborted first, and this one gets the lock.
        await asyncio.wait_for(other.execute(f"SELECT 1 FROM guilds WHERE id = {guild_id} FOR UPDATE"), 30)
        await other_tx.rollback()
        await asyncio.wait_for(written, 30)

        assert client.failed_writes == 0
        assert "transaction aborted, running it again" in caplog.text
    finally:
        await other.close()
        await client.disconnect()
