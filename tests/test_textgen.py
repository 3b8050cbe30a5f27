"""Token-level PPO on a language model, end to end: the first minibatch's ratio, padding,
repeatable generation, reward failures, exact resume, GRPO/RLOO runs and `agentctl sample`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from agentctl.errors import UserError
from agentctl.host import get_host
from agentctl.ppo.loss import ppo_loss
from agentctl.run import TrainRequest, plan, prepare
from agentctl.text.generate import Generation, complete, response_logits, token_logprobs
from conftest import clean_env
from test_lm import hf_folder  # noqa: F401  (the tiny Hugging Face GPT-2 fixture)

TINY = {"init": "", "policy_kwargs.n_layer": 1, "policy_kwargs.n_head": 2, "policy_kwargs.n_embd": 32,
        "policy_kwargs.context_length": 48, "num_envs": 8, "num_steps": 12, "minibatch_size": 48,
        "sample_every": 0, "tensorboard": False, "total_timesteps": 400, "torch_threads": 1}


def as_sets(config: dict) -> list[str]:
    """``--set`` flags with TOML literals (json.dumps writes valid TOML for str, bool, numbers)."""
    return [f"--set={k}={json.dumps(v)}" for k, v in config.items()]


TINY_SET = as_sets(TINY)


def trainer(tmp_path: Path, **overrides):
    registry = get_host().registry
    spec, cfg, run_dir, state = plan(TrainRequest(env="textgen", overrides={**TINY, **overrides},
                                                  run_dir=str(tmp_path / "run")), registry)
    return prepare(registry, spec, cfg, run_dir, state).trainer


def test_the_ratio_is_exactly_one_on_the_first_minibatch_of_every_update(tmp_path):
    t = trainer(tmp_path, update_epochs=2, learning_rate=3e-3)
    for _ in range(3):
        metrics = t.step()
        assert metrics["first_logratio_max"] == 0.0  # old log-probs are the same computation
        assert metrics["approx_kl"] > 0  # ... and later minibatches did move the policy


def test_padding_changes_no_loss(tmp_path):
    """The same two completions, once with extra left padding on the prompts and garbage
    tokens (masked) after the responses: identical log-probs on real tokens and the same loss."""
    t = trainer(tmp_path)
    policy, pad = t.policy.eval(), t.policy.tokenizer.pad_id
    q = torch.tensor([[pad, 5, 6, 7], [8, 9, 10, 11]])
    qm = (q != pad).long()
    r = torch.tensor([[20, 21, 22, pad], [23, 24, 25, 26]])
    rm = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    q2 = torch.cat([torch.full((2, 3), pad), q], 1)
    qm2 = torch.cat([torch.zeros(2, 3, dtype=torch.long), qm], 1)
    r2 = torch.cat([r, torch.tensor([[99, 98], [97, 96]])], 1)
    r2[0, 3] = 77  # a real-looking token where the mask says padding
    rm2 = torch.cat([rm, torch.zeros(2, 2, dtype=torch.long)], 1)

    def loss(query, qmask, resp, rmask):
        logits, values = response_logits(policy, query, qmask, resp, rmask, temperature=0.7)
        logp, ent = token_logprobs(logits, resp)
        m = rmask.bool()
        adv = torch.linspace(-1, 1, int(m.sum()))
        terms = ppo_loss(logp[m], logp[m].detach() - 0.1, adv, values[m], values[m].detach() + 0.05,
                         adv, ent[m], clip_coef=0.2, vf_clip_coef=0.2, ent_coef=0.01, vf_coef=0.5)
        return logp[m], terms.loss

    lp1, l1 = loss(q, qm, r, rm)
    lp2, l2 = loss(q2, qm2, r2, rm2)
    torch.testing.assert_close(lp1, lp2, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(l1, l2, atol=1e-5, rtol=1e-5)


def test_generation_with_a_fixed_seed_repeats(tmp_path):
    policy = trainer(tmp_path).policy.eval()
    prompts = ["the movie was", "a", "the plot of the film"]

    def run(seed: int) -> list[str]:
        gen, texts = complete(policy, prompts, 10, temperature=0.9, generator=torch.Generator().manual_seed(seed))
        assert isinstance(gen, Generation) and gen.response.shape == (3, 10)
        return texts + [str(gen.response.tolist())]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_a_reward_that_crashes_is_an_error_naming_it(tmp_path, run_cli):
    (tmp_path / "badreward.py").write_text(
        "def score(prompts, responses):\n    raise ZeroDivisionError('reward bug here')\n")
    proc = run_cli("train", "--env", "textgen", *TINY_SET, "--set", "reward=python:badreward:score",
                   "--run-dir", str(tmp_path / "run"), env=clean_env(PYTHONPATH=str(tmp_path)))
    assert proc.returncode == 2, proc.stderr
    assert "reward 'python:badreward:score' failed: ZeroDivisionError: reward bug here" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_textgen_trains_resumes_exactly_and_samples(tmp_path, run_cli):
    """Run A: 4 updates. Run B: 2 updates, then resumed for 2 more. Same summary, same weights;
    `agentctl sample` then completes prompts from the checkpoint, scored by the run's reward."""
    steps = dict(TINY, checkpoint_every=2)
    sets = as_sets(steps)
    a = run_cli("train", "--env", "textgen", *sets, "--steps", "380", "--run-dir", "a", "--json")
    assert a.returncode == 0, a.stderr
    sa = json.loads(a.stdout.splitlines()[-1])
    assert sa["episodes"] % 8 == 0 and sa["steps"] >= 380 and sa["mean_kl"] is not None and sa["first_mean_return"] is not None
    b = run_cli("train", "--env", "textgen", *sets, "--steps", "190", "--run-dir", "b", "--json")
    assert b.returncode == 0, b.stderr
    b2 = run_cli("train", "--resume", "b", "--steps", "380", "--json")
    assert b2.returncode == 0, b2.stderr
    sb = json.loads(b2.stdout.splitlines()[-1])
    for key in ("steps", "episodes", "first_mean_return", "last_mean_return", "mean_kl", "kl_coef"):
        assert sa[key] == sb[key], key
    wa = torch.load(tmp_path / sa["checkpoint"], weights_only=False)["trainer"]["model"]
    wb = torch.load(tmp_path / sb["checkpoint"], weights_only=False)["trainer"]["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)

    s = run_cli("sample", "--checkpoint", "a", "--prompt", "the movie was", "-n", "3", "--json", "--seed", "5")
    assert s.returncode == 0, s.stderr
    rows = [json.loads(line) for line in s.stdout.splitlines()]
    assert len(rows) == 3 and all(r["prompt"] == "the movie was" and isinstance(r["score"], float) for r in rows)
    again = run_cli("sample", "--checkpoint", "a", "--prompt", "the movie was", "-n", "3", "--json", "--seed", "5")
    assert again.stdout == s.stdout
    e = run_cli("eval", "--checkpoint", "a", "--episodes", "5", "--json")
    assert e.returncode == 0, e.stderr
    result = json.loads(e.stdout.splitlines()[-1])
    assert result["episodes"] == 5 and -1.0 <= result["mean_return"] <= 1.0  # VADER compound


@pytest.mark.parametrize("estimator", ["grpo", "rloo"])
def test_group_estimators_train_without_a_critic(tmp_path, estimator):
    t = trainer(tmp_path, advantage=estimator, group_size=4, reward="length:6")
    before = {k: v.clone() for k, v in t.policy.state_dict().items()}
    prompts, _, _ = t.sample(8)
    assert prompts[:4] == [prompts[0]] * 4 and prompts[4:] == [prompts[4]] * 4  # groups of one prompt
    metrics = t.step()
    assert metrics["v_loss"] == 0.0 or metrics["explained_variance"] != metrics["explained_variance"]
    after = t.policy.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if "value" not in k)
    value_keys = [k for k in before if "value" in k]
    assert value_keys and all(torch.equal(before[k], after[k]) for k in value_keys)  # no critic trained


