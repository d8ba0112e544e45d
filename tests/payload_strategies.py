"""Hypothesis strategies of gateway-shaped payloads with extreme and random values in every field.

Each payload is one hikari's entity factory accepts and the server can store: the values run over
the whole range of what each field's Python type holds and Kura keeps (snowflakes to 2^63-1 with
0 for references, 64-bit counts, bitfields to 2^64-1, any Unicode text up to the server's limit,
timestamps in any whole-second UTC offset), with the edges drawn often, and ``None`` apart from
an absent key, ``0``, ``""`` and ``[]``. What cannot be stored is tests/test_unstorable.py's.
"""

from __future__ import annotations

import datetime
import typing

from hypothesis import strategies as st

from hikari_kura.client.convert import checks

JSONObject = dict[str, typing.Any]
MAX_SNOWFLAKE = (1 << 63) - 1
MAX_UINT64 = (1 << 64) - 1
MAX_INT64 = (1 << 63) - 1
MIN_INT64 = -(1 << 63)
MAX_COLOR = 0xFFFFFF
"""hikari.Color refuses anything above 24 bits."""


def _edgy(low: int, high: int, *edges: int) -> st.SearchStrategy[int]:
    """Return integers from ``low`` to ``high``, the edges and the bounds drawn as often as all the rest."""
    picked = sorted({edge for edge in (low, high, 0, 1, 1 << 31, 1 << 53, *edges) if low <= edge <= high})
    return st.one_of(st.sampled_from(picked), st.integers(low, high))


KEYS = _edgy(1, MAX_SNOWFLAKE, (1 << 53) + 1)
"""An object's own id: positive."""
REFERENCES = _edgy(0, MAX_SNOWFLAKE, (1 << 53) + 1)
"""An id of another object: 0 included, as hikari holds it."""
INT64S = _edgy(MIN_INT64, MAX_INT64, -1)
"""Counts, sizes, positions: whatever a 64-bit field holds (hikari keeps them as ints)."""
BITFIELDS = _edgy(0, MAX_UINT64, MAX_INT64, 1 << 63)
COLORS = _edgy(0, MAX_COLOR)
ENUMS = _edgy(-(1 << 31) - 1, (1 << 31) - 2, -1)
"""Discord values of an enum, known or not: they travel as the value plus one in 32 bits."""
SECONDS = _edgy(-checks.MAX_DURATION_SECONDS, checks.MAX_DURATION_SECONDS, 21_600)
MINUTES = _edgy(-checks.MAX_DURATION_SECONDS // 60, checks.MAX_DURATION_SECONDS // 60, 60, 10_080)

TEXTS = st.one_of(
    st.just(""),
    st.text(max_size=24),
    st.text(st.characters(min_codepoint=0x10000), max_size=8),
    st.characters().map(lambda character: character * checks.MAX_TEXT),
)
"""Any Unicode (astral planes, right-to-left, NUL included), empty, or exactly the server's longest."""
HASHES = st.one_of(st.just(""), st.text("0123456789abcdef_a", min_size=1, max_size=34), TEXTS)

_OFFSETS = st.one_of(st.sampled_from([0, 19_800, -25_200, 86_399, -86_399]), st.integers(-86_399, 86_399)).map(
    lambda seconds: datetime.timezone(datetime.timedelta(seconds=seconds))
)
_LOCAL_TIMES = st.datetimes(datetime.datetime(1, 1, 2), datetime.datetime(9999, 12, 30, 23, 59, 59, 999_999))
_EDGE_TIMES = [
    datetime.datetime.min.replace(tzinfo=datetime.UTC),
    datetime.datetime.max.replace(tzinfo=datetime.UTC),
    datetime.datetime(1, 1, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=-12))),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=datetime.timezone(datetime.timedelta(hours=23))),
    datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC),
]
DATETIMES = st.one_of(
    st.sampled_from(_EDGE_TIMES),
    st.builds(lambda local, tz: local.replace(tzinfo=tz), _LOCAL_TIMES, _OFFSETS),
)
"""Aware datetimes whose instant a Timestamp holds, in any whole-second UTC offset."""
TIMESTAMPS = DATETIMES.map(datetime.datetime.isoformat)
"""Timestamps as Discord's ISO 8601 strings."""
UNIX_SECONDS = _edgy(checks.MIN_SECONDS, checks.MAX_SECONDS, -1)


