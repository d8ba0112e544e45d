"""Bearer tokens: a real server started with tokens, called by GrpcBackend, raw stubs, grpcurl and ``kura``."""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
import subprocess
import sys

import grpc
import hikari
import payloads
import pytest
from conftest import StartServer
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpcurl_tool import grpcurl

from hikari_kura.client import GrpcBackend, PermissionDeniedError, RoleQuery, UnauthenticatedError, errors
from hikari_kura.server import app as server_app
from hikari_kura.server import auth
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc

WRITE_TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"
TOKENS = ((auth.Role.WRITE, WRITE_TOKEN), (auth.Role.READ, READ_TOKEN), (auth.Role.ADMIN, ADMIN_TOKEN))
SERVICE = "hikari_kura.v1.CacheService"
KURA = [sys.executable, "-m", "hikari_kura.server"]


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def _refused(server: server_app.Server, method: str, code: str) -> float:
    value = server.metrics.registry.get_sample_value("kura_refused_calls_total", {"method": method, "code": code})
    return value or 0.0


@pytest.fixture
async def guarded(start_server: StartServer) -> server_app.Server:
    """Return a running server that requires tokens."""
    return await start_server(tokens=TOKENS)


# -- GrpcBackend -------------------------------------------------------------------------------


async def test_backend_with_a_write_token_writes_and_reads(guarded: server_app.Server, app: hikari.GatewayBot) -> None:
    backend = GrpcBackend(f"127.0.0.1:{guarded.port}", app=app, token=WRITE_TOKEN)
    await backend.connect()
    try:
        await (await backend.role_create(payloads.role(app, payloads.role_payload(71)), confirm=True))
        # Unary-stream (queries), the bidi write stream and snapshot all carry the token.
        assert [role.id async for role in backend.iter_roles(RoleQuery(id=71))] == [71]
    finally:
        await backend.disconnect()


@pytest.mark.parametrize("token", [None, "not-a-token-at-all-0000", WRITE_TOKEN + "x"])
async def test_backend_without_a_valid_token_cannot_connect(
    guarded: server_app.Server, app: hikari.GatewayBot, token: str | None
) -> None:
    backend = GrpcBackend(f"127.0.0.1:{guarded.port}", app=app, token=token)

    with pytest.raises(UnauthenticatedError, match="a valid token is required"):
        await backend.connect()

    assert _refused(guarded, "Write", "UNAUTHENTICATED") == 1


async def test_a_refused_token_fails_connect_at_once_rather_than_waiting_for_the_server(
    guarded: server_app.Server, app: hikari.GatewayBot
) -> None:
    backend = GrpcBackend(f"127.0.0.1:{guarded.port}", app=app, token="not-a-token-at-all-0000", connect_timeout=600)

    # A refusal is the server's answer, not a server still starting: waiting 600 s would fail the guard.
    with pytest.raises(UnauthenticatedError):
        await asyncio.wait_for(backend.connect(), 60)


async def test_backend_with_a_read_token_cannot_open_a_write_session(
    guarded: server_app.Server, app: hikari.GatewayBot
) -> None:
    backend = GrpcBackend(f"127.0.0.1:{guarded.port}", app=app, token=READ_TOKEN)

    with pytest.raises(PermissionDeniedError, match="a read token may not call Write"):
        await backend.connect()

    assert _refused(guarded, "Write", "PERMISSION_DENIED") == 1


# -- each RPC by role --------------------------------------------------------------------------


