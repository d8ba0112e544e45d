"""PostgreSQL going away and coming back: writes and reads fail UNAVAILABLE meanwhile, nothing half-written
is left, and the same server and client carry on once the database is back."""

from __future__ import annotations

import collections.abc

import cachestate
import hikari
import payloads
import postgres
import pytest

from hikari_kura.client import GrpcBackend, UnavailableError
from hikari_kura.server import app as server_app


@pytest.fixture
def own_cluster() -> collections.abc.Iterator[postgres.Cluster]:
    """Start a PostgreSQL server of this test's own, since the test stops it."""
    cluster = postgres.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_writes_and_reads_fail_unavailable_while_postgresql_is_down_and_resume_after(
    own_cluster: postgres.Cluster, app: hikari.GatewayBot
) -> None:
    url = await own_cluster.create_database()
    server = server_app.Server(server_app.Config(address="127.0.0.1:0", database=url))
    await server.start()
    client = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await client.connect()
    try:
        await (await client.guild_join(payloads.guild_with_id(app, 1 << 22), confirm=True))

        own_cluster.halt()
        with pytest.raises(UnavailableError, match="database unavailable"):
            await (await client.bulk_members(payloads.members_of(app, 1 << 22, range(1, 11)), confirm=True))
        with pytest.raises(UnavailableError, match="database unavailable"):
            await cachestate.guild_ids(client)

        own_cluster.run()
        await (await client.guild_join(payloads.guild_with_id(app, 2 << 22), confirm=True))

        assert await cachestate.guild_ids(client) == {1 << 22, 2 << 22}
        assert await cachestate.member_ids(client, 1 << 22) == set()
    finally:
        await client.disconnect()
        await server.stop()
