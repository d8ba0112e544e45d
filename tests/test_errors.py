"""Bad input gets a clear error with the right gRPC status and the client's matching exception,
and never loses or corrupts what is already stored.

Malformed requests go through the raw stub, as grpcurl or a client in another language sends
them; the same mistakes made through ``GrpcBackend`` raise the client's exceptions. Every test
seeds the cache with real entities first and compares exact pictures of it (every stored row,
every served message) before and after.
"""

from __future__ import annotations

import asyncio
import collections.abc
import logging
import pathlib
import typing

import cachestate
import grpc
import hikari
import payloads
import pytest
from google.protobuf import duration_pb2

from hikari_kura.client import (
    ChannelQuery,
    GrpcBackend,
    GuildQuery,
    InvalidArgumentError,
    KuraError,
    MemberQuery,
    ReconnectPolicy,
    ResourceExhaustedError,
    RoleQuery,
    UnavailableError,
    WriteError,
)
from hikari_kura.client import errors as client_errors
from hikari_kura.client.convert import channels as channels_
from hikari_kura.client.convert import guilds as guilds_
from hikari_kura.client.convert import members as members_
from hikari_kura.client.convert import roles as roles_
from hikari_kura.server import app as server_app
from hikari_kura.server import service
from hikari_kura.v1 import cache_service_pb2 as pb
from hikari_kura.v1 import cache_service_pb2_grpc, channels_pb2, common_pb2, guilds_pb2, members_pb2, roles_pb2

Stub: typing.TypeAlias = cache_service_pb2_grpc.CacheServiceStub
TOO_LONG = "x" * 8193
"""One character more than the server accepts in any text field."""
LONGEST = "y" * 8192
NEW_ID = 1 << 50
"""An id nothing seeded has: an object with it would show up if it were stored."""


@pytest.fixture
async def seeded(target: str, app: hikari.GatewayBot) -> cachestate.Seeded:
    """Seed the cache through a session that then closes: a prune that ran would remove everything."""
    return await cachestate.seed(target, app)


# -- real messages to break ----------------------------------------------------------------------


def _guild(app: hikari.GatewayBot, **changes: object) -> guilds_pb2.Guild:
    message = guilds_.guild_to_proto(payloads.guild(app, payloads.guild_create_payload()))
    for name, value in changes.items():
        setattr(message, name, value)
    return message


def _channel(app: hikari.GatewayBot, channel_id: int) -> channels_pb2.GuildChannel:
    data = payloads.guild_create_payload()
    entities = [*payloads.channels(app, data), *payloads.threads(app, data)]
    (channel,) = [entity for entity in entities if entity.id == channel_id]
    return channels_.channel_to_proto(channel)


def _member(app: hikari.GatewayBot, user_id: int = payloads.OWNER_ID) -> members_pb2.Member:
    (member,) = [m for m in payloads.members(app, payloads.guild_create_payload()) if m.id == user_id]
    return members_.member_to_proto(member)


def _role(app: hikari.GatewayBot, role_id: int = payloads.ROLE_ADMIN_ID) -> roles_pb2.Role:
    (role,) = [r for r in payloads.roles(app, payloads.guild_create_payload()) if r.id == role_id]
    return roles_.role_to_proto(role)


def _renamed_role(app: hikari.GatewayBot) -> roles_pb2.Role:
    role = _role(app)
    role.name = "renamed by a refused request"
    return role


def _member_with_user_id(app: hikari.GatewayBot, user_id: int) -> members_pb2.Member:
    member = _member(app)
    member.user.id = user_id
    return member


def _new_member(app: hikari.GatewayBot) -> members_pb2.Member:
    return _member_with_user_id(app, NEW_ID)


def _duration(seconds: int, nanos: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=seconds, nanos=nanos)


def _datetime(seconds: int, offset: int) -> common_pb2.DateTime:
    message = common_pb2.DateTime(utc_offset_seconds=offset)
    message.instant.seconds = seconds
    return message


_M = typing.TypeVar("_M")


def _edited(message: _M, edit: collections.abc.Callable[[_M], object]) -> _M:
    edit(message)
    return message


# -- unary RPCs: a table of malformed requests ---------------------------------------------------

RequestFactory = collections.abc.Callable[[hikari.GatewayBot], typing.Any]


def _guilds(*build: collections.abc.Callable[[hikari.GatewayBot], guilds_pb2.Guild]) -> RequestFactory:
    return lambda app: pb.UpsertGuildsRequest(guilds=[make(app) for make in build])


def _channels(*build: collections.abc.Callable[[hikari.GatewayBot], channels_pb2.GuildChannel]) -> RequestFactory:
    return lambda app: pb.UpsertChannelsRequest(channels=[make(app) for make in build])


def _members(*build: collections.abc.Callable[[hikari.GatewayBot], members_pb2.Member]) -> RequestFactory:
    return lambda app: pb.UpsertMembersRequest(members=[make(app) for make in build])


def _roles(*build: collections.abc.Callable[[hikari.GatewayBot], roles_pb2.Role]) -> RequestFactory:
    return lambda app: pb.UpsertRolesRequest(roles=[make(app) for make in build])


def _fixed(request: typing.Any) -> RequestFactory:
    return lambda app: request


def _text(app: hikari.GatewayBot) -> channels_pb2.GuildChannel:
    return _channel(app, payloads.TEXT_ID)


def _forum(app: hikari.GatewayBot) -> channels_pb2.GuildChannel:
    return _channel(app, payloads.FORUM_ID)


def _public_thread(app: hikari.GatewayBot) -> channels_pb2.GuildChannel:
    return _channel(app, payloads.PUBLIC_THREAD_ID)


def _renamed_text(app: hikari.GatewayBot) -> channels_pb2.GuildChannel:
    return _edited(_text(app), lambda c: setattr(c, "name", "renamed by a refused request"))


def _new_voice(app: hikari.GatewayBot) -> channels_pb2.GuildChannel:
    return _edited(_channel(app, payloads.VOICE_ID), lambda c: setattr(c, "id", NEW_ID))


KIND_REQUIRED = (
    "channels[0].kind: is required: one of text, voice, category, news, stage, "
    "forum, media, news_thread, public_thread, private_thread"
)
POSITIVE = "must be a positive snowflake"
SNOWFLAKE = "must be a snowflake from 0 to 2^63-1"
"""What a negative reference is told: an id referring to another object may be 0, never negative."""
AT_MOST = "must be at most 8192 characters"
IN_A_DAY = "must be between -86399 and 86399 (less than a day)"

