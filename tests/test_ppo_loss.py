"""PPO loss pieces vs independent numpy / hand computations."""

import numpy as np
import pytest
import torch
from agentctl.ppo.loss import (
    LossTerms,
    approx_kl,
    clipped_policy_loss,
    normalize,
    ppo_loss,
    value_loss,
)

EPS = 0.2


def np_pg_loss(new, old, adv, eps):
    r = np.exp(new - old)
    return -np.mean(np.minimum(r * adv, np.clip(r, 1 - eps, 1 + eps) * adv))


def np_pg_grad(new, old, adv, eps):
    """d/d new_logp of -mean(min(rA, clip(r)A)), derived by hand.

    The unclipped term is active (gradient -A r / n) unless the clipped term is strictly
    smaller, which happens exactly when r is outside [1-eps, 1+eps] on the side that would
    improve the objective further: A > 0 and r > 1+eps, or A < 0 and r < 1-eps. There the
    clipped term is constant in new_logp, so the gradient is 0.
    """
    r = np.exp(new - old)
    n = len(new)
    frozen = ((adv > 0) & (r > 1 + eps)) | ((adv < 0) & (r < 1 - eps))
    return np.where(frozen, 0.0, -adv * r / n)


def np_v_loss(v, v_old, ret, c):
    un = (v - ret) ** 2
    if c is None:
        return 0.5 * np.mean(un)
    cl = (v_old + np.clip(v - v_old, -c, c) - ret) ** 2
    return 0.5 * np.mean(np.maximum(un, cl))


def t(x, grad=False):
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=grad)


# ratio r = exp(new - old); cases chosen to hit each region of the clip.
LOGRATIO = np.log(np.array([1.5, 1.5, 0.5, 0.5, 1.1, 0.9, 1.0, 1.15]))
ADV = np.array([2.0, -2.0, 1.0, -1.0, 3.0, -0.5, 1.0, 0.7])
# cases 0-3: (A>0, r>1+e), (A<0, r>1+e), (A>0, r<1-e), (A<0, r<1-e); 4-7: r inside the clip


def test_clipped_policy_loss_value_matches_numpy():
    old = np.linspace(-2.0, -0.5, len(ADV))
    new = old + LOGRATIO
    pg, logratio = clipped_policy_loss(t(new), t(old), t(ADV), EPS)
    assert pg.item() == pytest.approx(np_pg_loss(new, old, ADV, EPS), rel=1e-12)
    np.testing.assert_allclose(logratio.detach().numpy(), LOGRATIO, rtol=1e-12)


def test_clipped_policy_loss_gradient_matches_hand_derivation():
    old = np.linspace(-2.0, -0.5, len(ADV))
    new = old + LOGRATIO
    new_t = t(new, grad=True)
    pg, _ = clipped_policy_loss(new_t, t(old), t(ADV), EPS)
    pg.backward()
    grad = new_t.grad.numpy()
    expected = np_pg_grad(new, old, ADV, EPS)
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=0)
    # Unprofitable-side clipping: exactly zero gradient.
    assert grad[0] == 0.0  # A>0, r=1.5 > 1+eps
    assert grad[3] == 0.0  # A<0, r=0.5 < 1-eps
    # Profitable-side clipping (clip would *raise* the loss): min picks the unclipped term.
    assert grad[1] != 0.0 and grad[1] == pytest.approx(2.0 * 1.5 / len(ADV))  # A<0, r>1+eps
    assert grad[2] != 0.0 and grad[2] == pytest.approx(-1.0 * 0.5 / len(ADV))  # A>0, r<1-eps
    # Inside the trust region all gradients are -A r / n.
    assert np.all(grad[4:] != 0.0)


def test_clipped_policy_loss_ratio_one_is_minus_mean_advantage():
    x = np.array([-1.0, -0.3, -2.2])
    adv = np.array([0.5, -1.5, 2.0])
    pg, _ = clipped_policy_loss(t(x), t(x), t(adv), EPS)
    assert pg.item() == pytest.approx(-adv.mean(), rel=1e-12)


@pytest.mark.parametrize("c", [None, 0.2, 0.5])
def test_value_loss_matches_numpy(c):
    v_old = np.array([0.0, 1.0, -1.0, 2.0, 0.5, 0.0])
    v = np.array([0.5, 0.9, -2.0, 2.05, 1.5, -0.1])
    ret = np.array([1.0, 0.0, -1.5, 3.0, 0.0, 0.3])
    got = value_loss(t(v), t(v_old), t(ret), c).item()
    assert got == pytest.approx(np_v_loss(v, v_old, ret, c), rel=1e-12)


