"""LINE end to end: a signed webhook event becomes a conversation, the reply is one push
with a retry key LINE accepts once; a wrong signature is refused; a redelivery is stored once."""

from __future__ import annotations

from sqlalchemy import select

from sangdam.channels.models import ChannelSend
from tests.channels.conftest import (
    Messengers,
    deliver_line,
    line_body,
    line_channel,
    line_signature,
    run_jobs,
)
from tests.channels.test_telegram import _conversations, _messages, _reply
from tests.fixtures.factories import World


async def test_a_line_message_and_its_reply(world: World, messengers: Messengers) -> None:
    login = await world.login()
    channel = await line_channel(login, world)
    assert channel["webhook_url"].startswith(world.server.base_url + "/api/channels/v1/line/")
    assert channel["webhook_secret"] is None  # LINE signs its deliveries instead

    # The console's "Verify" button sends no events; it must still answer 200.
    empty = b'{"destination":"Ubot","events":[]}'
    verify = await deliver_line(
        channel["webhook_url"], empty, line_signature(channel["channel_secret"], empty)
    )
    assert verify.status_code == 200

    body = line_body("환불 문의드려요", user_id="Uaaa111", event_id="01HLINEEVENT0001")
    signature = line_signature(channel["channel_secret"], body)
    for _ in range(2):  # LINE redelivers an event it thinks was lost; the id stays the same
        response = await deliver_line(channel["webhook_url"], body, signature)
        assert response.status_code == 200
    await run_jobs(world)
    (conversation,) = await _conversations(login, world)
    assert conversation["origin"]["channel"] == "line"
    assert conversation["contact_name"] == "수진"  # from LINE's profile API
    assert [m["body"] for m in await _messages(login, world, conversation["id"])] == [
        "환불 문의드려요"
    ]

    message_id = await _reply(login, world, conversation["id"], "주문번호를 알려주세요.")
    await run_jobs(world)
    (push,) = messengers.line
    assert push.json() == {
        "to": "Uaaa111",
        "messages": [{"type": "text", "text": "주문번호를 알려주세요."}],
    }
    assert push.headers["authorization"].startswith("Bearer ")
    assert len(push.headers["x-line-retry-key"]) == 36  # a UUID, as LINE requires
    async with world.server.db.read() as session:
        send = (
            await session.execute(select(ChannelSend).where(ChannelSend.message_id == message_id))
        ).scalar_one()
    assert send.status == "sent" and send.external_ids and send.external_ids[0]


async def test_a_wrong_line_signature_is_refused(world: World, messengers: Messengers) -> None:
    login = await world.login()
    channel = await line_channel(login, world)
    body = line_body("위조")
    wrong = await deliver_line(channel["webhook_url"], body, line_signature("not-the-secret", body))
    assert wrong.status_code == 401
    tampered = body.replace("위조".encode(), "변조".encode())
    changed = await deliver_line(
        channel["webhook_url"], tampered, line_signature(channel["channel_secret"], body)
    )
    assert changed.status_code == 401
    assert await run_jobs(world) == 0
    assert await _conversations(login, world) == []


async def test_a_sender_without_a_profile_still_gets_through(
    world: World, messengers: Messengers
) -> None:
    login = await world.login()
    channel = await line_channel(login, world)
    body = line_body("프로필 없이", user_id="Unotafriend0042")
    response = await deliver_line(
        channel["webhook_url"], body, line_signature(channel["channel_secret"], body)
    )
    assert response.status_code == 200
    await run_jobs(world)
    (conversation,) = await _conversations(login, world)
    # Named by the end of the LINE user id until an agent renames the contact.
    assert conversation["contact_name"] == "LINE nd0042"
