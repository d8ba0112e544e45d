"""Conversions between hikari's guild channels and threads and the ``GuildChannel`` message."""

from __future__ import annotations

import typing

import hikari

from hikari_kura.v1 import channels_pb2, common_pb2, queries_pb2

from .. import errors, queries
from . import checks, common

_timestamp_to_proto = common.timestamp_to_proto
_timestamp_into = common.timestamp_into
_timedelta_into = common.timedelta_into
_new = common.new_instance
_SNOWFLAKES = common.SNOWFLAKES
_MAX_TEXT = checks.MAX_TEXT
_CHANNEL_FLAGS = common.Interned(hikari.ChannelFlag)
# Each made as new_instance(cls) then its own attrs __init__: cls(**kwargs) runs the same code, slower.
common.plain_construction(
    hikari.GuildCategory,
    hikari.GuildForumChannel,
    hikari.GuildMediaChannel,
    hikari.GuildNewsChannel,
    hikari.GuildNewsThread,
    hikari.GuildPrivateThread,
    hikari.GuildPublicThread,
    hikari.GuildStageChannel,
    hikari.GuildTextChannel,
    hikari.GuildVoiceChannel,
    hikari.ThreadMember,
    hikari.ThreadMetadata,
)
_datetime_from_proto = common.datetime_from_proto
_timedelta_to_proto = common.timedelta_to_proto
_timedelta_from_proto = common.timedelta_from_proto

# Explicit rather than "Discord value + 1": Discord's channel types have gaps and include DMs,
# which are not guild channels and which Kura does not store.
_CHANNEL_TYPE_TO_PROTO: typing.Final[dict[int, channels_pb2.ChannelType]] = {
    hikari.ChannelType.GUILD_TEXT: channels_pb2.CHANNEL_TYPE_GUILD_TEXT,
    hikari.ChannelType.GUILD_VOICE: channels_pb2.CHANNEL_TYPE_GUILD_VOICE,
    hikari.ChannelType.GUILD_CATEGORY: channels_pb2.CHANNEL_TYPE_GUILD_CATEGORY,
    hikari.ChannelType.GUILD_NEWS: channels_pb2.CHANNEL_TYPE_GUILD_NEWS,
    hikari.ChannelType.GUILD_STAGE: channels_pb2.CHANNEL_TYPE_GUILD_STAGE,
    hikari.ChannelType.GUILD_FORUM: channels_pb2.CHANNEL_TYPE_GUILD_FORUM,
    hikari.ChannelType.GUILD_MEDIA: channels_pb2.CHANNEL_TYPE_GUILD_MEDIA,
    hikari.ChannelType.GUILD_NEWS_THREAD: channels_pb2.CHANNEL_TYPE_GUILD_NEWS_THREAD,
    hikari.ChannelType.GUILD_PUBLIC_THREAD: channels_pb2.CHANNEL_TYPE_GUILD_PUBLIC_THREAD,
    hikari.ChannelType.GUILD_PRIVATE_THREAD: channels_pb2.CHANNEL_TYPE_GUILD_PRIVATE_THREAD,
}
_CHANNEL_TYPE_FROM_PROTO: typing.Final[dict[int, hikari.ChannelType]] = {
    proto: hikari.ChannelType(discord) for discord, proto in _CHANNEL_TYPE_TO_PROTO.items()
}


def channel_type_to_proto(channel_type: hikari.ChannelType | int, /) -> channels_pb2.ChannelType:
    """Return the proto ChannelType of a hikari guild channel type."""
    try:
        return _CHANNEL_TYPE_TO_PROTO[channel_type]
    except KeyError:
        raise errors.InvalidArgumentError(
            f"channel type {channel_type!r} is not a guild channel type Kura stores"
        ) from None


def channel_type_from_proto(channel_type: channels_pb2.ChannelType, /) -> hikari.ChannelType:
    """Return the hikari ChannelType of a proto ChannelType."""
    try:
        return _CHANNEL_TYPE_FROM_PROTO[channel_type]
    except KeyError:
        raise ValueError(f"unknown proto channel type {channel_type!r}") from None


