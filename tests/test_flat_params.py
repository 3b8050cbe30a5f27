"""Parameters as views of one flat tensor: the module is unchanged to its users, autograd and the
optimizer work through the views, and optimizer states saved per parameter still load."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from agentctl.nn.mlp import build_mlp
from agentctl.ppo.flat_params import FlatParams
from agentctl.ppo.fused_mlp import flat_order
from gymnasium import spaces

OBS, ACT = spaces.Box(-1, 1, (4,), np.float32), spaces.Discrete(3)


def policy_and_loss(seed: int = 0):
    torch.manual_seed(seed)
    policy = build_mlp(OBS, ACT, hidden_sizes=[8, 8])
    x = torch.randn(16, 4)

    def loss() -> torch.Tensor:
        logits, value = policy(x)
        return logits.square().sum() + value.sum()

    return policy, loss


def test_flat_views_train_like_separate_parameters():
    ref, ref_loss = policy_and_loss()
    flat_policy, flat_loss = policy_and_loss()
    before = {k: v.clone() for k, v in flat_policy.state_dict().items()}
    params = list(flat_policy.parameters())
    flat = FlatParams(params)
    assert {k: v.shape for k, v in flat_policy.state_dict().items()} == {k: v.shape for k, v in before.items()}
    assert all(torch.equal(flat_policy.state_dict()[k], v) for k, v in before.items())
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    opt = torch.optim.Adam([flat.param], lr=1e-2)
    for _ in range(3):
        ref_opt.zero_grad()
        ref_loss().backward()
        ref_opt.step()
        flat.zero_grad()
        flat_loss().backward()  # autograd accumulates into the flat gradient through the views
        opt.step()
    for (name, a), b in zip(ref.named_parameters(), flat_policy.parameters()):
        torch.testing.assert_close(b, a, msg=name)
    assert not torch.equal(flat_policy.state_dict()["actor.0.weight"], before["actor.0.weight"])


def test_zero_grad_reattaches_views_replaced_elsewhere():
    policy, loss = policy_and_loss()
    flat = FlatParams(list(policy.parameters()))
    policy.zero_grad(set_to_none=True)  # would leave the flat gradient silently at zero
    flat.zero_grad()
    loss().backward()
    assert flat.param.grad.abs().sum() > 0
    torch.testing.assert_close(flat.param.grad, torch.cat([p.grad.reshape(-1) for p in policy.parameters()]))


@pytest.mark.parametrize("reorder", [False, True], ids=["module-order", "stacked-order"])
def test_an_optimizer_state_saved_per_parameter_loads_into_the_flat_one(reorder):
    ref, ref_loss = policy_and_loss()
    ref_opt = torch.optim.Adam(ref.parameters(), lr=1e-2)
    for _ in range(2):
        ref_opt.zero_grad()
        ref_loss().backward()
        ref_opt.step()
    saved_weights = {k: v.clone() for k, v in ref.state_dict().items()}
    saved_opt = ref_opt.state_dict()
    flat_policy, flat_loss = policy_and_loss()  # same inputs; weights loaded below
    flat_policy.load_state_dict(saved_weights)
    module_order = list(flat_policy.parameters())
    flat = FlatParams(flat_order(flat_policy) if reorder else module_order)
    opt = torch.optim.Adam([flat.param], lr=1e-2)
    flat.load_optimizer_state(opt, saved_opt, module_order)
    ref_opt.zero_grad()
    ref_loss().backward()
    ref_opt.step()
    flat.zero_grad()
    flat_loss().backward()
    opt.step()  # the third step uses the moments and step count of the first two
    for (name, a), b in zip(ref.named_parameters(), flat_policy.parameters()):
        torch.testing.assert_close(b, a, msg=name)


def test_the_flat_clip_is_clip_grad_norm():
    from agentctl.ppo.trainer import clip_flat_grad

    for scale in (100.0, 1e-3):
        g = torch.randn(300, generator=torch.Generator().manual_seed(1)) * scale
        ours, ref = g.clone(), torch.nn.Parameter(torch.zeros(300))
        ref.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_([ref], 0.5)
        norm = clip_flat_grad(ours, 0.5)
        torch.testing.assert_close(norm, total, rtol=0, atol=0)
        torch.testing.assert_close(ours, ref.grad, rtol=0, atol=0)
