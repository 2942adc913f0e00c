"""Automation rules: when <event> and <conditions>, do <actions>.

Rules run inside the transaction of the change that triggered them (a message
stored, a conversation started, a tag added...), so the change and the rule's
effects commit or roll back together. Calls to other systems (Slack, webhooks)
are durable jobs written in that same transaction and sent after commit.

Loops: a rule never runs again inside the chain of effects it started (a rule
that tags on "tagged" doesn't re-trigger itself), and chains stop at
``MAX_DEPTH`` rules deep.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.automation.models import AutomationRule, AutomationRun
from sangdam.automation.repository import AutomationRepository
from sangdam.automation.schemas import (
    Action,
    AddNoteAction,
    AddTagAction,
    AssignAgentAction,
    AssignTeamAction,
    AttributeCondition,
    BotCategoryCondition,
    BusinessHoursCondition,
    CallWebhookAction,
    ChannelCondition,
    Condition,
    GroupCondition,
    HasTagCondition,
    LanguageCondition,
    NotifySlackAction,
    RuleDefinition,
    RuleIn,
    RulesImported,
    SendCannedReplyAction,
    SetPriorityAction,
    TextContainsCondition,
    Trigger,
    parse_version,
)
from sangdam.canned.models import CannedScope
from sangdam.canned.repository import CannedRepository
from sangdam.canned.service import render_template, variables_for
from sangdam.config import Settings
from sangdam.contacts.models import Contact
from sangdam.conversations.models import Conversation, Status
from sangdam.csat.models import BAD_AT_MOST, SATISFIED_FROM
from sangdam.db import utcnow
from sangdam.inboxes.models import Inbox
from sangdam.jobs.service import enqueue
from sangdam.kit.errors import BadRequest, SangdamError, Unprocessable
from sangdam.kit.outbound import check_target
from sangdam.kit.secrets import new_token
from sangdam.messages.models import Message, MessageKind, SenderType
from sangdam.messages.service import emit_conversation_updated, emit_mention, send_message
from sangdam.reactions.schemas import (
    AttributesChanged,
    ContactTagged,
    ConversationRated,
    ConversationStarted,
    ConversationTagged,
    HandedOff,
    Materialize,
    MessageReceived,
)
from sangdam.routing import service as routing
from sangdam.routing.repository import RoutingRepository
from sangdam.tags import service as tags
from sangdam.tags.repository import TagRepository
from sangdam.workspaces.models import Agent, Workspace
from sangdam.workspaces.repository import AgentRepository

log = logging.getLogger(__name__)

SLACK_JOB = "automation.slack"
WEBHOOK_JOB = "automation.webhook"
# A rule's effects may trigger other rules this many levels deep, no further.
MAX_DEPTH = 3
NOTE_MAX_CHARS = 20_000

# The rules running in this chain of effects (a context variable: per task, nested calls see it).
_chain: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "sangdam_automation_chain", default=()
)


# ---- the triggers: reactions to other domains' changes (see sangdam/domains.py) ----------


async def on_conversation_started(session: AsyncSession, change: ConversationStarted) -> None:
    await run_rules(
        session, "conversation_created", change.conversation, change.contact, message=change.message
    )


async def on_message_received(session: AsyncSession, change: MessageReceived) -> None:
    if change.rules_waiting is False:
        return  # the statement that stored it looked already: no rule waits for messages
    await run_rules(
        session,
        "message_received",
        change.conversation,
        change.contact,
        message=change.message,
        materialize=change.materialize,
    )


async def on_handed_off(session: AsyncSession, change: HandedOff) -> None:
    await run_rules(session, "handed_off", change.conversation, change.contact)


async def on_conversation_tagged(session: AsyncSession, change: ConversationTagged) -> None:
    await run_rules(session, "tagged", change.conversation, change.contact, tag_id=change.tag_id)


async def on_contact_tagged(session: AsyncSession, change: ContactTagged) -> None:
    """A contact got a tag: rules run on their current (not resolved) conversation, if any."""
    contact = change.contact
    conversation = await AutomationRepository(session, contact.workspace_id).active_conversation(
        contact.id
    )
    if conversation is not None:
        await run_rules(session, "tagged", conversation, contact, tag_id=change.tag_id)


async def on_attributes_changed(session: AsyncSession, change: AttributesChanged) -> None:
    """Profile attributes changed: rules run on the contact's current conversation, if any."""
    contact = change.contact
    conversation = await AutomationRepository(session, contact.workspace_id).active_conversation(
        contact.id
    )
    if conversation is not None:
        await run_rules(
            session, "attribute_changed", conversation, contact, attribute_keys=change.keys
        )


