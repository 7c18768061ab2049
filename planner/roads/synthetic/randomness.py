"""The generator's randomness: seeded streams per stage and counter-based hashes.

Every stage draws from its own ``numpy.random.Generator`` seeded by ``(seed, profile,
n_nodes)``, so the output is a pure function of those and never touches numpy's global
state. Block cuts and settlement layout use :func:`hash_uniform` of their position in the
layout instead of a stream, so that rescaling a network during the size search does not
reshuffle them.
"""

from __future__ import annotations

import numpy as np

from planner.roads.synthetic.profiles import PROFILES


def hash_uniform(seed: int, i: np.ndarray, j: np.ndarray, channel: int) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, i, j, channel): SplitMix64 mixing."""

    def mix(z: np.ndarray) -> np.ndarray:
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    with np.errstate(over="ignore"):
        z = mix(np.full(len(i), seed & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64))
        for part in (i, j, np.full(len(i), channel)):
            z = mix(z ^ part.astype(np.int64).view(np.uint64))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


class Streams:
    """Independent random streams per stage, so resizing one stage does not reshuffle the rest."""

    def __init__(self, seed: int, profile: str, n_nodes: int) -> None:
        # Child seeds are derived by key, not by SeedSequence.spawn (which advances a counter
        # and would give each rebuild different streams).
        entropy = [int(seed), PROFILES.index(profile), int(n_nodes)]
        # Key for hashed per-place randomness; independent of n_nodes on purpose, so that
        # counties of different sizes from one seed share their layout.
        self.key = int(seed) * 1_000_003 + PROFILES.index(profile)
        self.layout, self.feat, self.tags, self.finish = (
            np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(k,))) for k in range(4)
        )
