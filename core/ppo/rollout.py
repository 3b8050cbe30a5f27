"""Collecting experience from a Gymnasium vector env (Gymnasium 1.x autoreset semantics).

Gymnasium's default ``NEXT_STEP`` autoreset: the step that ends an episode returns the
episode's final observation with ``terminated``/``truncated`` set; the *next* ``step`` call
ignores its action and returns the reset observation with reward 0. We keep that reset step
in the [T, N] buffer (it holds the final observation, whose value bootstraps a truncated
episode) but mark it invalid: it is never trained on and adds nothing to episode returns.

Optional step infos from an env: ``next_is_opponent`` (bool [N]: the next observation is
the other side's, in a zero-sum game the learner plays both seats of; advantages then flip
sign, see :func:`agentctl.ppo.advantages.gae`), ``unscored`` (bool [N]: the episode that just
ended is no one player's return, e.g. such a game: it trains but is not reported) and ``aux_targets`` ({env index: {name: [k,
...]}}: targets for the last k transitions of the episode that just ended in that env, for a
policy's auxiliary heads; read only from envs whose ``targeted`` attribute is true). Targets for transitions collected in an earlier rollout are
already trained on and are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from agentctl.errors import EnvFailed, UserError, first_line
from agentctl.nn.policy import ActorCritic
from agentctl.normalize import ObsNormalizer, RewardScaler


def split_obs(obs: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(observation, action_mask) from a plain array or a PettingZoo-style masked dict."""
    if isinstance(obs, dict):
        if "observation" not in obs or "action_mask" not in obs:
            raise UserError(f"dict observations need 'observation' and 'action_mask' keys, got {sorted(obs)}")
        return obs["observation"], obs["action_mask"]
    return obs, None


def inner_space(space: Any) -> Any:
    """The observation space a policy sees (the 'observation' part of a masked Dict)."""
    spaces = getattr(space, "spaces", None)
    if isinstance(spaces, dict) and "observation" in spaces:
        return spaces["observation"]
    return space


def check_autoreset(envs: Any) -> None:
    mode = getattr(envs, "metadata", {}).get("autoreset_mode")
    if mode is not None and getattr(mode, "name", str(mode)) not in ("NEXT_STEP", "AutoresetMode.NEXT_STEP"):
        raise UserError(f"vector env uses autoreset mode {mode}; agentctl expects NEXT_STEP (the default)")


@dataclass
class Rollout:
    """One rollout, shape [T, N] (obs [T, N, ...]); ``next_values`` is V(s'_t)."""

    obs: torch.Tensor
    masks: torch.Tensor | None
    actions: torch.Tensor
    logprobs: torch.Tensor
    values: torch.Tensor
    next_values: torch.Tensor
    rewards: torch.Tensor
    terminated: torch.Tensor
    dones: torch.Tensor
    valid: torch.Tensor
    env_steps: int  # transitions that count as experience (valid ones)
    signs: torch.Tensor | None = None  # -1 where the next observation is the other side's
    aux: dict[str, torch.Tensor] | None = None  # name -> [T, N, ...] auxiliary targets
    aux_valid: torch.Tensor | None = None  # [T, N] the transition's targets arrived


