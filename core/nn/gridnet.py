"""GridNet: one action per grid cell, from an encoder-decoder CNN (Huang et al. 2021, gym-microrts).

The action space is a per-cell pattern ``P`` of MultiDiscrete components tiled once per cell
(``MultiDiscrete(np.tile(P, H * W))``, cells row-major). The encoder downsamples the board with
conv + max-pool stages; transposed convs bring it back to exactly ``H x W`` (any size, odd ones
too), and a 1x1 conv gives ``sum(P)`` logits per cell, laid out cell-major to match the actions.
The critic reads the encoder's bottleneck. The actor is fully convolutional: a cell's logits see
its neighbourhood (the receptive field), which is what makes per-cell control learnable. Unlike
gym-microrts's GridNet, the decoder has U-Net skips (see :class:`GridNetPolicy`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from agentctl.nn.cell_dist import CellActionDist
from agentctl.nn.policy import ActorCritic, layer_init
from torch import nn


def _halve(n: int) -> int:
    """Size after a 3x3, stride-2, padding-1 max-pool: ceil(n / 2), so odd sizes keep their edge."""
    return (n - 1) // 2 + 1


def _up(n_in: int, n_out: int) -> int:
    """``output_padding`` that makes a 3x3, stride-2, padding-1 transposed conv give ``n_out``.

    Without it the output is ``2 * n_in - 1``; ``n_out`` is ``2 * n_in - 1`` or ``2 * n_in``
    because ``n_in`` came from :func:`_halve`, so the padding is 0 or 1.
    """
    return n_out - (2 * n_in - 1)


class GridNetPolicy(ActorCritic):
    """(C, H, W) planes -> logits ``[B, H * W * sum(P)]`` (cell (y, x) row-major, then P), value.

    Each encoder stage is conv + ReLU at its resolution, then a 3x3 stride-2 max-pool; each
    decoder stage is a transposed conv back up to the mirror stage's size, added to that stage's
    features (a U-Net skip) before its ReLU. Without the skips a cell's own contents reach its
    logits only through the pooled bottleneck, which blurs where in its 2x2 block a unit stands:
    on a per-cell lookup task the plain encoder-decoder was still at 78% after 600 Adam steps.
    A 1x1 conv then maps the full-resolution features to each cell's logits.
    """

    def __init__(self, obs_shape: Sequence[int], cell_nvec: Sequence[int], channels: Sequence[int] = (32, 64),
                 hidden: int = 128) -> None:
        super().__init__()
        c, h, w = obs_shape
        self.dist = CellActionDist(cell_nvec, h * w)  # computes only on the cells with a choice
        sizes = [(h, w)]  # sizes[i]: the spatial size encoder stage i works at; sizes[-1]: the bottleneck's
        self.down = nn.ModuleList()
        for out in channels:
            self.down.append(nn.Sequential(layer_init(nn.Conv2d(c, out, 3, padding=1)), nn.ReLU()))
            sizes.append((_halve(sizes[-1][0]), _halve(sizes[-1][1])))
            c = out
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        # up[i] brings stage i+1's size back to stage i's (a 3x3 stride-2 transposed conv whose
        # output_padding fixes odd sizes), with stage i's width so the skip adds on.
        self.up = nn.ModuleList()
        for i in reversed(range(len(channels))):
            (hi, wi), (ho, wo) = sizes[i + 1], sizes[i]
            self.up.append(layer_init(nn.ConvTranspose2d(c, channels[i], 3, stride=2, padding=1,
                                                         output_padding=(_up(hi, ho), _up(wi, wo)))))
            c = channels[i]
        self.actor = layer_init(nn.Conv2d(c, int(sum(cell_nvec)), 1), gain=0.01)
        bh, bw = sizes[-1]
        self.critic = nn.Sequential(nn.Flatten(), layer_init(nn.Linear(channels[-1] * bh * bw, hidden)), nn.ReLU(),
                                    layer_init(nn.Linear(hidden, 1), gain=1.0))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = obs.float()
        skips = []
        for stage in self.down:
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        z = x  # the bottleneck
        for up, skip in zip(self.up, reversed(skips)):
            x = torch.relu(up(x) + skip)
        logits = self.actor(x)  # [B, sum(P), H, W]
        return logits.permute(0, 2, 3, 1).flatten(1), self.critic(z).squeeze(-1)


def _width(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def build_gridnet(observation_space, action_space, channels: Sequence[int] = (32, 64),
                  hidden: int = 128) -> GridNetPolicy:
    """A GridNet for (C, H, W) observations and a MultiDiscrete of one pattern tiled H * W times."""
    from gymnasium import spaces

    if not (isinstance(channels, (list, tuple)) and channels and all(_width(c) for c in channels)):
        raise ValueError(f"gridnet channels must be a non-empty list of conv widths >= 1 such as [32, 64], "
                         f"got {channels!r}")
    if not _width(hidden):
        raise ValueError(f"gridnet hidden must be an integer >= 1, got {hidden!r}")
    shape = tuple(observation_space.shape or ())
    if len(shape) != 3:
        raise ValueError(f"gridnet policy needs (C, H, W) observations, got shape {shape}")
    cells = shape[1] * shape[2]
    if not (isinstance(action_space, spaces.MultiDiscrete) and action_space.nvec.ndim == 1):
        raise ValueError(f"gridnet policy needs a 1-D MultiDiscrete action space (one action per cell), "
                         f"got {action_space!r}")
    if (getattr(action_space, "start", None) is not None) and np.any(action_space.start != 0):
        raise ValueError("gridnet policy needs MultiDiscrete actions starting at 0; shift them in the env wrapper")
    nvec = action_space.nvec
    per_cell = len(nvec) // cells
    if per_cell == 0 or len(nvec) != per_cell * cells or not np.array_equal(nvec, np.tile(nvec[:per_cell], cells)):
        raise ValueError(f"gridnet policy needs the action space to be one per-cell pattern tiled once per cell "
                         f"({shape[1]}x{shape[2]} = {cells} cells), got {len(nvec)} components that are not")
    return GridNetPolicy(shape, nvec[:per_cell].tolist(), list(channels), hidden)