def channel_to_proto(channel: hikari.GuildChannel, /) -> channels_pb2.GuildChannel:
    """Convert any hikari guild channel or thread to a GuildChannel message.

    A channel the server cannot store raises ``InvalidArgumentError`` naming the field.
    """
    # Protobuf refuses values out of a field's range; the checks below are what it does not
    # (keys, negative references, text length), each raising ValueError for refusal() to name.
    try:
        message = _channel_to_proto(channel)
    except (ValueError, TypeError) as exc:
        raise checks.refusal(channel, exc) from None
    if channel.id <= 0 or channel.guild_id <= 0 or _negative(channel.application_id, channel.parent_id):
        raise checks.refusal(channel)
    if (name := channel.name) is not None and len(name) > _MAX_TEXT:
        raise checks.refusal(channel)
    return message


def _negative(*ids: int | None) -> bool:
    """Tell whether any of these references is negative (None: not set)."""
    for value in ids:  # a loop, not any() over a generator: this runs for every channel
        if value is not None and value < 0:
            return True
    return False


def _too_long(*texts: str | None) -> bool:
    """Tell whether any of these texts is longer than the server stores (None: not set)."""
    for value in texts:
        if value is not None and len(value) > _MAX_TEXT:
            return True
    return False


def _channel_to_proto(channel: hikari.GuildChannel, /) -> channels_pb2.GuildChannel:
    if isinstance(channel, hikari.PermissibleGuildChannel):
        message = channels_pb2.GuildChannel(
            id=channel.id,
            name=channel.name,
            guild_id=channel.guild_id,
            application_id=channel.application_id,
            parent_id=channel.parent_id,
            position=channel.position,
            is_nsfw=channel.is_nsfw,
            flags=channel.flags,
        )
        add_overwrite = message.permission_overwrites.add
        for overwrite in channel.permission_overwrites.values():
            # add() makes each overwrite in place; building a list of messages would copy each one in.
            add_overwrite(
                id=overwrite.id,
                type=common.enum_to_proto(common_pb2.PermissionOverwriteType, overwrite.type),
                allow=overwrite.allow,
                deny=overwrite.deny,
            )
            if overwrite.id < 0:
                raise ValueError("negative overwrite id")
        # Text, news and voice kinds are written in place; the rarer kinds are built and copied in.
        if isinstance(channel, hikari.GuildTextChannel):
            _text_into(message.text, channel)
        elif isinstance(channel, hikari.GuildVoiceChannel):
            _voice_into(message.voice, channel)
        elif isinstance(channel, hikari.GuildCategory):
            message.category.SetInParent()
        elif isinstance(channel, hikari.GuildNewsChannel):
            _news_into(message.news, channel)
        elif isinstance(channel, hikari.GuildStageChannel):
            _voice_into(message.stage, channel)
        elif isinstance(channel, hikari.GuildForumChannel):
            message.forum.CopyFrom(_forum_to_proto(channel))
        elif isinstance(channel, hikari.GuildMediaChannel):
            message.media.CopyFrom(_forum_to_proto(channel))
        else:
            raise TypeError(f"unsupported guild channel class {type(channel).__qualname__}")
        return message

    if isinstance(channel, hikari.GuildThreadChannel):
        message = channels_pb2.GuildChannel(
            id=channel.id,
            name=channel.name,
            guild_id=channel.guild_id,
            application_id=channel.application_id,
            parent_id=channel.parent_id,
            # Only public threads have flags in hikari; news and private threads leave it unset.
            flags=channel.flags if isinstance(channel, hikari.GuildPublicThread) else None,
        )
        thread = _thread_to_proto(channel)
        if isinstance(channel, hikari.GuildPublicThread):
            message.public_thread.CopyFrom(thread)
        elif isinstance(channel, hikari.GuildNewsThread):
            message.news_thread.CopyFrom(thread)
        elif isinstance(channel, hikari.GuildPrivateThread):
            message.private_thread.CopyFrom(thread)
        else:
            raise TypeError(f"unsupported thread class {type(channel).__qualname__}")
        return message

    raise TypeError(f"unsupported guild channel class {type(channel).__qualname__}")


def channel_from_proto(message: channels_pb2.GuildChannel, /, *, app: hikari.traits.RESTAware) -> hikari.GuildChannel:
    """Convert a GuildChannel message to the hikari class its ``kind`` names."""
    kind = message.WhichOneof("kind")
    if kind is None:
        raise ValueError(f"channel {message.id}: kind is not set")
    return _FROM_PROTO[kind](message, app)


