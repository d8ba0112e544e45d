"""Conversions between hikari's ``Role`` and the ``Role`` message."""

from __future__ import annotations

import hikari

from hikari_kura.v1 import queries_pb2, roles_pb2

from .. import queries


def role_to_proto(role: hikari.Role, /) -> roles_pb2.Role:
    """Convert a role, its colours and its flattened tags to a Role message."""
    colors = role.colors
    return roles_pb2.Role(
        id=role.id,
        guild_id=role.guild_id,
        name=role.name,
        color=role.color,
        colors=roles_pb2.ColorGradient(
            primary_color=colors.primary_color,
            secondary_color=colors.secondary_color,
            tertiary_color=colors.tertiary_color,
        ),
        is_hoisted=role.is_hoisted,
        icon_hash=role.icon_hash,
        unicode_emoji=role.unicode_emoji,
        is_managed=role.is_managed,
        is_mentionable=role.is_mentionable,
        permissions=role.permissions,
        position=role.position,
        bot_id=role.bot_id,
        integration_id=role.integration_id,
        is_premium_subscriber_role=role.is_premium_subscriber_role,
        subscription_listing_id=role.subscription_listing_id,
        is_available_for_purchase=role.is_available_for_purchase,
        is_guild_linked_role=role.is_guild_linked_role,
    )


def role_from_proto(message: roles_pb2.Role, /, *, app: hikari.traits.RESTAware) -> hikari.Role:
    """Convert a Role message to a hikari Role bound to ``app``."""
    colors = message.colors
    has = message.HasField
    return hikari.Role(
        app=app,
        id=hikari.Snowflake(message.id),
        guild_id=hikari.Snowflake(message.guild_id),
        name=message.name,
        color=hikari.Color(message.color),
        colors=hikari.ColorGradient(
            primary_color=hikari.Color(colors.primary_color),
            secondary_color=hikari.Color(colors.secondary_color) if colors.HasField("secondary_color") else None,
            tertiary_color=hikari.Color(colors.tertiary_color) if colors.HasField("tertiary_color") else None,
        ),
        is_hoisted=message.is_hoisted,
        icon_hash=message.icon_hash if has("icon_hash") else None,
        # The entity factory wraps any unicode_emoji Discord sends, the empty string included.
        unicode_emoji=hikari.UnicodeEmoji(message.unicode_emoji) if has("unicode_emoji") else None,
        is_managed=message.is_managed,
        is_mentionable=message.is_mentionable,
        permissions=hikari.Permissions(message.permissions),
        position=message.position,
        bot_id=hikari.Snowflake(message.bot_id) if has("bot_id") else None,
        integration_id=hikari.Snowflake(message.integration_id) if has("integration_id") else None,
        is_premium_subscriber_role=message.is_premium_subscriber_role,
        subscription_listing_id=hikari.Snowflake(message.subscription_listing_id)
        if has("subscription_listing_id")
        else None,
        is_available_for_purchase=message.is_available_for_purchase,
        is_guild_linked_role=message.is_guild_linked_role,
    )


def role_query_to_proto(query: queries.RoleQuery, /) -> queries_pb2.RoleQuery:
    """Convert a role query to its proto message; filters left None stay unset."""
    return queries_pb2.RoleQuery(
        id=query.id,
        name=query.name,
        color=query.color,
        guild_id=query.guild_id,
        is_hoisted=query.is_hoisted,
        icon_hash=query.icon_hash,
        unicode_emoji=query.unicode_emoji,
        is_managed=query.is_managed,
        is_mentionable=query.is_mentionable,
        permissions=query.permissions,
        position=query.position,
        bot_id=query.bot_id,
        integration_id=query.integration_id,
        is_premium_subscriber_role=query.is_premium_subscriber_role,
        is_available_for_purchase=query.is_available_for_purchase,
        is_guild_linked_role=query.is_guild_linked_role,
    )
