from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

Dimension = Literal["category", "tag", "contact_tag", "agent", "team", "channel", "entry_page"]
DrillDimension = Literal[
    "category", "tag", "contact_tag", "agent", "team", "channel", "entry_page", "rating"
]
CsatDimension = Literal["agent", "team", "tag", "week"]
Report = Literal["volume", "heatmap", "breakdown", "bot_funnel", "times", "csat", "agents"]


class DrillConversation(BaseModel):
    id: int
    contact_id: int
    status: str
    assignee_id: int | None
    team_id: int | None
    category: str | None
    last_message_preview: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class DrillPage(BaseModel):
    conversations: list[DrillConversation]
    next_before: int | None