def channel_query_to_proto(query: queries.ChannelQuery, /) -> queries_pb2.ChannelQuery:
    """Convert a channel query to its proto message; filters left None stay unset."""
    return checks.query_message(
        queries_pb2.ChannelQuery,
        "channel",
        dict(
            id=query.id,
            name=query.name,
            type=None if query.type is None else channel_type_to_proto(query.type),
            guild_id=query.guild_id,
            parent_id=query.parent_id,
            position=query.position,
            is_nsfw=query.is_nsfw,
        ),
    )


def _text_into(target: channels_pb2.TextChannel, channel: hikari.GuildTextChannel, /) -> None:
    target.SetInParent()
    if (topic := channel.topic) is not None:
        target.topic = topic
    if (last_message_id := channel.last_message_id) is not None:
        target.last_message_id = last_message_id
    if _too_long(topic) or _negative(last_message_id):
        raise ValueError("text channel cannot be stored")
    _timedelta_into(target.rate_limit_per_user, channel.rate_limit_per_user)
    if (last_pin_timestamp := channel.last_pin_timestamp) is not None:
        _timestamp_into(target.last_pin_timestamp, last_pin_timestamp)
    _timedelta_into(target.default_auto_archive_duration, channel.default_auto_archive_duration)


def _news_into(target: channels_pb2.NewsChannel, channel: hikari.GuildNewsChannel, /) -> None:
    target.SetInParent()
    if (topic := channel.topic) is not None:
        target.topic = topic
    if (last_message_id := channel.last_message_id) is not None:
        target.last_message_id = last_message_id
    if _too_long(topic) or _negative(last_message_id):
        raise ValueError("news channel cannot be stored")
    if (last_pin_timestamp := channel.last_pin_timestamp) is not None:
        _timestamp_into(target.last_pin_timestamp, last_pin_timestamp)
    _timedelta_into(target.default_auto_archive_duration, channel.default_auto_archive_duration)


def _voice_into(
    target: channels_pb2.VoiceChannel, channel: hikari.GuildVoiceChannel | hikari.GuildStageChannel, /
) -> None:
    target.SetInParent()
    if bitrate := channel.bitrate:
        target.bitrate = bitrate
    if (region := channel.region) is not None:
        target.region = region
    if user_limit := channel.user_limit:
        target.user_limit = user_limit
    target.video_quality_mode = common.enum_to_proto(channels_pb2.VideoQualityMode, channel.video_quality_mode)
    if (last_message_id := channel.last_message_id) is not None:
        target.last_message_id = last_message_id
    if _too_long(region) or _negative(last_message_id):
        raise ValueError("voice channel cannot be stored")


def _forum_to_proto(channel: hikari.GuildForumChannel | hikari.GuildMediaChannel, /) -> channels_pb2.ForumChannel:
    if _too_long(channel.topic, channel.default_reaction_emoji_name) or _negative(
        channel.last_thread_id, channel.default_reaction_emoji_id
    ):
        raise ValueError("forum channel cannot be stored")
    tags = []
    for tag in channel.available_tags:
        # ForumTag keeps one private emoji value; its public properties expose which kind it is.
        tag_id, name, emoji_id, emoji_name = tag.id, tag.name, tag.emoji_id, tag.unicode_emoji
        if _negative(tag_id, emoji_id) or _too_long(name, emoji_name):
            raise ValueError("forum tag cannot be stored")
        tags.append(
            channels_pb2.ForumTag(
                id=tag_id, name=name, moderated=tag.moderated, emoji_id=emoji_id, emoji_name=emoji_name
            )
        )
    return channels_pb2.ForumChannel(
        topic=channel.topic,
        last_thread_id=channel.last_thread_id,
        rate_limit_per_user=_timedelta_to_proto(channel.rate_limit_per_user),
        default_thread_rate_limit_per_user=_timedelta_to_proto(channel.default_thread_rate_limit_per_user),
        default_auto_archive_duration=_timedelta_to_proto(channel.default_auto_archive_duration),
        available_tags=tags,
        default_sort_order=common.enum_to_proto(channels_pb2.ForumSortOrder, channel.default_sort_order),
        default_layout=common.enum_to_proto(channels_pb2.ForumLayout, channel.default_layout),
        default_reaction_emoji_id=channel.default_reaction_emoji_id,
        default_reaction_emoji_name=channel.default_reaction_emoji_name,
    )


