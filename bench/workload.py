"""The benchmark's workload: seeded, deterministic, gateway-shaped payloads and the hikari entities made of them.

Every entity comes out of hikari's own entity factory (``app.entity_factory``) fed a
payload shaped as Discord sends it, so both sides of the benchmark store exactly what a
bot would. The payloads are varied the way real guilds are (most members have no
nickname, a few are bots or boosters, role counts differ, ids are real snowflakes) and
depend only on the seed, so Kura and the reference get the same objects.

This module imports nothing of Kura or of hikari-persist: it runs under the project's
hikari (2.7) and under the reference's own virtualenv (hikari 2.6.0) alike.
"""

from __future__ import annotations

import base64
import collections.abc
import datetime
import functools
import random
import string
import typing

import hikari

JSONObject = dict[str, typing.Any]

BOT_USER_ID: typing.Final = 115_590_097_100_865_541
DISCORD_EPOCH_MS: typing.Final = 1_420_070_400_000
GATEWAY_CHUNK: typing.Final = 1000
"""Members per GUILD_MEMBERS_CHUNK event, as Discord sends them."""

_WORDS = (
    "kura", "hikari", "sakura", "neko", "tsuki", "kumo", "sora", "yuki", "umi", "hoshi", "kaze", "mori",
    "river", "pixel", "shadow", "ember", "nova", "echo", "frost", "lumen", "orbit", "quill", "rune", "sage",
)  # fmt: skip
_CHANNEL_NAMES = ("general", "off-topic", "memes", "help", "announcements", "dev", "art", "music", "bots", "rules")


def make_app() -> hikari.GatewayBot:
    """Return a real hikari app that is never started: its entity factory works without a network."""
    token = base64.b64encode(str(BOT_USER_ID).encode()).decode().rstrip("=") + ".fake.token"
    return hikari.GatewayBot(token, banner=None, suppress_optimization_warning=True, logs=None)


def snowflake(when_ms: int, increment: int) -> int:
    """Return a snowflake created at ``when_ms`` (Unix ms) with a per-object increment."""
    return ((when_ms - DISCORD_EPOCH_MS) << 22) | ((increment >> 12) % 1024) << 12 | (increment & 0xFFF)


def guild_id(index: int) -> int:
    """Return the id of benchmark guild ``index`` (guilds made in 2017-2020)."""
    return snowflake(1_490_000_000_000 + index * 7_919_000, index)


def _hash(rng: random.Random, animated: float = 0.0) -> str:
    digest = f"{rng.getrandbits(128):032x}"
    return "a_" + digest if rng.random() < animated else digest


_NAME_CHARS = string.ascii_lowercase + string.digits + "._"


def _name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(_WORDS) + rng.choice(_WORDS) + str(rng.randrange(1000))
    return "".join(rng.choices(_NAME_CHARS, k=rng.randint(3, 16)))


_YEAR_START = {year: int(datetime.datetime(year, 1, 1, tzinfo=datetime.UTC).timestamp()) for year in range(2015, 2032)}


def _timestamp(rng: random.Random, start_year: int, end_year: int) -> str:
    start, end = _YEAR_START[start_year], _YEAR_START[end_year]
    moment = datetime.datetime.fromtimestamp(rng.randrange(start, end), datetime.UTC)
    return f"{moment.isoformat()[:19]}.{rng.randrange(1_000_000):06d}+00:00"


def user_payload(rng: random.Random, user_id: int) -> JSONObject:
    """Return a user object with the spread of optional fields real users have."""
    is_bot = rng.random() < 0.01
    payload: JSONObject = {
        "id": str(user_id),
        "username": _name(rng),
        "discriminator": str(rng.randrange(1, 10_000)).zfill(4) if is_bot else "0",
        "global_name": None if is_bot or rng.random() < 0.3 else f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS)}",
        "avatar": _hash(rng, 0.1) if rng.random() < 0.75 else None,
        "bot": is_bot,
        "public_flags": rng.choice((0, 0, 0, 0, 64, 128, 256, 4_194_304, 64 | 4_194_304)),
    }
    if rng.random() < 0.3:
        payload["banner"] = _hash(rng, 0.2) if rng.random() < 0.2 else None
        payload["accent_color"] = rng.randrange(1 << 24) if rng.random() < 0.5 else None
    if rng.random() < 0.05:
        payload["avatar_decoration_data"] = {
            "asset": _hash(rng, 0.5),
            "sku_id": str(1_144_058_844_004_233_369 + rng.randrange(1000)),
            "expires_at": None if rng.random() < 0.7 else 1_767_225_600 + rng.randrange(10_000_000),
        }
    if rng.random() < 0.03:
        payload["primary_guild"] = {
            "identity_guild_id": str(guild_id(rng.randrange(50))),
            "identity_enabled": True,
            "tag": rng.choice(_WORDS)[:4].upper(),
            "badge": _hash(rng),
        }
    return payload


