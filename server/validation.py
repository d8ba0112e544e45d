"""Check requests at the edge, before anything is queued, naming the first malformed field.

Only what the storage relies on, or what is malformed by any reading, is checked:
ids positive, required messages present, text within bounds. Everything else is
stored as sent, so the cache never second-guesses what Discord sends.
"""

from __future__ import annotations

import typing

from hikari_kura.server import errors
from hikari_kura.v1 import cache_service_pb2, channels_pb2, common_pb2, guilds_pb2, members_pb2, roles_pb2

MAX_TEXT: typing.Final = 8192
"""Longest text field accepted, in characters: far above Discord's own limits (4,096 for topics)."""


def snowflake(value: int, field: str) -> None:
    """Refuse an id that is not a positive 64-bit integer."""
    if value <= 0:
        raise errors.InvalidArgument(field, "must be a positive snowflake")


def _optional_snowflake(message: typing.Any, name: str, path: str) -> None:
    if message.HasField(name):
        snowflake(getattr(message, name), f"{path}.{name}")


def _text(value: str, field: str) -> None:
    if len(value) > MAX_TEXT:
        raise errors.InvalidArgument(field, f"must be at most {MAX_TEXT} characters")


def _required(message: typing.Any, name: str, path: str) -> None:
    if not message.HasField(name):
        raise errors.InvalidArgument(f"{path}.{name}", "is required")


def _overwrites(overwrites: typing.Iterable[common_pb2.PermissionOverwrite], path: str) -> None:
    for index, overwrite in enumerate(overwrites):
        snowflake(overwrite.id, f"{path}.permission_overwrites[{index}].id")


def guild(message: guilds_pb2.Guild, path: str) -> None:
    """Refuse a malformed guild."""
    snowflake(message.id, f"{path}.id")
    snowflake(message.owner_id, f"{path}.owner_id")
    _text(message.name, f"{path}.name")
    _text(message.description, f"{path}.description")
    for name in (
        "application_id",
        "afk_channel_id",
        "public_updates_channel_id",
        "rules_channel_id",
        "system_channel_id",
        "widget_channel_id",
    ):
        _optional_snowflake(message, name, path)


def channel(message: channels_pb2.GuildChannel, path: str) -> None:
    """Refuse a malformed channel or thread."""
    snowflake(message.id, f"{path}.id")
    snowflake(message.guild_id, f"{path}.guild_id")
    _optional_snowflake(message, "parent_id", path)
    _optional_snowflake(message, "application_id", path)
    _text(message.name, f"{path}.name")
    kind = message.WhichOneof("kind")
    if kind is None:
        raise errors.InvalidArgument(
            f"{path}.kind",
            "is required: one of text, voice, category, news, stage, "
            "forum, media, news_thread, public_thread, private_thread",
        )
    _overwrites(message.permission_overwrites, path)
    if kind.endswith("_thread"):
        thread = getattr(message, kind)
        _required(message, "parent_id", path)
        snowflake(thread.owner_id, f"{path}.{kind}.owner_id")
        _required(thread, "metadata", f"{path}.{kind}")
    elif kind in ("text", "news", "forum", "media"):
        _text(getattr(message, kind).topic, f"{path}.{kind}.topic")


def member(message: members_pb2.Member, path: str) -> None:
    """Refuse a malformed member."""
    snowflake(message.guild_id, f"{path}.guild_id")
    _required(message, "user", path)
    snowflake(message.user.id, f"{path}.user.id")
    _text(message.user.username, f"{path}.user.username")
    _text(message.nickname, f"{path}.nickname")
    for index, role_id in enumerate(message.role_ids):
        snowflake(role_id, f"{path}.role_ids[{index}]")


def role(message: roles_pb2.Role, path: str) -> None:
    """Refuse a malformed role."""
    snowflake(message.id, f"{path}.id")
    snowflake(message.guild_id, f"{path}.guild_id")
    _text(message.name, f"{path}.name")
    for name in ("bot_id", "integration_id", "subscription_listing_id"):
        _optional_snowflake(message, name, path)


def prune(message: cache_service_pb2.PruneRequest) -> None:
    """Refuse a prune whose shard scope is inconsistent."""
    if message.HasField("shard_id") != message.HasField("shard_count"):
        raise errors.InvalidArgument("shard_id", "shard_id and shard_count go together")
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
