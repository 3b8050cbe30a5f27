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


def test_flat_adam_is_torch_adam_and_shares_its_state_layout():
    from agentctl.ppo.flat_adam import FlatAdam

    g = torch.Generator().manual_seed(0)
    start = torch.randn(500, generator=g, dtype=torch.float64)
    ours_p, ref_p = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours = FlatAdam(ours_p, lr=3e-3, eps=1e-5)
    ref = torch.optim.Adam([ref_p], lr=3e-3, eps=1e-5, foreach=False)
    for k in range(6):
        grad = torch.randn(500, generator=g, dtype=torch.float64) * 10 ** (k % 3 - 1)
        ours_p.grad, ref_p.grad = grad.clone(), grad.clone()
        if k == 3:  # a learning-rate schedule writes the groups' lr
            ours.param_groups[0]["lr"] = ref.param_groups[0]["lr"] = 1e-3
        ours.step()
        ref.step()
        torch.testing.assert_close(ours_p, ref_p, rtol=1e-12, atol=1e-14)
    # each loads the other's state and goes on identically
    a, b = torch.nn.Parameter(ref_p.detach().clone()), torch.nn.Parameter(ref_p.detach().clone())
    into_ours, into_torch = FlatAdam(a, lr=1.0, eps=1.0), torch.optim.Adam([b], lr=1.0, eps=1.0, foreach=False)
    into_ours.load_state_dict(ref.state_dict())
    into_torch.load_state_dict(ours.state_dict())
    grad = torch.randn(500, generator=g, dtype=torch.float64)
    for p in (a, b, ref_p):
        p.grad = grad.clone()
    for opt in (into_ours, into_torch, ref):
        opt.step()
    torch.testing.assert_close(a, ref_p, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(b, ref_p, rtol=1e-12, atol=1e-14)
