"""The map's "Changes" layer for a re-planned week (``planner replan``).

One marker per site whose visits changed, at the site (a restricted site, when redacting, at
the centre of its approximate area, never its point): ``+n`` visits added, ``-n`` removed,
``~n`` moved to another unit or time. Green when visits were only added, grey when only
removed, orange otherwise. Its popup lists each change (unit and time before and after, and
the reason) as ``changes.csv`` does; every text is escaped. Kept visits are not drawn: the
routes show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import folium

from planner.outputs.geometry import redaction_area
from planner.outputs.map_elements import BindPopup, BindTooltip, popup_html
from planner.outputs.map_layers import latlon
from planner.outputs.text import day_label, esc, hm, local

if TYPE_CHECKING:
    import datetime as dt

    from planner.planning.replan_changes import Change
    from planner.planning.week import PlanResult

#: Marker symbol per change, and its colour when a site has only that kind of change.
SYMBOLS = {"added": "+", "removed": "−", "moved": "~"}
COLOURS = {"added": "#1a9850", "removed": "#777777", "moved": "#f46d43"}


def _when(unit: str, t: dt.datetime | None) -> str:
    return "—" if t is None else f"{unit} {day_label(local(t).date())} {hm(t)}"


def add_changes(result: PlanResult, m: folium.Map, changes: Sequence[Change], redact: bool) -> int:
    """Add the layer (see the module docstring); the number of sites drawn.

    A changed visit whose site is not in this week's demand (a removed site) is drawn at its
    point in the earlier plan when the earlier stops are known to the result, else left out
    (it is in ``changes.csv``).
    """
    sites = {s.site_id: s for s in result.inputs.demand.sites}
    by_site: dict[str, list[Change]] = {}
    for c in changes:
        if c.change in SYMBOLS and c.site_id in sites:
            by_site.setdefault(c.site_id, []).append(c)
    if not by_site:
        return 0
    layer = folium.FeatureGroup(name="Changes since the earlier plan", overlay=True, control=True)
    for site_id, site_changes in sorted(by_site.items()):
        site = sites[site_id]
        hidden = redact and site.restricted
        x, y = redaction_area(site.x_m, site.y_m)[:2] if hidden else (site.x_m, site.y_m)
        kinds = {c.change for c in site_changes}
        colour = COLOURS[next(iter(kinds))] if len(kinds) == 1 else COLOURS["moved"]
        label = " ".join(
            f"{SYMBOLS[k]}{sum(c.change == k for c in site_changes)}" for k in SYMBOLS if k in kinds
        )
        marker = folium.Marker(
            latlon(x, y),
            icon=folium.DivIcon(
                html=f'<div class="planner-change" style="background:{colour}">{esc(label)}</div>',
                icon_size=(40, 18),
                icon_anchor=(20, 9),
                class_name="planner-change-icon",
            ),
            pane="plannerStops",
        )
        name = "Restricted site" if hidden else f"{site.name} ({site_id})"
        rows = [
            (
                c.change,
                f"{_when(c.old_unit, c.old_start)} → {_when(c.new_unit, c.new_start)}"
                + (f"; {c.reason}" if c.reason else ""),
            )
            for c in sorted(site_changes, key=lambda c: (c.new_start or c.old_start, c.visit_id))
        ]
        BindPopup(popup_html(name, rows)).add_to(marker)  # the template escapes
        BindTooltip(f"{name}: {label}").add_to(marker)
        marker.add_to(layer)
    layer.add_to(m)
    return len(by_site)
