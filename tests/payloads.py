"""Gateway-shaped JSON payloads as Discord sends them, and the hikari entities its factory makes of them.

Entities in tests come from ``app.entity_factory`` fed these payloads, never hand-built, so they
carry exactly the types and values hikari gives a bot.
"""

from __future__ import annotations

import base64
import copy
import typing

import hikari
from hikari.api import entity_factory

JSONObject = dict[str, typing.Any]

BOT_USER_ID = 115_590_097_100_865_541
"""The id of the bot user: thread members in GUILD_CREATE are the bot's own memberships."""

GUILD_ID = 81_384_788_765_712_384
OWNER_ID = 80_351_110_224_678_912
APPLICATION_ID = 159_800_228_088_774_656

ROLE_ADMIN_ID = 41_771_983_423_143_936
ROLE_BOT_ID = 41_771_983_423_143_937
ROLE_BOOSTER_ID = 41_771_983_423_143_938

CATEGORY_ID = 399_942_396_007_890_945
TEXT_ID = 399_942_396_007_890_946
VOICE_ID = 399_942_396_007_890_947
NEWS_ID = 399_942_396_007_890_948
STAGE_ID = 399_942_396_007_890_949
FORUM_ID = 399_942_396_007_890_950
MEDIA_ID = 399_942_396_007_890_951
NEWS_THREAD_ID = 399_942_396_007_890_960
PUBLIC_THREAD_ID = 399_942_396_007_890_961
PRIVATE_THREAD_ID = 399_942_396_007_890_962

MAX_SNOWFLAKE = 2**63 - 1
"""The largest snowflake a signed 64-bit field holds."""

HIGH_PERMISSIONS = (1 << 63) | (1 << 51) | (1 << 50) | 8
"""Permission bits above 2^50, including the top bit of an unsigned 64-bit field."""

OMIT = object()
"""An override value that removes the key from a payload (absent, as opposed to null)."""


def _apply(payload: JSONObject, overrides: typing.Mapping[str, object]) -> JSONObject:
    for key, value in overrides.items():
        if value is OMIT:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def user_payload(user_id: int, /, **overrides: object) -> JSONObject:
    """Build a user object with every field set, then apply ``overrides`` (OMIT drops a key)."""
    payload: JSONObject = {
        "id": str(user_id),
        "username": f"user{user_id % 10_000}",
        "discriminator": "0",
        "global_name": "Global Name",
        "avatar": "a_d5efa99b3eeaa7dd43acca82f5692432",
        "banner": "06c16474723fe537c283b8efa61a30c8",
        "accent_color": 16_711_680,
        "bot": False,
        "system": False,
        "public_flags": 64 | 1 << 22,
        "avatar_decoration_data": {
            "asset": "a_fed43ab12698df65902ba06727e20c0e",
            "sku_id": "1144058844004233369",
            "expires_at": 1_767_225_600,
        },
        "primary_guild": {
            "identity_guild_id": str(GUILD_ID),
            "identity_enabled": True,
            "tag": "KURA",
            "badge": "1f5b4b0b5b4b0b5b4b0b5b4b0b5b4b0b",
        },
    }
    return _apply(payload, overrides)


def member_payload(
    user_id: int, /, *, user: typing.Mapping[str, object] | None = None, **overrides: object
) -> JSONObject:
    """Build a guild member object (as in GUILD_CREATE) with its user; ``user`` overrides the user's keys."""
    payload: JSONObject = {
        "user": user_payload(user_id, **(user or {})),
        "nick": "Nickname",
        "avatar": "b2a6536641da91a0b59bd66557c56c36",
        "banner": "0e3e7e21a1a5b7a1d3a0c5f1b8b2e7c4",
        "roles": [str(ROLE_ADMIN_ID), str(ROLE_BOOSTER_ID)],
        "joined_at": "2015-04-26T06:26:56.936000+00:00",
        "premium_since": "2019-05-17T19:55:11.123456+00:00",
        "deaf": False,
        "mute": True,
        "flags": 1 | 2,
        "pending": False,
        "communication_disabled_until": "2031-01-01T00:00:00.000001+00:00",
        "avatar_decoration_data": {
            "asset": "a_0e3e7e21a1a5b7a1d3a0c5f1b8b2e7c4",
            "sku_id": "1144058844004233370",
            "expires_at": None,
        },
    }
    return _apply(payload, overrides)


