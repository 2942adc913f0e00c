"""Off hours, what the bot cannot answer is taken for the team: queued for the next opening,
the team told by email, the customer told when and that the answer comes by email."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from sangdam.bot.models import BotEvent
from sangdam.conversations.models import Conversation
from tests.fixtures.factories import Visitor, World, import_demo_faq, new_client_id
from tests.fixtures.smtp import Mail
from tests.widget.test_offline_intake import close_until_the_day_after_tomorrow

VAGUE = "결제 관련해서 궁금한 게 있어요"  # the bot offers suggestions: it is not sure


async def _messages(visitor: Visitor, conversation_id: int) -> list[dict[str, Any]]:
    response = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    return list(response.json()["messages"])


async def _bot_path(world: World, conversation_id: int) -> list[str]:
    async with world.server.db.read() as session:
        stmt = select(BotEvent.kind).where(BotEvent.conversation_id == conversation_id)
        return list((await session.execute(stmt.order_by(BotEvent.id))).scalars())


async def _start(world: World, body: str, email: str | None = None) -> tuple[Visitor, int]:
    visitor = await world.visitor(locale="ko-KR")
    payload: dict[str, Any] = {"body": body, "client_id": new_client_id()}
    if email:
        payload["email"] = email
    started = await visitor.client.post("/api/widget/v1/conversations", json=payload)
    assert started.status_code == 201, started.text
    return visitor, int(started.json()["conversation"]["id"])


async def test_in_hours_an_unsure_bot_keeps_the_conversation(world: World) -> None:
    await import_demo_faq(world)  # no business hours: open
    _visitor, conversation_id = await _start(world, VAGUE)
    assert await _bot_path(world, conversation_id) == ["question", "suggested"]
    login = await world.login()
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "bot"


async def test_off_hours_an_unanswered_message_is_taken_for_the_team(
    world: World, mail: Mail
) -> None:
    login = await import_demo_faq(world)
    opening = await close_until_the_day_after_tomorrow(login, world)
    visitor, conversation_id = await _start(world, VAGUE, "night@example.com")
    path = await _bot_path(world, conversation_id)
    assert path[:2] == ["question", "suggested"] and path[-1] == "handed_off"

    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    # Waiting in the team's queue (nobody is assigned off hours) for the next opening.
    assert detail["status"] == "open" and detail["assignee_id"] is None
    assert detail["handed_off_at"] is not None and detail["waiting_since"] is not None
    async with world.server.db.read() as session:
        queued = await session.get(Conversation, conversation_id)
        assert queued is not None and queued.queued_at is not None
    assert detail["origin"]["offline"] is True
    assert detail["origin"]["email"] == "night@example.com"
    said = (await _messages(visitor, conversation_id))[-1]
    assert said["sender_type"] == "bot" and "이메일" in said["body"]
    assert dt.datetime.fromisoformat(said["content"]["away"]["next_open"]) == opening
    # The team hears of it by email.
    await mail.run_jobs()
    (notice,) = [m for m in mail.sink.mails if "오프라인" in str(m["Subject"])]
    text = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert VAGUE in text


async def test_off_hours_every_message_by_setting(world: World, mail: Mail) -> None:
    login = await import_demo_faq(world)
    await close_until_the_day_after_tomorrow(login, world)
    # An admin chooses it in Settings › General (the workspace's API).
    workspace = (await login.client.get(world.base)).json()
    assert workspace["off_hours_to_team"] == "unanswered"
    chosen = {k: workspace[k] for k in ("name", "locale", "timezone", "website")}
    saved = await login.client.put(
        world.base, json={**chosen, "off_hours_to_team": "every"}, headers=login.headers()
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["off_hours_to_team"] == "every"
    refused = await login.client.put(
        world.base, json={**chosen, "off_hours_to_team": "always"}, headers=login.headers()
    )
    assert refused.status_code == 422
    # Saving the rest again leaves the choice as it was.
    again = await login.client.put(world.base, json=chosen, headers=login.headers())
    assert again.json()["off_hours_to_team"] == "every"
    # The bot knows this one, and answers it; the team still gets it.
    _visitor, conversation_id = await _start(world, "환불 받을 수 있어요?", "every@example.com")
    path = await _bot_path(world, conversation_id)
    assert "answered" in path and path[-1] == "handed_off"
    detail = (await login.client.get(f"{world.base}/conversations/{conversation_id}")).json()
    assert detail["status"] == "open" and detail["handed_off_at"] is not None
