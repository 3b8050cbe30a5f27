"""The actor-critic interface every policy builder returns.

A policy only maps observations to ``(logits, value)``; sampling, log-probs and masked
entropy live once in :class:`agentctl.nn.distributions.ActionDist`, so a new network never
re-implements them (and never builds slow ``torch.distributions`` objects).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from agentctl.nn.distributions import ActionDist
from torch import nn


class ActorCritic(nn.Module):
    """Subclasses set ``self.dist`` and implement ``forward(obs) -> (logits, value)``."""

    dist: ActionDist

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # pragma: no cover
        raise NotImplementedError

    def get_value(self, obs: torch.Tensor) -> torch.Tensor:
        return self(obs)[1]

    def get_action_and_value(
        self,
        obs: torch.Tensor,
        mask: torch.Tensor | None = None,
        action: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        deterministic: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(action, log_prob, entropy, value); samples an action unless one is given."""
        logits, value = self(obs)
        if action is None:
            action = choose(self.dist, logits, mask, deterministic, generator)
        log_prob, entropy = self.dist.evaluate(logits, action, mask)
        return action, log_prob, entropy, value


def choose(dist: ActionDist, logits: torch.Tensor, mask: torch.Tensor | None, deterministic: bool,
           generator: torch.Generator | None) -> torch.Tensor:
    """The greedy (mode) action when ``deterministic``, else one sampled with ``generator``."""
    if deterministic:
        return dist.mode(logits, mask)
    return dist.sample(logits, mask, generator)


def layer_init(layer: nn.Module, gain: float = math.sqrt(2), bias: float = 0.0) -> nn.Module:
    """Orthogonal weights, constant bias: the init PPO implementations are tuned with."""
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.constant_(layer.bias, bias)
    return layer


@torch.inference_mode()
def act(policy: ActorCritic, obs: Any, mask: Any = None, *, deterministic: bool = False,
        generator: torch.Generator | None = None) -> np.ndarray:
    """Actions for a batch of observations (numpy in, numpy out): the policy's greedy action
    when ``deterministic``, else a sample drawn with ``generator``. ``mask`` ([B, A] bool,
    True = legal) keeps illegal actions from ever being chosen. The result is what the env
    receives (``dist.to_env``: continuous actions clipped or squashed to the bounds). Every place
    that plays a policy (evaluation, opponents, GTP) acts through this one function."""
    dev = next(policy.parameters()).device
    x = torch.as_tensor(np.asarray(obs), dtype=torch.float32, device=dev)
    m = None if mask is None else torch.as_tensor(np.asarray(mask), device=dev).bool()
    logits, _ = policy(x)
    return policy.dist.to_env(choose(policy.dist, logits, m, deterministic, generator)).cpu().numpy()