def role_payload(role_id: int, /, **overrides: object) -> JSONObject:
    """Build a role object with every field set, tags included, then apply ``overrides``."""
    payload: JSONObject = {
        "id": str(role_id),
        "name": "Role",
        "color": 3_447_003,
        "colors": {"primary_color": 3_447_003, "secondary_color": 15_844_367, "tertiary_color": None},
        "hoist": True,
        "icon": "9f4f6d8c2e1a0b3c5d7e9f1a2b3c4d5e",
        "unicode_emoji": "\U0001f600",
        "position": 3,
        "permissions": str(1 << 3 | 1 << 10),
        "managed": False,
        "mentionable": True,
        "flags": 0,
        # Discord marks boolean tags by presence with a null value.
        "tags": {
            "bot_id": str(BOT_USER_ID),
            "integration_id": "1000000000000000001",
            "premium_subscriber": None,
            "subscription_listing_id": "1000000000000000002",
            "available_for_purchase": None,
            "guild_connections": None,
        },
    }
    return _apply(payload, overrides)


def _overwrites() -> list[JSONObject]:
    return [
        {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(1 << 10)},
        {"id": str(ROLE_ADMIN_ID), "type": 0, "allow": str(1 << 10 | 1 << 11), "deny": "0"},
        {"id": str(OWNER_ID), "type": 1, "allow": str(HIGH_PERMISSIONS), "deny": str(1 << 40)},
    ]


def channel_payload(channel_type: int, channel_id: int, /, **overrides: object) -> JSONObject:
    """Build a guild channel object of ``channel_type`` (0, 2, 4, 5, 13, 15 or 16) with every field set."""
    payload: JSONObject = {
        "id": str(channel_id),
        "type": channel_type,
        "name": f"channel-{channel_type}",
        "position": channel_type + 1,
        "permission_overwrites": _overwrites(),
        "parent_id": str(CATEGORY_ID),
        "nsfw": False,
        "flags": 0,
    }
    if channel_type == hikari.ChannelType.GUILD_TEXT:
        payload.update(
            topic="Talk here",
            last_message_id="1100000000000000001",
            rate_limit_per_user=5,
            last_pin_timestamp="2021-03-04T05:06:07.123456+00:00",
            default_auto_archive_duration=60,
        )
    elif channel_type == hikari.ChannelType.GUILD_NEWS:
        payload.update(
            topic="Announcements",
            last_message_id="1100000000000000002",
            last_pin_timestamp="2022-01-02T03:04:05.000000+00:00",
            default_auto_archive_duration=4320,
            nsfw=True,
        )
    elif channel_type in (hikari.ChannelType.GUILD_VOICE, hikari.ChannelType.GUILD_STAGE):
        payload.update(
            bitrate=64_000,
            user_limit=10,
            rtc_region="rotterdam",
            video_quality_mode=2,
            last_message_id="1100000000000000003",
            rate_limit_per_user=0,
        )
    elif channel_type == hikari.ChannelType.GUILD_CATEGORY:
        payload.update(parent_id=None, nsfw=True)
    elif channel_type in (hikari.ChannelType.GUILD_FORUM, hikari.ChannelType.GUILD_MEDIA):
        payload.update(
            topic="Guidelines",
            last_message_id=str(PUBLIC_THREAD_ID),
            rate_limit_per_user=10,
            default_thread_rate_limit_per_user=30,
            default_auto_archive_duration=10_080,
            available_tags=[
                {
                    "id": "1200000000000000001",
                    "name": "bug",
                    "moderated": True,
                    "emoji_id": "1300000000000000001",
                    "emoji_name": None,
                },
                {
                    "id": "1200000000000000002",
                    "name": "idea",
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": "\U0001f4a1",
                },
                {
                    "id": "1200000000000000003",
                    "name": "plain",
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": None,
                },
            ],
            default_sort_order=1,
            default_forum_layout=2,
            default_reaction_emoji={"emoji_id": None, "emoji_name": "\U0001f44d"},
            flags=1 << 4,
            application_id=str(APPLICATION_ID),
        )
    else:
        raise ValueError(f"not a guild channel type: {channel_type}")
    return _apply(payload, overrides)


