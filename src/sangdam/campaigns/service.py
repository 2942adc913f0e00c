"""Campaigns: a chat message to a segment, sent by a durable batched job.

How one send travels (docs/campaigns.md tells it for operators):

1. ``send_campaign`` marks the campaign "sending" and enqueues ``SEND_JOB`` in the same
   transaction: the job exists exactly when the decision does.
2. The job works in batches. ``reserve_batch`` evaluates the segment for the next customers
   after the campaign's cursor (by id) and writes a *pending* ``campaign_sends`` row for
   each, unique on (campaign, contact), moving the cursor in the same transaction.
3. ``deliver_pending`` takes pending rows, skips a customer in a live chat (an open or bot
   conversation) or within the frequency cap, and for everyone else starts a conversation
   with the message and marks the row sent, all in one transaction: a delivery and its
   "sent" commit together or not at all.
4. A job killed anywhere runs again (the job lock expires): rows already sent are never
   picked again, pending rows are delivered, the cursor resumes where it stopped. No one
   gets the message twice and no one is skipped.
5. The conversation is *snoozed* (waiting on the customer): it shows in the customer's
   widget at once (``conversation.created`` + ``message.created`` to their visitor
   stream, after commit) but in no agent's open queue; the customer's reply opens it,
   assigned to the sending agent. Its ``origin`` names the campaign.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.campaigns.models import Campaign, CampaignSend, CampaignStatus, SendStatus
from sangdam.campaigns.repository import CampaignRepository
from sangdam.campaigns.schemas import BODY_MAX_CHARS, CampaignIn, CampaignOut, CampaignStats
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.conversations.repository import ConversationRepository
from sangdam.db import utcnow
from sangdam.inboxes.models import ChannelType, Inbox
from sangdam.inboxes.repository import InboxRepository
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, Conflict
from sangdam.messages.models import SenderType
from sangdam.messages.service import emit_conversation_updated, send_message
from sangdam.segments import service as segments
from sangdam.segments.repository import SegmentRepository
from sangdam.workspaces.models import Workspace
from sangdam.workspaces.repository import AgentRepository

SEND_JOB = "campaigns.send"
# Customers per transaction: big enough to move 100,000 in minutes, small enough that a
# batch holds its locks briefly and a crash redoes little.
BATCH_SIZE = 200


async def _check(session: AsyncSession, workspace_id: int, payload: CampaignIn) -> int:
    """Check what the campaign names; returns its inbox's id."""
    if payload.sender_type == "agent" and payload.sender_agent_id is None:
        raise BadRequest(
            "Choose the agent the message comes from, or send it from the bot.",
            code="campaign_without_sender",
        )
    if payload.sender_type == "bot":
        payload.sender_agent_id = None
    if not payload.body.strip():
        raise BadRequest("Write the campaign's message.", code="campaign_without_body")
    await SegmentRepository(session, workspace_id).get(payload.segment_id)
    inboxes = InboxRepository(session, workspace_id)
    if payload.inbox_id is not None:
        inbox: Inbox | None = await inboxes.get(payload.inbox_id)
    else:
        widgets = [i for i in await inboxes.list() if i.channel_type == ChannelType.WEB_WIDGET]
        inbox = widgets[0] if widgets else None
    if inbox is None or inbox.channel_type != ChannelType.WEB_WIDGET.value:
        raise BadRequest(
            "A campaign's messages open in the chat widget: choose a web widget inbox.",
            code="campaign_inbox_not_widget",
        )
    if payload.sender_agent_id is not None:
        await AgentRepository(session, workspace_id).get(payload.sender_agent_id)
    return inbox.id


def _apply(campaign: Campaign, payload: CampaignIn, inbox_id: int) -> None:
    campaign.name = payload.name
    campaign.segment_id = payload.segment_id
    campaign.inbox_id = inbox_id
    campaign.sender_type = payload.sender_type
    campaign.sender_agent_id = payload.sender_agent_id
    campaign.body = payload.body
    campaign.frequency_cap_days = payload.frequency_cap_days


async def create_campaign(
    session: AsyncSession, workspace_id: int, payload: CampaignIn
) -> Campaign:
    inbox_id = await _check(session, workspace_id, payload)
    campaign = Campaign(status=CampaignStatus.DRAFT.value, cursor_contact_id=0)
    _apply(campaign, payload, inbox_id)
    CampaignRepository(session, workspace_id).add(campaign)
    await session.flush()
    return campaign


