"""Limits against a real server: sessions per peer, streams per connection, message size, cancelled
and expired calls, and keepalive ending the sessions of a peer that went silent."""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import inspect

import grpc
import hikari
import payloads
import pytest
from conftest import StartServer

from hikari_kura.client import GrpcBackend, ResourceExhaustedError, UnavailableError, errors
from hikari_kura.server import app as server_app
from hikari_kura.server import limits
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, roles_pb2

WAIT_SECONDS = 30.0
"""The most a test waits for the server to notice something; it normally takes far less."""


async def _eventually(check: collections.abc.Callable[[], bool | collections.abc.Awaitable[bool]], what: str) -> None:
    """Poll ``check`` (plain or async) until it holds; fail naming ``what`` if it never does."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + WAIT_SECONDS
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > give_up:
            pytest.fail(f"never happened: {what}")
        await asyncio.sleep(0.05)


def _rpcs(server: server_app.Server, method: str, code: str) -> float:
    value = server.metrics.registry.get_sample_value("kura_rpcs_total", {"method": method, "code": code})
    return value or 0.0


# -- write sessions per peer -------------------------------------------------------------------


async def test_sessions_beyond_the_per_peer_limit_are_refused_until_one_closes(
    start_server: StartServer, app: hikari.GatewayBot
) -> None:
    server = await start_server(max_sessions_per_peer=2)
    target = f"127.0.0.1:{server.port}"
    first, second, third = (GrpcBackend(target, app=app) for _ in range(3))
    await first.connect()
    await second.connect()

    with pytest.raises(ResourceExhaustedError) as refused:
        await third.connect()
    await first.disconnect()
    await third.connect()
    await (await third.role_create(payloads.role(app, payloads.role_payload(91)), confirm=True))
    await third.disconnect()
    await second.disconnect()

    assert refused.value.message == (
        "too many write sessions from ipv4:127.0.0.1: at most 2 at once (close one, or raise --max-sessions-per-peer)"
    )
    refusals = server.metrics.registry.get_sample_value(
        "kura_refused_calls_total", {"method": "Write", "code": "RESOURCE_EXHAUSTED"}
    )
    assert refusals == 1


@pytest.mark.parametrize(
    ("peer", "host"),
    [
        ("ipv4:10.0.0.5:41234", "ipv4:10.0.0.5"),
        ("ipv6:[::1]:41234", "ipv6:[::1]"),
        ("ipv6:[2001:db8::7]:50000", "ipv6:[2001:db8::7]"),
        ("unix:/run/kura.sock", "unix:/run/kura.sock"),
    ],
)
def test_sessions_are_counted_per_host_whatever_the_port(peer: str, host: str) -> None:
    assert limits.peer_host(peer) == host


# -- streams per connection --------------------------------------------------------------------


async def test_calls_beyond_the_stream_limit_of_a_connection_wait_while_other_connections_are_served(
    start_server: StartServer,
) -> None:
    server = await start_server(max_concurrent_streams=1)
    target = f"127.0.0.1:{server.port}"
    # Each channel on a connection of its own: by default gRPC shares one among channels to one target.
    own = [("grpc.use_local_subchannel_pool", 1)]
    async with (
        grpc.aio.insecure_channel(target, options=own) as busy,
        grpc.aio.insecure_channel(target, options=own) as other,
    ):
        held = cache_service_pb2_grpc.CacheServiceStub(busy).Write()
        opened = await held.read()
        assert opened.WhichOneof("event") == "session_opened"

        # The one stream this connection may carry is taken: another call on it waits, here past its deadline.
        with pytest.raises(grpc.aio.AioRpcError) as waited:
            await cache_service_pb2_grpc.CacheServiceStub(busy).GetStats(pb.GetStatsRequest(), timeout=1.0)
        stats = await cache_service_pb2_grpc.CacheServiceStub(other).GetStats(pb.GetStatsRequest(), timeout=10.0)
        await held.done_writing()
        assert await held.read() is grpc.aio.EOF
        after = await cache_service_pb2_grpc.CacheServiceStub(busy).GetStats(pb.GetStatsRequest(), timeout=10.0)

    assert waited.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert stats.open_sessions == 1
    assert after.open_sessions == 0


# -- message size ------------------------------------------------------------------------------


async def test_a_request_over_the_message_limit_is_refused_and_stores_nothing(start_server: StartServer) -> None:
    server = await start_server(max_message_bytes=64 * 1024)
    role = roles_pb2.Role(id=1, guild_id=2, name="x" * 8000)
    roles = [roles_pb2.Role(id=index, guild_id=2, name=role.name) for index in range(1, 11)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.UpsertRoles(pb.UpsertRolesRequest(roles=roles))
        stored = [batch async for batch in stub.IterRoles(pb.IterRolesRequest())]

    error = errors.from_rpc_error(refused.value)
    assert isinstance(error, ResourceExhaustedError)
    assert "larger than max" in error.message
    assert "65536" in error.message
    assert stored == []


async def test_the_write_session_announces_the_configured_message_limit(
    start_server: StartServer, app: hikari.GatewayBot
) -> None:
    server = await start_server(max_message_bytes=64 * 1024)
    backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await backend.connect()
    try:
        roles = [payloads.role(app, payloads.role_payload(100 + index)) for index in range(400)]
        # Far over 64 KiB in all: the client cuts the bulk to the announced limit, so it is stored whole.
        await (await backend.bulk_roles(roles, confirm=True))
        stored = [role.id async for role in backend.iter_roles()]
    finally:
        await backend.disconnect()

    assert len(stored) == 400


# -- cancelled and expired calls ---------------------------------------------------------------


ROLES = 4000


@pytest.fixture
async def stocked(start_server: StartServer, app: hikari.GatewayBot) -> server_app.Server:
    """Return a server with one reader connection, holding 4000 roles of 4 KB: far more than flow control lets
    the server send ahead of a client that does not read."""
    server = await start_server(readers=1)
    backend = GrpcBackend(f"127.0.0.1:{server.port}", app=app)
    await backend.connect()
    try:
        for start in range(0, ROLES, 1000):
            payloads_ = [
                {**payloads.role_payload(1000 + index), "name": "n" * 4000} for index in range(start, start + 1000)
            ]
            await (await backend.bulk_roles([payloads.role(app, payload) for payload in payloads_], confirm=True))
    finally:
        await backend.disconnect()
    return server


async def _reader_is_free(server: server_app.Server) -> int:
    """Return how many roles a fresh query counts, which needs the server's only reader connection."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        return (await stub.GetStats(pb.GetStatsRequest(), timeout=WAIT_SECONDS)).roles


