"""Help-center search, ranked, in Korean and English: on the public pages, in the agent's
reply box and on the widget's home screen (only the visitor's own workspace, published only)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from sangdam.knowledge import service
from tests.fixtures.factories import AgentLogin, World

ARTICLES = [
    {
        "slug": "refund-policy",
        "lang": "ko",
        "title": "환불 정책",
        "category": "이용가격",
        "body": "결제 후 7일 이내에는 전액 환불됩니다. 연간 결제는 남은 기간만큼 환불합니다.",
        "description": "",
    },
    {
        "slug": "pricing",
        "lang": "ko",
        "title": "요금제 안내",
        "category": "이용가격",
        "body": "무료, 베이직, 프로 요금제가 있습니다. 연간 결제 시 할인됩니다.",
        "description": "",
    },
    {
        "slug": "widget-install",
        "lang": "ko",
        "title": "홈페이지에 채팅 위젯 설치하기",
        "category": "연동방법",
        "body": "스크립트 태그 한 줄을 붙여 넣으세요.",
        "description": "",
    },
    {
        "slug": "widget-install",
        "lang": "en",
        "title": "Installing the chat widget",
        "category": "Integrations",
        "body": "Paste one script tag before </body>.",
        "description": "",
    },
    {
        "slug": "draft-refunds",
        "lang": "ko",
        "title": "환불 절차 (초안)",
        "category": "이용가격",
        "body": "환불 환불 환불",
        "description": "",
        "published": False,
    },
]


async def _publish(login: AgentLogin, world: World, articles: list[dict[str, Any]]) -> list[int]:
    ids = []
    for article in articles:
        created = await login.client.post(
            f"{world.base}/articles", json=article, headers=login.headers()
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


def _titles(html: str) -> list[str]:
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', html)


async def test_help_center_search_is_ranked_and_finds_korean_without_exact_words(
    world: World,
) -> None:
    login = await world.login()
    ids = await _publish(login, world, ARTICLES)
    slug = await world.slug()
    async with httpx.AsyncClient(base_url=world.server.base_url) as public:

        async def search(lang: str, q: str) -> list[str]:
            page = await public.get(f"/help/{slug}/{lang}", params={"q": q})
            assert page.status_code == 200
            return _titles(page.text)

        # No space, and a verb ending the articles never use: still the refund policy, first.
        assert (await search("ko", "환불받으려면"))[0] == "환불 정책"
        assert (await search("ko", "위젯설치 어떻게 해요"))[0] == "홈페이지에 채팅 위젯 설치하기"
        yearly = await search("ko", "연간결제 할인")
        assert yearly[0] == "요금제 안내" and "환불 정책" in yearly
        assert await search("ko", "배송 조회") == []
        assert "환불 절차 (초안)" not in await search("ko", "환불 절차")
        assert await search("en", "how do I install the widget") == ["Installing the chat widget"]
        assert await search("en", "환불") == []  # the English help center has no such article

        # An edit shows up in the next search (the index follows the articles).
        edited = {**ARTICLES[0], "title": "환불 및 청약 철회"}
        response = await login.client.put(
            f"{world.base}/articles/{ids[0]}", json=edited, headers=login.headers()
        )
        assert response.status_code == 200, response.text
        assert (await search("ko", "청약철회"))[0] == "환불 및 청약 철회"


async def test_the_reply_box_search_ranks_articles_too(world: World) -> None:
    login = await world.login()
    await _publish(login, world, ARTICLES)
    result = await login.client.get(
        f"{world.base}/knowledge/search", params={"q": "위젯 설치", "lang": "ko"}
    )
    assert result.status_code == 200
    articles = [hit for hit in result.json()["hits"] if hit["kind"] == "article"]
    assert articles[0]["key"] == "widget-install" and articles[0]["lang"] == "ko"
    assert articles[0]["url"].endswith("/ko/widget-install")
    assert all(hit["score"] > 0 for hit in articles)


async def test_the_widget_suggests_its_own_workspaces_published_articles(
    world: World, other_world: World
) -> None:
    await _publish(await world.login(), world, ARTICLES)
    secret = {**ARTICLES[0], "slug": "other-refunds", "title": "다른 회사 환불 안내"}
    await _publish(await other_world.login(), other_world, [secret])
    visitor = await world.visitor()

    first = await visitor.client.get("/api/widget/v1/articles", params={"lang": "ko"})
    assert first.status_code == 200
    titles = [a["title"] for a in first.json()["articles"]]
    assert set(titles) == {"환불 정책", "요금제 안내", "홈페이지에 채팅 위젯 설치하기"}
    found = await visitor.client.get(
        "/api/widget/v1/articles", params={"lang": "ko", "q": "환불 받고 싶어요"}
    )
    body = found.json()
    assert body["articles"][0]["title"] == "환불 정책"
    assert "다른 회사 환불 안내" not in str(body) and "초안" not in str(body)
    slug = await world.slug()
    assert body["articles"][0]["url"] == f"{world.server.base_url}/help/{slug}/ko/refund-policy"
    english = await visitor.client.get(
        "/api/widget/v1/articles", params={"lang": "en", "q": "install"}
    )
    assert [a["title"] for a in english.json()["articles"]] == ["Installing the chat widget"]

    # Another workspace's visitor sees only that workspace's article.
    stranger = await other_world.visitor()
    theirs = await stranger.client.get(
        "/api/widget/v1/articles", params={"lang": "ko", "q": "환불"}
    )
    assert [a["title"] for a in theirs.json()["articles"]] == ["다른 회사 환불 안내"]

    async with httpx.AsyncClient(base_url=world.server.base_url) as anonymous:
        refused = await anonymous.get("/api/widget/v1/articles", params={"q": "환불"})
        assert refused.status_code == 401
    bad = await visitor.client.get("/api/widget/v1/articles", params={"lang": "fr"})
    assert bad.status_code == 422 and "lang" in bad.text
    too_long = await visitor.client.get("/api/widget/v1/articles", params={"q": "환" * 201})
    assert too_long.status_code == 422


async def test_without_a_query_the_widget_puts_articles_about_the_page_first(
    world: World,
) -> None:
    await _publish(await world.login(), world, ARTICLES)
    # Without a page, the order is by category and title: the refund policy comes last.
    anywhere = await world.visitor()
    plain = await anywhere.client.get("/api/widget/v1/articles", params={"lang": "ko"})
    plain_titles = [a["title"] for a in plain.json()["articles"]]
    assert plain_titles == ["홈페이지에 채팅 위젯 설치하기", "요금제 안내", "환불 정책"]
    on_refunds = await world.visitor(
        url="https://shop.example/help/refunds", title="환불 및 취소 안내 | 우리 회사"
    )
    suggested = await on_refunds.client.get("/api/widget/v1/articles", params={"lang": "ko"})
    titles = [a["title"] for a in suggested.json()["articles"]]
    assert titles[0] == "환불 정책" and sorted(titles) == sorted(plain_titles)
    limited = await on_refunds.client.get(
        "/api/widget/v1/articles", params={"lang": "ko", "limit": 1}
    )
    assert [a["title"] for a in limited.json()["articles"]] == ["환불 정책"]


async def test_the_search_cache_keeps_a_bounded_number_of_workspaces(
    world: World, other_world: World
) -> None:
    await _publish(await world.login(), world, ARTICLES[:1])
    await _publish(await other_world.login(), other_world, ARTICLES[1:2])
    search = service.ArticleSearch(max_workspaces=1)
    async with world.server.db.read() as session:
        first = await search.find(session, world.workspace.id, "환불", lang="ko", limit=5)
        assert [a.title for a, _ in first] == ["환불 정책"]
        await search.find(session, other_world.workspace.id, "요금제", lang="ko", limit=5)
        assert list(search._cache) == [other_world.workspace.id]
        again = await search.find(session, world.workspace.id, "환불", lang="ko", limit=5)
        assert [a.title for a, _ in again] == ["환불 정책"]  # rebuilt, same answer
        assert list(search._cache) == [world.workspace.id]
