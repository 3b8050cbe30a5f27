"""A residual CNN for board games: fully convolutional, so one net fits any board size.

Per-point logits come from a 1x1 conv over the board; extra actions past the board's
points (e.g. Go's pass) come from global-pooled features. The value head pools globally
too. This is the AlphaZero-style tower, sized by ``blocks`` and ``channels``.

Auxiliary heads (``aux=True``, the default) predict what a finished game reveals about every
position in it: who owns each point at the end (``ownership``, tanh per point, +1 the player to
move) and the final score margin (``score``, in units of the board's point count). Trained
beside PPO (config ``aux_coef``) or by a warm start, they give the trunk a target per point
instead of one bit per game, the lesson of KataGo. They do not touch the policy or the value:
``forward`` is unchanged, ``forward_aux`` adds their outputs.
"""

from __future__ import annotations

import torch
from agentctl.nn.distributions import ActionDist
from agentctl.nn.policy import ActorCritic, layer_init
from torch import nn


class ResidualBlock(nn.Module):
    """conv-relu-conv plus skip, no BatchNorm: PPO collects with the same weights it then
    evaluates, and batch statistics would make the two disagree (ratio != 1 at epoch 0).
    The second conv starts near zero so every block starts close to the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        nn.init.kaiming_normal_(self.conv1.weight, nonlinearity="relu")
        nn.init.zeros_(self.conv1.bias)
        nn.init.normal_(self.conv2.weight, std=1e-3)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class BoardResNet(ActorCritic):
    """Board planes [B, C, H, W] -> logits over H*W points (+ ``extra`` global actions), value."""

    def __init__(self, in_channels: int, dist: ActionDist, points: int, blocks: int = 4,
                 channels: int = 32, aux: bool = True) -> None:
        super().__init__()
        if dist.num_logits < points:
            raise ValueError(f"{dist.num_logits} actions is fewer than the board's {points} points")
        self.dist = dist
        self.extra = dist.num_logits - points
        self.stem = nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU())
        self.tower = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.point_head = nn.Conv2d(channels, 1, 1)
        self.extra_head = layer_init(nn.Linear(channels, self.extra), gain=0.01) if self.extra else None
        self.value_head = nn.Sequential(layer_init(nn.Linear(channels, channels)), nn.ReLU(),
                                        layer_init(nn.Linear(channels, 1), gain=1.0))
        nn.init.normal_(self.point_head.weight, std=0.01)
        nn.init.zeros_(self.point_head.bias)
        self.points = points
        if aux:
            self.ownership_head = nn.Conv2d(channels, 1, 1)
            self.score_head = nn.Sequential(layer_init(nn.Linear(channels, channels)), nn.ReLU(),
                                            layer_init(nn.Linear(channels, 1), gain=1.0))
        else:
            self.ownership_head = self.score_head = None

    @property
    def aux_names(self) -> tuple[str, ...]:
        """The auxiliary targets this net predicts (none without aux heads)."""
        return ("ownership", "score") if self.ownership_head is not None else ()

    def _trunk(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        z = self.tower(self.stem(obs))
        logits = self.point_head(z).flatten(1)
        pooled = z.mean(dim=(2, 3))
        if self.extra_head is not None:
            logits = torch.cat([logits, self.extra_head(pooled)], dim=1)
        return z, pooled, logits, self.value_head(pooled).squeeze(-1)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, _, logits, value = self._trunk(obs)
        return logits, value

    def forward_aux(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """(logits, value, {"ownership": [B, H*W] in (-1, 1), "score": [B]}) in one pass."""
        z, pooled, logits, value = self._trunk(obs)
        if self.ownership_head is None:
            return logits, value, {}
        aux = {"ownership": torch.tanh(self.ownership_head(z).flatten(1)),
               "score": self.score_head(pooled).squeeze(-1)}
        return logits, value, aux

    def aux_loss(self, name: str, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-sample loss [B] of one auxiliary head. Ownership: the cross-entropy of the
        predicted owner probabilities (1 + o) / 2 against the target's, mean over points
        (KataGo's form; a neutral point, target 0, asks for 50/50). Score: squared error of
        the margin in units of the board's point count (a 9x9 margin of 10 is 0.12)."""
        target = target.to(pred.dtype)
        if name == "ownership":
            p = ((1 + pred) / 2).clamp(1e-6, 1 - 1e-6)
            q = (1 + target) / 2
            return -(q * p.log() + (1 - q) * (1 - p).log()).mean(dim=1)
        if name == "score":
            return (pred - target / self.points) ** 2
        raise KeyError(f"no auxiliary head {name!r}; this net has {list(self.aux_names)}")

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Weights saved before the auxiliary heads existed load with the heads left as
        initialised (they only shape the trunk's training, never play)."""
        missing = {k: v for k, v in self.state_dict().items()
                   if k.startswith(("ownership_head.", "score_head.")) and k not in state_dict}
        return super().load_state_dict({**state_dict, **missing}, strict=strict, assign=assign)


def build_resnet(observation_space, action_space, blocks: int = 4, channels: int = 32, aux: bool = True) -> BoardResNet:
    for key, value, low in (("blocks", blocks, 0), ("channels", channels, 1)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= low):
            raise ValueError(f"resnet {key} must be an integer >= {low}, got {value!r}")
    shape = observation_space.shape
    if len(shape) != 3:
        raise ValueError(f"resnet policy needs (C, H, W) board planes, got shape {tuple(shape)}")
    dist = ActionDist.from_space(action_space)
    return BoardResNet(shape[0], dist, shape[1] * shape[2], blocks, channels, bool(aux))
