"""The bot report: what the bot could not answer, and which answers did not help."""

from __future__ import annotations

from tests.fixtures.factories import World, import_demo_faq, new_client_id


async def _ask(world: World, text: str, *then: str) -> int:
    visitor = await world.visitor(locale="ko-KR")
    started = await visitor.client.post(
        "/api/widget/v1/conversations", json={"body": text, "client_id": new_client_id()}
    )
    assert started.status_code == 201, started.text
    conversation_id: int = started.json()["conversation"]["id"]
    for button in then:
        pressed = await visitor.client.post(
            f"/api/widget/v1/conversations/{conversation_id}/messages",
            json={"button": button, "client_id": new_client_id()},
        )
        assert pressed.status_code == 201, pressed.text
    return conversation_id


async def test_the_report_lists_unanswered_questions_and_unhelpful_answers(
    world: World, other_world: World
) -> None:
    login = await import_demo_faq(world)
    await import_demo_faq(other_world)
    # Out of scope, asked twice with other spacing and punctuation, and once more otherwise.
    await _ask(world, "오늘 서울 날씨 어때요?")
    await _ask(world, "오늘 서울 날씨 어때요")
    await _ask(world, "로또 번호 알려줘")
    # The refund answer: once not helpful, once helpful; the free-trial answer: helpful.
    await _ask(world, "결제하고 나서 환불 받을 수 있을까요?", "helpful:no")
    await _ask(world, "환불 규정이 어떻게 되나요?", "helpful:yes")
    await _ask(world, "무료 체험 기간이 있나요?", "helpful:yes")
    # Another workspace's customers do not show up here.
    await _ask(other_world, "비트코인 시세 알려줘")

    response = await login.client.get(f"{world.base}/bot/report", params={"days": 7})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["days"] == 7
    assert [(q["text"], q["count"]) for q in report["unanswered"]] == [
        ("오늘 서울 날씨 어때요", 2),
        ("로또 번호 알려줘", 1),
    ]
    faqs = {f["key"]: f for f in report["faqs"]}
    assert faqs["price-refund"] | {"question": ""} == {
        "key": "price-refund",
        "question": "",
        "answered": 2,
        "helpful": 1,
        "not_helpful": 1,
    }
    assert faqs["price-free-trial"]["helpful"] == 1
    assert report["faqs"][0]["key"] == "price-refund"  # the one that did not help comes first
    outcomes = report["outcomes"]
    assert outcomes["conversations"] == 6 and outcomes["no_answer"] == 3
    assert outcomes["answered"] == 3 and outcomes["not_helpful"] == 1
    old = await login.client.get(f"{world.base}/bot/outcomes", params={"days": 7})
    assert old.json() == outcomes
    bad = await login.client.get(f"{world.base}/bot/report", params={"days": 0})
    assert bad.status_code == 422
