"""A varied cache for query tests, built from gateway payloads, and the Python side of every filter.

Four guilds (the full GUILD_CREATE, two variants of it and the edge guild), every channel type
with threads, members that differ in nickname ("" beside None), hashes, flags and roles, the same
user in several guilds, and roles that differ in every filtered field, permission bits 63 and 50
included. Expected query results are computed here from the hikari objects that were written.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import typing

import hikari
import payloads

from hikari_kura.client import ChannelQuery, GrpcBackend, GuildQuery, MemberQuery, RoleQuery

GUILD_A = payloads.GUILD_ID
GUILD_B = 90_000_000_000_000_002
GUILD_C = 90_000_000_000_000_003
GUILD_EDGE = payloads.EDGE_GUILD_ID

# Guild B's channels.
B_CATEGORY = 500_000_000_000_000_001
B_TEXT_NSFW = 500_000_000_000_000_002
B_TEXT = 500_000_000_000_000_003
B_VOICE = 500_000_000_000_000_004
B_PUBLIC_THREAD = 500_000_000_000_000_005
B_PRIVATE_THREAD = 500_000_000_000_000_006

# Guild B's roles.
B_ROLE_MOD = 600_000_000_000_000_001
B_ROLE_X = 600_000_000_000_000_002
B_ROLE_LINKED = 600_000_000_000_000_003
B_ROLE_SHOP = 600_000_000_000_000_004

# Users beyond those of the GUILD_CREATE payloads.
USER_3 = 1_000_000_000_000_000_003
USER_4 = 1_000_000_000_000_000_004
USER_5 = 1_000_000_000_000_000_005
USER_6 = 1_000_000_000_000_000_006
USER_7 = 1_000_000_000_000_000_007

BIT_63: typing.Final = 1 << 63
BIT_50: typing.Final = 1 << 50

MemberKey: typing.TypeAlias = tuple[int, int]
"""A member's (guild_id, user_id): its key and its order."""
Key: typing.TypeAlias = int | MemberKey
"""What names and orders an object: a channel's, guild's or role's id, or a member's key."""


def member_key(member: hikari.Member) -> MemberKey:
    """Return a member's (guild_id, user_id)."""
    return int(member.guild_id), int(member.user.id)


def entity_id(entity: hikari.GuildChannel | hikari.Guild | hikari.Role) -> int:
    """Return the id of a channel, guild or role as a plain int."""
    return int(entity.id)


@dataclasses.dataclass(frozen=True, slots=True)
class Dataset:
    """Every object written to the cache, by kind."""

    guilds: list[hikari.GatewayGuild]
    channels: list[hikari.GuildChannel]
    members: list[hikari.Member]
    roles: list[hikari.Role]


def _guild_variant(base: payloads.JSONObject, guild_id: int, **overrides: object) -> payloads.JSONObject:
    payload = copy.deepcopy(base)
    payload.update(id=str(guild_id), roles=[], channels=[], threads=[], members=[], **overrides)
    return payload


def _guilds(app: hikari.GatewayBot) -> list[hikari.GatewayGuild]:
    full = payloads.guild_create_payload()
    variant_b = _guild_variant(
        full,
        GUILD_B,
        owner_id=str(USER_4),
        vanity_url_code="second",
        description=None,
        afk_timeout=3600,
        widget_enabled=False,
        premium_tier=3,
        premium_subscription_count=14,
        verification_level=2,
    )
    variant_c = _guild_variant(
        full,
        GUILD_C,
        name="Third Guild",
        icon="c0ffeec0ffeec0ffeec0ffeec0ffeec0",
        description="",
        preferred_locale="fr",
        widget_enabled=False,
        max_video_channel_users=0,
        premium_tier=0,
        premium_subscription_count=0,
        default_message_notifications=0,
        explicit_content_filter=1,
        nsfw_level=3,
        system_channel_flags=0,
        application_id=None,
    )
    return [
        payloads.guild(app, full),
        payloads.guild(app, variant_b),
        payloads.guild(app, variant_c),
        payloads.guild(app, payloads.edge_guild_create_payload()),
    ]


