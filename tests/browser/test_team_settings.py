"""An admin sets up a team with a lunch break in the settings page, in Korean, and it sticks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.fixtures.factories import PASSWORD, World

pytestmark = pytest.mark.browser


async def _sign_in(page: Any, world: World, email: str) -> None:
    base = world.server.base_url
    await page.goto(f"{base}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/inbox/{world.workspace.id}")


async def test_create_team_with_lunch_break_and_reload(
    browser: Any, world: World, artifacts: Path
) -> None:
    if getattr(world.server, "backend", "sqlite") != "sqlite":
        pytest.skip("the UI is the same on every backend; one run is enough")
    context = await browser.new_context(locale="ko-KR", timezone_id="Asia/Seoul")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await _sign_in(page, world, world.emails[world.owner.id])
    settings_url = f"{world.server.base_url}/inbox/{world.workspace.id}/settings"
    await page.goto(f"{settings_url}/teams")
    card = page.locator("#teams-card")
    await expect(page.locator("h1")).to_have_text("팀과 상담 시간")
    await expect(card.locator("#team-rows tr")).to_have_count(1)  # the catch-all team

    await card.get_by_role("button", name="+ 새 팀").click()
    form = card.locator("#team-form")
    await form.locator("input[name=name]").fill("결제팀")
    await form.locator("input[name=auto_assign]").check()
    await form.locator("input[name=no_answer_minutes]").fill("7")
    member = form.locator(f"#member-rows tr[data-agent='{world.agent.id}']")
    await member.locator("input[name=member]").check()
    await member.locator("input[name=cap]").fill("4")
    # Saturday: 10:00–12:00 and 13:00–15:00, a lunch break in between.
    saturday = form.locator("#day-rows tr[data-day=sat]")
    add = saturday.get_by_role("button", name="+ 구간 추가")
    await add.click()
    await add.click()
    times = saturday.locator("input[type=time]")
    await expect(times).to_have_count(4)
    for index, value in enumerate(("10:00", "12:00", "13:00", "15:00")):
        await times.nth(index).fill(value)
    await form.locator("textarea[name=closed_dates]").fill("2026-12-31")
    await page.screenshot(path=str(artifacts / "settings-teams-ko.png"), full_page=True)
    await form.get_by_role("button", name="팀 저장").click()
    await expect(page.locator("#notice")).to_have_text("저장했습니다.")
    await expect(card.locator("#team-rows tr")).to_have_count(2)

    await page.reload()
    row = card.locator("#team-rows tr", has_text="결제팀")
    await expect(row).to_contain_text("켜짐")
    await row.get_by_role("button", name="수정").click()
    await expect(form.locator("input[name=name]")).to_have_value("결제팀")
    await expect(form.locator("input[name=no_answer_minutes]")).to_have_value("7")
    await expect(member.locator("input[name=member]")).to_be_checked()
    await expect(member.locator("input[name=cap]")).to_have_value("4")
    times = form.locator("#day-rows tr[data-day=sat] input[type=time]")
    await expect(times).to_have_count(4)
    assert [await times.nth(i).input_value() for i in range(4)] == [
        "10:00",
        "12:00",
        "13:00",
        "15:00",
    ]
    await expect(form.locator("textarea[name=closed_dates]")).to_have_value("2026-12-31")
    await page.screenshot(path=str(artifacts / "settings-teams-reloaded-ko.png"), full_page=True)

    # The email inbox address has its own page.
    await page.goto(f"{settings_url}/email")
    address = f"help-{world.workspace.id}@mail.sangdam.test"
    await page.locator("#email-inbox-form input[name=address]").fill(address)
    await page.get_by_role("button", name="주소 저장").click()
    await expect(page.locator("#notice")).to_have_text("저장했습니다.")
    await page.reload()
    await expect(page.locator("#email-inbox-form input[name=address]")).to_have_value(address)
    assert errors == []
    await context.close()

    # What the page saved is what the API serves.
    login = await world.login()
    teams = (await login.client.get(f"{world.base}/teams")).json()
    team = next(t for t in teams if t["name"] == "결제팀")
    assert team["auto_assign"] is True and team["member_ids"] == [world.agent.id]
    assert team["hours"]["weekly"]["sat"] == [["10:00:00", "12:00:00"], ["13:00:00", "15:00:00"]]
    assert team["hours"]["weekly"]["mon"] == [["09:00:00", "12:00:00"], ["13:00:00", "18:00:00"]]


async def test_team_settings_are_for_admins_only(world: World) -> None:
    agent = await world.login(world.agent)
    page = await agent.client.get(f"/inbox/{world.workspace.id}/settings")
    assert page.status_code == 403
    listing = (await agent.client.get(f"{world.base}/teams")).json()
    general = next(t for t in listing if t["everyone"])
    body = {"name": "hijack", "auto_assign": True, "no_answer_minutes": 5, "member_ids": []}
    refused = await agent.client.put(
        f"{world.base}/teams/{general['id']}", json=body, headers=agent.headers()
    )
    assert refused.status_code == 403
    cap = await agent.client.put(
        f"{world.base}/agents/{world.owner.id}/cap",
        json={"max_concurrent": 0},
        headers=agent.headers(),
    )
    assert cap.status_code == 403
    # An admin's write without the session's CSRF token is refused too.
    owner = await world.login()
    no_csrf = await owner.client.put(f"{world.base}/teams/{general['id']}", json=body)
    assert no_csrf.status_code == 403
