"""When harm happens: a time-of-week profile per data.police.uk crime category.

data.police.uk street-level records give the month of a crime, never the day or the hour, so
hot spots say *where* harm is but not *when*. A :class:`Profile` holds 168 hourly weights,
Monday 00:00 to Sunday 23:00 on the Europe/London wall clock, scaled so the mean over the
week is 1: an hour of weight 2 is twice as likely as an average hour to see the category's
harm. :func:`profile_for` mixes the profiles of a hot spot's categories in proportion to its
harm, so the planner can weight *when* a visit to that hot spot is worth most.

Default shapes
--------------
:data:`DEFAULT_BANDS` builds each category's default from a few bands (days, start hour, end
hour, relative weight); hours outside every band weigh 1 and where bands overlap their weights
**multiply** (a daily evening shape times a Friday/Saturday night uplift). The shapes follow
published evidence on when these crimes happen in England and Wales:

- Violence and sexual offences, public order: violence by strangers is concentrated in the
  evening and at night, and at weekends (ONS, "The nature of violent crime in England and
  Wales: year ending March 2018", Crime Survey for England and Wales (CSEW), section "When do
  violent crimes occur?"). Home Office evaluations of the Licensing Act 2003 (Hough, M. et al.
  (2008), *The impact of the Licensing Act 2003 on levels of crime and disorder: an
  evaluation*, Home Office Research Report 04) and of Tackling Alcohol-Related Street Crime in
  Cardiff found violence and disorder most prevalent between 23:00 and 03:00 (Hansard, HL
  written answer HL6185, 12 November 2009); in Manchester weekend night-time violence runs
  on past 03:00 (Humphreys, D.K. et al. (2013), "Evaluating the impact of flexible alcohol
  trading hours on violence", *PLOS ONE* 8(2) e55581). Hence a daily afternoon-to-small-hours
  rise, a x2 (violence) or x2.5 (public order) uplift on Friday and Saturday nights from 21:00
  to 04:00, and quiet early mornings. Domestic violence, a large share of the category, is
  spread more evenly, so the peak is kept moderate.
- Robbery, theft from the person, possession of weapons, drugs: street crimes of the
  afternoon, evening and night-time economy (the CSEW "Nature of crime" tables for robbery and
  theft from the person; Clarke, R.V. and Eck, J.E. (2005), *Crime Analysis for Problem Solvers
  in 60 Small Steps*, step 25, "Pay attention to daily and weekly rhythms": robberies of
  revellers cluster at Friday and Saturday closing times). Recorded drugs and weapons offences
  are mostly found by police (stop and search), so their timing follows patrol activity as
  much as offending.
- Burglary: burglars risk daylight entries on weekdays, when homes are empty, and favour dark
  evenings (Coupe, T. and Blake, L. (2006), "Daylight and darkness targeting strategies and
  the risks of being seen at residential burglaries", *Criminology* 44(2) 431-464, on a
  British force's data; CSEW "Nature of crime: burglary"). The survey spreads burglary fairly
  evenly over the day and night, so the shape is mild: weekday working hours x1.2, evenings
  x1.4, nights 1.
- Vehicle crime: mostly overnight to cars parked at home; 78 % of vehicle crime in the 1982
  and 1984 British Crime Surveys happened between 18:00 and 06:00 ("Residential aspects of
  autocrime", Home Office Research and Planning Unit Research Bulletin 23, 1987), hence x3
  for 18:00-06:00 (75 % of the week's weight).
- Shoplifting: shop opening hours; Sunday trading for large shops is six hours between 10:00
  and 18:00 (Sunday Trading Act 1994), hence a shorter Sunday band and nights near zero.
- Bicycle theft: weekday working hours (bikes left at stations, workplaces and town centres)
  and evenings. Other theft: the day and evening. Criminal damage and arson: evenings and
  nights, more at weekends (CSEW "Nature of crime: criminal damage").
- Anti-social behaviour: evenings (after school) and weekend nights. No national table of ASB
  by hour is published; this shape is our reading of what ASB records describe (youth
  nuisance, rowdy and drunken behaviour, noise).
- Other crime: flat (a miscellany with no common rhythm).

**These are broad shapes drawn from national survey evidence and research, not fitted to any
force's data**, and the multipliers are judgement, not estimates. A force should replace them
with profiles from its own command-and-control or crime records (which carry times): see
``[incidents.profiles]`` and ``[incidents.hotspot_profiles]`` in README.md and
:func:`profiles_from_config`.

Time
----
Weights are by local wall-clock hour. Across a clock change :meth:`Profile.mean_weight` simply
uses the local hour of each instant (the repeated 01:00 hour in October counts twice, the
skipped one in March not at all); it steps in UTC hours, which are local hour boundaries in
Europe/London.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from planner.common import DAY_NAMES, LONDON
from planner.config import IncidentsConfig, ProfileBandConfig, parse_hhmm
from planner.errors import InputError

HOURS_PER_WEEK = 168
_HOUR = dt.timedelta(hours=1)
# A profile's mean is 1 up to float rounding of a sum of 168 terms.
_MEAN_TOLERANCE = 1e-9


class Band(NamedTuple):
    """``weight`` on ``days`` (0 = Monday) from ``start_h`` to ``end_h`` (local hours).

    ``end_h`` at or before ``start_h`` runs past midnight into the next day (equal: 24 hours
    from ``start_h``); Sunday runs into Monday.
    """

    days: tuple[int, ...]
    start_h: int
    end_h: int
    weight: float

    def hours(self) -> list[int]:
        """Indices (0..167, Monday 00:00 = 0) of the hours of the week the band covers."""
        length_h = (self.end_h - self.start_h) % 24 or 24
        return sorted(
            {
                (day * 24 + self.start_h + k) % HOURS_PER_WEEK
                for day in set(self.days)
                for k in range(length_h)
            }
        )


@dataclass(frozen=True)
class Profile:
    """Relative weight of each hour of the week, Monday 00:00 .. Sunday 23:00 (Europe/London).

    Attributes
    ----------
    weights
        168 finite weights > 0 whose mean is 1. Build profiles with :meth:`from_weights` or
        :meth:`from_bands`, which normalise; the constructor only checks.
    """

    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != HOURS_PER_WEEK:
            raise ValueError(
                f"a profile has {HOURS_PER_WEEK} hourly weights, got {len(self.weights)}"
            )
        if not all(math.isfinite(w) and w > 0 for w in self.weights):
            raise ValueError("profile weights must be finite and > 0")
        mean = math.fsum(self.weights) / HOURS_PER_WEEK
        if abs(mean - 1.0) > _MEAN_TOLERANCE:
            raise ValueError(f"profile weights must average 1, got {mean!r}; use from_weights")

    @classmethod
    def flat(cls) -> Profile:
        """Every hour alike (weight 1)."""
        return cls((1.0,) * HOURS_PER_WEEK)

    @classmethod
    def from_weights(cls, raw: Sequence[float]) -> Profile:
        """The profile of 168 positive weights, scaled to mean 1."""
        if len(raw) != HOURS_PER_WEEK:
            raise ValueError(f"a profile has {HOURS_PER_WEEK} hourly weights, got {len(raw)}")
        mean = math.fsum(raw) / HOURS_PER_WEEK
        if not (math.isfinite(mean) and mean > 0):
            raise ValueError("profile weights must be finite and > 0")
        return cls(tuple(float(w) / mean for w in raw))

    @classmethod
    def from_bands(cls, bands: Iterable[Band]) -> Profile:
        """Hours outside every band weigh 1; overlapping bands multiply; then scaled to mean 1."""
        raw = [1.0] * HOURS_PER_WEEK
        for band in bands:
            if not (
                band.days
                and all(0 <= d <= 6 for d in band.days)
                and 0 <= band.start_h <= 23
                and 0 <= band.end_h <= 23
                and math.isfinite(band.weight)
                and band.weight > 0
            ):
                raise ValueError(f"{band} is not a band: days 0..6, hours 0..23, weight > 0")
            for index in band.hours():
                raw[index] *= band.weight
        return cls.from_weights(raw)

    def weight_at(self, t: dt.datetime) -> float:
        """Weight of the local (Europe/London) hour of the week containing ``t`` (timezone-aware)."""
        return self.weights[_hour_index(t)]

    def mean_weight(self, start: dt.datetime, end: dt.datetime) -> float:
        """Time-weighted mean weight over ``[start, end)`` (timezone-aware), exact over part hours.

        Steps through the interval in pieces of at most one UTC hour (each within one local
        hour), so it costs one step per hour spanned. An empty interval (``end == start``)
        gives the weight at ``start``.

        Raises
        ------
        ValueError
            If ``end`` is before ``start`` or either is naive.
        """
        _check_aware(start)
        _check_aware(end)
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        if end == start:
            return self.weight_at(start)
        cur = start.astimezone(dt.UTC)
        stop = end.astimezone(dt.UTC)
        total = 0.0
        while cur < stop:
            nxt = min(stop, cur.replace(minute=0, second=0, microsecond=0) + _HOUR)
            total += self.weight_at(cur) * (nxt - cur).total_seconds()
            cur = nxt
        return total / (stop - start.astimezone(dt.UTC)).total_seconds()

    def peak_hours(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` heaviest hours as ``(day name, local hour)``, heaviest first (ties: earliest)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        order = sorted(range(HOURS_PER_WEEK), key=lambda i: (-self.weights[i], i))[:n]
        return [(DAY_NAMES[i // 24], i % 24) for i in order]


def _check_aware(t: dt.datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t.isoformat()} has no time zone; give an aware datetime")


def _hour_index(t: dt.datetime) -> int:
    _check_aware(t)
    local = t.astimezone(LONDON)
    return local.weekday() * 24 + local.hour


FLAT = Profile.flat()
"""The profile of an unknown category, or of no harm: every hour alike."""


def _days(spec: str) -> tuple[int, ...]:
    # "Daily", "Mon-Fri", "Fri Sat", "Sun" -> day indices (readability of the table below).
    if spec == "Daily":
        return tuple(range(7))
    out: list[int] = []
    for token in spec.split():
        first, _, last = token.partition("-")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        out.extend(range(a, b + 1))
    return tuple(out)


def _b(days: str, start_h: int, end_h: int, weight: float) -> Band:
    return Band(_days(days), start_h, end_h, weight)


#: The default bands per data.police.uk category (see the module docstring for the evidence).
DEFAULT_BANDS: Mapping[str, tuple[Band, ...]] = MappingProxyType(
    {
        "Anti-social behaviour": (
            _b("Daily", 15, 23, 2.0),  # after school and the evening
            _b("Fri Sat", 19, 2, 1.5),  # weekend nights
            _b("Daily", 2, 8, 0.4),
        ),
        "Bicycle theft": (
            _b("Mon-Fri", 8, 18, 1.5),  # bikes left at stations, workplaces, town centres
            _b("Daily", 18, 23, 1.2),
            _b("Daily", 1, 6, 0.5),
        ),
        "Burglary": (
            _b("Mon-Fri", 9, 17, 1.2),  # homes empty while residents work
            _b("Daily", 17, 22, 1.4),  # dark evenings
        ),
        "Criminal damage and arson": (
            _b("Daily", 18, 2, 2.0),
            _b("Fri Sat", 20, 2, 1.3),
            _b("Daily", 5, 9, 0.6),
        ),
        "Drugs": (
            _b("Daily", 16, 2, 1.6),
            _b("Fri Sat", 20, 3, 1.3),
            _b("Daily", 4, 10, 0.4),
        ),
        "Other crime": (),
        "Other theft": (
            _b("Daily", 8, 20, 1.4),
            _b("Daily", 0, 6, 0.6),
        ),
        "Possession of weapons": (
            _b("Daily", 15, 1, 1.6),
            _b("Fri Sat", 21, 3, 1.4),
            _b("Daily", 4, 10, 0.4),
        ),
        "Public order": (
            _b("Daily", 15, 23, 1.5),
            _b("Daily", 23, 3, 1.5),
            _b("Fri Sat", 21, 4, 2.5),  # the night-time economy
            _b("Daily", 4, 9, 0.4),
        ),
        "Robbery": (
            _b("Daily", 15, 23, 1.8),
            _b("Daily", 23, 3, 1.3),
            _b("Fri Sat", 21, 3, 1.3),
            _b("Daily", 3, 9, 0.4),
        ),
        "Shoplifting": (
            _b("Mon-Sat", 9, 18, 3.0),  # shops open
            _b("Mon-Sat", 18, 21, 1.5),  # late opening
            _b("Sun", 10, 17, 2.5),  # Sunday trading hours
            _b("Daily", 22, 7, 0.1),  # shut but for a few all-night shops
        ),
        "Theft from the person": (
            _b("Daily", 10, 19, 1.5),  # busy streets, shops, transport
            _b("Fri Sat", 21, 3, 1.6),  # the night-time economy
            _b("Daily", 3, 8, 0.3),
        ),
        "Vehicle crime": (
            _b("Daily", 18, 6, 3.0),  # parked at home overnight: ~3/4 of the week's weight
        ),
        "Violence and sexual offences": (
            _b("Daily", 15, 23, 1.5),
            _b("Daily", 23, 3, 1.5),
            _b("Fri Sat", 21, 4, 2.0),  # the night-time economy
            _b("Daily", 3, 8, 0.5),
        ),
    }
)

#: Every data.police.uk street-level crime category, as spelled in the crimes CSVs.
CATEGORIES: tuple[str, ...] = tuple(sorted(DEFAULT_BANDS))

#: The default profile of every data.police.uk category (unknown categories: :data:`FLAT`).
DEFAULT_PROFILES: Mapping[str, Profile] = MappingProxyType(
    {category: Profile.from_bands(bands) for category, bands in DEFAULT_BANDS.items()}
)


def profile_for(harm_by_type: Mapping[str, float], profiles: Mapping[str, Profile]) -> Profile:
    """The harm-weighted mixture of the categories' profiles, scaled to mean 1.

    Parameters
    ----------
    harm_by_type
        Harm (any unit, >= 0) of a place's crimes by category, e.g. a hot spot's.
    profiles
        Profile per category; a category missing here counts as :data:`FLAT`.

    Returns
    -------
    Profile
        :data:`FLAT` when there is no harm (empty or all zero).

    Raises
    ------
    InputError
        For a harm that is negative or not a finite number.
    """
    mixed = [0.0] * HOURS_PER_WEEK
    total = 0.0
    for category, harm in harm_by_type.items():
        if not (math.isfinite(harm) and harm >= 0):
            raise InputError(
                f"harm for {category!r} must be a finite number >= 0, got {harm!r}",
                field="harm_by_type",
            )
        if harm == 0:
            continue
        total += harm
        for i, w in enumerate(profiles.get(category, FLAT).weights):
            mixed[i] += harm * w
    return Profile.from_weights(mixed) if total > 0 else FLAT


def band_from_config(band: ProfileBandConfig) -> Band:
    """The :class:`Band` a ``[[incidents.profiles.<category>]]`` entry describes."""
    days = (
        tuple(range(7)) if band.days == ["Daily"] else tuple(DAY_NAMES.index(d) for d in band.days)
    )
    return Band(days, parse_hhmm(band.start).hour, parse_hhmm(band.end).hour, band.weight)


def profiles_from_config(
    incidents_cfg: IncidentsConfig,
) -> tuple[dict[str, Profile], dict[str, Profile]]:
    """Category profiles with the config's overrides, and the profiles it sets per hot spot.

    ``incidents.profiles`` replaces a category's default profile with the profile of its bands
    (an empty list: flat). ``incidents.hotspot_profiles`` gives a hot spot (by id, e.g.
    ``HS-003``) a category's profile, after overrides, by name, or a profile of its own bands.
    Hot spot ids are not checked here: hot spots are numbered only when they are found.

    Returns
    -------
    tuple[dict[str, Profile], dict[str, Profile]]
        Profile by category (every data.police.uk category), and profile by hot spot id.

    Raises
    ------
    InputError
        For a key of ``incidents.profiles``, or a name in ``incidents.hotspot_profiles``, that
        is not a data.police.uk category (listing the valid ones).
    """
    valid = f"valid data.police.uk categories are: {', '.join(CATEGORIES)}"
    unknown = sorted(k for k in incidents_cfg.profiles if k not in DEFAULT_PROFILES)
    if unknown:
        raise InputError(
            f"unknown crime type(s) {', '.join(map(repr, unknown))}; {valid}",
            field="incidents.profiles",
        )
    categories = dict(DEFAULT_PROFILES)
    for category, bands in incidents_cfg.profiles.items():
        categories[category] = Profile.from_bands(band_from_config(b) for b in bands)
    hotspots: dict[str, Profile] = {}
    for hotspot_id, spec in incidents_cfg.hotspot_profiles.items():
        if isinstance(spec, str):
            if spec not in categories:
                raise InputError(
                    f"hot spot {hotspot_id!r}: {spec!r} is not a crime category; {valid}",
                    field=f"incidents.hotspot_profiles.{hotspot_id}",
                )
            hotspots[hotspot_id] = categories[spec]
        else:
            hotspots[hotspot_id] = Profile.from_bands(band_from_config(b) for b in spec)
    return categories, hotspots