async def test_read_token_may_query_and_read_stats_but_not_change_or_copy_anything(
    guarded: server_app.Server, app: hikari.GatewayBot
) -> None:
    target = f"127.0.0.1:{guarded.port}"
    writer = GrpcBackend(target, app=app, token=WRITE_TOKEN)
    await writer.connect()
    await (await writer.role_create(payloads.role(app, payloads.role_payload(72)), confirm=True))
    await writer.disconnect()
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        read = _bearer(READ_TOKEN)

        roles = [batch async for batch in stub.IterRoles(pb.IterRolesRequest(), metadata=read)]
        stats = await stub.GetStats(pb.GetStatsRequest(), metadata=read)
        refusals = []
        for call in (
            stub.UpsertRoles(pb.UpsertRolesRequest(roles=[roles[0].roles[0]]), metadata=read),
            stub.DeleteRole(pb.DeleteRoleRequest(role_id=72), metadata=read),
            stub.Clear(pb.ClearRequest(roles=True), metadata=read),
            stub.Prune(pb.PruneRequest(), metadata=read),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            refusals.append(errors.from_rpc_error(refused.value))
        with pytest.raises(grpc.aio.AioRpcError) as snapshot:
            [chunk async for chunk in stub.Snapshot(pb.SnapshotRequest(), metadata=read)]

        assert [role.id for batch in roles for role in batch.roles] == [72]
        assert stats.roles == 1
        assert all(isinstance(error, PermissionDeniedError) for error in refusals), refusals
        assert snapshot.value.code() == grpc.StatusCode.PERMISSION_DENIED
        after = [batch async for batch in stub.IterRoles(pb.IterRolesRequest(), metadata=read)]
        assert [role.id for batch in after for role in batch.roles] == [72]
    assert _refused(guarded, "UpsertRoles", "PERMISSION_DENIED") == 1
    assert _refused(guarded, "Snapshot", "PERMISSION_DENIED") == 1


@pytest.mark.parametrize(
    "header",
    [f"bearer {ADMIN_TOKEN}", f"BEARER   {ADMIN_TOKEN}  "],
    ids=["lower-case scheme", "spaces around the token"],
)
async def test_the_scheme_is_case_insensitive_and_spaces_around_the_token_do_not_matter(
    guarded: server_app.Server, header: str
) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        await stub.Clear(pb.ClearRequest(roles=True), metadata=(("authorization", header),))


@pytest.mark.parametrize("header", [WRITE_TOKEN, f"Basic {WRITE_TOKEN}", "Bearer", ""])
async def test_a_token_without_the_bearer_scheme_is_refused(guarded: server_app.Server, header: str) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetStats(pb.GetStatsRequest(), metadata=(("authorization", header),))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_health_answers_without_a_token(guarded: server_app.Server) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_tokens_never_appear_in_the_logs(
    guarded: server_app.Server, app: hikari.GatewayBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    target = f"127.0.0.1:{guarded.port}"
    wrong = "wrong-token-0123456789abcdef"
    for token in (WRITE_TOKEN, READ_TOKEN, wrong):
        backend = GrpcBackend(target, app=app, token=token)
        try:
            await backend.connect()
            await backend.disconnect()
        except (UnauthenticatedError, PermissionDeniedError):
            pass

    assert "call refused method='/hikari_kura.v1.CacheService/Write'" in caplog.text
    for token in (WRITE_TOKEN, READ_TOKEN, wrong):
        assert token not in caplog.text
    assert WRITE_TOKEN not in repr(guarded.config)


def test_the_highest_role_of_a_token_listed_twice_wins() -> None:
    interceptor = auth.TokenInterceptor(
        [(auth.Role.READ, WRITE_TOKEN), (auth.Role.WRITE, WRITE_TOKEN)], on_refused=lambda *_: None
    )

    assert interceptor.role_of(_bearer(WRITE_TOKEN)) is auth.Role.WRITE
    assert interceptor.role_of(_bearer(READ_TOKEN)) is None
    assert interceptor.role_of(None) is None


# -- token lists -------------------------------------------------------------------------------


def test_token_file_takes_comments_blank_lines_and_either_role(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"# bots\nwrite {WRITE_TOKEN}\n\n  read   {READ_TOKEN}  \n", encoding="utf-8")

    tokens = auth.load_tokens(path, f"read {'r' * 16}, write {'w' * 16}")

    assert tokens == [
        (auth.Role.READ, "r" * 16),
        (auth.Role.WRITE, "w" * 16),
        (auth.Role.WRITE, WRITE_TOKEN),
        (auth.Role.READ, READ_TOKEN),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"owner {WRITE_TOKEN}", "entry 1: unknown role 'owner' (read, write or admin)"),
        ("write short", "entry 1: a token must be at least 16 characters"),
        (f"write\n{WRITE_TOKEN}", "entry 1: expected 'read TOKEN', 'write TOKEN' or 'admin TOKEN'"),
        (f"read {READ_TOKEN} extra", "entry 1: expected 'read TOKEN', 'write TOKEN' or 'admin TOKEN'"),
    ],
)
def test_a_bad_token_entry_is_refused_without_echoing_the_token(text: str, message: str) -> None:
    with pytest.raises(auth.TokenError) as refused:
        auth.parse_tokens(text, "tokens")
    assert str(refused.value) == f"tokens: {message}"


