"""What the inbox's GitHub panel is told: whether GitHub is set up, whether Sangdam can create
the issue itself, and a title that is the customer's question."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.fixtures.factories import World, new_client_id


async def test_the_panel_knows_the_setup_and_titles_with_the_customers_question(
    world: World,
) -> None:
    login = await world.login()
    visitor = await world.visitor()
    question = "앱에서 결제 버튼이 안 눌려요"
    conversation_id = (await visitor.start(question))["conversation"]["id"]
    reply = await login.client.post(
        f"{world.base}/conversations/{conversation_id}/messages",
        json={"body": "확인해 볼게요. 어떤 기기에서 그런가요?", "client_id": new_client_id()},
        headers=login.headers(),
    )
    assert reply.status_code == 201, reply.text
    issues = f"{world.base}/conversations/{conversation_id}/github-issues"

    unset = (await login.client.get(issues)).json()
    assert unset["configured"] is False and unset["can_create"] is False

    saved = await login.client.put(
        f"{world.base}/integrations/github",
        json={"api_url": "https://api.github.com", "repo": "cloudgate/app"},
        headers=login.headers(),
    )
    assert saved.status_code == 200, saved.text
    link = (await login.client.get(issues)).json()
    assert link["configured"] is True and link["can_create"] is False
    # The agent replied last; the issue is about what the customer asked.
    assert link["title"] == question
    assert parse_qs(urlsplit(link["url"]).query)["title"] == [question]
