"""Reassurance patrols at tension sites: work for the paid time hot spots cannot fill.

The communities fund pays for extra patrols wherever community tension runs high: places of
worship, MPs' offices, community centres, as well as crime hot spots. A week's hot spots come
from recorded crime; where there is little of it (a quiet area, or one whose crime data the
config does not give), the hot spots cannot fill the deployed units' hours, and a crew on a
funded shift would stand idle between its few premises visits. A force does not spend funded
hours that way: the crew patrols past the area's tension sites, which is what the fund is for.

So each site of a kind with ``reassurance = true`` (``[demand.kinds.<kind>]``; by default MPs'
offices, places of worship and community centres) becomes a *patrol point*: a
:class:`~planner.demand.dosage.HotspotDemand` with ``patrol`` set, offered by the same
banded greedy as the hot spots (:func:`~planner.demand.dosage.hotspot_candidates`) but:

* as visits of the site's own kind, labelled with the window ``reassurance patrol``
  (:data:`~planner.demand.dosage.PATROL_WINDOW`), so every protection of the site's kind
  (an MP's premises) holds for them;
* only after the hot spots, in the room they leave in each band: up to what the units on duty
  could visit where hot spots have candidates, up to the hot spots' oversupply where none
  has, so patrols never take a hot spot's place in the offer;
* worth ``[demand] reassurance_worth`` (0.25) of a visit to the site (its kind's priority x
  its risk weight), and at most half the least hot-spot candidate, so the optimiser takes one
  only where no hot-spot visit fits;
* every hour alike (a flat profile): tension at a standing site does not follow a crime mix;
* never in a band where a patrol could start within the patrol gap
  (``[demand] hotspot_min_gap_min``) of a start of one of the site's own visits, so a patrol
  and a visit are never bunched at one site and the gap rule holds between them by
  construction (the solver keeps patrols in a group of their own). The site's own visits (its
  prayer times, its office hours) stay the plan's presence there; patrols cover the rest of
  the week. A site with no windows is visited at any time, so it takes no patrols.

Candidates the optimiser does not take are opportunities, never reported as missed; those it
takes are stops in the ``reassurance patrol`` window in every output. When unit-shifts are
bought, patrols count only as a tie-break after premises visits and hot spots
(:func:`patrols_for_buying`), so the money left after those still buys shifts to patrol.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence

from planner.config import ForceConfig
from planner.demand.dosage import HotspotDemand, dosage_params
from planner.demand.profiles import Profile
from planner.demand.weekly import Site, VisitRequirement
from planner.demand.windows import TimeWindow

__all__ = ["PATROL_BUY_SCALE", "patrol_points", "patrols_for_buying"]


def patrol_points(
    sites: Sequence[Site], visits: Sequence[VisitRequirement], config: ForceConfig
) -> list[HotspotDemand]:
    """The week's reassurance patrol points, one per site of a kind that takes them.

    Parameters
    ----------
    sites
        The week's placed sites.
    visits
        The week's visit requirements; a patrol keeps the patrol gap from every window of
        its site's own.
    config
        ``[demand] reassurance_worth`` (0: none), the kinds' ``reassurance``, priorities and
        risk weights, and the patrol gap.

    Returns
    -------
    list of HotspotDemand
        With ``patrol`` set, in site order.
    """
    dem = config.demand
    if dem.reassurance_worth <= 0:
        return []
    gap = dt.timedelta(minutes=dem.hotspot_min_gap_min)
    patrol_dwell = dt.timedelta(seconds=dosage_params(config).dwell_s)
    own: dict[str, set[TimeWindow]] = {}
    for v in visits:
        # A patrol in a band ending by ``start - gap + patrol dwell`` starts at least the gap
        # before any start of this visit; one in a band from ``end - dwell + gap`` at least
        # the gap after. Bands overlapping the span between are not offered.
        dwell = dt.timedelta(seconds=v.dwell_s)
        own.setdefault(v.site_id, set()).update(
            TimeWindow(w.start - gap + patrol_dwell, w.end - dwell + gap)
            for w in v.windows
            if w.start - gap + patrol_dwell < w.end - dwell + gap
        )
    flat = Profile.flat()
    out = []
    for s in sites:
        kind = dem.kinds.get(s.kind)  # type: ignore[call-overload]
        if kind is None or not kind.reassurance:
            continue
        avoid = tuple(sorted(own.get(s.site_id, ())))
        out.append(
            HotspotDemand(
                site_id=s.site_id,
                base_prize=dem.reassurance_worth * kind.priority * dem.risk_weights[s.risk],  # type: ignore[index]
                profile=flat,
                patrol=True,
                kind=s.kind,
                avoid=avoid,
            )
        )
    return out


#: A patrol's worth when unit-shifts are bought, relative to its worth in the plan: a
#: tie-break after premises visits and hot spots (a shift with one premises visit to make
#: outbids one of a whole day's patrols), yet above nothing, so where hot spots are few or
#: none the money still buys shifts for patrols rather than lying unspent.
PATROL_BUY_SCALE = 1e-4


def patrols_for_buying(
    hotspots: Sequence[HotspotDemand], points: Sequence[HotspotDemand]
) -> list[HotspotDemand]:
    """``points`` as unit-shift buying values them (:class:`~planner.demand.dosage.HotspotSlots`).

    Each is worth :data:`PATROL_BUY_SCALE` of its worth, and at most half the least hot spot
    in its least valuable hour, so no hour of patrol outranks a hot spot or a premises visit:
    shifts are bought for patrols only with the money those leave.
    """
    ceiling = (
        0.5 * min(h.base_prize * min(h.profile.weights) for h in hotspots) if hotspots else math.inf
    )
    return [
        dataclasses.replace(p, base_prize=min(p.base_prize, ceiling) * PATROL_BUY_SCALE)
        for p in points
    ]
