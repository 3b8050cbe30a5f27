"""``agentctl new-plugin NAME --kind single|multi|simultaneous|sequence``: a working plugin package.

The package it writes (``./NAME/`` by default)::

    NAME/pyproject.toml                  distribution agentctl-NAME; entry point NAME in group agentctl
    NAME/README.md                       for the plugin author: layout, install, test, train, API version
    NAME/src/agentctl_PKG/env.py         the env or text task (no agentctl imports)
    NAME/src/agentctl_PKG/plugin.py      hook implementations (the only module importing agentctl)
    NAME/tests/test_PKG_plugin.py        the env's own tests + agentctl.testing.assert_plugin_ok

Kinds: ``single`` a Gymnasium corridor walk in a ``SyncVectorEnv``; ``multi`` two-player Nim as a
PettingZoo AEC env, batched with ``agentctl.games.PettingZooGames`` for self-play; ``simultaneous``
Goofspiel (both players bid a card at once) as a batched numpy ``SimultaneousGames``, registered
as ``kind="multi"``, with a PettingZoo ParallelEnv of one game as its reference env; ``sequence``
an arithmetic text task ("3+4=") as an ``agentctl.sequences.SequenceTask`` with a reward of its
own (registered with ``register_rewards``), trained by token-level PPO on a tiny random-init GPT.
Each passes ``agentctl check-plugin`` and its own tests as written.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from agentctl.errors import UserError
from agentctl.hookspecs import HOOK_API_VERSION

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

PYPROJECT = '''[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "agentctl-{{name}}"
version = "0.1.0"
description = "{{name}}: an agentctl plugin ({{kind}} env)."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["agentctl>=0.1"{{deps}}]

[project.optional-dependencies]
test = ["pytest>=8"]

# agentctl loads every module in this entry-point group.
[project.entry-points.agentctl]
{{name}} = "{{pkg}}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''# agentctl-{{name}}

An [agentctl](https://github.com/) plugin that registers the `{{kind}}` env **`{{name}}`**.

```
pyproject.toml              entry point `{{name}} = "{{pkg}}.plugin"` in group `agentctl`
src/{{pkg}}/env.py          the environment ({{envdesc}}); imports nothing from agentctl
src/{{pkg}}/plugin.py       hook implementations: register_envs (and friends)
tests/                      env API test + agentctl's plugin checks
```

## Develop

```bash
pip install -e .                    # registers the entry point
agentctl envs                       # `{{name}}` is listed
agentctl check-plugin {{name}}      # spec, API tests, policy, a short training run: PASS/FAIL per check
python -m pytest                    # the same checks from pytest (agentctl.testing.assert_plugin_ok)
{{train}}
```

Replace the example in `env.py` with yours; keep the `make(num_envs, seed, **env_kwargs)`
contract ({{contract}}). Keep `plugin.py` light: name code by `"module:function"` strings so
`agentctl envs` imports none of it. Tune `DEFAULT_CONFIG` (any key of `agentctl config`).

## Hook API version

`plugin.py` declares `AGENTCTL_API = {{api}}`, the hook API it targets. An agentctl that only
knows an older API skips the plugin with a one-line reason (`agentctl plugins` shows it), so
depend on a matching `agentctl` version in `pyproject.toml`. Hooks only ever gain arguments, so
a plugin written for API {{api}} keeps working on newer agentctl releases.

See agentctl's `docs/plugins.md` for every hook, its arguments and when it is called.
'''

TESTS = '''"""The plugin's own tests: run after `pip install -e .` with `python -m pytest`."""

{{test_imports}}
from agentctl.testing import assert_plugin_ok


{{env_test}}


def test_agentctl_plugin_checks():
    """Loads, validates specs, runs the API checkers and a ~300-step training smoke test."""
    assert_plugin_ok("{{name}}")
