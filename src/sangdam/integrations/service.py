"""External data cards and GitHub issues: admin-configured outgoing calls.

Every call goes through ``kit.outbound`` (internal addresses refused at save and at
call time, no redirects, https unless on-premises) with a short timeout and a size
cap. A failure becomes a message in the card or a 4xx/502 error, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from urllib.parse import quote, urlencode

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.repository import ConversationRepository
from sangdam.conversations.service import load
from sangdam.db import Database, utcnow
from sangdam.integrations.models import GithubIssue, Integration, IntegrationKind
from sangdam.integrations.repository import IntegrationRepository
from sangdam.integrations.schemas import (
    ExternalCard,
    ExternalDataIn,
    ExternalDataOut,
    ExternalDataResult,
    GithubConfigIn,
    GithubConfigOut,
    GithubIssueIn,
    GithubIssueLink,
    GithubIssueOut,
)
from sangdam.kit.errors import BadRequest, NotFound, SangdamError, Unprocessable
from sangdam.kit.outbound import (
    OutboundFailure,
    check_ca_bundle,
    check_target,
    check_url_shape,
    request_json,
)
from sangdam.messages.service import send_as_agent
from sangdam.workspaces.repository import AgentRepository

log = logging.getLogger(__name__)
# The card is a summary, not a data dump.
MAX_CARD_BYTES = 64 * 1024
GITHUB_API = "https://api.github.com"
GITHUB_TIMEOUT_SECONDS = 10.0


class UpstreamError(SangdamError):
    """The other system is down or answered nonsense: not our bug, not the user's."""

    status_code = 502
    code = "upstream_failed"


async def _integration(
    session: AsyncSession, workspace_id: int, kind: IntegrationKind
) -> Integration:
    repository = IntegrationRepository(session, workspace_id)
    found = await repository.of_kind(kind, for_update=True)
    if found is None:
        found = Integration(kind=kind.value, config={})
        repository.add(found)
    return found


def _check_scheme(url: str, *, allow_private: bool) -> None:
    check_url_shape(url)
    if not url.lower().startswith("https://") and not allow_private:
        raise BadRequest("Use an https:// address; plain http is only allowed on-premises.")


# ---- external data ------------------------------------------------------------------------


def external_view(integration: Integration | None) -> ExternalDataOut:
    if integration is None:
        return ExternalDataOut(url=None, enabled=False, signing_secret=None)
    return ExternalDataOut(
        url=integration.config.get("url"),
        enabled=bool(integration.config.get("enabled")),
        signing_secret=integration.secret,
        ca_bundle=integration.config.get("ca_bundle") or None,
    )


async def save_external_data(
    session: AsyncSession, workspace_id: int, payload: ExternalDataIn, *, allow_private: bool
) -> Integration:
    url = payload.url.strip()
    _check_scheme(url, allow_private=allow_private)
    await check_target(url, allow_private=allow_private)
    integration = await _integration(session, workspace_id, IntegrationKind.EXTERNAL_DATA)
    ca_bundle = (integration.config or {}).get("ca_bundle")
    if payload.ca_bundle is not None:
        ca_bundle = check_ca_bundle(payload.ca_bundle) if payload.ca_bundle.strip() else None
    integration.config = {"url": url, "enabled": payload.enabled}
    if ca_bundle:
        integration.config["ca_bundle"] = ca_bundle
    integration.secret = integration.secret or f"sdx_{secrets.token_urlsafe(32)}"
    integration.updated_at = utcnow()
    await session.flush()
    _card_cache.clear()
    return integration


async def rotate_external_secret(session: AsyncSession, workspace_id: int) -> Integration:
    integration = await _integration(session, workspace_id, IntegrationKind.EXTERNAL_DATA)
    integration.secret = f"sdx_{secrets.token_urlsafe(32)}"
    await session.flush()
    return integration


