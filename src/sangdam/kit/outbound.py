"""Every call Sangdam makes to a URL that someone configured (Slack, webhooks, the data
card, GitHub) goes through here; nothing else in ``src`` imports an HTTP client.

SSRF: a target must be globally routable. ``ipaddress``'s ``is_global`` decides, plus
what it misses: multicast, IPv6 addresses that embed an IPv4 one (IPv4-mapped
``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``) are judged by the IPv4 address inside, Teredo and local-use NAT64
(``64:ff9b:1::/48``) are refused outright. So 127.0.0.1, 10/8, 100.64.0.0/10 (carrier
NAT, with the 100.100.100.200 metadata address), 169.254.169.254, fc00::/7 and the like
are refused, however they are written.

The name is resolved once, every address it gives is checked, and the connection goes
to a checked address with the original Host header and TLS server name (SNI): a DNS
answer that changes between the check and the call (rebinding) can't redirect the
request. Checked when a URL is saved and again at each call. Redirects are not
followed; environment proxies are ignored (they would connect elsewhere).

TLS: the public CAs (certifi), plus — for one integration only — the company's own CA
certificates it was given (``ca_bundle``, PEM), so an internal endpoint signed by an
internal CA is trusted there and nowhere else. A certificate that is not trusted is said
so ("certificate not trusted"), not reported as a failed connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx

from sangdam.kit.errors import BadRequest
from sangdam.kit.metrics import OUTBOUND_FAILURES

# A receiver slower than this is treated as down; the job retries later.
TIMEOUT_SECONDS = 10.0
# Nothing was sent if the connection could not be made in this time: safe to retry.
CONNECT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host -> the addresses it resolves to (strings). Tests pass their own to play a
# rebinding DNS server; everyone else gets the system resolver.
Resolver = Callable[[str], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_TEREDO = ipaddress.ip_network("2001::/32")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def forbidden_address(address: str | IPAddress) -> bool:
    """True unless ``address`` is a globally routable unicast address."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return forbidden_address(ip.ipv4_mapped)
        if ip in _TEREDO or ip in _NAT64_LOCAL:
            return True
        if ip.sixtofour is not None:
            return forbidden_address(ip.sixtofour)
        if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
            if ip in _IPV4_COMPATIBLE and int(ip) <= 1:  # :: and ::1
                return True
            return forbidden_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return not ip.is_global or ip.is_multicast