def member_payload(rng: random.Random, user_id: int, role_ids: collections.abc.Sequence[int]) -> JSONObject:
    """Return a guild member object (as in GUILD_CREATE and GUILD_MEMBERS_CHUNK)."""
    held = rng.choices((0, 1, 2, 3, 5, 8), weights=(35, 30, 15, 10, 7, 3))[0]
    payload: JSONObject = {
        "user": user_payload(rng, user_id),
        "nick": f"{rng.choice(_WORDS).title()}{rng.randrange(100)}" if rng.random() < 0.25 else None,
        "avatar": _hash(rng) if rng.random() < 0.03 else None,
        "roles": [str(role) for role in rng.sample(list(role_ids), min(held, len(role_ids)))],
        "joined_at": _timestamp(rng, 2016, 2026),
        "premium_since": _timestamp(rng, 2020, 2026) if rng.random() < 0.04 else None,
        "deaf": False,
        "mute": rng.random() < 0.005,
        "flags": rng.choice((0, 0, 0, 0, 0, 1, 2, 1 | 2)),
        "pending": rng.random() < 0.02,
    }
    if rng.random() < 0.01:
        payload["banner"] = _hash(rng)
    if rng.random() < 0.005:
        payload["communication_disabled_until"] = _timestamp(rng, 2030, 2031)
    return payload


def role_payload(rng: random.Random, role_id: int, position: int, *, everyone: bool = False) -> JSONObject:
    """Return a role object; a few are managed bot or booster roles."""
    kind = rng.random()
    payload: JSONObject = {
        "id": str(role_id),
        "name": "@everyone" if everyone else f"{rng.choice(_WORDS).title()} {position}",
        "color": 0 if everyone else rng.choice((0, rng.randrange(1 << 24))),
        "hoist": not everyone and rng.random() < 0.2,
        "icon": _hash(rng) if rng.random() < 0.05 else None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(rng.choice((0, 1 << 10 | 1 << 11, 8, (1 << 41) - 1, 1 << 50 | 1 << 40 | 1 << 10))),
        "managed": False,
        "mentionable": rng.random() < 0.3,
        "flags": 0,
    }
    if not everyone and kind < 0.1:
        payload["managed"] = True
        payload["tags"] = {"bot_id": str(snowflake(1_600_000_000_000, role_id & 0xFFFF))}
    elif not everyone and kind < 0.12:
        payload["managed"] = True
        payload["tags"] = {"premium_subscriber": None}
    return payload


def _overwrites(rng: random.Random, gid: int, role_ids: collections.abc.Sequence[int]) -> list[JSONObject]:
    overwrites = [{"id": str(gid), "type": 0, "allow": "0", "deny": str(1 << 10)}] if rng.random() < 0.4 else []
    for role in rng.sample(list(role_ids), min(len(role_ids), rng.choice((0, 1, 2, 3)))):
        overwrites.append({"id": str(role), "type": 0, "allow": str(1 << 10 | 1 << 11), "deny": "0"})
    return overwrites


CHANNEL_MIX: typing.Final[tuple[tuple[int, int], ...]] = (
    (4, 8),  # categories
    (0, 45),  # text
    (2, 12),  # voice
    (5, 3),  # news
    (13, 1),  # stage
    (15, 2),  # forum
    (16, 1),  # media
    (11, 6),  # public threads
    (12, 1),  # private threads
    (10, 1),  # news threads
)
"""(Discord channel type, how many of every 80) in a generated guild: threads included, as GUILD_CREATE has them."""
THREAD_TYPES: typing.Final = frozenset({10, 11, 12})


def _channel_types(count: int) -> list[int]:
    types = [kind for kind, share in CHANNEL_MIX for _ in range(share)]
    return [types[i % len(types)] for i in range(count)]


