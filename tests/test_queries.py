"""Every filter of every query class, alone and combined, read through GrpcBackend from a real server.

Expected results are computed in Python from the hikari objects written (``querydata``); each
read must return exactly that set, in key order.
"""

from __future__ import annotations

import datetime

import hikari
import payloads
import pytest
import querydata
from fidelity import assert_same_entity
from querydata import (
    B_CATEGORY,
    B_PRIVATE_THREAD,
    B_ROLE_LINKED,
    B_ROLE_MOD,
    B_ROLE_X,
    B_TEXT,
    BIT_50,
    BIT_63,
    GUILD_A,
    GUILD_B,
    GUILD_C,
    GUILD_EDGE,
    USER_3,
    USER_4,
    USER_6,
    USER_7,
)

from hikari_kura.client import ChannelQuery, GrpcBackend, GuildQuery, InvalidArgumentError, MemberQuery, RoleQuery
from hikari_kura.v1 import queries_pb2


@pytest.fixture
async def data(backend: GrpcBackend, app: hikari.GatewayBot) -> querydata.Dataset:
    """Write the varied dataset and return what was written."""
    dataset = querydata.build(app)
    await querydata.write(backend, dataset)
    return dataset


def test_query_classes_offer_every_filter_of_the_spec_and_of_the_proto() -> None:
    assert querydata.filter_names(ChannelQuery) == (
        "id",
        "name",
        "type",
        "guild_id",
        "parent_id",
        "position",
        "is_nsfw",
    )
    assert len(querydata.filter_names(GuildQuery)) == 27
    assert querydata.filter_names(MemberQuery) == (
        "guild_id",
        "id",
        "nickname",
        "guild_avatar_hash",
        "guild_banner_hash",
        "guild_flags",
        "role_id",
    )
    assert len(querydata.filter_names(RoleQuery)) == 16
    for query_class, message in (
        (ChannelQuery, queries_pb2.ChannelQuery),
        (GuildQuery, queries_pb2.GuildQuery),
        (MemberQuery, queries_pb2.MemberQuery),
        (RoleQuery, queries_pb2.RoleQuery),
    ):
        assert querydata.filter_names(query_class) == tuple(field.name for field in message.DESCRIPTOR.fields)


# -- each filter alone ---------------------------------------------------------------------------


async def _assert_each_value_selects_exactly_its_holders(
    backend: GrpcBackend,
    data: querydata.Dataset,
    query_class: type[querydata.Query],
    entities: list[hikari.GuildChannel] | list[hikari.GatewayGuild] | list[hikari.Member] | list[hikari.Role],
    name: str,
) -> list[object]:
    """Query each value the dataset holds for filter ``name`` alone; return the values tried."""
    values = querydata.distinct_values(entities, name)
    assert values, f"the dataset holds no value for {name}"
    for value in values:
        query = querydata.with_filters(query_class, **{name: value})
        expected = querydata.expected_keys(data, query)
        assert 0 < len(expected) < len(entities), f"{name}={value!r} does not tell objects apart"
        assert await querydata.read_keys(backend, query) == expected, f"{name}={value!r}"
    return values


@pytest.mark.parametrize("name", querydata.filter_names(ChannelQuery))
async def test_channel_filter_alone_returns_exactly_the_channels_with_that_value(
    backend: GrpcBackend, data: querydata.Dataset, name: str
) -> None:
    values = await _assert_each_value_selects_exactly_its_holders(backend, data, ChannelQuery, data.channels, name)
    if name == "type":
        assert set(values) == {
            hikari.ChannelType.GUILD_TEXT,
            hikari.ChannelType.GUILD_VOICE,
            hikari.ChannelType.GUILD_CATEGORY,
            hikari.ChannelType.GUILD_NEWS,
            hikari.ChannelType.GUILD_STAGE,
            hikari.ChannelType.GUILD_FORUM,
            hikari.ChannelType.GUILD_MEDIA,
            hikari.ChannelType.GUILD_NEWS_THREAD,
            hikari.ChannelType.GUILD_PUBLIC_THREAD,
            hikari.ChannelType.GUILD_PRIVATE_THREAD,
        }
    if name == "is_nsfw":
        assert set(values) == {True, False}


