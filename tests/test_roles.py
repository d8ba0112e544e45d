"""Roles: every RPC of the service's descriptor, called with each role on a real server, against one table."""

from __future__ import annotations

import pathlib
import re
import typing

import grpc
import hikari
import payloads
import pytest
from conftest import StartServer

from hikari_kura.client import GrpcBackend, PermissionDeniedError, RoleQuery
from hikari_kura.server import app as server_app
from hikari_kura.server import auth
from hikari_kura.v1 import cache_service_pb2 as pb

SERVICE = "hikari_kura.v1.CacheService"
TOKENS = {
    auth.Role.READ: "read-token-0123456789abcdef",
    auth.Role.WRITE: "write-token-0123456789abcdef",
    auth.Role.ADMIN: "admin-token-0123456789abcdef",
}
README = pathlib.Path(__file__).parent.parent / "README.md"

ROLES: typing.Final = {
    "Write": "write",
    "UpsertGuilds": "write",
    "DeleteGuild": "write",
    "UpsertChannels": "write",
    "DeleteChannel": "write",
    "UpsertMembers": "write",
    "DeleteMember": "write",
    "UpsertRoles": "write",
    "DeleteRole": "write",
    "Clear": "admin",
    "Prune": "write",
    "IterGuilds": "read",
    "IterChannels": "read",
    "IterMembers": "read",
    "IterRoles": "read",
    "Snapshot": "admin",
    "Restore": "admin",
    "GetStats": "read",
}
"""What each RPC needs, as the README's Security section states it."""
CASES: typing.Final = {
    **{name: (name, b"", "" if name == "Prune" else ROLES[name]) for name in ROLES},
    "Prune of every shard": ("Prune", pb.PruneRequest().SerializeToString(), "admin"),
    "Prune of one shard": ("Prune", pb.PruneRequest(shard_id=0, shard_count=2).SerializeToString(), "write"),
}
"""Each call tried: (RPC, request bytes, role it needs); Prune's role depends on its request."""
DESCRIPTOR: typing.Final = pb.DESCRIPTOR.services_by_name["CacheService"]
STREAM_OPS: typing.Final = {
    "clear": (pb.WriteOp(seq=1, clear=pb.ClearRequest(roles=True)), "admin"),
    "prune of every shard": (pb.WriteOp(seq=1, prune=pb.PruneRequest()), "admin"),
    "prune of one shard": (pb.WriteOp(seq=1, prune=pb.PruneRequest(shard_id=1, shard_count=2)), "write"),
    "delete_role": (pb.WriteOp(seq=1, delete_role=pb.DeleteRoleRequest(role_id=5)), "write"),
}
"""Ops of the Write stream whose role is checked per op, and the role each needs."""


def _readme_table() -> dict[str, str]:
    """Return the README's table of RPCs by role: each RPC and the lowest role marked allowed."""
    rows: dict[str, str] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\| `(\w+)`(?: \(([^)]*)\))? \| (\S+) \| (\S+) \| (\S+) \|", line)
        if match is None:
            continue
        rpc, scope, *marks = match.groups()
        name = rpc if scope is None else f"{rpc} of {scope}"
        rows[name] = ("read", "write", "admin")[marks.index("yes")]
    return rows


def _expected(case_role: str, role: auth.Role | None) -> grpc.StatusCode | None:
    """Return the refusal a call needing ``case_role`` gets with ``role``'s token; None when allowed."""
    if role is None:
        return grpc.StatusCode.UNAUTHENTICATED
    return None if role >= auth.Role[case_role.upper()] else grpc.StatusCode.PERMISSION_DENIED


def test_every_rpc_of_the_descriptor_has_a_role_in_the_table_the_readme_states() -> None:
    rpcs = [method.name for method in DESCRIPTOR.methods]

    assert set(rpcs) == set(ROLES) == set(auth.METHOD_ROLES)
    assert {name: role.name.lower() for name, role in auth.METHOD_ROLES.items()} == ROLES
    readme = _readme_table()
    assert set(readme) == {name for name in CASES if name != "Prune"}
    assert readme == {name: role for name, (_, _, role) in CASES.items() if name != "Prune"}


def test_a_method_outside_the_table_needs_admin() -> None:
    assert auth.required_role(f"/{SERVICE}/Nope") is auth.Role.ADMIN
    assert auth.required_role("/other.Service/GetStats") is auth.Role.ADMIN
    assert auth.required_role("/grpc.health.v1.Health/Check") is None


@pytest.fixture
async def guarded(start_server: StartServer) -> server_app.Server:
    """Return a running server with one token of each role."""
    return await start_server(tokens=tuple((role, token) for role, token in TOKENS.items()))