def channel_payload(
    rng: random.Random,
    channel_type: int,
    channel_id: int,
    gid: int,
    parent_id: int | None,
    position: int,
    role_ids: collections.abc.Sequence[int],
) -> JSONObject:
    """Return a guild channel (types 0, 2, 4, 5, 13, 15, 16) or thread (10, 11, 12) object."""
    last_message = str(snowflake(1_700_000_000_000 + rng.randrange(10**10), rng.randrange(4096)))
    if channel_type in THREAD_TYPES:
        payload: JSONObject = {
            "id": str(channel_id),
            "type": channel_type,
            "guild_id": str(gid),
            "name": f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}",
            "parent_id": str(parent_id),
            "owner_id": str(snowflake(1_500_000_000_000, rng.randrange(10**6))),
            "last_message_id": last_message,
            "rate_limit_per_user": rng.choice((0, 0, 5)),
            "message_count": rng.randrange(500),
            "member_count": rng.randrange(50),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": rng.choice((60, 1440, 4320, 10080)),
                "archive_timestamp": _timestamp(rng, 2024, 2026),
                "locked": rng.random() < 0.1,
                "invitable": channel_type == 12,
                "create_timestamp": _timestamp(rng, 2023, 2024),
            },
        }
        if channel_type == 11:
            payload["applied_tags"] = []
        return payload
    payload = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(gid),
        "name": f"{rng.choice(_CHANNEL_NAMES)}-{position}",
        "position": position,
        "permission_overwrites": _overwrites(rng, gid, role_ids),
        "parent_id": None if channel_type == 4 or parent_id is None else str(parent_id),
        "nsfw": rng.random() < 0.05,
        "flags": 0,
    }
    if channel_type in (0, 5):
        payload.update(
            topic=rng.choice((None, "Talk here", "Read the rules first")),
            last_message_id=last_message,
            rate_limit_per_user=0 if channel_type == 5 else rng.choice((0, 0, 0, 5, 30)),
            last_pin_timestamp=rng.choice((None, _timestamp(rng, 2020, 2026))),
            default_auto_archive_duration=rng.choice((60, 1440)),
        )
    elif channel_type in (2, 13):
        payload.update(
            bitrate=rng.choice((64_000, 96_000)),
            user_limit=rng.choice((0, 0, 5, 10)),
            rtc_region=rng.choice((None, "rotterdam", "us-east")),
            video_quality_mode=1,
            last_message_id=last_message,
            rate_limit_per_user=0,
        )
    elif channel_type in (15, 16):
        payload.update(
            topic="Guidelines",
            last_message_id=last_message,
            rate_limit_per_user=0,
            default_thread_rate_limit_per_user=0,
            default_auto_archive_duration=4320,
            available_tags=[
                {"id": str(channel_id + 1 + i), "name": name, "moderated": i == 0, "emoji_id": None, "emoji_name": None}
                for i, name in enumerate(("bug", "idea", "question"))
            ],
            default_sort_order=None,
            default_forum_layout=rng.choice((0, 1, 2)),
            default_reaction_emoji=None,
        )
    return payload


class Guild(typing.NamedTuple):
    """A generated guild: its ids, to make members and look them up later."""

    id: int
    role_ids: tuple[int, ...]
    seed: int


def guild_plan(index: int, *, roles: int = 50, seed: int = 0) -> Guild:
    """Return guild ``index``'s ids; everything else is derived from them and the seed."""
    gid = guild_id(index)
    role_ids = tuple(snowflake(1_500_000_000_000 + index * 1_000_000 + r * 1000, r) for r in range(1, roles))
    return Guild(gid, (gid, *role_ids), seed * 1_000_003 + index)


def member_id(guild: Guild, number: int) -> int:
    """Return the user id of member ``number`` of a guild (distinct across guilds and numbers)."""
    return snowflake(1_450_000_000_000 + number * 997, (guild.seed * 7919 + number) & 0x3FFFFF)


TEMPLATES: typing.Final = 4096
"""Distinct member payload shapes per guild and version; member ``n`` takes shape ``n % TEMPLATES`` with its own id.

Making every payload from scratch costs more than hikari's factory does, which matters at 1M members."""


@functools.lru_cache(maxsize=4 * TEMPLATES)
def _member_template(seed: int, variation: int, version: int, role_ids: tuple[int, ...]) -> JSONObject:
    rng = random.Random((seed << 40) ^ (variation << 8) ^ version)
    return member_payload(rng, 0, role_ids)


def member_payloads(guild: Guild, start: int, count: int, *, version: int = 0) -> list[JSONObject]:
    """Return the payloads of members ``start`` .. ``start + count - 1``; ``version`` varies them for updates."""
    out = []
    role_ids = guild.role_ids[1:]
    for number in range(start, start + count):
        template = _member_template(guild.seed, (number * 2_654_435_761) % TEMPLATES, version, role_ids)
        out.append({**template, "user": {**template["user"], "id": str(member_id(guild, number))}})
    return out


def members(app: hikari.GatewayBot, guild: Guild, start: int, count: int, *, version: int = 0) -> list[hikari.Member]:
    """Return hikari members made by the entity factory from ``member_payloads``."""
    factory = app.entity_factory
    gid = hikari.Snowflake(guild.id)
    return [factory.deserialize_member(p, guild_id=gid) for p in member_payloads(guild, start, count, version=version)]


