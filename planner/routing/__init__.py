"""Routing: the plain routing problem, the solver and the independent validator.

Owns :class:`.problem.RoutingProblem` (plain data: matrices in seconds, visits, vehicles; no
geodata), the solver (:mod:`.solver`, OR-Tools inside a ruin-and-recreate search) and
:mod:`.validate`, which checks any plan against the problem without the solver's code.
Imports nothing of the geodata stages, so it can be tested on hand-written matrices and on
the published benchmark files.
"""