async def _call(channel: grpc.aio.Channel, rpc: str, request: bytes, metadata: typing.Any) -> grpc.StatusCode:
    """Call ``rpc`` as its descriptor says (streaming or not) and return the status it ends with."""
    method = DESCRIPTOR.methods_by_name[rpc]
    path = f"/{SERVICE}/{rpc}"
    try:
        if method.client_streaming and method.server_streaming:
            call = channel.stream_stream(path)(iter([request]), metadata=metadata, timeout=30)
            await call.read()  # the session opened (or the refusal)
            call.cancel()
            return grpc.StatusCode.OK
        if method.client_streaming:
            await channel.stream_unary(path)(iter([request]), metadata=metadata, timeout=30)
        elif method.server_streaming:
            [_ async for _ in channel.unary_stream(path)(request, metadata=metadata, timeout=30)]
        else:
            await channel.unary_unary(path)(request, metadata=metadata, timeout=30)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize(
    "role",
    [None, auth.Role.READ, auth.Role.WRITE, auth.Role.ADMIN],
    ids=lambda role: "no-token" if role is None else role.name.lower(),
)
async def test_every_rpc_is_allowed_or_refused_for_each_role_as_the_table_says(
    guarded: server_app.Server, role: auth.Role | None
) -> None:
    metadata = () if role is None else (("authorization", f"Bearer {TOKENS[role]}"),)
    outcomes, expected = {}, {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        for rpc in (method.name for method in DESCRIPTOR.methods):
            for name, (case_rpc, request, needed) in CASES.items():
                if case_rpc != rpc or not needed:
                    continue
                code = await _call(channel, rpc, request, metadata)
                # An allowed call may still fail on its (empty) request: it got past the roles.
                refused = code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
                outcomes[name] = code if refused else None
                expected[name] = _expected(needed, role)

    assert set(outcomes) >= {method.name for method in DESCRIPTOR.methods} - {"Prune"}
    assert outcomes == expected


@pytest.mark.parametrize(
    "role", [auth.Role.WRITE, auth.Role.ADMIN], ids=lambda role: "no-token" if role is None else role.name.lower()
)
async def test_cache_wide_ops_of_the_write_stream_need_admin(guarded: server_app.Server, role: auth.Role) -> None:
    metadata = (("authorization", f"Bearer {TOKENS[role]}"),)
    outcomes, expected = {}, {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{guarded.port}") as channel:
        write = channel.stream_stream(
            f"/{SERVICE}/Write",
            request_serializer=pb.WriteRequest.SerializeToString,
            response_deserializer=pb.WriteResponse.FromString,
        )
        for name, (op, needed) in STREAM_OPS.items():
            call = write(iter([pb.WriteRequest(ops=[op])]), metadata=metadata, timeout=30)
            opened = await call.read()
            outcome = await call.read()
            call.cancel()
            assert opened.WhichOneof("event") == "session_opened"
            if outcome.WhichOneof("event") == "failure":
                outcomes[name] = grpc.StatusCode(next(c for c in grpc.StatusCode if c.value[0] == outcome.failure.code))
                if outcomes[name] is grpc.StatusCode.PERMISSION_DENIED:
                    assert outcome.failure.message.startswith("a write token may not call ")
                    assert outcome.failure.message.endswith(": it needs an admin token")
            else:
                assert outcome.committed_through == 1
                outcomes[name] = None
            expected[name] = _expected(needed, role)

    assert outcomes == expected


async def test_the_backend_with_a_write_token_cannot_snapshot_restore_clear_or_prune_everything(
    guarded: server_app.Server, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    target = f"127.0.0.1:{guarded.port}"
    admin = GrpcBackend(target, app=app, token=TOKENS[auth.Role.ADMIN])
    bot = GrpcBackend(target, app=app, token=TOKENS[auth.Role.WRITE])
    await admin.connect()
    await bot.connect()
    try:
        await (await bot.role_create(payloads.role(app, payloads.role_payload(81)), confirm=True))
        await admin.snapshot(tmp_path / "taken.snapshot")

        with pytest.raises(PermissionDeniedError, match="a write token may not call Snapshot: it needs an admin"):
            await bot.snapshot(tmp_path / "refused.snapshot")
        with pytest.raises(PermissionDeniedError, match="a write token may not call Restore: it needs an admin"):
            await bot.restore(tmp_path / "taken.snapshot")
        with pytest.raises(PermissionDeniedError, match="a write token may not call clear: it needs an admin"):
            await bot.clear(channels=True, guilds=True, members=True, roles=True)
        with pytest.raises(PermissionDeniedError, match="may not call prune of every shard: it needs an admin"):
            await bot.prune()
        await bot.prune_shard(0, 1)  # what the bridge does on ready: the bot's own session wrote role 81

        assert not (tmp_path / "refused.snapshot").exists()
        assert [role.id async for role in bot.iter_roles(RoleQuery(id=81))] == [81]
        await admin.clear(channels=True, guilds=True, members=True, roles=True)
        assert [role.id async for role in bot.iter_roles(RoleQuery(id=81))] == []
        await admin.restore(tmp_path / "taken.snapshot")
        assert [role.id async for role in bot.iter_roles(RoleQuery(id=81))] == [81]
        await admin.prune()
    finally:
        await bot.disconnect()
        await admin.disconnect()


def test_token_files_take_admin_entries(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tokens"
    path.write_text(f"admin {TOKENS[auth.Role.ADMIN]}\nwrite {TOKENS[auth.Role.WRITE]}\n", encoding="utf-8")

    assert auth.load_tokens(path, "") == [
        (auth.Role.ADMIN, TOKENS[auth.Role.ADMIN]),
        (auth.Role.WRITE, TOKENS[auth.Role.WRITE]),
    ]
