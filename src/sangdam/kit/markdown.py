"""Safe Markdown: raw HTML is escaped, links are http(s), mailto or site-relative only."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

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


def as_message_text(text: str) -> str:
    """Markdown as the plain text a chat reply carries (agents insert FAQ answers into
    replies, and the widget shows replies as text): emphasis marks dropped, links as
    "label (address)", list items and table rows on lines of their own."""
    lines: list[str] = []
    lists: list[int | None] = []  # per open list: the next number, or None for bullets
    row: list[str] | None = None
    prefix = ""
    for token in _renderer().parse(text):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append(None if kind == "bullet_list_open" else int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number = lists[-1]
            prefix = "  " * (len(lists) - 1) + ("- " if number is None else f"{number}. ")
            if number is not None:
                lists[-1] = number + 1
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            lines.append(" | ".join(row))
            row = None
        elif kind == "inline":
            content = _inline_text(token.children or [])
            if row is not None:
                row.append(content)
            else:
                lines.append(prefix + content)
                prefix = ""
        elif kind in ("fence", "code_block"):
            lines.append(token.content.rstrip("\n"))
        if token.level == 0 and token.nesting <= 0 and kind not in ("inline", "tr_close"):
            lines.append("")  # a blank line between top-level blocks
    return "\n".join(lines).strip()


def _inline_text(children: list[Token]) -> str:
    parts: list[str] = []
    href: str | None = None
    label_start = 0
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
        elif child.type == "link_open":
            href, label_start = str(child.attrGet("href") or ""), len(parts)
        elif child.type == "link_close" and href:
            label = "".join(parts[label_start:])
            if label.strip() != href:
                parts.append(f" ({href})")
            href = None
    return "".join(parts)
