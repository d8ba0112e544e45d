"""What cannot be stored is refused by the client, naming the object and the field; what can is kept whole.

A value hikari holds but the server cannot store (a key that is not positive, text over the
server's limit, a time a Timestamp cannot hold, an integer its field cannot hold, a negative
reference) is refused before anything is sent, with ``InvalidArgumentError`` naming the object
(kind and ids) and the field in hikari's terms: through a single write or a bulk, nothing stored
changes. Values at the edges of what can be stored are kept, on both engines: unsigned 64-bit
bitfields to 2^64-1 (stored as their two's complement and found by a filter on them) and
references of 0.
"""

from __future__ import annotations

import asyncio
import collections.abc
import pathlib
import typing

import cachestate
import hikari
import payloads
import pytest
from fidelity import assert_same_entity

from hikari_kura.client import (
    ChannelQuery,
    GrpcBackend,
    GuildQuery,
    InvalidArgumentError,
    MemberQuery,
    RoleQuery,
)
from hikari_kura.client.convert import channels as channels_
from hikari_kura.client.convert import checks
from hikari_kura.client.convert import guilds as guilds_
from hikari_kura.client.convert import members as members_
from hikari_kura.client.convert import roles as roles_
from hikari_kura.server import validation
from hikari_kura.v1 import cache_service_pb2_grpc

TOO_LONG = "x" * (checks.MAX_TEXT + 1)
AT_MOST = f"must be at most {checks.MAX_TEXT} characters"
KEY = "must be a positive snowflake, at most 2^63-1"
SNOWFLAKE = "must be a snowflake from 0 to 2^63-1"
INT64 = "must be from -2^63 to 2^63-1"
UINT64 = "must be from 0 to 2^64-1"
IN_UTC = "must be between 0001-01-01 and 9999-12-31 in UTC"
BEFORE_YEAR_ONE_IN_UTC = "0001-01-01T00:00:00+05:00"
GUILD = payloads.GUILD_ID

Make = collections.abc.Callable[[hikari.GatewayBot], typing.Any]


def _channel(channel_type: int, channel_id: int, **overrides: object) -> Make:
    return lambda app: payloads.channel(app, payloads.channel_payload(channel_type, channel_id, **overrides))


def _thread(**overrides: object) -> Make:
    payload = payloads.thread_payload(11, payloads.PUBLIC_THREAD_ID, payloads.FORUM_ID, **overrides)
    return lambda app: payloads.channel(app, payload)


def _member(user_id: int = payloads.OWNER_ID, **overrides: object) -> Make:
    return lambda app: payloads.member(app, payloads.member_payload(user_id, **overrides))


def _role(role_id: int = payloads.ROLE_ADMIN_ID, **overrides: object) -> Make:
    return lambda app: payloads.role(app, payloads.role_payload(role_id, **overrides))


def _guild(**overrides: object) -> Make:
    return lambda app: payloads.guild(app, {**payloads.guild_create_payload(), **overrides})


def _about(subject: str) -> collections.abc.Callable[[str], str]:
    """Return how a refusal of ``subject`` (its kind and ids) reads, given the field and why."""
    return lambda what: f"{subject}: {what}"


_text = _about(f"channel id={payloads.TEXT_ID} guild_id={GUILD}")
_voice = _about(f"channel id={payloads.VOICE_ID} guild_id={GUILD}")
_forum = _about(f"channel id={payloads.FORUM_ID} guild_id={GUILD}")
_public_thread = _about(f"channel id={payloads.PUBLIC_THREAD_ID} guild_id={GUILD}")
_owner = _about(f"member guild_id={GUILD} user_id={payloads.OWNER_ID}")
_admin = _about(f"role id={payloads.ROLE_ADMIN_ID} guild_id={GUILD}")
_the_guild = _about(f"guild id={GUILD}")


