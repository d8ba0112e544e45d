"""A Docker engine and a base image for the container test, made on the spot when the machine has none.

The project's Dockerfile builds ``FROM python:3.12-slim`` as users anywhere do. Machines without a
reachable registry cannot pull that image, so when the engine does not have it this module makes a
stand-in under that tag: Debian bookworm (debootstrap minbase) with python3, a venv first on PATH
(``python`` and ``pip`` work as in the official image) and the host's extra certificate
authorities, which HTTPS from inside containers needs here. The stand-in is cached in the engine
and built only once per data root.

When no engine is reachable, Debian's ``docker.io`` is installed (as root, with apt-get) and a
private ``dockerd`` is started with its own data root and socket under ``STATE_DIR``; it is stopped
again when the test module ends. A lock file serialises test runs on one machine, since two
private daemons on one data root would break each other.

Nothing here skips: every failure raises ``DockerUnavailableError`` with what went wrong.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence

import system_packages

STATE_DIR = pathlib.Path(os.environ.get("KURA_TEST_DOCKER_DIR", "/tmp/kura-docker"))
BASE_IMAGE = "python:3.12-slim"
BASE_IMAGE_LABEL = "org.hikari-kura.test-base"
DEBIAN_SUITE = "bookworm"
DEBIAN_PACKAGES = ("python3", "python3-venv", "ca-certificates", "passwd")
HOST_CA_DIR = pathlib.Path("/usr/local/share/ca-certificates")
VENV_DIR = "/usr/local/python"
LOCK_TIMEOUT = 900.0
DAEMON_START_TIMEOUT = 90.0


class DockerUnavailableError(RuntimeError):
    """Docker could not be made to work here; the message says why and what was tried."""


class Docker:
    """Runs the docker client against one engine."""

    def __init__(self, env: dict[str, str], *, private: bool) -> None:
        self.env = env
        # True when this module started the engine: it then owns the engine's images too.
        self.private = private

    def run(
        self,
        *args: str,
        timeout: float = 120.0,
        check: bool = True,
        input_bytes: bytes | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS`` and return its result; raise with its output when it fails and ``check``."""
        try:
            result = subprocess.run(
                ["docker", *args],
                env=self.env,
                capture_output=True,
                timeout=timeout,
                check=False,
                input=input_bytes,
            )
        except subprocess.TimeoutExpired as exc:
            raise DockerUnavailableError(f"docker {' '.join(args)} timed out after {timeout:.0f}s") from exc
        done = subprocess.CompletedProcess(
            result.args,
            result.returncode,
            result.stdout.decode(errors="replace"),
            result.stderr.decode(errors="replace"),
        )
        if check and done.returncode != 0:
            raise DockerUnavailableError(
                f"docker {' '.join(args)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
        return done

    def image_exists(self, name: str) -> bool:
        """Tell whether the engine has an image with this name."""
        return self.run("image", "inspect", name, check=False, timeout=30).returncode == 0


def _reachable(env: dict[str, str]) -> bool:
    if shutil.which("docker", path=env.get("PATH")) is None:
        return False
    try:
        result = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            env=env,
            capture_output=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _apt_install(packages: Sequence[str]) -> None:
    try:
        system_packages.apt_install(packages)
    except RuntimeError as exc:
        raise DockerUnavailableError(
            f"no Docker engine is reachable and {exc}; start a Docker engine or set DOCKER_HOST"
        ) from None


@contextlib.contextmanager
def _machine_lock() -> Iterator[None]:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(STATE_DIR / "lock", "w") as lock:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DockerUnavailableError(
                        f"another container test held {STATE_DIR / 'lock'} for {LOCK_TIMEOUT:.0f}s"
                    ) from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _start_private_daemon() -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    socket = STATE_DIR / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{socket}"}
    command = [
        "dockerd",
        f"--host=unix://{socket}",
        f"--data-root={STATE_DIR / 'root'}",
        f"--exec-root={STATE_DIR / 'exec'}",
        f"--pidfile={STATE_DIR / 'dockerd.pid'}",
    ]
    log_path = STATE_DIR / "dockerd.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while not _reachable(env):
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise DockerUnavailableError(f"dockerd exited with {process.returncode}; end of {log_path}:\n{tail}")
        if time.monotonic() > deadline:
            _stop_daemon(process)
            tail = log_path.read_text(errors="replace")[-4000:]
            raise DockerUnavailableError(f"dockerd did not answer within {DAEMON_START_TIMEOUT:.0f}s:\n{tail}")
        time.sleep(0.5)
    return process, env


def _stop_daemon(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _stop_stale_daemon() -> None:
    """Stop a private dockerd that a killed earlier run left on our data root (we hold the lock)."""
    pidfile = STATE_DIR / "dockerd.pid"
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return
    if not cmdline or pathlib.Path(cmdline[0].decode()).name != "dockerd":
        return
    if f"--data-root={STATE_DIR / 'root'}".encode() not in cmdline:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while pathlib.Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)


@contextlib.contextmanager
def docker_engine() -> Iterator[Docker]:
    """Yield a client for a working Docker engine: the one already reachable, or a private one."""
    env = dict(os.environ)
    if _reachable(env):
        yield Docker(env, private=False)
        return
    with _machine_lock():
        missing = [
            name
            for name, binary in (("docker.io", "dockerd"), ("debootstrap", "debootstrap"))
            if not shutil.which(binary)
        ]
        if missing:
            _apt_install(missing)
        _stop_stale_daemon()
        process, env = _start_private_daemon()
        try:
            yield Docker(env, private=True)
        finally:
            _stop_daemon(process)


def ensure_base_image(docker: Docker) -> None:
    """Make sure the engine has ``BASE_IMAGE``, building the local stand-in if it has not."""
    if docker.image_exists(BASE_IMAGE):
        return
    if not docker.private:
        # A real engine on a machine with a registry: the official image is the right base.
        if docker.run("pull", BASE_IMAGE, check=False, timeout=300).returncode == 0:
            return
    if shutil.which("debootstrap") is None:
        _apt_install(["debootstrap"])
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=STATE_DIR, prefix="rootfs-") as tmp:
        rootfs = pathlib.Path(tmp) / "rootfs"
        _debootstrap(rootfs)
        _import_rootfs(docker, rootfs)


