"""Outputs: what people read from a plan.

Owns the run folder (:mod:`.run`, written atomically) and what goes in it: the CSV tables
(:mod:`.tables`), ``routes.geojson`` (:mod:`.geojson`), GPX routes (:mod:`.gpx`), briefings
(:mod:`.briefings`), ``summary.md`` (:mod:`.summary`) and the commander's interactive map
(:mod:`.map`, with :mod:`.map_layers`, :mod:`.map_elements`, :mod:`.map_assets`). What they
share: :mod:`.text` (marking, local times, escaping), :mod:`.geometry` (route lines, WGS84,
redaction) and :mod:`.templating` (the Jinja2 templates in ``templates/``). Reads plans; never
plans.

Imports point one way: :mod:`.run` uses the map and the writers; none of them uses :mod:`.run`.
"""
