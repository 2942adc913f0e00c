"""The operator's endpoints (/healthz, /readyz, /metrics) and the request log.

Probes and scrapers are machines: these routes are not in the API description.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sangdam.auth.dependencies import sangdam
from sangdam.kit import logs
from sangdam.kit.errors import Forbidden
from sangdam.kit.metrics import HTTP_REQUESTS, HTTP_SECONDS, SOCKET_CLOSES
from sangdam.ops.schemas import Alive
from sangdam.ops.service import metrics_allowed, readiness, render_metrics

router = APIRouter(include_in_schema=False)
log = logging.getLogger("sangdam.http")
socket_log = logging.getLogger("sangdam.sockets")

NO_STORE = {"Cache-Control": "no-store"}
# Probes and scrapes come every few seconds: their lines only at debug level.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
# A request id from the proxy (nginx's $request_id) is kept when it looks like one.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
SOCKET_KINDS = {"/ws/agent": "agent", "/ws/widget": "visitor"}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """The process is alive and its event loop answers (systemd, a container's liveness)."""
    return JSONResponse(Alive().model_dump(), headers=NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Whether to send this node traffic: 503 while its database, schema or Redis is not
    right, and from the moment it is asked to shut down."""
    app = sangdam(request)
    result = await readiness(app.db, app.realtime.broker, draining=app.draining)
    status = 200 if result.status == "ready" else 503
    return JSONResponse(result.model_dump(), status_code=status, headers=NO_STORE)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    app = sangdam(request)
    client = request.client.host if request.client else None
    allowed = metrics_allowed(
        app.settings.server.metrics_token.get_secret_value(),
        request.headers.get("authorization"),
        client,
        forwarded="x-forwarded-for" in request.headers,
    )
    if not allowed:
        raise Forbidden(
            "Metrics are for the scraper: send the token in SANGDAM_SERVER__METRICS_TOKEN as "
            "a bearer token, or scrape the node's own port from the same machine.",
            code="metrics_forbidden",
        )
    return Response(
        await render_metrics(app.db), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE
    )


class RequestLog:
    """One line and one count per HTTP request and per socket, with its id.

    Pure ASGI (not BaseHTTPMiddleware) so that sockets pass through it too and the scope
    it opens lives as long as the request's own task. A line names the route template
    (``/reset/{token}``), never the path, which can hold a one-time secret, nor the
    query string.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._socket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = _header(scope, b"x-request-id")
        request_id = given if given and REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        status = 500  # unless a response starts: an exception went past every handler
        started = time.perf_counter()

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with logs.scope(request_id=request_id) as fields:
            try:
                await self.app(scope, receive, answer)
            finally:
                seconds = time.perf_counter() - started
                route = _route(scope)
                method = scope["method"]
                HTTP_REQUESTS.labels(method, route, str(status)).inc()
                HTTP_SECONDS.labels(method, route).observe(seconds)
                level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
                if status >= 500:
                    level = logging.ERROR
                log.log(
                    level,
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "client": _client(scope),
                        **_workspace(scope, fields),
                    },
                )

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope, scope.get("path", ""))
        kind = SOCKET_KINDS.get(route, "socket")
        closed: dict[str, Any] = {}
        started = time.perf_counter()

        async def outgoing(message: Message) -> None:
            if message["type"] == "websocket.accept":
                socket_log.info(
                    "%s socket opened", kind, extra={"kind": kind, "client": _client(scope)}
                )
            elif message["type"] == "websocket.close" and not closed:
                closed.update(by="server", code=message.get("code", 1000))
            await send(message)

        async def incoming() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect" and not closed:
                closed.update(by="client", code=message.get("code", 1005))
            return message

        with logs.scope(connection_id=secrets.token_hex(6)) as fields:
            try:
                await self.app(scope, incoming, outgoing)
            finally:
                by, code = closed.get("by", "server"), closed.get("code", 1006)
                SOCKET_CLOSES.labels(by, str(code)).inc()
                socket_log.info(
                    "%s socket closed by the %s (%s)",
                    kind,
                    by,
                    code,
                    extra={
                        "kind": kind,
                        "closed_by": by,
                        "code": code,
                        "duration_s": round(time.perf_counter() - started, 1),
                        **_workspace(scope, fields),
                    },
                )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _route(scope: Scope, default: str = "unmatched") -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else default


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


def _workspace(scope: Scope, fields: dict[str, Any]) -> dict[str, Any]:
    if "workspace_id" in fields:
        return {}
    # A route that did not resolve the workspace (a page): its path's number, as the
    # routes that did would log it; anything else in that place is not an id.
    workspace_id = str((scope.get("path_params") or {}).get("workspace_id", ""))
    return {"workspace_id": int(workspace_id)} if workspace_id.isdecimal() else {}
