"""A bot that keeps its guilds, channels, members and roles in a shared Kura server.

Run a server (`kura serve`), then: DISCORD_TOKEN=... python examples/grpc_backend_bot.py
"""

import os

import hikari

from hikari_kura.client import GrpcBackend, MemberQuery

bot = hikari.GatewayBot(
    os.environ["DISCORD_TOKEN"],
    intents=hikari.Intents.ALL_UNPRIVILEGED | hikari.Intents.GUILD_MEMBERS,
)
cache = GrpcBackend(os.environ.get("KURA_TARGET", "127.0.0.1:50051"), app=bot)


@bot.listen(hikari.StartingEvent)
async def open_cache(_: hikari.StartingEvent) -> None:
    await cache.connect()


@bot.listen(hikari.StoppedEvent)
async def close_cache(_: hikari.StoppedEvent) -> None:
    await cache.disconnect()  # waits until every write issued so far is committed


@bot.listen(hikari.GuildAvailableEvent)
async def store_guild(event: hikari.GuildAvailableEvent) -> None:
    await cache.guild_join(event.guild, confirm=False)
    await cache.bulk_channels([*event.channels.values(), *event.threads.values()], confirm=False)
    await cache.bulk_roles(event.roles.values(), confirm=False)
    await cache.bulk_members(event.members.values(), confirm=False)


@bot.listen(hikari.MemberUpdateEvent)
async def store_member(event: hikari.MemberUpdateEvent) -> None:
    await cache.member_update(event.member, confirm=False)


@bot.listen(hikari.MemberDeleteEvent)
async def forget_member(event: hikari.MemberDeleteEvent) -> None:
    await cache.member_delete(event.user.id, event.guild_id, confirm=False)


@bot.listen(hikari.RoleDeleteEvent)
async def forget_role(event: hikari.RoleDeleteEvent) -> None:
    await cache.role_delete(event.role_id, confirm=False)


@bot.listen(hikari.GuildMessageCreateEvent)
async def count_role(event: hikari.GuildMessageCreateEvent) -> None:
    if event.content and event.content.startswith("!members ") and event.message.role_mention_ids:
        role_id = event.message.role_mention_ids[0]
        count = 0
        async for _ in cache.iter_members(MemberQuery(guild_id=event.guild_id, role_id=role_id)):
            count += 1
        await event.message.respond(f"{count} members hold that role")


if __name__ == "__main__":
    bot.run()