def test_sequence_only_settings_are_refused_where_they_mean_nothing(tmp_path):
    registry = get_host().registry
    with pytest.raises(UserError, match="multiple of it"):
        plan(TrainRequest(env="textgen", overrides={**TINY, "advantage": "grpo", "group_size": 3}), registry)
    with pytest.raises(UserError, match="only sequence envs"):
        plan(TrainRequest(env="cartpole", overrides={"advantage": "rloo"}), registry)
    with pytest.raises(UserError, match="reward applies to sequence envs"):
        plan(TrainRequest(env="cartpole", overrides={"reward": "sentiment"}), registry)


def test_nan_weights_stop_the_run_as_a_divergence_not_a_sampling_crash(tmp_path):
    from agentctl.errors import TrainingDiverged

    t = trainer(tmp_path)
    with torch.no_grad():
        next(t.policy.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="NaN/inf"):
        t.step()


def test_min_new_tokens_rules_eos_out_alike_in_sampling_and_scoring(tmp_path):
    t = trainer(tmp_path)
    policy, eos = t.policy.eval(), t.policy.tokenizer.eos_id
    with torch.no_grad():  # make EOS the overwhelming choice everywhere
        policy.network.wte.weight[eos] = 50 * policy.network.wte.weight[eos].sign()
    free, _ = complete(policy, ["the movie was"] * 4, 8, generator=torch.Generator().manual_seed(0))
    assert bool(free.ended.all()) and free.lengths.max() < 8  # without the rule it ends at once
    gen, _ = complete(policy, ["the movie was"] * 4, 8, generator=torch.Generator().manual_seed(0),
                      min_new_tokens=5)
    assert gen.lengths.min() >= 5 and not bool((gen.response[:, :5] == eos).any())
    logits, _ = response_logits(policy, gen.query, gen.query_mask, gen.response, gen.response_mask,
                                min_new_tokens=5)
    _, entropy = token_logprobs(logits, gen.response)
    probs = logits.detach().softmax(-1)
    assert float(probs[:, :5, eos].max()) == 0.0 and bool(torch.isfinite(entropy).all())
    unruled, _ = response_logits(policy, gen.query, gen.query_mask, gen.response, gen.response_mask)
    torch.testing.assert_close(logits[:, 5:], unruled[:, 5:])  # after the minimum, nothing changes


