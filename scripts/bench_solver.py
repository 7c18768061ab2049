"""Score the routing core on the published TOP and TOPTW benchmarks in /work/shared/bench.

Three solvers run on every instance in the same run, each with the same per-instance time
limit: ours (``solve(problem, stop=MaxRuntime(limit), seed=...)``), the textbook OR-Tools model
(``solve_textbook``, OR-Tools' own time limit) and PyVRP (``pyvrp.stop.MaxRuntime``; the
``bench`` extra, see ``scripts/_pyvrp_peer.py`` for the model).  Every plan is checked twice:
by :func:`planner.routing.validate.validate` against the problem we built, and by
:func:`planner.routing.bench_check.validate_benchmark`, which re-reads the instance file and
recomputes every travel time from its coordinates by the family's convention (TOP unrounded,
Solomon truncated to 1 decimal, Cordeau pr to 2), sharing no code with our reader or solver.
An invalid plan counts as score 0 and is reported in the ``invalid`` column.

Per set it prints the number of instances, the mean and max gap to the best-known score
(``(bks - score) / bks``) of ours, PyVRP and the textbook model, and ours' wins/ties/losses
against PyVRP.

    python scripts/bench_solver.py                 # everything, 10 s per instance and solver
    python scripts/bench_solver.py --quick         # 3 instances per set
    python scripts/bench_solver.py --sets p1,c1,pr --time-limit 5 --workers 2
    python scripts/bench_solver.py --quick --iterations 500   # ours reproducible, on iterations
    python scripts/bench_solver.py --quick --ablation --workers 1   # ours with each part off
    python scripts/bench_solver.py --ablation --variants full --time-limit 60   # ours alone

Ours stops at the time limit (``MaxRuntime``) unless ``--iterations`` is given (then
``MaxIterations``: the same scores on any machine).

``--ablation`` runs only ours, once per variant of :data:`ABLATION` (the full search, then
each part switched off in turn by its ``SolveParams`` switch) on the same instances with the
same limit, and prints the mean gap, mean iterations and instances at or above the best known
of each variant per set; ``--variants`` picks some (``full`` alone: ours without peers).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pyvrp_peer import require_pyvrp

BENCH = Path(
    os.environ.get("PLANNER_BENCH", Path(__file__).resolve().parents[2] / "shared" / "bench")
)
TOP_SETS = ("p1", "p2", "p3")
TOPTW_SETS = ("c1", "r1", "rc1", "pr")
ALL_SETS = (*TOP_SETS, *TOPTW_SETS)
SOLVERS = ("ours", "pyvrp", "textbook")
# Published targets that are known to be wrong (README): p2.3.h's optimum is 165, not 170.
TARGET_FIX = {"p2.3.h": 165.0}
# PyVRP integer time units per unit, exact for each family's convention (TOP: conservative).
PYVRP_SCALE = {"top": 10_000.0, "solomon": 10.0, "cordeau": 100.0}
# --ablation: ours with each part of the search switched off in turn (SolveParams fields).
ABLATION: dict[str, dict[str, Any]] = {
    "full": {},
    "no-compiled-ls": {"local_search": False},
    "no-ortools-descent": {"ortools_descent": False},
    "no-swap-in": {"ls_swap": False},
    "python-recreate": {"compiled_recreate": False},
    "ortools-every-it": {"descent_every": 1},
}


def toptw_set(instance: str) -> str:
    """The set of a TOPTW instance name: ``c1``, ``r1``, ``rc1`` or ``pr``."""
    for prefix in ("rc1", "pr", "c1", "r1"):
        if instance.startswith(prefix):
            return prefix
    return instance[:2]


def instances(sets: list[str]) -> list[dict]:
    """Every instance of ``sets`` with its file, family, m and best-known score."""
    out = []
    with open(BENCH / "top" / "bks.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            s = f"p{row['set']}"
            if s in sets:
                bks = TARGET_FIX.get(row["instance"], float(row["bks_score"]))
                out.append(
                    {
                        "set": s,
                        "family": "top",
                        "name": row["instance"],
                        "m": None,
                        "file": str(BENCH / "top" / row["file"]),
                        "bks": bks,
                    }
                )
    with open(BENCH / "toptw" / "bks.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["variant"] != "m_fixed":
                continue
            name = row["instance"]
            s = toptw_set(name)
            if s in sets and 1 <= int(row["m"]) <= 4:
                out.append(
                    {
                        "set": s,
                        "family": "cordeau" if s == "pr" else "solomon",
                        "name": f"{name}-m{row['m']}",
                        "m": int(row["m"]),
                        "file": str(BENCH / "toptw" / row["file"]),
                        "bks": float(row["bks_score"]),
                    }
                )
    return out


def quick_subset(items: list[dict], per_set: int = 3) -> list[dict]:
    """A spread of instances per set: evenly spaced through the set's (sorted) list."""
    out = []
    for s in ALL_SETS:
        group = [it for it in items if it["set"] == s]
        if not group:
            continue
        # Skip trivial all-zero TOP instances when picking the spread.
        nonzero = [it for it in group if it["bks"] > 0]
        pool = nonzero if len(nonzero) >= per_set else group
        idx = sorted({round(k * (len(pool) - 1) / max(1, per_set - 1)) for k in range(per_set)})
        out.extend(pool[i] for i in idx)
    return out


