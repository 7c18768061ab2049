"""Roads: the real road network the patrols drive and walk.

Owns reading OpenStreetMap (PBF and XML: :mod:`.osm`; Overpass JSON: :mod:`.overpass`;
osmnx GraphML: :mod:`.graphml`; each file checked to be what its name says: :mod:`.formats`;
by file name or download: :mod:`.sources`), the access, one-way and speed rules of each patrol
mode (:mod:`.rules`), building the normalised car and foot networks in EPSG:27700
(:mod:`.network`, its graph steps in :mod:`.segments`) and caching them
(:mod:`.cache`), generating synthetic UK-like towns and counties (:mod:`.synthetic`), the
network of a force area (:mod:`.area`), snapping places onto roads (:mod:`.snapping`) and
travel-time matrices (:mod:`.matrix`).  Imports only :mod:`planner.config`,
:mod:`planner.common` and :mod:`planner.errors`.
"""