'''

# -- single ------------------------------------------------------------------------------
SINGLE_ENV = '''"""A tiny Gymnasium env: walk right along a corridor to reach the goal (no agentctl imports)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class CorridorEnv(gym.Env):
    """Positions 0..size-1, start at 0; actions 0 = left, 1 = right; +1 at the last cell,
    -0.01 per step; truncated after 4 * size steps. Observation: one-hot position."""

    metadata = {"render_modes": []}

    def __init__(self, size: int = 8) -> None:
        self.size = int(size)
        self.observation_space = gym.spaces.Box(0.0, 1.0, (self.size,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.pos = 0
        self.t = 0

    def _obs(self) -> np.ndarray:
        obs = np.zeros(self.size, dtype=np.float32)
        obs[self.pos] = 1.0
        return obs

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos, self.t = 0, 0
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        self.pos = min(self.size - 1, max(0, self.pos + (1 if int(action) == 1 else -1)))
        terminated = self.pos == self.size - 1
        reward = 1.0 if terminated else -0.01
        truncated = not terminated and self.t >= 4 * self.size
        return self._obs(), reward, terminated, truncated, {}


def make_vector_env(num_envs: int = 1, seed: int | None = None, size: int = 8) -> gym.vector.VectorEnv:
    """``kind="single"`` entry point: ``num_envs`` corridors in a SyncVectorEnv."""
    envs = gym.vector.SyncVectorEnv([lambda: CorridorEnv(size) for _ in range(num_envs)])
    envs.action_space.seed(seed)
    return envs
'''

SINGLE_PLUGIN = '''"""agentctl plugin `{{name}}`: hook implementations only (keep this module import-light)."""

from __future__ import annotations

import agentctl

AGENTCTL_API = {{api}}  # the hook API version this plugin targets

DEFAULT_CONFIG = {
    "total_timesteps": 20_000,
    "num_envs": 8,
    "num_steps": 64,
    "ent_coef": 0.01,
    "torch_threads": 1,
    "env_kwargs": {"size": 8},
}


@agentctl.hookimpl
def register_envs(register) -> None:
    register("{{name}}", "{{pkg}}.env:make_vector_env", kind="single", policy="mlp",
             reference_env="{{pkg}}.env:CorridorEnv",
             description="Corridor walk (scaffolded example: replace with your env)",
             default_config=DEFAULT_CONFIG)
'''

SINGLE_TEST = '''def test_env_passes_gymnasium_checker():
    check_gym_env(CorridorEnv(size=5))


def test_vector_env():
    check_vector_env(make_vector_env(num_envs=3, seed=0))'''

# -- multi -----------------------------------------------------------------------------
MULTI_ENV = '''"""Two-player Nim as a PettingZoo AEC env (no agentctl imports).

A pile of stones; players alternately take 1, 2 or 3; whoever takes the last stone wins.
Observation: one-hot pile size (float32) with an action mask (action k takes k + 1 stones).
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector


