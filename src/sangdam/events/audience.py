"""Who receives an event: decided here and nowhere else.

The realtime layer asks this module which sockets an envelope is addressed to
(``agent_group``/``visitor_group``: it keeps its sockets grouped that way so an
event is not offered to every socket of the process) and then, for each of
those sockets, what frame it gets (``for_agent``/``for_visitor``). It never
looks inside envelopes itself. ``for_agent``/``for_visitor`` check the
workspace and contact again on their own, so they are correct whatever sockets
they are offered; tests/events/test_audience.py holds them to it.
"""

from __future__ import annotations

from typing import Any


def agent_group(envelope: dict[str, Any]) -> int:
    """The agent sockets an envelope is offered to: those of its workspace."""
    return int(envelope["workspace_id"])


def visitor_group(envelope: dict[str, Any]) -> tuple[int, int] | None:
    """The widget sockets an envelope is offered to: its contact's, in its workspace; or none."""
    contact_id = envelope.get("contact_id")
    if contact_id is None:
        return None
    return int(envelope["workspace_id"]), int(contact_id)


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
