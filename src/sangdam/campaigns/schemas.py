from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sangdam.kit.input import Id, Input, Int, Text

BODY_MAX_CHARS = 5000


class CampaignIn(Input):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    segment_id: Id
    # A web-widget inbox: the conversation opens there, in the customer's widget.
    # None: the workspace's first web-widget inbox.
    inbox_id: Id | None = None
    sender_type: Literal["agent", "bot"]
    # The agent who speaks (and who gets the replies); only with sender_type "agent".
    sender_agent_id: Id | None = None
    body: Text = Field(min_length=1, max_length=BODY_MAX_CHARS)
    # Skip a customer who got any campaign within this many days (0: no cap).
    frequency_cap_days: Int = Field(default=7, ge=0, le=365)


class CampaignStats(BaseModel):
    # Customers the job has reached so far (a row each), by what happened.
    recipients: int = 0
    pending: int = 0
    sent: int = 0
    skipped_live_chat: int = 0
    skipped_cap: int = 0
    # The customer opened the conversation (their widget marked the message read).
    shown: int = 0
    # The customer wrote back in it.
    replied: int = 0


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    segment_id: int | None
    inbox_id: int
    sender_type: str
    sender_agent_id: int | None
    body: str
    frequency_cap_days: int
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    stats: CampaignStats = CampaignStats()
