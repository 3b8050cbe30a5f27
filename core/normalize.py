"""Observation normalisation and reward scaling (Stable-Baselines3's ``VecNormalize``).

Many control tasks need them to learn at all: raw observations of very different scales
saturate a tanh network, and returns near -100 or -500 swamp the value loss. Switched on by
the config keys ``normalize_obs`` / ``normalize_reward``, applied in the collector
(:class:`agentctl.ppo.rollout.Collector`), saved with it in every checkpoint, and applied
frozen (the checkpoint's statistics, never updated) wherever a trained policy is played:
:func:`obs_normalizer_from`.

The rules are SB3's, so rl-zoo's tuned hyperparameters carry over:

* :class:`RunningMeanStd`: mean and variance of everything seen, merged batch by batch with
  the parallel (Chan et al.) update, in float64, starting from a pseudo-count of 1e-4 at
  mean 0, variance 1.
* :class:`ObsNormalizer`: ``clip((obs - mean) / sqrt(var + 1e-8), -clip, clip)``, the
  statistics updated with the batch first (the batch is normalised with stats that include it).
* :class:`RewardScaler`: a discounted return per env, ``R = gamma * R + r`` (reset to 0 when
  its episode ends), feeds a running variance; each reward is divided by ``sqrt(var(R) + 1e-8)``
  and clipped. The reward is only scaled, never shifted (a shift would change the task).
"""

from __future__ import annotations

from typing import Any

import numpy as np

EPSILON = 1e-8  # added to variances before the square root


class RunningMeanStd:
    """Running mean and (population) variance over the first axis of every batch seen."""

    def __init__(self, shape: tuple[int, ...] = (), epsilon: float = 1e-4) -> None:
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = float(epsilon)

    def update(self, batch: np.ndarray) -> None:
        batch = np.asarray(batch, dtype=np.float64)
        if batch.shape[0] == 0:
            return
        # np.mean / np.var's own arithmetic (sum, then divide; squared deviations summed, then
        # divided), without their Python wrappers: this runs every env step.
        batch_count = batch.shape[0]
        batch_mean = np.add.reduce(batch, axis=0) / batch_count
        deviation = batch - batch_mean
        batch_var = np.add.reduce(np.multiply(deviation, deviation, out=deviation), axis=0) / batch_count
        delta = batch_mean - self.mean
        total = self.count + batch_count
        m2 = self.var * self.count + batch_var * batch_count + np.square(delta) * self.count * batch_count / total
        self.mean = self.mean + delta * batch_count / total
        self.var = m2 / total
        self.count = total

    def state_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.copy(), "var": self.var.copy(), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.mean = np.array(state["mean"], dtype=np.float64)
        self.var = np.array(state["var"], dtype=np.float64)
        self.count = float(state["count"])


class ObsNormalizer:
    """Normalises a batch of observations [N, ...] with running statistics of all of them.

    ``frozen``: use the statistics as they are (evaluation, play); never update them."""

    def __init__(self, clip: float = 10.0, frozen: bool = False) -> None:
        self.clip = float(clip)
        self.frozen = frozen
        self.rms: RunningMeanStd | None = None  # shaped by the first batch

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        if self.rms is None:
            if self.frozen:
                raise ValueError("a frozen ObsNormalizer has no statistics to apply")
            self.rms = RunningMeanStd(obs.shape[1:])
        if not self.frozen:
            self.rms.update(obs)
        out = (obs - self.rms.mean) / np.sqrt(self.rms.var + EPSILON)
        return np.clip(out, -self.clip, self.clip).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {"clip": self.clip, "rms": None if self.rms is None else self.rms.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.clip = float(state["clip"])
        self.rms = None
        if state["rms"] is not None:
            self.rms = RunningMeanStd()
            self.rms.load_state_dict(state["rms"])


class RewardScaler:
    """Scales each env's rewards by the running std of its discounted return."""

    def __init__(self, num_envs: int, gamma: float, clip: float = 10.0, frozen: bool = False) -> None:
        self.gamma = float(gamma)
        self.clip = float(clip)
        self.frozen = frozen
        self.rms = RunningMeanStd()
        self.returns = np.zeros(num_envs, dtype=np.float64)

    def __call__(self, reward: np.ndarray, done: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
        """Scaled rewards of one step of every env. ``valid`` (bool [N], default all): the
        envs whose step is a real transition; the others (an autoreset step: its reward is
        not experience) neither add to their return nor to the statistics."""
        reward = np.asarray(reward, dtype=np.float64)
        valid = np.ones(reward.shape, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
        if not self.frozen:
            self.returns = np.where(valid, self.returns * self.gamma + reward, self.returns)
            self.rms.update(self.returns[valid])
        scaled = np.clip(reward / np.sqrt(self.rms.var + EPSILON), -self.clip, self.clip)
        self.returns[np.asarray(done, dtype=bool)] = 0.0
        return scaled.astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        return {"gamma": self.gamma, "clip": self.clip, "rms": self.rms.state_dict(), "returns": self.returns.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.gamma = float(state["gamma"])
        self.clip = float(state["clip"])
        self.rms.load_state_dict(state["rms"])
        self.returns = np.array(state["returns"], dtype=np.float64)


def from_config(cfg: Any, num_envs: int) -> dict[str, Any]:
    """The collector's ``obs_norm`` / ``reward_scale`` keyword arguments for a run's config
    (its ``normalize_obs``, ``normalize_reward``, ``clip_obs``, ``clip_reward``, ``gamma``)."""
    return {
        "obs_norm": ObsNormalizer(cfg.clip_obs) if cfg.normalize_obs else None,
        "reward_scale": RewardScaler(num_envs, cfg.gamma, cfg.clip_reward) if cfg.normalize_reward else None,
    }


def obs_normalizer_from(state: dict[str, Any]) -> ObsNormalizer | None:
    """The frozen observation normaliser of a loaded training checkpoint (None when the run
    did not normalise observations, or the file holds weights only). Everything that plays a
    single-agent checkpoint feeds its policy through this: the policy was trained on
    normalised observations and only knows them."""
    saved = state.get("trainer", {}).get("collector", {}).get("obs_norm")
    if saved is None:
        return None
    norm = ObsNormalizer(frozen=True)
    norm.load_state_dict(saved)
    return norm