MALFORMED: dict[str, tuple[str, RequestFactory, str]] = {
    # UpsertGuilds
    "guild id zero": ("UpsertGuilds", _guilds(lambda app: _guild(app, id=0)), f"guilds[0].id: {POSITIVE}"),
    "guild id negative after a good one": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, name="renamed"), lambda app: _guild(app, id=-payloads.GUILD_ID)),
        f"guilds[1].id: {POSITIVE}",
    ),
    "guild owner negative": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, owner_id=-1)),
        f"guilds[0].owner_id: {SNOWFLAKE}",
    ),
    "guild afk channel negative": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, afk_channel_id=-1)),
        f"guilds[0].afk_channel_id: {SNOWFLAKE}",
    ),
    "guild name too long": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, name=TOO_LONG)),
        f"guilds[0].name: {AT_MOST}",
    ),
    "guild description too long": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, description=TOO_LONG)),
        f"guilds[0].description: {AT_MOST}",
    ),
    "guild vanity code too long": (
        "UpsertGuilds",
        _guilds(lambda app: _guild(app, vanity_url_code=TOO_LONG)),
        f"guilds[0].vanity_url_code: {AT_MOST}",
    ),
    "guild feature too long": (
        "UpsertGuilds",
        _guilds(lambda app: _edited(_guild(app), lambda g: g.features.insert(1, TOO_LONG))),
        f"guilds[0].features[1]: {AT_MOST}",
    ),
    "guild joined_at a day off UTC": (
        "UpsertGuilds",
        _guilds(lambda app: _edited(_guild(app), lambda g: setattr(g.joined_at, "utc_offset_seconds", 86_400))),
        f"guilds[0].joined_at.utc_offset_seconds: {IN_A_DAY}",
    ),
    "guild incident after year 9999": (
        "UpsertGuilds",
        _guilds(
            lambda app: _edited(_guild(app), lambda g: setattr(g.incidents.raid_detected_at.instant, "seconds", 10**12))
        ),
        "guilds[0].incidents.raid_detected_at.instant: must be between 0001-01-01 and 9999-12-31",
    ),
    "guild afk timeout beyond any duration": (
        "UpsertGuilds",
        _guilds(lambda app: _edited(_guild(app), lambda g: setattr(g.afk_timeout, "seconds", 10**15))),
        "guilds[0].afk_timeout.seconds: must be between -315576000000 and 315576000000",
    ),
    # UpsertChannels
    "channel id negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c, "id", -1))),
        f"channels[0].id: {POSITIVE}",
    ),
    "channel guild zero": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c, "guild_id", 0))),
        f"channels[0].guild_id: {POSITIVE}",
    ),
    "channel without kind": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: c.ClearField("text"))),
        KIND_REQUIRED,
    ),
    "thread without metadata": (
        "UpsertChannels",
        _channels(lambda app: _edited(_public_thread(app), lambda c: c.public_thread.ClearField("metadata"))),
        "channels[0].public_thread.metadata: is required",
    ),
    "thread without parent": (
        "UpsertChannels",
        _channels(lambda app: _edited(_public_thread(app), lambda c: c.ClearField("parent_id"))),
        "channels[0].parent_id: is required",
    ),
    "thread owner negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_public_thread(app), lambda c: setattr(c.public_thread, "owner_id", -1))),
        f"channels[0].public_thread.owner_id: {SNOWFLAKE}",
    ),
    "thread member user negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_public_thread(app), lambda c: setattr(c.public_thread.member, "user_id", -1))),
        f"channels[0].public_thread.member.user_id: {SNOWFLAKE}",
    ),
    "thread applied tag negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_public_thread(app), lambda c: c.public_thread.applied_tag_ids.append(-5))),
        f"channels[0].public_thread.applied_tag_ids[2]: {SNOWFLAKE}",
    ),
    "overwrite id negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c.permission_overwrites[1], "id", -1))),
        f"channels[0].permission_overwrites[1].id: {SNOWFLAKE}",
    ),
    "forum tag id negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_forum(app), lambda c: setattr(c.forum.available_tags[0], "id", -1))),
        f"channels[0].forum.available_tags[0].id: {SNOWFLAKE}",
    ),
    "forum tag emoji id negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_forum(app), lambda c: setattr(c.forum.available_tags[1], "emoji_id", -1))),
        f"channels[0].forum.available_tags[1].emoji_id: {SNOWFLAKE}",
    ),
    "text channel last message negative": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c.text, "last_message_id", -1))),
        f"channels[0].text.last_message_id: {SNOWFLAKE}",
    ),
    "channel name too long": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c, "name", TOO_LONG))),
        f"channels[0].name: {AT_MOST}",
    ),
    "channel topic too long": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c.text, "topic", TOO_LONG))),
        f"channels[0].text.topic: {AT_MOST}",
    ),
    "forum tag name too long": (
        "UpsertChannels",
        _channels(lambda app: _edited(_forum(app), lambda c: setattr(c.forum.available_tags[2], "name", TOO_LONG))),
        f"channels[0].forum.available_tags[2].name: {AT_MOST}",
    ),
    "channel pin time with negative nanos": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: setattr(c.text.last_pin_timestamp.instant, "nanos", -1))),
        "channels[0].text.last_pin_timestamp.instant.nanos: must be at least 0 and below 1000000000",
    ),
    "channel slowmode with nanos of the other sign": (
        "UpsertChannels",
        _channels(lambda app: _edited(_text(app), lambda c: c.text.rate_limit_per_user.MergeFrom(_duration(5, -1)))),
        "channels[0].text.rate_limit_per_user.nanos: must be below one second and of the same sign as seconds",
    ),
    "bad channel after good ones": (
        "UpsertChannels",
        _channels(_renamed_text, _new_voice, lambda app: _edited(_forum(app), lambda c: c.ClearField("guild_id"))),
        f"channels[2].guild_id: {POSITIVE}",
    ),
    # UpsertMembers
    "member without user": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: m.ClearField("user"))),
        "members[0].user: is required",
    ),
    "member user id zero": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m.user, "id", 0))),
        f"members[0].user.id: {POSITIVE}",
    ),
    "member guild negative": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m, "guild_id", -payloads.GUILD_ID))),
        f"members[0].guild_id: {POSITIVE}",
    ),
    "member role id negative": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: m.role_ids.insert(1, -1))),
        f"members[0].role_ids[1]: {SNOWFLAKE}",
    ),
    "member primary guild negative": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m.user.primary_guild, "identity_guild_id", -1))),
        f"members[0].user.primary_guild.identity_guild_id: {SNOWFLAKE}",
    ),
    "member avatar decoration sku negative": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m.user.avatar_decoration, "sku_id", -1))),
        f"members[0].user.avatar_decoration.sku_id: {SNOWFLAKE}",
    ),
    "member nickname too long": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m, "nickname", TOO_LONG))),
        f"members[0].nickname: {AT_MOST}",
    ),
    "member username too long": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m.user, "username", TOO_LONG))),
        f"members[0].user.username: {AT_MOST}",
    ),
    "member global name too long": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: setattr(m.user, "global_name", TOO_LONG))),
        f"members[0].user.global_name: {AT_MOST}",
    ),
    "member decoration expiring a day off UTC": (
        "UpsertMembers",
        _members(
            lambda app: _edited(
                _member(app), lambda m: setattr(m.user.avatar_decoration.expires_at, "utc_offset_seconds", -90_000)
            )
        ),
        f"members[0].user.avatar_decoration.expires_at.utc_offset_seconds: {IN_A_DAY}",
    ),
    "member joined on a local day after 9999-12-31": (
        "UpsertMembers",
        _members(lambda app: _edited(_member(app), lambda m: m.joined_at.MergeFrom(_datetime(253_402_300_799, 3600)))),
        "members[0].joined_at: local time must be between 0001-01-01 and 9999-12-31",
    ),
    "bad member after good ones": (
        "UpsertMembers",
        _members(
            lambda app: _edited(_member(app), lambda m: setattr(m, "nickname", "renamed")),
            _new_member,
            lambda app: _edited(_member(app, payloads.BOT_USER_ID), lambda m: m.ClearField("user")),
        ),
        "members[2].user: is required",
    ),
    # UpsertRoles
    "role id zero": (
        "UpsertRoles",
        _roles(lambda app: _edited(_role(app), lambda r: setattr(r, "id", 0))),
        f"roles[0].id: {POSITIVE}",
    ),
    "role guild negative": (
        "UpsertRoles",
        _roles(lambda app: _edited(_role(app), lambda r: setattr(r, "guild_id", -1))),
        f"roles[0].guild_id: {POSITIVE}",
    ),
    "role bot id negative": (
        "UpsertRoles",
        _roles(lambda app: _edited(_role(app, payloads.ROLE_BOT_ID), lambda r: setattr(r, "bot_id", -1))),
        f"roles[0].bot_id: {SNOWFLAKE}",
    ),
    "role name too long": (
        "UpsertRoles",
        _roles(lambda app: _edited(_role(app), lambda r: setattr(r, "name", TOO_LONG))),
        f"roles[0].name: {AT_MOST}",
    ),
    "role emoji too long": (
        "UpsertRoles",
        _roles(lambda app: _edited(_role(app), lambda r: setattr(r, "unicode_emoji", TOO_LONG))),
        f"roles[0].unicode_emoji: {AT_MOST}",
    ),
    "bad role after good ones": (
        "UpsertRoles",
        _roles(
            _renamed_role,
            lambda app: _edited(_role(app), lambda r: setattr(r, "id", NEW_ID)),
            lambda app: _edited(_role(app, payloads.ROLE_BOT_ID), lambda r: setattr(r, "guild_id", 0)),
        ),
        f"roles[2].guild_id: {POSITIVE}",
    ),
    # Deletes
    "delete guild zero": ("DeleteGuild", _fixed(pb.DeleteGuildRequest(guild_id=0)), f"guild_id: {POSITIVE}"),
    "delete guild negative": (
        "DeleteGuild",
        _fixed(pb.DeleteGuildRequest(guild_id=-payloads.GUILD_ID)),
        f"guild_id: {POSITIVE}",
    ),
    "delete channel zero": ("DeleteChannel", _fixed(pb.DeleteChannelRequest()), f"channel_id: {POSITIVE}"),
    "delete member guild zero": (
        "DeleteMember",
        _fixed(pb.DeleteMemberRequest(guild_id=0, user_id=payloads.OWNER_ID)),
        f"guild_id: {POSITIVE}",
    ),
    "delete member user negative": (
        "DeleteMember",
        _fixed(pb.DeleteMemberRequest(guild_id=payloads.GUILD_ID, user_id=-payloads.OWNER_ID)),
        f"user_id: {POSITIVE}",
    ),
    "delete role negative": (
        "DeleteRole",
        _fixed(pb.DeleteRoleRequest(role_id=-payloads.ROLE_ADMIN_ID)),
        f"role_id: {POSITIVE}",
    ),
    # Prune: a refused prune removes nothing, though every seeded row is stale.
    "prune shard id without count": (
        "Prune",
        _fixed(pb.PruneRequest(shard_id=0)),
        "shard_count: is required when shard_id is set",
    ),
    "prune shard count without id": (
        "Prune",
        _fixed(pb.PruneRequest(shard_count=2)),
        "shard_id: is required when shard_count is set",
    ),
    "prune shard count zero": (
        "Prune",
        _fixed(pb.PruneRequest(shard_id=0, shard_count=0)),
        "shard_count: must be positive",
    ),
    "prune shard count negative": (
        "Prune",
        _fixed(pb.PruneRequest(shard_id=0, shard_count=-4)),
        "shard_count: must be positive",
    ),
    "prune shard id negative": (
        "Prune",
        _fixed(pb.PruneRequest(shard_id=-1, shard_count=4)),
        "shard_id: must be at least 0 and below shard_count",
    ),
    "prune shard id past count": (
        "Prune",
        _fixed(pb.PruneRequest(shard_id=4, shard_count=4)),
        "shard_id: must be at least 0 and below shard_count",
    ),
    # Iter*
    "guilds negative batch size": (
        "IterGuilds",
        _fixed(pb.IterGuildsRequest(batch_size=-1)),
        "batch_size: must not be negative",
    ),
    "guilds negative limit": ("IterGuilds", _fixed(pb.IterGuildsRequest(limit=-1)), "limit: must not be negative"),
    "guilds owner filter negative": (
        "IterGuilds",
        _fixed(pb.IterGuildsRequest(query={"owner_id": -1})),
        f"query.owner_id: {SNOWFLAKE}",
    ),
    "channels id filter zero": (
        "IterChannels",
        _fixed(pb.IterChannelsRequest(query={"id": 0})),
        f"query.id: {POSITIVE}",
    ),
    "channels parent filter negative": (
        "IterChannels",
        _fixed(pb.IterChannelsRequest(query={"parent_id": -7})),
        f"query.parent_id: {SNOWFLAKE}",
    ),
    "channels negative limit": (
        "IterChannels",
        _fixed(pb.IterChannelsRequest(limit=-10)),
        "limit: must not be negative",
    ),
    "members guild filter zero": (
        "IterMembers",
        _fixed(pb.IterMembersRequest(query={"guild_id": 0})),
        f"query.guild_id: {POSITIVE}",
    ),
    "members role filter negative": (
        "IterMembers",
        _fixed(pb.IterMembersRequest(query={"guild_id": payloads.GUILD_ID, "role_id": -1})),
        f"query.role_id: {SNOWFLAKE}",
    ),
    "members negative batch size": (
        "IterMembers",
        _fixed(pb.IterMembersRequest(batch_size=-3)),
        "batch_size: must not be negative",
    ),
    "roles bot filter negative": (
        "IterRoles",
        _fixed(pb.IterRolesRequest(query={"bot_id": -1})),
        f"query.bot_id: {SNOWFLAKE}",
    ),
    "roles guild filter negative": (
        "IterRoles",
        _fixed(pb.IterRolesRequest(query={"guild_id": -1})),
        f"query.guild_id: {POSITIVE}",
    ),
    # Restore
    "restore of text": (
        "Restore",
        _fixed([pb.RestoreRequest(chunk=b"not a database\n" * 100)]),
        "snapshot: not a SQLite database file",
    ),
    "restore of nothing": ("Restore", _fixed([]), "snapshot: empty file: not a SQLite database file"),
}


