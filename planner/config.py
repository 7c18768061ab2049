"""Force-area configuration: one TOML file per force, loaded into typed, validated objects.

A full, commented example is ``data/demo/force.toml``; README.md documents every key. Unknown
keys, impossible values and missing files are rejected with a message that names the key and
says what is allowed. Relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from planner.common import (
    DAY_NAMES,
    DEFAULT_BUFFER_M,
    DEFAULT_MAX_SNAP_M,
    LONDON,
    bng_problem,
    has_stray_control,
    lonlat_problem,
    read_text,
    unprintable_characters,
)
from planner.errors import InputError

log = logging.getLogger(__name__)


SiteKind = Literal[
    "mp_office",
    "mp_surgery",
    "mp_home",
    "place_of_worship",
    "community_centre",
    "protest",
    "event",
    "hotspot",
]
SITE_KINDS: tuple[str, ...] = SiteKind.__args__  # type: ignore[attr-defined]
MP_KINDS = frozenset({"mp_office", "mp_surgery", "mp_home"})
Presence = Literal["visit", "drive_past", "post"]
"""How a unit is present at a site: ``visit`` stops for the dwell; ``drive_past`` slows by
(at most :data:`DRIVE_PAST_MAX_DWELL_MIN` minutes); ``post`` stays through each window, relieved
in slots of ``[demand] post_slot_min``."""
PRESENCES: tuple[str, ...] = Presence.__args__  # type: ignore[attr-defined]
DRIVE_PAST_MAX_DWELL_MIN = 2.0
"""Longest dwell of a drive-past, minutes: a drive-past must never become a stop outside."""
_KIND_PRESENCE = {"mp_home": "drive_past", "protest": "post"}
"""Kinds whose usual presence is not ``visit`` (kept when a config overrides the kind)."""
_KIND_REASSURANCE = frozenset({"mp_office", "place_of_worship", "community_centre"})
"""Kinds with reassurance patrols by default: standing premises, not a home or a gathering."""


MAX_CONFIG_BYTES = 1_000_000
"""Largest force config read: a config is typed by hand, a few kilobytes; 1 MB is room to spare."""


class _Model(BaseModel):
    # NaN and infinity (TOML's nan and inf) are refused as "not a finite number" by every float.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


def _printable_id(value: str) -> str:
    bad = unprintable_characters(value)
    if bad:
        raise ValueError(
            f"{value!r} contains {', '.join(bad)}; ids are printable text (letters, digits, "
            "punctuation and plain spaces)"
        )
    return value


def _plain_name(value: str) -> str:
    if has_stray_control(value) or "\n" in value or "\r" in value:
        raise ValueError(f"{value!r} contains control characters; write the name on one line")
    return value


Id = Annotated[str, Field(min_length=1), AfterValidator(_printable_id)]
"""An id or a reference to one: non-empty printable text."""
Name = Annotated[str, AfterValidator(_plain_name)]
"""A name shown on outputs: any Unicode text on one line, without control characters."""


def parse_hhmm(value: str) -> dt.time:
    """``"07:00"`` -> ``time(7, 0)``; ``"24:00"`` is not a time of day (use ``"00:00"``)."""
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. '07:00'") from None


class ShiftConfig(_Model):
    """A shift pattern; ``end`` at or before ``start`` means it ends the next day."""

    name: Id
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _time(cls, v: str) -> str:
        parse_hhmm(v)
        return v

    @property
    def start_time(self) -> dt.time:
        """Local start time."""
        return parse_hhmm(self.start)

    @property
    def end_time(self) -> dt.time:
        """Local end time (next day if not after the start)."""
        return parse_hhmm(self.end)

    @model_validator(mode="after")
    def _not_zero(self) -> ShiftConfig:
        if self.start == self.end:
            raise ValueError(
                f"shift {self.name!r} starts and ends at {self.start}; a 24-hour shift is not allowed"
            )
        return self


class LocationConfig(_Model):
    """A point given as lon/lat (WGS84) or easting/northing (EPSG:27700)."""

    lon: float | None = None
    lat: float | None = None
    easting: float | None = None
    northing: float | None = None

    @model_validator(mode="after")
    def _one_pair(self) -> LocationConfig:
        has_ll = self.lon is not None and self.lat is not None
        has_en = self.easting is not None and self.northing is not None
        if has_ll == has_en:
            raise ValueError(
                "give either lon and lat (WGS84) or easting and northing (EPSG:27700), not both or neither"
            )
        if self.lon is not None and self.lat is not None:
            problem = lonlat_problem(self.lon, self.lat)
        else:
            assert self.easting is not None and self.northing is not None
            problem = bng_problem(self.easting, self.northing)
        if problem is not None:
            raise ValueError(problem)
        return self


class StationConfig(LocationConfig):
    """A police station: where unit-shifts start and end."""

    id: Id
    name: Name = ""


class UnitConfig(_Model):
    """A patrol unit: officers crewing one car or walking one beat together."""

    id: Id
    mode: Literal["car", "foot"]
    officers: int = Field(ge=1, le=12)
    station: Id
    shifts: list[Id] = Field(min_length=1)
    days: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]] = Field(
        default_factory=lambda: list(DAY_NAMES)  # type: ignore[arg-type]
    )


class SyntheticAreaConfig(_Model):
    """The built-in synthetic network (demo and benchmarks)."""

    profile: Literal["town", "county"] = "town"
    seed: int
    nodes: int = Field(default=3000, ge=200, le=600_000)
    name: str = "Northby"


class DownloadAreaConfig(_Model):
    """Roads downloaded with osmnx (needs the internet once, then cached)."""

    place: str | None = None
    use_boundary: bool = False


class AreaConfig(_Model):
    """Where the roads come from, and the force boundary."""

    network: str | None = None
    synthetic: SyntheticAreaConfig | None = None
    download: DownloadAreaConfig | None = None
    boundary: str | None = None
    boundary_name: str | None = None
    buffer_m: float = Field(default=DEFAULT_BUFFER_M, ge=0, le=20_000)
    max_snap_m: float = Field(default=DEFAULT_MAX_SNAP_M, gt=0, le=5_000)

    @model_validator(mode="after")
    def _one_source(self) -> AreaConfig:
        given = [k for k in ("network", "synthetic", "download") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one road source: network = 'roads.osm.pbf' (or .osm, .osm.bz2, "
                f".graphml, .npz), [area.synthetic], or [area.download]; got {given or 'none'}"
            )
        if (
            self.download is not None
            and self.download.place is None
            and not self.download.use_boundary
        ):
            raise ValueError("[area.download] needs place = '...' or use_boundary = true")
        if self.boundary_name is not None and self.boundary is None:
            raise ValueError("boundary_name needs boundary = 'file.geojson'")
        return self


class WeekConfig(_Model):
    """The week to plan: an ISO week (``2026-W49``) or the date of its Monday."""

    iso_week: str | None = None
    start_date: dt.date | None = None

    @model_validator(mode="after")
    def _one(self) -> WeekConfig:
        if (self.iso_week is None) == (self.start_date is None):
            raise ValueError("give exactly one of iso_week = '2026-W49' or start_date = 2026-11-30")
        if self.iso_week is not None:
            try:
                dt.date.fromisoformat(self.iso_week + "-1")
            except ValueError:
                raise ValueError(
                    f"iso_week {self.iso_week!r} is not an ISO week; write e.g. '2026-W49'"
                ) from None
        elif self.start_date is not None and self.start_date.weekday() != 0:
            raise ValueError(
                f"start_date {self.start_date} is a {DAY_NAMES[self.start_date.weekday()]}; planning weeks start on a Monday"
            )
        return self

    @property
    def monday(self) -> dt.date:
        """The week's Monday."""
        if self.iso_week is not None:
            return dt.date.fromisoformat(self.iso_week + "-1")
        assert self.start_date is not None
        return self.start_date

    @property
    def days(self) -> list[dt.date]:
        """Monday to Sunday."""
        return [self.monday + dt.timedelta(days=i) for i in range(7)]

    @property
    def start(self) -> dt.datetime:
        """Monday 00:00 Europe/London, as an aware UTC datetime."""
        return dt.datetime.combine(self.monday, dt.time(0), tzinfo=LONDON).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The next Monday 00:00 Europe/London in UTC (6 d 23 h or 7 d 1 h after a clock change)."""
        return dt.datetime.combine(
            self.monday + dt.timedelta(days=7), dt.time(0), tzinfo=LONDON
        ).astimezone(dt.UTC)

    @property
    def label(self) -> str:
        """ISO week label, e.g. ``2026-W49``."""
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


class BudgetConfig(_Model):
    """The communities fund's money for this force and week."""

    pounds_per_week: float = Field(ge=0)
    cost_per_officer_hour: float = Field(gt=0, le=1000)


class SolverConfig(_Model):
    """Optimiser settings. The seed is always explicit so plans are reproducible.

    ``iterations`` set: the search stops after that many iterations (the same plan on any
    machine), and also at ``time_limit_s`` if the file sets that too; unset: it stops at
    ``time_limit_s`` (see :func:`planner.planning.week.stop_from`).
    """

    time_limit_s: float = Field(default=30.0, gt=0, le=24 * 3600)
    iterations: int | None = Field(default=None, gt=0)
    seed: int


#: Shifts shorter than this get no refreshment break: Police Regulations 2003 Annex E ties the
#: 45-minute refreshment period to a normal daily period of duty of 8 hours; a short (4-5 h)
#: shift is worked through.  ``latest_h`` is capped at it so every shift that gets a break can
#: hold its whole window.
MIN_BREAK_SHIFT_H = 6.0


class BreakConfig(_Model):
    """The refreshment break in every unit-shift of at least :data:`MIN_BREAK_SHIFT_H` hours.

    Police Regulations 2003 Annex E: a normal daily period of duty of 8 hours includes a
    45-minute refreshment period.  The break must *start* at least ``earliest_h`` hours into the
    shift and *end* at most ``latest_h`` hours into it; its start is drawn on a 15-minute grid
    from ``seed`` and the shift id, so it differs between shifts (a break is not a pattern an
    observer can learn) yet every week is reproducible.  ``duration_min = 0`` disables breaks.

    ``where = "station"`` is the only place for now: the solver's compiled route kernels have
    no break inside a route, so the shift is planned as two routes from and back to the
    station either side of the break, and refreshment at the station is common practice for
    response and neighbourhood officers (kit, radio charging, a kitchen).
    """

    duration_min: float = Field(default=45.0, ge=0, le=120)
    earliest_h: float = Field(default=3.0, ge=0, le=MIN_BREAK_SHIFT_H)
    latest_h: float = Field(default=6.0, gt=0, le=MIN_BREAK_SHIFT_H)
    where: Literal["station"] = "station"
    seed: int = 0

    @model_validator(mode="after")
    def _window_holds_break(self) -> BreakConfig:
        if self.duration_min > 0 and self.earliest_h * 60 + self.duration_min > self.latest_h * 60:
            raise ValueError(
                f"a {self.duration_min:g}-minute break cannot start after {self.earliest_h:g} h "
                f"and end by {self.latest_h:g} h: make latest_h at least earliest_h + "
                f"{self.duration_min / 60:g}"
            )
        return self