@pytest.mark.parametrize("name", querydata.filter_names(GuildQuery))
async def test_guild_filter_alone_returns_exactly_the_guilds_with_that_value(
    backend: GrpcBackend, data: querydata.Dataset, name: str
) -> None:
    await _assert_each_value_selects_exactly_its_holders(backend, data, GuildQuery, data.guilds, name)


@pytest.mark.parametrize("name", querydata.filter_names(MemberQuery))
async def test_member_filter_alone_returns_exactly_the_members_with_that_value(
    backend: GrpcBackend, data: querydata.Dataset, name: str
) -> None:
    await _assert_each_value_selects_exactly_its_holders(backend, data, MemberQuery, data.members, name)


@pytest.mark.parametrize("name", querydata.filter_names(RoleQuery))
async def test_role_filter_alone_returns_exactly_the_roles_with_that_value(
    backend: GrpcBackend, data: querydata.Dataset, name: str
) -> None:
    await _assert_each_value_selects_exactly_its_holders(backend, data, RoleQuery, data.roles, name)


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        pytest.param(BIT_63, [B_ROLE_MOD], id="bit-63-only"),
        pytest.param(BIT_50, [B_ROLE_X], id="bit-50-only"),
        pytest.param(
            payloads.HIGH_PERMISSIONS, [payloads.ROLE_ADMIN_ID, payloads.MAX_SNOWFLAKE - 20], id="bits-63-51-50-3"
        ),
        pytest.param(BIT_63 | BIT_50, [], id="bits-63-50-held-by-none"),
    ],
)
async def test_role_permissions_filter_matches_high_bits_exactly(
    backend: GrpcBackend, data: querydata.Dataset, permissions: int, expected: list[int]
) -> None:
    for value in (permissions, hikari.Permissions(permissions)):
        assert await querydata.read_keys(backend, RoleQuery(permissions=value)) == sorted(expected)


async def test_guild_afk_timeout_filter_takes_a_timedelta(backend: GrpcBackend, data: querydata.Dataset) -> None:
    assert await querydata.read_keys(backend, GuildQuery(afk_timeout=datetime.timedelta(minutes=20))) == [
        GUILD_A,
        GUILD_C,
    ]
    assert await querydata.read_keys(backend, GuildQuery(afk_timeout=datetime.timedelta(0))) == [GUILD_EDGE]
    assert await querydata.read_keys(backend, GuildQuery(afk_timeout=datetime.timedelta(seconds=1200.5))) == []


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        pytest.param("premium_tier", hikari.GuildPremiumTier.NONE, [GUILD_C, GUILD_EDGE], id="premium_tier"),
        pytest.param("premium_tier", 3, [GUILD_B], id="premium_tier-as-int"),
        pytest.param("mfa_level", hikari.GuildMFALevel.NONE, [GUILD_EDGE], id="mfa_level"),
        pytest.param("nsfw_level", 77, [GUILD_EDGE], id="nsfw_level-unknown-to-hikari"),
        pytest.param("verification_level", 99, [GUILD_EDGE], id="verification_level-unknown-to-hikari"),
        pytest.param(
            "default_message_notifications",
            hikari.GuildMessageNotificationsLevel.ALL_MESSAGES,
            [GUILD_C, GUILD_EDGE],
            id="default_message_notifications-zero",
        ),
        pytest.param(
            "explicit_content_filter",
            hikari.GuildExplicitContentFilterLevel.MEMBERS_WITHOUT_ROLES,
            [GUILD_C],
            id="explicit_content_filter",
        ),
    ],
)
async def test_guild_enum_level_filters_match_hikari_enums_and_plain_ints(
    backend: GrpcBackend, data: querydata.Dataset, name: str, value: int, expected: list[int]
) -> None:
    assert await querydata.read_keys(backend, querydata.with_filters(GuildQuery, **{name: value})) == expected


