"""Demand: what the week asks of the patrols, and what the money buys.

Owns the site files and their time windows (:mod:`.sites`, :mod:`.windows`), the crime
intake (:mod:`.crimes`), the harm table (:mod:`.harm`) and hot spots (:mod:`.hotspots`), the
week's visit demand (:mod:`.weekly`) and the unit-shifts the budget buys (:mod:`.resources`).
Imports only :mod:`planner.roads` and the shared top-level modules.
"""
