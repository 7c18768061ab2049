"""``planner evaluate``: the patrol dosage actually delivered, from units' GPS tracks.

:mod:`.tracks` reads GPX 1.1 and CSV tracks (and reports the points it rejects),
:mod:`.matching` matches them to the plan's stops, :mod:`.report` writes the evaluation folder
(Markdown and HTML report, CSVs) and :mod:`.track_map` its map of tracks beside planned routes.
"""
