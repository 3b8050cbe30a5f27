"""The plugin's own policy network, built on agentctl's public ``ActorCritic`` interface.

A policy only maps observations to ``(logits, value)``; agentctl's ``ActionDist`` does the
masked sampling, log-probs and entropy, so this file is just the network.
"""

from __future__ import annotations

import torch
from agentctl.nn.distributions import ActionDist
from agentctl.nn.policy import ActorCritic, layer_init
from torch import nn


class Connect4Net(ActorCritic):
    """3x3 convs over the (2, 6, 7) board, then a shared dense layer, column logits and a value."""

    def __init__(self, obs_shape, dist: ActionDist, channels: int = 64, convs: int = 3,
                 hidden: int = 128) -> None:
        super().__init__()
        c, h, w = obs_shape
        layers: list[nn.Module] = []
        for _ in range(convs):
            layers += [layer_init(nn.Conv2d(c, channels, 3, padding=1)), nn.ReLU()]
            c = channels
        self.dist = dist
        self.body = nn.Sequential(*layers, nn.Flatten(), layer_init(nn.Linear(c * h * w, hidden)), nn.ReLU())
        self.actor = layer_init(nn.Linear(hidden, dist.num_logits), gain=0.01)
        self.critic = layer_init(nn.Linear(hidden, 1), gain=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.body(obs)
        return self.actor(z), self.critic(z).squeeze(-1)


def build_connect4_net(observation_space, action_space, channels: int = 64, convs: int = 3,
                       hidden: int = 128) -> Connect4Net:
    """Policy builder: ``builder(observation_space, action_space, **policy_kwargs)``."""
    if len(observation_space.shape) != 3:
        raise ValueError(f"c4net needs (C, H, W) observations, got {observation_space.shape}")
    return Connect4Net(observation_space.shape, ActionDist.from_space(action_space), channels, convs, hidden)