def test_value_loss_clipped_branch_wins():
    # V moved 0 -> 0.5 toward R=0.6; clipped V = 0.2 gives (0.4)^2 > (0.1)^2, so the clipped
    # branch wins and the loss is larger than the unclipped one.
    v_old = np.array([0.0])
    v = np.array([0.5])
    ret = np.array([0.6])
    got = value_loss(t(v), t(v_old), t(ret), 0.2).item()
    assert got == pytest.approx(0.5 * 0.4**2, rel=1e-12)
    assert got > value_loss(t(v), t(v_old), t(ret), None).item()
    # And its gradient w.r.t. V is zero (clipped branch is constant in V).
    vt = t(v, grad=True)
    value_loss(vt, t(v_old), t(ret), 0.2).backward()
    assert vt.grad.item() == 0.0


def test_approx_kl_matches_numpy_and_is_detached():
    lr = np.array([0.1, -0.3, 0.0, 0.7, -1.2])
    lr_t = t(lr, grad=True)
    kl = approx_kl(lr_t)
    assert not kl.requires_grad
    assert kl.item() == pytest.approx(np.mean(np.expm1(lr) - lr), rel=1e-12)
    assert approx_kl(t(np.zeros(4))).item() == 0.0


def test_normalize_matches_numpy():
    a = np.array([1.0, 2.0, 4.0, -3.0, 0.5])
    got = normalize(t(a)).numpy()
    np.testing.assert_allclose(got, (a - a.mean()) / (a.std(ddof=1) + 1e-8), rtol=1e-12)
    assert got.mean() == pytest.approx(0.0, abs=1e-12)
    assert got.std(ddof=1) == pytest.approx(1.0, rel=1e-6)
    single = normalize(t([3.0]))
    assert torch.isfinite(single).all() and single.item() == 0.0


@pytest.mark.parametrize("norm_adv", [True, False])
@pytest.mark.parametrize("vf_clip", [None, 0.3])
def test_ppo_loss_total_matches_numpy(norm_adv, vf_clip):
    rng = np.random.default_rng(0)
    n = 64
    old = rng.normal(-1.0, 0.5, n)
    new = old + rng.normal(0.0, 0.3, n)
    adv = rng.normal(0.5, 2.0, n)
    v_old = rng.normal(size=n)
    v = v_old + rng.normal(0.0, 0.5, n)
    ret = rng.normal(size=n)
    ent = rng.uniform(0.1, 1.5, n)
    kw = {"clip_coef": EPS, "vf_clip_coef": vf_clip, "ent_coef": 0.01, "vf_coef": 0.5,
          "norm_adv": norm_adv}

    new_t = t(new, grad=True)
    terms = ppo_loss(new_t, t(old), t(adv), t(v), t(v_old), t(ret), t(ent), **kw)
    assert isinstance(terms, LossTerms)

    a = (adv - adv.mean()) / (adv.std(ddof=1) + 1e-8) if norm_adv else adv
    pg = np_pg_loss(new, old, a, EPS)
    vl = np_v_loss(v, v_old, ret, vf_clip)
    r = np.exp(new - old)
    assert terms.pg_loss.item() == pytest.approx(pg, rel=1e-10)
    assert terms.v_loss.item() == pytest.approx(vl, rel=1e-10)
    assert terms.entropy.item() == pytest.approx(ent.mean(), rel=1e-12)
    assert terms.loss.item() == pytest.approx(pg - 0.01 * ent.mean() + 0.5 * vl, rel=1e-10)
    assert terms.approx_kl.item() == pytest.approx(np.mean(r - 1 - (new - old)), rel=1e-10)
    clipfrac = np.mean(np.abs(r - 1) > EPS)
    assert 0 < clipfrac < 1
    assert terms.clipfrac.item() == pytest.approx(clipfrac, rel=1e-12)
    for name in ("pg_loss", "v_loss", "entropy", "approx_kl", "clipfrac"):
        assert not getattr(terms, name).requires_grad, name
    assert terms.loss.requires_grad
    terms.loss.backward()
    np.testing.assert_allclose(new_t.grad.numpy(), np_pg_grad(new, old, a, EPS), rtol=1e-10)
