"""The Dockerfile, built and run as a user would: health, the client, SIGTERM, and data on the volume.

The tests of this module share one image, one volume and, in file order, two containers: the first
is written to through the client and stopped with SIGTERM; the second starts on the same volume and
must find the data. Docker is prepared by ``docker_env`` when the machine has no engine; when it
cannot be, every test here fails with the reason (none is skipped).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import inspect
import json
import logging
import pathlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import grpc
import hikari
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from . import docker_env

pytestmark = pytest.mark.slow

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
IMAGE = "hikari-kura:container-test"
CONTAINER_PORT = "50051/tcp"
LABEL = "org.hikari-kura.container-test"
HEALTHY_TIMEOUT = 90.0
STOP_LIMIT = 15.0
GUILD_ID = 987654321098765432


@dataclasses.dataclass
class Container:
    """A running container of the image, published on a loopback port."""

    name: str
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclasses.dataclass
class StoppedContainer:
    """What ``docker stop`` did to a container."""

    seconds: float
    exit_code: int
    logs: str


@pytest.fixture(scope="module")
def docker() -> Iterator[docker_env.Docker]:
    with docker_env.docker_engine() as engine:
        if engine.private:
            _remove_leftovers(engine)
        yield engine


def _remove_leftovers(docker: docker_env.Docker) -> None:
    """Remove what an interrupted earlier run left in our own engine."""
    containers = docker.run("ps", "--all", "--quiet", "--filter", f"label={LABEL}").stdout.split()
    if containers:
        docker.run("rm", "--force", "--volumes", *containers, check=False)
    volumes = docker.run("volume", "ls", "--quiet", "--filter", f"label={LABEL}").stdout.split()
    if volumes:
        docker.run("volume", "rm", "--force", *volumes, check=False)


@pytest.fixture(scope="module")
def image(docker: docker_env.Docker) -> str:
    docker_env.ensure_base_image(docker)
    docker.run("build", "--pull=false", "--tag", IMAGE, str(REPO_ROOT), timeout=900)
    if docker.private:
        # Earlier builds of changed sources leave untagged images behind in our own data root.
        docker.run("image", "prune", "--force", check=False, timeout=120)
    return IMAGE


@pytest.fixture(scope="module")
def volume(docker: docker_env.Docker) -> Iterator[str]:
    name = f"kura-test-data-{uuid.uuid4().hex[:12]}"
    docker.run("volume", "create", "--label", LABEL, name)
    yield name
    docker.run("volume", "rm", "--force", name, check=False)


def _start(docker: docker_env.Docker, image: str, volume: str) -> Container:
    name = f"kura-test-{uuid.uuid4().hex[:12]}"
    docker.run(
        "run",
        "--detach",
        "--name",
        name,
        "--label",
        LABEL,
        "--publish",
        f"127.0.0.1::{CONTAINER_PORT}",
        "--volume",
        f"{volume}:/data",
        # The image's own check, run more often than its 10s interval so the test need not wait.
        "--health-interval=1s",
        image,
    )
    try:
        _wait_healthy(docker, name)
        published = docker.run("port", name, CONTAINER_PORT).stdout.split()
        ports = [int(address.rsplit(":", 1)[1]) for address in published if address.startswith("127.0.0.1:")]
        if not ports:
            pytest.fail(f"container {name} has no port published on 127.0.0.1: {published}")
    except BaseException:
        docker.run("rm", "--force", "--volumes", name, check=False)
        raise
    return Container(name=name, port=ports[0])


def _wait_healthy(docker: docker_env.Docker, name: str) -> None:
    deadline = time.monotonic() + HEALTHY_TIMEOUT
    while True:
        state = json.loads(docker.run("inspect", "--format", "{{json .State}}", name).stdout)
        health = state.get("Health") or {}
        if health.get("Status") == "healthy":
            return
        if not state.get("Running") or time.monotonic() > deadline:
            logs = docker.run("logs", name, check=False)
            probes = "\n".join(
                f"exit {probe.get('ExitCode')}: {probe.get('Output', '').strip()}" for probe in health.get("Log", [])
            )
            pytest.fail(
                f"container {name} did not become healthy "
                f"(running={state.get('Running')}, exit code {state.get('ExitCode')}, health {health.get('Status')})\n"
                f"health checks (`kura health`):\n{probes}\n"
                f"logs:\n{logs.stdout[-4000:]}{logs.stderr[-4000:]}"
            )
        time.sleep(0.5)


def _remove(docker: docker_env.Docker, container: Container) -> None:
    docker.run("rm", "--force", "--volumes", container.name, check=False)


@pytest.fixture(scope="module")
def first(docker: docker_env.Docker, image: str, volume: str) -> Iterator[Container]:
    container = _start(docker, image, volume)
    yield container
    _remove(docker, container)


@pytest.fixture(scope="module")
def stopped_first(docker: docker_env.Docker, first: Container) -> StoppedContainer:
    started = time.monotonic()
    docker.run("stop", "--time", "30", first.name, timeout=60)
    seconds = time.monotonic() - started
    exit_code = int(docker.run("inspect", "--format", "{{.State.ExitCode}}", first.name).stdout)
    logs = docker.run("logs", first.name, check=False)
    return StoppedContainer(seconds=seconds, exit_code=exit_code, logs=logs.stdout + logs.stderr)


@pytest.fixture(scope="module")
def second(docker: docker_env.Docker, image: str, volume: str, stopped_first: StoppedContainer) -> Iterator[Container]:
    container = _start(docker, image, volume)
    yield container
    _remove(docker, container)


@pytest.fixture(scope="module")
def app() -> hikari.GatewayBot:
    # Never started: it only builds the entities the client returns. The token need only parse.
    token = base64.b64encode(b"1234567890123456789").decode().rstrip("=") + ".AAAAAA." + "x" * 27
    logging.getLogger("hikari").setLevel(logging.ERROR)
    return hikari.GatewayBot(token, banner=None, suppress_optimization_warning=True)


@pytest.fixture(scope="module")
def role(app: hikari.GatewayBot) -> hikari.Role:
    payload = {
        "id": "123456789012345678",
        "name": "Moderator \N{SHIELD}",
        "color": 0xFF00FF,
        "hoist": True,
        "position": 3,
        "permissions": str((1 << 52) | 8),
        "managed": False,
        "mentionable": True,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }
    return app.entity_factory.deserialize_role(payload, guild_id=hikari.Snowflake(GUILD_ID))


def _fields(role: hikari.Role) -> dict[str, Any]:
    return {field.name: getattr(role, field.name) for field in attrs.fields(type(role)) if field.name != "app"}


def _health_status(target: str) -> int:
    with grpc.insecure_channel(target) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    return int(response.status)


async def _write_role(target: str, app: hikari.GatewayBot, role: hikari.Role) -> None:
    from hikari_kura.client import GrpcBackend

    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        confirmed = await backend.role_create(role, confirm=True)
        await asyncio.wait_for(confirmed, timeout=30)
    finally:
        await backend.disconnect()


async def _read_role(target: str, app: hikari.GatewayBot, role_id: int) -> list[hikari.Role]:
    from hikari_kura.client import GrpcBackend, RoleQuery

    backend = GrpcBackend(target, app=app)
    await backend.connect()
    try:
        roles = backend.iter_roles(RoleQuery(id=role_id))
        if inspect.isawaitable(roles):
            roles = await roles
        return [found async for found in roles]
    finally:
        await backend.disconnect()


def test_image_is_configured_as_a_service(docker: docker_env.Docker, image: str) -> None:
    config = json.loads(docker.run("image", "inspect", "--format", "{{json .Config}}", image).stdout)
    user = config["User"].split(":")[0]
    assert user not in ("", "0", "root")
    assert CONTAINER_PORT in config["ExposedPorts"]
    assert "/data" in config["Volumes"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["KURA_DATABASE"] == "/data/kura.sqlite3"
    assert env["KURA_ADDRESS"].endswith(":50051")
    assert not env["KURA_ADDRESS"].startswith(("127.", "localhost", "[::1]"))
    assert config["Entrypoint"] == ["kura"]
    assert config["Cmd"] == ["serve"]
    assert config["Healthcheck"]["Test"][:3] == ["CMD", "kura", "health"]


def test_image_holds_the_installed_wheel_and_no_hikari(docker: docker_env.Docker, image: str) -> None:
    script = (
        "import importlib.metadata, importlib.util, hikari_kura.server.service as s; "
        "print(importlib.metadata.distribution('hikari-kura').read_text('INSTALLER').strip(), "
        "importlib.util.find_spec('hikari') is None, s.__file__)"
    )
    output = docker.run("run", "--rm", "--entrypoint", "python", image, "-c", script).stdout.split()
    assert output[:2] == ["pip", "True"], output
    assert "/site-packages/hikari_kura/server/" in output[2]


def test_container_serves_grpc_health_on_the_published_port(first: Container) -> None:
    assert _health_status(first.target) == health_pb2.HealthCheckResponse.SERVING


def test_container_runs_unprivileged_with_its_database_on_the_volume(
    docker: docker_env.Docker, first: Container
) -> None:
    assert docker.run("exec", first.name, "id", "-u").stdout.strip() != "0"
    listing = docker.run("exec", first.name, "ls", "-l", "/data/kura.sqlite3", check=False)
    assert listing.returncode == 0, f"no database file on the volume: {listing.stderr}"


async def test_client_writes_and_reads_a_role_through_the_container(
    first: Container, app: hikari.GatewayBot, role: hikari.Role
) -> None:
    await _write_role(first.target, app, role)
    found = await _read_role(first.target, app, role.id)
    assert [_fields(r) for r in found] == [_fields(role)]


def test_sigterm_stops_the_container_promptly_and_cleanly(stopped_first: StoppedContainer) -> None:
    assert stopped_first.exit_code == 0, f"exit code {stopped_first.exit_code}; logs:\n{stopped_first.logs[-4000:]}"
    assert stopped_first.seconds < STOP_LIMIT, f"docker stop took {stopped_first.seconds:.1f}s: SIGTERM not handled?"


def test_new_container_on_the_same_volume_becomes_healthy(second: Container) -> None:
    assert _health_status(second.target) == health_pb2.HealthCheckResponse.SERVING


async def test_new_container_on_the_same_volume_finds_the_data(
    second: Container, app: hikari.GatewayBot, role: hikari.Role
) -> None:
    found = await _read_role(second.target, app, role.id)
    assert [_fields(r) for r in found] == [_fields(role)], "the role written before the restart is gone"
