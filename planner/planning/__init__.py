"""Planning: one force's week, from config to a validated :class:`.plan.Plan`.

Owns preparing the week's inputs (:mod:`.pipeline`: network, demand, hot spots, resources,
matrices), turning them into a routing problem (:mod:`.model`), solving and validating it
(:mod:`.week`) and the plan object with its JSON form (:mod:`.plan`).
"""