def _channels(app: hikari.GatewayBot) -> list[hikari.GuildChannel]:
    full = payloads.guild_create_payload()
    edge = payloads.edge_guild_create_payload()
    in_b: list[payloads.JSONObject] = [
        # Same name and position as guild A's category.
        payloads.channel_payload(4, B_CATEGORY, parent_id=None, nsfw=False),
        payloads.channel_payload(0, B_TEXT_NSFW, parent_id=str(B_CATEGORY), name="general", nsfw=True),
        # Same name as guild A's text channel.
        payloads.channel_payload(0, B_TEXT, parent_id=str(B_CATEGORY), position=2),
        payloads.channel_payload(2, B_VOICE, parent_id=None, name="general", position=7, nsfw=True),
        payloads.thread_payload(11, B_PUBLIC_THREAD, B_TEXT_NSFW, guild_id=str(GUILD_B)),
        payloads.thread_payload(12, B_PRIVATE_THREAD, B_TEXT, guild_id=str(GUILD_B), name="general"),
    ]
    return [
        *payloads.channels(app, full),
        *payloads.threads(app, full),
        *payloads.channels(app, edge),
        *payloads.threads(app, edge),
        *(payloads.channel(app, payload, guild_id=GUILD_B) for payload in in_b),
    ]


def _members(app: hikari.GatewayBot) -> list[hikari.Member]:
    full = payloads.guild_create_payload()
    edge = payloads.edge_guild_create_payload()
    more_in_a = [
        payloads.member_payload(
            USER_4, nick="", avatar=None, banner=None, roles=[str(payloads.ROLE_ADMIN_ID)], flags=0
        ),
        payloads.member_payload(USER_5, nick=None, avatar="", roles=[], flags=1),
        payloads.member_payload(
            USER_6,
            nick="Other",
            banner="6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b",
            roles=[str(payloads.ROLE_BOOSTER_ID), str(payloads.ROLE_BOT_ID)],
            flags=2,
        ),
    ]
    in_b = [
        # The same users as in guild A, with other nicknames and roles.
        payloads.member_payload(payloads.OWNER_ID, roles=[str(B_ROLE_MOD)]),
        payloads.member_payload(USER_4, nick=None, roles=[str(B_ROLE_MOD), str(B_ROLE_X)], flags=2),
        payloads.member_payload(USER_7, nick="", avatar=None, roles=[], flags=0),
    ]
    return [
        *payloads.members(app, full),
        *(payloads.member(app, payload, guild_id=GUILD_A) for payload in more_in_a),
        *(payloads.member(app, payload, guild_id=GUILD_B) for payload in in_b),
        *payloads.members(app, edge),
    ]


def _roles(app: hikari.GatewayBot) -> list[hikari.Role]:
    in_b = [
        # Same name as guild A's Admin; only the top permission bit.
        payloads.role_payload(B_ROLE_MOD, name="Admin", permissions=str(BIT_63), tags=payloads.OMIT),
        payloads.role_payload(
            B_ROLE_X,
            name="X",
            permissions=str(BIT_50),
            hoist=False,
            mentionable=False,
            icon=None,
            unicode_emoji="\U0001f389",
            position=7,
            color=0xFF0000,
            tags={"integration_id": "1000000000000000009"},
        ),
        payloads.role_payload(
            B_ROLE_LINKED, name="Linked", permissions="0", color=0, tags={"guild_connections": None}, position=1
        ),
        payloads.role_payload(
            B_ROLE_SHOP,
            name="Shop",
            hoist=False,
            unicode_emoji=None,
            tags={"subscription_listing_id": "1000000000000000010", "available_for_purchase": None},
            position=2,
        ),
    ]
    return [
        *payloads.roles(app, payloads.guild_create_payload()),
        *payloads.roles(app, payloads.edge_guild_create_payload()),
        *(payloads.role(app, payload, guild_id=GUILD_B) for payload in in_b),
    ]


def build(app: hikari.GatewayBot) -> Dataset:
    """Return the dataset's hikari objects, made by the entity factory."""
    return Dataset(guilds=_guilds(app), channels=_channels(app), members=_members(app), roles=_roles(app))


async def write(backend: GrpcBackend, data: Dataset) -> None:
    """Write the dataset, each kind in reverse key order so insertion order is not the read order."""
    for guild in sorted(data.guilds, key=entity_id, reverse=True):
        await backend.guild_join(guild, confirm=False)
    await (await backend.bulk_channels(sorted(data.channels, key=entity_id, reverse=True), confirm=True))
    await (await backend.bulk_members(sorted(data.members, key=member_key, reverse=True), confirm=True))
    await (await backend.bulk_roles(sorted(data.roles, key=entity_id, reverse=True), confirm=True))