_OVERWRITE = str(payloads.OWNER_ID)
UNSTORABLE: dict[str, tuple[Make, str]] = {
    # channels and threads
    "channel id 0": (_channel(0, 0), f"channel id=0 guild_id={GUILD}: id: {KEY}"),
    "channel id 2^63": (_channel(0, 1 << 63), f"channel id={1 << 63} guild_id={GUILD}: id: {KEY}"),
    "channel name over the limit": (_channel(0, payloads.TEXT_ID, name=TOO_LONG), _text(f"name: {AT_MOST}")),
    "channel topic of a lone surrogate": (
        _channel(0, payloads.TEXT_ID, topic="ok \ud800"),
        _text("topic: must be valid Unicode: surrogates not allowed at character 3"),
    ),
    "channel parent negative": (_channel(0, payloads.TEXT_ID, parent_id="-1"), _text(f"parent_id: {SNOWFLAKE}")),
    "channel position 2^63": (_channel(0, payloads.TEXT_ID, position=1 << 63), _text(f"position: {INT64}")),
    "channel flags 2^64": (_channel(0, payloads.TEXT_ID, flags=1 << 64), _text(f"flags: {UINT64}")),
    "channel pin before year 1 in UTC": (
        _channel(0, payloads.TEXT_ID, last_pin_timestamp=BEFORE_YEAR_ONE_IN_UTC),
        _text(f"last_pin_timestamp: {IN_UTC}"),
    ),
    "channel pin with a sub-second UTC offset": (
        _channel(0, payloads.TEXT_ID, last_pin_timestamp="2021-01-01T00:00:00+05:00:00.500000"),
        _text("last_pin_timestamp: UTC offset must be whole seconds, not 5:00:00.500000"),
    ),
    "channel slowmode beyond a Duration": (
        _channel(0, payloads.TEXT_ID, rate_limit_per_user=10**12),
        _text(
            f"rate_limit_per_user: must be between -{checks.MAX_DURATION_SECONDS} and "
            f"{checks.MAX_DURATION_SECONDS} seconds"
        ),
    ),
    "overwrite allow 2^64": (
        _channel(
            0,
            payloads.TEXT_ID,
            permission_overwrites=[{"id": _OVERWRITE, "type": 1, "allow": str(1 << 64), "deny": "0"}],
        ),
        _text(f"permission_overwrites[{_OVERWRITE}].allow: {UINT64}"),
    ),
    "overwrite of an unknown type 2^31": (
        _channel(
            0, payloads.TEXT_ID, permission_overwrites=[{"id": _OVERWRITE, "type": 1 << 31, "allow": "0", "deny": "0"}]
        ),
        _text(f"permission_overwrites[{_OVERWRITE}].type: must be from -2147483649 to 2147483646"),
    ),
    "voice bitrate 2^63": (_channel(2, payloads.VOICE_ID, bitrate=1 << 63), _voice(f"bitrate: {INT64}")),
    "voice region over the limit": (_channel(2, payloads.VOICE_ID, rtc_region=TOO_LONG), _voice(f"region: {AT_MOST}")),
    "forum tag name over the limit": (
        _channel(
            15,
            payloads.FORUM_ID,
            available_tags=[{"id": "1", "name": TOO_LONG, "moderated": False, "emoji_id": None, "emoji_name": None}],
        ),
        _forum(f"available_tags[0].name: {AT_MOST}"),
    ),
    "forum tag emoji negative": (
        _channel(
            15,
            payloads.FORUM_ID,
            available_tags=[{"id": "1", "name": "t", "moderated": False, "emoji_id": "-4", "emoji_name": None}],
        ),
        _forum(f"available_tags[0].emoji_id: {SNOWFLAKE}"),
    ),
    "thread owner negative": (_thread(owner_id="-1"), _public_thread(f"owner_id: {SNOWFLAKE}")),
    "thread message count 2^63": (
        _thread(message_count=1 << 63),
        _public_thread(f"approximate_message_count: {INT64}"),
    ),
    "thread member flags negative": (
        _thread(member={"id": "1", "user_id": "2", "join_timestamp": "2023-06-02T01:02:03+00:00", "flags": -1}),
        _public_thread(f"member.flags: {UINT64}"),
    ),
    "thread archived before year 1 in UTC": (
        _thread(
            thread_metadata={
                "archived": True,
                "auto_archive_duration": 60,
                "archive_timestamp": BEFORE_YEAR_ONE_IN_UTC,
                "locked": False,
            }
        ),
        _public_thread(f"metadata.archive_timestamp: {IN_UTC}"),
    ),
    "thread applied tag 2^63": (
        _thread(applied_tags=["1", str(1 << 63)]),
        _public_thread(f"applied_tag_ids[1]: {SNOWFLAKE}"),
    ),
    # members and their users
    "member user id 0": (_member(0), f"member guild_id={GUILD} user_id=0: user.id: {KEY}"),
    "member nickname over the limit": (_member(nick=TOO_LONG), _owner(f"nickname: {AT_MOST}")),
    "member username of a lone surrogate": (
        _member(user={"username": "\udfff"}),
        _owner("user.username: must be valid Unicode: surrogates not allowed at character 0"),
    ),
    "member role negative": (_member(roles=["1", "-1"]), _owner(f"role_ids[1]: {SNOWFLAKE}")),
    "member flags 2^64": (_member(flags=1 << 64), _owner(f"guild_flags: {UINT64}")),
    "member joined before year 1 in UTC": (_member(joined_at=BEFORE_YEAR_ONE_IN_UTC), _owner(f"joined_at: {IN_UTC}")),
    "member user flags 2^64": (_member(user={"public_flags": 1 << 64}), _owner(f"user.flags: {UINT64}")),
    "member decoration sku negative": (
        _member(avatar_decoration_data={"asset": "a", "sku_id": "-1", "expires_at": None}),
        _owner(f"guild_avatar_decoration.sku_id: {SNOWFLAKE}"),
    ),
    "member primary guild tag over the limit": (
        _member(
            user={"primary_guild": {"identity_guild_id": "1", "identity_enabled": True, "tag": TOO_LONG, "badge": None}}
        ),
        _owner(f"user.primary_guild.tag: {AT_MOST}"),
    ),
    # roles
    "role id 0": (_role(0), f"role id=0 guild_id={GUILD}: id: {KEY}"),
    "role name over the limit": (_role(name=TOO_LONG), _admin(f"name: {AT_MOST}")),
    "role permissions 2^64": (_role(permissions=str(1 << 64)), _admin(f"permissions: {UINT64}")),
    "role position 2^63": (_role(position=1 << 63), _admin(f"position: {INT64}")),
    "role bot negative": (_role(tags={"bot_id": "-1"}), _admin(f"bot_id: {SNOWFLAKE}")),
    # guilds
    "guild name over the limit": (_guild(name=TOO_LONG), _the_guild(f"name: {AT_MOST}")),
    "guild owner negative": (_guild(owner_id="-1"), _the_guild(f"owner_id: {SNOWFLAKE}")),
    "guild system channel flags 2^64": (
        _guild(system_channel_flags=1 << 64),
        _the_guild(f"system_channel_flags: {UINT64}"),
    ),
    "guild member count 2^63": (_guild(member_count=1 << 63), _the_guild(f"member_count: {INT64}")),
    "guild afk timeout beyond a Duration": (
        _guild(afk_timeout=10**12),
        _the_guild(
            f"afk_timeout: must be between -{checks.MAX_DURATION_SECONDS} and {checks.MAX_DURATION_SECONDS} seconds"
        ),
    ),
    "guild feature over the limit": (_guild(features=["NEWS", TOO_LONG]), _the_guild(f"features[1]: {AT_MOST}")),
    "guild verification level 2^31": (
        _guild(verification_level=1 << 31),
        _the_guild("verification_level: must be from -2147483649 to 2147483646"),
    ),
    "guild incident before year 1 in UTC": (
        _guild(incidents_data={"raid_detected_at": BEFORE_YEAR_ONE_IN_UTC}),
        _the_guild(f"incidents.raid_detected_at: {IN_UTC}"),
    ),
}


