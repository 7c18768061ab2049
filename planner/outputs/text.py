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


# Markdown's punctuation, each escaped with a backslash (CommonMark: any ASCII punctuation may
# be). ``-``, ``_`` and ``.`` between two letters or digits mean nothing in CommonMark (they
# cannot open emphasis, a list or a rule there), so ids, kinds, dates and decimals keep them bare.
_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~")
_MD_INTRAWORD = frozenset("-_.")
# Characters XML 1.0 forbids: C0 controls but tab and line ends, surrogates, U+FFFE and U+FFFF.
_XML_FORBIDDEN_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def md_esc(text: object) -> str:
    r"""Escape text from an input file for Markdown body text, a heading or a table cell.

    Markdown's punctuation (``\ ` * _ { } [ ] ( ) # + - . ! | ~``) is backslash-escaped, so
    no name can make a link, an image, emphasis, code, a heading, a list or a table column;
    ``&``, ``<`` and ``>`` are HTML-escaped, because viewers render inline HTML; line ends
    become spaces. Quotes are left alone (they only matter inside HTML attributes, and
    ``last week&#x27;s`` would be printed literally by plain-text readers of ``summary.md``),
    and so are ``-``, ``_`` and ``.`` inside a word (``NB-CAR-1``, ``mp_home``, ``2.5``).
    """
    flat = " ".join(xml_text(str(text)).splitlines())
    out = []
    for i, c in enumerate(flat):
        if c in _MD_SPECIAL and not (
            c in _MD_INTRAWORD
            and 0 < i < len(flat) - 1
            and flat[i - 1].isalnum()
            and flat[i + 1].isalnum()
        ):
            out.append("\\")
        out.append(c)
    return html.escape("".join(out), quote=False)


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids, which make a GPX or SVG file unreadable.

    They are NUL and the other C0 control characters but tab and line ends, lone surrogates,
    U+FFFE and U+FFFF.
    """
    return _XML_FORBIDDEN_RE.sub("", text)


def stop_label(stop: PlanStop, redact: bool) -> tuple[str, str]:
    """What a crew reads for a stop: ``(name, notes)``, withheld for restricted sites if redacted."""
    if stop.restricted and redact:
        return "Restricted site", "Details from the duty supervisor"
    return stop.name or stop.site_id, stop.notes


def presence_line(stop: PlanStop) -> str:
    """What the crew does there, when it is not an ordinary visit (``""`` for a visit)."""
    if stop.presence == "drive_past":
        return "Drive past only: do not stop outside."
    if stop.presence == "post":
        return f"Post: stay on site, visible, until {hm(stop.departure)}."
    return ""


def leave_time(stop: PlanStop) -> dt.datetime:
    """When to set off for the stop: a unit waits where it is, not outside the next site."""
    return stop.arrival - dt.timedelta(seconds=stop.travel_s)
