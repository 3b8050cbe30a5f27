"""A small convolutional actor-critic for channel-first image or board observations."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from agentctl.nn.distributions import ActionDist
from agentctl.nn.policy import ActorCritic, layer_init
from torch import nn


class CNNPolicy(ActorCritic):
    """3x3 same-padding convs (board sized inputs keep their size), then shared dense heads."""

    def __init__(self, obs_shape: Sequence[int], dist: ActionDist, channels: Sequence[int] = (32, 64),
                 hidden: int = 256) -> None:
        super().__init__()
        if len(obs_shape) != 3:
            raise ValueError(f"cnn policy needs (C, H, W) observations, got shape {tuple(obs_shape)}")
        c, h, w = obs_shape
        layers: list[nn.Module] = []
        for out in channels:
            layers += [layer_init(nn.Conv2d(c, out, 3, padding=1)), nn.ReLU()]
            c = out
        self.dist = dist
        self.body = nn.Sequential(*layers, nn.Flatten(),
                                  layer_init(nn.Linear(c * h * w, hidden)), nn.ReLU())
        self.actor = layer_init(nn.Linear(hidden, dist.num_logits), gain=0.01)
        self.critic = layer_init(nn.Linear(hidden, 1), gain=1.0)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.body(obs)
        return self.actor(z), self.critic(z).squeeze(-1)


def _width(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def build_cnn(observation_space, action_space, channels: Sequence[int] = (32, 64),
              hidden: int = 256) -> CNNPolicy:
    if not (isinstance(channels, (list, tuple)) and all(_width(c) for c in channels)):
        raise ValueError(f"cnn channels must be a list of conv widths >= 1 such as [32, 64], got {channels!r}")
    if not _width(hidden):
        raise ValueError(f"cnn hidden must be an integer >= 1, got {hidden!r}")
    return CNNPolicy(observation_space.shape, ActionDist.from_space(action_space), list(channels), hidden)
