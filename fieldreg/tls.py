"""HTTPS for the station: a local certificate authority and a server certificate, made once.

Tablets need a secure context for the service worker, persistent storage and the camera.
The laptop makes its own CA (kept in ``DATA/tls``); a tablet installs ``ca.crt`` once, then
trusts every server certificate this station makes. The server certificate names the laptop's
host names and LAN addresses, and is made again when those change (another Wi-Fi, another
address) or when it nears its end. Both private keys are kept encrypted under the station key
(fieldreg.keyfiles): while the station is locked, no certificate can be made or served.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fieldreg import keyfiles, keyring

CA_DAYS = 3650
# iOS refuses server certificates valid for more than 825 days, even under a private CA.
SERVER_DAYS = 397
RENEW_DAYS = 30


def local_names() -> tuple[list[str], list[str]]:
    """Return this laptop's host names and IP addresses (loopback and LAN)."""
    host = socket.gethostname()
    names = sorted({"localhost", host, host.split(".")[0] + ".local"})
    ips = {"127.0.0.1"}
    try:
        ips.update(i[4][0] for i in socket.getaddrinfo(host, None, socket.AF_INET))
    except OSError:
        pass
    try:  # the address of the interface with a route out (no packet is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            ips.add(probe.getsockname()[0])
    except OSError:
        pass
    return names, sorted(ips)


CA_KEY, SERVER_KEY = "tls/ca.key", "tls/server.key"


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FieldReg station"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _ca(data_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Load the station's CA, creating it the first time."""
    cert_path = data_dir / "tls" / "ca.crt"
    key = keyfiles.load(data_dir, CA_KEY)
    if key is None or not cert_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        name = _name(f"FieldReg station CA {socket.gethostname()[:30]}")
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        keyfiles.save(data_dir, CA_KEY, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _current(path: Path, names: list[str], ips: list[str]) -> bool:
    """Tell whether the server certificate exists, names exactly these, and is not ending."""
    if not path.exists():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    same = set(san.get_values_for_type(x509.DNSName)) == set(names) and {
        str(ip) for ip in san.get_values_for_type(x509.IPAddress)
    } == set(ips)
    ending = cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=RENEW_DAYS)
    return same and not ending


def ensure(data_dir: str | Path, names: list[str], ips: list[str]) -> tuple[Path, Path, Path]:
    """Make (once) the CA and a server certificate for these names; return cert, key, CA.

    The key file is encrypted: open it with ``key_password(data_dir)``. Raises
    ``keyring.Locked`` while the station is locked.
    """
    data_dir = Path(data_dir).resolve()
    folder = data_dir / "tls"
    folder.mkdir(mode=0o700, exist_ok=True)
    ca_key, ca_cert = _ca(data_dir)
    cert_path, key_path = folder / "server.crt", data_dir / SERVER_KEY
    if keyfiles.load(data_dir, SERVER_KEY) is None or not _current(cert_path, names, ips):
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        alt = [x509.DNSName(n) for n in names] + [
            x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .sign(ca_key, hashes.SHA256())
        )
        keyfiles.save(data_dir, SERVER_KEY, key)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path, folder / "ca.crt"


def key_password(data_dir: str | Path) -> bytes:
    """Return the password of the server key file (raises ``keyring.Locked`` while locked)."""
    data_dir = Path(data_dir).resolve()
    return keyfiles.password(keyring.key_for(data_dir / "fieldreg.db", home=data_dir), SERVER_KEY)


def ca_path(data_dir: str | Path) -> Path:
    """Return where the station's CA certificate is (it may not exist yet)."""
    return Path(data_dir) / "tls" / "ca.crt"


def fingerprint(cert_file: Path) -> str:
    """Return the SHA-256 fingerprint of a certificate, as installers show it (AA:BB:...)."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def der(cert_file: Path) -> bytes:
    """Return the certificate in DER form (what Android and iOS install most readily)."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.public_bytes(serialization.Encoding.DER)