def sign_request(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Sangdam-Signature header: sha256=hex HMAC-SHA256(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


# (workspace id, member id, url) -> (expires at, monotonic; the card). Per process:
# the aim is not to call the company's system on every click, not to share state.
_card_cache: dict[tuple[int, str, str], tuple[float, ExternalDataResult]] = {}
_CACHE_MAX = 2000


async def external_card(
    session: AsyncSession, contact: Contact, settings: Settings
) -> ExternalDataResult:
    """The card for a verified member, from the company's endpoint (cached briefly)."""
    integration = await IntegrationRepository(session, contact.workspace_id).of_kind(
        IntegrationKind.EXTERNAL_DATA
    )
    config = integration.config if integration else {}
    if integration is None or not config.get("enabled") or not config.get("url"):
        return ExternalDataResult(status="not_configured")
    if contact.member_id is None:
        return ExternalDataResult(
            status="not_verified",
            message="Only verified members have external data: their identity is signed.",
        )
    url = str(config["url"])
    key = (contact.workspace_id, contact.member_id, url)
    cached = _card_cache.get(key)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    result = await _fetch_card(
        url, integration.secret or "", contact, settings, config.get("ca_bundle") or None
    )
    if result.status == "ok":
        if len(_card_cache) >= _CACHE_MAX:
            _card_cache.clear()
        _card_cache[key] = (now + settings.contacts.external_cache_seconds, result)
    return result


async def _fetch_card(
    url: str, secret: str, contact: Contact, settings: Settings, ca_bundle: str | None = None
) -> ExternalDataResult:
    body = json.dumps(
        {"member_id": contact.member_id, "workspace_id": contact.workspace_id},
        separators=(",", ":"),
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": "Sangdam external data",
        "X-Sangdam-Timestamp": timestamp,
        "X-Sangdam-Signature": sign_request(secret, timestamp, body),
    }
    try:
        status, raw = await request_json(
            "POST",
            url,
            content=body,
            headers=headers,
            allow_private=settings.outbound.allow_private,
            timeout_seconds=settings.contacts.external_timeout_seconds,
            max_bytes=MAX_CARD_BYTES,
            ca_bundle=ca_bundle,
        )
    except BadRequest as exc:
        # Refused before calling (an internal address now, say): the admin must fix it.
        return ExternalDataResult(status="error", message=f"Not called: {exc.message}")
    except OutboundFailure as exc:
        return ExternalDataResult(status="error", message=f"The endpoint failed: {exc}")
    if status == 404:
        return ExternalDataResult(
            status="error", message="The endpoint knows no such member (404)."
        )
    if status != 200:
        return ExternalDataResult(status="error", message=f"The endpoint answered {status}.")
    try:
        card = ExternalCard.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return ExternalDataResult(
            status="error",
            message=f"The endpoint's answer is not a card ({where}: {first['msg']}).",
        )
    return ExternalDataResult(status="ok", card=card, fetched_at=utcnow())


# ---- GitHub ------------------------------------------------------------------------------


def github_web_url(api_url: str) -> str:
    """Where people open issues: github.com, or the Enterprise host without /api/v3."""
    api_url = api_url.rstrip("/")
    if api_url == GITHUB_API:
        return "https://github.com"
    return api_url.removesuffix("/api/v3")


def github_view(integration: Integration | None) -> GithubConfigOut:
    if integration is None:
        return GithubConfigOut(
            api_url=None, repo=None, web_url=None, has_token=False, token_hint=None
        )
    api_url = integration.config.get("api_url") or GITHUB_API
    token = integration.secret
    return GithubConfigOut(
        api_url=api_url,
        repo=integration.config.get("repo"),
        web_url=github_web_url(api_url),
        has_token=bool(token),
        token_hint=f"…{token[-4:]}" if token else None,
    )


async def save_github(
    session: AsyncSession, workspace_id: int, payload: GithubConfigIn, *, allow_private: bool
) -> Integration:
    api_url = payload.api_url.strip().rstrip("/")
    _check_scheme(api_url, allow_private=allow_private)
    integration = await _integration(session, workspace_id, IntegrationKind.GITHUB)
    previous_url = str(integration.config.get("api_url") or GITHUB_API).rstrip("/")
    if payload.token is None and integration.secret and api_url != previous_url:
        # The saved token was given for the old host; sending it to a new one would hand
        # it to whoever runs that host.
        raise BadRequest(
            "The API address changed from {before} to {after}: enter the token "
            "again (or an empty token to keep only prefilled links).",
            code="github_token_required",
            values={"before": previous_url, "after": api_url},
        )
    if payload.token is not None:
        integration.secret = payload.token.strip() or None
    if integration.secret:
        # Sangdam will call it (prefilled links alone never do): refuse internal targets now.
        await check_target(api_url, allow_private=allow_private)
    integration.config = {"api_url": api_url, "repo": payload.repo}
    integration.updated_at = utcnow()
    await session.flush()
    return integration


def _issue_text(
    conversation_id: int, preview: str, category: str | None, inbox_url: str
) -> tuple[str, str]:
    title = (f"[{category}] " if category else "") + (
        " ".join(preview.split()) or f"Conversation #{conversation_id}"
    )
    body = f"From support conversation #{conversation_id} in Sangdam: {inbox_url}\n\n> {preview}\n"
    return title[:120], body


async def new_issue_link(
    session: AsyncSession, workspace_id: int, conversation_id: int, base_url: str
) -> GithubIssueLink:
    conversation = await ConversationRepository(session, workspace_id).get(conversation_id)
    repository = IntegrationRepository(session, workspace_id)
    view = github_view(await repository.of_kind(IntegrationKind.GITHUB))
    title, body = _issue_text(
        conversation.id,
        # What the customer last said (agents' and the bot's replies never take the preview).
        conversation.last_message_preview,
        conversation.category,
        f"{base_url}/inbox/{workspace_id}?c={conversation.id}",
    )
    url = None
    if view.repo and view.web_url:
        query = urlencode({"title": title, "body": body}, quote_via=quote)
        url = f"{view.web_url}/{view.repo}/issues/new?{query}"
    return GithubIssueLink(
        url=url,
        title=title,
        body=body,
        issues=[
            GithubIssueOut.model_validate(i) for i in await repository.issues_of(conversation_id)
        ],
        configured=bool(view.repo),
        can_create=bool(view.repo and view.has_token),
    )


def _github_error(status: int, raw: bytes, repo: str) -> SangdamError:
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    said = str(data.get("message") or "")[:300] if isinstance(data, dict) else ""
    if status == 401:
        return BadRequest(
            "GitHub refused the token (401 Bad credentials). Create a new token with "
            "Issues: read and write, and save it in Settings → GitHub.",
            code="github_unauthorized",
        )
    if status == 403:
        return BadRequest(
            "GitHub does not let this token create issues in {repo} (403: {said}).",
            code="github_forbidden",
            values={"repo": repo, "said": said},
        )
    if status == 404:
        return BadRequest(
            "GitHub can't find the repository {repo} (404). Check owner/name, and that "
            "the token can see it.",
            code="github_not_found",
            values={"repo": repo},
        )
    if status == 410:
        return BadRequest(
            "Issues are turned off in {repo} (410).",
            code="github_issues_off",
            values={"repo": repo},
        )
    if status == 422:
        problems = data.get("errors") if isinstance(data, dict) else None
        detail = "; ".join(
            str(p.get("message") or f"{p.get('field')} {p.get('code')}")
            for p in (problems or [])
            if isinstance(p, dict)
        )
        return Unprocessable(
            "GitHub did not accept the issue (422: {said}).",
            code="github_invalid",
            values={"said": said + (": " + detail if detail else "")},
        )
    return UpstreamError(
        "GitHub answered {status}. Try again in a minute.", values={"status": status}
    )


async def create_github_issue(
    db: Database,
    settings: Settings,
    workspace_id: int,
    conversation_id: int,
    agent_id: int,
    payload: GithubIssueIn,
) -> GithubIssue:
    """Create the issue through the GitHub REST API, then record it and note it.

    Runs outside the request's transaction on purpose: the call to GitHub may take
    seconds, and no database lock (SQLite's writer lock above all) is held meanwhile.
    """
    async with db.read() as session:
        await ConversationRepository(session, workspace_id).get(conversation_id)
        integration = await IntegrationRepository(session, workspace_id).of_kind(
            IntegrationKind.GITHUB
        )
    if integration is None or not integration.config.get("repo"):
        raise NotFound(
            "GitHub is not set up for this workspace. An admin adds the repository in Settings.",
            code="github_not_configured",
        )
    if not integration.secret:
        raise BadRequest(
            "No GitHub token is saved, so Sangdam can't create the issue itself. Use the "
            "prefilled link, or ask an admin to add a token.",
            code="github_no_token",
        )
    repo = payload.repo or str(integration.config["repo"])
    api_url = str(integration.config.get("api_url") or GITHUB_API)
    owner, name = repo.split("/", 1)
    try:
        status, raw = await request_json(
            "POST",
            f"{api_url}/repos/{quote(owner)}/{quote(name)}/issues",
            content=json.dumps({"title": payload.title, "body": payload.body}).encode(),
            headers={
                "Authorization": f"Bearer {integration.secret}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
                "User-Agent": "Sangdam",
            },
            allow_private=settings.outbound.allow_private,
            timeout_seconds=GITHUB_TIMEOUT_SECONDS,
        )
    except OutboundFailure as exc:
        raise UpstreamError(
            "GitHub could not be reached: {problem}", values={"problem": exc}
        ) from None
    if status != 201:
        raise _github_error(status, raw, repo)
    try:
        created = json.loads(raw)
        number = int(created["number"])
        html_url = str(created["html_url"])
    except (ValueError, KeyError, TypeError):
        raise UpstreamError("GitHub's answer had no issue number or html_url.") from None
    if not html_url.startswith(("https://", "http://")):
        raise UpstreamError("GitHub's answer had an html_url that is not a web address.")

    async def record(session: AsyncSession) -> GithubIssue:
        conversation, contact = await load(session, workspace_id, conversation_id, for_update=True)
        agent = await AgentRepository(session, workspace_id).get(agent_id)
        issue = GithubIssue(
            conversation_id=conversation_id,
            repo=repo,
            number=number,
            html_url=html_url,
            title=payload.title,
            created_by_agent_id=agent_id,
        )
        IntegrationRepository(session, workspace_id).add(issue)
        await session.flush()
        await send_as_agent(
            session,
            conversation,
            contact,
            agent,
            body=f"GitHub issue {repo}#{number} created: {html_url}",
            client_id=None,
            private=True,
            max_chars=settings.realtime.max_message_chars,
        )
        return issue

    return await db.write(record)
