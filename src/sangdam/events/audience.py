"""Who receives an event: decided here and nowhere else.

The realtime layer asks these two functions for every envelope it could
forward; it never looks inside payloads itself.
"""

from __future__ import annotations

from typing import Any


def for_agent(
    envelope: dict[str, Any], *, workspace_id: int, agent_id: int
) -> dict[str, Any] | None:
    """The frame an agent socket gets, or None. Agents see their own workspace only."""
    if envelope["workspace_id"] != workspace_id:
        return None
    if envelope.get("exclude_agent_id") == agent_id:
        return None
    frame = {"type": envelope["type"], "data": envelope["data"]}
    if envelope.get("id") is not None:
        frame["event_id"] = envelope["id"]
        frame["epoch"] = envelope["epoch"]
    return frame


def for_visitor(
    envelope: dict[str, Any], *, workspace_id: int, contact_id: int
) -> dict[str, Any] | None:
    """The frame a widget socket gets, or None.

    A visitor sees only events of their own conversations, and only those that
    carry a visitor view: internal notes and agent-only changes have none.
    """
    if envelope["workspace_id"] != workspace_id or envelope.get("contact_id") != contact_id:
        return None
    visitor_data = envelope.get("visitor_data")
    if visitor_data is None:
        return None
    return {"type": envelope["type"], "data": visitor_data}
