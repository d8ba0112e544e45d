"""TLS for the server: its certificate and key, and optionally the CA its clients' certificates must chain to."""

from __future__ import annotations

import dataclasses
import pathlib
import ssl

import grpc


@dataclasses.dataclass(frozen=True, slots=True)
class ServerTLS:
    """Where the server's PEM files are; with ``client_ca`` set, every client must present a certificate."""

    cert: pathlib.Path
    key: pathlib.Path
    client_ca: pathlib.Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        """Read and check the files and return the server credentials; ``OSError`` names a file that will not do.

        gRPC takes any bytes here and fails later, when it binds the port, without saying why:
        the standard library's TLS parses the same PEM files first and says which one is wrong.
        """
        check = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _load(check, self.cert, "TLS certificate")
        try:
            check.load_cert_chain(self.cert, self.key, password=b"")
        except ssl.SSLError as exc:
            reason = exc.reason or "not an unencrypted PEM private key"
            raise OSError(f"TLS key {self.key} is not the private key of {self.cert}: {reason}") from None
        except OSError as exc:
            raise OSError(f"TLS key {self.key}: {exc.strerror}") from None
        if self.client_ca is not None:
            _load(check, self.client_ca, "TLS client CA")
        chain = self.cert.read_bytes()
        key = self.key.read_bytes()
        client_ca = self.client_ca.read_bytes() if self.client_ca is not None else None
        return grpc.ssl_server_credentials(
            [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
        )


def _load(context: ssl.SSLContext, path: pathlib.Path, what: str) -> None:
    """Raise ``OSError`` naming ``path`` unless it holds PEM certificates."""
    try:
        context.load_verify_locations(path)
    except ssl.SSLError:
        raise OSError(f"{what} {path} holds no PEM certificate") from None
    except OSError as exc:
        raise OSError(f"{what} {path}: {exc.strerror}") from None
