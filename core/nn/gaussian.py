"""Diagonal-Gaussian actions for gymnasium ``Box`` action spaces, on raw tensors.

Same interface as :class:`agentctl.nn.distributions.ActionDist`, so the rollout, the PPO update
and the init-KL anchor use it unchanged. A policy's "logits" are the distribution's parameters
``params = concat(mean, log_std)`` ``[..., 2D]`` (``num_logits = 2D``): a policy with a
state-independent std expands its ``log_std`` parameter next to the mean, one with a
state-dependent std predicts both.

The stored action is always the raw Gaussian sample ``u`` (unbounded), and its log-prob is that
sample's; :meth:`DiagGaussian.to_env` is the one place that maps it to what the env receives:

- ``squash="clip"`` (default): ``clamp(u, low, high)``. The log-prob is the plain Gaussian one,
  with no correction: clipping is part of the env, not of the policy (CleanRL's and SB3's default,
  the peers we benchmark against), and entropy and KL keep their closed forms.
- ``squash="tanh"``: ``low + (tanh(u) + 1) * (high - low) / 2``, so the mean's gradient never
  vanishes against a clipped bound. The log-prob is then the density of the env action,
  ``log N(u) - sum(log(1 - tanh(u)^2) + log((high - low) / 2))``. The correction depends on the
  action only, so it cancels in PPO's ratio, and KL is invariant under the same bijection applied
  to both sides, so KL stays exact; the entropy of the squashed action has no closed form, and
  :meth:`DiagGaussian.entropy` returns the Gaussian's (of ``u``) as the usual estimate.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from agentctl.nn.distributions import ActionDist
from torch.nn import functional as F

__all__ = ["SQUASHES", "DiagGaussian", "dist_for_space"]

SQUASHES = ("clip", "tanh")
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class DiagGaussian:
    """Independent normals over ``D`` action dimensions bounded by ``low``/``high`` (``inf``
    bounds: unbounded). Actions are float ``[..., D]``; ``params`` are ``[..., 2D]``."""

    def __init__(self, low, high, *, squash: str = "clip") -> None:
        low = np.asarray(low, dtype=np.float64).reshape(-1)
        high = np.asarray(high, dtype=np.float64).reshape(-1)
        if low.shape != high.shape or low.size == 0:
            raise ValueError(f"DiagGaussian needs low and high of the same non-empty 1-D shape, got "
                             f"{low.shape} and {high.shape}")
        if not (low <= high).all():
            raise ValueError(f"DiagGaussian needs low <= high, got low={low.tolist()} high={high.tolist()}")
        if squash not in SQUASHES:
            raise ValueError(f"squash must be one of {list(SQUASHES)}, got {squash!r}")
        if squash == "tanh" and not np.isfinite(np.concatenate([low, high])).all():
            raise ValueError("squash='tanh' needs finite action bounds; use squash='clip' for an unbounded Box")
        self.dim: int = int(low.size)
        self.num_logits: int = 2 * self.dim
        self.squash: str = squash
        self.low, self.high = low, high
        self._bounded = bool(np.isfinite(np.concatenate([low, high])).any())
        self._bounds: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    @classmethod
    def from_space(cls, space, *, squash: str = "clip") -> DiagGaussian:
        """Build from a 1-D gymnasium ``Box``."""
        if len(space.shape) != 1:
            raise ValueError(f"Box action space must be 1-D, got shape {tuple(space.shape)}; "
                             "flatten it in the env wrapper")
        return cls(space.low, space.high, squash=squash)

    def __repr__(self) -> str:
        return f"DiagGaussian(dim={self.dim}, squash={self.squash!r})"

    # -- internals -------------------------------------------------------------------------

    def _split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return params[..., :self.dim], params[..., self.dim:]

    @staticmethod
    def _no_mask(mask: torch.Tensor | None) -> None:
        if mask is not None:
            raise ValueError("action masks apply to discrete actions only; a Box action space has none")

    def _bound(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """(low, high) for clipping, or (center, half-range) for tanh, as float32 on ``device``."""
        b = self._bounds.get(device)
        if b is None:
            if self.squash == "tanh":
                pair = ((self.high + self.low) / 2, (self.high - self.low) / 2)
            else:
                pair = (self.low, self.high)
            b = self._bounds[device] = tuple(torch.as_tensor(x, dtype=torch.float32, device=device) for x in pair)
        return b

    def _log_det(self, u: torch.Tensor) -> torch.Tensor:
        """``sum(log |d to_env(u) / du|)`` for tanh: ``log(1 - tanh(u)^2)`` written as
        ``2 * (log 2 - u - softplus(-2u))``, equal but finite for every ``u`` (no eps needed),
        plus the rescaling's constant ``log((high - low) / 2)``."""
        _, half = self._bound(u.device)
        return (2 * (math.log(2) - u - F.softplus(-2 * u)) + half.log()).sum(-1)

    def _gaussian_log_prob(self, z: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
        """Summed log-density given the standardized sample ``z = (u - mean) / std``."""
        return (-0.5 * z.square() - log_std - _HALF_LOG_2PI).sum(-1)

    def _noise(self, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        device = generator.device if generator is not None else like.device
        z = torch.randn(like.shape, generator=generator, device=device, dtype=like.dtype)
        return z if z.device == like.device else z.to(like.device)

    # -- public API (ActionDist's) ---------------------------------------------------------

    def to_env(self, actions: torch.Tensor) -> torch.Tensor:
        """The action the env receives for a stored (raw) sample: clipped or tanh-rescaled."""
        if self.squash == "tanh":
            center, half = self._bound(actions.device)
            return center + half * torch.tanh(actions)
        if not self._bounded:
            return actions
        low, high = self._bound(actions.device)
        return torch.clamp(actions, low, high)

    def sample(self, params: torch.Tensor, mask: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        self._no_mask(mask)
        mean, log_std = self._split(params)
        return mean + log_std.exp() * self._noise(mean, generator)

    def mode(self, params: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The mean (its ``to_env`` is the deterministic action)."""
        self._no_mask(mask)
        return self._split(params)[0]

    def log_prob(self, params: torch.Tensor, actions: torch.Tensor,
                 mask: torch.Tensor | None = None) -> torch.Tensor:
        """log pi(a|s) of raw samples, summed over dimensions -> ``[...]``."""
        self._no_mask(mask)
        mean, log_std = self._split(params)
        logp = self._gaussian_log_prob((actions - mean) * torch.exp(-log_std), log_std)
        if self.squash == "tanh":
            logp = logp - self._log_det(actions)
        return logp

    def entropy(self, params: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Gaussian entropy ``sum(log_std + 0.5 + 0.5 log 2pi)`` (for tanh: the estimate, see
        the module docstring)."""
        self._no_mask(mask)
        return (self._split(params)[1] + 0.5 + _HALF_LOG_2PI).sum(-1)

    def kl(self, ref_params: torch.Tensor, params: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """KL(ref || this), closed form, summed over dimensions -> ``[...]``."""
        self._no_mask(mask)
        ref_mean, ref_log_std = self._split(ref_params)
        mean, log_std = self._split(params)
        ratio = ((ref_mean - mean).square() + (2 * ref_log_std).exp()) * torch.exp(-2 * log_std)
        return (log_std - ref_log_std + 0.5 * ratio - 0.5).sum(-1)

    def evaluate(self, params: torch.Tensor, actions: torch.Tensor,
                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(log_prob, entropy): the training-step path."""
        return self.log_prob(params, actions, mask), self.entropy(params, mask)

    def sample_with_log_prob(self, params: torch.Tensor, mask: torch.Tensor | None = None,
                             generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(raw actions, their log_prob): the rollout path."""
        self._no_mask(mask)
        mean, log_std = self._split(params)
        z = self._noise(mean, generator)
        actions = mean + log_std.exp() * z
        logp = self._gaussian_log_prob(z, log_std)
        if self.squash == "tanh":
            logp = logp - self._log_det(actions)
        return actions, logp


def dist_for_space(space, *, squash: str = "clip") -> ActionDist | DiagGaussian:
    """The action distribution for a gymnasium action space: a categorical for Discrete and
    MultiDiscrete, a diagonal Gaussian for a 1-D Box (``squash`` applies to Box only)."""
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        return DiagGaussian.from_space(space, squash=squash)
    if squash != "clip":
        raise ValueError(f"squash={squash!r} applies to Box action spaces only, got {space!r}")
    return ActionDist.from_space(space)
