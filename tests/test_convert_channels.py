"""Round trips of every hikari guild channel and thread class through GuildChannel, and channel queries."""

from __future__ import annotations

import dataclasses
import typing

import fidelity
import hikari
import payloads
import pytest

from hikari_kura.client import queries
from hikari_kura.client.convert import channels
from hikari_kura.v1 import channels_pb2, queries_pb2

_APP = payloads.make_app()

ALL_GUILD_CHANNEL_CLASSES = {
    hikari.GuildTextChannel,
    hikari.GuildVoiceChannel,
    hikari.GuildCategory,
    hikari.GuildNewsChannel,
    hikari.GuildStageChannel,
    hikari.GuildForumChannel,
    hikari.GuildMediaChannel,
    hikari.GuildNewsThread,
    hikari.GuildPublicThread,
    hikari.GuildPrivateThread,
}

_KIND_OF_CLASS = {
    hikari.GuildTextChannel: "text",
    hikari.GuildVoiceChannel: "voice",
    hikari.GuildCategory: "category",
    hikari.GuildNewsChannel: "news",
    hikari.GuildStageChannel: "stage",
    hikari.GuildForumChannel: "forum",
    hikari.GuildMediaChannel: "media",
    hikari.GuildNewsThread: "news_thread",
    hikari.GuildPublicThread: "public_thread",
    hikari.GuildPrivateThread: "private_thread",
}


def _all_channels(payload: payloads.JSONObject) -> list[hikari.GuildChannel]:
    return [*payloads.channels(_APP, payload), *payloads.threads(_APP, payload)]


FULL_CHANNELS = _all_channels(payloads.guild_create_payload())
EDGE_CHANNELS = _all_channels(payloads.edge_guild_create_payload())


def _by_class(channel_list: list[hikari.GuildChannel], cls: type[hikari.GuildChannel]) -> hikari.GuildChannel:
    (channel,) = (channel for channel in channel_list if type(channel) is cls)
    return channel


def _round_trip(channel: hikari.GuildChannel, app: hikari.traits.RESTAware = _APP) -> hikari.GuildChannel:
    data = channels.channel_to_proto(channel).SerializeToString()
    return channels.channel_from_proto(channels_pb2.GuildChannel.FromString(data), app=app)


def test_payloads_hold_every_guild_channel_class() -> None:
    assert {type(channel) for channel in FULL_CHANNELS} == ALL_GUILD_CHANNEL_CLASSES
    assert {type(channel) for channel in EDGE_CHANNELS} == ALL_GUILD_CHANNEL_CLASSES


@pytest.mark.parametrize("channel", FULL_CHANNELS, ids=lambda channel: type(channel).__name__)
def test_channel_round_trip_returns_the_same_class_with_every_field(channel: hikari.GuildChannel) -> None:
    result = _round_trip(channel)

    fidelity.assert_same_entity(result, channel)


@pytest.mark.parametrize("channel", EDGE_CHANNELS, ids=lambda channel: type(channel).__name__)
def test_channel_with_edge_values_round_trips_with_every_field(channel: hikari.GuildChannel) -> None:
    result = _round_trip(channel)

    fidelity.assert_same_entity(result, channel)


@pytest.mark.parametrize("channel", FULL_CHANNELS, ids=lambda channel: type(channel).__name__)
def test_channel_kind_names_its_class(channel: hikari.GuildChannel) -> None:
    assert channels.channel_to_proto(channel).WhichOneof("kind") == _KIND_OF_CLASS[type(channel)]


def test_single_channel_payload_round_trips() -> None:
    channel = payloads.channel(_APP, payloads.channel_payload(0, 5, topic="", rate_limit_per_user=0))

    fidelity.assert_same_entity(_round_trip(channel), channel)


def test_channel_read_back_is_bound_to_the_given_app() -> None:
    other_app = payloads.make_app()

    assert _round_trip(FULL_CHANNELS[0], other_app).app is other_app


def test_channel_topic_none_stays_apart_from_empty() -> None:
    text = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildTextChannel))
    news = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildNewsChannel))

    assert isinstance(text, hikari.GuildTextChannel)
    assert isinstance(news, hikari.GuildNewsChannel)
    assert text.topic is None
    assert news.topic == ""


def test_channel_permission_overwrites_keep_high_bits_and_unknown_types() -> None:
    text = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildTextChannel))

    assert isinstance(text, hikari.GuildTextChannel)
    (overwrite,) = text.permission_overwrites.values()
    assert overwrite.id == 2**63 - 1
    assert overwrite.allow == payloads.HIGH_PERMISSIONS
    assert (overwrite.type, type(overwrite.type)) == (7, int)
    assert text.flags == hikari.ChannelFlag.CHANNEL_OBFUSCATED


