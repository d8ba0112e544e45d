"""Shared conversions (times, durations, enums) and the fidelity check the round-trip tests rely on."""

from __future__ import annotations

import datetime
import typing

import attrs
import fidelity
import hikari
import payloads
import pytest
from google.protobuf import duration_pb2

from hikari_kura.client.convert import common, members
from hikari_kura.v1 import common_pb2, guilds_pb2, members_pb2


def _datetime_round_trip(value: datetime.datetime) -> datetime.datetime:
    data = common.datetime_to_proto(value).SerializeToString()
    return common.datetime_from_proto(common_pb2.DateTime.FromString(data))


def _timedelta_round_trip(value: datetime.timedelta) -> datetime.timedelta:
    data = common.timedelta_to_proto(value).SerializeToString()
    return common.timedelta_from_proto(duration_pb2.Duration.FromString(data))


@pytest.mark.parametrize(
    "offset",
    [
        datetime.timedelta(0),
        datetime.timedelta(hours=5, minutes=30),
        datetime.timedelta(hours=-7),
        datetime.timedelta(hours=14),
        datetime.timedelta(hours=-23, minutes=59, seconds=59),
        datetime.timedelta(seconds=1),
    ],
)
def test_aware_datetime_keeps_its_instant_and_utc_offset(offset: datetime.timedelta) -> None:
    value = datetime.datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=datetime.timezone(offset))

    result = _datetime_round_trip(value)

    assert result == value
    assert result.utcoffset() == offset
    assert (result.year, result.hour, result.minute, result.microsecond) == (2021, 5, 6, 123456)


def test_non_utc_member_timestamp_keeps_its_offset_through_a_member_round_trip() -> None:
    app = payloads.make_app()
    member = payloads.member(app, payloads.member_payload(123, premium_since="2021-03-04T05:06:07.123456+05:30"))
    message = members_pb2.Member.FromString(members.member_to_proto(member).SerializeToString())

    result = members.member_from_proto(message, app=app)

    assert result.premium_since is not None
    assert result.premium_since.utcoffset() == datetime.timedelta(hours=5, minutes=30)
    assert result.premium_since.isoformat() == "2021-03-04T05:06:07.123456+05:30"


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime.min.replace(tzinfo=datetime.UTC),
        datetime.datetime.max.replace(tzinfo=datetime.UTC),
        datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2106, 2, 7, 6, 28, 15, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2106, 2, 7, 6, 28, 16, 1, tzinfo=datetime.UTC),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        datetime.datetime(1, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=3))),
    ],
)
def test_datetime_extremes_round_trip_exactly(value: datetime.datetime) -> None:
    result = _datetime_round_trip(value)

    assert result == value
    assert result.utcoffset() == value.utcoffset()
    assert result.microsecond == value.microsecond


def test_every_microsecond_of_a_second_round_trips_exactly() -> None:
    base = datetime.datetime(2038, 1, 19, 3, 14, 7, tzinfo=datetime.UTC)
    for microsecond in range(0, 1_000_000, 997):
        value = base.replace(microsecond=microsecond)
        assert _datetime_round_trip(value) == value


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        common.datetime_to_proto(datetime.datetime(2021, 3, 4, 5, 6, 7))


def test_sub_second_utc_offset_is_refused_rather_than_rounded() -> None:
    tz = datetime.timezone(datetime.timedelta(seconds=1, microseconds=5))

    with pytest.raises(ValueError, match="whole seconds"):
        common.datetime_to_proto(datetime.datetime(2021, 3, 4, tzinfo=tz))


@pytest.mark.parametrize(
    "value",
    [
        datetime.timedelta(0),
        datetime.timedelta(seconds=5),
        datetime.timedelta(minutes=10_080),
        datetime.timedelta(days=3, seconds=7, microseconds=123456),
        datetime.timedelta(microseconds=1),
        datetime.timedelta(microseconds=-1),
        datetime.timedelta(days=-2, microseconds=5),
    ],
)
def test_timedelta_round_trips_to_the_microsecond(value: datetime.timedelta) -> None:
    assert _timedelta_round_trip(value) == value


def test_negative_duration_keeps_seconds_and_nanos_of_one_sign() -> None:
    message = common.timedelta_to_proto(datetime.timedelta(seconds=-1, microseconds=250_000))

    assert (message.seconds, message.nanos) == (0, -750_000_000)


def test_discord_enum_value_travels_as_value_plus_one() -> None:
    assert common.enum_to_proto(guilds_pb2.MFALevel, hikari.GuildMFALevel.NONE) == guilds_pb2.MFA_LEVEL_NONE
    assert common.enum_to_proto(guilds_pb2.MFALevel, hikari.GuildMFALevel.ELEVATED) == guilds_pb2.MFA_LEVEL_ELEVATED


def test_known_enum_value_reads_back_as_the_hikari_member() -> None:
    result = common.enum_from_proto(hikari.GuildMFALevel, guilds_pb2.MFA_LEVEL_ELEVATED)

    assert result is hikari.GuildMFALevel.ELEVATED


def test_unknown_enum_value_survives_as_a_plain_int() -> None:
    result = common.enum_from_proto(hikari.GuildMFALevel, common.enum_to_proto(guilds_pb2.MFALevel, 42))

    assert result == 42
    assert type(result) is int


def test_interned_enum_values_are_those_enum_from_proto_returns() -> None:
    interned = common.enums_from_proto(hikari.GuildMFALevel)

    assert interned[guilds_pb2.MFA_LEVEL_ELEVATED] is hikari.GuildMFALevel.ELEVATED
    assert type(interned[43]) is int
    assert interned[43] == 42