NEW_ID = 1 << 50
"""An id nothing seeded has: stored, it would show in the picture."""
Stub: typing.TypeAlias = cache_service_pb2_grpc.CacheServiceStub


@pytest.fixture
async def seeded(target: str, app: hikari.GatewayBot) -> cachestate.Seeded:
    return await cachestate.seed(target, app)


def _convert(entity: typing.Any) -> object:
    """Convert an entity as the client does before sending it: the refusal is the client's own."""
    if isinstance(entity, hikari.Member):
        return members_.member_to_proto(entity)
    if isinstance(entity, hikari.GuildChannel):
        return channels_.channel_to_proto(entity)
    if isinstance(entity, hikari.Role):
        return roles_.role_to_proto(entity)
    return guilds_.guild_to_proto(entity)


async def _single(backend: GrpcBackend, entity: typing.Any) -> asyncio.Future[None]:
    if isinstance(entity, hikari.Member):
        return await backend.member_update(entity, confirm=True)
    if isinstance(entity, hikari.GuildChannel):
        return await backend.channel_update(entity, confirm=True)
    if isinstance(entity, hikari.Role):
        return await backend.role_update(entity, confirm=True)
    return await backend.guild_update(entity, confirm=True)


async def _bulk(backend: GrpcBackend, app: hikari.GatewayBot, entity: typing.Any) -> tuple[str, asyncio.Future[None]]:
    """Write ``entity`` second in a bulk of its kind, after a new object that would show if the bulk were stored."""
    if isinstance(entity, hikari.Member):
        first = payloads.member(app, payloads.member_payload(NEW_ID))
        return "bulk_members", await backend.bulk_members([first, entity], confirm=True)
    if isinstance(entity, hikari.GuildChannel):
        voice = payloads.channel(app, payloads.channel_payload(2, NEW_ID))
        return "bulk_channels", await backend.bulk_channels([voice, entity], confirm=True)
    role = payloads.role(app, payloads.role_payload(NEW_ID))
    return "bulk_roles", await backend.bulk_roles([role, entity], confirm=True)