def test_methods_need_the_roles_the_readme_states() -> None:
    assert auth.required_role("/grpc.health.v1.Health/Check") is None
    assert auth.required_role("/grpc.health.v1.Health/Watch") is None
    assert auth.required_role("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo") is None
    for method in ("IterGuilds", "IterChannels", "IterMembers", "IterRoles", "GetStats"):
        assert auth.required_role(f"/{SERVICE}/{method}") is auth.Role.READ
    for method in ("Write", "UpsertRoles", "DeleteGuild", "Prune"):
        assert auth.required_role(f"/{SERVICE}/{method}") is auth.Role.WRITE
    for method in ("Clear", "Snapshot", "Restore", "Nope"):
        assert auth.required_role(f"/{SERVICE}/{method}") is auth.Role.ADMIN


# -- grpcurl -----------------------------------------------------------------------------------


async def test_grpcurl_lists_and_checks_health_without_a_token_and_calls_with_one(
    guarded: server_app.Server, grpcurl_binary: pathlib.Path
) -> None:
    target = f"127.0.0.1:{guarded.port}"
    read, write = f"authorization: Bearer {READ_TOKEN}", f"authorization: Bearer {WRITE_TOKEN}"
    role = '{"roles":[{"id":"41771983423143936","guildId":"81384788765712384","name":"Moderators"}]}'

    listed = await grpcurl(grpcurl_binary, "-plaintext", target, "list")
    anonymous = await grpcurl(grpcurl_binary, "-plaintext", target, f"{SERVICE}/GetStats")
    denied = await grpcurl(grpcurl_binary, "-plaintext", "-H", read, "-d", role, target, f"{SERVICE}/UpsertRoles")
    written = await grpcurl(grpcurl_binary, "-plaintext", "-H", write, "-d", role, target, f"{SERVICE}/UpsertRoles")
    stats = await grpcurl(grpcurl_binary, "-plaintext", "-H", read, target, f"{SERVICE}/GetStats")
    health = await grpcurl(grpcurl_binary, "-plaintext", target, "grpc.health.v1.Health/Check")

    assert anonymous.returncode == 64 + grpc.StatusCode.UNAUTHENTICATED.value[0]
    assert "Message: a valid token is required" in anonymous.stderr
    assert listed.ok().stdout.split() == ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection", SERVICE]
    assert denied.returncode == 64 + grpc.StatusCode.PERMISSION_DENIED.value[0]
    assert "Message: a read token may not call UpsertRoles: it needs a write token" in denied.stderr
    written.ok()
    assert stats.ok().message()["roles"] == "1"
    assert health.ok().message() == {"status": "SERVING"}


# -- the kura command --------------------------------------------------------------------------


