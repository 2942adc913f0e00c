"""In real Chromium: an admin builds an automation rule from controls (no JSON): a trigger,
conditions with OR and an AND group, and actions picked from the workspace's tags, teams
and canned responses; the rule works, reopens as built, and goes to a JSON file and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from sangdam.conversations.models import Conversation
from tests.fixtures.browser import sign_in
from tests.fixtures.factories import World

pytestmark = pytest.mark.browser


async def _setup(world: World) -> dict[str, int]:
    login = await world.login()
    ids = {}
    for name in ("불만", "VIP"):
        tag = await login.client.post(
            f"{world.base}/tags", json={"name": name}, headers=login.headers()
        )
        ids[name] = tag.json()["id"]
    team = await login.client.post(
        f"{world.base}/teams",
        json={"name": "결제팀", "auto_assign": False, "no_answer_minutes": 5, "member_ids": []},
        headers=login.headers(),
    )
    assert team.status_code == 201, team.text
    ids["결제팀"] = team.json()["id"]
    canned = await login.client.post(
        f"{world.base}/canned-responses",
        json={
            "scope": "workspace",
            "shortcut": "환불",
            "title": "환불 안내",
            "body": "환불은 7일 이내에 가능해요.",
        },
        headers=login.headers(),
    )
    assert canned.status_code == 201, canned.text
    ids["환불"] = canned.json()["id"]
    return ids


async def test_an_admin_builds_a_rule_without_writing_json(
    browser: Any, world: World, artifacts: Path, tmp_path: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    ids = await _setup(world)
    context, page, errors = await sign_in(browser, world, world.owner.id)
    await page.goto(f"{world.server.base_url}/inbox/{world.workspace.id}/settings/automation")
    form = page.locator("#rule-form")
    await form.locator("input[name=name]").fill("환불 문의 우선 처리")
    await form.locator("select[name=event]").select_option("conversation_created")
    await form.get_by_label("조건을 묶는 방식", exact=True).select_option("any")

    # Condition 1: the message mentions a refund or a complaint.
    await form.get_by_role("button", name="+ 조건 추가").click()
    first = form.locator("#condition-rows > li").nth(0)
    await first.get_by_label("단어나 문구, 한 줄에 하나씩", exact=True).fill("환불\n불만")
    # Condition 2: a group, all of: a VIP customer speaking Korean.
    await form.get_by_role("button", name="+ 조건 묶음 추가 (AND/OR)").click()
    group = form.locator("#condition-rows > li.rule-group")
    await group.get_by_label("묶음 안의 조건을 묶는 방식", exact=True).select_option("all")
    inner = group.locator(".rule-list > li").nth(0)
    await inner.locator("select.rule-kind").select_option("has_tag")
    await inner.get_by_label("대상", exact=True).select_option("contact")
    await inner.get_by_label("태그", exact=True).select_option(str(ids["VIP"]))

    # Actions: tag, team, priority, canned reply (each from a picker).
    actions = form.locator("#action-rows > li")
    await actions.nth(0).get_by_label("태그", exact=True).select_option(str(ids["불만"]))
    for kind in ("assign_team", "set_priority", "send_canned_reply"):
        await form.get_by_role("button", name="+ 동작 추가").click()
        await actions.last.locator("select.rule-kind").select_option(kind)
    await actions.nth(1).get_by_label("팀", exact=True).select_option(str(ids["결제팀"]))
    await actions.nth(2).get_by_label("우선순위", exact=True).fill("7")
    await actions.nth(3).get_by_label("자주쓰는문구", exact=True).select_option(str(ids["환불"]))
    await page.screenshot(path=str(artifacts / "settings-rule-builder-ko.png"), full_page=True)
    await form.get_by_role("button", name="규칙 저장").click()
    await expect(page.locator("#notice")).to_have_text("저장했습니다.")
    row = page.locator("#rule-rows tr", has_text="환불 문의 우선 처리")
    await expect(row).to_contain_text("“환불”, “불만”")
    await expect(row).to_contain_text("또는 (고객에게 태그 있음: VIP 그리고 고객 언어가 ko)")

    owner = await world.login()
    saved = (await owner.client.get(f"{world.base}/automation/rules")).json()
    assert len(saved) == 1
    assert saved[0]["match"] == "any"
    assert saved[0]["conditions"] == [
        {"type": "text_contains", "any_of": ["환불", "불만"]},
        {
            "type": "group",
            "match": "all",
            "conditions": [
                {"type": "has_tag", "tag_id": ids["VIP"], "on": "contact", "present": True},
                {"type": "language", "any_of": ["ko"]},
            ],
        },
    ]
    assert saved[0]["actions"] == [
        {"type": "add_tag", "tag_id": ids["불만"], "on": "conversation"},
        {"type": "assign_team", "team_id": ids["결제팀"]},
        {"type": "set_priority", "priority": 7},
        {"type": "send_canned_reply", "canned_response_id": ids["환불"]},
    ]

    # The rule works: a refund question gets the tag, the team, the priority, the answer.
    visitor = await world.visitor(locale="en-US")
    started = (await visitor.start("I want a 환불"))["conversation"]["id"]
    conversation = (await owner.client.get(f"{world.base}/conversations/{started}")).json()
    assert ids["불만"] in conversation["tag_ids"]
    assert conversation["priority"] == 7
    async with world.server.db.read() as session:
        stored = await session.get(Conversation, started)
        assert stored is not None and stored.team_id == ids["결제팀"]
    messages = await owner.client.get(f"{world.base}/conversations/{started}/messages")
    assert "환불은 7일 이내에 가능해요." in [m["body"] for m in messages.json()["messages"]]

    # Reopened, the builder shows what was built; the JSON is one click away.
    await row.get_by_role("button", name="수정: 환불 문의 우선 처리").click()
    await expect(form.get_by_label("조건을 묶는 방식", exact=True)).to_have_value("any")
    await expect(group.get_by_label("묶음 안의 조건을 묶는 방식", exact=True)).to_have_value("all")
    await expect(actions.nth(2).get_by_label("우선순위", exact=True)).to_have_value("7")
    await form.locator("#rule-json-panel summary").click()
    shown = json.loads(await form.locator("#rule-json").input_value())
    assert shown["conditions"] == saved[0]["conditions"]
    await form.get_by_role("button", name="취소").click()

    # To a file and back: the exported file imports as a second rule.
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="규칙 내보내기 (JSON)").click()
    download = await download_info.value
    exported = json.loads(Path(await download.path()).read_text())
    assert [r["name"] for r in exported] == ["환불 문의 우선 처리"]
    exported[0]["name"] = "환불 문의 (가져옴)"
    file = tmp_path / "rules.json"
    file.write_text(json.dumps(exported, ensure_ascii=False))
    await page.locator("#rules-import").set_input_files(str(file))
    await expect(page.locator("#notice")).to_have_text("규칙 1개를 가져왔어요 (삭제 0개).")
    await expect(page.locator("#rule-rows tr")).to_have_count(2)
    assert errors == []

    # In English.
    await owner.client.put("/api/v1/me/locale", json={"locale": "en"}, headers=owner.headers())
    await page.reload()
    await expect(page.locator("h1")).to_have_text("Automation rules")
    await expect(page.locator("#rule-rows tr").first).to_contain_text(
        "or (The customer has the tag VIP and Customer's language is ko)"
    )
    await (
        page.locator("#rule-rows tr")
        .first.get_by_role("button", name="Edit: 환불 문의 우선 처리")
        .click()
    )
    await page.screenshot(path=str(artifacts / "settings-rule-builder-en.png"), full_page=True)
    assert errors == []
    await context.close()
