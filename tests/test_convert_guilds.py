"""Round trips of hikari's GatewayGuild through the Guild message, and guild query conversion."""

from __future__ import annotations

import dataclasses
import datetime
import typing

import fidelity
import hikari
import payloads
import pytest
from google.protobuf import duration_pb2

from hikari_kura.client import queries
from hikari_kura.client.convert import guilds
from hikari_kura.v1 import guilds_pb2, queries_pb2


@pytest.fixture(scope="module")
def app() -> hikari.GatewayBot:
    return payloads.make_app()


def _round_trip(guild: hikari.GatewayGuild, app: hikari.traits.RESTAware) -> hikari.GatewayGuild:
    data = guilds.guild_to_proto(guild).SerializeToString()
    return guilds.guild_from_proto(guilds_pb2.Guild.FromString(data), app=app)


@pytest.mark.parametrize(
    "payload", [payloads.guild_create_payload(), payloads.edge_guild_create_payload()], ids=["full", "edge"]
)
def test_guild_round_trip_keeps_every_field(app: hikari.GatewayBot, payload: payloads.JSONObject) -> None:
    guild = payloads.guild(app, payload)

    result = _round_trip(guild, app)

    fidelity.assert_same_entity(result, guild)


def test_guild_read_back_is_bound_to_the_given_app(app: hikari.GatewayBot) -> None:
    other_app = payloads.make_app()

    result = _round_trip(payloads.guild(app, payloads.guild_create_payload()), other_app)

    assert result.app is other_app


def test_guild_incidents_keep_every_time_and_its_offset(app: hikari.GatewayBot) -> None:
    guild = payloads.guild(app, payloads.edge_guild_create_payload())

    result = _round_trip(guild, app).incidents

    assert result.invites_disabled_until is not None
    assert result.invites_disabled_until.isoformat() == "2031-01-01T05:30:00.000001+05:30"
    assert result.dms_disabled_until is None
    assert result.dm_spam_detected_at is not None
    assert result.dm_spam_detected_at.utcoffset() == datetime.timedelta(hours=-7)
    assert result.raid_detected_at is None


def test_guild_unknown_enum_values_features_and_locale_survive(app: hikari.GatewayBot) -> None:
    result = _round_trip(payloads.guild(app, payloads.edge_guild_create_payload()), app)

    assert (result.verification_level, type(result.verification_level)) == (99, int)
    assert (result.nsfw_level, type(result.nsfw_level)) == (77, int)
    assert result.preferred_locale == "xx-NOT-A-LOCALE"
    assert result.system_channel_flags == 1 << 40 | 1


def test_guild_known_enums_and_features_read_back_as_hikari_members(app: hikari.GatewayBot) -> None:
    result = _round_trip(payloads.guild(app, payloads.guild_create_payload()), app)

    assert result.verification_level is hikari.GuildVerificationLevel.VERY_HIGH
    assert result.mfa_level is hikari.GuildMFALevel.ELEVATED
    assert result.preferred_locale is hikari.Locale.EN_GB
    assert result.features[:3] == [
        hikari.GuildFeature.ANIMATED_ICON,
        hikari.GuildFeature.COMMUNITY,
        hikari.GuildFeature.NEWS,
    ]
    assert all(type(feature) is hikari.GuildFeature for feature in result.features[:3])
    assert type(result.features[3]) is str


def test_guild_none_stays_apart_from_zero_and_empty(app: hikari.GatewayBot) -> None:
    result = _round_trip(payloads.guild(app, payloads.edge_guild_create_payload()), app)

    assert result.description == ""
    assert result.banner_hash == ""
    assert result.icon_hash is None
    assert result.vanity_url_code is None
    assert result.premium_subscription_count == 0
    assert result.max_video_channel_users is None
    assert result.afk_timeout == datetime.timedelta(0)
    assert result.features == []


