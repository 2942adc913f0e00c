"""FAQ import and export: exact format, all-or-nothing, errors that name the line."""

from __future__ import annotations

import json

from tests.fixtures.factories import DEMO_FAQ, AgentLogin, World, import_demo_faq


async def _import(login: AgentLogin, world: World, data: bytes, replace: bool = False):  # type: ignore[no-untyped-def]
    return await login.client.post(
        f"{world.base}/faqs/import?replace={str(replace).lower()}",
        content=data,
        headers={**login.headers(), "Content-Type": "application/x-ndjson"},
    )


async def _count(login: AgentLogin, world: World) -> int:
    return len((await login.client.get(f"{world.base}/faqs")).json())


def _line(**fields: object) -> str:
    row = {
        "id": "refund",
        "category": "이용가격",
        "question": "환불은 어떻게 받나요?",
        "paraphrases": ["환불 받고 싶어요"],
        "answer": "7일 안에 **전액** 환불됩니다.",
        "lang": "ko",
    }
    row.update(fields)
    return json.dumps(row, ensure_ascii=False)


async def test_import_then_export_round_trips(world: World) -> None:
    login = await import_demo_faq(world)
    source = [json.loads(line) for line in DEMO_FAQ.read_text().splitlines() if line.strip()]
    assert await _count(login, world) == len(source)
    exported = await login.client.get(f"{world.base}/faqs/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert sorted(rows, key=lambda r: r["id"]) == sorted(source, key=lambda r: r["id"])
    assert list(rows[0]) == ["id", "category", "question", "paraphrases", "answer", "lang"]

    # Importing again updates in place; replace removes what the file lacks.
    again = await _import(login, world, exported.content)
    assert again.json() == {
        "created": 0,
        "updated": len(source),
        "deleted": 0,
        "total": len(source),
    }
    only_one = await _import(login, world, _line().encode(), replace=True)
    assert only_one.json() == {"created": 1, "updated": 0, "deleted": len(source), "total": 1}


async def test_bad_files_are_refused_whole_with_the_line_named(world: World) -> None:
    login = await world.login()
    good = _line(id="a") + "\n" + _line(id="b")
    cases = [
        (b"", 400, "no FAQ entries"),
        (b"\n\n  \n", 400, "no FAQ entries"),
        ((good + '\n{"id": "c", broken').encode(), 400, "Line 3"),
        (
            (good + "\n" + json.dumps({"id": "c", "category": "x", "question": "q"})).encode(),
            400,
            "Line 3, field 'answer'",
        ),
        ((good + "\n" + _line(id="a")).encode(), 400, "Line 3 repeats the id 'a' of line 1"),
        ((good + "\n" + _line(id="d", lang="fr")).encode(), 400, "Line 3, field 'lang'"),
        ((good + "\n[1, 2]").encode(), 400, "Line 3 must be a JSON object"),
        ((good + "\n" + _line(id="e", article="no-such-article")).encode(), 400, "Line 3"),
        ("\n".join(_line(id=f"k{n}", answer="x" * 2000) for n in range(3000)).encode(), 413, "MB"),
        (b"\xff\xfe\x00broken", 400, "UTF-8"),
    ]
    for data, status, fragment in cases:
        response = await _import(login, world, data)
        assert response.status_code == status, (fragment, response.text)
        assert fragment in response.json()["message"], response.json()
        assert await _count(login, world) == 0  # nothing half-imported


async def test_only_admins_change_the_faq(world: World) -> None:
    agent = await world.login(world.agent)
    response = await _import(agent, world, _line().encode())
    assert response.status_code == 403
    assert (await agent.client.get(f"{world.base}/faqs")).status_code == 200


async def test_answers_render_without_xss(world: World) -> None:
    login = await world.login()
    evil = _line(
        answer="<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) [ok](https://example.com)"
    )
    assert (await _import(login, world, evil.encode())).status_code == 200
    entry = (await login.client.get(f"{world.base}/faqs")).json()[0]
    html = entry["answer_html"]
    assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html and 'href="https://example.com"' in html


async def test_faq_crud_keeps_ids_unique(world: World) -> None:
    login = await world.login()
    body = json.loads(_line())
    created = await login.client.post(f"{world.base}/faqs", json=body, headers=login.headers())
    assert created.status_code == 201
    clash = await login.client.post(f"{world.base}/faqs", json=body, headers=login.headers())
    assert clash.status_code == 409 and "refund" in clash.json()["message"]
    body["question"] = "환불 규정이 궁금해요"
    updated = await login.client.put(
        f"{world.base}/faqs/{created.json()['id']}", json=body, headers=login.headers()
    )
    assert updated.json()["question"] == "환불 규정이 궁금해요"
    deleted = await login.client.delete(
        f"{world.base}/faqs/{created.json()['id']}", headers=login.headers()
    )
    assert deleted.status_code == 204 and await _count(login, world) == 0
