"""Post-chat surveys: written when a chat ends, sent by the job runner when due (once, by
widget or by email), skipped when the customer wrote again, answered once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sangdam.conversations.models import Conversation
from sangdam.csat import tasks as survey_tasks
from sangdam.csat.models import SurveySend
from sangdam.csat.service import conversation_channel
from sangdam.jobs import service as jobs_service
from sangdam.jobs.models import Job, JobStatus
from tests.email.test_threading import LUNCH_BREAK, offline_conversation
from tests.fixtures.factories import AgentLogin, Visitor, World, new_client_id
from tests.fixtures.jobs import driving_jobs
from tests.fixtures.smtp import Mail

QUESTIONS = [
    {"kind": "rating", "text": "상담에 만족하셨나요?", "required": True},
    {"kind": "choice", "text": "문제가 해결되었나요?", "options": ["네", "아니요"]},
    {"kind": "text", "text": "더 하고 싶은 말씀"},
]


class Clock:
    """The job runner's clock, moved forward by the test (the database clock stays real)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ahead = dt.timedelta()
        monkeypatch.setattr(jobs_service, "utcnow", lambda: dt.datetime.now(dt.UTC) + self.ahead)

    def advance(self, delta: dt.timedelta) -> None:
        self.ahead += delta


async def run_due(world: World) -> None:
    while await jobs_service.run_one(world.server.db):
        pass


async def make_survey(login: AgentLogin, world: World, **fields: Any) -> dict[str, Any]:
    body = {"name": "상담 만족도", "questions": QUESTIONS, "send_after_hours": 2, **fields}
    created = await login.client.post(f"{world.base}/surveys", json=body, headers=login.headers())
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


async def resolve(login: AgentLogin, world: World, conversation_id: int) -> None:
    resolved = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/status",
        json={"status": "resolved"},
        headers=login.headers(),
    )
    assert resolved.status_code == 200, resolved.text


async def sends(world: World, conversation_id: int) -> list[SurveySend]:
    async with world.server.db.read() as session:
        stmt = (
            select(SurveySend)
            .where(SurveySend.conversation_id == conversation_id)
            .order_by(SurveySend.id)
        )
        return list((await session.execute(stmt)).scalars())


async def survey_lines(visitor: Visitor, conversation_id: int) -> list[dict[str, Any]]:
    page = await visitor.client.get(f"/api/widget/v1/conversations/{conversation_id}/messages")
    assert page.status_code == 200, page.text
    return [
        m["content"] for m in page.json()["messages"] if m["content"].get("activity") == "survey"
    ]


async def run_again(world: World, send_id: int) -> None:
    """The send's job runs a second time (a worker died after sending, say)."""
    async with world.server.db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.kind == "csat.send_survey", Job.payload["send_id"].as_integer() == send_id)
            .values(status=JobStatus.PENDING.value, run_at=dt.datetime.now(dt.UTC))
        )
    await run_due(world)


