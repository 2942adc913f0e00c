"""The one module that knows every domain: their tables, and who reacts to whose changes.

Domains sit below it and never import each other in a circle (the layering contracts in
``pyproject.toml`` are checked in CI); when one domain must act on another's change, the
change goes through ``reactions.react`` and this table says who acts, in what order.
Read it as the answer to "what else happens when…". docs/architecture.md explains each
row; docs/adr/0009-domain-reactions.md why reactions run in the transaction.
"""

from __future__ import annotations

from sangdam.accounts import models as _accounts_models
from sangdam.automation import models as _automation_models
from sangdam.automation import service as automation
from sangdam.bot import models as _bot_models
from sangdam.campaigns import models as _campaigns_models
from sangdam.canned import models as _canned_models
from sangdam.channels import models as _channels_models
from sangdam.channels import service as channels
from sangdam.contacts import models as _contacts_models
from sangdam.conversations import models as _conversations_models
from sangdam.csat import models as _csat_models
from sangdam.csat import service as csat
from sangdam.email import models as _email_models
from sangdam.email import service as email
from sangdam.inboxes import models as _inboxes_models
from sangdam.inboxes import service as inboxes
from sangdam.inboxes.models import ChannelType
from sangdam.integrations import models as _integrations_models
from sangdam.jobs import models as _jobs_models
from sangdam.knowledge import models as _knowledge_models
from sangdam.members import models as _members_models
from sangdam.messages import models as _messages_models
from sangdam.reactions.schemas import (
    AttributesChanged,
    ContactTagged,
    ConversationAssigned,
    ConversationRated,
    ConversationResolved,
    ConversationStarted,
    ConversationTagged,
    HandedOff,
    MessageReceived,
    ReplySent,
)
from sangdam.reactions.service import install as install_reactions
from sangdam.reactions.service import on
from sangdam.reports import models as _reports_models
from sangdam.reports import service as reports
from sangdam.routing import models as _routing_models
from sangdam.routing import service as routing
from sangdam.segments import models as _segments_models
from sangdam.tags import models as _tags_models
from sangdam.workspaces import models as _workspaces_models

# Every domain's tables, so ``Base.metadata`` is complete (migrations, tests).
MODELS = (
    _accounts_models,
    _automation_models,
    _bot_models,
    _campaigns_models,
    _canned_models,
    _channels_models,
    _contacts_models,
    _conversations_models,
    _csat_models,
    _email_models,
    _inboxes_models,
    _integrations_models,
    _jobs_models,
    _knowledge_models,
    _members_models,
    _messages_models,
    _reports_models,
    _routing_models,
    _segments_models,
    _tags_models,
    _workspaces_models,
)

# How an agent's reply reaches the customer, by the conversation's channel. The live
# widget needs nothing more: the ``message.created`` event is its delivery.
REPLY_CHANNELS = inboxes.ReplyDelivery(
    {
        ChannelType.WEB_WIDGET: inboxes.LIVE_ONLY,
        ChannelType.API: inboxes.LIVE_ONLY,
        ChannelType.EMAIL: email.EMAIL_REPLIES,
        ChannelType.TELEGRAM: channels.CHANNEL_REPLIES,
        ChannelType.LINE: channels.CHANNEL_REPLIES,
    }
)

# Who reacts to what, in order. Each reaction runs in the transaction of the change.
REACTIONS = (
    on(MessageReceived, automation.on_message_received),
    on(ConversationStarted, automation.on_conversation_started),
    on(HandedOff, automation.on_handed_off),
    on(ConversationTagged, automation.on_conversation_tagged),
    on(ContactTagged, automation.on_contact_tagged),
    on(AttributesChanged, automation.on_attributes_changed),
    on(ConversationRated, automation.on_conversation_rated),
    on(ReplySent, REPLY_CHANNELS),
    on(ConversationAssigned, routing.on_conversation_assigned),
    on(ConversationResolved, routing.on_conversation_resolved),
    on(ConversationResolved, reports.on_conversation_resolved),
    on(ConversationResolved, csat.on_conversation_resolved),
)


def install() -> None:
    """Make this process's domains react to each other (idempotent)."""
    install_reactions(REACTIONS)
