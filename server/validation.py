"""Check requests at the edge, before anything is queued, naming the first malformed field.

Only what the storage relies on, or what is malformed by any reading, is checked:
keys positive (an object's id, the guild_id of what a guild holds), ids that refer to
another object not negative (0 is a snowflake hikari holds), required messages present,
text within bounds, times and durations that a reader can represent. Everything else is
stored as sent, so the cache never second-guesses what Discord sends.
"""

from __future__ import annotations

import functools
import typing

from google.protobuf import descriptor, duration_pb2, message

from hikari_kura.server import errors
from hikari_kura.v1 import cache_service_pb2, channels_pb2, common_pb2, guilds_pb2, members_pb2, roles_pb2

MAX_TEXT: typing.Final = 8192
"""Longest text field accepted, in characters: far above Discord's own limits (4,096 for topics)."""
MIN_SECONDS: typing.Final = -62_135_596_800
"""0001-01-01T00:00:00Z in seconds from the epoch: the earliest instant a Timestamp (and a datetime) holds."""
MAX_SECONDS: typing.Final = 253_402_300_799
"""9999-12-31T23:59:59Z in seconds from the epoch: the latest instant a Timestamp (and a datetime) holds."""
MAX_UTC_OFFSET: typing.Final = 86_399
"""Largest UTC offset in seconds, either way: a time zone is less than a day off UTC."""
MAX_DURATION_SECONDS: typing.Final = 315_576_000_000
"""Longest Duration, either way, in seconds (10,000 years), as protobuf defines it."""
_NANOS: typing.Final = 1_000_000_000


def snowflake(value: int, field: str) -> None:
    """Refuse a key that is not a positive 64-bit integer."""
    if value <= 0:
        raise errors.InvalidArgument(field, "must be a positive snowflake")


def reference(value: int, field: str) -> None:
    """Refuse an id referring to another object that is negative: snowflakes run from 0 to 2^63-1."""
    if value < 0:
        raise errors.InvalidArgument(field, "must be a snowflake from 0 to 2^63-1")


def _references(message: typing.Any, path: str, *names: str) -> None:
    """Refuse a negative reference among the fields ``names`` of ``message`` (an unset one reads 0)."""
    for name in names:
        reference(getattr(message, name), f"{path}.{name}")


def _texts(value: message.Message, path: str) -> None:
    """Refuse any text field, at any depth, longer than ``MAX_TEXT`` characters."""
    if value.ByteSize() <= MAX_TEXT:
        return  # no text inside can be longer than the whole message
    for field, content in value.ListFields():
        name = f"{path}.{field.name}"
        items = list(enumerate(content)) if field.is_repeated else [(None, content)]
        for index, item in items:
            at = name if index is None else f"{name}[{index}]"
            if field.type == descriptor.FieldDescriptor.TYPE_STRING and len(item) > MAX_TEXT:
                raise errors.InvalidArgument(at, f"must be at most {MAX_TEXT} characters")
            if field.type == descriptor.FieldDescriptor.TYPE_MESSAGE:
                _texts(item, at)


_Problem: typing.TypeAlias = "tuple[str, str] | None"
"""A malformed field below a message, as (its path relative to the message, why), or None."""


def _datetime_problem(value: common_pb2.DateTime) -> _Problem:
    instant = value.instant
    seconds, offset = instant.seconds, value.utc_offset_seconds
    if not 0 <= instant.nanos < _NANOS:
        return ".instant.nanos", f"must be at least 0 and below {_NANOS}"
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return ".instant", "must be between 0001-01-01 and 9999-12-31"
    if not -MAX_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
        return ".utc_offset_seconds", f"must be between -{MAX_UTC_OFFSET} and {MAX_UTC_OFFSET} (less than a day)"
    if not MIN_SECONDS <= seconds + offset <= MAX_SECONDS:
        return "", "local time must be between 0001-01-01 and 9999-12-31"
    return None


def _duration_problem(value: duration_pb2.Duration) -> _Problem:
    seconds, nanos = value.seconds, value.nanos
    if not -MAX_DURATION_SECONDS <= seconds <= MAX_DURATION_SECONDS:
        return ".seconds", f"must be between -{MAX_DURATION_SECONDS} and {MAX_DURATION_SECONDS}"
    if not -_NANOS < nanos < _NANOS or (seconds < 0 < nanos) or (nanos < 0 < seconds):
        return ".nanos", "must be below one second and of the same sign as seconds"
    return None


