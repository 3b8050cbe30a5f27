"""``agentctl new-plugin NAME --kind single|multi|sequence``: a working plugin package.

The package it writes (``./NAME/`` by default)::

    NAME/pyproject.toml                  distribution agentctl-NAME; entry point NAME in group agentctl
    NAME/README.md                       for the plugin author: layout, install, test, train, API version
    NAME/src/agentctl_PKG/env.py         the environment (Gymnasium / PettingZoo; no agentctl imports)
    NAME/src/agentctl_PKG/plugin.py      hook implementations (the only module importing agentctl)
    NAME/tests/test_PKG_plugin.py        env API test + agentctl.testing.assert_plugin_ok

Kinds: ``single`` a Gymnasium corridor walk in a ``SyncVectorEnv``; ``multi`` two-player Nim as a
PettingZoo AEC env, batched with ``agentctl.games.PettingZooGames`` for self-play; ``sequence``
a skeleton (prompts + a reward function) registered with ``kind="sequence"``: agentctl has no
sequence trainer yet, so ``check-plugin`` reports its API and training checks as SKIP (not
FAIL) and ``agentctl train`` refuses it with a clear message.
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

Replace the example game in `env.py` with yours; keep the `make(num_envs, seed, **env_kwargs)`
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

# -- sequence ----------------------------------------------------------------------------
SEQUENCE_ENV = '''"""A sequence-env skeleton: prompts and a reward function (no agentctl imports).

agentctl has no sequence (text/code) trainer yet; this records the intended shape: a batch
of prompts, one action = one token, a reward per finished response.
"""

from __future__ import annotations

import random


class PromptBatch:
    """``num_envs`` prompts per batch, drawn from ``prompts``."""

    prompts = ["2+2=", "3+4=", "10-7="]
    answers = {"2+2=": "4", "3+4=": "7", "10-7=": "3"}

    def __init__(self, num_envs: int = 1, seed: int | None = None) -> None:
        self.num_envs = num_envs
        self.rng = random.Random(seed)

    def sample(self) -> list[str]:
        return [self.rng.choice(self.prompts) for _ in range(self.num_envs)]


def exact_match(prompt: str, response: str) -> float:
    """Reward 1.0 when the response is the answer, else 0.0."""
    return float(response.strip() == PromptBatch.answers.get(prompt))


def make(num_envs: int = 1, seed: int | None = None) -> PromptBatch:
    return PromptBatch(num_envs, seed)
'''

SEQUENCE_PLUGIN = '''"""agentctl plugin `{{name}}`: hook implementations only (keep this module import-light).

A ``kind="sequence"`` skeleton: agentctl lists it and `check-plugin` validates its spec, but
reports the API and training checks as SKIP until agentctl ships sequence training.
"""

from __future__ import annotations

import agentctl

AGENTCTL_API = {{api}}  # the hook API version this plugin targets


@agentctl.hookimpl
def register_envs(register) -> None:
    register("{{name}}", "{{pkg}}.env:make", kind="sequence",
             description="Arithmetic prompts (sequence skeleton: training not available yet)",
             default_config={"gamma": 1.0})


@agentctl.hookimpl
def register_rewards(register) -> None:
    register("{{name}}-exact", "{{pkg}}.env:exact_match", description="1.0 for the exact answer")
'''

SEQUENCE_TEST = '''def test_reward():
    assert exact_match("2+2=", " 4") == 1.0
    assert exact_match("2+2=", "5") == 0.0
    assert len(make(num_envs=3, seed=0).sample()) == 3'''

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
    "sequence": dict(env=SEQUENCE_ENV, plugin=SEQUENCE_PLUGIN, test=SEQUENCE_TEST, deps="",
                     test_imports="from {{pkg}}.env import exact_match, make",
                     envdesc="prompts and a reward function; a skeleton",
                     contract="sequence training is not in agentctl yet: `check-plugin` reports the "
                              "API and training checks as SKIP"),
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
              "train": "" if kind == "sequence" else f"agentctl train --env {name}   # PPO with the plugin's defaults"}
    values["test_imports"] = _render(t["test_imports"], values)
    values["env_test"] = t["test"]
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
