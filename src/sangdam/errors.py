"""Moved to ``sangdam.kit.errors`` (kit depends on nothing else of Sangdam); kept only
while code written against the old path is updated."""

from sangdam.kit.errors import *  # noqa: F403
from sangdam.kit.errors import SangdamError as SangdamError
