"""What a reply becomes on each channel: split to its length (as it counts characters),
buttons shown where the channel can, numbered lines where it cannot; and the buttons'
documented shapes reach the APIs."""

from __future__ import annotations

from sangdam.channels.line import LINE
from sangdam.channels.schemas import Button, Capabilities, Credentials, OutgoingPart
from sangdam.channels.service import render_parts, split_text, utf16_len
from sangdam.channels.telegram import TELEGRAM
from tests.channels.conftest import Messengers
from tests.fixtures.factories import World

NO_BUTTONS = Capabilities(max_text_chars=1000, max_buttons=0, max_button_label=0)
BUTTONS = [Button("배송 조회", "cat:delivery"), Button("상담원 연결", "human")]


def test_text_is_split_at_boundaries_within_the_limit() -> None:
    text = "가" * 30 + "\n\n" + "두번째 " * 30
    parts = split_text(text, 50)
    assert parts[0] == "가" * 30  # at the paragraph's end, though a space came later
    assert all(utf16_len(p) <= 50 and not p.endswith("두") for p in parts)
    # A break near the start is not taken: no part is much shorter than it must be.
    assert split_text("가 " + "나" * 60, 50) == ["가 " + "나" * 48, "나" * 12]
    assert "".join(parts).replace(" ", "") == text.replace(" ", "").replace("\n", "")
    # An emoji counts twice (UTF-16), and is never cut in half.
    emoji = "😀" * 30
    cut = split_text(emoji, 25)
    assert [len(p) for p in cut] == [12, 12, 6] and "".join(cut) == emoji
    # One word longer than the limit is cut, not sent too long.
    assert split_text("a" * 120, 50) == ["a" * 50, "a" * 50, "a" * 20]


def test_buttons_degrade_to_numbered_lines_where_the_channel_has_none() -> None:
    (part,) = render_parts("무엇을 도와드릴까요?", BUTTONS, NO_BUTTONS)
    assert part == OutgoingPart("무엇을 도와드릴까요?\n\n1. 배송 조회\n2. 상담원 연결")
    # More buttons than the channel shows: numbered too, rather than some dropped.
    many = [Button(f"항목 {n}", str(n)) for n in range(20)]
    (part,) = render_parts("골라주세요", many, LINE.capabilities)
    assert part.buttons == () and "20. 항목 19" in part.text
    # Where it can, buttons go under the last part, labels cut to the channel's length.
    long_label = [Button("아주 긴 버튼 이름이 들어가면 잘립니다 정말로", "x")]
    parts = render_parts("가" * 5000 + " 끝", long_label, TELEGRAM.capabilities)
    assert len(parts) == 2 and parts[0].buttons == ()
    assert parts[1].buttons == (Button("아주 긴 버튼 이름이 들어가면 잘립니다 정말로", "x"),)
    (line_part,) = render_parts("골라주세요", long_label, LINE.capabilities)
    assert line_part.buttons[0].label == "아주 긴 버튼 이름이 들어가면 잘립니다…"[:19] + "…"
    assert len(line_part.buttons[0].label) == 20


async def test_buttons_reach_the_apis_in_their_documented_shape(
    world: World, messengers: Messengers
) -> None:
    assert messengers.stub is not None
    credentials = Credentials(
        values={"bot_token": "1:abc", "channel_access_token": "tok"},
        api_url=messengers.stub.url,
        allow_private=True,
        timeout_seconds=5,
    )
    part = OutgoingPart("무엇을 도와드릴까요?", tuple(BUTTONS))
    await TELEGRAM.send(credentials, "777", part, "k")
    (sent,) = messengers.telegram
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "배송 조회", "callback_data": "cat:delivery"}],
            [{"text": "상담원 연결", "callback_data": "human"}],
        ]
    }
    key = "6f1c7f7e-0000-4000-8000-000000000001"
    first = await LINE.send(credentials, "Uaaa", part, key)
    again = await LINE.send(credentials, "Uaaa", part, key)  # a retry LINE already accepted
    assert first.external_id and again.external_id == ""
    (push,) = messengers.line  # accepted once
    (message,) = push.json()["messages"]
    assert message["quickReply"]["items"][1] == {
        "type": "action",
        "action": {"type": "message", "label": "상담원 연결", "text": "상담원 연결"},
    }


def test_button_presses_come_back_as_the_customers_message() -> None:
    update = (
        b'{"update_id": 9, "callback_query": {"id": "c1", "from": {"id": 5, "first_name": "A"},'
        b' "message": {"message_id": 3, "chat": {"id": 5, "type": "private"}}, "data": "human"}}'
    )
    (event,) = TELEGRAM.parse(update)
    assert (event.key, event.kind, event.text, event.address) == ("9", "button", "human", "5")
    photo = b'{"update_id": 10, "message": {"message_id": 4, "from": {"id": 5}, "chat": {"id": 5}, "photo": []}}'
    (event,) = TELEGRAM.parse(photo)
    assert event.kind == "photo" and event.text == ""
