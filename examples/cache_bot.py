"""A bot whose guilds, channels, members and roles live in a shared Kura server.

Run a server (`kura serve`), then: DISCORD_TOKEN=... python examples/cache_bot.py
It asks for the privileged GUILD_MEMBERS and MESSAGE_CONTENT intents: turn both on for the bot in
Discord's developer portal.
"""

import logging
import os

import hikari

from hikari_kura.client import Cache, GrpcBackend

bot = hikari.GatewayBot(
    os.environ["DISCORD_TOKEN"],
    intents=hikari.Intents.ALL_UNPRIVILEGED | hikari.Intents.GUILD_MEMBERS | hikari.Intents.MESSAGE_CONTENT,
)
cache = Cache(bot, GrpcBackend(os.environ.get("KURA_TARGET", "127.0.0.1:50051"), app=bot))
log = logging.getLogger("cache_bot")


@cache.listen(confirm=True)
async def greet(event: hikari.MemberCreateEvent) -> None:
    # confirm=True: this runs once the new member is in the cache, so the count includes them.
    count = await cache.members.where(guild_id=event.guild_id).count()
    log.info("%s joined guild %s, which now has %s cached members", event.user.username, event.guild_id, count)


@cache.listen()
async def answer(event: hikari.GuildMessageCreateEvent) -> None:
    if event.content == "!channels":
        names = await cache.channels.where(guild_id=event.guild_id).map(lambda channel: channel.name).collect()
        await event.message.respond(", ".join(sorted(name or "?" for name in names)))
    elif event.content and event.content.startswith("!members ") and event.message.role_mention_ids:
        count = await cache.members.with_role(event.message.role_mention_ids[0]).count()
        await event.message.respond(f"{count} members hold that role")


if __name__ == "__main__":
    bot.run()
