"""UI text in Korean and English from gettext catalogs (``locale/*/LC_MESSAGES``).

The English text is the message id; Korean comes from ``ko/LC_MESSAGES/sangdam.po``.
The same catalogs feed the server templates and the browser (as JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"


@cache
def catalog(locale: str) -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "sangdam.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    # A text with a context (msgctxt, e.g. "thing" for a noun inside a message) is keyed
    # as gettext's pgettext does: context, U+0004, text.
    return {
        (f"{message.context}\x04{message.id}" if message.context else str(message.id)): str(
            message.string
        )
        for message in po
        if message.id and message.string and not message.fuzzy
    }


def translator(locale: str):  # type: ignore[no-untyped-def]
    messages = catalog(locale)

    def gettext(text: str, **values: object) -> str:
        translated = messages.get(text, text)
        return translated.format(**values) if values else translated

    return gettext


def negotiate(accept_language: str | None, requested: str | None = None) -> str:
    """Pick ko or en: an explicit choice first, then the browser's preference order."""
    if requested in LOCALES:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LOCALES:
            return tag[:2]
    return DEFAULT_LOCALE if not accept_language else "en"


def error_translator(accept_language: str | None) -> Callable[[str], str]:
    """How an error message reaches a person: the inbox, the widget and the sign-in page
    send their page's language as Accept-Language; a program that names no language gets
    the English source (the API's documented messages)."""
    messages = catalog(negotiate(accept_language)) if accept_language else {}
    return lambda text: messages.get(text, text)
