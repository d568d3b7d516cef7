"""Study settings kept in the review database: desired retention and the learn-ahead limit.

A value given on the command line is kept for later sessions; one edited in by hand that makes
no sense falls back to the default rather than stopping every later session.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from quizzer.schedule import DEFAULT_RETENTION, RETENTION_RANGE

if TYPE_CHECKING:  # the commands read the ranges for --help, which must not load sqlite3
    from quizzer.store import Store

RETENTION_SETTING = "desired_retention"
LEARN_AHEAD_SETTING = "learn_ahead_minutes"
DEFAULT_LEARN_AHEAD_MINUTES = 20  # as Anki's "learn ahead limit"
LEARN_AHEAD_RANGE = (0, 24 * 60)  # minutes; more than a day would be studying tomorrow's cards


def desired_retention(store: Store, override: float | None = None) -> float:
    """The desired retention: `override` (then kept for later sessions), else the stored one."""
    low, high = RETENTION_RANGE
    return _kept(store, RETENTION_SETTING, override, DEFAULT_RETENTION, low, high)


def learn_ahead(store: Store, override_minutes: float | None = None) -> timedelta:
    """How far ahead a session shows learning cards when nothing else is left: the
    `override_minutes` (then kept for later sessions), else the stored limit."""
    low, high = LEARN_AHEAD_RANGE
    minutes = _kept(
        store, LEARN_AHEAD_SETTING, override_minutes, DEFAULT_LEARN_AHEAD_MINUTES, low, high
    )
    return timedelta(minutes=minutes)


def _kept(
    store: Store, name: str, override: float | None, default: float, low: float, high: float
) -> float:
    if override is not None:
        store.set_setting(name, repr(override))
        return override
    try:
        stored = float(store.setting(name) or default)
    except ValueError:
        return default
    return stored if math.isfinite(stored) and low <= stored <= high else default
