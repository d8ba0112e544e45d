"""Certificates made at test time: a CA, a server certificate for 127.0.0.1 and localhost, client certificates."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass(frozen=True, slots=True)
class Issued:
    """A certificate and its key, as PEM files."""

    cert: pathlib.Path
    key: pathlib.Path


@dataclasses.dataclass(frozen=True, slots=True)
class Authority:
    """A certificate authority that signs certificates into ``directory``."""

    name: str
    directory: pathlib.Path
    _key: ec.EllipticCurvePrivateKey
    _cert: x509.Certificate

    @property
    def cert(self) -> pathlib.Path:
        """Return the path of the CA's certificate, what a peer trusts."""
        return self.directory / f"{self.name}.pem"

    def issue(self, name: str, *, server: bool) -> Issued:
        """Sign a certificate for a server (127.0.0.1, ::1, localhost) or a client, and save it with its key."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            _base(name, key, issuer=self._cert.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            names: list[x509.GeneralName] = [
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1")),
            ]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return _save(self.directory, name, cert, key)


def _base(name: str, key: ec.EllipticCurvePrivateKey, *, issuer: x509.Name | None = None) -> x509.CertificateBuilder:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def _save(directory: pathlib.Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    issued = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    issued.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return issued


def authority(directory: pathlib.Path, name: str) -> Authority:
    """Make a self-signed CA named ``name`` whose files go into ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _base(name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    ca = Authority(name, directory, key, cert)
    _save(directory, name, cert, key)
    return ca
