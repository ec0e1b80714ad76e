"""Fast paths that produce the same bytes as the plain path, each with its off switch and fallback
(README, "Speed-ups"): the lazily loaded AWS provider, chart rendering without jsii round trips, and
the block YAML emitter."""
