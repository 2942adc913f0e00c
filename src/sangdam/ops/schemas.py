from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Check(BaseModel):
    name: Literal["database", "migrations", "redis", "shutdown"]
    ok: bool
    # A sentence for the operator; never a connection string or a password.
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: list[Check]


class Alive(BaseModel):
    status: Literal["alive"] = "alive"


class MigrationState(BaseModel):
    """Where the database's schema stands against this version of Sangdam."""

    # current: at this version's head; behind: `sangdam migrate` has work to do (or the
    # database is empty); ahead: a newer Sangdam migrated it (fine while a rolling upgrade
    # is under way: migrations only expand until the old version is gone).
    state: Literal["current", "behind", "ahead"]
    database: list[str]
    code: list[str]
    pending: list[str] = []

    def sentence(self) -> str:
        database = ", ".join(self.database) or "no schema"
        code = ", ".join(self.code)
        if self.state == "current":
            return f"The database is current (revision {code})."
        if self.state == "behind":
            return (
                f"The database is at {database}; this version needs {code}. Run `sangdam "
                f"migrate` to apply {len(self.pending)} migration(s): {', '.join(self.pending)}."
            )
        return (
            f"The database is at {database}, which this version ({code}) does not know: a "
            "newer Sangdam migrated it. Upgrade this node too."
        )


class Problem(BaseModel):
    """One thing `sangdam check` found wrong with the settings."""

    severity: Literal["error", "warning"]
    # The environment variable to change, e.g. SANGDAM_SERVER__PUBLIC_URL.
    setting: str
    sentence: str

    def line(self) -> str:
        return f"{self.severity}: {self.setting}: {self.sentence}"
