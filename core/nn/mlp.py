"""Separate actor and critic MLPs (the standard PPO network for vector observations)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from agentctl.nn.distributions import ActionDist
from agentctl.nn.gaussian import DiagGaussian, dist_for_space
from agentctl.nn.policy import ActorCritic, layer_init
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x), on large tensors computed as 2 sigmoid(2x) - 1 (the same function; within 2e-7 of
    torch.tanh in float32, as close as two matmul blockings of one layer agree). Why: torch's CPU tanh kernel costs ~3 ns an element where sigmoid costs ~0.5, and a
    64x64 MLP's four tanh layers were the largest single cost of its training step. In place when
    no gradient is recorded (rollouts, the hand-written update), the same ops either way."""
    if x.numel() < 4096:  # a rollout's few rows: one op beats three (dispatch, not arithmetic)
        return torch.tanh(x)
    if torch.is_grad_enabled() and x.requires_grad:
        return torch.sigmoid(x * 2.0) * 2.0 - 1.0
    return torch.sigmoid(x * 2.0).mul_(2.0).sub_(1.0)


_ACT_FN = {nn.Tanh: tanh, nn.ReLU: torch.relu}


def _trunk(in_dim: int, hidden: Sequence[int], act: type[nn.Module]) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [layer_init(nn.Linear(in_dim, width)), act()]
        in_dim = width
    return layers


class MLPPolicy(ActorCritic):
    """For a :class:`DiagGaussian` the actor's output is the action mean and ``log_std`` a
    parameter (``state_dependent_std``: the actor predicts both); ``forward`` returns
    ``concat(mean, log_std)`` as the distribution's logits either way."""

    def __init__(self, obs_dim: int, dist: ActionDist | DiagGaussian, hidden_sizes: Sequence[int] = (64, 64),
                 activation: str = "tanh", log_std_init: float = 0.0, state_dependent_std: bool = False) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        act = ACTIVATIONS[activation]
        last = hidden_sizes[-1] if hidden_sizes else obs_dim
        self.dist = dist
        gaussian = isinstance(dist, DiagGaussian)
        out = dist.dim if gaussian and not state_dependent_std else dist.num_logits
        head = layer_init(nn.Linear(last, out), gain=0.01)
        self.log_std: nn.Parameter | None = None  # categorical, or predicted by the head's second half
        if gaussian and not state_dependent_std:
            self.log_std = nn.Parameter(torch.full((dist.dim,), float(log_std_init)))
        elif gaussian:
            nn.init.constant_(head.bias[dist.dim:], float(log_std_init))
        self.actor = nn.Sequential(*_trunk(obs_dim, hidden_sizes, act), head)
        self.critic = nn.Sequential(*_trunk(obs_dim, hidden_sizes, act),
                                    layer_init(nn.Linear(last, 1), gain=1.0))
        self._act = _ACT_FN[act]
        # Plain lists of the same Linear modules (not registered twice; state_dict unchanged).
        self._actor_layers = [m for m in self.actor if isinstance(m, nn.Linear)]
        self._critic_layers = [m for m in self.critic if isinstance(m, nn.Linear)]

    @staticmethod
    def _run(layers: list[nn.Linear], act, x: torch.Tensor) -> torch.Tensor:
        for layer in layers[:-1]:
            x = act(F.linear(x, layer.weight, layer.bias))
        last = layers[-1]
        return F.linear(x, last.weight, last.bias)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Same layers and math as calling the Sequentials, without nn.Module.__call__ per layer
        # (~1.5 us each, 14 per forward, tens of thousands of forwards per run).
        obs = obs.flatten(1)
        logits = self._run(self._actor_layers, self._act, obs)
        if self.log_std is not None:
            logits = torch.cat([logits, self.log_std.expand_as(logits)], dim=-1)
        return logits, self._run(self._critic_layers, self._act, obs).squeeze(-1)


def build_mlp(observation_space, action_space, hidden_sizes: Sequence[int] = (64, 64),
              activation: str = "tanh", log_std_init: float = 0.0, state_dependent_std: bool = False,
              squash: str = "clip") -> MLPPolicy:
    """Any Box observation (flattened); Discrete, MultiDiscrete or 1-D Box actions.
    ``hidden_sizes=[]`` is a linear policy. For Box actions (a diagonal Gaussian): the initial
    ``log_std``, whether the std depends on the state, and ``squash`` ("clip" the sample to the
    bounds, or "tanh"-squash it into them; see :mod:`agentctl.nn.gaussian`)."""
    if not (isinstance(hidden_sizes, (list, tuple))
            and all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in hidden_sizes)):
        raise ValueError(f"mlp hidden_sizes must be a list of layer widths >= 1 such as [64, 64], got {hidden_sizes!r}")
    dist = dist_for_space(action_space, squash=squash)
    if not isinstance(dist, DiagGaussian) and (log_std_init != 0.0 or state_dependent_std):
        raise ValueError("log_std_init and state_dependent_std apply to Box action spaces only")
    obs_dim = int(np.prod(observation_space.shape))
    return MLPPolicy(obs_dim, dist, list(hidden_sizes), activation, log_std_init, state_dependent_std)


