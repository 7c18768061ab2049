"""``planner network``, ``matrix`` and ``synth``: road networks and travel times."""

from __future__ import annotations

from pathlib import Path

import click

from planner.cli.app import FiniteNumber, OutputPath, cli, load_source, source_options
from planner.common import DEFAULT_MAX_SNAP_M, check_not_input


@cli.command()
@source_options
@click.option(
    "--save", type=OutputPath(folder=False), help="Also save the normalised network (.npz)."
)
def network(
    source: Path,
    boundary: Path | None,
    boundary_name: str | None,
    buffer_m: float,
    cache_dir: Path,
    save: Path | None,
) -> None:
    """Load and normalise a road network (PBF, OSM XML, Overpass JSON, GraphML or .npz)."""
    from planner.roads.cache import write_network

    if save is not None:
        check_not_input(save, [source, boundary], option="--save")
    net = load_source(source, boundary, boundary_name, buffer_m, cache_dir)
    click.echo(net.summary())
    if save is not None:
        write_network(net, save)
        click.echo(f"saved {save}")


@cli.command()
@source_options
@click.option(
    "--sites",
    "sites_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Sites (.csv, .geojson, .gpkg).",
)
@click.option(
    "--mode",
    type=click.Choice(["car", "foot"]),
    multiple=True,
    default=["car", "foot"],
    show_default=True,
)
@click.option(
    "--max-snap-m",
    type=FiniteNumber(),
    default=DEFAULT_MAX_SNAP_M,
    show_default=True,
    help="Farthest a site may be from a road.",
)
@click.option(
    "--out",
    "out_dir",
    type=OutputPath(folder=True),
    default=Path("out/matrix"),
    show_default=True,
)
def matrix(
    source: Path,
    boundary: Path | None,
    boundary_name: str | None,
    buffer_m: float,
    cache_dir: Path,
    sites_path: Path,
    mode: tuple[str, ...],
    max_snap_m: float,
    out_dir: Path,
) -> None:
    """Snap sites to the network and write travel-time matrices and a snap report."""
    from planner._progress import spinner
    from planner.demand.sites import read_site_points
    from planner.planning.pipeline import snap_and_matrix

    net = load_source(source, boundary, boundary_name, buffer_m, cache_dir)
    sites = read_site_points(sites_path)
    with spinner("snapping the sites and computing travel-time matrices"):
        result = snap_and_matrix(net, sites, modes=mode, max_snap_m=max_snap_m, out_dir=out_dir)
    click.echo(result.summary())


@cli.command()
@click.option("--profile", type=click.Choice(["town", "county"]), default="town", show_default=True)
@click.option(
    "--nodes",
    type=int,
    default=2000,
    show_default=True,
    help="Target intersections in the car network.",
)
@click.option("--seed", type=int, required=True, help="Random seed (always explicit).")
@click.option("--name", default="Northby", show_default=True, help="Fictional place name.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=OutputPath(folder=False),
    help="Output .osm.pbf, .osm or .osm.bz2.",
)
def synth(profile: str, nodes: int, seed: int, name: str, out_path: Path) -> None:
    """Generate a synthetic UK-like road network and write it as OpenStreetMap data."""
    from planner.roads.osm import write_osm_pbf, write_osm_xml
    from planner.roads.synthetic import generate_network

    ways = generate_network(profile=profile, n_nodes=nodes, seed=seed, name=name)
    if out_path.name.endswith(".pbf"):
        write_osm_pbf(ways, out_path)
    else:
        write_osm_xml(ways, out_path)
    click.echo(
        f"wrote {out_path}: {ways.n_ways:,} ways, {ways.n_nodes:,} nodes ({profile}, seed {seed})"
    )