async def _call(stub: Stub, rpc: str, request: typing.Any) -> object:
    """Make one call of any CacheService RPC but Write, reading a response stream to its end."""
    method = getattr(stub, rpc)
    if rpc.startswith("Iter") or rpc == "Snapshot":
        return [response async for response in method(request)]
    if rpc == "Restore":
        return await method(iter(request))
    return await method(request)


@pytest.mark.parametrize("case", MALFORMED.keys())
async def test_malformed_request_is_refused_naming_the_field_and_changes_nothing(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub, case: str
) -> None:
    rpc, build, details = MALFORMED[case]
    before = await cachestate.picture(database, stub)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _call(stub, rpc, build(app))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == details
    assert await cachestate.picture(database, stub) == before


@pytest.mark.parametrize(
    ("rpc", "request_factory"),
    [
        ("UpsertGuilds", _guilds(lambda app: _guild(app, name=LONGEST, description=LONGEST))),
        ("UpsertMembers", _members(lambda app: _edited(_member(app), lambda m: setattr(m, "nickname", LONGEST)))),
        ("UpsertRoles", _roles(lambda app: _edited(_role(app), lambda r: setattr(r, "name", LONGEST)))),
        ("UpsertChannels", _channels(lambda app: _edited(_text(app), lambda c: setattr(c.text, "topic", LONGEST)))),
    ],
)
async def test_text_of_exactly_the_limit_is_stored(
    seeded: cachestate.Seeded,
    app: hikari.GatewayBot,
    database: pathlib.Path | str,
    stub: Stub,
    rpc: str,
    request_factory: RequestFactory,
) -> None:
    before = await cachestate.stored_rows(database)

    await _call(stub, rpc, request_factory(app))

    assert await cachestate.stored_rows(database) != before


