"""The site file's ``police_contact`` column: an MP premises' named police contact.

Every MP has a named police contact under the funded protective security package; briefings
show it in the "what to look for" lines of MP premises stops, also when redacting (it names the
officer, not the MP). :func:`read_police_contact` reads a row's cell, :func:`warn_missing_contacts`
logs one warning per site file naming the MP premises rows without one.
"""

from __future__ import annotations

import logging

from planner.config import MP_KINDS
from planner.demand.sites import SitePoints
from planner.errors import InputError

log = logging.getLogger(__name__)

#: Longest ``police_contact`` cell: a rank, collar number, name and a phone number or two.
MAX_POLICE_CONTACT_CHARS = 200


def read_police_contact(points: SitePoints, row: int, attrs: dict[str, str]) -> str:
    """The row's ``police_contact`` cell on one line (whitespace collapsed), bounded in length."""
    text = " ".join(attrs.get("police_contact", "").split())
    if len(text) > MAX_POLICE_CONTACT_CHARS:
        raise InputError(
            f"{len(text)} characters; at most {MAX_POLICE_CONTACT_CHARS} (a name and a phone "
            "number, e.g. 'PS 1234 Jones, 07700 900123')",
            path=points.path,
            row=row,
            field="police_contact",
        )
    return text


def warn_missing_contacts(points: SitePoints) -> None:
    """One warning naming the file and every MP premises row without a ``police_contact``."""
    missing = [
        sid
        for sid, attrs in zip(points.site_id, points.attributes, strict=True)
        if attrs.get("kind", "").strip() in MP_KINDS and not attrs.get("police_contact", "").strip()
    ]
    if missing:
        log.warning(
            "%s: MP premises without a police contact: %s; every MP has a named police contact "
            "under the funded package; add a police_contact column",
            points.path,
            ", ".join(missing),
        )
