"""The SQLite schema of the cache and the migrations that build it, one version at a time.

Each stored object is kept as its serialized protobuf message (``data``) beside the
columns that queries filter on, so reads stream stored bytes without re-encoding.
``session_id`` records which write session last wrote a row; prune uses it.
"""

from __future__ import annotations

import typing

APPLICATION_ID: typing.Final = 0x4B555241
"""``PRAGMA application_id`` of every Kura database ("KURA"), to tell snapshots from other SQLite files."""

MIGRATIONS: typing.Final[tuple[str, ...]] = (
    # Version 1: guilds, channels, members with their role index, roles, sessions.
    """
    CREATE TABLE guilds (
        id INTEGER PRIMARY KEY,
        session_id INTEGER,
        name TEXT,
        owner_id INTEGER,
        application_id INTEGER,
        icon_hash TEXT,
        banner_hash TEXT,
        splash_hash TEXT,
        discovery_splash_hash TEXT,
        description TEXT,
        vanity_url_code TEXT,
        preferred_locale TEXT,
        afk_channel_id INTEGER,
        afk_timeout INTEGER,
        rules_channel_id INTEGER,
        system_channel_id INTEGER,
        system_channel_flags INTEGER,
        public_updates_channel_id INTEGER,
        widget_channel_id INTEGER,
        is_widget_enabled INTEGER,
        max_video_channel_users INTEGER,
        premium_tier INTEGER,
        premium_subscription_count INTEGER,
        default_message_notifications INTEGER,
        explicit_content_filter INTEGER,
        mfa_level INTEGER,
        nsfw_level INTEGER,
        verification_level INTEGER,
        data BLOB NOT NULL
    );
    CREATE TABLE channels (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        parent_id INTEGER,
        session_id INTEGER,
        name TEXT,
        type INTEGER NOT NULL,
        position INTEGER,
        is_nsfw INTEGER,
        data BLOB NOT NULL
    );
    CREATE INDEX channels_by_guild ON channels (guild_id, id);
    CREATE INDEX channels_by_parent ON channels (parent_id);
    CREATE TABLE members (
        guild_id INTEGER NOT NULL,
        id INTEGER NOT NULL,
        session_id INTEGER,
        nickname TEXT,
        guild_avatar_hash TEXT,
        guild_banner_hash TEXT,
        guild_flags INTEGER,
        data BLOB NOT NULL,
        PRIMARY KEY (guild_id, id)
    ) WITHOUT ROWID;
    CREATE TABLE member_roles (
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        role_id INTEGER NOT NULL,
        PRIMARY KEY (guild_id, user_id, role_id)
    ) WITHOUT ROWID;
    CREATE INDEX member_roles_by_role ON member_roles (role_id, guild_id, user_id);
    CREATE TABLE roles (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        session_id INTEGER,
        name TEXT,
        color INTEGER,
        is_hoisted INTEGER,
        icon_hash TEXT,
        unicode_emoji TEXT,
        is_managed INTEGER,
        is_mentionable INTEGER,
        permissions INTEGER,
        position INTEGER,
        bot_id INTEGER,
        integration_id INTEGER,
        is_premium_subscriber_role INTEGER,
        is_available_for_purchase INTEGER,
        is_guild_linked_role INTEGER,
        data BLOB NOT NULL
    );
    CREATE INDEX roles_by_guild ON roles (guild_id, id);
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        opened_at REAL NOT NULL,
        closed_at REAL,
        peer TEXT NOT NULL
    );
    """,
    # Version 2: the member role index in one B-tree, keyed by role. Version 1 kept every entry twice
    # (the table by member, an index by role): a third of a member's bytes and of its insert time.
    # A member's entries are found from the roles its stored message lists.
    """
    CREATE TABLE member_roles_v2 (
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        role_id INTEGER NOT NULL,
        PRIMARY KEY (role_id, guild_id, user_id)
    ) WITHOUT ROWID;
    INSERT INTO member_roles_v2 (guild_id, user_id, role_id) SELECT guild_id, user_id, role_id FROM member_roles;
    DROP TABLE member_roles;
    ALTER TABLE member_roles_v2 RENAME TO member_roles;
    """,
)

SCHEMA_VERSION: typing.Final = len(MIGRATIONS)
"""The schema version this server writes (``PRAGMA user_version``)."""

CACHE_TABLES: typing.Final = ("guilds", "channels", "members", "member_roles", "roles")
"""Tables holding cached objects: what snapshot carries and restore replaces."""


def migration_script(from_version: int) -> str:
    """Return one script that upgrades a database from ``from_version`` to ``SCHEMA_VERSION``."""
    steps = [
        f"{MIGRATIONS[version]}\nPRAGMA user_version = {version + 1};"
        for version in range(from_version, SCHEMA_VERSION)
    ]
    if from_version == 0:
        steps.insert(0, f"PRAGMA application_id = {APPLICATION_ID};")
    return "\n".join(steps)
