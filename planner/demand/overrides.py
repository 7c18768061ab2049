"""The cells of a site row that override its kind's defaults: numbers, booleans, presence.

Overrides obey the limits of the config's ``[demand.kinds]`` (:class:`KindDemandConfig`), read
from its field bounds so the two cannot drift apart; anything else is a ``ValueError`` saying
what is allowed, which the site reader turns into an :class:`~planner.errors.InputError`
naming the file, row and column (:mod:`planner.demand.weekly`).
"""

from __future__ import annotations

import re

from planner.common import PLAIN_NUMBER_RE
from planner.config import DRIVE_PAST_MAX_DWELL_MIN, PRESENCES, KindDemandConfig

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_BOUND_WORDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}


def parse_bool(text: str) -> bool | None:
    """``true``/``false``, ``yes``/``no`` or ``1``/``0`` in any case; ``None`` if empty.

    Raises
    ------
    ValueError
        For anything else (``ture``, ``y``, ``2``): a typo must not silently mean false.
    """
    t = text.strip().lower()
    if not t:
        return None
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{text.strip()!r} is not true or false; write true, false, yes, no, 1 or 0")


def _limits(name: str) -> list[tuple[str, float]]:
    """The bounds of a :class:`KindDemandConfig` field, as ``("ge", 0.0)`` pairs."""
    out = []
    for meta in KindDemandConfig.model_fields[name].metadata:
        for op in _BOUND_WORDS:
            bound = getattr(meta, op, None)
            if isinstance(bound, int | float):
                out.append((op, float(bound)))
    return out


def _within(number: float, op: str, bound: float) -> bool:
    return {
        "ge": number >= bound,
        "gt": number > bound,
        "le": number <= bound,
        "lt": number < bound,
    }[op]


def parse_override(name: str, text: str) -> int | float | bool:
    """A per-site override (one of :data:`planner.demand.weekly.OVERRIDES`), within the limits of the config's kinds.

    Raises
    ------
    ValueError
        Saying what is wrong and what is allowed: not a number (NaN included), not finite, not
        a whole number of visits, outside the :class:`KindDemandConfig` limits, not a boolean.
    """
    t = text.strip()
    if name == "required":
        value = parse_bool(t)
        if value is None:
            raise ValueError("is empty; write true or false")
        return value
    if not PLAIN_NUMBER_RE.fullmatch(t):
        what = "not finite" if t.lower().lstrip("+-").startswith("inf") else "not a number"
        raise ValueError(f"{t!r} is {what}; write a number such as 2 or 7.5")
    number = float(t)
    limits = _limits(name)
    allowed = " and ".join(f"{_BOUND_WORDS[op]} {bound:g}" for op, bound in limits)
    if name == "visits_per_week" and not number.is_integer():
        raise ValueError(f"{t!r} is not a whole number of visits; {name} must be {allowed}")
    if not all(_within(number, op, bound) for op, bound in limits):
        raise ValueError(
            f"{t!r} is out of range: {name} must be {allowed} (the limits of [demand.kinds] "
            "in the force config)"
        )
    return int(number) if name == "visits_per_week" else number


def parse_presence(text: str) -> str | None:
    """A ``presence`` cell: ``visit``, ``drive_past`` or ``post``; ``""`` if empty.

    Any case, and ``drive-past`` or ``drive past`` too. ``""`` means the kind's default;
    ``None`` that the text is none of these.
    """
    t = re.sub(r"[\s-]+", "_", text.strip().lower())
    return t if t in PRESENCES or not t else None


def drive_past_dwell(dwell: str) -> str:
    """Why a drive-past may not dwell ``dwell`` minutes, and what to do."""
    return (
        f"dwell_min {dwell} is too long for a drive-past (at most "
        f"{DRIVE_PAST_MAX_DWELL_MIN:g} minutes: a drive-past never stops outside); leave "
        "dwell_min empty, or set presence to visit for a stop"
    )


MAX_SITE_VISITS = int(dict(_limits("visits_per_week"))["le"])
"""Most visits (unnamed and named) or post slots one site may ask for in a week."""
