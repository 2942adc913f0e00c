"""Calls to URLs that admins configure (Slack, webhooks): refuse private targets (SSRF).

Checked when the URL is saved and again when it is called (the name may resolve
elsewhere by then). Loopback, private, link-local (169.254.169.254), multicast and
reserved addresses, IPv4-mapped IPv6 included, are refused unless explicitly allowed.
Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx

from sangdam.errors import BadRequest

# A receiver slower than this is treated as down; the job retries later.
TIMEOUT_SECONDS = 10.0


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url_shape(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BadRequest("Use an http(s) URL such as https://hooks.slack.com/services/…")
    return url


async def check_target(url: str, *, allow_private: bool) -> None:
    """Refuse URLs whose host is, or resolves to, an internal address."""
    host = urlsplit(check_url_shape(url)).hostname or ""
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise BadRequest(f"The host {host!r} does not resolve.") from None
    if any(_forbidden(str(info[4][0])) for info in infos):
        raise BadRequest(
            f"{host} is an internal address; Sangdam only calls public addresses.",
            code="forbidden_target",
        )


async def post_json(url: str, body: dict[str, Any], *, allow_private: bool) -> httpx.Response:
    await check_target(url, allow_private=allow_private)
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        response = await client.post(url, json=body)
    if response.status_code >= 300:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response


class OutboundFailure(Exception):
    """The call could not be made or answered in time; the message says which, for people."""


async def request_json(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    allow_private: bool,
    timeout_seconds: float = TIMEOUT_SECONDS,
    max_bytes: int = 256 * 1024,
) -> tuple[int, bytes]:
    """One checked call to an admin-configured URL: (status, body of at most ``max_bytes``).

    Plain http is refused unless private targets are allowed too (an on-premises
    setup); redirects are not followed; a larger answer is cut off and refused.
    """
    if urlsplit(url).scheme != "https" and not allow_private:
        raise BadRequest("Use an https:// address; plain http is only allowed on-premises.")
    await check_target(url, allow_private=allow_private)
    try:
        async with (
            httpx.AsyncClient(timeout=timeout_seconds, follow_redirects=False) as client,
            client.stream(method, url, content=content, headers=headers) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise OutboundFailure(f"The answer is larger than {max_bytes // 1024} KB.")
            return response.status_code, bytes(body)
    except httpx.TimeoutException:
        raise OutboundFailure(f"No answer within {timeout_seconds:g} seconds.") from None
    except httpx.HTTPError as exc:
        raise OutboundFailure(f"The connection failed ({type(exc).__name__}).") from None


async def post_bytes(
    url: str, content: bytes, *, headers: dict[str, str], allow_private: bool
) -> httpx.Response:
    """POST exactly ``content`` (e.g. a body that was signed byte for byte)."""
    await check_target(url, allow_private=allow_private)
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        response = await client.post(url, content=content, headers=headers)
    if response.status_code >= 300:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return response
