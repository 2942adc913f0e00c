"""Safe Markdown: raw HTML is escaped, links are http(s), mailto or site-relative only."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

_ALLOWED_SCHEMES = ("http://", "https://", "mailto:", "/", "#")


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(_ALLOWED_SCHEMES)


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


def render_markdown(text: str) -> str:
    """HTML for FAQ answers and help-center articles; safe to insert as is."""
    html = _renderer().render(text)
    # Links written by admins open outside the chat and never get the opener.
    return str(html).replace(
        "<a href=", '<a rel="noopener noreferrer nofollow" target="_blank" href='
    )


def plain_text(text: str, limit: int = 300) -> str:
    """A one-line summary of Markdown, for meta descriptions and previews."""
    tokens = _renderer().parse(text)
    blocks: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children:
            blocks.append(
                "".join(
                    child.content if child.type in ("text", "code_inline") else " "
                    for child in token.children
                    if child.type in ("text", "code_inline", "softbreak", "hardbreak")
                )
            )
    summary = " ".join(" ".join(blocks).split())
    return summary if len(summary) <= limit else summary[: limit - 1].rstrip() + "…"
