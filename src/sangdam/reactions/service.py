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

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("sangdam_reaction_depth", default=0)


class ReactionLoop(RuntimeError):
    """Reactions caused changes that caused reactions, deeper than any real chain."""


def on(
    change_type: type[C], reaction: Callable[[AsyncSession, C], Awaitable[None]]
) -> tuple[type[Change], Reaction]:
    """One row of the table: ``reaction`` runs when a ``change_type`` happens (type-checked)."""
    return change_type, reaction


class ReactionTable:
    """Who reacts to what, in order."""

    def __init__(self) -> None:
        self._rows: dict[type[Change], tuple[Reaction, ...]] | None = None

    def install(self, table: Iterable[tuple[type[Change], Reaction]]) -> None:
        rows: dict[type[Change], list[Reaction]] = {}
        for change_type, reaction in table:
            rows.setdefault(change_type, []).append(reaction)
        self._rows = {change_type: tuple(reactions) for change_type, reactions in rows.items()}

    def reactions_to(self, change_type: type[Change]) -> tuple[Reaction, ...]:
        if self._rows is None:
            # A process that changes data without the table would silently skip rules,
            # email replies and routing: refuse instead.
            raise RuntimeError(
                "No reactions installed: call sangdam.domains.install() at start-up."
            )
        return self._rows.get(change_type, ())

    async def react(self, session: AsyncSession, change: Change) -> None:
        """Let every domain that reacts to ``change`` do so, in the table's order."""
        reactions = self.reactions_to(type(change))
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


# The process's table, installed by ``sangdam.domains.install``.
TABLE = ReactionTable()
install = TABLE.install
react = TABLE.react