def thread_payload(thread_type: int, thread_id: int, parent_id: int, /, **overrides: object) -> JSONObject:
    """Build a thread object of ``thread_type`` (10, 11 or 12) with metadata and the bot's thread member."""
    payload: JSONObject = {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(GUILD_ID),
        "name": f"thread-{thread_type}",
        "parent_id": str(parent_id),
        "owner_id": str(OWNER_ID),
        "last_message_id": "1100000000000000010",
        "last_pin_timestamp": "2023-06-07T08:09:10.654321+00:00",
        "rate_limit_per_user": 15,
        "message_count": 42,
        "member_count": 7,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2023-06-07T08:09:10.000000+00:00",
            "locked": True,
            "invitable": False,
            "create_timestamp": "2023-06-01T00:00:00.000001+00:00",
        },
        "member": {
            "id": str(thread_id),
            "user_id": str(BOT_USER_ID),
            "join_timestamp": "2023-06-02T01:02:03.040506+00:00",
            "flags": 1,
        },
    }
    if thread_type == hikari.ChannelType.GUILD_PUBLIC_THREAD:
        payload.update(applied_tags=["1200000000000000001", "1200000000000000002"], flags=1 << 1)
    elif thread_type not in (hikari.ChannelType.GUILD_NEWS_THREAD, hikari.ChannelType.GUILD_PRIVATE_THREAD):
        raise ValueError(f"not a thread type: {thread_type}")
    return _apply(payload, overrides)


def guild_create_payload() -> JSONObject:
    """Build a GUILD_CREATE payload with every guild field set and every kind of channel, thread, member and role."""
    return {
        "id": str(GUILD_ID),
        "name": "Kura Test Guild",
        "icon": "a_1269e74af4df7417b13759eae50c83dc",
        "splash": "0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0f",
        "discovery_splash": "famfamfamfamfamfamfamfamfamfamfa",
        "owner_id": str(OWNER_ID),
        "afk_channel_id": str(VOICE_ID),
        "afk_timeout": 1200,
        "widget_enabled": True,
        "widget_channel_id": str(TEXT_ID),
        "verification_level": 4,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": ["ANIMATED_ICON", "COMMUNITY", "NEWS", "SOME_FEATURE_HIKARI_DOES_NOT_KNOW"],
        "mfa_level": 1,
        "application_id": str(APPLICATION_ID),
        "system_channel_id": str(TEXT_ID),
        "system_channel_flags": 1 | 1 << 3,
        "rules_channel_id": str(TEXT_ID),
        "max_presences": None,
        "max_members": 25_000,
        "vanity_url_code": "kura",
        "description": "A guild that has everything.",
        "banner": "1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d",
        "premium_tier": 2,
        "premium_subscription_count": 7,
        "preferred_locale": "en-GB",
        "public_updates_channel_id": str(NEWS_ID),
        "max_video_channel_users": 25,
        "nsfw_level": 1,
        "premium_progress_bar_enabled": True,
        "safety_alerts_channel_id": None,
        "incidents_data": {
            "invites_disabled_until": "2031-01-01T00:00:00.000000+00:00",
            "dms_disabled_until": "2031-01-02T00:00:00.500000+00:00",
            "dm_spam_detected_at": "2024-05-06T07:08:09.101112+00:00",
            "raid_detected_at": "2024-05-06T07:08:10.000001+00:00",
        },
        "emojis": [],
        "stickers": [],
        "joined_at": "2019-05-17T19:55:11.123456+00:00",
        "large": False,
        "unavailable": False,
        "member_count": 3,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "roles": [
            role_payload(
                GUILD_ID,
                name="@everyone",
                position=0,
                hoist=False,
                icon=None,
                unicode_emoji=None,
                permissions=str(1 << 10 | 1 << 11),
                tags=OMIT,
                colors=OMIT,
                color=0,
            ),
            role_payload(ROLE_ADMIN_ID, name="Admin", permissions=str(HIGH_PERMISSIONS), tags=OMIT),
            role_payload(ROLE_BOT_ID, name="Kura", managed=True, tags={"bot_id": str(BOT_USER_ID)}),
            role_payload(
                ROLE_BOOSTER_ID,
                name="Server Booster",
                managed=True,
                tags={"premium_subscriber": None},
                colors={"primary_color": 11_127_295, "secondary_color": 16_759_788, "tertiary_color": 16_761_760},
            ),
        ],
        "channels": [
            channel_payload(4, CATEGORY_ID),
            channel_payload(0, TEXT_ID),
            channel_payload(2, VOICE_ID),
            channel_payload(5, NEWS_ID),
            channel_payload(13, STAGE_ID),
            channel_payload(15, FORUM_ID),
            channel_payload(
                16, MEDIA_ID, default_reaction_emoji={"emoji_id": "1300000000000000009", "emoji_name": None}
            ),
        ],
        "threads": [
            thread_payload(10, NEWS_THREAD_ID, NEWS_ID),
            thread_payload(11, PUBLIC_THREAD_ID, FORUM_ID),
            thread_payload(12, PRIVATE_THREAD_ID, TEXT_ID),
        ],
        "members": [
            member_payload(OWNER_ID),
            member_payload(BOT_USER_ID, user={"bot": True, "global_name": None}, roles=[str(ROLE_BOT_ID)]),
            member_payload(
                1_000_000_000_000_000_003,
                user={"system": True, "avatar_decoration_data": None, "primary_guild": None},
                avatar_decoration_data=None,
                premium_since=None,
                communication_disabled_until=None,
            ),
        ],
    }


