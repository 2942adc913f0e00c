"""The public help center: clean URLs, meta tags, sitemap, search, no XSS; agent search."""

from __future__ import annotations

import httpx

from tests.fixtures.factories import World, import_demo_faq


async def test_articles_are_public_pages_with_meta_and_sitemap(world: World) -> None:
    login = await world.login()
    article = {
        "slug": "refund-policy",
        "lang": "ko",
        "title": "환불 정책",
        "category": "이용가격",
        "body": "결제 후 **7일** 이내 환불 <script>alert(1)</script>",
        "description": "",
    }
    created = await login.client.post(
        f"{world.base}/articles", json=article, headers=login.headers()
    )
    assert created.status_code == 201, created.text
    hidden = {**article, "slug": "draft", "title": "초안", "published": False}
    assert (
        await login.client.post(f"{world.base}/articles", json=hidden, headers=login.headers())
    ).status_code == 201
    slug = await world.slug()
    async with httpx.AsyncClient(base_url=world.server.base_url) as public:
        page = await public.get(f"/help/{slug}/ko/refund-policy")
        assert page.status_code == 200
        assert "<title>환불 정책 · " in page.text
        assert '<meta name="description" content="결제 후 7일 이내 환불' in page.text
        assert (
            f'<link rel="canonical" href="{world.server.base_url}/help/{slug}/ko/refund-policy">'
            in page.text
        )
        assert "<strong>7일</strong>" in page.text and "<script>alert(1)" not in page.text
        assert (await public.get(f"/help/{slug}/ko/draft")).status_code == 404
        index = await public.get(f"/help/{slug}/ko")
        assert "환불 정책" in index.text and "초안" not in index.text
        found = await public.get(f"/help/{slug}/ko", params={"q": "환불"})
        assert "환불 정책" in found.text
        none = await public.get(f"/help/{slug}/ko", params={"q": "배송"})
        assert "환불 정책" not in none.text
        sitemap = await public.get(f"/help/{slug}/sitemap.xml")
        assert sitemap.headers["content-type"].startswith("application/xml")
        assert (
            f"/help/{slug}/ko/refund-policy</loc>" in sitemap.text and "draft" not in sitemap.text
        )
        redirect = await public.get(f"/help/{slug}", headers={"Accept-Language": "en-US"})
        assert redirect.status_code == 302 and redirect.headers["location"].endswith(
            f"/help/{slug}/en"
        )
        assert (await public.get("/help/no-such-workspace/ko")).status_code == 404


async def test_agents_search_faq_and_articles_from_the_reply_box(world: World) -> None:
    login = await import_demo_faq(world)
    result = await login.client.get(
        f"{world.base}/knowledge/search", params={"q": "환불 받을 수 있어요?"}
    )
    assert result.status_code == 200
    hits = result.json()["hits"]
    assert hits and hits[0]["kind"] == "faq" and hits[0]["key"] == "price-refund"
    assert "7일" in hits[0]["text"]
    faq_hits = [hit for hit in hits if hit["kind"] == "faq"]
    # The best three always, then only entries still in the running.
    assert len(faq_hits) >= 3 and all(hit["score"] >= 0.05 for hit in faq_hits[3:])
    english = await login.client.get(
        f"{world.base}/knowledge/search", params={"q": "self host on my own server"}
    )
    assert english.json()["hits"][0]["key"] == "en-self-hosting"