@functools.cache
def _time_fields(
    message_type: descriptor.Descriptor,
) -> tuple[tuple[str, typing.Callable[[typing.Any], _Problem], bool], ...]:
    """Return ``(name, check, repeated)`` of the fields that hold, at any depth, a DateTime or a Duration."""
    found: list[tuple[str, typing.Callable[[typing.Any], _Problem], bool]] = []
    for field in message_type.fields:
        sub = field.message_type
        if sub is None:
            continue
        if sub.full_name == common_pb2.DateTime.DESCRIPTOR.full_name:
            found.append((field.name, _datetime_problem, field.is_repeated))
        elif sub.full_name == duration_pb2.Duration.DESCRIPTOR.full_name:
            found.append((field.name, _duration_problem, field.is_repeated))
        elif _time_fields(sub):
            found.append((field.name, _time_problem, field.is_repeated))
    return tuple(found)


def _time_problem(value: message.Message) -> _Problem:
    """Return the first time or duration, at any depth, that readers cannot represent."""
    for name, check, repeated in _time_fields(value.DESCRIPTOR):
        if repeated:
            for index, item in enumerate(getattr(value, name)):
                problem = check(item)
                if problem is not None:
                    return f".{name}[{index}]{problem[0]}", problem[1]
        elif value.HasField(name):
            problem = check(getattr(value, name))
            if problem is not None:
                return f".{name}{problem[0]}", problem[1]
    return None


def _contents(value: message.Message, path: str) -> None:
    """Refuse oversized text and unrepresentable times or durations anywhere in the message."""
    _texts(value, path)
    problem = _time_problem(value)
    if problem is not None:
        raise errors.InvalidArgument(f"{path}{problem[0]}", problem[1])


def _required(message: typing.Any, name: str, path: str) -> None:
    if not message.HasField(name):
        raise errors.InvalidArgument(f"{path}.{name}", "is required")


def _overwrites(overwrites: typing.Iterable[common_pb2.PermissionOverwrite], path: str) -> None:
    for index, overwrite in enumerate(overwrites):
        reference(overwrite.id, f"{path}.permission_overwrites[{index}].id")


def _decoration(message: typing.Any, name: str, path: str) -> None:
    if message.HasField(name):
        reference(getattr(message, name).sku_id, f"{path}.{name}.sku_id")


def guild(message: guilds_pb2.Guild, path: str) -> None:
    """Refuse a malformed guild."""
    snowflake(message.id, f"{path}.id")
    _references(
        message,
        path,
        "owner_id",
        "application_id",
        "afk_channel_id",
        "public_updates_channel_id",
        "rules_channel_id",
        "system_channel_id",
        "widget_channel_id",
    )
    _contents(message, path)


def channel(message: channels_pb2.GuildChannel, path: str) -> None:
    """Refuse a malformed channel or thread."""
    snowflake(message.id, f"{path}.id")
    snowflake(message.guild_id, f"{path}.guild_id")
    _references(message, path, "parent_id", "application_id")
    kind = message.WhichOneof("kind")
    if kind is None:
        raise errors.InvalidArgument(
            f"{path}.kind",
            "is required: one of text, voice, category, news, stage, "
            "forum, media, news_thread, public_thread, private_thread",
        )
    _overwrites(message.permission_overwrites, path)
    fields = getattr(message, kind)
    at = f"{path}.{kind}"
    if kind.endswith("_thread"):
        _required(message, "parent_id", path)
        _required(fields, "metadata", at)
        _references(fields, at, "owner_id", "last_message_id")
        _references(fields.member, f"{at}.member", "thread_id", "user_id")
        for index, tag_id in enumerate(fields.applied_tag_ids):
            reference(tag_id, f"{at}.applied_tag_ids[{index}]")
    elif kind in ("text", "news", "voice", "stage"):
        _references(fields, at, "last_message_id")
    elif kind in ("forum", "media"):
        _references(fields, at, "last_thread_id", "default_reaction_emoji_id")
        for index, tag in enumerate(fields.available_tags):
            _references(tag, f"{at}.available_tags[{index}]", "id", "emoji_id")
    _contents(message, path)