@pytest.mark.parametrize("case", UNSTORABLE.keys())
async def test_an_unstorable_value_is_refused_by_the_client_naming_object_and_field_and_changes_nothing(
    seeded: cachestate.Seeded,
    backend: GrpcBackend,
    app: hikari.GatewayBot,
    database: pathlib.Path | str,
    stub: Stub,
    case: str,
) -> None:
    make, message = UNSTORABLE[case]
    entity = make(app)
    before = await cachestate.picture(database, stub)

    with pytest.raises(InvalidArgumentError) as converted:
        _convert(entity)
    assert type(converted.value) is InvalidArgumentError  # never protobuf's bare ValueError or TypeError
    assert converted.value.message == message

    with pytest.raises(InvalidArgumentError) as written:
        await (await _single(backend, entity))
    assert written.value.message == message

    if not isinstance(entity, hikari.Guild):
        operation, future = await _bulk(backend, app, entity)
        with pytest.raises(InvalidArgumentError) as bulk:
            await future
        assert bulk.value.message == f"{operation}[1]: {message}"

    await backend.flush()
    assert await cachestate.picture(database, stub) == before
    assert backend.failed_writes == 0  # each failure was awaited: the caller's, not counted as unseen


def test_the_clients_limits_are_the_servers() -> None:
    # The client refuses what the server would: the same text limit, Timestamp and Duration ranges.
    assert checks.MAX_TEXT == validation.MAX_TEXT
    assert (checks.MIN_SECONDS, checks.MAX_SECONDS) == (validation.MIN_SECONDS, validation.MAX_SECONDS)
    assert checks.MAX_DURATION_SECONDS == validation.MAX_DURATION_SECONDS


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (ChannelQuery(position=1 << 63), "channel query: position: 9223372036854775808 cannot be sent: "),
        (RoleQuery(permissions=hikari.Permissions(1 << 64)), "role query: permissions: "),
        (MemberQuery(guild_flags=-1), "member query: guild_flags: -1 cannot be sent: "),
        (GuildQuery(owner_id=hikari.Snowflake(1 << 63)), "guild query: owner_id: 9223372036854775808 cannot be sent: "),
    ],
)
async def test_a_filter_protobuf_cannot_send_is_refused_naming_it(
    backend: GrpcBackend, query: object, message: str
) -> None:
    iterate = {
        ChannelQuery: backend.iter_channels,
        RoleQuery: backend.iter_roles,
        MemberQuery: backend.iter_members,
        GuildQuery: backend.iter_guilds,
    }[type(query)]
    with pytest.raises(InvalidArgumentError) as raised:
        [item async for item in iterate(query)]  # type: ignore[operator]
    assert raised.value.message.startswith(message)


# -- the edges of what is stored, on both engines ----------------------------------------------------

TOP = (1 << 64) - 1
"""The largest unsigned 64-bit value: every bit of a bitfield set, bit 63 included."""
BITFIELD_EDGES = ((1 << 63) - 1, 1 << 63, TOP)
"""Around the top bit: stored as a signed 64-bit column, these are 2^63-1, -2^63 and -1."""


async def test_bitfields_up_to_2_64_minus_1_are_stored_and_found_by_a_filter_on_that_value(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    guilds = [
        payloads.guild(app, {**payloads.guild_create_payload(), "id": str(GUILD + i), "system_channel_flags": flags})
        for i, flags in enumerate(BITFIELD_EDGES)
    ]
    members = [
        payloads.member(app, payloads.member_payload(payloads.OWNER_ID + i, flags=flags))
        for i, flags in enumerate(BITFIELD_EDGES)
    ]
    roles = [
        payloads.role(app, payloads.role_payload(payloads.ROLE_ADMIN_ID + i, permissions=str(permissions)))
        for i, permissions in enumerate(BITFIELD_EDGES)
    ]
    overwrite = {"id": str(payloads.OWNER_ID), "type": 1, "allow": str(TOP), "deny": str(TOP)}
    text = payloads.channel(
        app, payloads.channel_payload(0, payloads.TEXT_ID, flags=TOP, permission_overwrites=[overwrite])
    )
    for guild in guilds:
        await (await backend.guild_join(guild, confirm=True))
    await (await backend.bulk_members(members, confirm=True))
    await (await backend.bulk_roles(roles, confirm=True))
    await (await backend.channel_create(text, confirm=True))

    for value, guild, member, role in zip(BITFIELD_EDGES, guilds, members, roles, strict=True):
        (found_guild,) = [g async for g in backend.iter_guilds(GuildQuery(system_channel_flags=value))]
        assert_same_entity(found_guild, guild)
        (found_member,) = [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD, guild_flags=value))]
        assert_same_entity(found_member, member)
        (found_role,) = [r async for r in backend.iter_roles(RoleQuery(permissions=hikari.Permissions(value)))]
        assert_same_entity(found_role, role)
    (found_text,) = [c async for c in backend.iter_channels(ChannelQuery(id=payloads.TEXT_ID))]
    assert_same_entity(found_text, text)
    assert found_text.flags == TOP


