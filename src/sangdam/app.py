"""The ASGI application: settings, database, realtime, routers and error handling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from sangdam import domains
from sangdam.accounts.api import router as accounts_router
from sangdam.auth.dependencies import document_security
from sangdam.automation import tasks as automation_tasks
from sangdam.automation.api import router as automation_router
from sangdam.bot.api import router as bot_router
from sangdam.campaigns import tasks as _campaign_tasks  # noqa: F401  (registers its job handlers)
from sangdam.campaigns.api import router as campaigns_router
from sangdam.canned.api import router as canned_router
from sangdam.channels import tasks as _channel_tasks  # noqa: F401  (registers its job handlers)
from sangdam.channels.api import router as channels_router
from sangdam.channels.api import webhook_router as channel_webhooks_router
from sangdam.config import Settings
from sangdam.contacts.api import router as contacts_router
from sangdam.contacts.tasks import run_purger
from sangdam.conversations.api import router as conversations_router
from sangdam.csat import tasks as _csat_tasks  # noqa: F401  (registers its job handlers)
from sangdam.csat.api import public_router as csat_public_router
from sangdam.csat.api import router as csat_router
from sangdam.csat.api import widget_router as csat_widget_router
from sangdam.db import Database
from sangdam.email import tasks as email_tasks
from sangdam.email.api import router as email_router
from sangdam.integrations.api import router as integrations_router
from sangdam.jobs.service import run_worker
from sangdam.kit.errors import SangdamError
from sangdam.kit.input import clean_json, clean_text
from sangdam.kit.ratelimit import PublicLimits, RateLimiter
from sangdam.knowledge.api import help_router
from sangdam.knowledge.api import router as knowledge_router
from sangdam.members.api import public_router as invitations_router
from sangdam.members.api import router as members_router
from sangdam.messages.api import router as messages_router
from sangdam.notifications import service as notifications
from sangdam.ops.api import RequestLog
from sangdam.ops.api import router as ops_router
from sangdam.realtime.api import router as realtime_router
from sangdam.realtime.service import Realtime
from sangdam.reports import tasks as _report_tasks  # noqa: F401  (registers its job handlers)
from sangdam.reports.api import router as reports_router
from sangdam.routing.api import router as routing_router
from sangdam.routing.tasks import run_sweeper
from sangdam.segments.api import router as segments_router
from sangdam.tags.api import router as tags_router
from sangdam.web.i18n import error_translator
from sangdam.web.pages import error_page
from sangdam.web.pages import router as pages_router
from sangdam.widget.api import router as widget_router
from sangdam.workspaces.api import installation_router
from sangdam.workspaces.api import router as workspaces_router

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "static"


class Sangdam:
    """Everything a request handler may need, created once per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        domains.install()
        self.db = Database(settings)
        self.realtime = Realtime(settings)
        self.db.on_commit(self.realtime.publish_committed)
        # Limits on what the public can do (widget, help-center search, inbound email).
        self.limits = PublicLimits(RateLimiter(settings.redis_url), settings)
        self.smtp: asyncio.Server | None = None
        # Set on SIGTERM (``drain``): /readyz says 503 and sockets are asked to go.
        self.draining = False
        self._jobs_stopping = asyncio.Event()

    async def start(self) -> None:
        await self.realtime.start()
        self._sweeper = asyncio.create_task(
            run_sweeper(self.db, self.settings.routing.sweep_seconds),
            name="sangdam-routing-sweeper",
        )
        notifications.register(self.settings)
        automation_tasks.register(self.settings)
        self._worker = asyncio.create_task(
            run_worker(self.db, self.settings.outbound.job_poll_seconds, self._jobs_stopping),
            name="sangdam-jobs",
        )
        self._purger = asyncio.create_task(
            run_purger(self.db, self.settings.contacts.event_retention_days),
            name="sangdam-contact-events-purge",
        )
        if self.settings.email.listen:
            self.smtp = await email_tasks.start_listener(self.db, self.settings, self.limits)

    async def drain(self) -> None:
        """The first half of a graceful shutdown (SIGTERM), once the node stopped accepting:
        /readyz answers 503, the job worker takes no new job, and every socket is closed
        with 1012 after its frame under way is answered, so clients resume on another node.
        Requests under way finish afterwards (uvicorn), then ``stop`` runs."""
        if self.draining:
            return
        self.draining = True
        self._jobs_stopping.set()
        started = time.monotonic()
        count = await self.realtime.hub.drain(self.settings.server.shutdown_seconds)
        log.info(
            "shutting down: %d sockets asked to reconnect elsewhere, %d still open",
            count,
            self.realtime.hub.connection_count,
            extra={"drain_seconds": round(time.monotonic() - started, 2)},
        )

    async def stop(self) -> None:
        self.draining = True
        self._jobs_stopping.set()
        if self.smtp is not None:
            self.smtp.close()
            await self.smtp.wait_closed()
        # The job under way finishes (it would otherwise run again once its lock expired).
        try:
            await asyncio.wait_for(
                asyncio.shield(self._worker), self.settings.server.shutdown_seconds
            )
        except TimeoutError:
            log.warning("a background job did not finish in time; it will run again later")
        for task in (self._sweeper, self._worker, self._purger):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.realtime.stop()
        await self.limits.limiter.close()
        await self.db.dispose()


