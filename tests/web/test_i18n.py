"""Every piece of UI text has a Korean translation, and pages follow the chosen language."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from sangdam.web.i18n import catalog, negotiate
from sangdam.web.pages import SETTINGS_SECTIONS
from tests.fixtures.factories import World

WEB = Path(__file__).resolve().parents[2] / "src" / "sangdam" / "web"


def _used_texts() -> set[str]:
    texts: set[str] = set()
    for section in SETTINGS_SECTIONS:  # the settings menu's entries and groups
        texts |= {section.title, section.group}
    for template in (WEB / "templates").rglob("*.html"):
        # _("text") and _("text {name}", name=...) alike.
        texts |= set(re.findall(r'_\("([^"]+)"[,)]', template.read_text()))
    for script in (WEB / "static").rglob("*.js"):
        source = script.read_text()
        texts |= set(re.findall(r'\bt\("([^"]+)"\)', source))
        texts |= set(
            re.findall(r'\? "([A-Z][a-z]+)" : "([A-Z][a-z]+)"\)', source)
            and [
                x
                for pair in re.findall(r'\? "([A-Z][a-z]+)" : "([A-Z][a-z]+)"\)', source)
                for x in pair
            ]
        )
    return texts


def test_every_ui_text_is_translated_to_korean() -> None:
    korean = catalog("ko")
    used = _used_texts()
    assert len(used) > 40
    missing = sorted(text for text in used if text not in korean)
    assert missing == []


def test_language_negotiation() -> None:
    assert negotiate("ko-KR,ko;q=0.9,en;q=0.8") == "ko"
    assert negotiate("en-US,en;q=0.9") == "en"
    assert negotiate("fr-FR,en;q=0.5") == "en"
    assert negotiate(None) == "ko"
    assert negotiate("en-US", "ko") == "ko"


async def test_agent_switches_inbox_language(world: World) -> None:
    login = await world.login()
    page = await login.client.get(f"/inbox/{world.workspace.id}")
    assert "받은 상담함" in page.text and 'lang="ko"' in page.text
    switched = await login.client.put(
        "/api/v1/me/locale", json={"locale": "en"}, headers=login.headers()
    )
    assert switched.status_code == 200 and switched.json()["locale"] == "en"
    page = await login.client.get(f"/inbox/{world.workspace.id}")
    assert ">Inbox" in page.text and 'lang="en"' in page.text
    bad = await login.client.put(
        "/api/v1/me/locale", json={"locale": "xx"}, headers=login.headers()
    )
    assert bad.status_code == 400 and "ko" in bad.json()["message"]


async def test_widget_frame_speaks_the_browser_language(world: World) -> None:
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        ko = await client.get(
            f"/widget/frame?key={world.inbox.public_key}", headers={"Accept-Language": "ko-KR"}
        )
        en = await client.get(
            f"/widget/frame?key={world.inbox.public_key}", headers={"Accept-Language": "en-GB"}
        )
    assert "문의하기" in ko.text and "Send us a message" in en.text
    assert "frame-ancestors" not in ko.headers["content-security-policy"]
    assert "X-Frame-Options" not in ko.headers


def test_each_text_is_translated_once() -> None:
    """Two translations of one msgid would make one of them win silently (merges add them)."""
    po = WEB.parent / "locale" / "ko" / "LC_MESSAGES" / "sangdam.po"
    # A text may also be translated once in a context of its own (msgctxt).
    ids = re.findall(r'(?m)^((?:msgctxt ".*"\n)?msgid (?:".*"\n)+)', po.read_text(encoding="utf-8"))
    seen: set[str] = set()
    twice = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    assert twice == [], f"translated more than once: {twice}"