# -- filters combined ----------------------------------------------------------------------------

COMBINED: list[querydata.Query] = [
    MemberQuery(guild_id=GUILD_A, role_id=payloads.ROLE_ADMIN_ID, nickname="Nickname"),
    MemberQuery(role_id=B_ROLE_MOD, id=USER_4),
    MemberQuery(guild_id=GUILD_B, id=payloads.OWNER_ID),
    MemberQuery(guild_id=GUILD_A, guild_flags=hikari.GuildMemberFlags(3), nickname="Nickname"),
    MemberQuery(guild_id=GUILD_A, guild_avatar_hash="b2a6536641da91a0b59bd66557c56c36", role_id=GUILD_A),
    RoleQuery(guild_id=GUILD_B, is_hoisted=True),
    RoleQuery(name="Admin", guild_id=GUILD_B),
    RoleQuery(guild_id=GUILD_A, is_managed=True, is_premium_subscriber_role=True),
    RoleQuery(color=0, is_hoisted=True),
    ChannelQuery(guild_id=GUILD_B, type=hikari.ChannelType.GUILD_TEXT, is_nsfw=False),
    ChannelQuery(guild_id=GUILD_A, parent_id=payloads.CATEGORY_ID, position=1),
    ChannelQuery(name="general", type=hikari.ChannelType.GUILD_PRIVATE_THREAD),
    GuildQuery(owner_id=payloads.OWNER_ID, is_widget_enabled=False),
    GuildQuery(description="", mfa_level=hikari.GuildMFALevel.ELEVATED),
    GuildQuery(
        afk_timeout=datetime.timedelta(minutes=20),
        verification_level=hikari.GuildVerificationLevel.VERY_HIGH,
        is_widget_enabled=False,
    ),
]


@pytest.mark.parametrize("query", COMBINED, ids=querydata.describe)
async def test_combined_filters_return_exactly_the_objects_matching_all_of_them(
    backend: GrpcBackend, data: querydata.Dataset, query: querydata.Query
) -> None:
    expected = querydata.expected_keys(data, query)
    assert expected, "the dataset holds no object matching every filter"
    filters = querydata.filters_of(query)
    # Each filter alone matches more: the result shows they are and-ed, not any one of them.
    for name, value in filters.items():
        alone = querydata.expected_keys(data, querydata.with_filters(type(query), **{name: value}))
        assert set(expected) < set(alone), f"{name} alone does not match more than the combination"
    assert await querydata.read_keys(backend, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            MemberQuery(guild_id=GUILD_A, role_id=payloads.ROLE_ADMIN_ID, nickname="Nickname"),
            [(GUILD_A, payloads.OWNER_ID), (GUILD_A, USER_3)],
            id="members-guild-role-nickname",
        ),
        pytest.param(RoleQuery(guild_id=GUILD_B, is_hoisted=True), [B_ROLE_MOD, B_ROLE_LINKED], id="roles-hoisted"),
        pytest.param(
            ChannelQuery(guild_id=GUILD_B, type=hikari.ChannelType.GUILD_TEXT, is_nsfw=False),
            [B_TEXT],
            id="channels-guild-text-sfw",
        ),
        pytest.param(
            ChannelQuery(guild_id=GUILD_B, parent_id=B_CATEGORY, is_nsfw=True),
            [querydata.B_TEXT_NSFW],
            id="channels-guild-parent-nsfw",
        ),
        pytest.param(
            ChannelQuery(name="general", type=hikari.ChannelType.GUILD_PRIVATE_THREAD),
            [B_PRIVATE_THREAD],
            id="threads-name-type",
        ),
    ],
)
async def test_combined_filters_return_the_known_objects(
    backend: GrpcBackend, data: querydata.Dataset, query: querydata.Query, expected: list[querydata.Key]
) -> None:
    assert await querydata.read_keys(backend, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        MemberQuery(guild_id=GUILD_B, role_id=payloads.ROLE_ADMIN_ID),
        MemberQuery(id=USER_7, nickname="Nickname"),
        RoleQuery(guild_id=GUILD_A, permissions=BIT_63),
        ChannelQuery(guild_id=GUILD_EDGE, type=hikari.ChannelType.GUILD_TEXT, is_nsfw=True),
        GuildQuery(premium_tier=hikari.GuildPremiumTier.TIER_3, owner_id=payloads.OWNER_ID),
    ],
    ids=querydata.describe,
)
async def test_filters_that_each_match_but_not_together_return_nothing(
    backend: GrpcBackend, data: querydata.Dataset, query: querydata.Query
) -> None:
    for name, value in querydata.filters_of(query).items():
        assert querydata.expected_keys(data, querydata.with_filters(type(query), **{name: value})), name
    assert querydata.expected_keys(data, query) == []
    assert await querydata.read_keys(backend, query) == []