def _thread_to_proto(channel: hikari.GuildThreadChannel, /) -> channels_pb2.Thread:
    last_pin_timestamp = channel.last_pin_timestamp
    member = channel.member
    metadata = channel.metadata
    created_at = metadata.created_at
    applied_tag_ids = channel.applied_tag_ids if isinstance(channel, hikari.GuildPublicThread) else ()
    if _negative(channel.last_message_id, channel.owner_id, *applied_tag_ids) or (
        member is not None and _negative(member.thread_id, member.user_id)
    ):
        raise ValueError("thread cannot be stored")
    return channels_pb2.Thread(
        last_message_id=channel.last_message_id,
        last_pin_timestamp=None if last_pin_timestamp is None else _timestamp_to_proto(last_pin_timestamp),
        rate_limit_per_user=_timedelta_to_proto(channel.rate_limit_per_user),
        approximate_message_count=channel.approximate_message_count,
        approximate_member_count=channel.approximate_member_count,
        member=None
        if member is None
        else channels_pb2.ThreadMember(
            thread_id=member.thread_id,
            user_id=member.user_id,
            joined_at=_timestamp_to_proto(member.joined_at),
            flags=member.flags,
        ),
        owner_id=channel.owner_id,
        metadata=channels_pb2.ThreadMetadata(
            is_archived=metadata.is_archived,
            is_invitable=metadata.is_invitable,
            auto_archive_duration=_timedelta_to_proto(metadata.auto_archive_duration),
            archive_timestamp=_timestamp_to_proto(metadata.archive_timestamp),
            is_locked=metadata.is_locked,
            created_at=None if created_at is None else _timestamp_to_proto(created_at),
        ),
        applied_tag_ids=applied_tag_ids,
    )


# Every class below is made as new_instance(cls) then its own attrs __init__, with ids, flags and enums
# interned. An optional field whose value is not its proto3 default is set, so HasField (dearer than reading
# the value) is asked only when the value read is the default: `value or ("" if has(...) else None)`.
_Snowflake = hikari.Snowflake
_permission_overwrite_from_proto = common.permission_overwrite_from_proto
_VIDEO_QUALITY_MODES = common.enums_from_proto(hikari.VideoQualityMode)
_FORUM_SORT_ORDERS = common.enums_from_proto(hikari.ForumSortOrderType)
_FORUM_LAYOUTS = common.enums_from_proto(hikari.ForumLayoutType)
_UnicodeEmoji = hikari.UnicodeEmoji
_ForumTag = hikari.ForumTag
_init_forum_tag = _ForumTag.__init__
common.plain_construction(_ForumTag)


def _unicode_emoji_or_empty(name: str, /) -> hikari.UnicodeEmoji | str:
    # The entity factory wraps a non-empty name in UnicodeEmoji and keeps an empty one as it is.
    return _UnicodeEmoji(name) if name else name


def _overwrites_from_proto(message: channels_pb2.GuildChannel, /) -> dict[hikari.Snowflake, hikari.PermissionOverwrite]:
    overwrites: dict[hikari.Snowflake, hikari.PermissionOverwrite] = {}
    for overwrite in message.permission_overwrites:
        made = _permission_overwrite_from_proto(overwrite)
        overwrites[made.id] = made
    return overwrites


_GuildTextChannel = hikari.GuildTextChannel
_init_text = _GuildTextChannel.__init__
_GUILD_TEXT = hikari.ChannelType.GUILD_TEXT


