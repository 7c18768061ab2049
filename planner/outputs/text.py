"""Text every output shares: the protective marking, local times, escaping and stop labels.

The run folder's writers and the map both read plans the same way, so the small rules live
here once: a marking other than plain ``OFFICIAL`` is sensitive, times are shown in
Europe/London, input text is escaped for HTML and Markdown, and a restricted stop is named
only as "Restricted site" when the outputs are redacted.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from planner.common import LONDON
from planner.planning.plan import PlanStop


def is_sensitive(marking: str) -> bool:
    """Whether a protective marking is above plain ``OFFICIAL`` (or unknown: treated as above)."""
    return marking.strip().upper() != "OFFICIAL"


def local(t: dt.datetime) -> dt.datetime:
    """An aware time in Europe/London."""
    return t.astimezone(LONDON)


def hm(t: dt.datetime) -> str:
    """``HH:MM`` Europe/London wall-clock time."""
    return local(t).strftime("%H:%M")


def day_label(day: dt.date) -> str:
    """``Mon 30 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def safe_name(text: str) -> str:
    """A file name from a route id: ``NB-CAR-1/2026-11-30/early`` -> ``NB-CAR-1_2026-11-30_early``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return name or "route"


def esc(text: object) -> str:
    """HTML-escape any text that may have come from an input file."""
    return html.escape(str(text), quote=True)


def md_esc(text: object) -> str:
    """Escape text for Markdown body text or a table cell.

    ``&``, ``<`` and ``>`` are HTML-escaped because viewers render inline HTML; quotes are
    left alone (they only matter inside HTML attributes, and ``last week&#x27;s`` would be
    printed literally by plain-text readers of ``summary.md``).
    """
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def stop_label(stop: PlanStop, redact: bool) -> tuple[str, str]:
    """What a crew reads for a stop: ``(name, notes)``, withheld for restricted sites if redacted."""
    if stop.restricted and redact:
        return "Restricted site", "Details from the duty supervisor"
    return stop.name or stop.site_id, stop.notes
