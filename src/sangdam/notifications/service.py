"""Notifications to the team's tools: a Slack message for each new inquiry, an email
for each offline message.

The Slack call is a durable job (``jobs``): written with the change, retried with
backoff while Slack (or the network) is down, delivered once it is back.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.db import Database
from sangdam.jobs.service import enqueue, handler
from sangdam.kit.outbound import post_json
from sangdam.routing.models import Team
from sangdam.workspaces.models import Workspace

SLACK_NEW_INQUIRY = "slack.new_inquiry"
# Handled by sangdam.email.tasks: the team (or the admins) hear of an offline message.
OFFLINE_MESSAGE_EMAIL = "email.offline_notice"


def inquiry_waiting(
    session: AsyncSession, conversation: Conversation, team: Team, *, open_now: bool
) -> None:
    """A conversation joined ``team``'s queue: tell Slack if the team asked for it, and
    email the team about an offline message."""
    if (conversation.origin or {}).get("offline"):
        enqueue(
            session,
            OFFLINE_MESSAGE_EMAIL,
            {
                "workspace_id": conversation.workspace_id,
                "conversation_id": conversation.id,
                # This notice's own Message-ID, the same on every retry of the job.
                "notice": secrets.token_hex(8),
            },
            workspace_id=conversation.workspace_id,
        )
    slack = team.slack or {}
    if not slack.get("url") or (slack.get("business_hours_only") and not open_now):
        return
    enqueue(
        session,
        SLACK_NEW_INQUIRY,
        {
            "conversation_id": conversation.id,
            "team_id": team.id,
            # Frozen now: a retry posts the same text, so a double post (Slack answered
            # after our timeout) reads as one inquiry, not two.
            "preview": conversation.last_message_preview,
            "category": conversation.category,
        },
        workspace_id=conversation.workspace_id,
    )


def slack_message(
    workspace: Workspace,
    team: Team,
    conversation: Conversation,
    contact: Contact | None,
    inbox_url: str,
    frozen: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Slack's incoming-webhook payload: ``text`` (fallback) plus Block Kit blocks.

    ``frozen``: the preview and category as they were when the inquiry was queued (the
    job's payload), so every attempt of one job posts the same text.
    """
    frozen = frozen or {}
    who = (contact.name if contact else None) or f"Visitor #{conversation.contact_id}"
    preview = frozen.get("preview", conversation.last_message_preview) or "…"
    category_name = frozen.get("category", conversation.category)
    category = f" · {category_name}" if category_name else ""
    text = f"[{workspace.name}] New inquiry from {who} ({team.name}{category}): {preview}"
    return {
        "text": text,
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*New inquiry* from *{who}*{category}\n>{preview}",
                },
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": f"{team.name} · <{inbox_url}|Open in Sangdam>"}
                ],
            },
        ],
    }


def register(settings: Settings) -> None:
    @handler(SLACK_NEW_INQUIRY)
    async def send_to_slack(db: Database, payload: dict[str, Any]) -> None:
        async with db.read() as session:
            conversation = await session.get(Conversation, payload["conversation_id"])
            team = await session.get(Team, payload["team_id"])
            if conversation is None or team is None or not (team.slack or {}).get("url"):
                return  # deleted or unconfigured since: nothing to say
            workspace = await session.get(Workspace, conversation.workspace_id)
            contact = await session.get(Contact, conversation.contact_id)
            assert workspace is not None
            url = f"{settings.base_url}/inbox/{workspace.id}?c={conversation.id}"
            body = slack_message(workspace, team, conversation, contact, url, payload)
            webhook = str((team.slack or {})["url"])
        # Slack can't drop duplicates: wait long (a post that timed out may still arrive,
        # and the retry would post it again). docs/security.md "Outgoing calls".
        await post_json(
            webhook,
            body,
            allow_private=settings.outbound.allow_private,
            timeout_seconds=settings.outbound.post_timeout_seconds,
        )
