"""`check-plugin` on sequence (text) envs, in process: a healthy plugin passes every check with
no SKIP and trains the tokens it is asked to; each way of breaking the contract (the factory,
the prompts, the reward, the policy) is one FAIL whose message names the problem."""

from __future__ import annotations

import math
import re
import types

import pytest
from agentctl import checkpoint as ckpt
from agentctl.sequences import SequenceTask
from agentctl.testing import FAIL, PASS, SKIP, check_plugin, smoke_train

# A 1-layer GPT on bytes: every check below takes well under a second.
TINY = {"num_envs": 4, "num_steps": 4, "minibatch_size": 8, "init": "", "torch_threads": 1,
        "policy_kwargs": {"n_layer": 1, "n_head": 2, "n_embd": 16, "context_length": 32}}
PROMPTS = [f"{a}+{b}=" for a in range(5) for b in range(5)]


def make_task(num_envs=1, seed=None):
    return SequenceTask(prompts=PROMPTS, reward="brk-score", seed=seed)


def length_reward(arg=None):
    def score(prompts, responses):
        return [float(len(r)) for r in responses]

    return score


def plugin(make=make_task, reward=length_reward, config=None, **hooks) -> types.ModuleType:
    """A plugin module registering sequence env `brk` (with `make`) and reward `brk-score`."""
    def register_envs(register):
        register("brk", make, kind="sequence", policy="lm", default_config={**TINY, **(config or {})})

    def register_rewards(register):
        register("brk-score", reward)

    mod = types.ModuleType("brk_plugin")
    mod.AGENTCTL_API = 1
    mod.register_envs, mod.register_rewards = register_envs, register_rewards
    for name, fn in hooks.items():
        setattr(mod, name, fn)
    return mod


def checks(host, mod, steps=0):
    host.add_module(mod, "brk")
    report = check_plugin("brk", smoke_steps=steps, host=host)
    return report, {c.name: (c.status, c.detail) for c in report.checks}


def test_a_healthy_sequence_plugin_passes_every_check_without_skips(host):
    report, by_name = checks(host, plugin(), steps=40)
    assert list(by_name) == ["load", "env brk: spec", "env brk: task", "env brk: reward", "env brk: policy",
                             "reward brk-score", "env brk: training smoke test"], report.format()
    assert all(status == PASS for status, _ in by_name.values()), report.format()
    assert report.ok
    assert "25 prompts" in by_name["env brk: task"][1]
    # length_reward of the dummy completions: "" scores 0, the longest has 39 characters
    assert "+0.000 to +39.000" in by_name["env brk: reward"][1]
    tokens = int(re.search(r"(\d+) generated tokens", by_name["env brk: training smoke test"][1])[1])
    assert tokens >= 40


def test_smoke_train_trains_the_tokens_asked_for(host, tmp_path):
    """`--steps N` is N generated tokens: the run stops at the first update that reaches N
    (4 completions of at most 4 tokens each, so at most 15 over), and its checkpoint samples."""
    host.add_module(plugin(), "brk")
    spec = host.registry.resolve("env", "brk")
    summary = smoke_train(spec, host.registry, steps=50, run_dir=str(tmp_path))
    assert 50 <= summary["steps"] < 50 + 16
    completions = ckpt.load(summary["checkpoint"])["trainer"]["episodes"]  # (score, tokens) each
    assert summary["steps"] == sum(tokens for _, tokens in completions)
    assert [s["prompt"] for s in summary["samples"]] == PROMPTS[:2]
    assert all(s["score"] == len(s["completion"]) for s in summary["samples"])


def unseeded(num_envs=1, seed=None):
    return SequenceTask(prompts=PROMPTS, reward="brk-score", seed=None)


def raising_reward(arg=None):
    def score(prompts, responses):
        return [1.0 / len(r) for r in responses]  # ZeroDivisionError on an empty completion

    return score


def one_value_reward(arg=None):
    return lambda prompts, responses: [1.0]


def nan_reward(arg=None):
    return lambda prompts, responses: [math.nan if r == "7" else 0.0 for r in responses]


def old_style_reward(prompt, response):  # fn(prompt, response) -> float, not a factory
    return float(len(response))