def test_channel_unknown_enum_values_survive() -> None:
    voice = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildVoiceChannel))
    forum = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildForumChannel))
    media = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildMediaChannel))

    assert isinstance(voice, hikari.GuildVoiceChannel)
    assert isinstance(forum, hikari.GuildForumChannel)
    assert isinstance(media, hikari.GuildMediaChannel)
    assert (voice.video_quality_mode, type(voice.video_quality_mode)) == (9, int)
    assert (forum.default_layout, type(forum.default_layout)) == (5, int)
    assert (media.default_sort_order, type(media.default_sort_order)) == (4, int)


def test_forum_tags_keep_which_kind_of_emoji_they_have() -> None:
    forum = _round_trip(_by_class(FULL_CHANNELS, hikari.GuildForumChannel))
    edge_forum = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildForumChannel))

    assert isinstance(forum, hikari.GuildForumChannel)
    assert isinstance(edge_forum, hikari.GuildForumChannel)
    custom, unicode, plain = forum.available_tags
    assert (custom.emoji_id, custom.unicode_emoji) == (1300000000000000001, None)
    assert (unicode.emoji_id, unicode.unicode_emoji) == (None, "\U0001f4a1")
    assert (plain.emoji_id, plain.unicode_emoji) == (None, None)
    empty_name, _, max_id = edge_forum.available_tags
    assert (empty_name.emoji_id, empty_name.unicode_emoji) == (None, "")
    assert max_id.emoji_id == 2**63 - 1


def test_forum_default_reaction_emoji_keeps_id_name_empty_and_none_apart() -> None:
    results = [
        _round_trip(_by_class(channel_list, cls))
        for channel_list in (FULL_CHANNELS, EDGE_CHANNELS)
        for cls in (hikari.GuildForumChannel, hikari.GuildMediaChannel)
    ]

    assert [
        (channel.default_reaction_emoji_id, channel.default_reaction_emoji_name)
        for channel in results
        if isinstance(channel, (hikari.GuildForumChannel, hikari.GuildMediaChannel))
    ] == [(None, "\U0001f44d"), (1300000000000000009, None), (None, None), (None, "")]


def test_thread_without_bot_membership_or_creation_time_reads_back_as_none() -> None:
    thread = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildNewsThread))

    assert isinstance(thread, hikari.GuildNewsThread)
    assert thread.member is None
    assert thread.metadata.created_at is None
    assert thread.metadata.is_invitable is True


def test_private_thread_keeps_member_joined_at_offset_and_invitable() -> None:
    thread = _round_trip(_by_class(EDGE_CHANNELS, hikari.GuildPrivateThread))

    assert isinstance(thread, hikari.GuildPrivateThread)
    assert thread.member is not None
    assert thread.member.user_id == payloads.BOT_USER_ID
    assert thread.member.joined_at.isoformat() == "2023-06-02T01:02:03.040506+14:00"
    assert thread.metadata.is_invitable is False


def test_only_public_threads_carry_flags_and_applied_tags() -> None:
    by_kind = {
        message.WhichOneof("kind"): message
        for message in (channels.channel_to_proto(channel) for channel in FULL_CHANNELS)
    }

    assert by_kind["public_thread"].HasField("flags")
    assert list(by_kind["public_thread"].public_thread.applied_tag_ids) == [1200000000000000001, 1200000000000000002]
    assert not by_kind["news_thread"].HasField("flags")
    assert not by_kind["private_thread"].HasField("flags")
    assert not by_kind["news_thread"].HasField("position")
    assert by_kind["text"].HasField("position")


def test_channel_of_an_unsupported_class_is_refused_with_its_name() -> None:
    dm = _APP.entity_factory.deserialize_dm(
        {"id": "5", "type": 1, "last_message_id": None, "recipients": [payloads.user_payload(6)]}
    )

    with pytest.raises(TypeError, match="DMChannel"):
        channels.channel_to_proto(typing.cast("hikari.GuildChannel", dm))


def test_channel_message_without_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        channels.channel_from_proto(channels_pb2.GuildChannel(id=5, guild_id=6), app=_APP)