def _debootstrap(rootfs: pathlib.Path) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(DEBIAN_PACKAGES)}",
        DEBIAN_SUITE,
        str(rootfs),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        log = rootfs / "debootstrap" / "debootstrap.log"
        detail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise DockerUnavailableError(f"debootstrap failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{detail}")
    ca_dir = rootfs / "usr/local/share/ca-certificates"
    ca_dir.mkdir(parents=True, exist_ok=True)
    for cert in sorted(HOST_CA_DIR.glob("*.crt")) if HOST_CA_DIR.is_dir() else []:
        shutil.copy2(cert, ca_dir / cert.name)
    for command in (
        ["update-ca-certificates"],
        # The official image has python and pip on PATH; a venv gives the same without Debian's
        # "externally managed" guard. Bookworm's python is 3.11: fine for the project.
        ["python3", "-m", "venv", VENV_DIR],
    ):
        result = subprocess.run(
            ["chroot", str(rootfs), *command],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise DockerUnavailableError(
                f"{' '.join(command)} in the base rootfs failed:\n{result.stdout}\n{result.stderr}"
            )
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()


def _import_rootfs(docker: Docker, rootfs: pathlib.Path) -> None:
    tar = subprocess.run(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if tar.returncode != 0:
        raise DockerUnavailableError(f"tar of the base rootfs failed: {tar.stderr.decode(errors='replace')}")
    changes = [
        f"ENV PATH={VENV_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        # pip in the build trusts the system store, which holds the host's extra authorities.
        "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        f"LABEL {BASE_IMAGE_LABEL}=debootstrap-{DEBIAN_SUITE}",
        'CMD ["python3"]',
    ]
    args = ["import"]
    for change in changes:
        args += ["--change", change]
    docker.run(*args, "-", BASE_IMAGE, input_bytes=tar.stdout, timeout=300)
