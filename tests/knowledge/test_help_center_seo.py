"""The help center for search engines: Korean URLs, robots.txt and the sitemap index, HTML
404s, hreflang alternates and Open Graph tags."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx

from tests.fixtures.factories import World


async def _article(world: World, **fields: object) -> dict[str, object]:
    login = await world.login()
    article = {"lang": "ko", "title": "제목", "body": "본문", "description": "", **fields}
    created = await login.client.post(
        f"{world.base}/articles", json=article, headers=login.headers()
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_korean_slugs_are_accepted_and_percent_encoded_in_urls(world: World) -> None:
    created = await _article(world, slug="환불-정책", title="환불 정책", body="7일 이내 환불")
    slug = await world.slug()
    encoded = quote("환불-정책")
    assert created["slug"] == "환불-정책"
    login = await world.login()
    (listed,) = (await login.client.get(f"{world.base}/articles")).json()
    assert listed["url"] == f"{world.server.base_url}/help/{slug}/ko/{encoded}"
    for bad in ("환불 정책", "Refund", "환불_정책", "환불/정책", "-환불"):
        refused = await login.client.post(
            f"{world.base}/articles",
            json={"slug": bad, "lang": "ko", "title": "x", "body": "x"},
            headers=login.headers(),
        )
        assert refused.status_code == 422, bad
    async with httpx.AsyncClient(base_url=world.server.base_url) as public:
        page = await public.get(f"/help/{slug}/ko/{encoded}")
        assert page.status_code == 200 and "7일 이내 환불" in page.text
        assert (
            f'<link rel="canonical" href="{world.server.base_url}/help/{slug}/ko/{encoded}">'
            in (page.text)
        )
        index = await public.get(f"/help/{slug}/ko")
        assert f'href="{world.server.base_url}/help/{slug}/ko/{encoded}"' in index.text
        sitemap = await public.get(f"/help/{slug}/sitemap.xml")
        assert f"/help/{slug}/ko/{encoded}</loc>" in sitemap.text and "환불" not in sitemap.text


async def test_robots_txt_and_a_root_sitemap_index_lead_to_each_help_center(
    world: World, other_world: World
) -> None:
    await _article(world, slug="pricing")
    slug, other = await world.slug(), await other_world.slug()
    base = world.server.base_url
    async with httpx.AsyncClient(base_url=base) as crawler:
        robots = await crawler.get("/robots.txt")
        assert robots.status_code == 200
        assert robots.headers["content-type"].startswith("text/plain")
        lines = robots.text.splitlines()
        assert "User-agent: *" in lines and "Allow: /help/" in lines
        assert "Disallow: /api/" in lines and "Disallow: /inbox" in lines
        assert f"Sitemap: {base}/sitemap.xml" in lines
        index = await crawler.get("/sitemap.xml")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("application/xml")
        assert "<sitemapindex" in index.text
        locs = re.findall(r"<loc>([^<]+)</loc>", index.text)
        assert f"{base}/help/{slug}/sitemap.xml" in locs
        # A workspace with nothing published is not named to the world.
        assert f"{base}/help/{other}/sitemap.xml" not in locs
        for loc in locs:
            assert (await crawler.get(loc.removeprefix(base))).status_code == 200


async def test_unknown_help_pages_are_html_404s_whatever_the_client_accepts(
    world: World,
) -> None:
    await _article(world, slug="pricing")
    slug = await world.slug()
    async with httpx.AsyncClient(base_url=world.server.base_url) as crawler:
        for path in (
            f"/help/{slug}/ko/no-such-article",
            f"/help/{slug}/ko/{quote('없는-글')}",
            f"/help/{slug}/fr",
            "/help/no-such-workspace/ko",
            "/help/no-such-workspace/ko/pricing",
        ):
            for accept in ("*/*", "application/json", "text/html"):
                page = await crawler.get(path, headers={"Accept": accept})
                assert page.status_code == 404, path
                assert page.headers["content-type"].startswith("text/html"), (path, accept)
                assert '<meta name="robots" content="noindex">' in page.text
        korean = await crawler.get(f"/help/{slug}/ko/nothing")
        assert "없는 페이지예요" in korean.text
        assert f'href="{world.server.base_url}/help/{slug}/ko"' in korean.text


async def test_articles_link_their_other_language_and_carry_open_graph(world: World) -> None:
    await _article(world, slug="refund", lang="ko", title="환불 정책", description="7일 이내")
    await _article(world, slug="refund", lang="en", title="Refund policy", description="7 days")
    await _article(world, slug="only-korean", lang="ko", title="한국어만")
    slug = await world.slug()
    base = f"{world.server.base_url}/help/{slug}"
    async with httpx.AsyncClient(base_url=world.server.base_url) as public:
        page = (await public.get(f"/help/{slug}/en/refund")).text
        assert f'<link rel="alternate" hreflang="ko" href="{base}/ko/refund">' in page
        assert f'<link rel="alternate" hreflang="en" href="{base}/en/refund">' in page
        assert f'<link rel="alternate" hreflang="x-default" href="{base}/ko/refund">' in page
        assert '<meta property="og:type" content="article">' in page
        assert '<meta property="og:title" content="Refund policy · ' in page
        assert '<meta property="og:description" content="7 days">' in page
        assert f'<meta property="og:url" content="{base}/en/refund">' in page
        assert '<meta property="og:locale" content="en_US">' in page
        assert '<meta property="og:locale:alternate" content="ko_KR">' in page
        alone = (await public.get(f"/help/{slug}/ko/only-korean")).text
        assert 'hreflang="en"' not in alone.split("</head>")[0]
        assert '<meta property="og:locale" content="ko_KR">' in alone
        index = (await public.get(f"/help/{slug}/ko")).text
        assert f'<link rel="alternate" hreflang="en" href="{base}/en">' in index
        assert f'<link rel="alternate" hreflang="x-default" href="{base}">' in index
        assert '<meta property="og:type" content="website">' in index
