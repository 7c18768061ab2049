"""Harm per data.police.uk crime type, in days, modelled on the Cambridge Crime Harm Index.

Community-tension patrols visit the places where crime does most harm; this module says how much
harm one record of each data.police.uk category stands for (:data:`DEFAULT_HARM_WEIGHTS`), how
each weight is derived (:data:`HARM_DERIVATION`) and how a force overrides them
(:func:`resolve_harm_weights`). :mod:`planner.demand.crimes` weights every record it keeps.

Harm weights
------------
The default weights are modelled on the **Cambridge Crime Harm Index** (CCHI): Sherman, L.,
Neyroud, P. and Neyroud, E. (2016), "The Cambridge Crime Harm Index: Measuring Total Harm from
Crime Based on Sentencing Guidelines", *Policing: A Journal of Policy and Practice* 10(3),
171-183, https://doi.org/10.1093/police/paw003. The CCHI scores one offence as the number of
days of imprisonment in the Sentencing Council's starting point for an adult first offender, in
the least serious category of the offence's guideline; non-custodial starting points are turned
into days (fines as days of work at the minimum wage needed to pay them).

data.police.uk publishes only 14 broad categories, each covering many offences, so **the weights
here are modelled approximations, not CCHI values**. Each category's weight is a blend of
representative offences (:data:`HARM_DERIVATION`): ``sum(share x days) / sum(share)``, where

- *days* is our reading of the lowest starting point in the Sentencing Council's definitive
  guideline for that offence (adult, first offence). Non-custodial starting points are converted
  with the constants below: a fine band as the working days a minimum-wage earner needs to pay it
  (Band A = 50 % of a week's income = 2.5 days, Band B 5, Band C 7.5); a community order as its
  typical unpaid-work hours over a 7.5-hour day (low 40-80 h = 8 days, medium 80-150 h = 15,
  high 150-300 h = 30). These conversions are ours; the CCHI's own table differs in detail;
- *share* is the offence's approximate share of the category in police recorded crime for
  England and Wales (ONS, "Crime in England and Wales", year ending March 2023), rounded.

The blends, in days (shares in per cent):

======================== ===================================================================
Category                 Derivation
======================== ===================================================================
Violence and sexual      common assault 33 % x Band A fine; harassment and malicious
offences (~64)           communications 33 % x Band B; ABH 25 % x medium community order;
                         other sexual offences (sexual assault) 5.5 % x medium community
                         order; rape 3 % x 5 years; homicide 0.03 % x 15 years. Rape, rare
                         but weighted 1,825 days, makes up most of the weight: this is the
                         expected harm of a record whose offence is unknown.
Robbery (365)            robbery (street and less sophisticated commercial), lowest
                         category: 1 year.
Possession of weapons    bladed article / offensive weapon 90 % x high community order;
(~64)                    firearms 10 % x 1 year (prohibited weapons carry a 5-year minimum).
Burglary (~22)           residential 65 % x high community order; business and community
                         35 % x low community order.
Drugs (~9)               possession of Class B/C 55 % x Band B fine; possession of Class A
                         20 % x Band C; supply and production 25 % x 20 days (lesser role,
                         Class A high community order, Class B low).
Theft from the person    theft with the victim present: general theft raised one harm
(7.5)                    category, lowest culpability: Band C fine.
Vehicle crime (~5)       theft from a vehicle 50 % x Band B; theft of a vehicle 30 % x Band C;
                         vehicle interference 20 % x Band A.
Shoplifting (5)          theft from a shop, lowest category: Band B fine.
Other theft (5)          general theft under GBP 500, lowest culpability: Band B fine.
Bicycle theft (5)        as other theft.
Other crime (5)          forgery, perjury and miscellaneous offences: nominal Band B fine.
Public order (~4)        s.4 / s.4A fear of violence or intentional harassment 55 % x Band B;
                         s.5 harassment, alarm or distress 45 % x Band A.
Criminal damage and      criminal damage under GBP 5,000 96 % x Band A; arson 4 % x high
arson (~3.6)             community order.
Anti-social behaviour    not a crime and never sentenced: a nominal 1 day, below any fine, so
(1)                      persistent ASB still draws community-tension patrols. Set it to 0,
                         or leave it out of ``crime_types``, to ignore ASB.
======================== ===================================================================

The guideline readings were not checked offence by offence against the published CCHI table
(https://cambridge-ebp.co.uk/chi); a force with its own CCHI mapping should pass it as
``harm_weights``. Weights only set the *relative* importance of categories: multiplying all of
them by a constant changes no ranking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from planner.errors import InputError

#: Working days a minimum-wage earner needs to pay a fine of each band (Band A is 50 % of a
#: week's relevant income, B 100 %, C 150 %; a working week is 5 days).
DAYS_FINE_BAND_A = 2.5
DAYS_FINE_BAND_B = 5.0
DAYS_FINE_BAND_C = 7.5
#: Days for a community order: typical unpaid-work hours over a 7.5-hour working day.
DAYS_COMMUNITY_LOW = 8.0
DAYS_COMMUNITY_MEDIUM = 15.0
DAYS_COMMUNITY_HIGH = 30.0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class HarmComponent:
    """One representative offence in a category's harm blend.

    Attributes
    ----------
    offence
        The offence (or group of offences).
    share_pct
        Approximate share of the category's recorded crimes, per cent.
    days
        Harm of one offence in days of imprisonment (or the equivalent, see the module notes).
    basis
        The sentencing starting point the days come from.
    """

    offence: str
    share_pct: float
    days: float
    basis: str


_C = HarmComponent
#: How each data.police.uk category's default weight is modelled (see the module docstring).
HARM_DERIVATION: Mapping[str, tuple[HarmComponent, ...]] = MappingProxyType(
    {
        "Violence and sexual offences": (
            _C("common assault (violence without injury)", 33.0, DAYS_FINE_BAND_A, "Band A fine"),
            _C("harassment, malicious communications", 33.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("ABH (violence with injury)", 25.0, DAYS_COMMUNITY_MEDIUM, "medium community order"),
            _C("other sexual offences", 5.5, DAYS_COMMUNITY_MEDIUM, "medium community order"),
            _C("rape", 3.0, 5 * DAYS_PER_YEAR, "5 years' custody"),
            _C("homicide", 0.03, 15 * DAYS_PER_YEAR, "15 years' custody"),
        ),
        "Robbery": (_C("robbery, lowest category", 100.0, DAYS_PER_YEAR, "1 year's custody"),),
        "Possession of weapons": (
            _C(
                "bladed article, offensive weapon",
                90.0,
                DAYS_COMMUNITY_HIGH,
                "high community order",
            ),
            _C("firearms", 10.0, DAYS_PER_YEAR, "1 year's custody"),
        ),
        "Burglary": (
            _C("residential burglary", 65.0, DAYS_COMMUNITY_HIGH, "high community order"),
            _C("business and community burglary", 35.0, DAYS_COMMUNITY_LOW, "low community order"),
        ),
        "Drugs": (
            _C("possession, Class B or C", 55.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("possession, Class A", 20.0, DAYS_FINE_BAND_C, "Band C fine"),
            _C("supply and production, lesser role", 25.0, 20.0, "low to high community order"),
        ),
        "Theft from the person": (
            _C("theft from the person", 100.0, DAYS_FINE_BAND_C, "Band C fine"),
        ),
        "Vehicle crime": (
            _C("theft from a vehicle", 50.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("theft of a vehicle", 30.0, DAYS_FINE_BAND_C, "Band C fine"),
            _C("vehicle interference", 20.0, DAYS_FINE_BAND_A, "Band A fine"),
        ),
        "Shoplifting": (_C("theft from a shop", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Other theft": (_C("general theft under GBP 500", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Bicycle theft": (_C("theft of a bicycle", 100.0, DAYS_FINE_BAND_B, "Band B fine"),),
        "Other crime": (
            _C("miscellaneous offences", 100.0, DAYS_FINE_BAND_B, "nominal Band B fine"),
        ),
        "Public order": (
            _C("s.4 and s.4A Public Order Act", 55.0, DAYS_FINE_BAND_B, "Band B fine"),
            _C("s.5 Public Order Act", 45.0, DAYS_FINE_BAND_A, "Band A fine"),
        ),
        "Criminal damage and arson": (
            _C("criminal damage under GBP 5,000", 96.0, DAYS_FINE_BAND_A, "Band A fine"),
            _C("arson", 4.0, DAYS_COMMUNITY_HIGH, "high community order"),
        ),
        "Anti-social behaviour": (
            _C("anti-social behaviour (not a crime)", 100.0, 1.0, "nominal"),
        ),
    }
)
del _C


def _blend(components: Iterable[HarmComponent]) -> float:
    parts = list(components)
    return sum(c.share_pct * c.days for c in parts) / sum(c.share_pct for c in parts)


#: Default harm per record, in days, by data.police.uk crime type (see the module docstring).
DEFAULT_HARM_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {category: round(_blend(parts), 1) for category, parts in HARM_DERIVATION.items()}
)
#: The 14 data.police.uk street-level crime types.
CRIME_TYPES: tuple[str, ...] = tuple(sorted(HARM_DERIVATION))


def harm_derivation_rows() -> list[dict[str, object]]:
    """One row per component of :data:`HARM_DERIVATION`, with the resulting weight (for reports)."""
    return [
        {
            "crime_type": category,
            "offence": c.offence,
            "share_pct": c.share_pct,
            "days": c.days,
            "basis": c.basis,
            "category_weight": DEFAULT_HARM_WEIGHTS[category],
        }
        for category, parts in HARM_DERIVATION.items()
        for c in parts
    ]


def resolve_harm_weights(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the default harm table with ``overrides`` applied.

    Parameters
    ----------
    overrides
        Weights (days, >= 0) for some or all data.police.uk crime types.

    Raises
    ------
    InputError
        For a key that is not a data.police.uk crime type (listing the valid ones), or a weight
        that is negative or not a finite number.
    """
    weights = dict(DEFAULT_HARM_WEIGHTS)
    if overrides is None:
        return weights
    unknown = sorted(str(k) for k in overrides if k not in weights)
    if unknown:
        raise InputError(
            f"unknown crime type(s) in the harm weights: {', '.join(map(repr, unknown))}; "
            f"valid data.police.uk categories are: {', '.join(CRIME_TYPES)}",
            field="harm_weights",
        )
    for key, value in overrides.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                f"harm weight for {key!r} is {value!r}, not a number", field="harm_weights"
            ) from None
        if not math.isfinite(number) or number < 0:
            raise InputError(
                f"harm weight for {key!r} must be a finite number >= 0, got {value!r}",
                field="harm_weights",
            )
        weights[key] = number
    return weights