def _validation_message(
    exc: RequestValidationError, said: Callable[[str], str] = lambda text: text
) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"] if part != "body") or "request"
        # Our own validators' words go through the catalogs; pydantic's own stay English.
        ours = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
        problem = said(str(ours)) if ours is not None else error["msg"]
        problems.append(f"{where}: {problem}")
    # A key of the body may carry a character that cannot be sent back as UTF-8.
    return clean_text(said("The request is not valid:") + " " + "; ".join(problems) + ".")


def _constraint(exc: IntegrityError) -> str:
    orig = exc.orig
    name = getattr(orig, "constraint_name", None) or getattr(
        getattr(orig, "__cause__", None), "constraint_name", None
    )
    if name:
        return str(name)
    # SQLite says "UNIQUE constraint failed: table.column": names, no values.
    return str(orig).split("\n", 1)[0] if "constraint failed" in str(orig) else type(orig).__name__


def _allowed_methods(routes: Sequence[BaseRoute], scope: Scope) -> list[str]:
    allowed: set[str] = set()
    for route in iter_route_contexts(routes):
        if route.matches(scope)[0] is not Match.NONE:
            allowed |= set(getattr(route, "methods", None) or ())
    return sorted(allowed)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    sangdam = Sangdam(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await sangdam.start()
        try:
            yield
        finally:
            await sangdam.stop()

    app = FastAPI(
        title="Sangdam API",
        version="1",
        description="Conversations, messages and contacts of a Sangdam workspace. "
        "Authenticate with `Authorization: Bearer <workspace API token>`.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.sangdam = sangdam
    generate_openapi = app.openapi

    def _openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_security(generate_openapi(), app.routes)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = _openapi  # type: ignore[method-assign]

    @app.exception_handler(SangdamError)
    async def _sangdam_error(request: Request, exc: SangdamError) -> Response:
        if (page := error_page(request, exc.status_code, exc.message)) is not None:
            return page
        # In the language the page asked for (Accept-Language); English for programs.
        said = error_translator(request.headers.get("accept-language"))
        # Messages may quote the input; what cannot be encoded as UTF-8 is replaced.
        body = clean_json(exc.as_dict(said))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        said = error_translator(request.headers.get("accept-language"))
        return JSONResponse(
            {"code": "invalid", "message": _validation_message(exc, said)}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 400:
            # Raised only by the framework, for a body it cannot read: an invalid value
            # like any other (422, as the schema documents), not a different kind of error.
            message = "The request body is not JSON text in UTF-8. Send it as JSON."
            message = error_translator(request.headers.get("accept-language"))(message)
            return JSONResponse({"code": "invalid", "message": message}, status_code=422)
        if exc.status_code == 405:
            # Each method of a path is its own route; the answer names them all.
            headers["Allow"] = ", ".join(_allowed_methods(app.routes, request.scope))
        message = "Nothing is at this address." if exc.status_code == 404 else str(exc.detail)
        if (page := error_page(request, exc.status_code, message)) is not None:
            return page
        message = error_translator(request.headers.get("accept-language"))(message)
        return JSONResponse(
            {"code": "not_found" if exc.status_code == 404 else "http_error", "message": message},
            status_code=exc.status_code,
            headers=headers,
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(request: Request, exc: IntegrityError) -> JSONResponse:
        # The constraint's name, not the driver's text: that quotes the key's values.
        log.info("integrity conflict: %s", _constraint(exc))
        said = error_translator(request.headers.get("accept-language"))
        return JSONResponse(
            {
                "code": "conflict",
                "message": said("Another request changed this at the same time. Try again."),
            },
            status_code=409,
        )

    for router in (
        accounts_router,
        installation_router,
        workspaces_router,
        members_router,
        invitations_router,
        conversations_router,
        messages_router,
        contacts_router,
        integrations_router,
        knowledge_router,
        bot_router,
        routing_router,
        email_router,
        channels_router,
        channel_webhooks_router,
        canned_router,
        tags_router,
        automation_router,
        segments_router,
        campaigns_router,
        csat_router,
        csat_widget_router,
        csat_public_router,
        reports_router,
        help_router,
        widget_router,
        realtime_router,
        ops_router,
        pages_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if not request.url.path.startswith("/widget/"):
            # The widget frame is meant to be embedded by customers' sites; nothing else is.
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # Outermost: one log line and one count per request and socket, with its id.
    app.add_middleware(RequestLog)
    return app