def check_url_shape(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadRequest("Use an http(s) URL such as https://hooks.slack.com/services/…")
    return url


async def system_resolver(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_target(
    url: str, *, allow_private: bool, resolve: Resolver | None = None
) -> list[str]:
    """The addresses ``url``'s host resolves to, all checked; refuse an internal one."""
    host = urlsplit(check_url_shape(url)).hostname or ""
    try:
        addresses = await (resolve or system_resolver)(host)
    except (socket.gaierror, UnicodeError):
        raise BadRequest("The host {host!r} does not resolve.", values={"host": host}) from None
    if not addresses:
        raise BadRequest("The host {host!r} does not resolve.", values={"host": host})
    if not allow_private and any(forbidden_address(a.split("%")[0]) for a in addresses):
        raise BadRequest(
            "{host} is an internal address; Sangdam only calls public addresses.",
            code="forbidden_target",
            values={"host": host},
        )
    return addresses


async def check_target(url: str, *, allow_private: bool, resolve: Resolver | None = None) -> None:
    """Refuse URLs whose host is, or resolves to, an internal address (at save time).

    Where internal addresses are allowed (tests, a closed network) there is nothing to
    refuse, so the host need not resolve yet; the call itself resolves it."""
    if allow_private:
        check_url_shape(url)
        return
    await resolve_target(url, allow_private=allow_private, resolve=resolve)


def _pinned(url: str, address: str) -> tuple[str, str, str]:
    """(the URL with ``address`` as its host, the Host header, the TLS server name)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{port}" if port else literal
    host_header = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host


class OutboundFailure(Exception):
    """The call could not be made or answered in time; the message says which, for people."""


# Most certificates a company would add are a few KB; a whole CA store is ~200 KB.
MAX_CA_BUNDLE_CHARS = 256 * 1024


def check_ca_bundle(pem: str) -> str:
    """The CA certificates (PEM) an admin gave an integration, checked; raises BadRequest."""
    pem = pem.strip()
    if len(pem) > MAX_CA_BUNDLE_CHARS:
        raise BadRequest(
            "The CA bundle is larger than {limit} KB.",
            values={"limit": MAX_CA_BUNDLE_CHARS // 1024},
        )
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise BadRequest(
            "Paste the CA certificate in PEM form, starting with -----BEGIN CERTIFICATE-----."
        )
    try:
        ssl.create_default_context(cadata=pem)
    except (ssl.SSLError, ValueError):
        raise BadRequest("The CA bundle could not be read as PEM certificates.") from None
    return pem + "\n"


def tls_verification(ca_bundle: str | None) -> ssl.SSLContext:
    """The public CAs, plus the integration's own CA certificates if it has any."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cadata=ca_bundle)
    return context


def certificate_problem(exc: BaseException) -> str | None:
    """Why the server's certificate was refused, if that is what ended the call."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return str(current.verify_message or current.reason or "verification failed")
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return "certificate verify failed"
        current = current.__cause__ or current.__context__
    return None


async def _send(
    method: str,
    url: str,
    *,
    content: bytes | None,
    headers: dict[str, str] | None,
    allow_private: bool,
    timeout_seconds: float,
    max_bytes: int,
    resolve: Resolver | None,
    refuse_larger: bool = True,
    ca_bundle: str | None = None,
) -> tuple[int, bytes]:
    """Resolve once, check, then connect to a checked address (the next one if it refuses).

    A larger answer than ``max_bytes`` is refused (``refuse_larger``) or cut off.
    """
    addresses = await resolve_target(url, allow_private=allow_private, resolve=resolve)
    last_error: httpx.HTTPError | None = None
    timeout = httpx.Timeout(timeout_seconds, connect=min(CONNECT_SECONDS, timeout_seconds))
    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        verify=tls_verification(ca_bundle),
    ) as client:
        for address in addresses:
            pinned_url, host_header, server_name = _pinned(url, address.split("%")[0])
            request = client.build_request(
                method,
                pinned_url,
                content=content,
                headers={**(headers or {}), "Host": host_header},
                extensions={"sni_hostname": server_name},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                if certificate_problem(exc):
                    raise  # the same certificate answers on every address
                last_error = exc  # this address refused; the name may have others
                continue
            try:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        if not refuse_larger:
                            break
                        raise OutboundFailure(f"The answer is larger than {max_bytes // 1024} KB.")
                return response.status_code, bytes(body)
            finally:
                await response.aclose()
    assert last_error is not None
    raise last_error


async def request_json(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    allow_private: bool,
    timeout_seconds: float = TIMEOUT_SECONDS,
    max_bytes: int = 256 * 1024,
    resolve: Resolver | None = None,
    ca_bundle: str | None = None,
) -> tuple[int, bytes]:
    """One checked call to an admin-configured URL: (status, body of at most ``max_bytes``).

    Plain http is refused unless private targets are allowed too (an on-premises
    setup); redirects are not followed; a larger answer is cut off and refused.
    ``ca_bundle``: the integration's own CA certificates (PEM), trusted for this call only.
    """
    if urlsplit(url).scheme != "https" and not allow_private:
        raise BadRequest("Use an https:// address; plain http is only allowed on-premises.")
    try:
        return await _send(
            method,
            url,
            content=content,
            headers=headers,
            allow_private=allow_private,
            timeout_seconds=timeout_seconds,
            max_bytes=max_bytes,
            resolve=resolve,
            ca_bundle=ca_bundle,
        )
    except httpx.TimeoutException:
        OUTBOUND_FAILURES.labels("timeout").inc()
        raise OutboundFailure(f"No answer within {timeout_seconds:g} seconds.") from None
    except httpx.HTTPError as exc:
        problem = certificate_problem(exc)
        if problem is not None:
            OUTBOUND_FAILURES.labels("certificate").inc()
            raise OutboundFailure(
                f"The server's certificate is not trusted ({problem}). If your company's own "
                "CA signed it, add that CA certificate (PEM) to this integration."
            ) from None
        OUTBOUND_FAILURES.labels("connection").inc()
        raise OutboundFailure(f"The connection failed ({type(exc).__name__}).") from None
    except OutboundFailure:
        OUTBOUND_FAILURES.labels("too_large").inc()
        raise
    except BadRequest:
        OUTBOUND_FAILURES.labels("refused_address").inc()
        raise


async def post_bytes(
    url: str,
    content: bytes,
    *,
    headers: dict[str, str],
    allow_private: bool,
    timeout_seconds: float = TIMEOUT_SECONDS,
    resolve: Resolver | None = None,
) -> int:
    """POST exactly ``content`` (e.g. a body that was signed byte for byte); the status.

    Raises RuntimeError for an answer other than 2xx, httpx errors for no answer: the
    job that called retries later.
    """
    try:
        status, _ = await _send(
            "POST",
            url,
            content=content,
            headers=headers,
            allow_private=allow_private,
            timeout_seconds=timeout_seconds,
            max_bytes=64 * 1024,
            resolve=resolve,
            refuse_larger=False,
        )
    except httpx.TimeoutException:
        OUTBOUND_FAILURES.labels("timeout").inc()
        raise
    except httpx.HTTPError:
        OUTBOUND_FAILURES.labels("connection").inc()
        raise
    except BadRequest:
        OUTBOUND_FAILURES.labels("refused_address").inc()
        raise
    if status >= 300:
        OUTBOUND_FAILURES.labels("status").inc()
        raise RuntimeError(f"{url} answered {status}")
    return status


async def post_json(
    url: str,
    body: dict[str, Any],
    *,
    allow_private: bool,
    timeout_seconds: float = TIMEOUT_SECONDS,
    resolve: Resolver | None = None,
) -> int:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return await post_bytes(
        url,
        content,
        headers={"Content-Type": "application/json"},
        allow_private=allow_private,
        timeout_seconds=timeout_seconds,
        resolve=resolve,
    )
