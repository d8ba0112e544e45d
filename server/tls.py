"""TLS for the server: its certificate and key, and optionally the CA its clients' certificates must chain to."""

from __future__ import annotations

import dataclasses
import pathlib

import grpc


@dataclasses.dataclass(frozen=True, slots=True)
class ServerTLS:
    """Where the server's PEM files are; with ``client_ca`` set, every client must present a certificate."""

    cert: pathlib.Path
    key: pathlib.Path
    client_ca: pathlib.Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        """Read the files and return the server credentials (OSError names a file that cannot be read)."""
        chain = self.cert.read_bytes()
        key = self.key.read_bytes()
        client_ca = self.client_ca.read_bytes() if self.client_ca is not None else None
        return grpc.ssl_server_credentials(
            [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )
