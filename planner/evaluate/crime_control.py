"""Crime and harm at hot spots on treated against control days, from later months' crime files.

A plan made with ``[evaluation] control_share`` records its randomised control hot-spot-days
(:mod:`planner.demand.control`; ``plan.json``'s ``evaluation``). Given the data.police.uk
street-level crime files of the months after, ``planner evaluate --crimes`` counts the crimes
and harm in each hot spot's cell or street segment and compares the control side with the
treated side.

The design, and what it cannot show
-----------------------------------
data.police.uk dates a crime by its **month** only, so no crime can be put on a control or a
treated *day*. The comparison is therefore between hot spots: each hot spot's crimes per month
(over the months given) count once for every control day it had on the control side, and once
for every treated day on the treated side::

    control = sum_h c_h * y_h / sum_h c_h        treated = sum_h t_h * y_h / sum_h t_h

where ``c_h``/``t_h`` are the hot spot's control/treated days and ``y_h`` its crimes (or harm)
per month. A hot spot with every day treated adds only to the treated side; one with as many
control as treated days adds equally to both. So the difference comes only from hot spots with
more control days having more, or less, crime afterwards: a dose-response across hot spots.
Because the control days were drawn at random (:func:`planner.demand.control.choose_control`),
the *randomisation check* re-draws them with :data:`REDRAWS` other seeds, with the same design,
and reports how often a re-draw gives a difference at least as large with the crimes as they
are: near 1 means the difference is what chance alone gives.

One week of control days against a month of crime is a small dose in a noisy count: expect no
visible effect from one week. A trial needs many weeks of plans with control days, and crime
records dated to the day (the force's own) to compare control and treated days directly.

Which crimes are a hot spot's: the planner's own rule (:mod:`planner.demand.hotspots`), from the
run's ``demand/hotspots.csv``: the grid method's ``cell_m`` square (``unit_id`` ``E<e>N<n>``),
or the segment method's street segment (``seg-<index>``; each crime to the nearest usable
main-network segment within 100 m, which needs the force's road network, as for ``planner
plan``). Crimes are read as for planning (:func:`planner.demand.crimes.read_crimes`: the force
area, its crime types and harm weights); records of months that ended before the plan's week
are left out (they cannot be an outcome of it) and counted.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.config import ForceConfig
from planner.demand.control import ControlChoice, choose_control
from planner.demand.crimes import read_crimes
from planner.demand.hotspots import assign_segments  # the planner's own rule, reused
from planner.errors import InputError
from planner.planning.pipeline import excluded_places
from planner.planning.plan import Plan
from planner.roads.area import area_boundary, area_network
from planner.roads.snapping import DEFAULT_NO_SNAP_HIGHWAYS

log = logging.getLogger(__name__)

#: Re-draws of the control days for the randomisation check.
REDRAWS = 999
#: Farthest a crime may be from its street segment (``find_hotspots``'s default, as planned).
SEGMENT_MAX_SNAP_M = 100.0
#: Columns of ``crime_control.csv``: one row per hot spot.
CRIME_COLUMNS = (
    "site_id",
    "unit_id",
    "control_days",
    "treated_days",
    "months",
    "crimes",
    "harm",
    "crimes_per_month",
    "harm_per_month",
)
_CELL_RE = re.compile(r"E(-?\d+)N(-?\d+)")
_SEG_RE = re.compile(r"seg-(\d+)")


@dataclass(frozen=True)
class SpotCrime:
    """One hot spot's control and treated days and its crime over the months given."""

    site_id: str
    unit_id: str
    control_days: int
    treated_days: int
    crimes: int
    harm: float


@dataclass(frozen=True)
class CrimeComparison:
    """Crime and harm on the control and the treated side (module docstring).

    Attributes
    ----------
    choice
        The plan's control choice.
    spots
        Per hot spot, in site id order.
    months
        The months of crime counted (``YYYY-MM``).
    files
        The crime files read.
    dropped_before
        Records of months that ended before the plan's week (not counted).
    redraw_p
        Share of :data:`REDRAWS` re-draws of the control days giving a crime difference at
        least as large (``None`` if there are no crimes or no control days).
    """

    choice: ControlChoice
    spots: tuple[SpotCrime, ...]
    months: tuple[str, ...]
    files: tuple[Path, ...]
    dropped_before: int
    redraw_p: float | None

    def side(self, control: bool) -> dict[str, float]:
        """Hot-spot-days, hot spots, and crimes and harm per hot-spot-month of one side."""
        m = max(len(self.months), 1)
        days = [(s.control_days if control else s.treated_days, s) for s in self.spots]
        n = sum(d for d, _ in days)
        return {
            "hotspot_days": n,
            "hotspots": sum(d > 0 for d, _ in days),
            "crimes": sum(d * s.crimes for d, s in days) / m / n if n else float("nan"),
            "harm": sum(d * s.harm for d, s in days) / m / n if n else float("nan"),
        }

    def rows(self) -> list[dict[str, object]]:
        """``crime_control.csv``: one row per hot spot."""
        m = max(len(self.months), 1)
        return [
            {
                "site_id": s.site_id,
                "unit_id": s.unit_id,
                "control_days": s.control_days,
                "treated_days": s.treated_days,
                "months": " ".join(self.months),
                "crimes": s.crimes,
                "harm": round(s.harm, 1),
                "crimes_per_month": round(s.crimes / m, 2),
                "harm_per_month": round(s.harm / m, 1),
            }
            for s in self.spots
        ]

    def table(self) -> tuple[str, tuple[str, ...], list[tuple[str, ...]]]:
        """The report's section: its note, columns and rows (text)."""
        c, t = self.side(True), self.side(False)

        def num(v: float, fmt: str) -> str:
            return "n/a" if v != v else format(v, fmt)

        rows: list[tuple[str, ...]] = [
            ("hot-spot-days", f"{c['hotspot_days']:,.0f}", f"{t['hotspot_days']:,.0f}", ""),
            ("hot spots with such days", f"{c['hotspots']:,.0f}", f"{t['hotspots']:,.0f}", ""),
            (
                "crimes per hot-spot-month",
                num(c["crimes"], ".2f"),
                num(t["crimes"], ".2f"),
                num(c["crimes"] - t["crimes"], "+.2f"),
            ),
            (
                "harm per hot-spot-month (days)",
                num(c["harm"], ",.1f"),
                num(t["harm"], ",.1f"),
                num(c["harm"] - t["harm"], "+,.1f"),
            ),
        ]
        total = sum(s.crimes for s in self.spots)
        check = (
            "no randomisation check (no crime or no control day)"
            if self.redraw_p is None
            else f"{self.redraw_p:.0%} of {REDRAWS} random re-draws of the control days give a "
            "crime difference at least as large with no effect at all"
        )
        note = (
            f"{total:,} crimes at {len(self.spots)} hot spots in {len(self.months)} month(s) "
            f"({', '.join(self.months) or 'none'}); control share "
            f"{self.choice.control_share:g}, seed {self.choice.seed}; {check}. " + " ".join(CAUTION)
        )
        return note, ("measure", "control", "treated", "control − treated"), rows


#: The plain caution printed with the comparison.
CAUTION = (
    "Crime files date crimes by month, not day, so this compares hot spots by how many control "
    "days each had: each hot spot's crimes per month count once per control day on the control "
    "side and once per treated day on the treated side.",
    "One week of control days in a month of crime is too small a dose to show an effect: a "
    "difference here is most likely chance; a trial needs many weeks of control days and crimes "
    "dated to the day.",
)


def compare_crime(
    config: ForceConfig,
    plan: Plan,
    crime_files: Sequence[Path],
    hotspots_csv: Path,
    *,
    cache_dir: Path | None = None,
) -> CrimeComparison:
    """Count later months' crimes per hot spot and compare control with treated days.

    Raises
    ------
    InputError
        The plan has no control days, the hot spot file is missing or unreadable, or a crime
        file cannot be read.
    """
    choice = plan.evaluation
    if choice is None:
        raise InputError(
            "the plan has no control hot-spot-days to compare: make it with [evaluation] "
            "control_share = 0.2 and seed = <int> in the force config",
            field="--crimes",
        )
    units = read_hotspot_units(hotspots_csv)
    inc = config.incidents
    intake = read_crimes(
        crime_files,
        boundary_m=area_boundary(config),
        buffer_m=inc.boundary_buffer_m,
        crime_types=inc.crime_types,
        harm_weights=inc.harm_weights,
        force_name=inc.force_name,
        exclude_m=excluded_places(config),
    )
    recs = intake.records
    first_month = min(d for _, d in (*choice.control, *choice.treated)).strftime("%Y-%m")
    later = (recs["month"] >= first_month).to_numpy()
    dropped = int((~later).sum())
    recs = recs.loc[later]
    x = recs["x_m"].to_numpy(dtype=np.float64)
    y = recs["y_m"].to_numpy(dtype=np.float64)
    unit_of = _crime_units(config, units, x, y, cache_dir)
    harm = recs["harm"].to_numpy(dtype=np.float64)
    counts: dict[str, int] = {}
    harms: dict[str, float] = {}
    for u, h in zip(unit_of, harm, strict=True):
        counts[u] = counts.get(u, 0) + 1
        harms[u] = harms.get(u, 0.0) + float(h)
    spots = _spots(choice, units, counts, harms)
    months = tuple(sorted(recs["month"].unique().tolist()))
    return CrimeComparison(
        choice=choice,
        spots=spots,
        months=months,
        files=tuple(intake.files),
        dropped_before=dropped,
        redraw_p=_redraw_p(choice, spots),
    )


def read_hotspot_units(path: Path) -> dict[str, str]:
    """Site id -> ``unit_id`` (cell or segment) from a run's ``demand/hotspots.csv``."""
    if not path.is_file():
        raise InputError(
            "is not there: the crime comparison needs the hot spots of the run "
            "(planner plan writes them under demand/); give the run's plan.json, or "
            "--hotspots FILE",
            path=path,
        )
    out: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"site_id", "unit_id"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(
                f"has no {', '.join(sorted(missing))} column: is it a planner hotspots.csv?",
                path=path,
            )
        for row_no, row in enumerate(reader, start=1):
            unit = (row.get("unit_id") or "").strip()
            if not (_CELL_RE.fullmatch(unit) or _SEG_RE.fullmatch(unit)):
                raise InputError(
                    f"{unit!r} is not a grid cell (E<e>N<n>) or segment (seg-<n>)",
                    path=path,
                    row=row_no,
                    field="unit_id",
                )
            out[(row.get("site_id") or "").strip()] = unit
    return out


def _crime_units(
    config: ForceConfig, units: dict[str, str], x: np.ndarray, y: np.ndarray, cache_dir: Path | None
) -> list[str]:
    """Each crime's unit id as :mod:`planner.demand.hotspots` names units ("" if none)."""
    if any(_SEG_RE.fullmatch(u) for u in units.values()):
        if cache_dir is None:
            raise InputError("segment hot spots need the road network: give --cache-dir")
        net = area_network(config, cache_dir)
        mode_net = net.car if any(u.mode == "car" for u in config.units) else net.foot
        seg, _ = assign_segments(mode_net, x, y, SEGMENT_MAX_SNAP_M, DEFAULT_NO_SNAP_HIGHWAYS)
        return [f"seg-{s}" if s >= 0 else "" for s in seg]
    cell_m = config.incidents.cell_m
    ix = np.floor(x / cell_m).astype(np.int64)
    iy = np.floor(y / cell_m).astype(np.int64)
    # The same text as a hot spot's unit_id (hotspots._make_hotspots).
    return [f"E{i * cell_m:.0f}N{j * cell_m:.0f}" for i, j in zip(ix, iy, strict=True)]


def _spots(
    choice: ControlChoice,
    units: dict[str, str],
    counts: dict[str, int],
    harms: dict[str, float],
) -> tuple[SpotCrime, ...]:
    control: dict[str, int] = {}
    treated: dict[str, int] = {}
    for s, _ in choice.control:
        control[s] = control.get(s, 0) + 1
    for s, _ in choice.treated:
        treated[s] = treated.get(s, 0) + 1
    ids = sorted(set(control) | set(treated))
    unknown = [s for s in ids if s not in units]
    if unknown:
        raise InputError(
            f"hot spot(s) {', '.join(unknown[:5])} of the plan are not in the hot spot file: "
            "give the hotspots.csv of the run that made the plan",
            field="--hotspots",
        )
    return tuple(
        SpotCrime(
            site_id=s,
            unit_id=units[s],
            control_days=control.get(s, 0),
            treated_days=treated.get(s, 0),
            crimes=counts.get(units[s], 0),
            harm=harms.get(units[s], 0.0),
        )
        for s in ids
    )


def _difference(control: dict[str, int], spots: Sequence[SpotCrime]) -> float:
    """Crimes per hot-spot-day, control minus treated (any constant month factor drops out)."""
    c = sum(control.get(s.site_id, 0) for s in spots)
    days = {s.site_id: s.control_days + s.treated_days for s in spots}
    t = sum(days.values()) - c
    if c == 0 or t == 0:
        return float("nan")
    yc = sum(control.get(s.site_id, 0) * s.crimes for s in spots) / c
    yt = sum((days[s.site_id] - control.get(s.site_id, 0)) * s.crimes for s in spots) / t
    return yc - yt


def _redraw_p(choice: ControlChoice, spots: Sequence[SpotCrime]) -> float | None:
    """Share of re-draws of the control days, same design, with a difference as large."""
    if not choice.control or not any(s.crimes for s in spots):
        return None
    observed = _difference({s.site_id: s.control_days for s in spots}, spots)
    if observed != observed:
        return None
    ids = [s.site_id for s in spots]
    days = sorted({d for _, d in (*choice.control, *choice.treated)})
    # The re-draws' seeds come from the plan's: the check is the same every time it is run.
    rng = np.random.default_rng([choice.seed, 20_240_605])
    seeds = rng.integers(0, 2**62, size=REDRAWS)
    as_large = 0
    for seed in seeds:
        drawn = choose_control(ids, days, share=choice.control_share, seed=int(seed))
        per: dict[str, int] = {}
        for s, _ in drawn:
            per[s] = per.get(s, 0) + 1
        if abs(_difference(per, spots)) >= abs(observed) - 1e-12:
            as_large += 1
    return as_large / REDRAWS