class KindDemandConfig(_Model):
    """Default demand of one site kind (each may be overridden per site)."""

    visits_per_week: int = Field(ge=0, le=100)
    dwell_min: float = Field(default=15.0, gt=0, le=240)
    min_gap_h: float = Field(default=4.0, ge=0, le=168)
    required: bool = False
    priority: float = Field(default=1.0, gt=0, le=100)
    max_per_route: int = Field(default=1, ge=1, le=50)
    presence: Presence = "visit"
    reassurance: bool = False  # patrols when hot spots leave time (planner.demand.patrol)

    @model_validator(mode="after")
    def _drive_past_is_short(self) -> KindDemandConfig:
        # A drive-past that stops for 15 minutes is a stop outside an MP's home: refuse it.
        if (
            self.presence == "drive_past"
            and "dwell_min" in self.model_fields_set
            and self.dwell_min > DRIVE_PAST_MAX_DWELL_MIN
        ):
            raise ValueError(
                f"dwell_min {self.dwell_min:g} is too long for presence 'drive_past' (at most "
                f'{DRIVE_PAST_MAX_DWELL_MIN:g} minutes); lower it, or set presence = "visit" '
                "for a stop"
            )
        return self


def _default_kinds() -> dict[str, KindDemandConfig]:
    # Why these: MPs' surgeries are fixed, short, public and high-risk, so every session is
    # covered; offices are visited daily; worship sites at the week's main prayer times. A
    # dated gathering (surgery, protest, event) may be visited several times by the same unit.
    kinds = {
        "mp_office": KindDemandConfig(visits_per_week=5, min_gap_h=20, priority=3.0),
        "mp_surgery": KindDemandConfig(
            visits_per_week=1, min_gap_h=0.5, required=True, priority=5.0, max_per_route=4
        ),
        "mp_home": KindDemandConfig(
            visits_per_week=3, min_gap_h=24, priority=4.0, presence="drive_past"
        ),
        "place_of_worship": KindDemandConfig(visits_per_week=4, min_gap_h=12, priority=2.0),
        "community_centre": KindDemandConfig(visits_per_week=2, min_gap_h=24, priority=1.5),
        "protest": KindDemandConfig(
            visits_per_week=2,
            min_gap_h=1,
            required=True,
            priority=4.0,
            max_per_route=4,
            presence="post",
        ),
        # An event (a lights switch-on, a match) is visited; a post is asked for per site.
        "event": KindDemandConfig(visits_per_week=1, min_gap_h=1, priority=2.0, max_per_route=4),
        "hotspot": KindDemandConfig(visits_per_week=7, min_gap_h=6, priority=1.0),
    }
    return {
        k: v.model_copy(update={"reassurance": k in _KIND_REASSURANCE}) for k, v in kinds.items()
    }


