"""A throwaway CA and server certificate, generated at start, for the lab's HTTPS listeners.

Clients validate against the written CA file (pypsrp `cert_validation=ca_path`). The channel
binding is RFC 5929 tls-server-end-point: the server certificate's hash, the digest of its
signature algorithm (SHA-256 here), which is what pypsrp and requests_ntlm bind NTLM to.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsMaterial:
    """The files written, the server's SSLContext and its channel binding data."""

    ca_path: Path
    cert_path: Path
    key_path: Path
    context: ssl.SSLContext
    channel_binding: bytes  # application data for GssChannelBindings


def generate(directory: Path, names: Sequence[str] = ("localhost",)) -> TlsMaterial:
    """Create a CA and a server certificate for 127.0.0.1, ::1 and `names`, and a server context."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orchestrator lab CA")])
    ca_cert = _sign(
        _builder(ca_name, ca_name, ca_key).add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        ),
        ca_key,
    )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "localhost")]
    )
    builder = _builder(subject, ca_name, key).add_extension(_san(names), critical=False)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
    )
    cert = _sign(builder, ca_key)
    return _write(directory, ca_cert, cert, key)


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
    )


def _sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256())


def _san(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    entries += [x509.DNSName(name) for name in names]
    return x509.SubjectAlternativeName(entries)


def _write(
    directory: Path, ca: x509.Certificate, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> TlsMaterial:
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(_pem_key(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return TlsMaterial(ca_path, cert_path, key_path, context, _end_point_binding(cert))


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _end_point_binding(cert: x509.Certificate) -> bytes:
    """RFC 5929 tls-server-end-point: SHA-256 (the signature's hash) of the DER certificate."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(cert.public_bytes(serialization.Encoding.DER))
    return b"tls-server-end-point:" + digest.finalize()
