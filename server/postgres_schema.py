"""The PostgreSQL schema of the cache and the migrations that build it, one version at a time.

The tables and columns are the SQLite schema's (``schema``), so a snapshot file
maps onto them by name; types are PostgreSQL's own: snowflakes ``BIGINT``, flags
``BOOLEAN``, messages ``BYTEA``. ``sessions`` adds ``heartbeat_at``: several
servers share this database, and each marks its open sessions alive, so a
crashed server's sessions expire instead of pinning their rows forever.
"""

from __future__ import annotations

import typing

MIGRATIONS: typing.Final[tuple[str, ...]] = (
    # Version 1: guilds, channels, members with their role index, roles, sessions.
    """
    CREATE TABLE guilds (
        id BIGINT PRIMARY KEY,
        session_id BIGINT,
        name BYTEA,
        owner_id BIGINT,
        application_id BIGINT,
        icon_hash BYTEA,
        banner_hash BYTEA,
        splash_hash BYTEA,
        discovery_splash_hash BYTEA,
        description BYTEA,
        vanity_url_code BYTEA,
        preferred_locale BYTEA,
        afk_channel_id BIGINT,
        afk_timeout BIGINT,
        rules_channel_id BIGINT,
        system_channel_id BIGINT,
        system_channel_flags BIGINT,
        public_updates_channel_id BIGINT,
        widget_channel_id BIGINT,
        is_widget_enabled BOOLEAN,
        max_video_channel_users BIGINT,
        premium_tier BIGINT,
        premium_subscription_count BIGINT,
        default_message_notifications BIGINT,
        explicit_content_filter BIGINT,
        mfa_level BIGINT,
        nsfw_level BIGINT,
        verification_level BIGINT,
        data BYTEA NOT NULL
    );
    CREATE TABLE channels (
        id BIGINT PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        parent_id BIGINT,
        session_id BIGINT,
        name BYTEA,
        type BIGINT NOT NULL,
        position BIGINT,
        is_nsfw BOOLEAN,
        data BYTEA NOT NULL
    );
    CREATE INDEX channels_by_guild ON channels (guild_id, id);
    CREATE INDEX channels_by_parent ON channels (parent_id);
    CREATE TABLE members (
        guild_id BIGINT NOT NULL,
        id BIGINT NOT NULL,
        session_id BIGINT,
        nickname BYTEA,
        guild_avatar_hash BYTEA,
        guild_banner_hash BYTEA,
        guild_flags BIGINT,
        data BYTEA NOT NULL,
        PRIMARY KEY (guild_id, id)
    );
    CREATE TABLE member_roles (
        guild_id BIGINT NOT NULL,
        user_id BIGINT NOT NULL,
        role_id BIGINT NOT NULL,
        PRIMARY KEY (guild_id, user_id, role_id)
    );
    CREATE INDEX member_roles_by_role ON member_roles (role_id, guild_id, user_id);
    CREATE TABLE roles (
        id BIGINT PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        session_id BIGINT,
        name BYTEA,
        color BIGINT,
        is_hoisted BOOLEAN,
        icon_hash BYTEA,
        unicode_emoji BYTEA,
        is_managed BOOLEAN,
        is_mentionable BOOLEAN,
        permissions BIGINT,
        position BIGINT,
        bot_id BIGINT,
        integration_id BIGINT,
        is_premium_subscriber_role BOOLEAN,
        is_available_for_purchase BOOLEAN,
        is_guild_linked_role BOOLEAN,
        data BYTEA NOT NULL
    );
    CREATE INDEX roles_by_guild ON roles (guild_id, id);
    CREATE TABLE sessions (
        id BIGSERIAL PRIMARY KEY,
        opened_at TIMESTAMPTZ NOT NULL,
        closed_at TIMESTAMPTZ,
        heartbeat_at TIMESTAMPTZ NOT NULL,
        peer TEXT NOT NULL
    );
    CREATE INDEX sessions_open ON sessions (heartbeat_at) WHERE closed_at IS NULL;
    """,
)

SCHEMA_VERSION: typing.Final = len(MIGRATIONS)
"""The schema version this server writes (the one row of ``kura_schema``)."""

VERSION_TABLE: typing.Final = "kura_schema"
MIGRATION_LOCK: typing.Final = 0x4B555241
"""Advisory lock key ("KURA") held while migrating, so replicas starting together migrate once."""