_TYPE_PAIRS = [
    (hikari.ChannelType.GUILD_TEXT, channels_pb2.CHANNEL_TYPE_GUILD_TEXT),
    (hikari.ChannelType.GUILD_VOICE, channels_pb2.CHANNEL_TYPE_GUILD_VOICE),
    (hikari.ChannelType.GUILD_CATEGORY, channels_pb2.CHANNEL_TYPE_GUILD_CATEGORY),
    (hikari.ChannelType.GUILD_NEWS, channels_pb2.CHANNEL_TYPE_GUILD_NEWS),
    (hikari.ChannelType.GUILD_STAGE, channels_pb2.CHANNEL_TYPE_GUILD_STAGE),
    (hikari.ChannelType.GUILD_FORUM, channels_pb2.CHANNEL_TYPE_GUILD_FORUM),
    (hikari.ChannelType.GUILD_MEDIA, channels_pb2.CHANNEL_TYPE_GUILD_MEDIA),
    (hikari.ChannelType.GUILD_NEWS_THREAD, channels_pb2.CHANNEL_TYPE_GUILD_NEWS_THREAD),
    (hikari.ChannelType.GUILD_PUBLIC_THREAD, channels_pb2.CHANNEL_TYPE_GUILD_PUBLIC_THREAD),
    (hikari.ChannelType.GUILD_PRIVATE_THREAD, channels_pb2.CHANNEL_TYPE_GUILD_PRIVATE_THREAD),
]


@pytest.mark.parametrize(("hikari_type", "proto_type"), _TYPE_PAIRS, ids=lambda value: str(value))
def test_channel_type_maps_both_ways(hikari_type: hikari.ChannelType, proto_type: int) -> None:
    assert channels.channel_type_to_proto(hikari_type) == proto_type
    assert channels.channel_type_from_proto(typing.cast("channels_pb2.ChannelType", proto_type)) is hikari_type


@pytest.mark.parametrize("channel", FULL_CHANNELS, ids=lambda channel: type(channel).__name__)
def test_channel_type_of_each_channel_has_a_proto_type(channel: hikari.GuildChannel) -> None:
    proto_type = channels.channel_type_to_proto(channel.type)

    assert channels.channel_type_from_proto(proto_type) == channel.type


@pytest.mark.parametrize("channel_type", [hikari.ChannelType.DM, hikari.ChannelType.GROUP_DM, 99])
def test_channel_type_that_is_no_guild_channel_is_refused_with_its_name(channel_type: int) -> None:
    with pytest.raises(ValueError, match=str(channel_type)):
        channels.channel_type_to_proto(channel_type)


def test_unspecified_proto_channel_type_is_refused() -> None:
    with pytest.raises(ValueError, match="channel type"):
        channels.channel_type_from_proto(channels_pb2.CHANNEL_TYPE_UNSPECIFIED)


_CHANNEL_QUERY_FILTERS: dict[str, tuple[object, object]] = {
    "id": (hikari.Snowflake(2**63 - 1), 2**63 - 1),
    "name": ("\u0645\u0631\u062d\u0628\u0627", "\u0645\u0631\u062d\u0628\u0627"),
    "type": (hikari.ChannelType.GUILD_FORUM, channels_pb2.CHANNEL_TYPE_GUILD_FORUM),
    "guild_id": (5, 5),
    "parent_id": (6, 6),
    "position": (0, 0),
    "is_nsfw": (False, False),
}


def test_channel_query_filters_cover_every_query_field() -> None:
    assert set(_CHANNEL_QUERY_FILTERS) == {field.name for field in dataclasses.fields(queries.ChannelQuery)}
    assert set(_CHANNEL_QUERY_FILTERS) == {field.name for field in queries_pb2.ChannelQuery.DESCRIPTOR.fields}


@pytest.mark.parametrize(("name", "value", "expected"), [(k, *v) for k, v in _CHANNEL_QUERY_FILTERS.items()])
def test_channel_query_sets_exactly_the_filter_given(name: str, value: object, expected: object) -> None:
    query = queries.ChannelQuery(**typing.cast("dict[str, typing.Any]", {name: value}))

    message = channels.channel_query_to_proto(query)

    assert [field.name for field, _ in message.ListFields()] == [name]
    assert getattr(message, name) == expected


def test_channel_query_without_filters_sets_no_field() -> None:
    assert channels.channel_query_to_proto(queries.ChannelQuery()).ListFields() == []


def test_channel_query_of_a_dm_type_is_refused() -> None:
    with pytest.raises(ValueError, match="DM"):
        channels.channel_query_to_proto(queries.ChannelQuery(type=hikari.ChannelType.DM))
