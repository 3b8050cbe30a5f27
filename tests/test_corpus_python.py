"""The Python corpus (the stdlib's documented functions as documents) and the pretrain_corpus key.

References are independent: each document re-parsed with ``ast``, the token stream framed by
hand, the docstrings corpus's cache key computed the way it was before there were two corpora."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import sys

import pytest
from agentctl import checkpoint
from agentctl import pretrain as pt
from agentctl.config import resolve
from agentctl.errors import UserError
from agentctl.text.corpus import python_corpus, split_documents
from agentctl.text.tokenizer import ByteTokenizer
from conftest import clean_env

TINY = {"n_layer": 1, "n_head": 2, "n_embd": 32, "context_length": 32}
SMALL = 30_000  # characters: about 50 functions, a fraction of a second


@pytest.fixture(scope="module")
def small() -> list[str]:
    return python_corpus(max_chars=SMALL)


def test_python_corpus_documents_are_documented_functions(small):
    assert 30 < len(small) and SMALL // 2 < sum(map(len, small)) <= SMALL  # the cap
    for doc in small:
        tree = ast.parse(doc)  # valid Python on its own: dedented, whole
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), doc
        func = tree.body[0]
        assert doc.startswith("def ") and doc.endswith("\n") and not doc.endswith("\n\n")
        lines = doc.split("\n")
        assert lines[1].startswith('    """') and ast.get_docstring(func), doc  # the prompt's shape
        assert len(lines) - 1 <= 60 and doc.isascii() and "\t" not in doc and "\f" not in doc
    assert len(set(small)) == len(small)


def test_python_corpus_is_a_fixed_capped_order(small):
    assert python_corpus(max_chars=SMALL) == small
    bigger = python_corpus(max_chars=2 * SMALL)
    assert bigger[: len(small)] == small and len(bigger) > len(small)
    assert any(doc.startswith("def ") and "(self" in doc.split("\n")[0] for doc in bigger)  # methods, dedented


def test_python_documents_stay_whole_in_the_token_stream(small):
    """A list is its documents: each multi-line function is one BOS ... EOS frame."""
    docs = ["def f():\n    \"\"\"F.\"\"\"\n\n    return 1\n", "   \n", "def g():\n    \"\"\"G.\"\"\"\n"]
    assert split_documents(docs) == [docs[0], docs[2]]  # the blank one dropped, the rest untouched
    tok = ByteTokenizer()
    tokens, starts = pt._token_stream(tok, docs, window=3)
    expected = [256, *docs[0].encode(), 257, 256, *docs[2].encode(), 257]
    assert tokens.tolist() == expected and starts.tolist() == [0, len(docs[0]) + 2]
    tokens, starts = pt._token_stream(tok, small, window=3)
    assert len(starts) == len(small) and (tokens == 257).sum() == len(small)
    # A text still splits into lines, as the docstrings corpus and a user's file always did.
    assert split_documents("one.\n\n  two. \n") == ["one.", "two."]


def test_cache_keys_per_corpus_and_the_docstrings_key_is_unchanged():
    recipe = dataclasses.asdict(pt.DEFAULT_RECIPE)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    old_key = json.dumps({"format": 1, "policy": "lm", "policy_kwargs": TINY,
                          "corpus": f"Python {version} standard library docstrings", "recipe": recipe},
                         sort_keys=True, default=str)  # how default_path named the cache before
    old_name = f"lm-{hashlib.sha256(old_key.encode()).hexdigest()[:16]}.pt"
    assert pt.default_path(TINY).name == old_name and pt.default_path(TINY, "docstrings").name == old_name
    python = pt.default_path(TINY, "python")
    assert python.parent == pt.default_path(TINY).parent and python.name != old_name
    assert pt.default_path({**TINY, "n_embd": 16}, "python") != python
    with pytest.raises(UserError, match="unknown built-in corpus 'java'"):
        pt.default_path(TINY, "java")


