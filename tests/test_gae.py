"""GAE vs a plain-loop numpy reference and hand-derived special cases."""

import numpy as np
import pytest
import torch
from agentctl.ppo.advantages import gae


def np_gae(r, v, nv, term, done, gamma, lam):
    """Reference: the formulas of docs/ppo.md ("GAE"), element by element."""
    T, N = r.shape
    adv = np.zeros((T, N))
    for n in range(N):
        nxt = 0.0
        for t in reversed(range(T)):
            delta = r[t, n] + gamma * (1.0 - term[t, n]) * nv[t, n] - v[t, n]
            nxt = delta + gamma * lam * (1.0 - done[t, n]) * nxt
            adv[t, n] = nxt
    return adv, adv + v


def np_mc_returns(r, nv, term, done, gamma):
    """Discounted return to the end of each episode; bootstrap V(s') on truncation and at the
    rollout end, 0 on termination. Plain loops, independent of the GAE recursion."""
    T, N = r.shape
    out = np.zeros((T, N))
    for n in range(N):
        for t in range(T):
            g, disc, k = 0.0, 1.0, t
            while True:
                g += disc * r[k, n]
                disc *= gamma
                if term[k, n]:
                    break
                if done[k, n] or k == T - 1:
                    g += disc * nv[k, n]
                    break
                k += 1
            out[t, n] = g
    return out


def make_rollout(T=12, N=3, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.normal(size=(T, N))
    v = rng.normal(size=(T, N))
    nv = np.roll(v, -1, axis=0)  # V(s'_t) = V(s_{t+1}) inside an episode
    nv[-1] = rng.normal(size=N)
    term = np.zeros((T, N))
    trunc = np.zeros((T, N))
    term[3, 0] = term[8, 1] = 1
    trunc[5, 0] = trunc[2, 2] = 1
    term[T - 1, 2] = 1  # episode ends exactly at the rollout end
    done = np.maximum(term, trunc)
    # After a termination/truncation the next obs is a reset; on truncation next_values
    # holds V of the final obs of the ended episode, which differs from V(s_{t+1}).
    for t_, n_ in zip(*np.nonzero(trunc)):
        nv[t_, n_] = rng.normal()
    return r, v, nv, term, done


def run(r, v, nv, term, done, gamma, lam, dtype=torch.float64, bool_flags=False):
    f = (lambda x: torch.tensor(x, dtype=torch.bool)) if bool_flags else (
        lambda x: torch.tensor(x, dtype=dtype))
    adv, ret = gae(torch.tensor(r, dtype=dtype), torch.tensor(v, dtype=dtype),
                   torch.tensor(nv, dtype=dtype), f(term), f(done), gamma, lam)
    return adv.numpy(), ret.numpy()


@pytest.mark.parametrize("gamma,lam", [(0.99, 0.95), (0.9, 0.5), (1.0, 1.0), (0.97, 0.0)])
@pytest.mark.parametrize("bool_flags", [False, True])
def test_matches_numpy_reference(gamma, lam, bool_flags):
    r, v, nv, term, done = make_rollout()
    adv, ret = run(r, v, nv, term, done, gamma, lam, bool_flags=bool_flags)
    ref_adv, ref_ret = np_gae(r, v, nv, term, done, gamma, lam)
    np.testing.assert_allclose(adv, ref_adv, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ret, ref_ret, rtol=1e-12, atol=1e-12)


def test_float32_and_shapes():
    r, v, nv, term, done = make_rollout(T=64, N=16, seed=3)
    adv, ret = gae(*(torch.tensor(x, dtype=torch.float32) for x in (r, v, nv, term, done)),
                   0.99, 0.95)
    assert adv.dtype == torch.float32 and adv.shape == (64, 16) and ret.shape == (64, 16)
    ref_adv, _ = np_gae(r, v, nv, term, done, 0.99, 0.95)
    np.testing.assert_allclose(adv.numpy(), ref_adv, rtol=1e-4, atol=1e-4)


def test_lambda_zero_is_one_step_td_error():
    r, v, nv, term, done = make_rollout(seed=1)
    adv, _ = run(r, v, nv, term, done, 0.9, 0.0)
    td = r + 0.9 * (1 - term) * nv - v
    np.testing.assert_allclose(adv, td, rtol=1e-12, atol=1e-12)


def test_lambda_one_is_monte_carlo_minus_value():
    r, v, nv, term, done = make_rollout(seed=2)
    adv, ret = run(r, v, nv, term, done, 0.95, 1.0)
    mc = np_mc_returns(r, nv, term, done, 0.95)
    np.testing.assert_allclose(adv, mc - v, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ret, mc, rtol=1e-10, atol=1e-10)


def test_truncation_bootstraps_termination_does_not():
    # One step, one env: r=1, V(s)=0, V(s')=10.
    r, v, nv = np.ones((1, 1)), np.zeros((1, 1)), np.full((1, 1), 10.0)
    one, zero = np.ones((1, 1)), np.zeros((1, 1))
    adv_trunc, _ = run(r, v, nv, zero, one, 0.9, 0.95)
    adv_term, _ = run(r, v, nv, one, one, 0.9, 0.95)
    assert adv_trunc[0, 0] == pytest.approx(1.0 + 0.9 * 10.0)
    assert adv_term[0, 0] == pytest.approx(1.0)


def test_done_cuts_recursion():
    r, v, nv, term, done = make_rollout(seed=4)
    # env 0 is done at t=3 (terminated) and t=5 (truncated): A_t for t <= 5 must not depend
    # on rewards/values after step 5.
    adv, _ = run(r, v, nv, term, done, 0.99, 0.95)
    r2, v2 = r.copy(), v.copy()
    r2[6:, 0] += 100.0
    v2[6:, 0] -= 50.0
    nv2 = nv.copy()
    nv2[6:, 0] += 7.0
    adv2, _ = run(r2, v2, nv2, term, done, 0.99, 0.95)
    np.testing.assert_allclose(adv2[:6, 0], adv[:6, 0], rtol=0, atol=1e-12)
    assert np.all(np.abs(adv2[6:, 0] - adv[6:, 0]) > 1.0)  # and they do change after
    # Without the done at t=5 the change would leak backwards.
    done3 = done.copy()
    done3[5, 0] = 0
    a, _ = run(r, v, nv, term, done3, 0.99, 0.95)
    b, _ = run(r2, v2, nv2, term, done3, 0.99, 0.95)
    assert abs(a[4, 0] - b[4, 0]) > 1.0


def test_no_grad():
    v = torch.zeros(4, 2, requires_grad=True)
    z = torch.zeros(4, 2)
    adv, ret = gae(torch.ones(4, 2), v, z, z, z, 0.99, 0.95)
    assert not adv.requires_grad and not ret.requires_grad