def require_draft(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.DRAFT.value:
        raise Conflict(
            "Campaign {id} has already been sent; make a new campaign instead.",
            code="campaign_sent",
            values={"id": campaign.id},
        )


async def update_campaign(
    session: AsyncSession, workspace_id: int, campaign_id: int, payload: CampaignIn
) -> Campaign:
    campaign = await CampaignRepository(session, workspace_id).get(campaign_id, for_update=True)
    require_draft(campaign)
    _apply(campaign, payload, await _check(session, workspace_id, payload))
    campaign.updated_at = utcnow()
    return campaign


async def send_campaign(session: AsyncSession, workspace_id: int, campaign_id: int) -> Campaign:
    """Start sending now: the job is enqueued in this transaction and runs after commit."""
    campaign = await CampaignRepository(session, workspace_id).get(campaign_id, for_update=True)
    require_draft(campaign)
    if campaign.segment_id is None:
        raise BadRequest(
            "Campaign {id} has no segment (it was deleted); choose one first.",
            code="campaign_without_segment",
            values={"id": campaign.id},
        )
    segment = await SegmentRepository(session, workspace_id).get(campaign.segment_id)
    segments.stored_filter(segment)
    campaign.status = CampaignStatus.SENDING.value
    campaign.started_at = campaign.updated_at = utcnow()
    enqueue(
        session,
        SEND_JOB,
        {"workspace_id": workspace_id, "campaign_id": campaign.id},
        workspace_id=workspace_id,
    )
    return campaign


async def reserve_batch(
    session: AsyncSession, workspace_id: int, campaign_id: int, limit: int = BATCH_SIZE
) -> int:
    """Record the next ``limit`` customers of the segment as pending; how many there were."""
    repository = CampaignRepository(session, workspace_id)
    campaign = await repository.get(campaign_id, for_update=True)
    if campaign.status != CampaignStatus.SENDING.value or campaign.segment_id is None:
        return 0
    segment = await SegmentRepository(session, workspace_id).get(campaign.segment_id)
    clause = segments.where(session, workspace_id, segments.stored_filter(segment), utcnow())
    contact_ids = await SegmentRepository(session, workspace_id).contact_ids(
        clause, after_id=campaign.cursor_contact_id, limit=limit
    )
    await repository.reserve(campaign.id, contact_ids)
    if contact_ids:
        campaign.cursor_contact_id = contact_ids[-1]
    return len(contact_ids)


async def deliver_pending(
    session: AsyncSession, workspace_id: int, campaign_id: int, limit: int = BATCH_SIZE
) -> int:
    """Deliver up to ``limit`` pending sends (or skip them, saying why); how many were done."""
    repository = CampaignRepository(session, workspace_id)
    # The campaign's lock: two runs of its job (a lock that expired under a slow one) take
    # turns, so a pending row is never delivered by both.
    campaign = await repository.get(campaign_id, for_update=True)
    sends = await repository.pending(campaign.id, limit)
    if not sends:
        return 0
    contact_ids = [send.contact_id for send in sends]
    now = utcnow()
    live = await repository.in_live_chat(contact_ids)
    capped: set[int] = set()
    if campaign.frequency_cap_days:
        since = now - dt.timedelta(days=campaign.frequency_cap_days)
        capped = await repository.recently_sent(contact_ids, since)
    await repository.mark(
        [s.id for s in sends if s.contact_id in live], SendStatus.SKIPPED_LIVE_CHAT
    )
    await repository.mark(
        [s.id for s in sends if s.contact_id in capped and s.contact_id not in live],
        SendStatus.SKIPPED_CAP,
    )
    due = [s for s in sends if s.contact_id not in live and s.contact_id not in capped]
    if due:
        inbox = await InboxRepository(session, workspace_id).get(campaign.inbox_id)
        sender = await _sender(session, campaign)
        contacts = await repository.contacts([s.contact_id for s in due])
        for send in due:
            await _deliver(session, campaign, inbox, sender, contacts[send.contact_id], send, now)
    return len(sends)


async def _sender(session: AsyncSession, campaign: Campaign) -> dict[str, Any]:
    if campaign.sender_type == "agent" and campaign.sender_agent_id is not None:
        agent = await AgentRepository(session, campaign.workspace_id).get(campaign.sender_agent_id)
        return {
            "sender_type": SenderType.AGENT,
            "sender_id": agent.id,
            "sender_name": agent.display_name,
            "assignee_id": agent.id,
        }
    workspace = await session.get(Workspace, campaign.workspace_id)
    assert workspace is not None
    return {
        "sender_type": SenderType.BOT,
        "sender_id": None,
        "sender_name": workspace.name,
        "assignee_id": None,
    }


async def _deliver(
    session: AsyncSession,
    campaign: Campaign,
    inbox: Inbox,
    sender: dict[str, Any],
    contact: Contact,
    send: CampaignSend,
    now: dt.datetime,
) -> None:
    conversation = Conversation(
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=Status.SNOOZED.value,
        assignee_id=sender["assignee_id"],
        assigned_at=now if sender["assignee_id"] else None,
        origin={"inbox": inbox.name, "campaign_id": campaign.id, "campaign": campaign.name},
        created_at=now,
        last_activity_at=now,
    )
    ConversationRepository(session, campaign.workspace_id).add(conversation)
    await session.flush()
    emit_conversation_updated(session, conversation, contact, created=True)
    await send_message(
        session,
        conversation,
        contact,
        sender_type=sender["sender_type"],
        sender_id=sender["sender_id"],
        sender_name=sender["sender_name"],
        body=campaign.body,
        client_id=None,
        max_chars=BODY_MAX_CHARS,
        sets_preview=True,
    )
    send.status = SendStatus.SENT.value
    send.conversation_id = conversation.id
    send.sent_at = now


async def finish_if_done(session: AsyncSession, workspace_id: int, campaign_id: int) -> bool:
    """Mark the campaign sent once the segment is exhausted and nothing is pending."""
    repository = CampaignRepository(session, workspace_id)
    campaign = await repository.get(campaign_id, for_update=True)
    if campaign.status != CampaignStatus.SENDING.value:
        return True
    if await repository.has_pending(campaign.id):
        return False
    campaign.status = CampaignStatus.SENT.value
    campaign.finished_at = campaign.updated_at = utcnow()
    return True


def continue_later(session: AsyncSession, workspace_id: int, campaign_id: int) -> None:
    enqueue(
        session,
        SEND_JOB,
        {"workspace_id": workspace_id, "campaign_id": campaign_id},
        workspace_id=workspace_id,
    )


async def views(
    session: AsyncSession, workspace_id: int, campaigns: list[Campaign]
) -> list[CampaignOut]:
    counts = await CampaignRepository(session, workspace_id).counts([c.id for c in campaigns])
    out = []
    for campaign in campaigns:
        view = CampaignOut.model_validate(campaign)
        view.stats = CampaignStats(**counts.get(campaign.id, {}))
        out.append(view)
    return out