def _text_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildTextChannel:
    has = message.HasField
    text = message.text
    has_text = text.HasField
    instance = _new(_GuildTextChannel)
    _init_text(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if has("name") else None),
        type=_GUILD_TEXT,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if has("application_id") else None,
        parent_id=_SNOWFLAKES[parent] if (parent := message.parent_id) or has("parent_id") else None,
        position=message.position,
        is_nsfw=message.is_nsfw,
        permission_overwrites=_overwrites_from_proto(message),
        flags=_CHANNEL_FLAGS[message.flags],
        topic=text.topic or ("" if has_text("topic") else None),
        last_message_id=_Snowflake(last) if (last := text.last_message_id) or has_text("last_message_id") else None,
        rate_limit_per_user=_timedelta_from_proto(text.rate_limit_per_user),
        last_pin_timestamp=_datetime_from_proto(text.last_pin_timestamp) if has_text("last_pin_timestamp") else None,
        default_auto_archive_duration=_timedelta_from_proto(text.default_auto_archive_duration),
    )
    return instance


_GuildNewsChannel = hikari.GuildNewsChannel
_init_news = _GuildNewsChannel.__init__
_GUILD_NEWS = hikari.ChannelType.GUILD_NEWS


def _news_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildNewsChannel:
    has = message.HasField
    news = message.news
    has_news = news.HasField
    instance = _new(_GuildNewsChannel)
    _init_news(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if has("name") else None),
        type=_GUILD_NEWS,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if has("application_id") else None,
        parent_id=_SNOWFLAKES[parent] if (parent := message.parent_id) or has("parent_id") else None,
        position=message.position,
        is_nsfw=message.is_nsfw,
        permission_overwrites=_overwrites_from_proto(message),
        flags=_CHANNEL_FLAGS[message.flags],
        topic=news.topic or ("" if has_news("topic") else None),
        last_message_id=_Snowflake(last) if (last := news.last_message_id) or has_news("last_message_id") else None,
        last_pin_timestamp=_datetime_from_proto(news.last_pin_timestamp) if has_news("last_pin_timestamp") else None,
        default_auto_archive_duration=_timedelta_from_proto(news.default_auto_archive_duration),
    )
    return instance


_GuildCategory = hikari.GuildCategory
_init_category = _GuildCategory.__init__
_GUILD_CATEGORY = hikari.ChannelType.GUILD_CATEGORY


def _category_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildCategory:
    has = message.HasField
    instance = _new(_GuildCategory)
    _init_category(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if has("name") else None),
        type=_GUILD_CATEGORY,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if has("application_id") else None,
        # hikari types a category's parent_id as always None.
        parent_id=None,
        position=message.position,
        is_nsfw=message.is_nsfw,
        permission_overwrites=_overwrites_from_proto(message),
        flags=_CHANNEL_FLAGS[message.flags],
    )
    return instance


_VoiceLike = typing.TypeVar("_VoiceLike", hikari.GuildVoiceChannel, hikari.GuildStageChannel)


def _voice_like_from_proto(
    message: channels_pb2.GuildChannel,
    app: hikari.traits.RESTAware,
    cls: type[_VoiceLike],
    channel_type: hikari.ChannelType,
    voice: channels_pb2.VoiceChannel,
    /,
) -> _VoiceLike:
    """Build a voice or stage channel: hikari gives both the same fields."""
    has = message.HasField
    has_voice = voice.HasField
    instance = _new(cls)
    cls.__init__(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if has("name") else None),
        type=channel_type,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if has("application_id") else None,
        parent_id=_SNOWFLAKES[parent] if (parent := message.parent_id) or has("parent_id") else None,
        position=message.position,
        is_nsfw=message.is_nsfw,
        permission_overwrites=_overwrites_from_proto(message),
        flags=_CHANNEL_FLAGS[message.flags],
        bitrate=voice.bitrate,
        region=voice.region or ("" if has_voice("region") else None),
        user_limit=voice.user_limit,
        video_quality_mode=_VIDEO_QUALITY_MODES[voice.video_quality_mode],
        last_message_id=_Snowflake(last) if (last := voice.last_message_id) or has_voice("last_message_id") else None,
    )
    return instance


_GuildVoiceChannel = hikari.GuildVoiceChannel
_GUILD_VOICE = hikari.ChannelType.GUILD_VOICE
_GuildStageChannel = hikari.GuildStageChannel
_GUILD_STAGE = hikari.ChannelType.GUILD_STAGE


def _voice_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildVoiceChannel:
    return _voice_like_from_proto(message, app, _GuildVoiceChannel, _GUILD_VOICE, message.voice)


def _stage_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildStageChannel:
    return _voice_like_from_proto(message, app, _GuildStageChannel, _GUILD_STAGE, message.stage)


