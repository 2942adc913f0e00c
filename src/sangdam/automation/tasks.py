"""Outgoing calls of automation rules, as durable jobs: Slack messages and signed webhooks.

Each job names its rule, action and conversation; what is sent is built when the
job runs. Webhook requests are signed so the receiver can check they came from
Sangdam and weren't replayed:

    X-Sangdam-Timestamp: <unix seconds>
    X-Sangdam-Signature: sha256=<hex HMAC-SHA256(rule's webhook_secret, timestamp + "." + body)>
    X-Sangdam-Delivery:  <id, the same on every retry of one delivery>
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.automation.models import AutomationRule
from sangdam.automation.schemas import CallWebhookAction, NotifySlackAction, RuleDefinition
from sangdam.automation.service import SLACK_JOB, WEBHOOK_JOB
from sangdam.canned.service import render_template, variables_for
from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation
from sangdam.conversations.schemas import agent_view
from sangdam.db import Database
from sangdam.jobs.service import handler
from sangdam.kit.outbound import post_bytes, post_json
from sangdam.messages.models import Message
from sangdam.messages.service import agent_message
from sangdam.workspaces.models import Agent, Workspace

SIGNATURE_HEADER = "X-Sangdam-Signature"
TIMESTAMP_HEADER = "X-Sangdam-Timestamp"
DELIVERY_HEADER = "X-Sangdam-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


async def _load(
    session: AsyncSession, payload: dict[str, Any], kind: type[Any]
) -> tuple[AutomationRule, Any, Conversation, Contact | None, Workspace] | None:
    rule = await session.get(AutomationRule, payload["rule_id"])
    conversation = await session.get(Conversation, payload["conversation_id"])
    if rule is None or conversation is None or rule.workspace_id != conversation.workspace_id:
        return None  # deleted since: nothing to send
    try:
        definition = RuleDefinition.model_validate(rule.definition)
    except ValidationError:
        return None  # no longer a valid rule: retrying won't make it one
    index = int(payload["action"])
    if index >= len(definition.actions) or not isinstance(definition.actions[index], kind):
        return None  # the rule was edited since
    workspace = await session.get(Workspace, conversation.workspace_id)
    contact = await session.get(Contact, conversation.contact_id)
    assert workspace is not None
    return rule, definition.actions[index], conversation, contact, workspace


def webhook_body(
    payload: dict[str, Any],
    rule: AutomationRule,
    conversation: Conversation,
    contact: Contact | None,
    message: Message | None,
) -> dict[str, Any]:
    return {
        "event": "automation.rule_matched",
        "delivery_id": payload["delivery_id"],
        "trigger": payload["event"],
        "rule": {"id": rule.id, "name": rule.name},
        "workspace_id": conversation.workspace_id,
        "conversation": agent_view(conversation, contact),
        "contact": None
        if contact is None
        else {
            "id": contact.id,
            "name": contact.name,
            "email": contact.email,
            "attributes": contact.attributes,
        },
        "message": agent_message(message) if message is not None else None,
    }


def register(settings: Settings) -> None:
    def allow_private() -> bool:
        # Read at each call: the setting is the operator's, and may change at runtime.
        return settings.outbound.allow_private

    @handler(SLACK_JOB)
    async def notify_slack(db: Database, payload: dict[str, Any]) -> None:
        async with db.read() as session:
            loaded = await _load(session, payload, NotifySlackAction)
            if loaded is None:
                return
            rule, action, conversation, contact, workspace = loaded
            assignee = (
                await session.get(Agent, conversation.assignee_id)
                if conversation.assignee_id
                else None
            )
            values = variables_for(workspace, conversation, contact, assignee)
            who = (contact.name if contact else None) or f"Visitor #{conversation.contact_id}"
            # The message that triggered the rule, not the conversation's latest: the
            # same text on every retry (Slack can't drop a duplicate post).
            message = (
                await session.get(Message, payload["message_id"])
                if payload.get("message_id")
                else None
            )
            said = message.body[:200] if message is not None else conversation.last_message_preview
            default = f"[{workspace.name}] {rule.name}: {who} — {said}"
            text = render_template(action.text, values).text if action.text else default
            link = f"{settings.base_url}/inbox/{workspace.id}?c={conversation.id}"
            url = action.url
        await post_json(
            url,
            {
                "text": text,
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": text}},
                    {
                        "type": "context",
                        "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in Sangdam>"}],
                    },
                ],
            },
            allow_private=allow_private(),
            timeout_seconds=settings.outbound.post_timeout_seconds,
        )

    @handler(WEBHOOK_JOB)
    async def call_webhook(db: Database, payload: dict[str, Any]) -> None:
        async with db.read() as session:
            loaded = await _load(session, payload, CallWebhookAction)
            if loaded is None:
                return
            rule, action, conversation, contact, _workspace = loaded
            message = (
                await session.get(Message, payload["message_id"])
                if payload.get("message_id")
                else None
            )
            body = json.dumps(
                webhook_body(payload, rule, conversation, contact, message),
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            secret, url = rule.webhook_secret, action.url
        timestamp = str(int(time.time()))
        await post_bytes(
            url,
            body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Sangdam-Webhook/1",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
                DELIVERY_HEADER: str(payload["delivery_id"]),
            },
            allow_private=allow_private(),
            timeout_seconds=settings.outbound.post_timeout_seconds,
        )