def by_set(results: list[dict]) -> list[tuple[str, list[dict]]]:
    """The results of each set that has any, in set order, then all of them as ``"all"``."""
    groups = [(s, [r for r in results if r["set"] == s]) for s in ALL_SETS]
    return [(s, rs) for s, rs in groups if rs] + ([("all", results)] if results else [])


def run_one(args: tuple[dict, float, int | None, int]) -> dict:
    """Solve one instance with the three solvers; validate every plan both ways."""
    item, tl, iterations, seed = args
    from _pyvrp_peer import solve_pyvrp

    from planner.routing.bench_check import validate_benchmark
    from planner.routing.benchmarks import read_top, read_toptw
    from planner.routing.solver import MaxIterations, MaxRuntime, solve, solve_textbook
    from planner.routing.validate import validate

    fam = item["family"]
    prob = read_top(item["file"]) if fam == "top" else read_toptw(item["file"], item["m"])
    res = dict(item)
    stop = MaxRuntime(tl) if iterations is None else MaxIterations(iterations)
    runs = {
        "ours": lambda: solve(prob, stop=stop, seed=seed),
        "textbook": lambda: solve_textbook(prob, time_limit_s=tl, seed=seed),
        "pyvrp": lambda: solve_pyvrp(prob, time_scale=PYVRP_SCALE[fam], time_limit_s=tl, seed=seed)[
            0
        ],
    }
    for label in SOLVERS:
        t = time.perf_counter()
        sol = runs[label]()
        wall = time.perf_counter() - t
        ours_check = validate(prob, sol)
        bench = validate_benchmark(item["file"], fam, item["m"], sol)
        valid = ours_check.ok and bench.ok
        res[label] = {
            "reported": sol.total_prize,
            "score": bench.total_prize if valid else 0.0,
            "valid": valid,
            "errors": list(ours_check.errors[:3]) + list(bench.errors[:3]),
            "wall_s": wall,
            "status": sol.status,
        }
    return res


def run_ablation(args: tuple[dict, float, int | None, int, list[str]]) -> dict:
    """Solve one instance with ours once per chosen :data:`ABLATION` variant; validate both ways."""
    item, tl, iterations, seed, variants = args
    from planner.routing.bench_check import validate_benchmark
    from planner.routing.benchmarks import read_top, read_toptw
    from planner.routing.solver import MaxIterations, MaxRuntime, SolveParams, solve
    from planner.routing.validate import validate

    fam = item["family"]
    prob = read_top(item["file"]) if fam == "top" else read_toptw(item["file"], item["m"])
    res = dict(item)
    for label in variants:
        kw = ABLATION[label]
        stop = MaxRuntime(tl) if iterations is None else MaxIterations(iterations)
        sol = solve(prob, stop=stop, seed=seed, params=SolveParams(**kw))
        bench = validate_benchmark(item["file"], fam, item["m"], sol)
        valid = validate(prob, sol).ok and bench.ok
        res[label] = {
            "score": bench.total_prize if valid else 0.0,
            "valid": valid,
            "iterations": sol.iterations,
        }
    return res


def ablation_table(results: list[dict], variants: list[str]) -> list[str]:
    """Per set (and over all): each variant's gap, iterations, invalid plans, at-best-known.

    Mean gap and iterations; counts of invalid plans and of instances at or above the best known.
    """
    head = f"{'set':>4} {'n':>4} | " + " | ".join(f"{v:>29}" for v in variants)
    rows = [
        head,
        f"{'':>9} | " + " | ".join(f"{'gap   iters  invalid  at-bks':>29}" for _ in variants),
    ]
    rows.append("-" * len(head))
    for s, rs in by_set(results):
        cells = []
        for v in variants:
            g = 100 * statistics.mean(gap(r["bks"], r[v]["score"]) for r in rs)
            it = statistics.mean(r[v]["iterations"] for r in rs)
            bad = sum(not r[v]["valid"] for r in rs)
            top = sum(r[v]["score"] >= r["bks"] - 1e-6 for r in rs)
            cells.append(f"{g:>6.2f}% {it:>8.0f} {bad:>6} {top:>7}")
        rows.append(f"{s:>4} {len(rs):>4} | " + " | ".join(f"{c:>29}" for c in cells))
    return rows


def gap(bks: float, score: float) -> float:
    """``(bks - score) / bks``; 0 when the best-known score is 0."""
    return 0.0 if bks == 0 else (bks - score) / bks


def _line(r: dict[str, Any]) -> str:
    parts = [f"  {r['name']:>12} bks {r['bks']:>6g}"]
    for label in SOLVERS:
        x = r[label]
        flag = "" if x["valid"] else f" INVALID({x['reported']:g})"
        parts.append(f"{label} {x['score']:>6g} ({x['wall_s']:.1f} s{flag})")
    return "  ".join(parts)