def test_guild_fields_absent_from_the_payload_read_back_as_none(app: hikari.GatewayBot) -> None:
    result = _round_trip(payloads.guild(app, payloads.edge_guild_create_payload()), app)

    assert result.is_large is None
    assert result.joined_at is None
    assert result.member_count is None
    assert result.is_widget_enabled is None
    assert result.widget_channel_id is None


def test_guild_snowflakes_up_to_two_to_the_63_minus_one_survive(app: hikari.GatewayBot) -> None:
    result = _round_trip(payloads.guild(app, payloads.edge_guild_create_payload()), app)

    assert result.id == 2**63 - 1
    assert result.owner_id == 2**63 - 2
    assert result.application_id == 2**53 + 1


_GUILD_QUERY_FILTERS: dict[str, tuple[object, object]] = {
    "id": (hikari.Snowflake(2**63 - 1), 2**63 - 1),
    "name": ("\u05e9\u05dc\u05d5\u05dd \U0001f600", "\u05e9\u05dc\u05d5\u05dd \U0001f600"),
    "owner_id": (5, 5),
    "application_id": (6, 6),
    "icon_hash": ("icon", "icon"),
    "banner_hash": ("", ""),
    "splash_hash": ("splash", "splash"),
    "discovery_splash_hash": ("discovery", "discovery"),
    "description": ("about", "about"),
    "vanity_url_code": ("kura", "kura"),
    "preferred_locale": (hikari.Locale.EN_GB, "en-GB"),
    "afk_channel_id": (7, 7),
    "afk_timeout": (datetime.timedelta(minutes=5), duration_pb2.Duration(seconds=300)),
    "rules_channel_id": (8, 8),
    "system_channel_id": (9, 9),
    "system_channel_flags": (hikari.GuildSystemChannelFlag.SUPPRESS_USER_JOIN, 1),
    "public_updates_channel_id": (10, 10),
    "widget_channel_id": (11, 11),
    "is_widget_enabled": (False, False),
    "max_video_channel_users": (0, 0),
    "premium_tier": (hikari.GuildPremiumTier.NONE, guilds_pb2.PREMIUM_TIER_NONE),
    "premium_subscription_count": (3, 3),
    "default_message_notifications": (
        hikari.GuildMessageNotificationsLevel.ONLY_MENTIONS,
        guilds_pb2.MESSAGE_NOTIFICATIONS_LEVEL_ONLY_MENTIONS,
    ),
    "explicit_content_filter": (
        hikari.GuildExplicitContentFilterLevel.ALL_MEMBERS,
        guilds_pb2.EXPLICIT_CONTENT_FILTER_LEVEL_ALL_MEMBERS,
    ),
    "mfa_level": (hikari.GuildMFALevel.ELEVATED, guilds_pb2.MFA_LEVEL_ELEVATED),
    "nsfw_level": (hikari.GuildNSFWLevel.AGE_RESTRICTED, guilds_pb2.NSFW_LEVEL_AGE_RESTRICTED),
    "verification_level": (99, 100),
}


def test_guild_query_filters_cover_every_query_field() -> None:
    assert set(_GUILD_QUERY_FILTERS) == {field.name for field in dataclasses.fields(queries.GuildQuery)}
    assert set(_GUILD_QUERY_FILTERS) == {field.name for field in queries_pb2.GuildQuery.DESCRIPTOR.fields}


@pytest.mark.parametrize(("name", "value", "expected"), [(k, *v) for k, v in _GUILD_QUERY_FILTERS.items()])
def test_guild_query_sets_exactly_the_filter_given(name: str, value: object, expected: object) -> None:
    query = queries.GuildQuery(**typing.cast("dict[str, typing.Any]", {name: value}))

    message = guilds.guild_query_to_proto(query)

    assert [field.name for field, _ in message.ListFields()] == [name]
    assert getattr(message, name) == expected


def test_guild_query_without_filters_sets_no_field() -> None:
    assert guilds.guild_query_to_proto(queries.GuildQuery()).ListFields() == []