async def test_clear_of_no_kind_removes_nothing(
    seeded: cachestate.Seeded, database: pathlib.Path | str, stub: Stub
) -> None:
    # ClearRequest has only flags: nothing in it can be malformed, and none set means nothing to do.
    before = await cachestate.picture(database, stub)

    await stub.Clear(pb.ClearRequest())

    assert await cachestate.picture(database, stub) == before


# -- the Write stream: failures per op -----------------------------------------------------------


class _Session(typing.NamedTuple):
    failures: dict[int, tuple[int, str]]
    committed_through: int
    code: grpc.StatusCode
    details: str | None


async def _run_session(stub: Stub, *messages: list[pb.WriteOp]) -> _Session:
    """Send the ops as one Write stream (one WriteRequest per list), half-close, and read every event."""
    call = stub.Write()
    opened = await call.read()
    assert opened.WhichOneof("event") == "session_opened"
    for ops in messages:
        await call.write(pb.WriteRequest(ops=ops))
    await call.done_writing()
    failures: dict[int, tuple[int, str]] = {}
    committed = 0
    try:
        while (response := await call.read()) is not grpc.aio.EOF:
            if response.WhichOneof("event") == "failure":
                failures[response.failure.seq] = (response.failure.code, response.failure.message)
            else:
                committed = max(committed, response.committed_through)
    except grpc.aio.AioRpcError:
        pass  # the stream ended with an error status: the caller checks code and details
    return _Session(failures, committed, await call.code(), await call.details())


def _op(seq: int, *, partial: bool = False, **op: typing.Any) -> pb.WriteOp:
    return pb.WriteOp(seq=seq, partial=partial, **op)


INVALID = grpc.StatusCode.INVALID_ARGUMENT.value[0]


def _without(
    rows: list[tuple[typing.Any, ...]], keep: collections.abc.Callable[[tuple[typing.Any, ...]], bool]
) -> list[typing.Any]:
    return [row for row in rows if keep(row)]


async def test_write_stream_reports_each_malformed_op_by_seq_and_applies_the_rest_in_order(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub
) -> None:
    before = await cachestate.stored_rows(database)
    first, third = _role(app), _role(app)
    first.name, third.name = "first", "third"
    no_user = _edited(_member(app), lambda m: m.ClearField("user"))

    session = await _run_session(
        stub,
        [
            _op(1, upsert_roles=pb.UpsertRolesRequest(roles=[first])),
            _op(2, upsert_members=pb.UpsertMembersRequest(members=[no_user])),
            _op(3, upsert_roles=pb.UpsertRolesRequest(roles=[third])),
        ],
        [
            _op(4, delete_member=pb.DeleteMemberRequest(guild_id=payloads.GUILD_ID, user_id=payloads.OWNER_ID)),
            _op(5),
            _op(6, delete_guild=pb.DeleteGuildRequest(guild_id=0)),
            _op(7, prune=pb.PruneRequest(shard_count=3)),
        ],
    )

    assert session.failures == {
        2: (INVALID, "members[0].user: is required"),
        5: (INVALID, "op: is required"),
        6: (INVALID, "guild_id: must be a positive snowflake"),
        7: (INVALID, "shard_id: is required when shard_count is set"),
    }
    assert session.committed_through == 4
    assert session.code == grpc.StatusCode.OK
    after = await cachestate.stored_rows(database)
    owner = (payloads.GUILD_ID, payloads.OWNER_ID)
    assert after["guilds"] == before["guilds"]
    assert after["channels"] == before["channels"]
    assert after["members"] == _without(before["members"], lambda row: row[:2] != owner)
    assert after["member_roles"] == _without(before["member_roles"], lambda row: row[:2] != owner)
    assert _without(after["roles"], lambda row: row[0] != payloads.ROLE_ADMIN_ID) == _without(
        before["roles"], lambda row: row[0] != payloads.ROLE_ADMIN_ID
    )
    (admin,) = [row for row in after["roles"] if row[0] == payloads.ROLE_ADMIN_ID]
    assert roles_pb2.Role.FromString(admin[-1]).name == "third"


async def test_write_stream_refuses_a_chunked_bulk_whole_when_its_last_chunk_holds_a_bad_item(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub
) -> None:
    before = await cachestate.picture(database, stub)
    good = [_member_with_user_id(app, NEW_ID + i) for i in range(4)]
    bad = _edited(_member(app), lambda m: setattr(m, "nickname", TOO_LONG))

    session = await _run_session(
        stub,
        [_op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=good[:2]))],
        [_op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=good[2:]))],
        [_op(1, upsert_members=pb.UpsertMembersRequest(members=[good[0], bad]))],
    )

    assert session.failures == {1: (INVALID, f"members[5].nickname: {AT_MOST}")}
    assert session.code == grpc.StatusCode.OK
    assert await cachestate.picture(database, stub) == before


async def test_a_bad_item_deep_in_a_large_chunk_is_named_by_its_index_in_the_bulk_and_nothing_is_stored(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub
) -> None:
    # The server validates a large chunk a slice at a time (service.UPSERT_SLICE): the index must
    # still count from the bulk's first item, and the slices before the bad one must not be stored.
    before = await cachestate.picture(database, stub)
    first = [_member_with_user_id(app, NEW_ID + i) for i in range(3)]
    second = [_member_with_user_id(app, NEW_ID + 3 + i) for i in range(3 * service.UPSERT_SLICE)]
    second[2 * service.UPSERT_SLICE + 5].nickname = TOO_LONG

    session = await _run_session(
        stub,
        [_op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=first))],
        [_op(1, upsert_members=pb.UpsertMembersRequest(members=second))],
    )

    assert session.failures == {1: (INVALID, f"members[{3 + 2 * service.UPSERT_SLICE + 5}].nickname: {AT_MOST}")}
    assert await cachestate.picture(database, stub) == before


async def test_write_stream_ignores_the_remaining_chunks_of_a_refused_bulk_and_applies_later_ops(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub
) -> None:
    before = await cachestate.stored_rows(database)
    bad = _edited(_member(app), lambda m: m.ClearField("user"))
    later = _new_member(app)

    session = await _run_session(
        stub,
        [
            _op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=[bad])),
            _op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=[_new_member(app)])),
            _op(1, upsert_members=pb.UpsertMembersRequest(members=[_member(app)])),
            _op(2, upsert_members=pb.UpsertMembersRequest(members=[later])),
        ],
    )

    assert session.failures == {1: (INVALID, "members[0].user: is required")}
    assert session.committed_through == 2
    after = await cachestate.stored_rows(database)
    assert after["guilds"] == before["guilds"]
    assert after["roles"] == before["roles"]
    assert [row for row in after["members"] if row not in before["members"]] == [
        row for row in after["members"] if row[1] == NEW_ID
    ]
    assert len(after["members"]) == len(before["members"]) + 1


