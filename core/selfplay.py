"""Self-play: two-player games seen by the learner as a single-agent vector env.

In game ``i`` the learner holds seat ``i % 2`` (colours alternate across games); the other
seat is played inside :class:`SelfPlayVecEnv` by an opponent drawn from the
:class:`OpponentPool` when the game starts: the learner's latest weights, a past snapshot
(kept on disk in the run dir and restored on resume), or a fixed opponent (``random``, or
one a plugin registers, e.g. GnuGo). The learner sees only its own turns, with masks, and
the reward when the game ends: +1 win, -1 loss, 0 draw from *its* seat. That sign
bookkeeping lives here once, not in each env.

In games against ``latest`` (config ``both_seats``) the learner plays both seats: the env
then shows every turn of the game, each from its mover's view, and says so per step
(``info["next_is_opponent"]``) so advantages flip sign between the two sides. A game's
snapshot opponent is drawn when the game starts and plays the whole game.

Games that reveal targets when they end (optional ``final_targets(index)``: e.g. Go's final
ownership and score margin) get them delivered for every learner turn of the game, in the
frame and from the seat that turn was shown (``info["aux_targets"]``), for a policy's
auxiliary heads.

The vector env follows Gymnasium's NEXT_STEP autoreset, like every env the collector reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from agentctl.contracts import Opponent, TurnBasedGames
from agentctl.errors import UserError, first_line
from agentctl.games import component_sizes, random_actions
from agentctl.nn.policy import act
from agentctl.seeding import int_seed, rng

LATEST, SNAPSHOT, RANDOM = "latest", "snapshot", "random"


class RandomOpponent:
    """Uniform over legal actions (per component, for MultiDiscrete actions)."""

    def __init__(self, seed: int | None = None, action_space: Any = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.action_space = action_space  # None: Discrete; set by the pool for its games

    def act(self, observation: np.ndarray, action_mask: np.ndarray, **_: Any) -> np.ndarray:
        if self.action_space is None:
            u = self.rng.random(action_mask.shape)
            return np.argmax(np.where(action_mask, u, -1.0), axis=1)
        return random_actions(self.action_space, action_mask, self.rng)

    def state_dict(self) -> dict[str, Any]:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]


class PolicyOpponent:
    """A policy network playing a seat (sampled actions, or greedy when ``deterministic``)."""

    def __init__(self, module: torch.nn.Module, generator: torch.Generator | None = None,
                 deterministic: bool = False) -> None:
        self.module = module
        self.generator = generator
        self.deterministic = deterministic

    def act(self, observation: np.ndarray, action_mask: np.ndarray, **_: Any) -> np.ndarray:
        return act(self.module, observation, action_mask, deterministic=self.deterministic,
                   generator=self.generator)


class OpponentPool:
    """Who plays the learner's opponents, and the snapshots of past learners.

    ``weights`` maps ``latest`` / ``snapshot`` / fixed-opponent names to sampling weights;
    ``snapshot`` falls back to ``latest`` until the first snapshot exists.
    """

    def __init__(self, learner: torch.nn.Module, make_module: Callable[[], torch.nn.Module],
                 weights: dict[str, float], fixed: dict[str, Opponent] | None = None,
                 snapshot_dir: Path | None = None, max_snapshots: int = 20, seed: int = 0) -> None:
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise UserError(f"opponent weights must be non-negative and not all zero, got {weights}")
        self.fixed = dict(fixed or {})
        self.fixed.setdefault(RANDOM, RandomOpponent(int_seed(seed, 2)))
        unknown = set(weights) - {LATEST, SNAPSHOT} - set(self.fixed)
        if unknown:
            raise UserError(f"unknown opponents {sorted(unknown)}; known: latest, snapshot, "
                            f"{', '.join(sorted(self.fixed))}")
        self.names = list(weights)
        probs = np.array([weights[n] for n in self.names], dtype=np.float64)
        self.probs = probs / probs.sum()
        self.rng = rng(seed, 0)  # opponent draws and snapshot picks
        self.generator = torch.Generator(device=next(learner.parameters()).device)
        self.generator.manual_seed(int_seed(seed, 1))  # the policy opponents' sampling
        self.learner = learner
        self.make_module = make_module
        self.snapshot_dir = snapshot_dir
        self.max_snapshots = max_snapshots
        self.snapshots: list[str] = []  # file paths, oldest first
        self._modules: dict[str, torch.nn.Module] = {}  # snapshot path -> its module, built once

    # -- snapshots -------------------------------------------------------------------
    def add_snapshot(self, step: int) -> str:
        """Save the learner's weights as a snapshot file and add it to the pool."""
        from agentctl import checkpoint

        if self.snapshot_dir is None:
            raise UserError("this pool has no snapshot directory")
        state = {"format": 1, "model": {k: v.detach().cpu() for k, v in self.learner.state_dict().items()}}
        path = str(checkpoint.save(state, self.snapshot_dir, step, keep=0))
        self.snapshots.append(path)
        if self.max_snapshots > 0 and len(self.snapshots) > self.max_snapshots:
            self.snapshots.pop(0)  # the file stays on disk for `ladder`-style analysis
        return path

    def module(self, path: str) -> torch.nn.Module:
        """The snapshot at ``path`` as a module (loaded once, then cached: a game keeps its
        snapshot opponent from first move to last, whatever joins the pool meanwhile)."""
        if path not in self._modules:
            with torch.random.fork_rng(devices=[]):  # building it must not move the global RNG
                module = self.make_module().to(next(self.learner.parameters()).device).eval()
            module.load_state_dict(torch.load(path, map_location="cpu", weights_only=False)["model"])
            self._modules[path] = module
        return self._modules[path]

    def forget_unused(self, in_play: set[str]) -> None:
        """Drop cached modules of snapshots no longer in the pool nor in a game."""
        for path in list(self._modules):
            if path not in in_play and path not in self.snapshots:
                del self._modules[path]

    # -- per game ---------------------------------------------------------------------
    def sample(self, n: int) -> np.ndarray:
        """Opponent name indices for ``n`` new games."""
        return self.rng.choice(len(self.names), size=n, p=self.probs)

    def pick_snapshot(self) -> str | None:
        """The snapshot a new ``snapshot`` game plays against (None before the first one:
        the game is then played by ``latest``)."""
        if not self.snapshots:
            return None
        return self.snapshots[int(self.rng.integers(len(self.snapshots)))]

    def opponent(self, name_index: int, snapshot: str | None = None) -> Opponent:
        name = self.names[name_index]
        if name == SNAPSHOT and snapshot is not None:
            return PolicyOpponent(self.module(snapshot), self.generator)
        if name in (LATEST, SNAPSHOT):
            return PolicyOpponent(self.learner, self.generator)
        return self.fixed[name]

    def state_dict(self) -> dict[str, Any]:
        fixed = {name: opp.state_dict() for name, opp in self.fixed.items() if hasattr(opp, "state_dict")}
        return {"snapshots": list(self.snapshots), "rng": self.rng.bit_generator.state,
                "generator": self.generator.get_state(), "fixed": fixed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.snapshots = [p for p in state["snapshots"] if Path(p).exists()]
        missing = len(state["snapshots"]) - len(self.snapshots)
        if missing:
            print(f"agentctl: {missing} opponent snapshot file(s) are gone; continuing without them")
        self.rng.bit_generator.state = state["rng"]
        self.generator.set_state(state["generator"])
        for name, opp_state in state.get("fixed", {}).items():
            if name in self.fixed:  # opponents with state (RNGs) continue where they were
                self.fixed[name].load_state_dict(opp_state)


class SelfPlayVecEnv(gym.vector.VectorEnv):
    """B games -> a vector env of the learner's turns (NEXT_STEP autoreset)."""

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP}

    def __init__(self, games: TurnBasedGames, pool: OpponentPool, both_seats: bool = False) -> None:
        self.games = games
        self.pool = pool
        self.num_envs = games.num_games
        self.seat = np.arange(self.num_envs) % 2
        n_actions = sum(component_sizes(games.action_space))
        random = pool.fixed.get(RANDOM)
        if isinstance(random, RandomOpponent) and getattr(games.action_space, "nvec", None) is not None:
            random.action_space = games.action_space  # per-component draws
        self.single_action_space = games.action_space
        self.single_observation_space = gym.spaces.Dict({
            "observation": games.observation_space,
            "action_mask": gym.spaces.MultiBinary(n_actions),
        })
        self.action_space = gym.vector.utils.batch_space(self.single_action_space, self.num_envs)
        self.observation_space = gym.vector.utils.batch_space(self.single_observation_space, self.num_envs)
        # Both seats are the learner's only in zero-sum games scored at the end: a dense
        # per-seat reward is not the negative of the other seat's.
        self.both_seats = bool(both_seats) and getattr(games, "step_rewards", None) is None
        self.opponent_of = np.zeros(self.num_envs, dtype=np.int64)
        self.snapshot_of: list[str | None] = [None] * self.num_envs
        self.both = np.zeros(self.num_envs, dtype=bool)  # the learner holds both seats of game i
        self.mover = self.seat.copy()  # whose turn the learner's current observation of game i is
        self.prev_done = np.zeros(self.num_envs, dtype=bool)
        # Dense rewards (``step_rewards()``, optional) the learner earned since its last turn.
        self.dense = np.zeros(self.num_envs, dtype=np.float32)
        # The (seat, frame) of each learner turn of the games in play, for their final targets.
        self.views: list[list[tuple[int, int]]] = [[] for _ in range(self.num_envs)]
        self.targeted = callable(getattr(games, "final_targets", None))  # else no views to keep
        self._frame = np.zeros(self.num_envs, dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: Any = None) -> tuple[dict, dict]:
        self.games.reset(seed=seed)
        self._new_games(np.arange(self.num_envs))
        self.prev_done[:] = False
        self._advance()
        self.dense[:] = 0.0  # earned before the learner's first move: dropped, as on reset steps
        return self._obs(), {}

    def _new_games(self, idx: np.ndarray) -> None:
        """Draw the opponents of the games just (re)started: a snapshot game's snapshot too."""
        self.opponent_of[idx] = self.pool.sample(len(idx))
        for i in idx:
            name = self.pool.names[int(self.opponent_of[i])]
            self.snapshot_of[i] = self.pool.pick_snapshot() if name == SNAPSHOT else None
            self.both[i] = self.both_seats and (name == LATEST or (name == SNAPSHOT and self.snapshot_of[i] is None))
            self.views[i] = []
        self.pool.forget_unused({p for p in self.snapshot_of if p is not None})

    def _obs(self) -> dict[str, np.ndarray]:
        obs, mask = self.games.observe()
        self.mover = np.where(self.both, self.games.to_play(), self.seat)
        frame = getattr(self.games, "frame", None)  # a FramedGames' per-game view, drawn by observe()
        self._frame = np.zeros(self.num_envs, dtype=np.int64) if frame is None else np.asarray(frame).copy()
        return {"observation": obs, "action_mask": mask}

    def _advance(self) -> None:
        """Let opponents move until every unfinished game waits for the learner."""
        for _ in range(100_000):
            need = ~self.games.done() & ~self.both & (self.games.to_play() != self.seat)
            if not need.any():
                return
            obs, mask = self.games.observe()
            actions = np.zeros((self.num_envs, *self.single_action_space.shape), dtype=np.int64)
            keys = [(int(self.opponent_of[i]), self.snapshot_of[i]) for i in range(self.num_envs)]
            for key in sorted({keys[i] for i in np.flatnonzero(need)}, key=lambda k: (k[0], k[1] or "")):
                idx = np.flatnonzero(need & np.array([k == key for k in keys]))
                try:
                    actions[idx] = self.pool.opponent(*key).act(obs[idx], mask[idx], game=self.games, index=idx)
                except (UserError, KeyboardInterrupt):
                    raise
                except Exception as exc:  # e.g. an external engine that died mid-game
                    raise UserError(f"opponent {self.pool.names[key[0]]!r} failed: {type(exc).__name__}: "
                                    f"{first_line(exc)}") from exc
            self.games.step(actions, need)
            self._collect_dense()
        raise RuntimeError("opponents kept moving for 100000 turns; is to_play() stuck?")

    def step(self, actions: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, dict]:
        resetting = self.prev_done.copy()
        playing = ~resetting
        mover = self.mover.copy()
        if self.targeted:
            for i in np.flatnonzero(playing):
                self.views[i].append((int(mover[i]), int(self._frame[i])))
        self.games.step(np.asarray(actions, dtype=np.int64), playing)
        self._collect_dense()
        if resetting.any():
            self.games.reset_games(np.flatnonzero(resetting))
            self._new_games(np.flatnonzero(resetting))
        self._advance()
        # A game can also end on a reset step (the opponent's opening move ends it): it is
        # reported done (the collector ignores reset steps) and restarts next step.
        done = self.games.done()
        sign = np.where(mover == 0, 1.0, -1.0)
        reward = np.where(done & playing, self.games.outcome() * sign, 0.0).astype(np.float32)
        reward += np.where(playing, self.dense, 0.0).astype(np.float32)
        self.dense[:] = 0.0
        self.prev_done = done
        # A game the learner played both sides of is not one player's score: kept out of the
        # episode returns (it still trains).
        info: dict[str, Any] = {"next_is_opponent": playing & self.both & ~done,
                                "unscored": done & playing & self.both}
        ended = np.flatnonzero(done & playing)
        if ended.size and self.targeted:
            info["aux_targets"] = self._final_targets(ended)
        return self._obs(), reward, done, np.zeros(self.num_envs, dtype=bool), info

    def _final_targets(self, ended: np.ndarray) -> dict[int, dict[str, np.ndarray]]:
        """Each ended game's targets for every learner turn of it, as that turn was shown:
        negated for seat 1 (targets are seat 0's), spatial ones through the turn's frame."""
        targets = self.games.final_targets(ended)
        show = getattr(self.games, "show_points", None)
        out = {}
        for k, i in enumerate(ended):
            views = self.views[i]
            self.views[i] = []
            if not views:
                continue
            seats, frames = (np.array(v) for v in zip(*views))
            sign = np.where(seats == 0, 1.0, -1.0).astype(np.float32)
            per_turn = {}
            for name, value in targets.items():
                rows = np.repeat(np.asarray(value[k], dtype=np.float32)[None], len(views), axis=0)
                if show is not None and rows.ndim == 2:
                    rows = show(frames, rows)
                per_turn[name] = rows * sign.reshape(-1, *[1] * (rows.ndim - 1))
            out[int(i)] = per_turn
        return out

    def _collect_dense(self) -> None:
        """Add the learner's share of the games' dense rewards (if they give any) for the step
        just played, whichever call completed it (the learner's turn or an opponent's)."""
        step_rewards = getattr(self.games, "step_rewards", None)
        if step_rewards is not None:
            self.dense += np.asarray(step_rewards(), dtype=np.float32)[np.arange(self.num_envs), self.seat]

    def close(self, **kwargs: Any) -> None:
        """Close the games and the fixed opponents (external engines: GnuGo processes)."""
        for owner in (self.games, *self.pool.fixed.values()):
            close = getattr(owner, "close", None)
            if close is not None:
                close()

    # -- exact resume (the pool holds torch modules, so no plain pickling) -------------
    def state_dict(self) -> dict[str, Any]:
        import pickle

        try:
            games: bytes | None = pickle.dumps(self.games)
        except Exception:  # resume then restarts the games (not bit-exact, still correct)
            games = None
        return {"games": games, "opponent_of": self.opponent_of.copy(), "snapshot_of": list(self.snapshot_of),
                "both": self.both.copy(), "mover": self.mover.copy(), "frame": self._frame.copy(),
                "views": [list(v) for v in self.views], "prev_done": self.prev_done.copy(),
                "dense": self.dense.copy(), "pool": self.pool.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        import pickle

        self.pool.load_state_dict(state["pool"])
        if state["games"] is None:
            self.reset()
            return
        self.games = pickle.loads(state["games"])
        self.opponent_of = state["opponent_of"].copy()
        self.snapshot_of = [p if p is None or Path(p).exists() else None
                            for p in state.get("snapshot_of", [None] * self.num_envs)]
        self.both = state.get("both", np.zeros(self.num_envs, dtype=bool)).copy()
        self.mover = state.get("mover", self.seat).copy()
        self._frame = state.get("frame", np.zeros(self.num_envs, dtype=np.int64)).copy()
        self.views = [list(v) for v in state.get("views", [[] for _ in range(self.num_envs)])]
        self.prev_done = state["prev_done"].copy()
        self.dense = state.get("dense", np.zeros(self.num_envs, dtype=np.float32)).copy()
