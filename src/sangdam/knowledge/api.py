"""FAQ entries and articles for admins, search for agents, and the public help center."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote
from xml.sax.saxutils import escape

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from sangdam.auth.dependencies import AppSettings, CurrentAgent, Session, sangdam
from sangdam.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
    responses,
)
from sangdam.kit.input import Id, Text
from sangdam.kit.markdown import render_markdown
from sangdam.knowledge import service
from sangdam.knowledge.repository import KnowledgeRepository, help_centers, workspace_by_slug
from sangdam.knowledge.schemas import (
    ArticleIn,
    ArticleOut,
    FaqIn,
    FaqOut,
    ImportResult,
    SearchResult,
)
from sangdam.web.i18n import LOCALES, negotiate
from sangdam.web.pages import APP_CSP, render_page
from sangdam.workspaces.models import Workspace
from sangdam.workspaces.service import require_admin

router = APIRouter(
    prefix="/api/v1/workspaces/{workspace_id}",
    tags=["knowledge"],
    responses=responses(Unauthorized, Forbidden, NotFound, Unprocessable),
)
help_router = APIRouter(include_in_schema=False)


def _help_url(settings: AppSettings, workspace: Workspace | None) -> str:
    return f"{settings.base_url}/help/{quote(workspace.slug or '', safe='') if workspace else ''}"


def _segment(slug: str) -> str:
    """An article's slug in a URL: Korean (any non-ASCII) slugs are percent-encoded UTF-8."""
    return quote(slug, safe="")


# Open Graph's locale names for the help center's languages.
OG_LOCALES = {"ko": "ko_KR", "en": "en_US"}


@router.get("/faqs", response_model=list[FaqOut])
async def list_faqs(
    context: CurrentAgent, session: Session, lang: Text | None = None, category: Text | None = None
) -> list[FaqOut]:
    entries = await KnowledgeRepository(session, context.workspace_id).faqs(
        lang=lang, category=category
    )
    return [service.faq_out(e) for e in entries]


@router.post(
    "/faqs", response_model=FaqOut, status_code=201, responses=responses(BadRequest, Conflict)
)
async def create_faq(context: CurrentAgent, session: Session, payload: FaqIn) -> FaqOut:
    require_admin(context.role)
    return service.faq_out(await service.create_faq(session, context.workspace_id, payload))


# `:int`: /faqs/export and /faqs/import are other resources, not entries with a bad id.
@router.put("/faqs/{faq_id:int}", response_model=FaqOut, responses=responses(BadRequest, Conflict))
async def update_faq(context: CurrentAgent, session: Session, faq_id: Id, payload: FaqIn) -> FaqOut:
    require_admin(context.role)
    return service.faq_out(await service.update_faq(session, context.workspace_id, faq_id, payload))


@router.delete("/faqs/{faq_id:int}", status_code=204)
async def delete_faq(context: CurrentAgent, session: Session, faq_id: Id) -> Response:
    require_admin(context.role)
    await service.delete_faq(session, context.workspace_id, faq_id)
    return Response(status_code=204)


@router.post(
    "/faqs/import",
    response_model=ImportResult,
    responses=responses(BadRequest, Conflict, PayloadTooLarge),
    openapi_extra={
        "requestBody": {
            # Read as bytes whatever the type says; text/plain works from any client.
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
            "description": 'One JSON object a line: {"id", "category", "question", '
            '"paraphrases", "answer", "lang"}. All or nothing: any bad line rejects the file.',
        }
    },
)
async def import_faqs(
    context: CurrentAgent,
    session: Session,
    request: Request,
    background: BackgroundTasks,
    replace: bool = Query(default=False, description="Delete entries missing from the file"),
) -> ImportResult:
    require_admin(context.role)
    data = await request.body()
    result = await service.import_faqs(session, context.workspace_id, data, replace=replace)
    # After the response (and the commit), so the first customer question doesn't wait for it.
    background.add_task(service.warm_index, sangdam(request).db, context.workspace_id)
    return result