class DemandConfig(_Model):
    """How sites become visit requirements."""

    dwell_min: float = Field(
        default=15.0, gt=0, le=240, description="Koper curve: about 15 minutes"
    )
    kinds: dict[SiteKind, KindDemandConfig] = Field(default_factory=_default_kinds)  # type: ignore[arg-type]
    risk_weights: dict[Literal["low", "medium", "high", "critical"], float] = Field(
        default_factory=lambda: {"low": 1.0, "medium": 2.0, "high": 4.0, "critical": 8.0}  # type: ignore[arg-type]
    )
    hotspot_min_gap_min: float = Field(
        default=60.0,
        ge=15,
        le=720,
        description="least time between two visits to one hot spot, so units circulate",
    )
    hotspot_decay: float = Field(
        default=0.7,
        gt=0,
        le=1,
        description="worth of each further visit to a hot spot in a day, relative to the one before",
    )
    hotspot_repeat_min: float = Field(
        default=30.0,
        ge=0,
        le=360,
        description="two visits to one hot spot on different days start more than this many "
        "minutes apart in time of day (0: no rule), so patrol times cannot be learnt",
    )
    hotspot_repeat_worth: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="worth of a hot-spot visit at a time of day the hot spot already has on "
        "another day, relative to a new time; 0 offers none (no repeats, more idle time)",
    )
    hotspot_oversupply: float = Field(
        default=1.5,
        ge=1,
        le=5,
        description="candidate hot-spot visits offered, as a multiple of what units on duty can make",
    )
    foot_reach_min: float = Field(
        default=30.0, ge=5, le=120, description="foot units patrol hot spots within this walk"
    )
    reassurance_worth: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="worth of a reassurance patrol at a site of a kind with reassurance = true, "
        "relative to a visit there, for time the hot spots cannot fill (0: none)",
    )
    post_slot_min: int = Field(
        default=60, ge=15, le=240, description="a post is covered in relief slots of this length"
    )
    post_overtime_min: int = Field(
        default=30,
        ge=0,
        le=120,
        description="a unit on a post at its shift's end stays until relieved or the post ends, "
        "at most this long, and then goes back, paid as overtime (0: none)",
    )

    @field_validator("kinds", mode="before")
    @classmethod
    def _merge_defaults(cls, v: object) -> object:
        # A config overrides only the kinds it names; the rest keep their defaults. A kind
        # overridden without a presence or reassurance keeps its usual one: tuning a protest's
        # priority must not quietly turn its post into a 15-minute visit.
        if isinstance(v, dict):
            merged: dict[str, object] = dict(_default_kinds())
            for kind, given in v.items():
                if isinstance(given, dict):
                    usual = {"presence": _KIND_PRESENCE.get(kind, "visit")}
                    given = {**usual, "reassurance": kind in _KIND_REASSURANCE, **given}
                merged[kind] = given
            return merged
        return v