class Collector:
    """Steps ``num_envs`` envs for ``num_steps`` per rollout with the current policy.

    ``obs_norm`` / ``reward_scale`` (config normalize_obs / normalize_reward): the policy sees,
    and the rollout stores, normalised observations and scaled rewards; the episode returns it
    reports stay the env's raw ones."""

    def __init__(self, envs: Any, num_steps: int, device: torch.device, seed: int,
                 obs_norm: ObsNormalizer | None = None, reward_scale: RewardScaler | None = None) -> None:
        check_autoreset(envs)
        self.envs = envs
        self.num_envs = envs.num_envs
        self.num_steps = num_steps
        self.device = device
        self.obs_norm = obs_norm
        self.reward_scale = reward_scale
        obs, _ = envs.reset(seed=seed)
        self._set_next(obs)
        self.prev_done = np.zeros(self.num_envs, dtype=bool)
        self.ep_return = np.zeros(self.num_envs, dtype=np.float64)
        self.ep_length = np.zeros(self.num_envs, dtype=np.int64)
        self._buf: dict[str, torch.Tensor] | None = None

    def _set_next(self, obs: Any) -> None:
        arr, mask = split_obs(obs)
        if self.obs_norm is not None:
            arr = self.obs_norm(arr)
        self.next_obs = torch.as_tensor(np.asarray(arr), dtype=torch.float32, device=self.device)
        self.next_mask = None if mask is None else torch.as_tensor(np.asarray(mask), device=self.device).bool()

    def _alloc(self) -> dict[str, torch.Tensor]:
        T, N, dev = self.num_steps, self.num_envs, self.device
        buf = {
            "obs": torch.zeros((T, N, *self.next_obs.shape[1:]), device=dev),
            "actions": None,
            "logprobs": torch.zeros((T, N), device=dev),
            "values": torch.zeros((T + 1, N), device=dev),
        }
        if self.next_mask is not None:
            buf["masks"] = torch.zeros((T, N, *self.next_mask.shape[1:]), dtype=torch.bool, device=dev)
        return buf

    @torch.inference_mode()
    def collect(self, policy: ActorCritic, generator: torch.Generator | None) -> tuple[Rollout, list[tuple[float, int]]]:
        """Run one rollout; returns it and the (return, length) of episodes that finished."""
        if self._buf is None:
            self._buf = self._alloc()
        buf, T, N = self._buf, self.num_steps, self.num_envs
        rewards = np.zeros((T, N), dtype=np.float32)
        terminated = np.zeros((T, N), dtype=bool)
        truncated = np.zeros((T, N), dtype=bool)
        valid = np.zeros((T, N), dtype=bool)
        signs = np.ones((T, N), dtype=np.float32)
        aux: dict[str, np.ndarray] = {}
        aux_valid = np.zeros((T, N), dtype=bool)
        episode_steps: list[list[int]] = [[] for _ in range(N)]  # this rollout's t of each env's episode
        targeted = bool(getattr(self.envs, "targeted", False))  # envs that send aux_targets say so
        actions = []
        finished: list[tuple[float, int]] = []
        dist = policy.dist
        for t in range(T):
            obs, mask = self.next_obs, self.next_mask
            buf["obs"][t] = obs
            if mask is not None:
                buf["masks"][t] = mask
            logits, value = policy(obs)
            action, logprob = dist.sample_with_log_prob(logits, mask, generator)
            buf["values"][t] = value
            buf["logprobs"][t] = logprob
            actions.append(action)
            try:
                next_obs, reward, term, trunc, info = self.envs.step(dist.to_env(action).cpu().numpy())
            except (UserError, KeyboardInterrupt):
                raise
            except Exception as exc:
                raise EnvFailed(f"step() raised {type(exc).__name__}: {first_line(exc)}") from exc
            ok = ~self.prev_done
            valid[t] = ok
            rewards[t] = reward
            terminated[t] = term
            truncated[t] = trunc
            done = np.logical_or(term, trunc)
            if self.reward_scale is not None:
                rewards[t] = self.reward_scale(reward, done, ok)
            flip = info.get("next_is_opponent") if isinstance(info, dict) else None
            if flip is not None:
                signs[t] = np.where(np.asarray(flip, dtype=bool), -1.0, 1.0)
            if targeted:  # which rows of this rollout each env's episode holds, for its targets
                for i in np.flatnonzero(ok):
                    episode_steps[i].append(t)
                targets = info.get("aux_targets") if isinstance(info, dict) else None
                if targets:
                    self._label(targets, episode_steps, t, aux, aux_valid)
                for i in np.flatnonzero(done):
                    episode_steps[i] = []
            self.ep_return += np.where(ok, reward, 0.0)
            self.ep_length += ok
            ended = done & ok
            if ended.any():
                unscored = info.get("unscored") if isinstance(info, dict) else None
                for i in np.flatnonzero(ended):
                    if unscored is None or not unscored[i]:
                        finished.append((float(self.ep_return[i]), int(self.ep_length[i])))
                self.ep_return[ended] = 0.0
                self.ep_length[ended] = 0
            self.prev_done = done
            self._set_next(next_obs)
        buf["values"][T] = policy(self.next_obs)[1]
        dev = self.device
        dones = np.logical_or(terminated, truncated)
        rollout = Rollout(
            obs=buf["obs"],
            masks=buf.get("masks"),
            actions=torch.stack(actions),
            logprobs=buf["logprobs"],
            values=buf["values"][:T],
            next_values=buf["values"][1:],
            rewards=torch.from_numpy(rewards).to(dev),
            terminated=torch.from_numpy(terminated).to(dev, torch.float32),
            dones=torch.from_numpy(dones).to(dev, torch.float32),
            valid=torch.from_numpy(valid).to(dev),
            env_steps=int(valid.sum()),
            signs=torch.from_numpy(signs).to(dev) if (signs < 0).any() else None,
            aux={k: torch.from_numpy(v).to(dev) for k, v in aux.items()} if aux else None,
            aux_valid=torch.from_numpy(aux_valid).to(dev) if aux else None,
        )
        return rollout, finished

    def _label(self, targets: dict[int, dict[str, np.ndarray]], episode_steps: list[list[int]], t: int,
               aux: dict[str, np.ndarray], aux_valid: np.ndarray) -> None:
        """Write an ended episode's targets onto its transitions in this rollout (its last
        rows; earlier rows belong to transitions of a rollout already trained on)."""
        T, N = aux_valid.shape
        for i, per_name in targets.items():
            steps = episode_steps[i]
            for name, rows in per_name.items():
                rows = np.asarray(rows, dtype=np.float32)
                if name not in aux:
                    aux[name] = np.zeros((T, N, *rows.shape[1:]), dtype=np.float32)
                m = min(len(steps), len(rows))
                if m:
                    aux[name][steps[len(steps) - m:], i] = rows[len(rows) - m:]
            m = min(len(steps), min(len(r) for r in per_name.values()))
            if m:
                aux_valid[steps[len(steps) - m:], i] = True

    # -- exact resume ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "next_obs": self.next_obs.cpu(),
            "next_mask": None if self.next_mask is None else self.next_mask.cpu(),
            "prev_done": self.prev_done.copy(),
            "ep_return": self.ep_return.copy(),
            "ep_length": self.ep_length.copy(),
            "obs_norm": None if self.obs_norm is None else self.obs_norm.state_dict(),
            "reward_scale": None if self.reward_scale is None else self.reward_scale.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.next_obs = state["next_obs"].to(self.device)
        self.next_mask = None if state["next_mask"] is None else state["next_mask"].to(self.device)
        self.prev_done = state["prev_done"].copy()
        self.ep_return = state["ep_return"].copy()
        self.ep_length = state["ep_length"].copy()
        self.load_statistics(state)

    def load_statistics(self, state: dict[str, Any]) -> None:
        """The normalisers' statistics alone (a resume whose envs restart from reset keeps them)."""
        for key in ("obs_norm", "reward_scale"):
            mine, saved = getattr(self, key), state.get(key)
            if (mine is None) != (saved is None):
                switch = "normalize_obs" if key == "obs_norm" else "normalize_reward"
                raise ValueError(f"{switch} is {mine is not None} but the checkpoint was trained with "
                                 f"{switch} {saved is not None}")
            if mine is not None:
                mine.load_state_dict(saved)
