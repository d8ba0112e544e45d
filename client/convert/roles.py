"""Conversions between hikari's ``Role`` and the ``Role`` message."""

from __future__ import annotations

import hikari

from hikari_kura.v1 import queries_pb2, roles_pb2

from .. import queries
from . import checks, common

_Role = hikari.Role
_ColorGradient = hikari.ColorGradient
_RoleMessage = roles_pb2.Role
# Each made as new_instance(cls) then its own attrs __init__: cls(**kwargs) runs the same code, slower.
common.plain_construction(_Role, _ColorGradient)
_new = common.new_instance
_init_role = _Role.__init__
_init_gradient = _ColorGradient.__init__
_SNOWFLAKES = common.SNOWFLAKES
_COLORS = common.COLORS
_PERMISSIONS = common.PERMISSIONS
_MAX_TEXT = checks.MAX_TEXT


def role_to_proto(role: hikari.Role, /) -> roles_pb2.Role:
    """Convert a role, its colours and its flattened tags to a Role message.

    A role the server cannot store raises ``InvalidArgumentError`` naming the field.
    """
    # Fields are set where they lie (cheaper than constructor keywords and than building the colours
    # to copy in); None leaves a field unset, and so do proto3 defaults, which are not sent either way.
    # Protobuf refuses values out of a field's range; the checks here are what it does not.
    message = _RoleMessage()
    try:
        message.id = role_id = role.id
        message.guild_id = guild_id = role.guild_id
        message.name = name = role.name
        if role_id <= 0 or guild_id <= 0 or len(name) > _MAX_TEXT:
            raise ValueError
        if color := role.color:
            message.color = color
        role_colors = role.colors
        colors = message.colors
        colors.SetInParent()  # set even when every colour in it is a default
        if primary_color := role_colors.primary_color:
            colors.primary_color = primary_color
        if (secondary_color := role_colors.secondary_color) is not None:
            colors.secondary_color = secondary_color
        if (tertiary_color := role_colors.tertiary_color) is not None:
            colors.tertiary_color = tertiary_color
        if role.is_hoisted:
            message.is_hoisted = True
        if (icon_hash := role.icon_hash) is not None:
            message.icon_hash = icon_hash
            if len(icon_hash) > _MAX_TEXT:
                raise ValueError
        if (unicode_emoji := role.unicode_emoji) is not None:
            message.unicode_emoji = unicode_emoji
            if len(unicode_emoji) > _MAX_TEXT:
                raise ValueError
        if role.is_managed:
            message.is_managed = True
        if role.is_mentionable:
            message.is_mentionable = True
        if permissions := role.permissions:
            message.permissions = permissions
        if position := role.position:
            message.position = position
        if (bot_id := role.bot_id) is not None:
            message.bot_id = bot_id
            if bot_id < 0:
                raise ValueError
        if (integration_id := role.integration_id) is not None:
            message.integration_id = integration_id
            if integration_id < 0:
                raise ValueError
        if role.is_premium_subscriber_role:
            message.is_premium_subscriber_role = True
        if (subscription_listing_id := role.subscription_listing_id) is not None:
            message.subscription_listing_id = subscription_listing_id
            if subscription_listing_id < 0:
                raise ValueError
        if role.is_available_for_purchase:
            message.is_available_for_purchase = True
        if role.is_guild_linked_role:
            message.is_guild_linked_role = True
    except (ValueError, TypeError) as exc:
        raise checks.refusal(role, exc) from None
    return message


def role_from_proto(message: roles_pb2.Role, /, *, app: hikari.traits.RESTAware) -> hikari.Role:
    """Convert a Role message to a hikari Role bound to ``app``."""
    colors = message.colors
    has = message.HasField
    has_color = colors.HasField
    gradient = _new(_ColorGradient)
    _init_gradient(
        gradient,
        primary_color=_COLORS[colors.primary_color],
        secondary_color=_COLORS[colors.secondary_color] if has_color("secondary_color") else None,
        tertiary_color=_COLORS[colors.tertiary_color] if has_color("tertiary_color") else None,
    )
    role = _new(_Role)
    _init_role(
        role,
        app=app,
        id=_SNOWFLAKES[message.id],
        guild_id=_SNOWFLAKES[message.guild_id],
        name=message.name,
        color=_COLORS[message.color],
        colors=gradient,
        is_hoisted=message.is_hoisted,
        icon_hash=message.icon_hash if has("icon_hash") else None,
        # The entity factory wraps any unicode_emoji Discord sends, the empty string included.
        unicode_emoji=hikari.UnicodeEmoji(message.unicode_emoji) if has("unicode_emoji") else None,
        is_managed=message.is_managed,
        is_mentionable=message.is_mentionable,
        permissions=_PERMISSIONS[message.permissions],
        position=message.position,
        bot_id=_SNOWFLAKES[message.bot_id] if has("bot_id") else None,
        integration_id=_SNOWFLAKES[message.integration_id] if has("integration_id") else None,
        is_premium_subscriber_role=message.is_premium_subscriber_role,
        subscription_listing_id=_SNOWFLAKES[message.subscription_listing_id]
        if has("subscription_listing_id")
        else None,
        is_available_for_purchase=message.is_available_for_purchase,
        is_guild_linked_role=message.is_guild_linked_role,
    )
    return role


def role_query_to_proto(query: queries.RoleQuery, /) -> queries_pb2.RoleQuery:
    """Convert a role query to its proto message; filters left None stay unset."""
    return checks.query_message(
        queries_pb2.RoleQuery,
        "role",
        dict(
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
        ),
    )