class ExcludedPlaceConfig(LocationConfig):
    """A place whose crimes make no patrol hot spot (a prison, a police station, a hospital)."""

    name: Name = Field(min_length=1)
    radius_m: float = Field(default=200.0, ge=10, le=5000)


class ProfileBandConfig(_Model):
    """One band of a time-of-week crime profile (:mod:`planner.demand.profiles`).

    The hours from ``start`` to ``end`` (Europe/London wall clock) on each of ``days`` get
    ``weight`` relative to an ordinary hour (1). ``end`` at or before ``start`` runs past
    midnight into the next day (``end == start``: 24 hours). Profiles are hourly, so times are
    whole hours. Where bands overlap their weights multiply.
    """

    days: list[Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Daily"]] = Field(
        min_length=1
    )
    start: str
    end: str
    weight: float = Field(gt=0, le=100)

    @field_validator("start", "end")
    @classmethod
    def _whole_hour(cls, v: str) -> str:
        if parse_hhmm(v).minute:
            raise ValueError(f"{v!r}: profiles are hourly; give a whole hour such as '22:00'")
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[str]) -> list[str]:
        if "Daily" in v and len(v) > 1:
            raise ValueError("'Daily' stands alone: write days = ['Daily'] or list the days")
        twice = sorted({d for d in v if v.count(d) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice; list each day once")
        return v


def _hotspot_profile_kind(value: object) -> str | None:
    # A hot spot's profile is a category's name or a list of bands; pydantic then reports
    # only the errors of the form given, not of both.
    if isinstance(value, str):
        return "category"
    if isinstance(value, list):
        return "bands"
    return None


HotspotProfileConfig = Annotated[
    Annotated[str, Tag("category")] | Annotated[list[ProfileBandConfig], Tag("bands")],
    Discriminator(
        _hotspot_profile_kind,
        custom_error_type="hotspot_profile",
        custom_error_message="give a crime category's name or a list of bands "
        "({ days = [...], start = 'HH:MM', end = 'HH:MM', weight = ... })",
    ),
]
"""A hot spot's time-of-week profile: a data.police.uk category's name, or its own bands."""


class IncidentsConfig(_Model):
    """Crime data for hot spots (data.police.uk street-level CSVs)."""

    files: list[str] = Field(default_factory=list)
    force_name: str | None = None
    crime_types: list[str] | None = None
    harm_weights: dict[str, float] | None = None
    method: Literal["segment", "grid"] = "grid"
    cell_m: float = Field(default=150.0, ge=25, le=2000)
    top_n: int | None = Field(default=None, ge=1, le=10_000)
    harm_share: float | None = Field(default=None, gt=0, le=1)
    boundary_buffer_m: float = Field(default=200.0, ge=0, le=5000)
    exclude: list[ExcludedPlaceConfig] = Field(default_factory=list)
    # Time-of-week profiles (planner.demand.profiles): bands replacing a category's default
    # profile, and a profile for one hot spot by id (a category's name, or bands).
    profiles: dict[str, list[ProfileBandConfig]] = Field(default_factory=dict)
    hotspot_profiles: dict[Id, HotspotProfileConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _selection(self) -> IncidentsConfig:
        if self.files and (self.top_n is None) == (self.harm_share is None):
            raise ValueError(
                "give exactly one of top_n (e.g. 20) or harm_share (e.g. 0.5) to choose hot spots"
            )
        return self


class EvaluationConfig(_Model):
    """Randomised control hot-spot-days, so the patrols' effect can be measured.

    ``control_share`` of the week's (hot spot, day) pairs, drawn at random per day, get no
    extra hot-spot patrol (:mod:`planner.demand.control`); 0 (the default) turns it off. The
    draw has its own ``seed``, required when the share is above 0, so the choice is
    reproducible and independent of the solver's seed.
    """

    control_share: float = Field(default=0.0, ge=0, lt=1)
    seed: int | None = None

    @model_validator(mode="after")
    def _seed_when_on(self) -> EvaluationConfig:
        if self.control_share > 0 and self.seed is None:
            raise ValueError(
                "control_share > 0 needs its own seed = <int> (seeds are always explicit, so "
                "the control days can be drawn again)"
            )
        return self


class ForceConfig(_Model):
    """Everything the planner needs to know about one force area."""

    force: Annotated[dict[str, str], Field(default_factory=dict)]
    area: AreaConfig
    week: WeekConfig
    budget: BudgetConfig
    solver: SolverConfig
    shifts: list[ShiftConfig] = Field(min_length=1)
    stations: list[StationConfig] = Field(min_length=1)
    units: list[UnitConfig] = Field(min_length=1)
    sites: list[str] = Field(default_factory=list)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)
    demand: DemandConfig = Field(default_factory=DemandConfig)
    breaks: BreakConfig = Field(default_factory=BreakConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    base_dir: Path = Path(".")

    @field_validator("force")
    @classmethod
    def _force_keys(cls, v: dict[str, str]) -> dict[str, str]:
        allowed = {"name", "protective_marking"}
        unknown = set(v) - allowed
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "name" not in v:
            raise ValueError("missing name = '...' (the force's name)")
        for value in v.values():
            _plain_name(value)
        return v

    @model_validator(mode="after")
    def _references(self) -> ForceConfig:
        def unique(items: list[str], what: str) -> None:
            seen = set()
            for item in items:
                if item in seen:
                    raise ValueError(f"{what} id {item!r} appears twice; ids must be unique")
                seen.add(item)

        unique([s.name for s in self.shifts], "shift")
        unique([s.id for s in self.stations], "station")
        unique([u.id for u in self.units], "unit")
        shifts = {s.name for s in self.shifts}
        stations = {s.id for s in self.stations}
        for unit in self.units:
            if unit.station not in stations:
                raise ValueError(
                    f"unit {unit.id!r}: station {unit.station!r} is not defined; stations are {sorted(stations)}"
                )
            for shift in unit.shifts:
                if shift not in shifts:
                    raise ValueError(
                        f"unit {unit.id!r}: shift {shift!r} is not defined; shifts are {sorted(shifts)}"
                    )
        return self

    @property
    def name(self) -> str:
        """The force's name."""
        return self.force["name"]

    @property
    def protective_marking(self) -> str:
        """Marking printed on outputs, e.g. OFFICIAL-SENSITIVE (Government Security Classifications)."""
        return self.force.get("protective_marking", "OFFICIAL")

    def path(self, value: str) -> Path:
        """Resolve a path from the config relative to the config's folder.

        Raises
        ------
        InputError
            If the path cannot be a path (a NUL character, ``~user`` of an unknown user...).
        """
        try:
            p = Path(value).expanduser()
            return p if p.is_absolute() else (self.base_dir / p).resolve()
        except (OSError, RuntimeError, ValueError) as exc:
            raise InputError(f"{_short(value)} is not a usable path ({_reason(exc)})") from None

    def site_files(self) -> list[Path]:
        """Site files, resolved and checked to exist."""
        return [self._existing(f, "sites") for f in self.sites]

    def incident_files(self) -> list[Path]:
        """Crime CSVs, resolved (glob patterns expanded) and checked to exist."""
        out: list[Path] = []
        for pattern in self.incidents.files:
            if any(c in pattern for c in "*?["):
                if "**" in pattern and Path(pattern).is_absolute():
                    # From / it would walk the whole file system.
                    raise InputError(
                        f"{_short(pattern)}: a '**' pattern must be relative to the config's "
                        "folder",
                        field="incidents.files",
                    )
                try:
                    found = (
                        self.base_dir.glob(pattern)
                        if not Path(pattern).is_absolute()
                        else Path("/").glob(pattern.lstrip("/"))
                    )
                    # A pattern may match folders too ("2022-*" and the folder 2022-08/).
                    matches = sorted(p for p in found if p.is_file())
                except (OSError, ValueError, NotImplementedError) as exc:
                    raise InputError(
                        f"{_short(pattern)} is not a usable file pattern ({_reason(exc)})",
                        field="incidents.files",
                    ) from None
                if not matches:
                    raise InputError(
                        f"no file matches {pattern!r}", path=self.base_dir, field="incidents.files"
                    )
                out.extend(matches)
            else:
                out.append(self._existing(pattern, "incidents.files"))
        return out

    def _existing(self, value: str, key: str) -> Path:
        try:
            p = self.path(value)
            found, folder = p.exists(), p.is_dir()
        except InputError as exc:
            raise InputError(exc.detail, field=key) from None
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{_short(value)} is not a usable path ({_reason(exc)})", field=key
            ) from None
        if not found:
            raise InputError(
                f"file {p} not found; paths are relative to the config file's folder", field=key
            )
        if folder:
            raise InputError(f"{p} is a folder; give a file inside it", field=key)
        return p


def _short(value: str, limit: int = 80) -> str:
    """``repr`` of a value from the file, cut to ``limit`` characters for a one-line message."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."


def _reason(exc: Exception) -> str:
    # An OSError's str() repeats the (maybe very long) path; its strerror says enough.
    return getattr(exc, "strerror", None) or str(exc)


def load_config(path: str | Path) -> ForceConfig:
    """Load and validate a force-area TOML file.

    Raises
    ------
    InputError
        Naming the file and the key: a folder or a file that is not UTF-8 (see
        :func:`planner.common.read_text`) or is over :data:`MAX_CONFIG_BYTES`, TOML syntax
        errors, unknown keys, impossible values (NaN and infinity included), coordinates
        outside Great Britain, ids with control characters, undefined references (a unit's
        station or shift) and missing files.
    """
    path = Path(path)
    text = read_text(path, what="force config", max_bytes=MAX_CONFIG_BYTES, suffixes=(".toml",))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", path=path) from None
    except RecursionError:
        raise InputError("not valid TOML: arrays or tables nested too deeply", path=path) from None
    if "base_dir" in raw:
        raise InputError(
            "base_dir is set by the planner, not in the file", path=path, field="base_dir"
        )
    raw["base_dir"] = path.resolve().parent
    try:
        config = ForceConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling against README.md's config reference"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "literal_error":
            msg = f"{err['input']!r} is not allowed; {msg.lower()}"
        elif err["type"] == "finite_number":
            value = err["input"]
            msg = "nan is not a number" if value != value else f"{value!r} is not finite"
            msg += "; write a finite number"
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise InputError(msg + more, path=path, field=key or None) from None
    try:
        if config.area.network is not None:
            config._existing(config.area.network, "area.network")
        if config.area.boundary is not None:
            config._existing(config.area.boundary, "area.boundary")
        config.site_files()
        config.incident_files()
    except InputError as exc:
        raise InputError(exc.detail, path=path, field=exc.field) from None
    return config