async def on_conversation_rated(session: AsyncSession, change: ConversationRated) -> None:
    """The customer rated the conversation: "rated" rules (a bad rating alerts someone)."""
    await run_rules(
        session, "rated", change.conversation, change.contact, rating_score=change.score
    )


# ---- running rules ----------------------------------------------------------------


# Validated rule definitions by their JSON: rules run on every customer message, and
# validating the nested conditions and actions each time cost more than the rest of a rule.
_DEFINITIONS: dict[bytes, RuleDefinition] = {}
_DEFINITIONS_KEPT = 1024


def _definition(stored: dict[str, Any]) -> RuleDefinition:
    key = orjson.dumps(stored, option=orjson.OPT_SORT_KEYS)
    found = _DEFINITIONS.get(key)
    if found is None:
        found = RuleDefinition.model_validate(stored)
        if len(_DEFINITIONS) >= _DEFINITIONS_KEPT:
            _DEFINITIONS.clear()
        _DEFINITIONS[key] = found
    return found


@dataclass
class Facts:
    """What a rule looks at, loaded only when a condition asks for it."""

    session: AsyncSession
    event: str
    conversation: Conversation
    contact: Contact
    message: Message | None = None
    tag_id: int | None = None
    attribute_keys: frozenset[str] = frozenset()
    rating_score: int | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    async def inbox(self) -> Inbox | None:
        if "inbox" not in self._cache:
            self._cache["inbox"] = await self.session.get(Inbox, self.conversation.inbox_id)
        return self._cache["inbox"]  # type: ignore[no-any-return]

    async def contact_tag_ids(self) -> list[int]:
        # Not cached: an earlier action of the same rule may have added one.
        return await TagRepository(self.session, self.contact.workspace_id).contact_tag_ids(
            self.contact.id
        )

    async def open_now(self) -> bool:
        repository = RoutingRepository(self.session, self.conversation.workspace_id)
        team = (
            await repository.team(self.conversation.team_id)
            if self.conversation.team_id
            else await repository.default_team()
        )
        return routing.is_open(routing.team_hours(team), utcnow())

    async def workspace(self) -> Workspace:
        if "workspace" not in self._cache:
            self._cache["workspace"] = await self.session.get(
                Workspace, self.conversation.workspace_id
            )
        return self._cache["workspace"]  # type: ignore[no-any-return]

    async def variables(self) -> dict[str, str | None]:
        assignee = (
            await self.session.get(Agent, self.conversation.assignee_id)
            if self.conversation.assignee_id
            else None
        )
        return variables_for(await self.workspace(), self.conversation, self.contact, assignee)


async def run_rules(
    session: AsyncSession,
    event: str,
    conversation: Conversation,
    contact: Contact,
    *,
    message: Message | None = None,
    tag_id: int | None = None,
    attribute_keys: frozenset[str] = frozenset(),
    materialize: Materialize | None = None,
    rating_score: int | None = None,
) -> None:
    """Run the workspace's rules for ``event``.

    ``materialize``: the chat short path passes plain rows (enough for triggers and
    conditions) and this, which loads the ORM objects that actions need, only once a
    rule matches.
    """
    chain = _chain.get()
    if len(chain) >= MAX_DEPTH:
        log.info("automation chain %s stops at depth %s (%s)", chain, MAX_DEPTH, event)
        return
    repository = AutomationRepository(session, conversation.workspace_id)
    rules = await repository.enabled_for(event)
    if not rules:
        return
    facts = Facts(
        session, event, conversation, contact, message, tag_id, attribute_keys, rating_score
    )
    for rule in rules:
        if rule.id in chain:
            continue  # its own effect: running again would loop
        try:
            definition = _definition(rule.definition)
        except ValidationError as exc:
            log.warning("automation rule %s no longer validates, skipped: %s", rule.id, exc)
            continue
        if not _trigger_matches(definition.trigger, facts):
            continue
        if not await _hold(definition.match, definition.conditions, facts):
            continue
        if materialize is not None:
            conversation, contact = await materialize()
            facts.conversation, facts.contact, materialize = conversation, contact, None
        token = _chain.set((*chain, rule.id))
        try:
            results = [
                {"type": action.type, "result": await _perform(action, index, rule, facts)}
                for index, action in enumerate(definition.actions)
            ]
        finally:
            _chain.reset(token)
        rule.run_count += 1
        rule.last_run_at = utcnow()
        repository.add(
            AutomationRun(
                rule_id=rule.id, conversation_id=conversation.id, event=event, actions=results
            )
        )


