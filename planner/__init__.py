"""Patrol deployment planner: funded police patrols planned on the real road network.

The pipeline reads, in order of its modules:

``osm`` (raw OpenStreetMap ways from PBF, XML, Overpass or GraphML) ->
``network`` (normalised car and foot networks in EPSG:27700, cached) ->
``snapping`` (sites onto the roads) -> ``matrix`` (travel-time matrices and paths).
``synthetic`` generates UK-like towns and counties for the demo and for scale.
"""

__version__ = "0.1.0"
