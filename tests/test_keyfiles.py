"""Private keys in the data folder (outbox, TLS) are encrypted under the station key (issue 13)."""

from __future__ import annotations

import ssl

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fieldreg import db, devices, keyfiles, keyring, tls
from tests.conftest import PASSPHRASE

CLEAR_PEM = b"-----BEGIN PRIVATE KEY-----"
NAMES, IPS = ["localhost"], ["127.0.0.1"]


def public(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def clear_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def assert_encrypted(path) -> None:
    pem = path.read_bytes()
    assert pem.startswith(keyfiles.ENCRYPTED) and CLEAR_PEM not in pem
    assert path.stat().st_mode & 0o777 == 0o600
    with pytest.raises(TypeError):  # a password is needed
        serialization.load_pem_private_key(pem, password=None)


def test_the_outbox_key_is_kept_encrypted_and_unusable_while_locked(data_dir):
    key = devices.station_key(data_dir)
    assert_encrypted(data_dir / devices.KEY_FILE)
    assert public(devices.station_key(data_dir)) == public(key)  # the same pair, read back
    keyring.lock(data_dir)
    with pytest.raises(keyring.Locked):
        devices.station_key(data_dir)
    db.unlock(data_dir, PASSPHRASE)
    assert public(devices.station_key(data_dir)) == public(key)


def test_an_outbox_key_kept_in_clear_is_encrypted_in_place(data_dir):
    old = ec.generate_private_key(ec.SECP256R1())
    (data_dir / devices.KEY_FILE).write_bytes(clear_pem(old))
    assert public(devices.station_key(data_dir)) == public(old)  # tablets' records still open
    assert_encrypted(data_dir / devices.KEY_FILE)


def test_the_tls_keys_are_kept_encrypted_and_unusable_while_locked(data_dir):
    cert, key_file, _ca = tls.ensure(data_dir, NAMES, IPS)
    assert_encrypted(key_file)
    assert_encrypted(data_dir / tls.CA_KEY)
    context = ssl.create_default_context(purpose=ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key_file, password=tls.key_password(data_dir))
    with pytest.raises(ssl.SSLError):
        context.load_cert_chain(cert, key_file, password=b"not the password")
    keyring.lock(data_dir)
    with pytest.raises(keyring.Locked):
        tls.ensure(data_dir, NAMES, IPS)
    with pytest.raises(keyring.Locked):
        tls.key_password(data_dir)


def test_tls_keys_kept_in_clear_are_encrypted_in_place(data_dir):
    cert, key_file, ca = tls.ensure(data_dir, NAMES, IPS)
    ca_key, server_key = (keyfiles.load(data_dir, name) for name in (tls.CA_KEY, tls.SERVER_KEY))
    (data_dir / tls.CA_KEY).write_bytes(clear_pem(ca_key))  # as an older version kept them
    key_file.write_bytes(clear_pem(server_key))
    first_cert, first_ca = cert.read_bytes(), ca.read_bytes()
    tls.ensure(data_dir, NAMES, IPS)
    assert_encrypted(data_dir / tls.CA_KEY)
    assert_encrypted(key_file)
    assert (cert.read_bytes(), ca.read_bytes()) == (first_cert, first_ca)  # nothing re-made
    assert public(keyfiles.load(data_dir, tls.SERVER_KEY)) == public(server_key)


def test_a_passphrase_change_re_encrypts_the_key_files(runner, data_dir, monkeypatch):
    outbox = devices.station_key(data_dir)
    tls.ensure(data_dir, NAMES, IPS)
    server = keyfiles.load(data_dir, tls.SERVER_KEY)
    monkeypatch.setenv("FIELDREG_NEW_PASSPHRASE", "another long passphrase")
    assert runner.invoke("rekey").exit_code == 0
    keyring.lock(data_dir)
    db.unlock(data_dir, "another long passphrase")
    assert public(devices.station_key(data_dir)) == public(outbox)
    assert public(keyfiles.load(data_dir, tls.SERVER_KEY)) == public(server)
    assert not list(data_dir.rglob("*" + keyfiles.PENDING))


def test_a_passphrase_change_cut_short_is_finished_by_the_next_read(data_dir):
    outbox = devices.station_key(data_dir)
    old_key = keyring.key_for(data_dir / "fieldreg.db")
    new_key = bytes(range(32))
    pending = keyfiles.prepare_rewrap(data_dir, old_key, new_key)
    assert [p.name for p in pending] == [devices.KEY_FILE + ".new"]
    keyring.remember(data_dir, new_key)  # the database took the new key, then the power went
    assert public(devices.station_key(data_dir)) == public(outbox)
    assert not pending[0].exists()
    keyfiles.prepare_rewrap(data_dir, new_key, bytes(32))  # cut before the database changed
    assert public(devices.station_key(data_dir)) == public(outbox)
    assert not pending[0].exists()
