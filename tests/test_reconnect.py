"""A client whose server restarts reconnects with backoff and carries on; a client that gives up says so.

The server runs as its own ``kura serve`` process, stopped (or killed) and started
again on the same port over the same database file. ``asyncio.wait_for`` guards
each wait against a hang; no test asserts how long anything takes.
"""

from __future__ import annotations

import asyncio
import collections.abc
import pathlib

import grpc
import hikari
import payloads
import pytest
import serverproc

from hikari_kura.client import (
    GrpcBackend,
    GuildQuery,
    MemberQuery,
    ReconnectPolicy,
    RoleQuery,
    UnavailableError,
    WriteError,
)
from hikari_kura.client import errors as client_errors
from hikari_kura.client import reconnect as reconnect_
from hikari_kura.v1 import cache_service_pb2_grpc

GUILD = 88 << 22
HANG_GUARD = 120.0
"""Seconds after which a wait counts as a hang: far above any healthy run, so it is no timing assertion."""
FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.5, give_up_after=HANG_GUARD)


def _member(app: hikari.GatewayBot, user_id: int, nick: str = "Nickname") -> hikari.Member:
    return payloads.member(app, payloads.member_payload(user_id, nick=nick), guild_id=GUILD)


def _guild(app: hikari.GatewayBot, guild_id: int) -> hikari.GatewayGuild:
    data = payloads.guild_create_payload()
    data["id"] = str(guild_id)
    return payloads.guild(app, data)


async def _nicknames(backend: GrpcBackend) -> dict[int, str | None]:
    return {int(m.id): m.nickname async for m in backend.iter_members(MemberQuery(guild_id=GUILD))}


async def _until(condition: collections.abc.Callable[[], bool]) -> None:
    """Wait until ``condition`` holds (polled), guarded against a hang."""

    async def poll() -> None:
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), HANG_GUARD)


class Service:
    """One ``kura serve`` process at a time on a fixed port and database file."""

    def __init__(self, database: pathlib.Path) -> None:
        self.database = database
        self.port = serverproc.free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.process: serverproc.ServerProcess | None = None

    async def start(self) -> None:
        self.process = await serverproc.start(self.database, self.port)

    async def stop(self, *, kill: bool = False) -> None:
        assert self.process is not None
        await serverproc.stop(self.process, kill=kill)
        self.process = None