EDGE_GUILD_ID = MAX_SNOWFLAKE
EDGE_CHANNEL_IDS = {t: MAX_SNOWFLAKE - 1 - i for i, t in enumerate((4, 0, 2, 5, 13, 15, 16, 10, 11, 12))}
"""Channel ids near 2^63-1, by Discord channel type."""

ARABIC = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"
HEBREW = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"
EMOJI = "\U0001f600\U0001f3f3\ufe0f\u200d\U0001f308"


def edge_guild_create_payload() -> JSONObject:
    """Build a GUILD_CREATE payload full of edge values.

    Snowflakes near 2^63-1 and above 2^53, None beside 0, "" and [], 4-byte and right-to-left
    text, permission bits above 2^50, non-UTC offsets, enum values and flags hikari does not know,
    and fields Discord may leave out.
    """
    ids = EDGE_CHANNEL_IDS
    big = 2**53 + 1
    return {
        "id": str(EDGE_GUILD_ID),
        "name": f"{ARABIC} {EMOJI} {HEBREW}",
        "icon": None,
        "splash": None,
        "owner_id": str(MAX_SNOWFLAKE - 1),
        "afk_channel_id": None,
        "afk_timeout": 0,
        "verification_level": 99,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "application_id": str(big),
        "system_channel_id": None,
        "system_channel_flags": 1 << 40 | 1,
        "rules_channel_id": None,
        "vanity_url_code": None,
        "description": "",
        "banner": "",
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "xx-NOT-A-LOCALE",
        "public_updates_channel_id": None,
        "nsfw_level": 77,
        "incidents_data": {
            "invites_disabled_until": "2031-01-01T05:30:00.000001+05:30",
            "dms_disabled_until": None,
            "dm_spam_detected_at": "2024-05-06T00:08:09.999999-07:00",
        },
        "emojis": [],
        "stickers": [],
        "roles": [
            role_payload(
                EDGE_GUILD_ID,
                name="@everyone",
                position=0,
                tags=OMIT,
                colors=OMIT,
                color=0,
                icon=None,
                unicode_emoji=None,
                permissions="0",
                hoist=False,
                mentionable=False,
            ),
            role_payload(
                MAX_SNOWFLAKE - 20,
                name="",
                unicode_emoji="",
                icon="",
                permissions=str(HIGH_PERMISSIONS),
                tags={},
                colors={"primary_color": 0, "secondary_color": None},
                color=0xFFFFFF,
                position=0,
            ),
            role_payload(
                MAX_SNOWFLAKE - 21,
                name=f"{HEBREW} {EMOJI}",
                unicode_emoji=EMOJI,
                tags={
                    "bot_id": str(MAX_SNOWFLAKE - 1),
                    "integration_id": str(big),
                    "subscription_listing_id": str(MAX_SNOWFLAKE),
                    "available_for_purchase": None,
                    "guild_connections": None,
                    "premium_subscriber": None,
                },
            ),
        ],
        "channels": [
            channel_payload(4, ids[4], name="", permission_overwrites=[], position=0, nsfw=OMIT, flags=OMIT),
            channel_payload(
                0,
                ids[0],
                name=f"{ARABIC}-{EMOJI}",
                topic=None,
                last_message_id=None,
                rate_limit_per_user=0,
                last_pin_timestamp=None,
                default_auto_archive_duration=OMIT,
                parent_id=str(ids[4]),
                permission_overwrites=[
                    {"id": str(MAX_SNOWFLAKE), "type": 7, "allow": str(HIGH_PERMISSIONS), "deny": "0"},
                ],
                flags=1 << 17,
            ),
            channel_payload(
                2, ids[2], rtc_region=OMIT, video_quality_mode=9, user_limit=0, last_message_id=None, parent_id=None
            ),
            channel_payload(5, ids[5], topic="", last_pin_timestamp=None, permission_overwrites=[], position=0),
            channel_payload(13, ids[13], rtc_region=None, video_quality_mode=OMIT, name=HEBREW),
            channel_payload(
                15,
                ids[15],
                topic=None,
                rate_limit_per_user=OMIT,
                default_thread_rate_limit_per_user=OMIT,
                available_tags=[
                    {"id": str(MAX_SNOWFLAKE), "name": "", "moderated": False, "emoji_id": None, "emoji_name": ""},
                    {"id": str(big), "name": EMOJI, "moderated": True, "emoji_id": None, "emoji_name": EMOJI},
                    {"id": "1", "name": ARABIC, "moderated": False, "emoji_id": str(MAX_SNOWFLAKE), "emoji_name": None},
                ],
                default_sort_order=None,
                default_forum_layout=5,
                default_reaction_emoji=None,
                last_message_id=None,
                application_id=OMIT,
            ),
            channel_payload(
                16,
                ids[16],
                topic="",
                available_tags=[],
                default_sort_order=4,
                default_forum_layout=0,
                default_reaction_emoji={"emoji_id": None, "emoji_name": ""},
                application_id=str(MAX_SNOWFLAKE),
                flags=0,
            ),
        ],
        "threads": [
            thread_payload(
                10,
                ids[10],
                ids[5],
                member=None,
                last_message_id=None,
                last_pin_timestamp=None,
                rate_limit_per_user=OMIT,
                message_count=0,
                member_count=0,
                thread_metadata={
                    "archived": True,
                    "auto_archive_duration": 60,
                    "archive_timestamp": "2023-06-07T08:09:10.000000-03:00",
                    "locked": False,
                },
            ),
            thread_payload(11, ids[11], ids[15], applied_tags=[], flags=OMIT, name=f"{EMOJI}{ARABIC}"),
            thread_payload(
                12,
                ids[12],
                ids[0],
                name="",
                member={
                    "id": str(ids[12]),
                    "user_id": str(BOT_USER_ID),
                    "join_timestamp": "2023-06-02T01:02:03.040506+14:00",
                    "flags": 0,
                },
            ),
        ],
        "members": [
            member_payload(
                MAX_SNOWFLAKE,
                user={
                    "username": ARABIC,
                    "global_name": None,
                    "avatar": None,
                    "banner": "",
                    "accent_color": 0,
                    "public_flags": 1 << 50 | 1 << 44,
                    "avatar_decoration_data": {"asset": "", "sku_id": str(MAX_SNOWFLAKE), "expires_at": None},
                    "primary_guild": {
                        "identity_guild_id": None,
                        "identity_enabled": None,
                        "tag": None,
                        "badge": None,
                    },
                },
                nick="",
                avatar=None,
                banner="",
                roles=[],
                deaf=OMIT,
                mute=OMIT,
                pending=OMIT,
                flags=1 << 30 | 1,
                premium_since="2019-05-17T19:55:11.000001-07:00",
                communication_disabled_until="2031-01-01T05:30:00+05:30",
            ),
            member_payload(
                MAX_SNOWFLAKE - 1,
                user={
                    "username": f"{HEBREW}{EMOJI}",
                    "global_name": "",
                    "banner": None,
                    "accent_color": None,
                    "public_flags": OMIT,
                    "avatar_decoration_data": None,
                    "primary_guild": {"identity_guild_id": str(big), "identity_enabled": False, "tag": "", "badge": ""},
                    "bot": OMIT,
                    "system": OMIT,
                },
                nick=None,
                avatar="",
                banner=None,
                roles=[str(MAX_SNOWFLAKE - 21), str(MAX_SNOWFLAKE - 20)],
                joined_at=None,
                premium_since=None,
                communication_disabled_until=None,
                flags=0,
                avatar_decoration_data={"asset": EMOJI, "sku_id": "1", "expires_at": 253_402_300_799},
            ),
        ],
    }