def test_pretrain_corpus_config_key():
    assert resolve().pretrain_corpus == "docstrings"
    assert resolve({"pretrain_corpus": "python"}).pretrain_corpus == "python"
    with pytest.raises(UserError) as err:
        resolve({"pretrain_corpus": "code"})
    assert str(err.value) == "config pretrain_corpus must be one of docstrings, python, got 'code'"


def test_default_pretrained_trains_the_python_corpus(tmp_path, monkeypatch, small):
    monkeypatch.setenv("AGENTCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pt, "DEFAULT_RECIPE", pt.Recipe(steps=2, batch_size=2, seq_len=8))
    monkeypatch.setattr(pt, "PYTHON_TOKENS", 3 * pt.PYTHON_BATCH * 32)  # three batches of whole-context (32) windows
    monkeypatch.setattr(pt, "python_corpus", lambda: small)
    monkeypatch.setattr(pt, "default_corpus", lambda: pytest.fail("trained on the docstrings"))
    path = pt.default_pretrained(TINY, quiet=True, corpus="python")
    assert path == pt.default_path(TINY, "python") and path.is_file()
    state = checkpoint.load(path)
    assert state["corpus"].endswith("standard library functions (source code)")
    assert state["steps"] == 3  # the python recipe's token budget in whole-context windows


def test_pretrain_command_uses_the_envs_pretrain_corpus(tmp_path, monkeypatch, small):
    from agentctl.host import get_host

    registry = get_host().registry
    monkeypatch.setenv("AGENTCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pt, "DEFAULT_RECIPE", pt.Recipe(steps=2, batch_size=2, seq_len=8))
    monkeypatch.setattr(pt, "PYTHON_TOKENS", 3 * pt.PYTHON_BATCH * 32)  # three batches of whole-context (32) windows
    monkeypatch.setattr(pt, "python_corpus", lambda: small)
    config = registry.resolve("env", "textgen").default_config
    monkeypatch.setitem(config, "policy_kwargs", dict(TINY))
    monkeypatch.setitem(config, "pretrain_corpus", "python")
    try:
        cached = pt.pretrain_command(registry, "textgen", quiet=True)
        custom = pt.pretrain_command(registry, "textgen", steps=2, out=str(tmp_path / "c.pt"), quiet=True)
    finally:
        import torch

        torch.set_num_threads(1)  # the env's torch_threads was applied
    assert cached["checkpoint"] == str(pt.default_path(TINY, "python")) and cached["default"]
    assert custom["corpus"] == cached["corpus"] and custom["corpus"].endswith("functions (source code)")
    assert custom["corpus_tokens"] == sum(len(d) + 2 for d in small)  # BOS + bytes + EOS each


def test_cli_pretrain_corpus_file_unchanged(run_cli, tmp_path):
    """--corpus FILE still trains on the file's lines, whatever the env's pretrain_corpus."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat.\n\nthe dog ran to the park.\n")  # over a window: not repeated
    sets = [a for k, v in TINY.items() for a in ("--set", f"policy_kwargs.{k}={v}")]
    done = run_cli("pretrain", "--corpus", corpus, "--steps", "2", *sets, "--out", tmp_path / "w.pt", "--json",
                   env=clean_env(AGENTCTL_CACHE=str(tmp_path / "cache")))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    lines = ["the cat sat on the mat.", "the dog ran to the park."]
    assert summary["corpus"] == str(corpus) and summary["corpus_tokens"] == sum(len(line) + 2 for line in lines)
    assert not (tmp_path / "cache").exists()

    bad = run_cli("train", "--env", "textgen", "--steps", "1", "--set", "init=''", "--set", "pretrain_corpus=code",
                  env=clean_env(AGENTCTL_CACHE=str(tmp_path / "cache")))
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: config pretrain_corpus must be one of docstrings, python, got 'code'"), bad.stderr


def test_init_pretrained_starts_from_the_pretrain_corpus_warm_start(tmp_path, monkeypatch, small):
    """A run with init = "pretrained" and pretrain_corpus = python loads the python warm start."""
    import torch
    from agentctl.host import get_host
    from agentctl.run import TrainRequest, plan, prepare

    monkeypatch.setenv("AGENTCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pt, "DEFAULT_RECIPE", pt.Recipe(steps=2, batch_size=2, seq_len=8))
    monkeypatch.setattr(pt, "PYTHON_TOKENS", 3 * pt.PYTHON_BATCH * 32)  # three batches of whole-context (32) windows
    monkeypatch.setattr(pt, "python_corpus", lambda: small)
    sizes = {f"policy_kwargs.{k}": v for k, v in TINY.items()}
    registry = get_host().registry
    spec, cfg, run_dir, state = plan(TrainRequest(
        env="textgen", run_dir=str(tmp_path / "run"),
        overrides={**sizes, "init": "pretrained", "pretrain_corpus": "python", "num_envs": 2, "num_steps": 4,
                   "minibatch_size": 8, "tensorboard": False, "torch_threads": 1}), registry)
    trainer = prepare(registry, spec, cfg, run_dir, state).trainer
    try:
        warm = checkpoint.load(pt.default_path(TINY, "python"))["model"]
        assert not pt.default_path(TINY).exists()  # the docstrings warm start was never made
        weights = trainer.policy.state_dict()
        assert all(torch.equal(weights[k], v) for k, v in warm.items())
    finally:
        trainer.envs.close()


def test_short_windows_train_every_position_of_a_long_context(tmp_path, monkeypatch, small):
    """Windows shorter than the context start at random positions: position embeddings past the
    window length are trained too (with windows at position 0 they would never get a gradient)."""
    made = []
    real = pt.build_model

    def recording(policy_kwargs):
        model = real(policy_kwargs)
        made.append((model, model.network.wpe.weight.detach().clone()))
        return model

    monkeypatch.setattr(pt, "build_model", recording)
    pt.pretrain(TINY, small, out=tmp_path / "w.pt", steps=4, batch_size=4, seq_len=8, quiet=True)
    (model, before), = made
    moved = (model.network.wpe.weight.detach() - before).abs().sum(1)
    assert moved.shape[0] == TINY["context_length"] == 32
    assert (moved[8:] > 0).all(), "positions beyond the window length were never trained"


def test_demonstrations_add_a_fine_tuning_stage_on_top_of_the_corpus_stage(tmp_path, monkeypatch, small):
    """With demonstrations the warm start is two cached stages: the corpus (demonstrations mixed
    in), then fine-tuning on the demonstrations alone, starting from the first stage's weights."""
    import torch

    monkeypatch.setenv("AGENTCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pt, "PYTHON_TOKENS", 2 * pt.PYTHON_BATCH * 32)
    monkeypatch.setattr(pt, "python_corpus", lambda: small)
    # A vanishing learning rate: the fine-tuned weights must then be the corpus stage's own.
    monkeypatch.setattr(pt, "SFT_RECIPE", pt.Recipe(steps=3, batch_size=2, seq_len=16, lr=1e-12))
    starts = []
    real = pt.pretrain

    def recording(*args, **kwargs):
        starts.append(kwargs.get("init_state"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pt, "pretrain", recording)
    demos = ("def f(x):\n    return x + 1\n",)
    path = pt.default_pretrained(TINY, quiet=True, corpus="python", demonstrations=demos)
    base = pt.default_path(TINY, "python", demos)
    assert path == pt.sft_path(base, 32) and path.is_file() and base.is_file()
    assert starts[0] is None and starts[1] is not None
    first = checkpoint.load(base)["model"]
    assert all(torch.equal(first[k], starts[1][k]) for k in first), "the second stage must start from the first"
    tuned = checkpoint.load(path)["model"]
    assert all(torch.allclose(first[k], tuned[k], atol=1e-6) for k in first), "it trained a fresh model instead"
    assert checkpoint.load(path)["steps"] == 3 and "demonstrations alone" in checkpoint.load(path)["corpus"]
    assert pt.default_pretrained(TINY, quiet=True, corpus="python", demonstrations=demos) == path  # cached
    assert len(starts) == 2