@pytest.fixture
async def service(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[Service]:
    running = Service(tmp_path / "reconnect.sqlite3")
    await running.start()
    try:
        yield running
    finally:
        if running.process is not None:
            await running.stop(kill=True)


@pytest.fixture
async def client(service: Service, app: hikari.GatewayBot) -> collections.abc.AsyncIterator[GrpcBackend]:
    backend = GrpcBackend(service.target, app=app, reconnect=FAST)
    await backend.connect()
    try:
        yield backend
    finally:
        await asyncio.wait_for(backend.disconnect(), HANG_GUARD)


async def test_writes_issued_while_the_server_is_away_land_in_order_once_it_is_back(
    service: Service, client: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await (await client.member_create(_member(app, 1), confirm=True))
    session_id = client.session_id
    await service.stop()

    await client.member_update(_member(app, 2, "first"), confirm=False)
    second = await client.member_update(_member(app, 2, "second"), confirm=True)
    await client.member_create(_member(app, 3), confirm=False)
    deleted = await client.member_delete(hikari.Snowflake(3), hikari.Snowflake(GUILD), confirm=True)
    await client.role_create(payloads.role(app, payloads.role_payload(GUILD + 1), guild_id=GUILD), confirm=False)
    role_gone = await client.role_delete(hikari.Snowflake(GUILD + 1), confirm=True)
    bulk = await client.bulk_members([_member(app, user_id) for user_id in range(10, 60)], confirm=True)
    assert not any(future.done() for future in (second, deleted, role_gone, bulk))

    await service.start()
    await asyncio.wait_for(asyncio.gather(second, deleted, role_gone, bulk), HANG_GUARD)

    nicknames = await _nicknames(client)
    assert nicknames[2] == "second"
    assert 3 not in nicknames
    assert set(nicknames) == {1, 2, *range(10, 60)}
    assert [role async for role in client.iter_roles(RoleQuery(guild_id=GUILD))] == []
    assert client.reconnects >= 1
    assert client.failed_writes == 0
    assert client.session_id == session_id


async def test_after_kill_9_mid_storm_every_issued_write_lands_in_issue_order(
    service: Service, client: GrpcBackend, app: hikari.GatewayBot
) -> None:
    """Each of 20 members is updated again and again; after the crash and restart each holds its last update."""
    last: dict[int, str] = {}
    confirmations: list[asyncio.Future[None]] = []
    for version in range(600):
        user_id = 100 + version % 20
        last[user_id] = f"v{version}"
        if version % 10 == 0:
            confirmations.append(await client.member_update(_member(app, user_id, f"v{version}"), confirm=True))
        else:
            await client.member_update(_member(app, user_id, f"v{version}"), confirm=False)
        if version == 100:
            await confirmations[-1]  # some writes are committed before the crash...
        if version == 200:
            await service.stop(kill=True)  # ...and some are in flight, their outcome unknown to the client
        if version == 400:
            await service.start()
        await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(*confirmations), HANG_GUARD)
    await asyncio.wait_for(client.flush(), HANG_GUARD)

    assert await _nicknames(client) == last
    assert client.failed_writes == 0
    assert client.reconnects >= 1


async def test_a_bulk_whose_chunks_were_in_flight_when_the_server_died_is_stored_whole_after_the_restart(
    service: Service, app: hikari.GatewayBot
) -> None:
    chunked = GrpcBackend(service.target, app=app, reconnect=FAST, bulk_chunk_size=50)
    await chunked.connect()
    try:
        members = [_member(app, user_id, f"bulk-{user_id}") for user_id in range(1, 3001)]
        bulk = await chunked.bulk_members(members, confirm=True)  # 60 chunks under one seq
        after = await chunked.member_update(_member(app, 1, "after the bulk"), confirm=True)
        await service.stop(kill=True)
        await service.start()

        await asyncio.wait_for(asyncio.gather(bulk, after), HANG_GUARD)

        nicknames = await _nicknames(chunked)
        assert len(nicknames) == 3000
        assert nicknames[1] == "after the bulk"
        assert nicknames[3000] == "bulk-3000"
    finally:
        await asyncio.wait_for(chunked.disconnect(), HANG_GUARD)


async def test_a_resumed_session_keeps_its_writes_fresh_for_another_clients_prune(
    service: Service, client: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await (await client.guild_join(_guild(app, 1 << 22), confirm=True))
    session_id = client.session_id
    await service.stop()
    await service.start()
    await (await client.guild_join(_guild(app, 2 << 22), confirm=True))  # waits for the reconnect
    assert client.session_id == session_id

    other = GrpcBackend(service.target, app=app, reconnect=FAST)
    await other.connect()
    try:
        await other.prune()
        assert {int(g.id) async for g in other.iter_guilds()} == {1 << 22, 2 << 22}

        await client.disconnect()
        await other.prune()
        assert [g async for g in other.iter_guilds(GuildQuery())] == []
    finally:
        await other.disconnect()


async def test_reads_while_the_server_is_away_fail_at_once_and_work_again_after(
    service: Service, client: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await (await client.member_create(_member(app, 7), confirm=True))
    await service.stop()

    with pytest.raises(UnavailableError):
        await asyncio.wait_for(_nicknames(client), HANG_GUARD)

    await service.start()
    await (await client.member_update(_member(app, 7, "back"), confirm=True))  # the session is back on the channel
    assert await asyncio.wait_for(_nicknames(client), HANG_GUARD) == {7: "back"}


async def test_writes_beyond_the_queue_bound_fail_at_once_while_the_server_is_away(
    service: Service, app: hikari.GatewayBot
) -> None:
    bounded = GrpcBackend(
        service.target,
        app=app,
        reconnect=ReconnectPolicy(initial_delay=0.05, max_delay=0.5, give_up_after=HANG_GUARD, max_queued_writes=3),
    )
    await bounded.connect()
    try:
        await service.stop()
        await _until(lambda: bounded.is_reconnecting)

        queued = [await bounded.member_create(_member(app, user_id), confirm=True) for user_id in (1, 2, 3)]
        refused = await bounded.member_create(_member(app, 4), confirm=True)
        assert refused.done()
        with pytest.raises(UnavailableError, match="max_queued_writes"):
            refused.result()

        await service.start()
        await asyncio.wait_for(asyncio.gather(*queued), HANG_GUARD)
        assert set(await _nicknames(bounded)) == {1, 2, 3}
    finally:
        await asyncio.wait_for(bounded.disconnect(), HANG_GUARD)


async def test_giving_up_fails_every_queued_write_with_a_clear_error_and_nothing_hangs(
    service: Service, app: hikari.GatewayBot
) -> None:
    failures: list[WriteError] = []
    impatient = GrpcBackend(
        service.target,
        app=app,
        on_error=failures.append,
        reconnect=ReconnectPolicy(initial_delay=0.05, max_delay=0.2, give_up_after=1.0),
    )
    await impatient.connect()
    await service.stop()

    confirmed = await impatient.member_create(_member(app, 1), confirm=True)
    await impatient.member_create(_member(app, 2), confirm=False)
    with pytest.raises(UnavailableError, match="gave up reconnecting"):
        await asyncio.wait_for(confirmed, HANG_GUARD)

    assert [(failure.operation, type(failure.error)) for failure in failures] == [("member_create", UnavailableError)]
    assert impatient.failed_writes == 1
    assert not impatient.is_reconnecting
    with pytest.raises(UnavailableError, match="gave up reconnecting"):
        await impatient.member_create(_member(app, 3), confirm=True)
    await asyncio.wait_for(impatient.disconnect(), HANG_GUARD)


async def test_disconnect_while_the_server_is_away_with_nothing_left_to_send_stops_reconnecting(
    service: Service, app: hikari.GatewayBot
) -> None:
    patient = GrpcBackend(
        service.target, app=app, reconnect=ReconnectPolicy(initial_delay=0.05, max_delay=0.5, give_up_after=None)
    )
    await patient.connect()
    await (await patient.member_create(_member(app, 1), confirm=True))
    await service.stop()
    await _until(lambda: patient.is_reconnecting)

    await asyncio.wait_for(patient.disconnect(), HANG_GUARD)  # it would wait for the server forever

    assert not patient.is_reconnecting
    with pytest.raises(UnavailableError, match="connect"):
        await patient.member_create(_member(app, 2), confirm=True)


SLOW = ReconnectPolicy(initial_delay=20.0, max_delay=20.0, give_up_after=HANG_GUARD)
"""A policy whose channel waits 16-24 s after a failed connection attempt: far longer than a restart takes."""


async def test_a_new_backend_connects_to_a_restarted_server_while_another_still_backs_off(
    service: Service, app: hikari.GatewayBot
) -> None:
    """The reported scenario: a second backend of the process, same target and options, during the first's backoff.

    gRPC shares subchannels (and their backoff) between channels of one process with the same
    target and options, unless each channel keeps its own pool.
    """
    first = GrpcBackend(service.target, app=app, reconnect=SLOW)
    await first.connect()
    try:
        await service.stop()
        with pytest.raises(UnavailableError):  # a read's failed connection attempt starts the channel's backoff
            await _nicknames(first)
        await service.start()
        assert first.is_reconnecting

        second = GrpcBackend(service.target, app=app, reconnect=SLOW)
        await asyncio.wait_for(second.connect(), HANG_GUARD)
        try:
            assert first.is_reconnecting  # still backing off: the second did not wait for it
            await (await second.member_create(_member(app, 5), confirm=True))
            assert await _nicknames(second) == {5: "Nickname"}
        finally:
            await asyncio.wait_for(second.disconnect(), HANG_GUARD)
    finally:
        await asyncio.wait_for(first.disconnect(), HANG_GUARD)


async def test_connect_waits_for_a_server_that_starts_after_it_began(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    later = Service(tmp_path / "later.sqlite3")
    backend = GrpcBackend(later.target, app=app, connect_timeout=HANG_GUARD)
    connecting = asyncio.get_running_loop().create_task(backend.connect())
    try:
        await asyncio.sleep(0.5)  # its first attempt has found nothing listening
        assert not connecting.done()

        await later.start()
        await asyncio.wait_for(connecting, HANG_GUARD)

        assert backend.session_id is not None
        await (await backend.member_create(_member(app, 6), confirm=True))
        assert await _nicknames(backend) == {6: "Nickname"}
    finally:
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        await asyncio.wait_for(backend.disconnect(), HANG_GUARD)
        if later.process is not None:
            await later.stop(kill=True)


async def test_connect_to_no_server_fails_unavailable_naming_the_target_after_waiting_its_timeout(
    app: hikari.GatewayBot,
) -> None:
    target = f"127.0.0.1:{serverproc.free_port()}"
    backend = GrpcBackend(target, app=app, connect_timeout=2.0)
    loop = asyncio.get_running_loop()
    began = loop.time()

    with pytest.raises(UnavailableError, match=r"127\.0\.0\.1:\d+.* waited [\d.]+ s .*connect_timeout=2") as caught:
        await asyncio.wait_for(backend.connect(), HANG_GUARD)

    assert target in caught.value.message
    assert "Connection refused" in caught.value.message  # why, from the first attempt
    assert loop.time() - began >= 1.0  # it waited (loosely: no timing is asserted)
    assert backend.session_id is None
    with pytest.raises(UnavailableError, match="connect"):
        await backend.member_create(_member(app, 1), confirm=True)


def test_connect_timeout_must_be_positive(app: hikari.GatewayBot) -> None:
    with pytest.raises(ValueError, match="connect_timeout must be positive"):
        GrpcBackend("127.0.0.1:1", app=app, connect_timeout=0)


async def _opened_session(stub: cache_service_pb2_grpc.CacheServiceStub, resume: str) -> int:
    call = stub.Write(iter([]), metadata=(("kura-resume-session", resume),), timeout=HANG_GUARD)
    first = await call.read()
    call.cancel()
    return int(first.session_opened.session_id)


async def test_resuming_a_session_the_server_does_not_know_opens_a_new_one(
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    known = await _opened_session(stub, "999999")

    assert known != 999999
    assert await _opened_session(stub, str(known)) == known  # one it knows, even closed, is resumed


@pytest.mark.parametrize("resume", ["0", "-1", "abc", str(1 << 63)])
async def test_resuming_a_malformed_session_id_is_refused_as_invalid_argument(
    stub: cache_service_pb2_grpc.CacheServiceStub, resume: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _opened_session(stub, resume)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "kura-resume-session: must be a positive session id"


def test_a_call_the_server_cancelled_as_it_shut_down_raises_unavailable() -> None:
    cancelled = grpc.aio.AioRpcError(grpc.StatusCode.CANCELLED, grpc.aio.Metadata(), grpc.aio.Metadata(), "CANCELLED")

    error = client_errors.from_rpc_error(cancelled)

    assert isinstance(error, UnavailableError)
    assert "server cancelled the call" in error.message


def test_backoff_doubles_with_jitter_up_to_its_ceiling_then_gives_up() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=4.0, give_up_after=None, max_attempts=5)
    backoff = reconnect_.Backoff(policy, started=0.0)
    delays = [backoff.next_delay(0.0) for _ in range(6)]

    ceilings = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(
        delay is not None and ceiling / 2 <= delay <= ceiling
        for delay, ceiling in zip(delays[:5], ceilings, strict=True)
    )
    assert delays[5] is None
    assert backoff.attempts == 5


def test_backoff_gives_up_when_its_time_is_spent_after_one_last_attempt() -> None:
    backoff = reconnect_.Backoff(ReconnectPolicy(initial_delay=1.0, max_delay=8.0, give_up_after=10.0), started=100.0)

    assert backoff.next_delay(109.5) == 0.5  # the time left, not a longer delay
    assert backoff.next_delay(110.0) is None


@pytest.mark.parametrize(
    "settings",
    [
        {"initial_delay": 0.0},
        {"initial_delay": 2.0, "max_delay": 1.0},
        {"give_up_after": 0.0},
        {"max_attempts": 0},
        {"max_queued_writes": -1},
        {"attempt_timeout": 0.0},
    ],
)
def test_reconnect_policy_refuses_settings_that_cannot_work(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        ReconnectPolicy(**settings)  # type: ignore[arg-type]