@pytest.mark.parametrize(
    ("ops", "failure"),
    [
        (
            [_op(1, partial=True, delete_role=pb.DeleteRoleRequest(role_id=payloads.ROLE_ADMIN_ID))],
            "partial: only bulk upserts can come in chunks",
        ),
        (
            [
                _op(1, partial=True, upsert_roles=pb.UpsertRolesRequest(roles=[roles_pb2.Role(id=NEW_ID, guild_id=1)])),
                _op(1, upsert_guilds=pb.UpsertGuildsRequest(guilds=[guilds_pb2.Guild(id=NEW_ID, owner_id=1)])),
            ],
            "op: every chunk of a bulk must be of one kind",
        ),
        (
            [_op(1, partial=True, upsert_roles=pb.UpsertRolesRequest(roles=[roles_pb2.Role(id=NEW_ID, guild_id=1)]))],
            "partial: the stream ended before the bulk's last chunk",
        ),
    ],
    ids=["partial delete", "chunks of two kinds", "stream ends inside a bulk"],
)
async def test_write_stream_refuses_a_malformed_bulk_and_stores_none_of_it(
    seeded: cachestate.Seeded, database: pathlib.Path | str, stub: Stub, ops: list[pb.WriteOp], failure: str
) -> None:
    before = await cachestate.picture(database, stub)

    session = await _run_session(stub, ops)

    assert session.failures == {1: (INVALID, failure)}
    assert session.code == grpc.StatusCode.OK
    assert await cachestate.picture(database, stub) == before


async def test_write_stream_with_a_seq_that_does_not_increase_ends_invalid_without_applying_that_op(
    seeded: cachestate.Seeded, app: hikari.GatewayBot, database: pathlib.Path | str, stub: Stub
) -> None:
    session = await _run_session(
        stub,
        [
            _op(1, upsert_roles=pb.UpsertRolesRequest(roles=[_renamed_role(app)])),
            _op(2, delete_guild=pb.DeleteGuildRequest(guild_id=payloads.EDGE_GUILD_ID)),
            _op(2, delete_guild=pb.DeleteGuildRequest(guild_id=payloads.GUILD_ID)),
        ],
    )
    # The writer applies in queue order: once this no-op write returns, everything queued before it is done.
    await stub.Clear(pb.ClearRequest())

    assert session.code == grpc.StatusCode.INVALID_ARGUMENT
    assert session.details == "seq: must increase within a session (got 2 after 2)"
    after = await cachestate.stored_rows(database)
    assert [row[0] for row in after["guilds"]] == [payloads.GUILD_ID]
    (admin,) = [row for row in after["roles"] if row[0] == payloads.ROLE_ADMIN_ID]
    assert roles_pb2.Role.FromString(admin[-1]).name == "renamed by a refused request"