def _trigger_matches(trigger: Trigger, facts: Facts) -> bool:
    if trigger.tag_id is not None and facts.tag_id != trigger.tag_id:
        return False
    score = facts.rating_score
    if trigger.rating == "bad" and (score is None or score > BAD_AT_MOST):
        return False
    if trigger.rating == "good" and (score is None or score < SATISFIED_FROM):
        return False
    return not (trigger.attribute is not None and trigger.attribute not in facts.attribute_keys)


async def _hold(match: str, conditions: Sequence[Condition], facts: Facts) -> bool:
    """All of ``conditions`` hold ("all"), or one does ("any"); none at all always holds.
    Stops at the first that decides, so later ones load nothing."""
    if not conditions:
        return True
    for condition in conditions:
        if await holds(condition, facts) == (match == "any"):
            return match == "any"
    return match != "any"


async def holds(condition: Condition, facts: Facts) -> bool:
    conversation, contact = facts.conversation, facts.contact
    match condition:
        case GroupCondition():
            return await _hold(condition.match, condition.conditions, facts)
        case ChannelCondition():
            inbox = await facts.inbox()
            return inbox is not None and inbox.channel_type in condition.any_of
        case LanguageCondition():
            locale = (contact.locale or "").lower()
            return any(
                locale == lang.lower() or locale.startswith(f"{lang.lower()}-")
                for lang in condition.any_of
            )
        case TextContainsCondition():
            if facts.message is None:
                return False
            text = facts.message.body.casefold()
            return any(needle.casefold() in text for needle in condition.any_of)
        case BotCategoryCondition():
            return conversation.category is not None and conversation.category in condition.any_of
        case AttributeCondition():
            return attribute_holds(condition, contact.attributes or {})
        case BusinessHoursCondition():
            return await facts.open_now() == condition.open
        case HasTagCondition():
            tag_ids = (
                conversation.tag_ids
                if condition.on == "conversation"
                else await facts.contact_tag_ids()
            )
            return (condition.tag_id in tag_ids) == condition.present


def attribute_holds(condition: AttributeCondition, attributes: dict[str, Any]) -> bool:
    """Compare a profile attribute; a missing or malformed value never matches (never raises)."""
    present = condition.key in attributes and attributes[condition.key] is not None
    if condition.op == "exists":
        return present
    if condition.op == "not_exists":
        return not present
    if not present:
        return False
    actual: Any = attributes[condition.key]
    if isinstance(actual, dict) and "value" in actual:
        actual = actual["value"]  # {"value": ..., "signed": ...} style profiles
    expected = condition.value
    if condition.op == "contains":
        return str(expected).casefold() in str(actual).casefold()
    left: Any
    right: Any
    if condition.compare == "version":
        left, right = parse_version(str(actual)), parse_version(str(expected))
        if left is None or right is None:
            return False
    elif condition.compare == "number":
        try:
            left, right = float(actual), float(expected)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    else:
        left, right = str(actual).casefold(), str(expected).casefold()
        if isinstance(actual, bool) or isinstance(expected, bool):
            left, right = str(actual).lower(), str(expected).lower()
    match condition.op:
        case "=":
            return bool(left == right)
        case "!=":
            return bool(left != right)
        case "<":
            return bool(left < right)
        case "<=":
            return bool(left <= right)
        case ">":
            return bool(left > right)
        case ">=":
            return bool(left >= right)


async def _perform(action: Action, index: int, rule: AutomationRule, facts: Facts) -> str:
    """Do one action; a target that disappeared since the rule was saved is skipped."""
    try:
        return await _act(action, index, rule, facts)
    except SangdamError as exc:
        log.info("automation rule %s action %s skipped: %s", rule.id, index, exc.message)
        return f"skipped: {exc.message}"


