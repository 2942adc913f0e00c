"""User-agent strings parsed into what an agent wants to know: device, OS, browser."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse


@dataclass(frozen=True)
class ClientInfo:
    device: str
    os: str
    browser: str


def _version(*parts: str | None) -> str:
    return ".".join(p for p in parts if p)


@lru_cache(maxsize=2048)
def parse_user_agent(user_agent: str) -> ClientInfo:
    result = parse(user_agent)
    browser = "Unknown"
    if result.user_agent is not None:
        browser = f"{result.user_agent.family} {_version(result.user_agent.major)}".strip()
    os_name = "Unknown"
    if result.os is not None:
        os_name = f"{result.os.family} {_version(result.os.major, result.os.minor)}".strip()
    device = "Desktop"
    if result.device is not None and result.device.family not in ("Other", ""):
        family = result.device.family
        device = "Mobile" if family in ("iPhone", "Generic Smartphone") else family
    lowered = user_agent.lower()
    if "ipad" in lowered or "tablet" in lowered:
        device = "Tablet"
    elif "mobi" in lowered and device == "Desktop":
        device = "Mobile"
    return ClientInfo(device=device[:64], os=os_name[:64], browser=browser[:64])