def _forum_tags_from_proto(forum: channels_pb2.ForumChannel, /) -> list[hikari.ForumTag]:
    tags: list[hikari.ForumTag] = []
    for tag in forum.available_tags:
        emoji_kind = tag.WhichOneof("emoji")
        emoji: hikari.Snowflake | hikari.UnicodeEmoji | str | None
        if emoji_kind == "emoji_id":
            emoji = _Snowflake(tag.emoji_id)
        elif emoji_kind == "emoji_name":
            emoji = _unicode_emoji_or_empty(tag.emoji_name)
        else:
            emoji = None
        made = _new(_ForumTag)
        _init_forum_tag(made, id=_Snowflake(tag.id), name=tag.name, moderated=tag.moderated, emoji=emoji)
        tags.append(made)
    return tags


_ForumLike = typing.TypeVar("_ForumLike", hikari.GuildForumChannel, hikari.GuildMediaChannel)


def _forum_like_from_proto(
    message: channels_pb2.GuildChannel,
    app: hikari.traits.RESTAware,
    cls: type[_ForumLike],
    channel_type: hikari.ChannelType,
    forum: channels_pb2.ForumChannel,
    /,
) -> _ForumLike:
    """Build a forum or media channel: hikari gives both the same fields."""
    has = message.HasField
    has_forum = forum.HasField
    instance = _new(cls)
    cls.__init__(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if has("name") else None),
        type=channel_type,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if has("application_id") else None,
        parent_id=_SNOWFLAKES[parent] if (parent := message.parent_id) or has("parent_id") else None,
        position=message.position,
        is_nsfw=message.is_nsfw,
        permission_overwrites=_overwrites_from_proto(message),
        flags=_CHANNEL_FLAGS[message.flags],
        topic=forum.topic or ("" if has_forum("topic") else None),
        last_thread_id=_Snowflake(last) if (last := forum.last_thread_id) or has_forum("last_thread_id") else None,
        rate_limit_per_user=_timedelta_from_proto(forum.rate_limit_per_user),
        default_thread_rate_limit_per_user=_timedelta_from_proto(forum.default_thread_rate_limit_per_user),
        default_auto_archive_duration=_timedelta_from_proto(forum.default_auto_archive_duration),
        available_tags=_forum_tags_from_proto(forum),
        default_sort_order=_FORUM_SORT_ORDERS[forum.default_sort_order],
        default_layout=_FORUM_LAYOUTS[forum.default_layout],
        default_reaction_emoji_id=_Snowflake(forum.default_reaction_emoji_id)
        if has_forum("default_reaction_emoji_id")
        else None,
        default_reaction_emoji_name=_unicode_emoji_or_empty(forum.default_reaction_emoji_name)
        if has_forum("default_reaction_emoji_name")
        else None,
    )
    return instance


_GuildForumChannel = hikari.GuildForumChannel
_GUILD_FORUM = hikari.ChannelType.GUILD_FORUM
_GuildMediaChannel = hikari.GuildMediaChannel
_GUILD_MEDIA = hikari.ChannelType.GUILD_MEDIA


def _forum_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildForumChannel:
    return _forum_like_from_proto(message, app, _GuildForumChannel, _GUILD_FORUM, message.forum)


def _media_from_proto(message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /) -> hikari.GuildMediaChannel:
    return _forum_like_from_proto(message, app, _GuildMediaChannel, _GUILD_MEDIA, message.media)


_ThreadMember = hikari.ThreadMember
_init_thread_member = _ThreadMember.__init__


def _thread_member_from_proto(thread: channels_pb2.Thread, /) -> hikari.ThreadMember | None:
    if not thread.HasField("member"):
        return None
    member = thread.member
    instance = _new(_ThreadMember)
    _init_thread_member(
        instance,
        thread_id=_Snowflake(member.thread_id),
        user_id=_Snowflake(member.user_id),
        joined_at=_datetime_from_proto(member.joined_at),
        flags=member.flags,
    )
    return instance


_ThreadMetadata = hikari.ThreadMetadata
_init_thread_metadata = _ThreadMetadata.__init__