# -- None is not "" ------------------------------------------------------------------------------


async def test_empty_nickname_filter_matches_empty_nicknames_and_not_missing_ones(
    backend: GrpcBackend, data: querydata.Dataset
) -> None:
    without_nickname = [querydata.member_key(m) for m in data.members if m.nickname is None]
    assert without_nickname, "the dataset holds no member without a nickname"

    found = await querydata.read_keys(backend, MemberQuery(nickname=""))

    assert found == [(GUILD_A, USER_4), (GUILD_B, USER_7), (GUILD_EDGE, payloads.MAX_SNOWFLAKE)]
    assert not set(found) & set(without_nickname)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(MemberQuery(guild_avatar_hash=""), [(GUILD_A, querydata.USER_5), (GUILD_EDGE, 2**63 - 2)]),
        pytest.param(MemberQuery(guild_banner_hash=""), [(GUILD_EDGE, payloads.MAX_SNOWFLAKE)]),
        pytest.param(RoleQuery(unicode_emoji=""), [payloads.MAX_SNOWFLAKE - 20]),
        pytest.param(RoleQuery(unicode_emoji=hikari.UnicodeEmoji("")), [payloads.MAX_SNOWFLAKE - 20]),
        pytest.param(RoleQuery(icon_hash=""), [payloads.MAX_SNOWFLAKE - 20]),
        pytest.param(RoleQuery(name=""), [payloads.MAX_SNOWFLAKE - 20]),
        pytest.param(ChannelQuery(name=""), [payloads.EDGE_CHANNEL_IDS[12], payloads.EDGE_CHANNEL_IDS[4]]),
        pytest.param(GuildQuery(description=""), [GUILD_C, GUILD_EDGE]),
        pytest.param(GuildQuery(banner_hash=""), [GUILD_EDGE]),
        pytest.param(GuildQuery(max_video_channel_users=0), [GUILD_C]),
        pytest.param(GuildQuery(is_widget_enabled=False), [GUILD_B, GUILD_C]),
        pytest.param(GuildQuery(premium_subscription_count=0), [GUILD_C, GUILD_EDGE]),
    ],
    ids=querydata.describe,
)
async def test_empty_and_zero_filters_do_not_match_none(
    backend: GrpcBackend, data: querydata.Dataset, query: querydata.Query, expected: list[querydata.Key]
) -> None:
    assert querydata.expected_keys(data, query) == sorted(expected)
    assert await querydata.read_keys(backend, query) == sorted(expected)


# -- nothing and everything ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        GuildQuery(id=1),
        GuildQuery(name="No Such Guild"),
        ChannelQuery(name="no-such-channel"),
        ChannelQuery(guild_id=GUILD_C),
        ChannelQuery(position=1000),
        MemberQuery(guild_id=GUILD_C),
        MemberQuery(role_id=123),
        MemberQuery(nickname="nobody"),
        RoleQuery(permissions=1 << 62),
        RoleQuery(guild_id=GUILD_C),
    ],
    ids=querydata.describe,
)
async def test_query_matching_nothing_yields_nothing(
    backend: GrpcBackend, data: querydata.Dataset, query: querydata.Query
) -> None:
    assert querydata.all_of_kind(data, query), "the kind is empty"
    assert await querydata.read_keys(backend, query) == []