BROKEN = {
    "factory returns a list": (
        dict(make=lambda num_envs=1, seed=None: list(PROMPTS)),
        "env brk: task", "must return agentctl.sequences.SequenceTask from its factory, got list"),
    "prompt order ignores the seed": (
        dict(make=unseeded), "env brk: task", "same seed sample prompts in different orders"),
    "an empty prompt": (
        dict(make=lambda num_envs=1, seed=None: SequenceTask(["1+1=", ""], reward="brk-score", seed=seed)),
        "env brk: task", "prompt 1 is '': every prompt must be a non-empty string"),
    "reward raises": (
        dict(reward=raising_reward), "env brk: reward", "reward 'brk-score' failed: ZeroDivisionError"),
    "reward returns one value": (
        dict(reward=one_value_reward), "env brk: reward", r"reward 'brk-score' returned shape \(1,\) for 6"),
    "reward returns NaN": (
        dict(reward=nan_reward), "env brk: reward", "reward 'brk-score' returned NaN for response 2"),
    "reward is not a factory": (
        dict(reward=old_style_reward), "env brk: reward", "reward 'brk-score' could not be built: TypeError"),
    "reward spec names no registered reward": (
        dict(config={"reward": "brk-score+0.5*nope"}), "env brk: reward", "unknown reward 'nope'"),
    "context too short for num_steps": (
        dict(config={"policy_kwargs": {**TINY["policy_kwargs"], "context_length": 4}}),
        "env brk: policy", "context_length 4 leaves no room for a prompt before num_steps = 4"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_sequence_plugin_fails_naming_the_problem(host, case):
    kwargs, check, message = BROKEN[case]
    report, by_name = checks(host, plugin(**kwargs), steps=40)
    status, detail = by_name[check]
    assert status == FAIL and re.search(message, detail), report.format()
    assert not report.ok and "result: FAIL" in report.format()
    # training is not attempted on an env whose checks failed
    assert by_name["env brk: training smoke test"] == (SKIP, "earlier checks of this env failed")


def test_a_reward_that_is_not_a_factory_fails_its_own_check_with_the_contract(host):
    _, by_name = checks(host, plugin(reward=old_style_reward))
    status, detail = by_name["reward brk-score"]
    assert status == FAIL and "a registered reward is a factory: factory(arg) -> fn(prompts, responses)" in detail


def test_registered_rewards_are_called_with_their_envs_prompts_and_argument(host):
    """A reward used by the plugin's env is checked with that env's prompts and ARG; one no env
    uses gets dummy prompts; a factory that needs an argument nobody gave is skipped."""
    seen = {}

    def recording(arg=None):
        def score(prompts, responses):
            seen[arg] = list(prompts)
            return [0.0] * len(responses)

        return score

    def needs_arg(arg=None):
        from agentctl.errors import UserError

        if arg is None:
            raise UserError("reward 'brk-words' needs words: brk-words:a|b")
        return recording(arg)

    def register_rewards(register):
        register("brk-score", recording)
        register("brk-words", needs_arg)

    mod = plugin(config={"reward": "brk-score:7"}, register_rewards=register_rewards)
    report, by_name = checks(host, mod)
    assert by_name["reward brk-score"][0] == PASS and set(seen["7"]) <= set(PROMPTS), report.format()
    skipped = "needs an argument (reward 'brk-words' needs words: brk-words:a|b); no env of this plugin names one"
    assert by_name["reward brk-words"] == (SKIP, skipped)


def test_a_policy_whose_kv_cache_disagrees_with_a_full_pass_fails(host):
    """A cache that forgets the prompt: generation would sample from another model than PPO trains."""
    from agentctl.nn.lm import build_lm

    def forgetful(observation_space, action_space, **kwargs):
        lm = build_lm(None, None, **kwargs)
        full = lm.forward

        def forward(input_ids, attention_mask, position_ids, past=None, logits_from=0):
            n = input_ids.shape[1]
            return full(input_ids, attention_mask[:, -n:], position_ids, None, logits_from)

        lm.forward = forward
        return lm

    def register_policies(register):
        register("forgetful", forgetful)

    report, by_name = checks(host, plugin(config={"policy": "forgetful"}, register_policies=register_policies))
    status, detail = by_name["env brk: policy"]
    assert status == FAIL and "KV-cache path (past=...) gives other logits than a full forward pass" in detail, \
        report.format()


def test_a_hugging_face_policy_passes_the_token_policy_check(tmp_path):
    """The check holds for `hf_model=PATH` too (its cache is a transformers object, extended in
    place); a tiny random GPT-2 and a byte-level BPE are built here, nothing is downloaded."""
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    import torch
    from agentctl.nn.lm import build_lm
    from agentctl.testing import check_token_policy
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(PROMPTS + ["the movie was great", "what a day"], trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    eos = tok.token_to_id("<|endoftext|>")
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>").save_pretrained(tmp_path)
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=32,
                                     vocab_size=tok.get_vocab_size(), bos_token_id=eos, eos_token_id=eos)
    transformers.AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path)
    policy = build_lm(None, None, hf_model=str(tmp_path))
    detail = check_token_policy(policy, PROMPTS, max_new_tokens=4)
    assert f"{len(PROMPTS)} prompts tokenized" in detail and f"vocab {tok.get_vocab_size()})" in detail, detail