def snowflake(ids: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """Return snowflakes as Discord sends them: decimal strings."""
    return ids.map(str)


def _nullable(strategy: st.SearchStrategy[typing.Any]) -> st.SearchStrategy[typing.Any]:
    return st.one_of(st.none(), strategy)


def _payload(
    required: dict[str, st.SearchStrategy[typing.Any]], optional: dict[str, st.SearchStrategy[typing.Any]]
) -> st.SearchStrategy[JSONObject]:
    """Return objects with every ``required`` key and any of the ``optional`` ones (absent is not null)."""
    return st.fixed_dictionaries(required, optional=optional)


def overwrites() -> st.SearchStrategy[list[JSONObject]]:
    """Return permission overwrites with distinct targets, of known and unknown kinds."""
    overwrite = _payload(
        {
            "type": st.one_of(st.sampled_from([0, 1]), ENUMS),
            "allow": BITFIELDS.map(str),
            "deny": BITFIELDS.map(str),
        },
        {},
    )
    return st.lists(st.tuples(REFERENCES, overwrite), max_size=3, unique_by=lambda pair: pair[0]).map(
        lambda pairs: [{"id": str(target), **fields} for target, fields in pairs]
    )


def _tags() -> st.SearchStrategy[list[JSONObject]]:
    # Discord sends one of emoji_id and emoji_name; hikari keeps the id when both come.
    tag = st.fixed_dictionaries(
        {
            "id": snowflake(REFERENCES),
            "name": TEXTS,
            "moderated": st.booleans(),
            "emoji_id": _nullable(snowflake(REFERENCES)),
            "emoji_name": _nullable(TEXTS),
        }
    )
    return st.lists(tag, max_size=3)


_CHANNEL_COMMON: typing.Final = {
    "name": _nullable(TEXTS),
    "position": INT64S,
    "permission_overwrites": overwrites(),
}
_CHANNEL_OPTIONAL: typing.Final = {
    "parent_id": _nullable(snowflake(REFERENCES)),
    "application_id": _nullable(snowflake(REFERENCES)),
    "nsfw": st.booleans(),
    "flags": BITFIELDS,
}


def channel(channel_type: int, channel_id: int) -> st.SearchStrategy[JSONObject]:
    """Return a guild channel of a Discord channel type (0, 2, 4, 5, 13, 15 or 16) as GUILD_CREATE holds it."""
    required: dict[str, st.SearchStrategy[typing.Any]] = {
        "id": st.just(str(channel_id)),
        "type": st.just(channel_type),
        **_CHANNEL_COMMON,
    }
    optional: dict[str, st.SearchStrategy[typing.Any]] = dict(_CHANNEL_OPTIONAL)
    if channel_type in (0, 5):
        required["topic"] = _nullable(TEXTS)
        optional |= {
            "last_message_id": _nullable(snowflake(REFERENCES)),
            "last_pin_timestamp": _nullable(TIMESTAMPS),
            "default_auto_archive_duration": MINUTES,
        }
        if channel_type == 0:
            optional["rate_limit_per_user"] = SECONDS
    elif channel_type in (2, 13):
        required |= {"bitrate": INT64S, "user_limit": INT64S}
        optional |= {"video_quality_mode": ENUMS, "last_message_id": _nullable(snowflake(REFERENCES))}
        if channel_type == 13:
            required["rtc_region"] = _nullable(TEXTS)
        else:
            optional["rtc_region"] = _nullable(TEXTS)
    elif channel_type in (15, 16):
        required["topic"] = _nullable(TEXTS)
        optional |= {
            "last_message_id": _nullable(snowflake(REFERENCES)),  # the id of its last thread
            "rate_limit_per_user": SECONDS,
            "default_thread_rate_limit_per_user": SECONDS,
            "default_auto_archive_duration": MINUTES,
            "available_tags": _tags(),
            "default_sort_order": _nullable(ENUMS),
            "default_forum_layout": ENUMS,
            "default_reaction_emoji": _nullable(
                st.fixed_dictionaries({"emoji_id": _nullable(snowflake(REFERENCES)), "emoji_name": _nullable(TEXTS)})
            ),
        }
    return _payload(required, optional)


def thread(thread_type: int, thread_id: int, parent_id: int, *, member_user_id: int) -> st.SearchStrategy[JSONObject]:
    """Return a thread (10, 11 or 12) as GUILD_CREATE holds it, with or without the bot's thread member."""
    metadata = _payload(
        {
            "archived": st.booleans(),
            "auto_archive_duration": MINUTES,
            "archive_timestamp": TIMESTAMPS,
            "locked": st.booleans(),
        },
        {"invitable": st.booleans(), "create_timestamp": _nullable(TIMESTAMPS)},
    )
    member = st.fixed_dictionaries(
        {
            "id": st.just(str(thread_id)),
            "user_id": st.just(str(member_user_id)),
            "join_timestamp": TIMESTAMPS,
            "flags": BITFIELDS,
        }
    )
    optional: dict[str, st.SearchStrategy[typing.Any]] = {
        "name": _nullable(TEXTS),
        "application_id": _nullable(snowflake(REFERENCES)),
        "last_message_id": _nullable(snowflake(REFERENCES)),
        "last_pin_timestamp": _nullable(TIMESTAMPS),
        "rate_limit_per_user": SECONDS,
        "member": _nullable(member),
    }
    if thread_type == 11:
        optional |= {"applied_tags": st.lists(snowflake(REFERENCES), max_size=3), "flags": BITFIELDS}
    return _payload(
        {
            "id": st.just(str(thread_id)),
            "type": st.just(thread_type),
            "parent_id": st.just(str(parent_id)),
            "owner_id": snowflake(REFERENCES),
            "message_count": INT64S,
            "member_count": INT64S,
            "thread_metadata": metadata,
        },
        optional,
    )


def _avatar_decoration() -> st.SearchStrategy[JSONObject | None]:
    return _nullable(
        _payload(
            {"asset": HASHES, "sku_id": snowflake(REFERENCES)},
            {"expires_at": _nullable(UNIX_SECONDS)},
        )
    )


def user(user_id: int) -> st.SearchStrategy[JSONObject]:
    """Return a user object, every optional part present or not."""
    primary_guild = _nullable(
        _payload(
            {},
            {
                "identity_guild_id": _nullable(snowflake(REFERENCES)),
                "identity_enabled": _nullable(st.booleans()),
                "tag": _nullable(TEXTS),
                "badge": _nullable(HASHES),
            },
        )
    )
    return _payload(
        {
            "id": st.just(str(user_id)),
            "username": TEXTS,
            "discriminator": st.one_of(st.just("0"), TEXTS),
            "avatar": _nullable(HASHES),
        },
        {
            "global_name": _nullable(TEXTS),
            "banner": _nullable(HASHES),
            "accent_color": _nullable(COLORS),
            "bot": st.booleans(),
            "system": st.booleans(),
            "public_flags": BITFIELDS,
            "avatar_decoration_data": _avatar_decoration(),
            "primary_guild": primary_guild,
        },
    )


def member(user_id: int, role_ids: st.SearchStrategy[list[int]]) -> st.SearchStrategy[JSONObject]:
    """Return a guild member as GUILD_CREATE holds it: ``deaf``, ``mute`` and ``pending`` may be absent."""
    return _payload(
        {
            "user": user(user_id),
            "roles": role_ids.map(lambda ids: [str(role_id) for role_id in ids]),
            "joined_at": _nullable(TIMESTAMPS),
        },
        {
            "nick": _nullable(TEXTS),
            "avatar": _nullable(HASHES),
            "banner": _nullable(HASHES),
            "premium_since": _nullable(TIMESTAMPS),
            "deaf": st.booleans(),
            "mute": st.booleans(),
            "pending": st.booleans(),
            "flags": BITFIELDS,
            "communication_disabled_until": _nullable(TIMESTAMPS),
            "avatar_decoration_data": _avatar_decoration(),
        },
    )


def role(role_id: int) -> st.SearchStrategy[JSONObject]:
    """Return a role, with or without its tags (present-with-null booleans, as Discord sends them) and colours."""
    tags = _payload(
        {},
        {
            "bot_id": snowflake(REFERENCES),
            "integration_id": snowflake(REFERENCES),
            "subscription_listing_id": snowflake(REFERENCES),
            "premium_subscriber": st.none(),
            "available_for_purchase": st.none(),
            "guild_connections": st.none(),
        },
    )
    colors = _payload(
        {"primary_color": COLORS}, {"secondary_color": _nullable(COLORS), "tertiary_color": _nullable(COLORS)}
    )
    return _payload(
        {
            "id": st.just(str(role_id)),
            "name": TEXTS,
            "color": COLORS,
            "hoist": st.booleans(),
            "position": INT64S,
            "permissions": BITFIELDS.map(str),
            "managed": st.booleans(),
            "mentionable": st.booleans(),
        },
        {
            "icon": _nullable(HASHES),
            "unicode_emoji": _nullable(TEXTS),
            "tags": tags,
            "colors": colors,
            "flags": BITFIELDS,
        },
    )


_INCIDENTS: typing.Final = _nullable(
    _payload(
        {},
        {
            "invites_disabled_until": _nullable(TIMESTAMPS),
            "dms_disabled_until": _nullable(TIMESTAMPS),
            "dm_spam_detected_at": _nullable(TIMESTAMPS),
            "raid_detected_at": _nullable(TIMESTAMPS),
        },
    )
)
_CHANNEL_TYPES: typing.Final = (0, 2, 4, 5, 13, 15, 16)
_THREAD_TYPES: typing.Final = (10, 11, 12)


@st.composite
def guild_create(draw: st.DrawFn, *, bot_user_id: int) -> JSONObject:
    """Return a GUILD_CREATE payload: every guild field drawn, and channels, threads, roles and members of it."""
    guild_id = draw(KEYS)
    # Channels and threads share one key space; roles and members have their own.
    channel_kinds = draw(st.lists(st.sampled_from(_CHANNEL_TYPES), max_size=4))
    thread_kinds = draw(st.lists(st.sampled_from(_THREAD_TYPES), max_size=3))
    channel_ids = draw(
        st.lists(
            KEYS,
            min_size=len(channel_kinds) + len(thread_kinds),
            unique=True,
            max_size=len(channel_kinds) + len(thread_kinds),
        )
    )
    channels = [draw(channel(kind, channel_id)) for kind, channel_id in zip(channel_kinds, channel_ids, strict=False)]
    threads = [
        draw(thread(kind, thread_id, draw(REFERENCES), member_user_id=bot_user_id))
        for kind, thread_id in zip(thread_kinds, channel_ids[len(channel_kinds) :], strict=True)
    ]
    role_ids = draw(st.lists(KEYS, max_size=3, unique=True))
    roles = [draw(role(role_id)) for role_id in role_ids]
    user_ids = draw(st.lists(KEYS, max_size=3, unique=True))
    held = st.lists(st.one_of(st.sampled_from(role_ids), REFERENCES) if role_ids else REFERENCES, max_size=3)
    members = [draw(member(user_id, held)) for user_id in user_ids]
    guild = draw(
        _payload(
            {
                "name": TEXTS,
                "icon": _nullable(HASHES),
                "splash": _nullable(HASHES),
                "owner_id": snowflake(REFERENCES),
                "afk_channel_id": _nullable(snowflake(REFERENCES)),
                "afk_timeout": SECONDS,
                "verification_level": ENUMS,
                "default_message_notifications": ENUMS,
                "explicit_content_filter": ENUMS,
                "features": st.lists(TEXTS, max_size=3),
                "mfa_level": ENUMS,
                "application_id": _nullable(snowflake(REFERENCES)),
                "system_channel_id": _nullable(snowflake(REFERENCES)),
                "system_channel_flags": BITFIELDS,
                "rules_channel_id": _nullable(snowflake(REFERENCES)),
                "vanity_url_code": _nullable(TEXTS),
                "description": _nullable(TEXTS),
                "banner": _nullable(HASHES),
                "premium_tier": ENUMS,
                "preferred_locale": st.one_of(st.sampled_from(["en-US", "ja", "pt-BR"]), TEXTS),
                "public_updates_channel_id": _nullable(snowflake(REFERENCES)),
                "nsfw_level": ENUMS,
            },
            {
                "discovery_splash": _nullable(HASHES),
                "widget_enabled": _nullable(st.booleans()),
                "widget_channel_id": _nullable(snowflake(REFERENCES)),
                "max_video_channel_users": INT64S,
                "premium_subscription_count": _nullable(INT64S),
                "incidents_data": _INCIDENTS,
                "large": st.booleans(),
                "joined_at": TIMESTAMPS,
                "member_count": INT64S,
            },
        )
    )
    return {
        **guild,
        "id": str(guild_id),
        "emojis": [],
        "stickers": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "unavailable": False,
        "roles": roles,
        "channels": channels,
        "threads": threads,
        "members": members,
    }