async def test_bitfields_with_bit_63_keep_their_column_in_both_engines_as_two_s_complement(
    backend: GrpcBackend, app: hikari.GatewayBot, database: pathlib.Path | str
) -> None:
    guild = payloads.guild(app, {**payloads.guild_create_payload(), "system_channel_flags": TOP})
    member = payloads.member(app, payloads.member_payload(payloads.OWNER_ID, flags=1 << 63))
    role = payloads.role(app, payloads.role_payload(payloads.ROLE_ADMIN_ID, permissions=str(TOP)))
    await (await backend.guild_join(guild, confirm=True))
    await (await backend.member_create(member, confirm=True))
    await (await backend.role_create(role, confirm=True))

    rows = await cachestate.stored_rows(database)
    # The same bits as a signed 64-bit integer, which SQLite and PostgreSQL hold: rows stored before
    # these fields were unsigned (every value below 2^63) keep their column value, so no migration.
    (guild_row,) = rows["guilds"]
    assert guild_row[16] == -1  # system_channel_flags
    (member_row,) = rows["members"]
    assert member_row[6] == -(1 << 63)  # guild_flags
    (role_row,) = rows["roles"]
    assert role_row[10] == -1  # permissions


async def test_references_of_0_are_stored_and_found_by_a_filter_on_0(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    guild = payloads.guild(
        app, {**payloads.guild_create_payload(), "owner_id": "0", "afk_channel_id": "0", "application_id": "0"}
    )
    text = payloads.channel(
        app,
        payloads.channel_payload(
            0,
            payloads.TEXT_ID,
            parent_id="0",
            last_message_id="0",
            permission_overwrites=[{"id": "0", "type": 0, "allow": "8", "deny": "0"}],
        ),
    )
    forum = payloads.channel(
        app,
        payloads.channel_payload(
            15,
            payloads.FORUM_ID,
            available_tags=[{"id": "0", "name": "new", "moderated": False, "emoji_id": "0", "emoji_name": None}],
        ),
    )
    thread = payloads.channel(
        app,
        payloads.thread_payload(
            11,
            payloads.PUBLIC_THREAD_ID,
            0,
            owner_id="0",
            applied_tags=["0"],
            member={"id": "0", "user_id": "0", "join_timestamp": "2023-06-02T01:02:03+00:00", "flags": 0},
        ),
    )
    member = payloads.member(
        app,
        payloads.member_payload(
            payloads.OWNER_ID,
            roles=["0"],
            avatar_decoration_data={"asset": "a", "sku_id": "0", "expires_at": None},
            user={"primary_guild": {"identity_guild_id": "0", "identity_enabled": True, "tag": "T", "badge": None}},
        ),
    )
    role = payloads.role(
        app,
        payloads.role_payload(
            payloads.ROLE_BOT_ID, tags={"bot_id": "0", "integration_id": "0", "subscription_listing_id": "0"}
        ),
    )
    await (await backend.guild_join(guild, confirm=True))
    await (await backend.bulk_channels([text, forum, thread], confirm=True))
    await (await backend.member_create(member, confirm=True))
    await (await backend.role_create(role, confirm=True))

    (found_guild,) = [g async for g in backend.iter_guilds(GuildQuery(owner_id=0, afk_channel_id=0))]
    assert_same_entity(found_guild, guild)
    found = {c.id: c async for c in backend.iter_channels(ChannelQuery(parent_id=0))}
    assert found.keys() == {text.id, thread.id}
    assert_same_entity(found[text.id], text)
    assert_same_entity(found[thread.id], thread)
    (found_forum,) = [c async for c in backend.iter_channels(ChannelQuery(id=forum.id))]
    assert_same_entity(found_forum, forum)
    (found_member,) = [m async for m in backend.iter_members(MemberQuery(role_id=0))]
    assert_same_entity(found_member, member)
    (found_role,) = [r async for r in backend.iter_roles(RoleQuery(bot_id=0, integration_id=0))]
    assert_same_entity(found_role, role)
