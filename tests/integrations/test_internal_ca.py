"""The data card on a company's internal CA: "certificate not trusted" says so, and the
integration's own CA bundle makes the call work — for that integration only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sangdam.integrations import service as integrations
from sangdam.kit.outbound import OutboundFailure, request_json
from tests.fixtures.factories import World
from tests.fixtures.http_stub import HttpStub, Reply
from tests.integrations.test_external_data import ORDERS, _card, _member, allow_private


def _internal_ca(tmp_path: Path) -> tuple[str, ssl.SSLContext]:
    """A company CA (PEM) and a server context whose certificate (for 127.0.0.1) it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Shop Internal Root CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "orders.internal")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return ca.public_bytes(serialization.Encoding.PEM).decode(), context


async def test_internal_ca_is_named_and_trusted_per_integration(
    world: World, tmp_path: Path
) -> None:
    ca_pem, server_tls = _internal_ca(tmp_path)
    login = await world.login()
    url_of = f"{world.base}/integrations/external-data"
    try:
        async with HttpStub(lambda request: Reply(body=ORDERS), tls=server_tls) as stub:
            with allow_private(world):
                url = f"{stub.url}/card"
                saved = await login.client.put(
                    url_of, json={"url": url, "enabled": True}, headers=login.headers()
                )
                assert saved.status_code == 200, saved.text
                member = await _member(world, "u-ca")
                refused = await _card(login, world, member.contact_id)
                assert refused["status"] == "error"
                assert "certificate is not trusted" in refused["message"], refused
                assert "ConnectError" not in refused["message"]

                # Not a certificate: refused with words the admin can act on.
                bad = await login.client.put(
                    url_of,
                    json={"url": url, "ca_bundle": "-----BEGIN CERTIFICATE-----\nxx\n"},
                    headers=login.headers(),
                )
                assert bad.status_code == 400 and "PEM" in bad.json()["message"], bad.text
                assert (
                    await login.client.put(
                        url_of, json={"url": url, "ca_bundle": "hello"}, headers=login.headers()
                    )
                ).status_code == 400

                saved = await login.client.put(
                    url_of, json={"url": url, "ca_bundle": ca_pem}, headers=login.headers()
                )
                assert saved.status_code == 200, saved.text
                assert saved.json()["ca_bundle"].strip() == ca_pem.strip()
                card = await _card(login, world, member.contact_id)
                assert card["status"] == "ok" and card["card"]["title"] == "최근 주문", card
                # Saving the URL again without the field keeps the bundle.
                kept = await login.client.put(
                    url_of, json={"url": url, "enabled": True}, headers=login.headers()
                )
                assert kept.json()["ca_bundle"]

                # Only this integration trusts it: any other outgoing call still refuses it.
                with pytest.raises(OutboundFailure, match="certificate is not trusted"):
                    await request_json("POST", url, content=b"{}", allow_private=True)
                status, _ = await request_json(
                    "POST", url, content=b"{}", allow_private=True, ca_bundle=ca_pem
                )
                assert status == 200

                # An empty bundle removes it: public CAs only again.
                cleared = await login.client.put(
                    url_of, json={"url": url, "ca_bundle": ""}, headers=login.headers()
                )
                assert cleared.json()["ca_bundle"] is None
                again = await _card(login, world, (await _member(world, "u-ca2")).contact_id)
                assert "certificate is not trusted" in again["message"]
    finally:
        integrations._card_cache.clear()
