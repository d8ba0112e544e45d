"""``Cache(bot, backend)``: a bot's gateway events kept in a cache backend, and the cache's query API.

The cache subscribes to the bot's events, writes them through the backend (``EventBridge``),
then runs the listeners registered with ``cache.listen``: at once, or once the event's writes
are committed (``confirm=True``), so that handler code reads what the event changed. It opens
the backend's session when the bot starts and closes it, after every issued write is committed,
when the bot has stopped.
"""

from __future__ import annotations

import asyncio
import collections.abc
import dataclasses
import inspect
import logging
import pathlib
import typing
import warnings

import hikari

from hikari_kura.client import backend as backend_
from hikari_kura.client import bridge, views
from hikari_kura.client import rules as rules_

_LOGGER = logging.getLogger(__name__)

EventT = typing.TypeVar("EventT", bound=hikari.Event)
Callback = collections.abc.Callable[[EventT], collections.abc.Coroutine[typing.Any, typing.Any, None]]


@typing.runtime_checkable
class Snapshotting(typing.Protocol):
    """A backend that can write a snapshot of the whole cache, as ``GrpcBackend`` can."""

    async def snapshot(self, path: pathlib.Path) -> None:
        """Write a point-in-time copy of the whole cache to ``path``."""


@dataclasses.dataclass(frozen=True, slots=True)
class _Listener:
    event_type: type[hikari.Event]
    callback: Callback[typing.Any]
    confirm: bool


