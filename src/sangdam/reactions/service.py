"""Reactions: how one domain reacts to another's change inside the same transaction.

A service that changes something others care about calls ``react(session, change)``;
it does not know who cares. Who reacts to what is one table, installed once per
process by ``sangdam.domains`` (the module above every domain); the reacting code
lives in the reacting domain. Reactions run in table order, awaited one after the
other in the caller's transaction: their writes commit or roll back with the change,
and an exception in one rolls everything back. After-commit work (sending email,
calling Slack) is a durable job that a reaction enqueues, never done here.

Reactions may cause further changes (a rule adds a tag, which is a change rules react
to). Each domain guards its own loops (automation's rule chain); this module only stops
a runaway recursion that would otherwise exhaust the stack. See
docs/adr/0009-domain-reactions.md.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from sangdam.reactions.schemas import Change

C = TypeVar("C", bound=Change)
Reaction = Callable[[AsyncSession, Any], Awaitable[None]]

# Far beyond any legitimate chain (automation stops at three rules); a bug, not a setting.
MAX_DEPTH = 16

_table: dict[type[Change], tuple[Reaction, ...]] | None = None
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("sangdam_reaction_depth", default=0)


class ReactionLoop(RuntimeError):
    """Reactions caused changes that caused reactions, deeper than any real chain."""


def on(
    change_type: type[C], reaction: Callable[[AsyncSession, C], Awaitable[None]]
) -> tuple[type[Change], Reaction]:
    """One row of the table: ``reaction`` runs when a ``change_type`` happens (type-checked)."""
    return change_type, reaction


def install(table: Iterable[tuple[type[Change], Reaction]]) -> None:
    """Set who reacts to what, in order. Called once per process by ``sangdam.domains``."""
    global _table
    built: dict[type[Change], list[Reaction]] = {}
    for change_type, reaction in table:
        built.setdefault(change_type, []).append(reaction)
    _table = {change_type: tuple(reactions) for change_type, reactions in built.items()}


def installed() -> dict[type[Change], tuple[Reaction, ...]]:
    if _table is None:
        # A process that changes data without the table would silently skip rules,
        # email replies and routing: refuse instead.
        raise RuntimeError("No reactions installed: call sangdam.domains.install() at start-up.")
    return _table


def reactions_to(change_type: type[Change]) -> tuple[Reaction, ...]:
    return installed().get(change_type, ())


async def react(session: AsyncSession, change: Change) -> None:
    """Let every domain that reacts to ``change`` do so, in the table's order."""
    reactions = reactions_to(type(change))
    if not reactions:
        return
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        raise ReactionLoop(f"{change.describe()} at depth {depth}: reactions are looping.")
    token = _depth.set(depth + 1)
    try:
        for reaction in reactions:
            await reaction(session, change)
    finally:
        _depth.reset(token)