async def test_no_query_and_an_empty_query_yield_everything_in_key_order(
    backend: GrpcBackend, data: querydata.Dataset
) -> None:
    assert [querydata.entity_id(c) async for c in backend.iter_channels()] == sorted(
        querydata.entity_id(c) for c in data.channels
    )
    assert [querydata.entity_id(g) async for g in backend.iter_guilds()] == sorted(
        querydata.entity_id(g) for g in data.guilds
    )
    assert [querydata.member_key(m) async for m in backend.iter_members()] == sorted(
        querydata.member_key(m) for m in data.members
    )
    assert [querydata.entity_id(r) async for r in backend.iter_roles()] == sorted(
        querydata.entity_id(r) for r in data.roles
    )
    for query_class in (ChannelQuery, GuildQuery, MemberQuery, RoleQuery):
        query = query_class()
        everything = querydata.all_of_kind(data, query)
        assert len(everything) > 1
        assert await querydata.read_keys(backend, query) == everything


async def test_queries_on_an_empty_cache_yield_nothing(backend: GrpcBackend) -> None:
    assert [c async for c in backend.iter_channels()] == []
    assert [g async for g in backend.iter_guilds()] == []
    assert [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD_A))] == []
    assert [r async for r in backend.iter_roles(RoleQuery(id=payloads.ROLE_ADMIN_ID))] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (ChannelQuery(id=0), "query.id"),
        (ChannelQuery(parent_id=-5), "query.parent_id"),
        # A reference (an id of another object) may be 0: only a negative one is refused.
        (GuildQuery(owner_id=-1), "query.owner_id"),
        (MemberQuery(role_id=-1), "query.role_id"),
        (MemberQuery(guild_id=-1), "query.guild_id"),
        (RoleQuery(bot_id=-1), "query.bot_id"),
    ],
    ids=querydata.describe,
)
async def test_query_with_a_non_positive_id_is_refused_naming_the_field(
    backend: GrpcBackend, query: querydata.Query, field: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=field):
        await querydata.read_keys(backend, query)


async def test_a_query_shape_seen_before_still_refuses_a_non_positive_id(
    backend: GrpcBackend, data: querydata.Dataset
) -> None:
    member = data.members[0]
    # The first query of a shape builds its SQL; the second reuses it and must still check its values.
    assert await querydata.read_keys(backend, MemberQuery(guild_id=member.guild_id, id=member.user.id)) == [
        (member.guild_id, member.user.id)
    ]
    with pytest.raises(InvalidArgumentError, match=r"query\.id"):
        await querydata.read_keys(backend, MemberQuery(guild_id=member.guild_id, id=0))
    with pytest.raises(InvalidArgumentError, match=r"query\.guild_id"):
        await querydata.read_keys(backend, MemberQuery(guild_id=-1, id=member.user.id))


# -- point lookups -------------------------------------------------------------------------------


async def test_lookup_by_key_returns_exactly_that_object(backend: GrpcBackend, data: querydata.Dataset) -> None:
    for channel in data.channels:
        (found_channel,) = [c async for c in backend.iter_channels(ChannelQuery(id=channel.id))]
        assert_same_entity(found_channel, channel)
    for guild in data.guilds:
        (found_guild,) = [g async for g in backend.iter_guilds(GuildQuery(id=guild.id))]
        assert_same_entity(found_guild, guild)
    for role in data.roles:
        (found_role,) = [r async for r in backend.iter_roles(RoleQuery(id=role.id))]
        assert_same_entity(found_role, role)
    for member in data.members:
        # The same user is a member of several guilds: guild_id and id together name one membership.
        query = MemberQuery(guild_id=member.guild_id, id=member.user.id)
        (found_member,) = [m async for m in backend.iter_members(query)]
        assert_same_entity(found_member, member)