class Cache:
    """Keep what a ``hikari.GatewayBot`` sees of its guilds in ``backend``, and query it.

    Parameters
    ----------
    bot
        The bot whose events are cached. Construct the cache before the bot starts.
    backend
        Where the cache lives, e.g. ``GrpcBackend("kura:50051", app=bot)``.
    rules
        What to cache; everything by default.
    prune_on_ready
        Once a shard has every guild its READY announced, remove that shard's stale data
        (needs a backend with ``prune_shard``, as ``GrpcBackend`` has).
    """

    def __init__(
        self,
        bot: hikari.GatewayBot,
        backend: backend_.Backend,
        *,
        rules: rules_.CacheRules | None = None,
        prune_on_ready: bool = True,
    ) -> None:
        self._bot = bot
        self._backend = backend
        self._bridge = bridge.EventBridge(backend, rules or rules_.CacheRules(), prune_on_ready=prune_on_ready)
        self._listeners: list[_Listener] = []
        self._subscribed: set[type[hikari.Event]] = set()
        # The tasks handling events (their listeners included): awaited before disconnecting.
        self._tasks: set[asyncio.Task[typing.Any]] = set()
        self.guilds = views.GuildView(backend, bot.rest)
        self.channels = views.ChannelView(backend, bot.rest)
        self.members = views.MemberView(backend, bot.rest)
        self.roles = views.RoleView(backend, bot.rest)
        lifetime: tuple[type[hikari.Event], ...] = (hikari.StartingEvent, hikari.StoppedEvent)
        with warnings.catch_warnings():
            # The cache listens to every event it can cache; one the bot's intents never send is harmless.
            warnings.simplefilter("ignore", hikari.MissingIntentWarning)
            for event_type in (*lifetime, *self._bridge.event_types):
                self._subscribe(event_type)

    @property
    def bot(self) -> hikari.GatewayBot:
        """Return the bot whose events are cached."""
        return self._bot

    @property
    def backend(self) -> backend_.Backend:
        """Return the backend the cache reads and writes."""
        return self._backend

    # -- listeners -----------------------------------------------------------------------------

    def listen(
        self, event_type: type[EventT] | None = None, /, *, confirm: bool = False
    ) -> collections.abc.Callable[[Callback[EventT]], Callback[EventT]]:
        """Decorate a listener to run after the cache has handled its event.

        The event type comes from the argument or else from the listener's annotation. With
        ``confirm=True`` the listener runs once the event's cache writes are committed, so it
        reads fresh data; with ``confirm=False`` it runs as soon as they are issued.
        """

        def decorate(callback: Callback[EventT]) -> Callback[EventT]:
            chosen = event_type or typing.cast(type[EventT], _annotated_event_type(callback))
            self.subscribe(chosen, callback, confirm=confirm)
            return callback

        return decorate

    def subscribe(self, event_type: type[EventT], callback: Callback[EventT], /, *, confirm: bool = False) -> None:
        """Run ``callback`` for every ``event_type`` event (subclasses included) the bot dispatches."""
        if not (isinstance(event_type, type) and issubclass(event_type, hikari.Event)):
            raise TypeError(f"{event_type!r} is not a hikari event type")
        if not inspect.iscoroutinefunction(callback):
            raise TypeError("listeners must be coroutine functions")
        self._listeners.append(_Listener(event_type, callback, confirm))
        self._subscribe(event_type)

    def unsubscribe(self, event_type: type[EventT], callback: Callback[EventT], /) -> None:
        """Stop running ``callback`` for ``event_type`` events."""
        self._listeners = [
            listener
            for listener in self._listeners
            if not (listener.event_type is event_type and listener.callback == callback)
        ]

    def _subscribe(self, event_type: type[hikari.Event]) -> None:
        if event_type in self._subscribed:
            return
        self._subscribed.add(event_type)

        async def on_event(event: hikari.Event) -> None:
            await self._on_event(event_type, event)

        self._bot.subscribe(event_type, on_event)

    # -- dispatch ------------------------------------------------------------------------------

    async def _on_event(self, subscribed: type[hikari.Event], event: hikari.Event) -> None:
        """Handle ``event`` once: hikari calls this for each subscribed type in the event's MRO."""
        if _most_specific(event, self._subscribed) is not subscribed:
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(event)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _handle(self, event: hikari.Event) -> None:
        listeners = [listener for listener in self._listeners if isinstance(event, listener.event_type)]
        if isinstance(event, hikari.StartingEvent):
            await self._backend.connect()
        if isinstance(event, hikari.StoppedEvent):
            await self._run_listeners(event, listeners)
            await self._close()
            return
        confirmed = [listener for listener in listeners if listener.confirm]
        commits: bridge.Commits = []
        try:
            commits = await self._bridge.write(event, confirm=bool(confirmed))
        except Exception:
            _LOGGER.exception("caching an event failed event=%s", type(event).__name__)
        await asyncio.gather(
            self._run_listeners(event, [listener for listener in listeners if not listener.confirm]),
            self._run_confirmed(event, confirmed, commits),
        )

    async def _run_confirmed(
        self, event: hikari.Event, listeners: collections.abc.Sequence[_Listener], commits: bridge.Commits
    ) -> None:
        """Run the listeners once the event's writes are committed; if one failed, log it and run them anyway."""
        for outcome in await asyncio.gather(*commits, return_exceptions=True):
            if isinstance(outcome, BaseException):
                _LOGGER.error(
                    "an event's cache write failed; its confirmed listeners run anyway event=%s error=%s",
                    type(event).__name__,
                    outcome,
                )
        await self._run_listeners(event, listeners)

    async def _run_listeners(self, event: hikari.Event, listeners: collections.abc.Sequence[_Listener]) -> None:
        await asyncio.gather(*(self._invoke(listener.callback, event) for listener in listeners))

    async def _invoke(self, callback: Callback[typing.Any], event: hikari.Event) -> None:
        """Run one listener; a failure becomes hikari's ``ExceptionEvent``, as for the bot's own listeners."""
        try:
            await callback(event)
        except Exception as exc:
            if isinstance(event, hikari.ExceptionEvent):
                _LOGGER.exception("an exception listener failed")
                return
            has_handler = bool(self._bot.get_listeners(hikari.ExceptionEvent, polymorphic=True))
            _LOGGER.log(
                logging.DEBUG if has_handler else logging.ERROR,
                "a cache listener failed event=%s",
                type(event).__name__,
                exc_info=exc,
            )
            self._bot.dispatch(hikari.ExceptionEvent(exception=exc, failed_event=event, failed_callback=callback))

    async def _close(self) -> None:
        """Let every running handler and listener finish, then disconnect once all writes commit."""
        current = asyncio.current_task()
        while pending := [task for task in self._tasks if task is not current and not task.done()]:
            await asyncio.wait(pending)
        await self._backend.disconnect()

    # -- cache-wide operations ---------------------------------------------------------------------

    async def clear(
        self, *, channels: bool = False, guilds: bool = False, members: bool = False, roles: bool = False
    ) -> None:
        """Remove every cached object of the kinds set to True."""
        await self._backend.clear(channels, guilds, members, roles)

    async def prune(self) -> None:
        """Remove every object that no connected session has written since it connected."""
        await self._backend.prune()

    async def backup(self, path: pathlib.Path | str) -> None:
        """Write a point-in-time snapshot of the whole cache to ``path``, holding every write issued before."""
        if not isinstance(self._backend, Snapshotting):
            raise TypeError(f"{type(self._backend).__name__} cannot take snapshots")
        await self._backend.snapshot(pathlib.Path(path))

    async def restore(self, path: pathlib.Path | str) -> None:
        """Replace the whole cache with a snapshot file's content."""
        await self._backend.restore(pathlib.Path(path))

    def waiting_guilds(self, shard_id: int) -> int:
        """Return how many of its READY guilds the shard still awaits before its prune."""
        return self._bridge.ready_guilds.waiting(shard_id)


def _most_specific(event: hikari.Event, subscribed: collections.abc.Set[type[hikari.Event]]) -> type[hikari.Event]:
    """Return the subscribed class nearest to the event's own in its MRO: the one that handles it."""
    return next(cls for cls in type(event).__mro__ if cls in subscribed)


def _annotated_event_type(callback: Callback[typing.Any]) -> type[hikari.Event]:
    """Read a listener's event type from its first parameter's annotation."""
    first = next(iter(inspect.signature(callback).parameters), None)
    annotation = None if first is None else typing.get_type_hints(callback).get(first)
    if annotation is None:
        raise TypeError(f"cannot tell the event type of {callback!r}: annotate its first parameter or pass the type")
    if not (isinstance(annotation, type) and issubclass(annotation, hikari.Event)):
        raise TypeError(f"{annotation!r} is not a hikari event type")
    return annotation