def _kura(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KURA_")}
    return subprocess.run([*KURA, *args], env={**clean, **env}, capture_output=True, text=True, timeout=60)


async def test_kura_commands_send_the_token_from_a_flag_a_file_or_the_environment(
    guarded: server_app.Server, tmp_path: pathlib.Path
) -> None:
    # The server runs on this test's event loop, so the commands run in a thread while it serves.
    target = f"127.0.0.1:{guarded.port}"
    token_file = tmp_path / "token"
    token_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return _kura(*args, "--target", target, **env)

    anonymous = await asyncio.to_thread(run, "stats")
    by_flag = await asyncio.to_thread(run, "stats", "--token", READ_TOKEN)
    by_env = await asyncio.to_thread(run, "stats", KURA_TOKEN=READ_TOKEN)
    read_snapshot = await asyncio.to_thread(run, "snapshot", str(tmp_path / "a.snapshot"), "--token", READ_TOKEN)
    write_snapshot = await asyncio.to_thread(run, "snapshot", str(tmp_path / "w.snapshot"), "--token", WRITE_TOKEN)
    by_file = await asyncio.to_thread(run, "snapshot", str(tmp_path / "b.snapshot"), "--token-file", str(token_file))
    health = await asyncio.to_thread(run, "health")

    assert anonymous.returncode == 1
    assert "UNAUTHENTICATED: a valid token is required" in anonymous.stderr
    assert by_flag.returncode == 0, by_flag.stderr
    assert by_env.returncode == 0, by_env.stderr
    assert '"schema_version"' in by_env.stdout
    assert read_snapshot.returncode == 1
    assert "PERMISSION_DENIED" in read_snapshot.stderr
    assert not (tmp_path / "a.snapshot").exists()
    assert write_snapshot.returncode == 1
    assert write_snapshot.stderr.count("\n") == 1 and "PERMISSION_DENIED: a write token" in write_snapshot.stderr
    assert not (tmp_path / "w.snapshot").exists()
    assert by_file.returncode == 0, by_file.stderr
    assert (tmp_path / "b.snapshot").stat().st_size > 0
    assert health.returncode == 0, health.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KURA_TOKENS": "write short"}, "KURA_TOKENS: entry 1: a token must be at least 16 characters"),
        ({"KURA_TOKENS": f"owner {WRITE_TOKEN}"}, "KURA_TOKENS: entry 1: unknown role 'owner'"),
        ({"KURA_TOKENS_FILE": "/nonexistent/tokens"}, "--tokens-file: no such file: /nonexistent/tokens"),
    ],
)
def test_serve_with_a_bad_token_setting_exits_with_status_2(
    tmp_path: pathlib.Path, env: dict[str, str], message: str
) -> None:
    result = _kura("serve", "--database", str(tmp_path / "never.sqlite3"), **env)

    assert result.returncode == 2
    assert message in result.stderr
    assert WRITE_TOKEN not in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()


# -- the startup warning -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "exposed"),
    [
        ("127.0.0.1:50051", False),
        ("[::1]:50051", False),
        ("localhost:50051", False),
        ("unix:/run/kura.sock", False),
        ("0.0.0.0:50051", True),
        ("[::]:50051", True),
        ("10.1.2.3:50051", True),
        ("kura:50051", True),
    ],
)
def test_listening_beyond_loopback_without_tokens_or_tls_is_warned_about(
    address: str, exposed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)

    server_app.warn_if_exposed(server_app.Config(address=address))
    server_app.warn_if_exposed(server_app.Config(address=address, tokens=TOKENS))

    warnings = [record.getMessage() for record in caplog.records]
    if not exposed:
        assert warnings == []
        return
    assert warnings == [
        f"listening on {address} without authentication: anyone who reaches it can read and change the cache "
        "(set KURA_TOKENS_FILE, see the README's Security section)",
        f"listening on {address} without TLS: data travel in plaintext (set --tls-cert and --tls-key)",
        f"listening on {address} without TLS: data and tokens travel in plaintext (set --tls-cert and --tls-key)",
    ]