def _thread_metadata_from_proto(thread: channels_pb2.Thread, /) -> hikari.ThreadMetadata:
    metadata = thread.metadata
    instance = _new(_ThreadMetadata)
    _init_thread_metadata(
        instance,
        is_archived=metadata.is_archived,
        is_invitable=metadata.is_invitable,
        auto_archive_duration=_timedelta_from_proto(metadata.auto_archive_duration),
        archive_timestamp=_datetime_from_proto(metadata.archive_timestamp),
        is_locked=metadata.is_locked,
        created_at=_datetime_from_proto(metadata.created_at) if metadata.HasField("created_at") else None,
    )
    return instance


_Thread = typing.TypeVar("_Thread", hikari.GuildNewsThread, hikari.GuildPublicThread, hikari.GuildPrivateThread)


def _thread_from_proto(
    message: channels_pb2.GuildChannel,
    app: hikari.traits.RESTAware,
    cls: type[_Thread],
    channel_type: hikari.ChannelType,
    thread: channels_pb2.Thread,
    /,
    **extra: typing.Any,
) -> _Thread:
    """Build a thread of any kind from the fields they share, plus ``extra`` ones of its kind."""
    has_thread = thread.HasField
    instance = _new(cls)
    cls.__init__(
        instance,
        app=app,
        id=_Snowflake(message.id),
        name=message.name or ("" if message.HasField("name") else None),
        type=channel_type,
        guild_id=_SNOWFLAKES[message.guild_id],
        application_id=_SNOWFLAKES[message.application_id] if message.HasField("application_id") else None,
        parent_id=_SNOWFLAKES[message.parent_id],
        last_message_id=_Snowflake(last) if (last := thread.last_message_id) or has_thread("last_message_id") else None,
        last_pin_timestamp=_datetime_from_proto(thread.last_pin_timestamp)
        if has_thread("last_pin_timestamp")
        else None,
        rate_limit_per_user=_timedelta_from_proto(thread.rate_limit_per_user),
        approximate_message_count=thread.approximate_message_count,
        approximate_member_count=thread.approximate_member_count,
        member=_thread_member_from_proto(thread),
        owner_id=_Snowflake(thread.owner_id),
        metadata=_thread_metadata_from_proto(thread),
        **extra,
    )
    return instance


_GuildNewsThread = hikari.GuildNewsThread
_GUILD_NEWS_THREAD = hikari.ChannelType.GUILD_NEWS_THREAD
_GuildPublicThread = hikari.GuildPublicThread
_GUILD_PUBLIC_THREAD = hikari.ChannelType.GUILD_PUBLIC_THREAD
_GuildPrivateThread = hikari.GuildPrivateThread
_GUILD_PRIVATE_THREAD = hikari.ChannelType.GUILD_PRIVATE_THREAD


def _news_thread_from_proto(
    message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /
) -> hikari.GuildNewsThread:
    return _thread_from_proto(message, app, _GuildNewsThread, _GUILD_NEWS_THREAD, message.news_thread)


def _public_thread_from_proto(
    message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /
) -> hikari.GuildPublicThread:
    thread = message.public_thread
    return _thread_from_proto(
        message,
        app,
        _GuildPublicThread,
        _GUILD_PUBLIC_THREAD,
        thread,
        applied_tag_ids=[*map(_SNOWFLAKES.__getitem__, thread.applied_tag_ids[:])],
        flags=_CHANNEL_FLAGS[message.flags],
    )


def _private_thread_from_proto(
    message: channels_pb2.GuildChannel, app: hikari.traits.RESTAware, /
) -> hikari.GuildPrivateThread:
    return _thread_from_proto(message, app, _GuildPrivateThread, _GUILD_PRIVATE_THREAD, message.private_thread)


_FROM_PROTO: typing.Final[
    dict[str, typing.Callable[[channels_pb2.GuildChannel, hikari.traits.RESTAware], hikari.GuildChannel]]
] = {
    "text": _text_from_proto,
    "voice": _voice_from_proto,
    "category": _category_from_proto,
    "news": _news_from_proto,
    "stage": _stage_from_proto,
    "forum": _forum_from_proto,
    "media": _media_from_proto,
    "news_thread": _news_thread_from_proto,
    "public_thread": _public_thread_from_proto,
    "private_thread": _private_thread_from_proto,
}
