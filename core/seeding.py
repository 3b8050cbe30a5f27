"""One seed, many independent random streams.

A run's ``seed`` is the root of a numpy ``SeedSequence``; every consumer of randomness draws
from its own child, addressed by a fixed path of indices (``SeedSequence(seed,
spawn_key=path)`` is exactly the child that ``SeedSequence(seed).spawn(...)`` hands out at
that index). Children are statistically independent, so the env seeds, the action sampler
and the minibatch shuffler never start on the same stream, as they would if the one integer
were copied to each, and no hand-picked offset (``seed + 10_000``) can collide with another.
A stream is a pure function of (seed, path): nothing to save, and resume stays exact.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """The first index of a path: which part of a run a stream feeds."""

    INIT = 0  # torch/numpy/random global state: network initialisation
    ENVS = 1  # env construction and reset seeds
    ACTIONS = 2  # sampling the learner's actions
    MINIBATCHES = 3  # shuffling minibatches
    SELFPLAY = 4  # the opponent pool and its fixed opponents
    EVAL = 5  # `agentctl eval` when no --seed is given
    PERIODIC_EVAL = 6  # evaluation during training (then the update number)


def sequence(seed: int, *path: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in path))


def int_seed(seed: int, *path: int) -> int:
    """A 32-bit integer seed, for APIs that take one (torch, Gymnasium, plugin factories)."""
    return int(sequence(seed, *path).generate_state(1)[0])


def rng(seed: int, *path: int) -> np.random.Generator:
    return np.random.default_rng(sequence(seed, *path))
