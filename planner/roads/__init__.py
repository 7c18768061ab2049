"""Roads: the real road network the patrols drive and walk.

Owns reading OpenStreetMap (PBF, XML, Overpass JSON, GraphML), building the normalised car
and foot networks in EPSG:27700 (:mod:`.network`), generating synthetic UK-like towns and
counties (:mod:`.synthetic`), the network of a force area (:mod:`.area`), snapping places
onto roads (:mod:`.snapping`) and travel-time matrices (:mod:`.matrix`).  Imports only
:mod:`planner.config`, :mod:`planner.common` and :mod:`planner.errors`.
"""