@pytest.fixture
async def small_bulk_target(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[str]:
    """Run a server that takes at most 3 objects per bulk write."""
    running = server_app.Server(
        server_app.Config(address="127.0.0.1:0", database=tmp_path / "small-bulk.sqlite3", max_bulk_items=3)
    )
    await running.start()
    try:
        yield f"127.0.0.1:{running.port}"
    finally:
        await running.stop()


async def test_write_stream_refuses_a_bulk_over_the_item_limit_as_resource_exhausted(
    small_bulk_target: str, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    members = [_member_with_user_id(app, NEW_ID + i) for i in range(4)]
    async with grpc.aio.insecure_channel(small_bulk_target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)

        session = await _run_session(
            stub,
            [
                _op(1, partial=True, upsert_members=pb.UpsertMembersRequest(members=members[:2])),
                _op(1, upsert_members=pb.UpsertMembersRequest(members=members[2:])),
                _op(2, upsert_members=pb.UpsertMembersRequest(members=members[:3])),
            ],
        )

        assert session.failures == {
            1: (grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], "a bulk write holds at most 3 objects (--max-bulk-items)")
        }
        assert session.committed_through == 2
        stored = (await cachestate.stored_rows(tmp_path / "small-bulk.sqlite3"))["members"]
        assert sorted(row[1] for row in stored) == [NEW_ID, NEW_ID + 1, NEW_ID + 2]


# -- through GrpcBackend -------------------------------------------------------------------------

BadWrite = collections.abc.Callable[[GrpcBackend, hikari.GatewayBot, bool], collections.abc.Awaitable[typing.Any]]


def _zero_user_member(app: hikari.GatewayBot) -> hikari.Member:
    return payloads.member(app, payloads.member_payload(payloads.OWNER_ID, user={"id": "0"}))


CLIENT_KEY = "must be a positive snowflake, at most 2^63-1"
"""What the client says of a key it refuses before sending: not positive, or beyond what 64 bits hold."""
OWNER = f"member guild_id={payloads.GUILD_ID} user_id={payloads.OWNER_ID}"

# Objects the server cannot store are refused by the client before anything is sent, naming the object
# and the field in hikari's terms; they fail as a write the server refused would (future, or on_error).
BAD_WRITES: dict[str, tuple[BadWrite, str, str]] = {
    "member_create": (
        lambda backend, app, confirm: backend.member_create(_zero_user_member(app), confirm=confirm),
        f"member guild_id={payloads.GUILD_ID} user_id=0: user.id: {CLIENT_KEY}",
        f"guild_id={payloads.GUILD_ID} user_id=0",
    ),
    "member_update": (
        lambda backend, app, confirm: backend.member_update(
            payloads.member(app, payloads.member_payload(payloads.OWNER_ID, nick=TOO_LONG)), confirm=confirm
        ),
        f"{OWNER}: nickname: {AT_MOST}",
        f"guild_id={payloads.GUILD_ID} user_id={payloads.OWNER_ID}",
    ),
    "role_update": (
        lambda backend, app, confirm: backend.role_update(
            payloads.role(app, payloads.role_payload(payloads.ROLE_ADMIN_ID, name=TOO_LONG)), confirm=confirm
        ),
        f"role id={payloads.ROLE_ADMIN_ID} guild_id={payloads.GUILD_ID}: name: {AT_MOST}",
        f"role_id={payloads.ROLE_ADMIN_ID}",
    ),
    "role_create": (
        lambda backend, app, confirm: backend.role_create(
            payloads.role(app, payloads.role_payload(0)), confirm=confirm
        ),
        f"role id=0 guild_id={payloads.GUILD_ID}: id: {CLIENT_KEY}",
        "role_id=0",
    ),
    "channel_update": (
        lambda backend, app, confirm: backend.channel_update(
            payloads.channel(app, payloads.channel_payload(0, payloads.TEXT_ID, topic=TOO_LONG)), confirm=confirm
        ),
        f"channel id={payloads.TEXT_ID} guild_id={payloads.GUILD_ID}: topic: {AT_MOST}",
        f"channel_id={payloads.TEXT_ID}",
    ),
    "guild_update": (
        lambda backend, app, confirm: backend.guild_update(
            payloads.guild(app, {**payloads.guild_create_payload(), "owner_id": "-1"}), confirm=confirm
        ),
        f"guild id={payloads.GUILD_ID}: owner_id: {SNOWFLAKE}",
        f"guild_id={payloads.GUILD_ID}",
    ),
    "guild_leave": (
        lambda backend, app, confirm: backend.guild_leave(hikari.Snowflake(0), confirm=confirm),
        f"guild_id: {POSITIVE}",
        "guild_id=0",
    ),
    "member_delete": (
        lambda backend, app, confirm: backend.member_delete(
            hikari.Snowflake(payloads.OWNER_ID), hikari.Snowflake(0), confirm=confirm
        ),
        f"guild_id: {POSITIVE}",
        f"guild_id=0 user_id={payloads.OWNER_ID}",
    ),
    "bulk_members": (
        lambda backend, app, confirm: backend.bulk_members(
            [*payloads.members(app, payloads.guild_create_payload()), _zero_user_member(app)], confirm=confirm
        ),
        f"bulk_members[3]: member guild_id={payloads.GUILD_ID} user_id=0: user.id: {CLIENT_KEY}",
        "objects=4 chunks=1",
    ),
}


@pytest.mark.parametrize("operation", BAD_WRITES.keys())
async def test_confirmed_bad_write_fails_its_future_with_a_message_naming_the_field_and_changes_nothing(
    seeded: cachestate.Seeded,
    backend: GrpcBackend,
    app: hikari.GatewayBot,
    database: pathlib.Path | str,
    stub: Stub,
    operation: str,
) -> None:
    write, message, _ = BAD_WRITES[operation]
    before = await cachestate.picture(database, stub)

    future = await write(backend, app, True)
    with pytest.raises(InvalidArgumentError) as caught:
        await future

    assert caught.value.message == message
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert await cachestate.picture(database, stub) == before
    assert backend.failed_writes == 0  # an awaited failure is the caller's, not counted as unseen


@pytest.mark.parametrize("operation", BAD_WRITES.keys())
async def test_unconfirmed_bad_write_is_logged_counted_and_handed_to_on_error_then_later_writes_apply_in_order(
    seeded: cachestate.Seeded,
    target: str,
    app: hikari.GatewayBot,
    database: pathlib.Path | str,
    stub: Stub,
    caplog: pytest.LogCaptureFixture,
    operation: str,
) -> None:
    write, message, detail = BAD_WRITES[operation]
    errors: list[WriteError] = []
    client = GrpcBackend(target, app=app, on_error=errors.append)
    await client.connect()
    try:
        before = await cachestate.picture(database, stub)
        with caplog.at_level(logging.ERROR, logger="hikari_kura.client.write_stream"):
            assert await write(client, app, False) is None
            # Later writes of the same session, unconfirmed: they must apply, in issue order.
            first = payloads.member(app, payloads.member_payload(payloads.OWNER_ID, nick="after the failure"))
            second = payloads.member(app, payloads.member_payload(payloads.OWNER_ID, nick="last"))
            await client.member_update(first, confirm=False)
            await client.member_update(second, confirm=False)
            await client.role_delete(hikari.Snowflake(payloads.ROLE_BOOSTER_ID), confirm=False)
            await client.flush()
            failed = client.failed_writes
    finally:
        await client.disconnect()

    assert failed == 1
    assert [(error.operation, error.detail, type(error.error), error.error.message) for error in errors] == [
        (operation, detail, InvalidArgumentError, message)
    ]
    (record,) = [
        r for r in caplog.records if r.name == "hikari_kura.client.write_stream" and r.levelno == logging.ERROR
    ]
    assert f"op={operation}" in record.getMessage()
    assert detail in record.getMessage()
    assert message in record.getMessage()
    after = await cachestate.picture(database, stub)
    assert after.rows["guilds"] == before.rows["guilds"]
    assert after.rows["channels"] == before.rows["channels"]
    (owner,) = [m for m in after.rows["members"] if m[:2] == (payloads.GUILD_ID, payloads.OWNER_ID)]
    assert members_pb2.Member.FromString(owner[-1]).nickname == "last"
    assert payloads.ROLE_BOOSTER_ID not in [row[0] for row in after.rows["roles"]]
    assert payloads.ROLE_BOOSTER_ID not in members_pb2.Member.FromString(owner[-1]).role_ids


async def test_unconfirmed_bad_write_is_counted_by_failed_writes(
    seeded: cachestate.Seeded, backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    await backend.member_create(_zero_user_member(app), confirm=False)
    await backend.role_create(payloads.role(app, payloads.role_payload(0)), confirm=False)
    await backend.role_create(payloads.role(app, payloads.role_payload(NEW_ID)), confirm=False)
    await backend.flush()

    assert backend.failed_writes == 2
    assert NEW_ID in [int(role.id) async for role in backend.iter_roles()]


async def test_an_on_error_callback_that_raises_does_not_stop_later_writes(
    seeded: cachestate.Seeded, target: str, app: hikari.GatewayBot
) -> None:
    def explode(error: WriteError) -> None:
        raise RuntimeError("a bug in the bot's callback")

    client = GrpcBackend(target, app=app, on_error=explode)
    await client.connect()
    try:
        await client.member_create(_zero_user_member(app), confirm=False)
        await (await client.role_create(payloads.role(app, payloads.role_payload(NEW_ID)), confirm=True))
        assert client.failed_writes == 1
        assert NEW_ID in [int(role.id) async for role in client.iter_roles()]
    finally:
        await client.disconnect()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("guilds", f"query.owner_id: {SNOWFLAKE}"),
        ("members", f"query.guild_id: {POSITIVE}"),
        ("roles", f"query.id: {POSITIVE}"),
        ("channels", f"query.parent_id: {SNOWFLAKE}"),
    ],
)
async def test_iter_with_a_non_positive_id_filter_raises_invalid_argument(
    backend: GrpcBackend, query: str, message: str
) -> None:
    iterators: dict[str, collections.abc.Callable[[], typing.AsyncIterator[object]]] = {
        "guilds": lambda: backend.iter_guilds(GuildQuery(owner_id=hikari.Snowflake(-1))),
        "members": lambda: backend.iter_members(MemberQuery(guild_id=hikari.Snowflake(0))),
        "roles": lambda: backend.iter_roles(RoleQuery(id=hikari.Snowflake(0))),
        "channels": lambda: backend.iter_channels(ChannelQuery(parent_id=hikari.Snowflake(-3))),
    }
    with pytest.raises(InvalidArgumentError) as caught:
        [item async for item in iterators[query]()]

    assert caught.value.message == message


# -- too large a request -------------------------------------------------------------------------

SMALL_MESSAGE_BYTES = 64 * 1024


@pytest.fixture
async def small_server(tmp_path: pathlib.Path) -> collections.abc.AsyncIterator[server_app.Server]:
    """Run a server that accepts messages of at most 64 KiB."""
    running = server_app.Server(
        server_app.Config(
            address="127.0.0.1:0", database=tmp_path / "small.sqlite3", max_message_bytes=SMALL_MESSAGE_BYTES
        )
    )
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _many_roles_member(app: hikari.GatewayBot) -> hikari.Member:
    # 20,000 role ids of 9 bytes each: a member message far over 64 KiB.
    roles = [str((1 << 60) + index) for index in range(20_000)]
    return payloads.member(app, payloads.member_payload(payloads.OWNER_ID, roles=roles))