def test_slot_setters_store_values_as_given_bypassing_converters() -> None:
    set_id, set_type, set_allow, set_deny = common.slot_setters(
        hikari.PermissionOverwrite, "id", "type", "allow", "deny"
    )
    overwrite = common.new_instance(hikari.PermissionOverwrite)
    set_id(overwrite, hikari.Snowflake(5))
    set_type(overwrite, hikari.PermissionOverwriteType.MEMBER)
    set_allow(overwrite, hikari.Permissions.ADMINISTRATOR)
    set_deny(overwrite, hikari.Permissions.NONE)

    expected = hikari.PermissionOverwrite(
        id=5, type=hikari.PermissionOverwriteType.MEMBER, allow=hikari.Permissions.ADMINISTRATOR
    )
    fidelity.assert_same_entity(overwrite, expected)


@pytest.mark.parametrize(
    ("cls", "names"),
    [
        (hikari.PermissionOverwrite, ("id", "type", "allow")),  # a slot left unset
        (hikari.PermissionOverwrite, ("id", "type", "allow", "deny", "extra")),  # no such slot
        (hikari.GuildTextChannel, ("id",)),
    ],
)
def test_slot_setters_refuse_names_that_are_not_exactly_the_slots(cls: type, names: tuple[str, ...]) -> None:
    with pytest.raises(TypeError, match="construct it by calling it"):
        common.slot_setters(cls, *names)


@pytest.fixture(scope="module")
def member() -> hikari.Member:
    return payloads.members(payloads.make_app(), payloads.guild_create_payload())[0]


class TestAssertSameEntity:
    def test_passes_for_the_same_member(self, member: hikari.Member) -> None:
        fidelity.assert_same_entity(member, member)

    def test_catches_a_field_that_hikari_equality_ignores(self, member: hikari.Member) -> None:
        changed = attrs.evolve(member, nickname="someone else")
        assert changed == member  # hikari's own equality only looks at the id

        with pytest.raises(AssertionError, match=r"Member\.nickname"):
            fidelity.assert_same_entity(changed, member)

    def test_catches_none_instead_of_empty_string(self, member: hikari.Member) -> None:
        with pytest.raises(AssertionError, match=r"Member\.nickname: type NoneType"):
            fidelity.assert_same_entity(attrs.evolve(member, nickname=None), attrs.evolve(member, nickname=""))

    def test_catches_a_difference_deep_in_a_nested_object(self, member: hikari.Member) -> None:
        assert isinstance(member.user, hikari.users.UserImpl)
        decoration = member.user.avatar_decoration
        assert decoration is not None
        user = attrs.evolve(member.user, avatar_decoration=attrs.evolve(decoration, asset_hash="other"))

        with pytest.raises(AssertionError, match=r"Member\.user\.avatar_decoration\.asset_hash"):
            fidelity.assert_same_entity(attrs.evolve(member, user=user), member)

    def test_catches_the_same_instant_in_another_utc_offset(self, member: hikari.Member) -> None:
        assert member.joined_at is not None
        shifted = member.joined_at.astimezone(datetime.timezone(datetime.timedelta(hours=2)))

        with pytest.raises(AssertionError, match=r"Member\.joined_at: UTC offset"):
            fidelity.assert_same_entity(attrs.evolve(member, joined_at=shifted), member)

    def test_catches_str_in_place_of_unicode_emoji(self) -> None:
        role = payloads.roles(payloads.make_app(), payloads.guild_create_payload())[1]
        assert isinstance(role.unicode_emoji, hikari.UnicodeEmoji)

        with pytest.raises(AssertionError, match=r"Role\.unicode_emoji: type str"):
            plain = typing.cast("hikari.UnicodeEmoji", str(role.unicode_emoji))
            fidelity.assert_same_entity(attrs.evolve(role, unicode_emoji=plain), role)

    def test_catches_plain_int_in_place_of_enum_member(self) -> None:
        guild = payloads.guild(payloads.make_app(), payloads.guild_create_payload())

        with pytest.raises(AssertionError, match=r"GatewayGuild\.mfa_level: type int"):
            fidelity.assert_same_entity(attrs.evolve(guild, mfa_level=int(guild.mfa_level)), guild)

    def test_catches_a_changed_value_inside_a_mapping(self) -> None:
        channel = payloads.channels(payloads.make_app(), payloads.guild_create_payload())[1]
        overwrites = dict(channel.permission_overwrites)
        key = next(iter(overwrites))
        overwrites[key] = attrs.evolve(overwrites[key], allow=hikari.Permissions.ADMINISTRATOR)

        with pytest.raises(AssertionError, match=r"permission_overwrites\[.*\]\.allow"):
            fidelity.assert_same_entity(attrs.evolve(channel, permission_overwrites=overwrites), channel)

    def test_catches_another_class(self) -> None:
        app = payloads.make_app()
        text, voice = payloads.channels(app, payloads.guild_create_payload())[1:3]

        with pytest.raises(AssertionError, match="type GuildVoiceChannel"):
            fidelity.assert_same_entity(voice, text)

    def test_ignores_only_the_app(self, member: hikari.Member) -> None:
        assert isinstance(member.user, hikari.users.UserImpl)
        user = attrs.evolve(member.user, app=payloads.make_app())

        fidelity.assert_same_entity(attrs.evolve(member, user=user), member)