# -- the Python side of each filter ------------------------------------------------------------


def filter_names(query_class: type[ChannelQuery | GuildQuery | MemberQuery | RoleQuery]) -> tuple[str, ...]:
    """Return every filter a query class has."""
    return tuple(field.name for field in dataclasses.fields(query_class))


def attribute(entity: object, name: str) -> object:
    """Return the value a filter named ``name`` compares with; None where the entity has no such field."""
    if isinstance(entity, hikari.Member) and name == "id":
        return entity.user.id
    # Threads have no position or is_nsfw: they are stored without one and match no such filter.
    return getattr(entity, name, None)


def matches(entity: object, filters: collections.abc.Mapping[str, object]) -> bool:
    """Return whether an entity equals every filter (``role_id``: a member holding that role)."""
    for name, value in filters.items():
        if name == "role_id":
            assert isinstance(entity, hikari.Member)
            if value not in entity.role_ids:
                return False
        elif attribute(entity, name) != value:
            return False
    return True


def distinct_values(entities: collections.abc.Iterable[object], name: str) -> list[object]:
    """Return each distinct non-None value the entities hold for filter ``name``, in first-seen order."""
    seen: list[object] = []
    for entity in entities:
        if name == "role_id":
            assert isinstance(entity, hikari.Member)
            candidates: list[object] = list(entity.role_ids)
        else:
            candidates = [attribute(entity, name)]
        for value in candidates:
            if value is not None and value not in seen:
                seen.append(value)
    return seen


Query: typing.TypeAlias = ChannelQuery | GuildQuery | MemberQuery | RoleQuery
QueryT = typing.TypeVar("QueryT", bound=Query)


def filters_of(query: Query) -> dict[str, object]:
    """Return the filters a query sets (those not None)."""
    return {
        field.name: getattr(query, field.name)
        for field in dataclasses.fields(query)
        if getattr(query, field.name) is not None
    }


def with_filters(query_class: type[QueryT], **filters: object) -> QueryT:
    """Return a query of ``query_class`` that sets ``filters``."""
    # Filters come by name from parametrized tests; the server, not mypy, is what checks them here.
    return dataclasses.replace(query_class(), **typing.cast(dict[str, typing.Any], filters))


def expected_keys(data: Dataset, query: Query) -> list[Key]:
    """Return the keys, in the server's order, of the objects of ``data`` that ``query`` matches."""
    filters = filters_of(query)
    if isinstance(query, MemberQuery):
        members: list[Key] = sorted(member_key(member) for member in data.members if matches(member, filters))
        return members
    entities: list[hikari.GuildChannel] | list[hikari.GatewayGuild] | list[hikari.Role]
    if isinstance(query, ChannelQuery):
        entities = data.channels
    elif isinstance(query, GuildQuery):
        entities = data.guilds
    else:
        entities = data.roles
    ids: list[Key] = sorted(entity_id(entity) for entity in entities if matches(entity, filters))
    return ids


def all_of_kind(data: Dataset, query: Query) -> list[Key]:
    """Return the keys, in order, of every object of the kind ``query`` reads."""
    return expected_keys(data, type(query)())


async def read_keys(backend: GrpcBackend, query: Query) -> list[Key]:
    """Read a query through the backend and return the keys of what it yields, in the order yielded."""
    if isinstance(query, ChannelQuery):
        return [entity_id(channel) async for channel in backend.iter_channels(query)]
    if isinstance(query, GuildQuery):
        return [entity_id(guild) async for guild in backend.iter_guilds(query)]
    if isinstance(query, MemberQuery):
        return [member_key(member) async for member in backend.iter_members(query)]
    return [entity_id(role) async for role in backend.iter_roles(query)]


def describe(query: object) -> str:
    """Return a short test id of a query: its class and the filters it sets."""
    if not isinstance(query, ChannelQuery | GuildQuery | MemberQuery | RoleQuery):
        return repr(query)
    filters = ",".join(f"{name}={value!r}" for name, value in filters_of(query).items())
    return f"{type(query).__name__}({filters})"