async def test_unary_request_over_the_size_limit_is_resource_exhausted_and_changes_nothing(
    small_server: server_app.Server, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    target = f"127.0.0.1:{small_server.port}"
    await cachestate.seed(target, app)
    database = tmp_path / "small.sqlite3"
    async with grpc.aio.insecure_channel(target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        before = await cachestate.picture(database, stub)
        request = pb.UpsertMembersRequest(members=[members_.member_to_proto(_many_roles_member(app))])
        assert request.ByteSize() > SMALL_MESSAGE_BYTES

        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.UpsertMembers(request)

        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "larger than max" in (caught.value.details() or "")
        assert await cachestate.picture(database, stub) == before


async def test_write_over_the_size_limit_raises_resource_exhausted_and_changes_nothing(
    small_server: server_app.Server, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    target = f"127.0.0.1:{small_server.port}"
    await cachestate.seed(target, app)
    client = GrpcBackend(target, app=app)
    await client.connect()
    try:
        before = await cachestate.stored_rows(tmp_path / "small.sqlite3")

        future = await client.member_update(_many_roles_member(app), confirm=True)
        with pytest.raises(ResourceExhaustedError) as caught:
            await future

        assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert await cachestate.stored_rows(tmp_path / "small.sqlite3") == before
    finally:
        await client.disconnect()


async def test_session_keeps_working_after_a_write_over_the_size_limit(
    small_server: server_app.Server, app: hikari.GatewayBot
) -> None:
    client = GrpcBackend(f"127.0.0.1:{small_server.port}", app=app)
    await client.connect()
    try:
        with pytest.raises(ResourceExhaustedError):
            await (await client.member_update(_many_roles_member(app), confirm=True))
        await (await client.role_create(payloads.role(app, payloads.role_payload(NEW_ID)), confirm=True))
    finally:
        await client.disconnect()


async def test_many_small_unconfirmed_writes_each_under_the_size_limit_all_apply(
    small_server: server_app.Server, app: hikari.GatewayBot
) -> None:
    client = GrpcBackend(f"127.0.0.1:{small_server.port}", app=app)
    await client.connect()
    try:
        members = [payloads.member(app, payloads.member_payload(user_id, nick="n" * 3000)) for user_id in range(1, 101)]
        for member in members:
            await client.member_create(member, confirm=False)
        await client.flush()
        assert client.failed_writes == 0
    finally:
        await client.disconnect()


async def _fill_past_the_message_limit(client: GrpcBackend, app: hikari.GatewayBot) -> None:
    """Store members whose messages together exceed 64 KiB, each written alone (each fits)."""
    for user_id in range(1, 41):
        member = payloads.member(app, payloads.member_payload(user_id, nick="n" * 3000))
        await (await client.member_create(member, confirm=True))


async def test_read_of_more_than_the_message_limit_streams_in_batches_that_fit(
    small_server: server_app.Server, app: hikari.GatewayBot
) -> None:
    client = GrpcBackend(f"127.0.0.1:{small_server.port}", app=app)
    await client.connect()
    try:
        await _fill_past_the_message_limit(client, app)
        assert len([member async for member in client.iter_members()]) == 40
    finally:
        await client.disconnect()


async def test_snapshot_larger_than_the_message_limit_is_sent_in_chunks_that_fit(
    small_server: server_app.Server, app: hikari.GatewayBot, tmp_path: pathlib.Path
) -> None:
    client = GrpcBackend(f"127.0.0.1:{small_server.port}", app=app)
    await client.connect()
    try:
        await _fill_past_the_message_limit(client, app)
        await client.snapshot(tmp_path / "cache.kura")
    finally:
        await client.disconnect()


# -- a server that is shutting down or gone ------------------------------------------------------

UNARY_REQUESTS: dict[str, typing.Any] = {
    "UpsertGuilds": pb.UpsertGuildsRequest(),
    "DeleteGuild": pb.DeleteGuildRequest(guild_id=1),
    "UpsertChannels": pb.UpsertChannelsRequest(),
    "DeleteChannel": pb.DeleteChannelRequest(channel_id=1),
    "UpsertMembers": pb.UpsertMembersRequest(),
    "DeleteMember": pb.DeleteMemberRequest(guild_id=1, user_id=1),
    "UpsertRoles": pb.UpsertRolesRequest(),
    "DeleteRole": pb.DeleteRoleRequest(role_id=1),
    "Clear": pb.ClearRequest(),
    "Prune": pb.PruneRequest(),
    "IterGuilds": pb.IterGuildsRequest(),
    "IterChannels": pb.IterChannelsRequest(),
    "IterMembers": pb.IterMembersRequest(),
    "IterRoles": pb.IterRolesRequest(),
    "Snapshot": pb.SnapshotRequest(),
    "Restore": [pb.RestoreRequest(chunk=b"")],
}


@pytest.fixture
async def stopped_target(tmp_path: pathlib.Path) -> str:
    """Return the address of a server that ran and has stopped."""
    running = server_app.Server(server_app.Config(address="127.0.0.1:0", database=tmp_path / "gone.sqlite3"))
    await running.start()
    await running.stop()
    return f"127.0.0.1:{running.port}"


@pytest.mark.parametrize("rpc", [*UNARY_REQUESTS.keys(), "Write"])
async def test_every_rpc_of_a_stopped_server_answers_unavailable(stopped_target: str, rpc: str) -> None:
    async with grpc.aio.insecure_channel(stopped_target) as channel:
        stub = cache_service_pb2_grpc.CacheServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            if rpc == "Write":
                await stub.Write().read()
            else:
                await _call(stub, rpc, UNARY_REQUESTS[rpc])

    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


_GIVE_UP_SOON = ReconnectPolicy(initial_delay=0.05, max_delay=0.1, give_up_after=0.5)


async def test_client_of_a_server_that_stopped_raises_unavailable_for_writes_reads_and_snapshots(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    running = server_app.Server(
        server_app.Config(address="127.0.0.1:0", database=tmp_path / "kura.sqlite3", shutdown_grace_seconds=0.5)
    )
    await running.start()
    # The server never comes back: writes wait for the reconnect policy to give up, then fail.
    client = GrpcBackend(f"127.0.0.1:{running.port}", app=app, reconnect=_GIVE_UP_SOON)
    await client.connect()
    try:
        role = payloads.role(app, payloads.role_payload(NEW_ID))
        await (await client.role_create(role, confirm=True))
        await running.stop()

        with pytest.raises(UnavailableError):
            await (await client.role_update(role, confirm=True))
        with pytest.raises(UnavailableError):
            await client.role_update(role, confirm=False)
        with pytest.raises(UnavailableError):
            [guild async for guild in client.iter_guilds()]
        with pytest.raises(UnavailableError):
            await client.snapshot(tmp_path / "never.kura")
        with pytest.raises(UnavailableError):
            await client.clear(channels=True, guilds=True, members=True, roles=True)
    finally:
        await client.disconnect()


async def test_new_calls_during_shutdown_answer_unavailable_and_no_write_is_lost(
    tmp_path: pathlib.Path, app: hikari.GatewayBot
) -> None:
    database = tmp_path / "kura.sqlite3"
    running = server_app.Server(
        server_app.Config(address="127.0.0.1:0", database=database, shutdown_grace_seconds=60.0)
    )
    await running.start()
    target = f"127.0.0.1:{running.port}"
    client = GrpcBackend(target, app=app, reconnect=_GIVE_UP_SOON)
    await client.connect()
    stopping: asyncio.Task[None] | None = None
    try:
        await (await client.role_create(payloads.role(app, payloads.role_payload(NEW_ID)), confirm=True))
        stopping = asyncio.get_running_loop().create_task(running.stop())

        refusal = await _first_refusal(target)
        assert refusal.code() == grpc.StatusCode.UNAVAILABLE
        other = GrpcBackend(target, app=app)
        with pytest.raises(UnavailableError):
            await other.connect()
        # A write issued while the server stops commits, or fails with UNAVAILABLE: it is never lost unseen.
        late = payloads.role(app, payloads.role_payload(NEW_ID + 1))
        try:
            await (await client.role_create(late, confirm=True))
            late_committed = True
        except UnavailableError:
            late_committed = False
    finally:
        await client.disconnect()
        await (stopping if stopping is not None else running.stop())

    stored = [row[0] for row in (await cachestate.stored_rows(database))["roles"]]
    assert NEW_ID in stored
    assert (NEW_ID + 1 in stored) == late_committed


async def _first_refusal(target: str) -> grpc.aio.AioRpcError:
    """Call the server until a call fails (it is stopping), and return that failure."""
    for _ in range(1000):
        async with grpc.aio.insecure_channel(target) as channel:
            stub = cache_service_pb2_grpc.CacheServiceStub(channel)
            try:
                await stub.DeleteGuild(pb.DeleteGuildRequest(guild_id=NEW_ID))
            except grpc.aio.AioRpcError as exc:
                return exc
        await asyncio.sleep(0.01)
    raise AssertionError("the stopping server kept taking new calls")


# -- before connect and after disconnect ---------------------------------------------------------

ClientCall = collections.abc.Callable[[GrpcBackend, hikari.GatewayBot, pathlib.Path], collections.abc.Awaitable[object]]


async def _drain(iterator: typing.AsyncIterator[typing.Any]) -> list[typing.Any]:
    return [item async for item in iterator]


def _one_role(app: hikari.GatewayBot) -> hikari.Role:
    return payloads.role(app, payloads.role_payload(NEW_ID))


CLIENT_CALLS: dict[str, ClientCall] = {
    "channel_create": lambda b, app, _: b.channel_create(payloads.channel(app, payloads.channel_payload(0, 1)), True),
    "channel_update": lambda b, app, _: b.channel_update(payloads.channel(app, payloads.channel_payload(0, 1)), False),
    "channel_delete": lambda b, app, _: b.channel_delete(hikari.Snowflake(1), True),
    "guild_join": lambda b, app, _: b.guild_join(payloads.guild(app, payloads.guild_create_payload()), True),
    "guild_update": lambda b, app, _: b.guild_update(payloads.guild(app, payloads.guild_create_payload()), False),
    "guild_leave": lambda b, app, _: b.guild_leave(hikari.Snowflake(1), False),
    "member_create": lambda b, app, _: b.member_create(payloads.member(app, payloads.member_payload(1)), True),
    "member_update": lambda b, app, _: b.member_update(payloads.member(app, payloads.member_payload(1)), False),
    "member_delete": lambda b, app, _: b.member_delete(hikari.Snowflake(1), hikari.Snowflake(1), True),
    "role_create": lambda b, app, _: b.role_create(_one_role(app), True),
    "role_update": lambda b, app, _: b.role_update(_one_role(app), False),
    "role_delete": lambda b, app, _: b.role_delete(hikari.Snowflake(1), False),
    "bulk_channels": lambda b, app, _: b.bulk_channels([], True),
    "bulk_members": lambda b, app, _: b.bulk_members([payloads.member(app, payloads.member_payload(1))], False),
    "bulk_roles": lambda b, app, _: b.bulk_roles([_one_role(app)], True),
    "clear": lambda b, app, _: b.clear(channels=True, guilds=True, members=True, roles=True),
    "prune": lambda b, app, _: b.prune(),
    "prune_shard": lambda b, app, _: b.prune_shard(0, 1),
    "flush": lambda b, app, _: b.flush(),
    "iter_channels": lambda b, app, _: _drain(b.iter_channels()),
    "iter_guilds": lambda b, app, _: _drain(b.iter_guilds()),
    "iter_members": lambda b, app, _: _drain(b.iter_members()),
    "iter_roles": lambda b, app, _: _drain(b.iter_roles()),
    "snapshot": lambda b, app, path: b.snapshot(path / "never.kura"),
    "restore": lambda b, app, path: b.restore(path / "cache.kura"),
}


@pytest.mark.parametrize("method", CLIENT_CALLS.keys())
async def test_calls_before_connect_raise_unavailable(
    target: str, app: hikari.GatewayBot, tmp_path: pathlib.Path, method: str
) -> None:
    client = GrpcBackend(target, app=app)
    _write_placeholder(tmp_path / "cache.kura")

    with pytest.raises(UnavailableError) as caught:
        await CLIENT_CALLS[method](client, app, tmp_path)

    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert "connect" in caught.value.message


@pytest.mark.parametrize("method", CLIENT_CALLS.keys())
async def test_calls_after_disconnect_raise_unavailable(
    target: str, app: hikari.GatewayBot, tmp_path: pathlib.Path, method: str
) -> None:
    client = GrpcBackend(target, app=app)
    await client.connect()
    await client.disconnect()
    _write_placeholder(tmp_path / "cache.kura")

    with pytest.raises(UnavailableError):
        await CLIENT_CALLS[method](client, app, tmp_path)


def _write_placeholder(path: pathlib.Path) -> None:
    path.write_bytes(b"never sent")


def test_every_status_the_server_answers_with_has_its_own_client_exception() -> None:
    errors = client_errors
    for code, expected in (
        (grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgumentError),
        (grpc.StatusCode.UNAUTHENTICATED, errors.UnauthenticatedError),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
        (grpc.StatusCode.FAILED_PRECONDITION, errors.FailedPreconditionError),
        (grpc.StatusCode.UNAVAILABLE, errors.UnavailableError),
        (grpc.StatusCode.INTERNAL, errors.InternalError),
    ):
        error = errors.from_status(code.value[0], "the server's words")
        assert type(error) is expected
        assert isinstance(error, KuraError)
        assert error.code == code
        assert error.message == "the server's words"


@pytest.mark.parametrize(
    ("code", "details", "expected"),
    [
        # grpc/grpc#36066: a stream write after the server ended the call hides the server's status.
        (grpc.StatusCode.INTERNAL, "Internal error from Core", client_errors.UnavailableError),
        (grpc.StatusCode.INTERNAL, "database is corrupt", client_errors.InternalError),
        (grpc.StatusCode.CANCELLED, "", client_errors.UnavailableError),
        (grpc.StatusCode.UNAVAILABLE, "server is shutting down", client_errors.UnavailableError),
    ],
)
def test_a_call_ended_by_the_server_going_away_is_unavailable(
    code: grpc.StatusCode, details: str, expected: type[client_errors.KuraError]
) -> None:
    error = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)
    assert type(client_errors.from_rpc_error(error)) is expected
