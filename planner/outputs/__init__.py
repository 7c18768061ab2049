"""Outputs: what people read from a plan.

Owns the run folder (:mod:`.run`: schedule and unserved tables, GPX routes, briefings,
summary, demand tables, written atomically) and the commander's interactive map
(:mod:`.map`).  Reads plans; never plans.
"""