class NimEnv(AECEnv):
    metadata = {"name": "nim_v0", "render_modes": [], "is_parallelizable": False}

    def __init__(self, stones: int = 15) -> None:
        super().__init__()
        self.stones = int(stones)
        self.possible_agents = ["player_0", "player_1"]
        self.agents = self.possible_agents[:]
        obs = spaces.Dict({
            "observation": spaces.Box(0.0, 1.0, (self.stones + 1,), dtype=np.float32),
            "action_mask": spaces.Box(0, 1, (3,), dtype=np.int8),
        })
        self.observation_spaces = {a: obs for a in self.possible_agents}
        self.action_spaces = {a: spaces.Discrete(3) for a in self.possible_agents}
        self.pile = self.stones

    def observation_space(self, agent):
        return self.observation_spaces[agent]

    def action_space(self, agent):
        return self.action_spaces[agent]

    def observe(self, agent):
        obs = np.zeros(self.stones + 1, dtype=np.float32)
        obs[self.pile] = 1.0
        mask = np.array([self.pile >= k + 1 for k in range(3)], dtype=np.int8)
        if agent != self.agent_selection:
            mask[:] = 0
        return {"observation": obs, "action_mask": mask}

    def reset(self, seed=None, options=None):
        self.pile = self.stones
        self.agents = self.possible_agents[:]
        self.rewards = {a: 0 for a in self.agents}
        self._cumulative_rewards = {a: 0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._selector = AgentSelector(self.agents)
        self.agent_selection = self._selector.reset()

    def step(self, action):
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        take = int(action) + 1
        if take > self.pile:
            raise ValueError(f"illegal move: take {take} from {self.pile}")
        self.pile -= take
        if self.pile == 0:
            other = self.possible_agents[1 - self.possible_agents.index(agent)]
            self.rewards[agent], self.rewards[other] = 1, -1
            self.terminations = {a: True for a in self.agents}
        self._cumulative_rewards[agent] = 0
        self.agent_selection = self._selector.next()
        self._accumulate_rewards()

    def render(self):
        return f"pile: {self.pile}"

    def close(self):
        pass
'''

MULTI_PLUGIN = '''"""agentctl plugin `{{name}}`: hook implementations only (keep this module import-light)."""

from __future__ import annotations

import agentctl

AGENTCTL_API = {{api}}  # the hook API version this plugin targets

DEFAULT_CONFIG = {
    "total_timesteps": 20_000,
    "num_envs": 16,
    "num_steps": 32,
    "gamma": 1.0,
    "ent_coef": 0.01,
    "torch_threads": 1,
    "opponents": {"latest": 0.5, "snapshot": 0.25, "random": 0.25},
    "env_kwargs": {"stones": 15},
}


def make_games(num_envs: int = 1, seed: int | None = None, stones: int = 15):
    """``kind="multi"`` entry point: ``num_envs`` games as agentctl TurnBasedGames."""
    from agentctl.games import PettingZooGames

    from {{pkg}}.env import NimEnv

    return PettingZooGames(lambda: NimEnv(stones), num_envs, seed)


@agentctl.hookimpl
def register_envs(register) -> None:
    register("{{name}}", "{{pkg}}.plugin:make_games", kind="multi", policy="mlp",
             reference_env="{{pkg}}.env:NimEnv",
             description="Nim, take 1-3, last stone wins (scaffolded example: replace with your game)",
             default_config=DEFAULT_CONFIG)
'''

MULTI_TEST = '''def test_env_passes_pettingzoo_api_test():
    check_aec_env(NimEnv(stones=7))'''

# -- simultaneous ------------------------------------------------------------------------
SIMULTANEOUS_ENV = '''"""Goofspiel, a two-player simultaneous-move card game, as a batch of games in numpy (no agentctl imports).

Each player holds the cards 1..N; the prize cards 1..N are turned up one at a time in a random
order. Every round both players bid one of their cards at the same time: the higher bid wins
the prize's value (equal bids: nobody does) and both bids are used up. After N rounds the
player with more points wins; equal points is a draw.

``GoofspielGames`` is the batch that agentctl trains on: both seats act at every step
(``observe(seat)``, ``step(actions0, actions1, active)``). ``GoofspielParallelEnv`` is one game
as a PettingZoo ParallelEnv, for PettingZoo's tools and agentctl's API check.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv


class GoofspielGames:
    """``num_games`` games of Goofspiel with ``cards`` cards each, stepped together.

    Observation from one seat's view (float32, 4 * cards + 1): own cards left, the opponent's
    cards left, prizes still to come after this round, this round's prize (one-hot), and the
    score difference (own - opponent's) over the sum of all prizes. Action k bids card k + 1;
    the mask allows the seat's cards left. ``shaping`` > 0 adds a dense reward per round:
    ``shaping * prize / total`` to the round's winner, minus that to the loser
    (``step_rewards()``); the game's outcome (+1/-1/0) is unchanged.
    """

    def __init__(self, num_games: int = 1, cards: int = 5, seed: int | None = None, shaping: float = 0.0) -> None:
        if cards < 1:
            raise ValueError(f"cards must be >= 1, got {cards}")
        self.num_games, self.cards, self.shaping = int(num_games), int(cards), float(shaping)
        n, b = self.cards, self.num_games
        self.total = n * (n + 1) // 2  # all prizes together
        self.observation_space = spaces.Box(-1.0, 1.0, (4 * n + 1,), dtype=np.float32)
        self.action_space = spaces.Discrete(n)
        self.rng = np.random.default_rng(seed)
        self.hands = np.ones((b, 2, n), dtype=bool)  # hands[g, seat, k]: card k + 1 still held
        self.order = np.zeros((b, n), dtype=np.int64)  # order[g, r]: prize of round r, minus 1
        self.round = np.zeros(b, dtype=np.int64)
        self.score = np.zeros((b, 2), dtype=np.int64)
        self.rewards = np.zeros((b, 2), dtype=np.float32)
        self.reset_games(np.arange(b))

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.reset_games(np.arange(self.num_games))

    def reset_games(self, index: np.ndarray) -> None:
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        self.hands[index] = True
        self.order[index] = np.argsort(self.rng.random((len(index), self.cards)), axis=1)
        self.round[index] = 0
        self.score[index] = 0
        self.rewards[index] = 0.0

    def observe(self, seat: int) -> tuple[np.ndarray, np.ndarray]:
        n, rows = self.cards, np.arange(self.num_games)
        playing = ~self.done()
        now = np.minimum(self.round, n - 1)
        current = np.zeros((self.num_games, n), dtype=bool)
        current[rows, self.order[rows, now]] = playing
        upcoming = np.zeros((self.num_games, n), dtype=bool)
        later = np.arange(n) > self.round[:, None]  # rounds after this one
        np.put_along_axis(upcoming, self.order, later, axis=1)
        diff = (self.score[:, seat] - self.score[:, 1 - seat]) / self.total
        obs = np.concatenate([self.hands[:, seat], self.hands[:, 1 - seat], upcoming, current,
                              diff[:, None]], axis=1).astype(np.float32)
        return obs, self.hands[:, seat].copy()

    def step(self, actions0: np.ndarray, actions1: np.ndarray, active: np.ndarray) -> None:
        self.rewards[:] = 0.0
        g = np.flatnonzero(np.asarray(active, dtype=bool) & ~self.done())
        bid0 = np.asarray(actions0, dtype=np.int64).reshape(-1)[g]
        bid1 = np.asarray(actions1, dtype=np.int64).reshape(-1)[g]
        if not (self.hands[g, 0, bid0].all() and self.hands[g, 1, bid1].all()):
            raise ValueError("a bid names a card the player no longer holds")
        prize = self.order[g, self.round[g]] + 1
        gain = np.sign(bid0 - bid1) * prize  # seat 0's points minus seat 1's this round
        self.score[g, 0] += np.maximum(gain, 0)
        self.score[g, 1] += np.maximum(-gain, 0)
        self.hands[g, 0, bid0] = False
        self.hands[g, 1, bid1] = False
        self.round[g] += 1
        self.rewards[g, 0] = self.shaping * gain / self.total
        self.rewards[g, 1] = -self.rewards[g, 0]

    def step_rewards(self) -> np.ndarray:
        """[B, 2]: the shaping reward each seat earned in the latest step (0 if not stepped)."""
        return self.rewards.copy()

    def done(self) -> np.ndarray:
        return self.round >= self.cards

    def outcome(self) -> np.ndarray:
        return np.sign(self.score[:, 0] - self.score[:, 1]).astype(np.float32)


def make_games(num_envs: int = 1, seed: int | None = None, cards: int = 5, shaping: float = 0.0) -> GoofspielGames:
    """``kind="multi"`` entry point: ``num_envs`` games stepped together."""
    return GoofspielGames(num_envs, cards, seed, shaping)


class GoofspielParallelEnv(ParallelEnv):
    """One game of Goofspiel as a PettingZoo ParallelEnv: observations are dicts of the
    ``observation`` and ``action_mask`` (int8) above; rewards are the outcome at the end
    (+1/-1/0, plus the shaping reward of each round)."""

    metadata = {"name": "goofspiel_v0", "render_modes": []}

    def __init__(self, cards: int = 5, shaping: float = 0.0) -> None:
        self.game = GoofspielGames(1, cards, shaping=shaping)
        self.possible_agents = ["player_0", "player_1"]
        self.agents: list[str] = []
        observation = spaces.Dict({
            "observation": self.game.observation_space,
            "action_mask": spaces.Box(0, 1, (self.game.cards,), dtype=np.int8),
        })
        self._observation_spaces = {a: observation for a in self.possible_agents}
        self._action_spaces = {a: spaces.Discrete(self.game.cards) for a in self.possible_agents}

    def observation_space(self, agent):
        return self._observation_spaces[agent]

    def action_space(self, agent):
        return self._action_spaces[agent]

    def _observe(self) -> dict:
        views = {}
        for seat, agent in enumerate(self.possible_agents):
            obs, mask = self.game.observe(seat)
            views[agent] = {"observation": obs[0], "action_mask": mask[0].astype(np.int8)}
        return views

    def reset(self, seed=None, options=None):
        self.game.reset(seed=seed)
        self.agents = self.possible_agents[:]
        return self._observe(), {a: {} for a in self.agents}

    def step(self, actions):
        bids = [np.array([actions[a]]) for a in self.possible_agents]
        self.game.step(bids[0], bids[1], np.array([True]))
        done = bool(self.game.done()[0])
        outcome = float(self.game.outcome()[0]) if done else 0.0
        shaping = self.game.step_rewards()[0]
        rewards = {"player_0": outcome + float(shaping[0]), "player_1": -outcome + float(shaping[1])}
        observations = self._observe()
        agents, self.agents = self.agents, ([] if done else self.agents)
        return (observations, rewards, {a: done for a in agents}, {a: False for a in agents},
                {a: {} for a in agents})

    def render(self):
        g = self.game
        return f"round {int(g.round[0])}/{g.cards}, score {int(g.score[0, 0])}-{int(g.score[0, 1])}"

    def close(self):
        pass
'''

SIMULTANEOUS_PLUGIN = '''"""agentctl plugin `{{name}}`: hook implementations only (keep this module import-light).

Goofspiel is a simultaneous-move game: its factory returns a batch with ``observe(seat)`` and
``step(actions0, actions1, active)`` (agentctl.contracts.SimultaneousGames), registered as
``kind="multi"`` like turn-based games. agentctl plays it by self-play, seat 0's choice held
back until seat 1 has chosen, so neither sees the other's bid.
"""

from __future__ import annotations

import agentctl

AGENTCTL_API = {{api}}  # the hook API version this plugin targets

DEFAULT_CONFIG = {
    "total_timesteps": 40_000,
    "num_envs": 16,
    "num_steps": 32,
    "gamma": 1.0,
    "ent_coef": 0.01,
    "torch_threads": 1,
    "opponents": {"latest": 0.5, "snapshot": 0.25, "random": 0.25},
    "env_kwargs": {"cards": 5, "shaping": 0.5},
}


@agentctl.hookimpl
def register_envs(register) -> None:
    register("{{name}}", "{{pkg}}.env:make_games", kind="multi", policy="mlp",
             reference_env="{{pkg}}.env:GoofspielParallelEnv",
             description="Goofspiel, bid for prizes all at once (scaffolded example: replace with your game)",
             default_config=DEFAULT_CONFIG)
'''

SIMULTANEOUS_TEST = '''def test_a_round_scores_the_higher_bid():
    games = GoofspielGames(num_games=2, cards=3, seed=0, shaping=1.0)
    prize = games.order[:, 0] + 1
    # Game 0: seat 0 bids 3 against 1 and wins the prize; game 1: equal bids, nobody scores.
    games.step(np.array([2, 1]), np.array([0, 1]), np.array([True, True]))
    assert games.score.tolist() == [[prize[0], 0], [0, 0]]
    np.testing.assert_allclose(games.step_rewards(), [[prize[0] / 6, -prize[0] / 6], [0, 0]])
    mine, theirs = games.observe(0)[1], games.observe(1)[1]
    assert mine.tolist() == [[True, True, False], [True, False, True]]
    assert theirs.tolist() == [[False, True, True], [True, False, True]]


def test_batch_passes_the_simultaneous_games_checks():
    check_simultaneous_games(make_games(num_envs=8, seed=0))


def test_parallel_env_passes_pettingzoo_parallel_api_test():
    check_parallel_env(GoofspielParallelEnv(cards=4))'''

# -- sequence ----------------------------------------------------------------------------
SEQUENCE_ENV = '''"""An arithmetic text task: prompts like "3+4=" that a language model completes (no agentctl imports).

A sequence env is a *task*, not a simulator: prompts to sample from, strings that end a
completion, and a reward that scores finished completions. This module is the task's plain
Python; plugin.py wraps it in agentctl's SequenceTask and registers the reward.
"""

from __future__ import annotations


def make_prompts(max_operand: int = 9) -> list[str]:
    """Every sum "a+b=" with 0 <= a, b <= max_operand."""
    return [f"{a}+{b}=" for a in range(max_operand + 1) for b in range(max_operand + 1)]


def answer_score(prompt: str, response: str) -> float:
    """1.0 for the right sum; else up to 0.5 for the share of digits in the answer (so a model
    learns the format before the arithmetic); 0.0 for no answer. The answer is the response's
    first line, stripped ("7" and " 7\\n" both answer "3+4=")."""
    a, b = prompt.removesuffix("=").split("+")
    answer = response.split("\\n", 1)[0].strip()
    if answer == str(int(a) + int(b)):
        return 1.0
    if not answer:
        return 0.0
    return 0.5 * sum(c.isdigit() for c in answer) / len(answer)
'''

SEQUENCE_PLUGIN = '''"""agentctl plugin `{{name}}`: hook implementations only (keep this module import-light).

A ``kind="sequence"`` env is a text task: its factory returns an ``agentctl.sequences.SequenceTask``
(prompts, stop strings, a reward spec). agentctl generates completions token by token with a
language-model policy (``lm``), scores each finished one with the reward and trains with
token-level PPO: one generated token = one action.
"""

from __future__ import annotations

import agentctl

AGENTCTL_API = {{api}}  # the hook API version this plugin targets

DEFAULT_CONFIG = {
    # Sequence units: total_timesteps counts generated tokens, num_envs is completions per
    # rollout, num_steps the most new tokens per completion, minibatch_size is in tokens.
    "total_timesteps": 30_000,
    "num_envs": 16,
    "num_steps": 8,
    "minibatch_size": 64,
    "learning_rate": 3e-3,
    "kl_coef": 0.01,  # per-token KL penalty to the starting weights: small, they are random
    "init": "",  # random weights; or a checkpoint to start from (e.g. `agentctl pretrain` output)
    "torch_threads": 1,
    # A tiny built-in GPT over bytes, random at first: in under a minute on a laptop CPU its
    # mean reward rises from about 0.01 (random bytes) to about 0.45-0.5 (answers of digits).
    "policy_kwargs": {"n_layer": 1, "n_head": 2, "n_embd": 32, "context_length": 64},
    "env_kwargs": {"max_operand": 9},
}


def make_task(num_envs: int = 1, seed: int | None = None, max_operand: int = 9):
    """``kind="sequence"`` entry point: the arithmetic task. agentctl samples ``num_envs``
    prompts per rollout from it itself; ``seed`` seeds the prompt order."""
    from agentctl.errors import UserError
    from agentctl.sequences import SequenceTask

    from {{pkg}}.env import make_prompts

    if isinstance(max_operand, bool) or not isinstance(max_operand, int) or max_operand < 0:
        raise UserError(f"env_kwargs.max_operand must be an integer >= 0, got {max_operand!r}")
    return SequenceTask(prompts=make_prompts(max_operand), reward="{{name}}-answer", stop=("\\n",), seed=seed,
                        info={"prompts": f"sums a+b=, a and b up to {max_operand}"})


def answer_reward(arg: str | None = None):
    """Reward factory ``{{name}}-answer``, called once per run with the text after ':' in the
    reward spec (``{{name}}-answer:ARG``; None without). Returns the batched reward
    ``score(prompts, responses) -> one float per response``."""
    if arg is not None:
        from agentctl.errors import UserError

        raise UserError(f"reward '{{name}}-answer' takes no argument, got '{{name}}-answer:{arg}'")
    from {{pkg}}.env import answer_score

    def score(prompts: list[str], responses: list[str]) -> list[float]:
        return [answer_score(p, r) for p, r in zip(prompts, responses)]

    return score


@agentctl.hookimpl
def register_envs(register) -> None:
    register("{{name}}", "{{pkg}}.plugin:make_task", kind="sequence", policy="lm",
             description="Complete sums like 3+4= (scaffolded example: replace with your task)",
             default_config=DEFAULT_CONFIG)


@agentctl.hookimpl
def register_rewards(register) -> None:
    register("{{name}}-answer", "{{pkg}}.plugin:answer_reward",
             description="1 for the right sum, up to 0.5 for an answer made of digits")
'''

SEQUENCE_TEST = '''def test_answer_score():
    assert answer_score("3+4=", "7") == answer_score("3+4=", " 7\\nmore") == 1.0
    assert answer_score("3+4=", "8") == 0.5
    assert answer_score("3+4=", "x8") == 0.25
    assert answer_score("3+4=", "") == 0.0


def test_task_prompts_repeat_for_a_seed():
    task = make_task(num_envs=4, seed=0, max_operand=3)
    assert len(task.prompts) == 16 and task.reward == "{{name}}-answer"
    assert task.sample_prompts(5) == make_task(num_envs=4, seed=0, max_operand=3).sample_prompts(5)'''

TRAIN = {
    "single": "agentctl train --env {{name}}   # PPO with the plugin's defaults",
    "multi": "agentctl train --env {{name}}   # self-play PPO with the plugin's defaults",
    "simultaneous": "agentctl train --env {{name}} --run-dir runs/{{name}}   # self-play PPO with the plugin's defaults\n"
                    "agentctl eval --checkpoint runs/{{name}} --games 200   # win rate against random bids",
    "sequence": "agentctl train --env {{name}} --run-dir runs/{{name}}   # token-level PPO with the plugin's defaults\n"
                "agentctl sample --checkpoint runs/{{name}} --prompt \"3+4=\" -n 4   # completions of the trained model",
}

KINDS = {
    "single": dict(env=SINGLE_ENV, plugin=SINGLE_PLUGIN, test=SINGLE_TEST, deps=', "gymnasium>=1.0"',
                   test_imports="from {{pkg}}.env import CorridorEnv, make_vector_env\n"
                                "from agentctl.testing import check_gym_env, check_vector_env",
                   envdesc="a Gymnasium env and its vector env",
                   contract="returns a Gymnasium VectorEnv"),
    "multi": dict(env=MULTI_ENV, plugin=MULTI_PLUGIN, test=MULTI_TEST,
                  deps=', "gymnasium>=1.0", "pettingzoo>=1.24"',
                  test_imports="from {{pkg}}.env import NimEnv\nfrom agentctl.testing import check_aec_env",
                  envdesc="a two-player PettingZoo AEC env",
                  contract="returns agentctl.contracts.TurnBasedGames; PettingZooGames adapts any AEC env, "
                           "a batched numpy engine is much faster"),
    "simultaneous": dict(env=SIMULTANEOUS_ENV, plugin=SIMULTANEOUS_PLUGIN, test=SIMULTANEOUS_TEST,
                         deps=', "gymnasium>=1.0", "numpy", "pettingzoo>=1.24"',
                         test_imports="import numpy as np\n"
                                      "from {{pkg}}.env import GoofspielGames, GoofspielParallelEnv, make_games\n"
                                      "from agentctl.testing import check_parallel_env, check_simultaneous_games",
                         envdesc="a batched simultaneous-move game and a PettingZoo ParallelEnv of one game",
                         contract="returns agentctl.contracts.SimultaneousGames: observe(seat), "
                                  "step(actions0, actions1, active), done(), outcome(), optional step_rewards()"),
    "sequence": dict(env=SEQUENCE_ENV, plugin=SEQUENCE_PLUGIN, test=SEQUENCE_TEST, deps="",
                     test_imports="from {{pkg}}.env import answer_score\nfrom {{pkg}}.plugin import make_task",
                     envdesc="a text task: prompts and the reward that scores completions",
                     contract="returns agentctl.sequences.SequenceTask: prompts, stop strings and a reward spec; "
                              "a registered reward is a factory `factory(arg) -> fn(prompts, responses) -> "
                              "list[float]`"),
}


def package_name(name: str) -> str:
    return "agentctl_" + name.replace("-", "_")


def _render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def scaffold(name: str, kind: str = "single", directory: str | Path | None = None) -> Path:
    """Write the plugin package; returns its folder. Refuses to overwrite anything."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise UserError(f"plugin name {name!r}: use lowercase letters, digits, '-' and '_', starting with a letter")
    if kind not in KINDS:
        raise UserError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    from agentctl.host import get_host

    if name in {p.name for p in get_host().plugins}:  # its entry point would lose to the installed one
        raise UserError(f"plugin name {name!r} is taken by an installed plugin (`agentctl plugins`); pick another NAME")
    root = Path(directory) if directory else Path.cwd() / name
    if root.exists():
        raise UserError(f"{root} already exists; pick another NAME or --dir")
    try:
        root.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot create {root}: {exc.strerror or exc}; pick another --dir") from None
    pkg = package_name(name)
    t = KINDS[kind]
    values = {"name": name, "pkg": pkg, "kind": kind, "api": str(HOOK_API_VERSION), "deps": t["deps"],
              "envdesc": t["envdesc"], "contract": t["contract"],
              "train": TRAIN[kind].replace("{{name}}", name)}
    values["test_imports"] = _render(t["test_imports"], values)
    values["env_test"] = _render(t["test"], values)
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{pkg}/__init__.py": f'"""agentctl plugin {name} ({kind} env)."""\n',
        f"src/{pkg}/env.py": t["env"],
        f"src/{pkg}/plugin.py": t["plugin"],
        f"tests/test_{pkg.removeprefix('agentctl_')}_plugin.py": TESTS,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(text, values))
    return root
