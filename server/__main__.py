"""The ``kura`` command and ``python -m hikari_kura.server``: the command line, or what to install to get it.

``pip install hikari-kura`` installs a bot's client alone, and with it this command; the server's
own dependencies come with ``pip install 'hikari-kura[server]'``. Without them ``kura`` says so
in one line instead of a traceback.
"""

import sys

SERVER_MODULES = frozenset({"aiosqlite", "asyncpg", "prometheus_client", "grpc_health", "grpc_reflection"})
"""Top-level modules of the ``server`` extra's packages."""


def main() -> int:
    """Run the ``kura`` command line, or name the extra to install when the server's dependencies are missing."""
    try:
        from hikari_kura.server import cli  # here, not at the top: this import is what is checked
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in SERVER_MODULES:
            raise
        sys.stderr.write(
            f"kura: the server's dependencies are not installed ({exc.name} is missing): "
            "pip install 'hikari-kura[server]'\n"
        )
        return 1
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