async def test_a_query_the_client_cancels_stops_on_the_server_and_frees_its_reader(
    stocked: server_app.Server,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stocked.port}") as channel:
        call = cache_service_pb2_grpc.CacheServiceStub(channel).IterRoles(pb.IterRolesRequest(batch_size=1))
        first = await call.read()
        call.cancel()

    assert [role.id for role in first.roles] == [1000]
    await _eventually(lambda: _rpcs(stocked, "IterRoles", "CANCELLED") == 1, "the query's handler ended cancelled")
    assert _rpcs(stocked, "IterRoles", "OK") == 0
    assert await _reader_is_free(stocked) == ROLES


async def test_a_query_past_its_deadline_stops_on_the_server_and_frees_its_reader(
    stocked: server_app.Server,
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stocked.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        # One role per response and nobody reading: the server fills the flow-control window and
        # waits, until the deadline ends the call.
        call = stub.IterRoles(pb.IterRolesRequest(batch_size=1), timeout=1.0)
        code = await call.code()

    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    # Its handler ends DEADLINE_EXCEEDED, or CANCELLED when gRPC cancels it just before the deadline passes.
    await _eventually(
        lambda: _rpcs(stocked, "IterRoles", "DEADLINE_EXCEEDED") + _rpcs(stocked, "IterRoles", "CANCELLED") == 1,
        "the query's handler ended at its deadline",
    )
    assert _rpcs(stocked, "IterRoles", "OK") == 0
    assert await _reader_is_free(stocked) == ROLES


# -- keepalive ---------------------------------------------------------------------------------


class Blackhole:
    """A TCP relay on loopback that can go silent: it keeps both connections open but passes nothing on.

    To the server that is a peer whose machine vanished (power cut, network partition):
    no FIN, no RST, only silence, which only keepalive pings can notice.
    """

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._silent = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def start(self) -> None:
        """Listen on an ephemeral loopback port."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def go_silent(self) -> None:
        """Stop passing bytes either way, keeping the connections open."""
        self._silent.set()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        self._writers += [client_writer, server_writer]
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.get_running_loop().create_task(self._pump(reader, writer))
            self._tasks.add(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not self._silent.is_set():
            read = asyncio.ensure_future(reader.read(65536))
            silent = asyncio.ensure_future(self._silent.wait())
            done, _ = await asyncio.wait({read, silent}, return_when=asyncio.FIRST_COMPLETED)
            if read not in done:
                read.cancel()
                return
            silent.cancel()
            data = read.result()
            if not data:
                return
            writer.write(data)
            await writer.drain()

    async def close(self) -> None:
        """Stop relaying and close every connection."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def test_keepalive_ends_the_session_of_a_peer_that_went_silent(
    start_server: StartServer, app: hikari.GatewayBot
) -> None:
    server = await start_server(keepalive_time_seconds=0.5, keepalive_timeout_seconds=1.0, shutdown_grace_seconds=1.0)
    relay = Blackhole(server.port or 0)
    await relay.start()
    backend = GrpcBackend(f"127.0.0.1:{relay.port}", app=app)
    try:
        await backend.connect()
        await (await backend.role_create(payloads.role(app, payloads.role_payload(92)), confirm=True))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as direct:
            stats = cache_service_pb2_grpc.CacheServiceStub(direct)
            assert (await stats.GetStats(pb.GetStatsRequest())).open_sessions == 1

            relay.go_silent()

            # The server pings, the silent peer never answers, the connection and its session end.
            async def no_session_open() -> bool:
                return (await stats.GetStats(pb.GetStatsRequest())).open_sessions == 0

            await _eventually(no_session_open, "the silent peer's session ended")
    finally:
        await relay.close()
        with contextlib.suppress(errors.KuraError):
            await backend.disconnect()


async def test_client_keepalive_fails_the_writes_in_flight_to_a_server_that_went_silent(
    start_server: StartServer, app: hikari.GatewayBot
) -> None:
    server = await start_server(min_ping_interval_seconds=0.1, shutdown_grace_seconds=1.0)
    relay = Blackhole(server.port or 0)
    await relay.start()
    quick_keepalive = [("grpc.keepalive_time_ms", 500), ("grpc.http2.ping_timeout_ms", 1000)]
    # Without reconnecting, so what the test sees is keepalive noticing the silence, not the retries after it.
    backend = GrpcBackend(f"127.0.0.1:{relay.port}", app=app, channel_options=quick_keepalive, reconnect=None)
    try:
        await backend.connect()
        await (await backend.role_create(payloads.role(app, payloads.role_payload(93)), confirm=True))
        relay.go_silent()

        confirmed = await backend.role_create(payloads.role(app, payloads.role_payload(94)), confirm=True)
        with pytest.raises(UnavailableError, match="ping timeout"):
            await asyncio.wait_for(confirmed, WAIT_SECONDS)
    finally:
        await relay.close()
        with contextlib.suppress(errors.KuraError):
            await backend.disconnect()