def member_chunks(
    app: hikari.GatewayBot, guild: Guild, start: int, count: int, *, chunk: int = GATEWAY_CHUNK
) -> collections.abc.Iterator[list[hikari.Member]]:
    """Yield the members of a range a gateway chunk at a time, made only when asked for (1M do not fit at once)."""
    for offset in range(start, start + count, chunk):
        yield members(app, guild, offset, min(chunk, start + count - offset))


def guild_create_payload(guild: Guild, *, member_count: int, channel_count: int) -> JSONObject:
    """Return a full GUILD_CREATE payload: the guild, its roles, channels and threads, and its members."""
    rng = random.Random(guild.seed ^ 0x5EED)
    gid = guild.id
    types = _channel_types(channel_count)
    channel_ids = [snowflake(1_550_000_000_000 + (gid & 0xFFFFF) * 1000 + i * 10, i) for i in range(channel_count)]
    categories = [cid for cid, kind in zip(channel_ids, types, strict=True) if kind == 4]
    parents = [cid for cid, kind in zip(channel_ids, types, strict=True) if kind in (0, 5, 15)]
    channels, threads = [], []
    for position, (cid, kind) in enumerate(zip(channel_ids, types, strict=True)):
        if kind in THREAD_TYPES:
            parent = rng.choice(parents) if parents else cid
            threads.append(channel_payload(rng, kind, cid, gid, parent, position, guild.role_ids))
        else:
            parent = rng.choice(categories) if categories and kind != 4 else None
            channels.append(channel_payload(rng, kind, cid, gid, parent, position, guild.role_ids))
    text = next((c["id"] for c in channels if c["type"] == 0), None)
    return {
        "id": str(gid),
        "name": f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()}",
        "icon": _hash(rng, 0.3),
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(member_id(guild, 0)),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": rng.randrange(5),
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "features": rng.sample(["COMMUNITY", "NEWS", "ANIMATED_ICON", "INVITE_SPLASH", "BANNER"], 3),
        "mfa_level": rng.randrange(2),
        "application_id": None,
        "system_channel_id": text,
        "system_channel_flags": 0,
        "rules_channel_id": text,
        "max_presences": None,
        "max_members": 500_000,
        "vanity_url_code": None,
        "description": rng.choice((None, "A community server.")),
        "banner": None,
        "premium_tier": rng.randrange(4),
        "premium_subscription_count": rng.randrange(30),
        "preferred_locale": rng.choice(("en-US", "en-GB", "ja", "de")),
        "public_updates_channel_id": text,
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "emojis": [],
        "stickers": [],
        "joined_at": _timestamp(rng, 2020, 2025),
        "large": member_count > 250,
        "unavailable": False,
        "member_count": member_count,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "roles": [role_payload(rng, rid, pos, everyone=pos == 0) for pos, rid in enumerate(guild.role_ids)],
        "channels": channels,
        "threads": threads,
        "members": member_payloads(guild, 0, member_count),
    }


class GuildEntities(typing.NamedTuple):
    """The entities of one GUILD_CREATE, as a cache stores them."""

    guild: hikari.GatewayGuild
    roles: list[hikari.Role]
    channels: list[hikari.GuildChannel]
    """Guild channels then threads."""
    members: list[hikari.Member]

    @property
    def count(self) -> int:
        """Return how many entities this sync stores."""
        return 1 + len(self.roles) + len(self.channels) + len(self.members)


def guild_entities(app: hikari.GatewayBot, payload: JSONObject) -> GuildEntities:
    """Run hikari's entity factory over a GUILD_CREATE payload."""
    definition = app.entity_factory.deserialize_gateway_guild(payload, user_id=hikari.Snowflake(BOT_USER_ID))
    channels: list[hikari.GuildChannel] = [*definition.channels().values(), *definition.threads().values()]
    return GuildEntities(
        definition.guild(), list(definition.roles().values()), channels, list(definition.members().values())
    )


def mixed_channels(app: hikari.GatewayBot, count: int, *, seed: int = 0) -> list[hikari.GuildChannel]:
    """Return ``count`` channels of every kind (the CHANNEL_MIX shares), spread over guilds of 80."""
    out: list[hikari.GuildChannel] = []
    index = 0
    while len(out) < count:
        guild = guild_plan(1000 + index, roles=5, seed=seed)
        out.extend(guild_entities(app, guild_create_payload(guild, member_count=0, channel_count=80)).channels)
        index += 1
    return out[:count]
