"""Starting configs for all 43 forces (planner.batch.forces)."""

from __future__ import annotations

from pathlib import Path

from planner.batch.forces import generate_force_configs
from planner.config import load_config


def test_configs_for_all_forces(tmp_path: Path, force_areas: Path) -> None:
    """Every force area of England and Wales gets a config that loads and validates."""
    paths = generate_force_configs(force_areas, tmp_path, week="2026-W49")
    assert len(paths) == 43
    assert len({p.name for p in paths}) == 43
    names = set()
    for path in paths:
        cfg = load_config(path)
        names.add(cfg.name)
        assert cfg.area.download is not None and cfg.area.download.use_boundary
        assert cfg.area.boundary_name == cfg.name
        assert cfg.week.label == "2026-W49"
    assert {"Leicestershire", "London, City of", "Metropolitan Police"} <= names


def test_boundary_of_generated_config_is_the_force(tmp_path: Path, force_areas: Path) -> None:
    """A generated config's placeholder station lies inside its force's boundary."""
    import shapely

    from planner.planning.pipeline import station_points
    from planner.roads.area import area_boundary

    (path,) = [
        p
        for p in generate_force_configs(force_areas, tmp_path, week="2026-W49")
        if p.stem == "rutland" or p.stem == "leicestershire"
    ]
    cfg = load_config(path)
    boundary = area_boundary(cfg)
    st = station_points(cfg)
    assert shapely.contains_xy(boundary, st.x_m, st.y_m).all()


def test_force_name_slugs_are_bounded_and_distinct() -> None:
    """The default output folder of a force name fits a file name, whatever the name's length."""
    from planner.batch.forces import slug
    from planner.common import MAX_SLUG_CHARS

    assert slug("Northshire Police (demo)") == "northshire-police-demo"
    long_a, long_b = "Northshire " * 30, "Northshire " * 30 + "South"
    assert slug(long_a) != slug(long_b)
    assert all(len(slug(n)) <= MAX_SLUG_CHARS + 9 for n in (long_a, long_b))
    assert slug("Полиция").startswith("force-") and slug("Полиция") != slug("Полиция 2")
