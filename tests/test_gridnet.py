"""The GridNet policy: per-cell logits in the action layout, any map size, clear builder errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from agentctl.nn.gridnet import build_gridnet

CELL = [6, 4, 4, 4, 4, 7, 49]  # the RTS per-cell pattern


def spaces(h, w, c=28, cell=CELL):
    return gym.spaces.Box(0, 1, (c, h, w), np.uint8), gym.spaces.MultiDiscrete(np.tile(cell, h * w))


@pytest.mark.parametrize("h,w", [(8, 8), (16, 16), (10, 10), (5, 7), (1, 1)])
def test_shapes_and_uint8_input(h, w):
    torch.manual_seed(0)
    policy = build_gridnet(*spaces(h, w))
    obs = torch.randint(0, 2, (3, 28, h, w), dtype=torch.uint8)
    logits, value = policy(obs)
    assert logits.shape == (3, h * w * sum(CELL)) and value.shape == (3,)
    assert policy.dist.num_logits == h * w * sum(CELL) and policy.dist.num_components == h * w * len(CELL)
    logits_f, value_f = policy(obs.float())
    torch.testing.assert_close(logits, logits_f)
    torch.testing.assert_close(value, value_f)
    mask = torch.ones_like(logits, dtype=torch.bool)
    action, log_prob, entropy, value2 = policy.get_action_and_value(obs, mask)
    assert action.shape == (3, h * w * len(CELL)) and log_prob.shape == entropy.shape == (3,)
    assert ((action >= 0) & (action < torch.tensor(CELL * (h * w)))).all()
    torch.testing.assert_close(value2, value)


def test_actor_starts_near_uniform():
    policy = build_gridnet(*spaces(8, 8))
    logits, _ = policy(torch.randint(0, 2, (4, 28, 8, 8), dtype=torch.uint8))
    assert logits.abs().max() < 0.5  # last layer gain 0.01: near-uniform first rollouts


def test_logits_move_with_the_input():
    """Shift the input by (4, 8) cells and the logits shift by the same cells.

    With zero biases a zero input gives zero features everywhere, so a lone patch's effect is
    local, and two 2x poolings make the net shift-equivariant by multiples of 4. A wrong
    permutation (component-major, or x and y swapped on this non-square map) fails this.
    """
    torch.manual_seed(1)
    h, w, cell = 24, 36, [3, 2]
    policy = build_gridnet(*spaces(h, w, c=3, cell=cell), channels=(8, 8), hidden=8)
    with torch.no_grad():
        for name, p in policy.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif name.startswith("actor"):
                p.mul_(100.0)  # logits well above float noise
    obs = torch.zeros(1, 3, h, w)
    obs[0, :, 8:10, 10:13] = torch.rand(3, 2, 3) + 0.5
    shifted = torch.roll(obs, shifts=(4, 8), dims=(2, 3))
    grid = policy(obs)[0].reshape(h, w, sum(cell))
    moved = policy(shifted)[0].reshape(h, w, sum(cell))
    assert grid.abs().amax() > 0.1
    for g in (grid, moved):  # the response stays off the borders: no padding effects, no wrap-around
        assert g[[0, -1]].abs().amax() == 0 and g[:, [0, -1]].abs().amax() == 0
    torch.testing.assert_close(moved, torch.roll(grid, shifts=(4, 8), dims=(0, 1)))
    # and the patch's own cells are where its logits are: the response peaks near (8..9, 10..12)
    y, x = divmod(int(grid.abs().sum(-1).argmax()), w)
    assert abs(y - 8.5) <= 3 and abs(x - 11) <= 3, (y, x)


def test_learns_a_per_cell_target():
    """Supervised: cell action 0 = the cell's own class mod 3, action 1 = is its right
    neighbour class 0. Only a policy whose logit for cell (y, x) sees (y, x) gets ~100%."""
    torch.manual_seed(0)
    h, w, c, cell = 5, 7, 4, [3, 2]
    policy = build_gridnet(*spaces(h, w, c=c, cell=cell), channels=(16, 32), hidden=16)
    opt = torch.optim.Adam(policy.parameters(), lr=3e-3)

    def batch(n):
        cls = torch.randint(0, c, (n, h, w))
        obs = torch.nn.functional.one_hot(cls, c).permute(0, 3, 1, 2).to(torch.uint8)
        right = torch.zeros(n, h, w, dtype=torch.long)
        right[:, :, :-1] = (cls[:, :, 1:] == 0).long()
        return obs, torch.stack([cls % 3, right], -1).reshape(n, -1)  # cell-major, row-major

    for _ in range(300):
        obs, act = batch(32)
        loss = -policy.dist.log_prob(policy(obs)[0], act).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    obs, act = batch(256)
    with torch.no_grad():
        accuracy = (policy.dist.mode(policy(obs)[0]) == act).float().mean().item()
    assert accuracy > 0.97, accuracy  # always guessing the majority value gets ~0.64


def test_builder_refuses_what_it_cannot_take():
    obs, act = spaces(4, 4)
    with pytest.raises(ValueError, match="C, H, W"):
        build_gridnet(gym.spaces.Box(0, 1, (10,), np.float32), act)
    with pytest.raises(ValueError, match="MultiDiscrete"):
        build_gridnet(obs, gym.spaces.Discrete(16))
    with pytest.raises(ValueError, match="tiled once per cell"):
        build_gridnet(obs, gym.spaces.MultiDiscrete(np.tile(CELL, 15)))  # 15 cells, map has 16
    with pytest.raises(ValueError, match="tiled once per cell"):
        build_gridnet(obs, gym.spaces.MultiDiscrete([3] * 15 + [4]))  # not one pattern
    with pytest.raises(ValueError, match="starting at 0"):
        build_gridnet(obs, gym.spaces.MultiDiscrete(np.tile([3, 2], 16), start=np.tile([1, 0], 16)))
    for channels in ([], [0], "32", [32, True], 32):
        with pytest.raises(ValueError, match="channels"):
            build_gridnet(obs, act, channels=channels)
    for hidden in (0, 1.5, True, "128"):
        with pytest.raises(ValueError, match="hidden"):
            build_gridnet(obs, act, hidden=hidden)
