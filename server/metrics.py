"""Prometheus metrics of the server, served over HTTP when ``--metrics-address`` is set.

RPCs are counted and timed by method and status where the handlers are
registered; the writer reports each commit; what the cache holds is counted on
each scrape by a counting function the engine provides (SQLite reads the file
on the scrape thread itself, so a scrape never touches the event loop).
"""

from __future__ import annotations

import asyncio
import collections.abc
import logging
import time
import typing

import grpc
import prometheus_client
from prometheus_client import core, registry

from hikari_kura.server import addresses, auth

_LOGGER = logging.getLogger(__name__)

_LATENCY_BUCKETS: typing.Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_BATCH_BUCKETS: typing.Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000)
_KINDS: typing.Final = ("guilds", "channels", "members", "roles")

Handler: typing.TypeAlias = collections.abc.Callable[..., typing.Any]


def _status(context: typing.Any, error: BaseException | None) -> str:
    """Return the status name a finished call ended with."""
    if error is None:
        return "OK"
    try:
        code = context.code()
        remaining = context.time_remaining()
    except Exception:  # older grpcio, or a context that never set one
        code = remaining = None
    if isinstance(code, grpc.StatusCode):
        return str(code.name)
    # gRPC ends a call past its deadline by closing the handler's generator (or cancelling its task).
    if remaining is not None and remaining <= 0:
        return "DEADLINE_EXCEEDED"
    return "CANCELLED" if isinstance(error, (asyncio.CancelledError, GeneratorExit)) else "UNKNOWN"


StoredObjects: typing.TypeAlias = collections.abc.Callable[[], tuple[dict[str, int], int]]
"""Count stored objects by kind and the database's bytes; called on the scrape thread."""


class _StoredObjects(registry.Collector):
    """Counts stored objects and database bytes at scrape time, on the scrape thread."""

    def __init__(self) -> None:
        self.source: StoredObjects | None = None

    def collect(self) -> collections.abc.Iterable[core.Metric]:
        objects = core.GaugeMetricFamily("kura_objects", "Objects stored in the cache, by kind", labels=["kind"])
        size = core.GaugeMetricFamily("kura_database_bytes", "Bytes the database takes")
        if self.source is None:
            return [objects, size]
        try:
            counts, stored_bytes = self.source()
        except Exception as exc:
            _LOGGER.warning("metrics scrape could not count objects error=%s", exc)
            return [objects, size]
        for kind in _KINDS:
            objects.add_metric([kind], counts[kind])
        size.add_metric([], stored_bytes)
        return [objects, size]


class Metrics:
    """The server's metrics, in a registry of their own (so several servers can share a process)."""

    def __init__(self) -> None:
        self.registry = prometheus_client.CollectorRegistry()
        self._rpcs = prometheus_client.Counter(
            "kura_rpcs", "RPCs handled, by method and status code", ["method", "code"], registry=self.registry
        )
        self._rpc_seconds = prometheus_client.Histogram(
            "kura_rpc_duration_seconds",
            "Time from an RPC's start to its end, by method",
            ["method"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._commit_operations = prometheus_client.Histogram(
            "kura_commit_batch_operations",
            "Writes committed together in one transaction",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self._refused = prometheus_client.Counter(
            "kura_refused_calls",
            "Calls refused before they ran (no or a bad token, too low a role, too many sessions), "
            "by method and status code",
            ["method", "code"],
            registry=self.registry,
        )
        self.write_queue_depth = prometheus_client.Gauge(
            "kura_write_queue_depth", "Writes waiting for the writer", registry=self.registry
        )
        self.open_sessions = prometheus_client.Gauge(
            "kura_open_sessions", "Write sessions open now", registry=self.registry
        )
        self._stored = _StoredObjects()
        self.registry.register(self._stored)
        self._http: typing.Any = None

    def count_stored(self, source: StoredObjects) -> None:
        """Count stored objects with ``source`` at each scrape, once the database is open."""
        self._stored.source = source

    def observe_commit(self, operations: int) -> None:
        """Record one committed transaction of ``operations`` writes."""
        self._commit_operations.observe(operations)

    def refused(self, method: str, code: grpc.StatusCode) -> None:
        """Count one call to ``method`` (``/package.Service/Method``) refused with ``code`` (unknown ones alike)."""
        self._refused.labels(auth.method_label(method), code.name).inc()

    def _observe(self, method: str, code: str, started: float) -> None:
        self._rpcs.labels(method, code).inc()
        self._rpc_seconds.labels(method).observe(time.perf_counter() - started)

    def instrument(self, method: str, behavior: Handler, *, streams_responses: bool) -> Handler:
        """Wrap an RPC handler so every call is counted and timed by its final status."""
        if streams_responses:

            async def stream(request: typing.Any, context: typing.Any) -> collections.abc.AsyncIterator[typing.Any]:
                started, error = time.perf_counter(), None
                try:
                    async for response in behavior(request, context):
                        yield response
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    self._observe(method, _status(context, error), started)

            return stream

        async def unary(request: typing.Any, context: typing.Any) -> typing.Any:
            started, error = time.perf_counter(), None
            try:
                return await behavior(request, context)
            except BaseException as exc:
                error = exc
                raise
            finally:
                self._observe(method, _status(context, error), started)

        return unary

    def serve(self, address: str) -> int:
        """Serve ``/metrics`` over HTTP at ``host:port``; return the bound port."""
        host, port = addresses.split(address)
        server, _ = prometheus_client.start_http_server(port, host, self.registry)
        self._http = server
        bound = int(server.server_address[1])
        _LOGGER.info("serving metrics address=%s port=%d", address, bound)
        return bound

    def close(self) -> None:
        """Stop the HTTP server, if one runs."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