@router.get(
    "/faqs/export",
    # The file is NDJSON; errors are JSON like everywhere else.
    responses={
        200: {
            "description": "One JSON object a line, as the import takes it.",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
async def export_faqs(context: CurrentAgent, session: Session) -> PlainTextResponse:
    text = await service.export_faqs(session, context.workspace_id)
    return PlainTextResponse(
        text,
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="faq.jsonl"'},
    )


@router.get("/knowledge/search", response_model=SearchResult)
async def search(
    context: CurrentAgent,
    session: Session,
    settings: AppSettings,
    q: Annotated[Text, Query(max_length=500)],
    lang: Text | None = None,
) -> SearchResult:
    """FAQ answers and help-center articles for the reply box, best first."""
    workspace = await session.get(Workspace, context.workspace_id)
    return await service.search(
        session, context.workspace_id, q, lang=lang, help_url=_help_url(settings, workspace)
    )


@router.get("/articles", response_model=list[ArticleOut])
async def list_articles(
    context: CurrentAgent, session: Session, settings: AppSettings
) -> list[ArticleOut]:
    workspace = await session.get(Workspace, context.workspace_id)
    articles = await KnowledgeRepository(session, context.workspace_id).articles()
    base = _help_url(settings, workspace)
    return [
        ArticleOut.model_validate(a).model_copy(
            update={"url": f"{base}/{a.lang}/{_segment(a.slug)}"}
        )
        for a in articles
    ]


@router.post("/articles", response_model=ArticleOut, status_code=201, responses=responses(Conflict))
async def create_article(context: CurrentAgent, session: Session, payload: ArticleIn) -> ArticleOut:
    require_admin(context.role)
    return ArticleOut.model_validate(
        await service.save_article(session, context.workspace_id, payload)
    )


@router.put("/articles/{article_id}", response_model=ArticleOut, responses=responses(Conflict))
async def update_article(
    context: CurrentAgent, session: Session, article_id: Id, payload: ArticleIn
) -> ArticleOut:
    require_admin(context.role)
    article = await service.save_article(session, context.workspace_id, payload, article_id)
    return ArticleOut.model_validate(article)


# ---- the public help center -----------------------------------------------------------


async def _public_workspace(session: Session, slug: Text) -> Workspace:
    workspace = await workspace_by_slug(session, slug)
    if workspace is None:
        raise NotFound("There is no help center at this address.")
    return workspace


def _missing_page(
    request: Request, lang: str, settings: AppSettings, workspace: Workspace | None, message: str
) -> HTMLResponse:
    """A help-center address that leads nowhere: an HTML 404 for readers and crawlers alike
    (whatever they accept), with the way back to the help center."""
    locale = lang if lang in LOCALES else negotiate(request.headers.get("accept-language"), None)
    response = render_page(
        request,
        "help_missing.html",
        locale,
        APP_CSP,
        workspace=workspace,
        base=_help_url(settings, workspace),
        canonical="",
        message=message,
        query="",
    )
    response.status_code = 404
    return response


@help_router.get("/robots.txt", response_class=PlainTextResponse)
async def robots(settings: AppSettings) -> PlainTextResponse:
    """Crawlers may read the help centers (and find them through the sitemap index), nothing else."""
    lines = [
        "User-agent: *",
        "Allow: /help/",
        "Disallow: /api/",
        "Disallow: /inbox",
        "Disallow: /ws/",
        "Disallow: /widget",
        "Disallow: /setup",
        "Disallow: /login",
        f"Sitemap: {settings.base_url}/sitemap.xml",
    ]
    return PlainTextResponse("\n".join(lines) + "\n")


@help_router.get("/sitemap.xml")
async def sitemap_index(session: Session, settings: AppSettings) -> Response:
    """A sitemap index: each help center with something published, by its own sitemap."""
    entries = "".join(
        f"<sitemap><loc>{escape(settings.base_url)}/help/{escape(quote(slug, safe=''))}"
        f"/sitemap.xml</loc>"
        + (f"<lastmod>{updated.date().isoformat()}</lastmod>" if updated else "")
        + "</sitemap>"
        for slug, updated in await help_centers(session)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
        "</sitemapindex>"
    )
    return Response(xml, media_type="application/xml")


@help_router.get("/help/{slug}")
async def help_home(request: Request, slug: Text, session: Session) -> RedirectResponse:
    workspace = await _public_workspace(session, slug)
    locale = negotiate(request.headers.get("accept-language"), None)
    return RedirectResponse(f"/help/{workspace.slug}/{locale}", status_code=302)


@help_router.get("/help/{slug}/sitemap.xml")
async def sitemap(slug: Text, session: Session, settings: AppSettings) -> Response:
    workspace = await _public_workspace(session, slug)
    articles = await KnowledgeRepository(session, workspace.id).articles(published_only=True)
    base = _help_url(settings, workspace)
    urls = [f"{base}/{lang}" for lang in LOCALES] + [
        f"{base}/{a.lang}/{_segment(a.slug)}" for a in articles
    ]
    dates = [""] * len(LOCALES) + [a.updated_at.date().isoformat() for a in articles]
    body = "".join(
        f"<url><loc>{escape(url)}</loc>{f'<lastmod>{date}</lastmod>' if date else ''}</url>"
        for url, date in zip(urls, dates, strict=True)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'
    )
    return Response(xml, media_type="application/xml")


@help_router.get("/help/{slug}/{lang}", response_class=HTMLResponse)
async def help_index(
    request: Request,
    slug: Text,
    lang: Text,
    session: Session,
    settings: AppSettings,
    q: Text | None = None,
) -> HTMLResponse:
    workspace = await workspace_by_slug(session, slug)
    if workspace is None:
        return _missing_page(
            request, lang, settings, None, "There is no help center at this address."
        )
    if lang not in LOCALES:
        return _missing_page(
            request,
            lang,
            settings,
            workspace,
            "This help center is in Korean (ko) and English (en).",
        )
    query = (q or "").strip()[:200]
    groups: dict[str, list[object]] = {}
    if query:  # best first, in one list
        limits = sangdam(request).limits
        await limits.search(limits.address(request))
        found = await service.article_search.find(session, workspace.id, query, lang=lang, limit=20)
        if found:
            groups[""] = [article for article, _ in found]
    else:
        articles = await KnowledgeRepository(session, workspace.id).articles(
            lang=lang, published_only=True
        )
        for article in articles:
            groups.setdefault(article.category or "", []).append(article)
    return render_page(
        request,
        "help_index.html",
        lang,
        APP_CSP,
        workspace=workspace,
        groups=groups,
        query=query,
        base=_help_url(settings, workspace),
        canonical=f"{_help_url(settings, workspace)}/{lang}",
        # Both languages of the help center, and the address that picks one for the reader.
        alternates=[(other, f"{_help_url(settings, workspace)}/{other}") for other in LOCALES]
        + [("x-default", _help_url(settings, workspace))],
        og_type="website",
        og_locale=OG_LOCALES[lang],
        og_alternates=[OG_LOCALES[other] for other in LOCALES if other != lang],
    )


@help_router.get("/help/{slug}/{lang}/{article_slug}", response_class=HTMLResponse)
async def help_article(
    request: Request,
    slug: Text,
    lang: Text,
    article_slug: Text,
    session: Session,
    settings: AppSettings,
) -> HTMLResponse:
    workspace = await workspace_by_slug(session, slug)
    if workspace is None:
        return _missing_page(
            request, lang, settings, None, "There is no help center at this address."
        )
    repository = KnowledgeRepository(session, workspace.id)
    article = await repository.article_by_slug(lang, article_slug)
    if article is None or not article.published:
        return _missing_page(
            request, lang, settings, workspace, "This article does not exist or is not published."
        )
    base = _help_url(settings, workspace)
    versions = await repository.translations(article.slug)
    alternates = [(v.lang, f"{base}/{v.lang}/{_segment(v.slug)}") for v in versions]
    if len(alternates) > 1:
        # For a reader in neither language: the Korean version (listed first, "en" < "ko" aside).
        by_lang = dict(alternates)
        alternates.append(("x-default", by_lang.get("ko", alternates[0][1])))
    return render_page(
        request,
        "help_article.html",
        lang,
        APP_CSP,
        workspace=workspace,
        article=article,
        body_html=render_markdown(article.body),
        base=base,
        canonical=f"{base}/{lang}/{_segment(article.slug)}",
        alternates=alternates if len(alternates) > 1 else [],
        og_type="article",
        og_locale=OG_LOCALES.get(lang, "ko_KR"),
        og_alternates=[
            OG_LOCALES[v.lang] for v in versions if v.lang != lang and v.lang in OG_LOCALES
        ],
    )