# _member_valid checks these by name: a time field added to Member or User must be added there too.
if {name for name, _, _ in _time_fields(members_pb2.Member.DESCRIPTOR)} != {
    "user",
    "joined_at",
    "premium_since",
    "raw_communication_disabled_until",
    "guild_avatar_decoration",
} or {name for name, _, _ in _time_fields(members_pb2.User.DESCRIPTOR)} != {"avatar_decoration"}:
    raise RuntimeError("the time fields of Member or User changed: update validation._member_valid")


def _member_valid(message: members_pb2.Member) -> bool:
    """Tell, without naming fields, that ``member`` refuses nothing: False sends it to name the first problem.

    Cheaper than the checks that name a field: no paths, no generic walk. An unset message field reads as
    its zero value, which passes every check here, so a field is asked about (HasField) only where reading
    an unset one would cost more than asking: optional messages that are usually unset.
    """
    user = message.user  # unset: its id reads 0 and fails below, as "is required" will
    if message.guild_id <= 0 or user.id <= 0:
        return False
    if user.HasField("primary_guild") and user.primary_guild.identity_guild_id < 0:
        return False
    role_ids = message.role_ids[:]
    if role_ids and min(role_ids) < 0:
        return False
    # No text inside can be longer than the whole message (the check _texts starts with).
    if message.ByteSize() > MAX_TEXT:
        return False
    # joined_at is nearly always set; unset, it reads as the epoch, which is valid.
    return (
        _datetime_problem(message.joined_at) is None
        and not (message.HasField("premium_since") and _datetime_problem(message.premium_since))
        and not (
            message.HasField("raw_communication_disabled_until")
            and _datetime_problem(message.raw_communication_disabled_until)
        )
        and not (message.HasField("guild_avatar_decoration") and _decoration_problem(message.guild_avatar_decoration))
        and not (user.HasField("avatar_decoration") and _decoration_problem(user.avatar_decoration))
    )


def _decoration_problem(decoration: common_pb2.AvatarDecoration) -> bool:
    return decoration.sku_id < 0 or _time_problem(decoration) is not None


def member(message: members_pb2.Member, path: str) -> None:
    """Refuse a malformed member."""
    if _member_valid(message):
        return  # a valid member, the common case, costs no field paths
    snowflake(message.guild_id, f"{path}.guild_id")
    _required(message, "user", path)
    snowflake(message.user.id, f"{path}.user.id")
    _references(message.user.primary_guild, f"{path}.user.primary_guild", "identity_guild_id")
    _decoration(message.user, "avatar_decoration", f"{path}.user")
    _decoration(message, "guild_avatar_decoration", path)
    for index, role_id in enumerate(message.role_ids):
        reference(role_id, f"{path}.role_ids[{index}]")
    _contents(message, path)


def role(message: roles_pb2.Role, path: str) -> None:
    """Refuse a malformed role."""
    snowflake(message.id, f"{path}.id")
    snowflake(message.guild_id, f"{path}.guild_id")
    _references(message, path, "bot_id", "integration_id", "subscription_listing_id")
    _contents(message, path)


def prune(message: cache_service_pb2.PruneRequest) -> None:
    """Refuse a prune whose shard scope is inconsistent."""
    if message.HasField("shard_id") and not message.HasField("shard_count"):
        raise errors.InvalidArgument("shard_count", "is required when shard_id is set")
    if message.HasField("shard_count") and not message.HasField("shard_id"):
        raise errors.InvalidArgument("shard_id", "is required when shard_count is set")
    if message.HasField("shard_count"):
        if message.shard_count <= 0:
            raise errors.InvalidArgument("shard_count", "must be positive")
        if not 0 <= message.shard_id < message.shard_count:
            raise errors.InvalidArgument("shard_id", "must be at least 0 and below shard_count")


def batch(batch_size: int, limit: int) -> None:
    """Refuse a negative batch size or limit of an iter request."""
    if batch_size < 0:
        raise errors.InvalidArgument("batch_size", "must not be negative")
    if limit < 0:
        raise errors.InvalidArgument("limit", "must not be negative")