def make_app() -> hikari.GatewayBot:
    """Return a real hikari app that is never started: its entity factory works without a network."""
    # The token is never sent; hikari only reads the bot's id from its first segment.
    token = base64.b64encode(str(BOT_USER_ID).encode()).decode().rstrip("=") + ".fake.token"
    return hikari.GatewayBot(token, banner=None, suppress_optimization_warning=True, logs=None)


def deserialize_guild(app: hikari.GatewayBot, payload: JSONObject, /) -> entity_factory.GatewayGuildDefinition:
    """Run hikari's entity factory over a GUILD_CREATE payload (a deep copy, so the payload stays reusable)."""
    return app.entity_factory.deserialize_gateway_guild(copy.deepcopy(payload), user_id=hikari.Snowflake(BOT_USER_ID))


def guild(app: hikari.GatewayBot, payload: JSONObject, /) -> hikari.GatewayGuild:
    """Return the guild of a GUILD_CREATE payload."""
    return deserialize_guild(app, payload).guild()


def channels(app: hikari.GatewayBot, payload: JSONObject, /) -> list[hikari.PermissibleGuildChannel]:
    """Return the channels of a GUILD_CREATE payload."""
    return list(deserialize_guild(app, payload).channels().values())


def threads(app: hikari.GatewayBot, payload: JSONObject, /) -> list[hikari.GuildThreadChannel]:
    """Return the threads of a GUILD_CREATE payload."""
    return list(deserialize_guild(app, payload).threads().values())