def test_a_local_hugging_face_model_trains_resumes_and_samples(hf_folder, run_cli):  # noqa: F811
    """`--set policy_kwargs.hf_model=PATH`: a tiny random GPT-2 built in the test (nothing
    downloaded) trains through the CLI with its own tokenizer, and its checkpoint samples."""
    # init stays textgen's "pretrained": for a Hugging Face model, its own weights
    sets = as_sets({"policy_kwargs.hf_model": str(hf_folder), "num_envs": 4, "num_steps": 6, "minibatch_size": 24,
                    "tensorboard": False, "sample_every": 0, "checkpoint_every": 1})
    a = run_cli("train", "--env", "textgen", *sets, "--set", "env_kwargs.min_new_tokens=0", "--steps", "20",
                "--run-dir", "hf", "--json")
    assert a.returncode == 0, a.stderr
    summary = json.loads(a.stdout.splitlines()[-1])
    assert summary["steps"] >= 20 and summary["mean_kl"] is not None
    b = run_cli("train", "--resume", "hf", "--steps", "40", "--json")
    assert b.returncode == 0, b.stderr
    s = run_cli("sample", "--checkpoint", "hf", "--prompt", "the movie was", "--json")
    assert s.returncode == 0, s.stderr
    assert json.loads(s.stdout.splitlines()[-1])["prompt"] == "the movie was"


@pytest.mark.slow
def test_default_textgen_run_raises_the_reward_and_holds_kl_near_its_target(tmp_path, run_cli):
    """The README's `agentctl train --env textgen --seed 1`: warm start (trained once and cached,
    about 2 minutes), then about 2 minutes of PPO. Measured: reward 0.019 -> 0.255, KL 0.316."""
    proc = run_cli("train", "--env", "textgen", "--seed", "1", "--run-dir", "run", "--json", timeout=1800)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert summary["last_mean_return"] > summary["first_mean_return"] + 0.1
    assert 0.15 <= summary["mean_kl"] <= 0.6  # the target is 0.3


def test_prompts_come_from_the_shipped_file_or_the_users_text_or_jsonl(tmp_path):
    from agentctl.plugins.textgen import make_task

    shipped = make_task(seed=0)
    assert len(shipped.prompts) == 64 and "the movie was" in shipped.prompts
    text = tmp_path / "p.txt"
    text.write_text("# a comment\nfirst prompt\n\n  second prompt  \n")
    assert make_task(prompts=str(text)).prompts == ["first prompt", "second prompt"]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"prompt": "a"}\n\n{"prompt": "b", "id": 2}\n')
    assert make_task(prompts=str(jsonl)).prompts == ["a", "b"]
    jsonl.write_text('{"prompt": "a"}\n{"text": "b"}\n')
    with pytest.raises(UserError, match=r"p.jsonl:2: expected an object with a \"prompt\" string"):
        make_task(prompts=str(jsonl))
    with pytest.raises(UserError, match="holds no prompts"):
        (tmp_path / "empty.txt").write_text("# nothing\n")
        make_task(prompts=str(tmp_path / "empty.txt"))
    with pytest.raises(UserError, match="No such file"):
        make_task(prompts=str(tmp_path / "missing.txt"))
    order = [make_task(seed=3).sample_prompts(70) for _ in range(2)]
    assert order[0] == order[1] and set(order[0][:64]) == set(shipped.prompts)  # a full pass first


@pytest.mark.parametrize("kind", ["gpt", "hf"])
def test_logits_from_gives_the_tail_of_the_full_logits(kind, tmp_path, request):
    if kind == "hf":
        from agentctl.nn.lm import build_lm

        policy = build_lm(hf_model=str(request.getfixturevalue("hf_folder"))).eval()
    else:
        policy = trainer(tmp_path).policy.eval()
    ids = torch.tensor([[5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16]])
    mask, pos = torch.ones_like(ids), torch.arange(6).repeat(2, 1)
    with torch.no_grad():
        full, values, _ = policy(ids, mask, pos)
        tail, tail_values, _ = policy(ids, mask, pos, logits_from=4)
    assert tail.shape == (2, 2, full.shape[-1])
    torch.testing.assert_close(tail, full[:, 4:])
    torch.testing.assert_close(tail_values, values)


def test_a_token_budget_that_leaves_no_room_for_the_prompt_is_one_line(tmp_path, run_cli):
    proc = run_cli("train", "--env", "textgen", *as_sets({**TINY, "num_steps": 48}), "--run-dir", "r")
    assert proc.returncode == 2 and "num_steps 48 (new tokens per completion) leaves no room" in proc.stderr
    assert not (tmp_path / "r").exists()