async def test_a_survey_two_hours_after_resolve_reaches_the_widget_once(
    world: World, other_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = await world.login()
    survey = await make_survey(login, world, channel="widget")
    visitor = await world.visitor(locale="ko-KR")
    conversation_id = (await visitor.start("환불 문의"))["conversation"]["id"]
    clock = Clock(monkeypatch)
    async with driving_jobs(world.server):
        await resolve(login, world, conversation_id)
        [send] = await sends(world, conversation_id)
        assert send.channel == "widget" and send.due_at - send.resolved_at == dt.timedelta(hours=2)

        # At resolve, and an hour later, nothing is due.
        await run_due(world)
        clock.advance(dt.timedelta(hours=1))
        await run_due(world)
        assert (await sends(world, conversation_id))[0].sent_at is None
        assert await survey_lines(visitor, conversation_id) == []

        clock.advance(dt.timedelta(hours=1, minutes=1))
        await run_due(world)
        [send] = await sends(world, conversation_id)
        assert send.sent_at is not None and not send.skipped
        lines = await survey_lines(visitor, conversation_id)
        assert lines == [{"activity": "survey", "send_id": send.id, "name": "상담 만족도"}]

        # A second run of the job, and a direct second call, send nothing more.
        await run_again(world, send.id)
        await survey_tasks.send_survey(
            world.server.db, {"workspace_id": world.workspace.id, "send_id": send.id}
        )
        assert len(await survey_lines(visitor, conversation_id)) == 1

    # The customer answers in the widget, once.
    form = await visitor.client.get(f"/api/widget/v1/surveys/{send.id}")
    assert form.status_code == 200, form.text
    assert [q["kind"] for q in form.json()["questions"]] == ["rating", "choice", "text"]
    missing = await visitor.client.post(
        f"/api/widget/v1/surveys/{send.id}/response", json={"answers": [None, "네", None]}
    )
    assert missing.status_code == 400 and "Question 1" in missing.text
    not_an_option = await visitor.client.post(
        f"/api/widget/v1/surveys/{send.id}/response", json={"answers": [5, "글쎄요", None]}
    )
    assert not_an_option.status_code == 400
    answered = await visitor.client.post(
        f"/api/widget/v1/surveys/{send.id}/response", json={"answers": [5, "네", "빨랐어요"]}
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["agent_id"] is None and answered.json()["answers"] == [
        5,
        "네",
        "빨랐어요",
    ]
    again = await visitor.client.post(
        f"/api/widget/v1/surveys/{send.id}/response", json={"answers": [1, "아니요", None]}
    )
    assert again.status_code == 409 and again.json()["code"] == "already_answered"

    # Nobody else's: another customer, another workspace's customer or admin.
    stranger = await world.visitor()
    assert (await stranger.client.get(f"/api/widget/v1/surveys/{send.id}")).status_code == 404
    elsewhere = await other_world.visitor()
    refused = await elsewhere.client.post(
        f"/api/widget/v1/surveys/{send.id}/response", json={"answers": [1, "아니요", None]}
    )
    assert refused.status_code == 404
    other_admin = await other_world.login()
    peek = await other_admin.client.get(f"{other_world.base}/reports/surveys/{survey['id']}")
    assert peek.status_code == 404

    # The report counts it, per question.
    report = await login.client.get(f"{world.base}/reports/surveys/{survey['id']}?by=team")
    assert report.status_code == 200, report.text
    results = report.json()
    assert (results["sent"], results["answered"], results["responses"]) == (1, 1, 1)
    rating, choice, text = results["questions"]
    assert rating["average"] == 5 and rating["counts"]["5"] == 1
    assert choice["counts"] == {"네": 1, "아니요": 0}
    assert text["texts"] == ["빨랐어요"]
    assert [row["responses"] for row in results["rows"]] == [1]


async def test_a_survey_is_skipped_when_the_customer_wrote_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = await world.login()
    await make_survey(login, world)
    visitor = await world.visitor()
    conversation_id = (await visitor.start("배송 문의"))["conversation"]["id"]
    clock = Clock(monkeypatch)
    async with driving_jobs(world.server):
        await resolve(login, world, conversation_id)
        wrote = await visitor.client.post(
            f"/api/widget/v1/conversations/{conversation_id}/messages",
            json={"body": "하나 더요", "client_id": new_client_id()},
        )
        assert wrote.status_code == 201, wrote.text
        await resolve(login, world, conversation_id)
        first, second = await sends(world, conversation_id)
        clock.advance(dt.timedelta(hours=2, minutes=1))
        await run_due(world)
        first, second = await sends(world, conversation_id)
        # The first ending was followed by the customer's message: not asked about.
        assert first.skipped and first.sent_at is None
        # The last ending is asked about, once.
        assert second.sent_at is not None and not second.skipped
        lines = await survey_lines(visitor, conversation_id)
        assert [line["send_id"] for line in lines] == [second.id]
        # A skipped send cannot be answered.
    skipped = await visitor.client.post(
        f"/api/widget/v1/surveys/{first.id}/response", json={"answers": [4, None, None]}
    )
    assert skipped.status_code == 404


async def test_an_email_conversation_gets_a_one_time_link_once(
    world: World, mail: Mail, monkeypatch: pytest.MonkeyPatch
) -> None:
    login, _visitor, started = await offline_conversation(
        world, monkeypatch, LUNCH_BREAK, "영수증을 이메일로 받고 싶어요", "customer@customer.test"
    )
    conversation_id = started["conversation"]["id"]
    # Only the email survey fits an email conversation.
    await make_survey(login, world, channel="widget", name="위젯 설문")
    survey = await make_survey(login, world, channel="email")
    clock = Clock(monkeypatch)
    await resolve(login, world, conversation_id)
    [send] = await sends(world, conversation_id)
    assert send.channel == "email" and send.survey_id == survey["id"]

    await run_due(world)
    assert [m for m in mail.sink.mails if "/survey/" in m.get_content()] == []
    clock.advance(dt.timedelta(hours=2, minutes=1))
    await run_due(world)
    await run_again(world, send.id)
    mailed = [m for m in mail.sink.mails if "/survey/" in m.get_content()]
    assert len(mailed) == 1
    survey_mail = mailed[0]
    assert str(survey_mail["To"]) == "customer@customer.test"
    assert "설문" in survey_mail.get_content() or "How did we do" in str(survey_mail["Subject"])
    found = re.search(r"/survey/([A-Za-z0-9_-]+)", survey_mail.get_content())
    assert found is not None
    token = found.group(1)
    # The job's row no longer holds the link.
    async with world.server.db.read() as session:
        jobs = (await session.execute(select(Job).where(Job.kind == "csat.send_survey"))).scalars()
        assert all(token not in str(job.payload) for job in jobs)
    [send] = await sends(world, conversation_id)
    assert send.sent_at is not None

    # The link works without signing in, once.
    async with httpx.AsyncClient(base_url=mail.server.base_url, timeout=20) as anyone:
        form = await anyone.get(f"/api/v1/surveys/{token}")
        assert form.status_code == 200, form.text
        assert form.json()["name"] == "상담 만족도" and not form.json()["answered"]
        page = await anyone.get(f"/survey/{token}")
        assert page.status_code == 200 and "상담 만족도" in page.text
        answered = await anyone.post(
            f"/api/v1/surveys/{token}/response", json={"answers": [2, "아니요", "느렸어요"]}
        )
        assert answered.status_code == 201, answered.text
        assert answered.json()["answered"] is True
        again = await anyone.post(
            f"/api/v1/surveys/{token}/response", json={"answers": [5, "네", None]}
        )
        assert again.status_code == 409 and again.json()["code"] == "already_answered"
        assert "already been answered" in again.json()["message"]
        made_up = await anyone.get(f"/api/v1/surveys/{token[:-2]}xx")
        assert made_up.status_code == 404
    report = await login.client.get(f"{world.base}/reports/surveys/{survey['id']}")
    assert report.json()["questions"][0]["counts"]["2"] == 1


def test_each_conversation_is_asked_by_its_own_channel() -> None:
    def channel(**origin: Any) -> str | None:
        found = conversation_channel(Conversation(origin=origin))
        return found.value if found else None

    assert channel() == "widget"
    assert channel(offline=True, email="customer@customer.test") == "email"
    assert channel(offline=True) == "widget"  # left no address: the widget shows it
    assert channel(channel="email", email="customer@customer.test") == "email"
    # Messengers show no survey card: nothing is sent there.
    assert channel(channel="telegram") is None and channel(channel="line") is None


async def test_a_choice_question_needs_two_options_and_the_refusal_says_which(
    world: World,
) -> None:
    login = await world.login()
    body = {
        "name": "선택형",
        "questions": [
            {"kind": "rating", "text": "만족하셨나요?"},
            {"kind": "choice", "text": "어떤 점이요?", "options": ["속도", "  "]},
        ],
    }
    refused = await login.client.post(
        f"{world.base}/surveys", json=body, headers={**login.headers(), "Accept-Language": "en"}
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == "Question 2 is a choice: give it at least two options."
    listed = await login.client.get(f"{world.base}/surveys")
    assert listed.status_code == 200 and listed.json() == []
