"""Patrol deployment planner: funded police patrols planned on the real road network.

The sub-packages read as the pipeline, each importing only those before it:

``roads`` (OpenStreetMap -> car and foot networks, snapping, travel-time matrices) ->
``demand`` (sites, windows, crimes and hot spots, the week's demand, the budget's
unit-shifts) -> ``routing`` (plain routing problem, solver, validator) -> ``planning`` (one
force's week, end to end) -> ``outputs`` (run folder, briefings, map) -> ``batch`` (every
force area), with the command line (:mod:`planner.cli`) on top.  :mod:`planner.config`,
:mod:`planner.common` and :mod:`planner.errors` sit underneath everything.
"""

__version__ = "0.1.0"