async def _act(action: Action, index: int, rule: AutomationRule, facts: Facts) -> str:
    session, conversation, contact = facts.session, facts.conversation, facts.contact
    match action:
        case AddTagAction():
            if action.on == "contact":
                await tags.tag_contact(session, contact, action.tag_id, by_rule_id=rule.id)
                return "done"
            added = await tags.tag_conversation(
                session, conversation, contact, action.tag_id, by_rule_id=rule.id
            )
            return "done" if added else "skipped: already tagged"
        case AssignTeamAction():
            team = await RoutingRepository(session, conversation.workspace_id).team(action.team_id)
            if conversation.team_id == team.id:
                return "skipped: already in that team"
            waiting = (
                conversation.queued_at is not None
                and conversation.assignee_id is None
                and conversation.status == Status.OPEN.value
            )
            conversation.team_id = team.id
            conversation.version += 1
            emit_conversation_updated(session, conversation, contact)
            if waiting:  # already in a queue: move it to the new team's
                await routing.enqueue(session, conversation, contact, team_id=team.id)
            return "done"
        case AssignAgentAction():
            agent = await AgentRepository(session, conversation.workspace_id).get(action.agent_id)
            if conversation.assignee_id == agent.id:
                return "skipped: already assigned"
            await routing.assign_to(
                session,
                conversation,
                agent,
                contact,
                reason=routing.because("rule", rule=rule.name),
            )
            return "done"
        case SetPriorityAction():
            if conversation.priority == action.priority:
                return "skipped: same priority"
            conversation.priority = action.priority
            conversation.version += 1
            emit_conversation_updated(session, conversation, contact)
            return "done"
        case SendCannedReplyAction():
            canned = await CannedRepository(session, conversation.workspace_id).get(
                action.canned_response_id
            )
            if canned.scope == CannedScope.PERSONAL.value:
                return "skipped: personal canned responses are not for rules"
            rendered = render_template(canned.body, await facts.variables())
            workspace = await facts.workspace()
            await send_message(
                session,
                conversation,
                contact,
                sender_type=SenderType.BOT,
                sender_id=None,
                sender_name=workspace.name,
                body=rendered.text,
                client_id=None,
                max_chars=NOTE_MAX_CHARS,
                content={"automation_rule_id": rule.id, "canned_response_id": canned.id},
            )
            return "done"
        case AddNoteAction():
            rendered = render_template(action.body, await facts.variables())
            note, _ = await send_message(
                session,
                conversation,
                contact,
                sender_type=SenderType.SYSTEM,
                sender_id=None,
                sender_name=rule.name,
                body=rendered.text,
                client_id=None,
                max_chars=NOTE_MAX_CHARS,
                kind=MessageKind.NOTE,
                content={"automation_rule_id": rule.id, "reminder": action.remind},
            )
            if action.remind and conversation.assignee_id is not None:
                _remind(session, conversation, note, rule)
            return "done"
        case NotifySlackAction():
            _enqueue_call(session, SLACK_JOB, rule, index, facts)
            return "queued"
        case CallWebhookAction():
            _enqueue_call(session, WEBHOOK_JOB, rule, index, facts)
            return "queued"


def _remind(
    session: AsyncSession, conversation: Conversation, note: Message, rule: AutomationRule
) -> None:
    """Tell the assignee, the way an @mention does (inbox notification and chime)."""
    emit_mention(session, conversation, note, conversation.assignee_id, by=rule.name, reminder=True)


def _enqueue_call(
    session: AsyncSession, kind: str, rule: AutomationRule, index: int, facts: Facts
) -> None:
    enqueue(
        session,
        kind,
        {
            "rule_id": rule.id,
            "action": index,
            "conversation_id": facts.conversation.id,
            "event": facts.event,
            "message_id": facts.message.id if facts.message is not None else None,
            # Stays the same across retries, so a receiver can drop duplicates.
            "delivery_id": secrets.token_hex(16),
        },
        workspace_id=facts.conversation.workspace_id,
    )


# ---- managing rules -------------------------------------------------------------


