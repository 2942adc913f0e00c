"""The demo's tags, canned responses and automation rules, so "/" and the rules do something."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.automation.models import AutomationRule
from sangdam.automation.schemas import RuleDefinition
from sangdam.canned.models import CannedResponse, CannedScope
from sangdam.kit.secrets import new_token
from sangdam.tags.models import Tag

TAGS = (
    ("불만", "#dc2626"),
    ("개선 아이디어", "#16a34a"),
    ("잠재고객", "#2563eb"),
    ("VIP", "#ca8a04"),
    ("앱 업데이트 필요", "#9333ea"),
)

CANNED = (
    (
        "환불",
        "ko",
        "환불 안내",
        "{{contact.name | 고객}}님, 환불은 마이페이지 > 주문내역에서 "
        "신청하실 수 있어요. 결제일로부터 7일 이내라면 전액 환불됩니다.",
    ),
    (
        "refund",
        "en",
        "Refund policy",
        "Hi {{contact.name | there}}, you can ask for a refund "
        "under My page > Orders. Within 7 days of payment it is a full refund.",
    ),
    (
        "인사",
        "ko",
        "첫 인사",
        "안녕하세요, {{workspace.name}} {{agent.name}}입니다. 무엇을 도와드릴까요?",
    ),
    (
        "hello",
        "en",
        "Greeting",
        "Hello, this is {{agent.name}} from {{workspace.name}}. How can I help?",
    ),
    (
        "업데이트",
        "ko",
        "앱 업데이트 안내",
        "앱스토어에서 최신 버전으로 업데이트하신 뒤 다시 시도해 주세요.",
    ),
)


async def seed_agent_workspace(session: AsyncSession, workspace_id: int) -> None:
    tags = {name: Tag(workspace_id=workspace_id, name=name, color=color) for name, color in TAGS}
    session.add_all(tags.values())
    for shortcut, lang, title, body in CANNED:
        session.add(
            CannedResponse(
                workspace_id=workspace_id,
                scope=CannedScope.WORKSPACE.value,
                lang=lang,
                shortcut=shortcut,
                title=title,
                body=body,
            )
        )
    await session.flush()
    rules = (
        (
            "불만 표현 태그",
            {
                "trigger": {"event": "message_received"},
                "conditions": [
                    {"type": "text_contains", "any_of": ["불만", "화가", "불편", "최악", "angry"]}
                ],
                "actions": [{"type": "add_tag", "tag_id": tags["불만"].id}],
            },
        ),
        (
            "구버전 앱 안내",  # seed 004
            {
                "trigger": {"event": "attribute_changed", "attribute": "app_version"},
                "conditions": [
                    {
                        "type": "attribute",
                        "key": "app_version",
                        "op": "<",
                        "value": "3.2.0",
                        "compare": "version",
                    }
                ],
                "actions": [
                    {"type": "add_tag", "tag_id": tags["앱 업데이트 필요"].id},
                    {
                        "type": "add_note",
                        "body": "앱 버전이 낮아요. /업데이트 로 업데이트를 안내해 주세요.",
                        "remind": True,
                    },
                ],
            },
        ),
    )
    for position, (name, definition) in enumerate(rules):
        checked = RuleDefinition.model_validate(definition)
        session.add(
            AutomationRule(
                workspace_id=workspace_id,
                name=name,
                event=checked.trigger.event,
                definition=checked.model_dump(mode="json", exclude_none=True),
                position=position,
                webhook_secret=new_token("sdwh"),
                run_count=0,
            )
        )
