"""Plan-quality benchmark: whether each example area's plan is one a force could run as written.

For every example area (the demo, Rutland, the City of London, Westminster; or the configs
given) this plans the week with an iteration stop (the same plan on any machine) and prints
the deployability figures of :mod:`planner.planning.quality` against issue 12's targets:

* 100% of bought unit-shifts deployed (or the shortfall explained);
* utilisation (on site + travel over paid time less breaks) at least 85%;
* Spearman correlation of hot-spot harm and dosage at least 0.8;
* every required named window served;
* no same-time repeats where the windows allow otherwise.

The baseline, measured in the same run on the same inputs, is the plan without elastic
work (premises and required visits only: hot spots offered nothing, no reassurance patrols):
the ratio column is utilisation with it over utilisation without it. Absolute times and peak memory
are printed too.

    python scripts/bench_plan_quality.py                       # every example area
    python scripts/bench_plan_quality.py --iterations 300 data/demo/force.toml
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import tracemalloc
from pathlib import Path

from planner.config import load_config
from planner.planning.pipeline import WeekInputs, prepare_week
from planner.planning.quality import PlanQuality, measure
from planner.planning.week import make_plan
from planner.routing.solver import MaxIterations

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("demo", "rutland", "city-of-london", "westminster")
TARGETS = {"deployed": 1.0, "utilisation": 0.85, "spearman": 0.8}


def _quality(inputs: WeekInputs, iterations: int) -> tuple[PlanQuality, float]:
    started = time.perf_counter()
    result = make_plan(inputs.config, cache_dir="", stop=MaxIterations(iterations), inputs=inputs)
    elapsed = time.perf_counter() - started
    plan = result.plan
    model = result.model
    hot = {h.site_id: float(h.harm) for h in inputs.hotspots.hotspots} if inputs.hotspots else {}
    selected = inputs.resources.selected
    return (
        measure(
            plan,
            bought=len(selected),
            bought_paid_s=sum(s.hours for s in selected) * 3600,
            hotspot_harm=hot,
            requirements=model.requirements or inputs.demand.visits,
        ),
        elapsed,
    )


def main(argv: list[str] | None = None) -> int:
    """Plan each area, print its figures, and return 1 if any target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("configs", nargs="*", type=Path, help="force.toml files [the examples]")
    parser.add_argument("--iterations", type=int, default=500, help="search iterations [500]")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache", help="network cache")
    args = parser.parse_args(argv)
    configs = args.configs or [ROOT / "data" / a / "force.toml" for a in AREAS]
    missed = 0
    header = (
        f"{'area':<16} {'deployed':>9} {'util':>6} {'base':>6} {'ratio':>6} {'rho':>6} "
        f"{'named':>7} {'post-min':>9} {'repeats':>8} {'hs-rep':>7} {'hs-dose':>8} {'plan s':>7} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for path in configs:
        config = load_config(path)
        tracemalloc.start()
        inputs = prepare_week(config, cache_dir=args.cache_dir)
        quality, elapsed = _quality(inputs, args.iterations)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        # The baseline offers no elastic work at all: no hot-spot visits, no patrols.
        plain = config.model_copy(
            update={"demand": config.demand.model_copy(update={"reassurance_worth": 0.0})}
        )
        baseline, _ = _quality(
            dataclasses.replace(inputs, hotspot_demand=(), config=plain), args.iterations
        )
        ratio = quality.utilisation / baseline.utilisation if baseline.utilisation else float("inf")
        rho = quality.harm_dosage_spearman
        print(
            f"{path.parent.name:<16} {quality.deployed:>4}/{quality.bought:<4} "
            f"{quality.utilisation:>6.0%} {baseline.utilisation:>6.0%} {ratio:>6.2f} "
            f"{'n/a' if rho is None else f'{rho:.2f}':>6} "
            f"{quality.named_required_served:>3}/{quality.named_required:<3} "
            f"{quality.post_minutes_uncovered:>4.0f}/{quality.post_minutes:<4.0f} "
            f"{quality.repeats:>8} {quality.repeats_hotspots:>7} {quality.repeats_hotspots_dose:>8} {elapsed:>7.1f} {peak_mb:>8.0f}"
        )
        problems = []
        if quality.deployed_share < TARGETS["deployed"]:
            problems.append(f"{quality.bought - quality.deployed} bought unit-shifts not deployed")
        if quality.utilisation < TARGETS["utilisation"]:
            problems.append(f"utilisation {quality.utilisation:.0%} < 85%")
        if rho is not None and rho < TARGETS["spearman"]:
            problems.append(f"harm-dosage Spearman {rho:.2f} < 0.8")
        if quality.named_required_served < quality.named_required:
            problems.append("a required named window was missed")
        if quality.repeats:
            problems.append(f"{quality.repeats} same-time repeats")
        if quality.repeats_hotspots:
            problems.append(f"{quality.repeats_hotspots} same-time repeats at hot spots")
        for p in problems:
            print(f"  target missed: {p}")
        missed += bool(problems)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
