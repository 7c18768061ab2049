"""Hostile input text for the output tests: markup and ``${...}`` in site names and notes."""

from __future__ import annotations

import dataclasses

from planner.planning.week import PlanResult

EVIL = "<script>alert(1)</script>"
EVIL_TEMPLATE = '${window.__pwned=1}<img src=x onerror="window.__pwned=2">'


def with_evil_names(result: PlanResult) -> PlanResult:
    """The result with hostile text in a stop's name and notes and in the sites' names."""
    plan = result.plan
    first = plan.routes[0]
    stop = dataclasses.replace(first.stops[0], name=EVIL, notes=EVIL_TEMPLATE)
    routes = (dataclasses.replace(first, stops=(stop, *first.stops[1:])), *plan.routes[1:])
    inputs = result.inputs
    sites = tuple(
        dataclasses.replace(s, name=EVIL + EVIL_TEMPLATE, notes=EVIL) for s in inputs.demand.sites
    )
    inputs = dataclasses.replace(inputs, demand=dataclasses.replace(inputs.demand, sites=sites))
    model = dataclasses.replace(result.model, inputs=inputs)
    return PlanResult(
        plan=dataclasses.replace(plan, routes=routes), model=model, solution=result.solution
    )