def table(results: list[dict]) -> list[str]:
    """Per set (and over all): gaps of the three solvers and ours vs PyVRP."""
    head = (
        f"{'set':>4} {'n':>4} | {'ours mean':>9} {'max':>7} | {'pyvrp mean':>10} {'max':>7} | "
        f"{'textbook mean':>13} {'max':>7} | {'ours vs pyvrp W/T/L':>19} | "
        f"{'invalid o/p/t':>13}"
    )
    rows = [head, "-" * len(head)]
    for s, rs in by_set(results):
        cells = []
        for label in SOLVERS:
            g = [gap(r["bks"], r[label]["score"]) for r in rs]
            cells.append((100 * statistics.mean(g), 100 * max(g)))
        win = sum(r["ours"]["score"] > r["pyvrp"]["score"] + 1e-9 for r in rs)
        loss = sum(r["ours"]["score"] < r["pyvrp"]["score"] - 1e-9 for r in rs)
        inval = "/".join(str(sum(not r[label]["valid"] for r in rs)) for label in SOLVERS)
        (om, ox), (pm, px), (tm, tx) = cells
        rows.append(
            f"{s:>4} {len(rs):>4} | {om:>8.2f}% {ox:>6.2f}% | {pm:>9.2f}% {px:>6.2f}% | "
            f"{tm:>12.2f}% {tx:>6.2f}% | {f'{win}/{len(rs) - win - loss}/{loss}':>19} | "
            f"{inval:>13}"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sets", default=",".join(ALL_SETS), help="comma list of " + ",".join(ALL_SETS)
    )
    ap.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds per instance and solver"
    )
    ap.add_argument("--iterations", type=int, help="stop ours after this many iterations instead")
    ap.add_argument("--workers", type=int, default=2, help="instances solved in parallel")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="3 instances per set")
    ap.add_argument("--instances", help="comma list of instance names (e.g. pr10-m4,c103-m4)")
    ap.add_argument("--json", type=Path, help="also write per-instance results here")
    ap.add_argument("--ablation", action="store_true", help="ours only, with each part off in turn")
    ap.add_argument(
        "--variants",
        default=",".join(ABLATION),
        help="with --ablation: the variants to run (--variants full: ours alone, e.g. at 60 s)",
    )
    a = ap.parse_args()
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    if unknown := [v for v in variants if v not in ABLATION]:
        sys.exit(f"unknown variants {unknown}; choose from {list(ABLATION)}")
    if not a.ablation:
        require_pyvrp()
    sets = [s.strip() for s in a.sets.split(",") if s.strip()]
    bad = [s for s in sets if s not in ALL_SETS]
    if bad:
        sys.exit(f"unknown sets {bad}; choose from {ALL_SETS}")
    items = instances(sets)
    items.sort(key=lambda it: sets.index(it["set"]))  # run sets in the order asked
    if a.quick:
        items = quick_subset(items)
    if a.instances:
        names = a.instances.split(",")
        items = [it for it in items if it["name"] in names]
        missing = sorted(set(names) - {it["name"] for it in items})
        if missing:
            sys.exit(f"unknown instances {missing} in sets {sets}")
    print(
        f"{len(items)} instances, time limit {a.time_limit:g} s per instance per solver, "
        f"{a.workers} workers (single-threaded solves), {os.cpu_count()} cores",
        flush=True,
    )
    t0 = time.perf_counter()
    results = []
    ctx = mp.get_context("spawn")
    with ctx.Pool(a.workers) as pool:
        if a.ablation:
            jobs: list[tuple] = [(it, a.time_limit, a.iterations, a.seed, variants) for it in items]
        else:
            jobs = [(it, a.time_limit, a.iterations, a.seed) for it in items]
        for r in pool.imap_unordered(run_ablation if a.ablation else run_one, jobs):
            results.append(r)
            if a.ablation:
                scores = "  ".join(f"{v} {r[v]['score']:g}" for v in variants)
                print(f"  {r['name']:>12} bks {r['bks']:>6g}  {scores}", flush=True)
                continue
            print(_line(r), flush=True)
            for label in SOLVERS:
                for err in r[label]["errors"]:
                    print(f"      {label}: {err}", flush=True)
    if a.ablation:
        print(
            f"\nablation, time limit {a.time_limit:g} s/instance/variant; gap = (bks - score) / bks"
        )
        print("\n".join(ablation_table(results, variants)))
        if a.json:
            a.json.write_text(json.dumps(results, indent=1))
        return
    print(
        f"\ntime limit {a.time_limit:g} s/instance/solver, {a.workers} workers, "
        f"{os.cpu_count()} cores, wall {time.perf_counter() - t0:.0f} s; "
        "gap = (bks - score) / bks, an invalid plan scores 0"
    )
    print("\n".join(table(results)))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