def members(app: hikari.GatewayBot, payload: JSONObject, /) -> list[hikari.Member]:
    """Return the members of a GUILD_CREATE payload."""
    return list(deserialize_guild(app, payload).members().values())


def roles(app: hikari.GatewayBot, payload: JSONObject, /) -> list[hikari.Role]:
    """Return the roles of a GUILD_CREATE payload."""
    return list(deserialize_guild(app, payload).roles().values())


def member(app: hikari.GatewayBot, payload: JSONObject, /, *, guild_id: int = GUILD_ID) -> hikari.Member:
    """Return the member of a single member payload, as hikari makes it for GUILD_MEMBER_ADD and chunks."""
    return app.entity_factory.deserialize_member(copy.deepcopy(payload), guild_id=hikari.Snowflake(guild_id))


def role(app: hikari.GatewayBot, payload: JSONObject, /, *, guild_id: int = GUILD_ID) -> hikari.Role:
    """Return the role of a single role payload."""
    return app.entity_factory.deserialize_role(copy.deepcopy(payload), guild_id=hikari.Snowflake(guild_id))


def channel(app: hikari.GatewayBot, payload: JSONObject, /, *, guild_id: int = GUILD_ID) -> hikari.GuildChannel:
    """Return the guild channel or thread of a single channel payload."""
    result = app.entity_factory.deserialize_channel(copy.deepcopy(payload), guild_id=hikari.Snowflake(guild_id))
    assert isinstance(result, hikari.GuildChannel)
    return result


def guild_with_id(app: hikari.GatewayBot, guild_id: int, /) -> hikari.GatewayGuild:
    """Return the full GUILD_CREATE's guild under another id (a shard's guild: ``(id >> 22) % shards``)."""
    data = guild_create_payload()
    data["id"] = str(guild_id)
    return guild(app, data)


def members_of(app: hikari.GatewayBot, guild_id: int, user_ids: range, /) -> list[hikari.Member]:
    """Return one member of ``guild_id`` per user id."""
    return [member(app, member_payload(user_id), guild_id=guild_id) for user_id in user_ids]