async def _check_references(
    session: AsyncSession, workspace_id: int, definition: RuleDefinition, settings: Settings
) -> None:
    """Every id a rule names must be this workspace's; every URL must be public."""
    tag_repository = TagRepository(session, workspace_id)
    routing_repository = RoutingRepository(session, workspace_id)
    agents = AgentRepository(session, workspace_id)
    canned = CannedRepository(session, workspace_id)

    async def tag(where: str, tag_id: int) -> None:
        if not await tag_repository.existing_ids([tag_id]):
            raise Unprocessable(
                "{where}: tag {id} does not exist in this workspace.",
                values={"where": where, "id": tag_id},
            )

    if definition.trigger.tag_id is not None:
        await tag("trigger.tag_id", definition.trigger.tag_id)
    for i, condition in enumerate(definition.conditions):
        if isinstance(condition, HasTagCondition):
            await tag(f"conditions[{i}].tag_id", condition.tag_id)
        if isinstance(condition, GroupCondition):
            for j, inner in enumerate(condition.conditions):
                if isinstance(inner, HasTagCondition):
                    await tag(f"conditions[{i}].conditions[{j}].tag_id", inner.tag_id)
    for i, action in enumerate(definition.actions):
        where = f"actions[{i}]"
        try:
            match action:
                case AddTagAction():
                    await tag(f"{where}.tag_id", action.tag_id)
                case AssignTeamAction():
                    await routing_repository.team(action.team_id)
                case AssignAgentAction():
                    await agents.get(action.agent_id)
                case SendCannedReplyAction():
                    row = await canned.get(action.canned_response_id)
                    if row.scope == CannedScope.PERSONAL.value:
                        raise Unprocessable(
                            "{where}: canned response {id} is someone's personal one; "
                            "rules can send team or workspace canned responses only.",
                            values={"where": where, "id": row.id},
                        )
                case NotifySlackAction() | CallWebhookAction():
                    await check_target(action.url, allow_private=settings.outbound.allow_private)
        except BadRequest as exc:
            raise BadRequest(
                "{where}.url: {problem}", code=exc.code, values={"where": where, "problem": exc}
            ) from None
        except SangdamError as exc:
            if exc.message.startswith(where):
                raise
            raise Unprocessable(
                "{where}: {problem}", values={"where": where, "problem": exc}
            ) from None


def _store(rule: AutomationRule, payload: RuleIn) -> None:
    definition = RuleDefinition.model_validate(
        payload.model_dump(include={"trigger", "match", "conditions", "actions"})
    )
    rule.name = payload.name
    rule.enabled = payload.enabled
    rule.position = payload.position
    rule.event = definition.trigger.event
    rule.definition = definition.model_dump(mode="json", exclude_none=True)
    rule.updated_at = utcnow()


async def create_rule(
    session: AsyncSession, workspace_id: int, payload: RuleIn, settings: Settings
) -> AutomationRule:
    await _check_references(session, workspace_id, payload, settings)
    rule = AutomationRule(webhook_secret=new_token("sdwh"), run_count=0)
    _store(rule, payload)
    AutomationRepository(session, workspace_id).add(rule)
    await session.flush()
    return rule


async def update_rule(
    session: AsyncSession, workspace_id: int, rule_id: int, payload: RuleIn, settings: Settings
) -> AutomationRule:
    rule = await AutomationRepository(session, workspace_id).get(rule_id)
    await _check_references(session, workspace_id, payload, settings)
    _store(rule, payload)
    return rule


def rule_as_input(rule: AutomationRule) -> RuleIn:
    """A stored rule as the input that would create it again (for export)."""
    definition = rule.definition or {}
    return RuleIn.model_validate(
        {
            "name": rule.name,
            "enabled": rule.enabled,
            "position": rule.position,
            "trigger": definition.get("trigger", {}),
            "match": definition.get("match", "all"),
            "conditions": definition.get("conditions", []),
            "actions": definition.get("actions", []),
        }
    )


async def import_rules(
    session: AsyncSession,
    workspace_id: int,
    payloads: list[RuleIn],
    settings: Settings,
    replace: bool,
) -> RulesImported:
    """Rules from an export: every one is checked before any is saved (the error names the
    rule); ``replace`` deletes the workspace's rules first."""
    for number, payload in enumerate(payloads, start=1):
        try:
            await _check_references(session, workspace_id, payload, settings)
        except SangdamError as exc:
            named = type(exc)(f"Rule {number} ({payload.name}): {exc.message}", code=exc.code)
            raise named from None
    repository = AutomationRepository(session, workspace_id)
    deleted = 0
    if replace:
        for rule in await repository.rules():
            await session.delete(rule)
            deleted += 1
    for payload in payloads:
        rule = AutomationRule(webhook_secret=new_token("sdwh"), run_count=0)
        _store(rule, payload)
        repository.add(rule)
    await session.flush()
    return RulesImported(created=len(payloads), deleted=deleted)


async def delete_rule(session: AsyncSession, workspace_id: int, rule_id: int) -> None:
    await session.delete(await AutomationRepository(session, workspace_id).get(rule_id))