# -- roles leaving members -----------------------------------------------------------------------


async def test_role_delete_removes_the_role_from_members_and_from_role_queries(
    backend: GrpcBackend, data: querydata.Dataset
) -> None:
    deleted = payloads.ROLE_ADMIN_ID
    holders = querydata.expected_keys(data, MemberQuery(role_id=deleted))
    assert len(holders) > 1
    boosters = querydata.expected_keys(data, MemberQuery(role_id=payloads.ROLE_BOOSTER_ID))
    assert set(holders) & set(boosters), "no holder of the deleted role holds another one"

    await (await backend.role_delete(hikari.Snowflake(deleted), confirm=True))

    assert await querydata.read_keys(backend, MemberQuery(role_id=deleted)) == []
    assert await querydata.read_keys(backend, MemberQuery(guild_id=GUILD_A, role_id=deleted)) == []
    assert await querydata.read_keys(backend, RoleQuery(id=deleted)) == []
    assert await querydata.read_keys(backend, MemberQuery(role_id=payloads.ROLE_BOOSTER_ID)) == boosters
    written = {querydata.member_key(m): m for m in data.members}
    stored = [m async for m in backend.iter_members()]
    assert [querydata.member_key(m) for m in stored] == sorted(written)
    for member in stored:
        assert deleted not in member.role_ids
        assert member.role_ids == [r for r in written[querydata.member_key(member)].role_ids if r != deleted]


async def test_member_update_that_drops_a_role_leaves_that_roles_query(
    backend: GrpcBackend, app: hikari.GatewayBot, data: querydata.Dataset
) -> None:
    dropped, kept, gained = payloads.ROLE_BOOSTER_ID, payloads.ROLE_BOT_ID, payloads.ROLE_ADMIN_ID
    member = (GUILD_A, USER_6)
    dropped_holders = querydata.expected_keys(data, MemberQuery(role_id=dropped))
    gained_holders = querydata.expected_keys(data, MemberQuery(role_id=gained))
    assert member in dropped_holders
    assert member not in gained_holders
    updated = payloads.member(
        app, payloads.member_payload(USER_6, nick="Other", roles=[str(kept), str(gained)]), guild_id=GUILD_A
    )

    await (await backend.member_update(updated, confirm=True))

    assert await querydata.read_keys(backend, MemberQuery(role_id=dropped)) == [
        key for key in dropped_holders if key != member
    ]
    dropped_holders_in_a = querydata.expected_keys(data, MemberQuery(guild_id=GUILD_A, role_id=dropped))
    assert await querydata.read_keys(backend, MemberQuery(guild_id=GUILD_A, role_id=dropped)) == [
        key for key in dropped_holders_in_a if key != member
    ]
    assert member in await querydata.read_keys(backend, MemberQuery(role_id=kept))
    assert await querydata.read_keys(backend, MemberQuery(role_id=gained)) == sorted([*gained_holders, member])
    (stored,) = [m async for m in backend.iter_members(MemberQuery(guild_id=GUILD_A, id=USER_6))]
    assert stored.role_ids == updated.role_ids


async def test_text_with_a_nul_character_is_stored_read_back_and_matched_exactly(
    backend: GrpcBackend, app: hikari.GatewayBot
) -> None:
    # U+0000 is valid Unicode and Discord text may hold it; PostgreSQL's TEXT cannot, so Kura must not use it.
    role = payloads.role(app, payloads.role_payload(81, name="mod\x00erator", unicode_emoji="\x00"))
    other = payloads.role(app, payloads.role_payload(82, name="mod"))
    await (await backend.bulk_roles([role, other], confirm=True))

    found = [r async for r in backend.iter_roles(RoleQuery(name="mod\x00erator"))]

    assert [int(r.id) for r in found] == [81]
    assert_same_entity(found[0], role)
    assert [int(r.id) async for r in backend.iter_roles(RoleQuery(name="mod"))] == [82]
