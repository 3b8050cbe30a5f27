"""Warm start: the default corpus, next-token pretraining, the cached default and `agentctl pretrain`.

References are independent: the token stream and the learning-rate schedule by hand, the
loss of a uniform guess (ln 259 for bytes) and of the corpus's own byte frequencies, and a
fresh model loaded from the checkpoint re-measured on the corpus. Models are tiny GPTs."""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from agentctl import checkpoint
from agentctl import pretrain as pt
from agentctl.errors import Interrupted, UserError
from agentctl.nn.lm import build_lm
from agentctl.text.corpus import _source_files, default_corpus, load_corpus, split_documents
from agentctl.text.tokenizer import ByteTokenizer
from conftest import clean_env

TINY = {"n_layer": 1, "n_head": 2, "n_embd": 32, "context_length": 32}
TEXT = "\n".join(["the cat sat on the mat.", "the dog ate the bone.", "a bird sang in the tree."] * 20)


def corpus_loss(model, text: str, seq_len: int) -> float:
    """Mean next-token cross-entropy of ``model`` over consecutive windows of the token stream."""
    tokens, _ = pt._token_stream(model.tokenizer, text, seq_len + 1)
    windows = torch.from_numpy(tokens[: len(tokens) // (seq_len + 1) * (seq_len + 1)]).view(-1, seq_len + 1)
    n = windows.shape[0]
    with torch.no_grad():
        logits, _, _ = model(windows[:, :-1], torch.ones(n, seq_len, dtype=torch.long),
                             torch.arange(seq_len).expand(n, seq_len))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1)).item()


# -- the corpus ---------------------------------------------------------------------------
def test_default_corpus_is_deterministic_capped_prose():
    small = default_corpus(max_chars=40_000)
    assert 30_000 < len(small) <= 40_000
    assert default_corpus(max_chars=40_000) == small  # same text every time
    assert default_corpus(max_chars=60_000).startswith(small)  # the cap cuts a fixed order
    paragraphs = split_documents(small)
    assert len(paragraphs) > 150
    assert ">>>" not in small and not any(p.startswith(("...", "$ ")) for p in paragraphs)
    letters = sum(c.isalpha() or c == " " for c in small)
    assert letters / len(small) > 0.9  # prose, not code
    words = Counter(small.lower().split())
    assert words["the"] > 500 and words["is"] > 100  # English


def test_default_corpus_size_and_sources():
    text = default_corpus()
    assert 300_000 < len(text) <= 2_000_000  # a few hundred KB to a few MB
    import sysconfig
    from pathlib import Path

    root = Path(sysconfig.get_paths()["stdlib"])
    folders = {p.relative_to(root).parts[0] for p in _source_files(root) if len(p.relative_to(root).parts) > 1}
    assert "json" in folders and not folders & {"test", "idlelib", "tkinter", "lib2to3", "site-packages"}


def test_load_corpus(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("\ufeffsome words.\nmore words.\n", encoding="utf-8")
    assert load_corpus(good) == "some words.\nmore words.\n"  # BOM dropped
    cases = {
        "missing.txt": (None, "not found"),
        "empty.txt": (b"", "empty"),
        "blank.txt": (b" \n\n\t\n", "empty"),
        "binary.bin": (b"\x7fELF\x00\x01\x02", "binary"),
        "latin1.txt": ("caf\u00e9 au lait".encode("latin-1"), "not UTF-8"),
    }
    for name, (data, message) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(UserError, match=message):
            load_corpus(tmp_path / name)
    with pytest.raises(UserError, match="folder"):
        load_corpus(tmp_path)


# -- the training data and schedule -----------------------------------------------------------
def test_token_stream_frames_documents_with_bos_and_eos():
    tok = ByteTokenizer()
    tokens, starts = pt._token_stream(tok, "ab\n\n  cd \n", window=3)
    assert tokens.tolist() == [256, 97, 98, 257, 256, 99, 100, 257]  # BOS doc EOS, twice
    assert starts.tolist() == [0, 4]
    tokens, starts = pt._token_stream(tok, "ab", window=9)  # shorter than a window: repeated
    assert tokens.tolist() == [256, 97, 98, 257] * 3 and starts.tolist() == [0]  # 4 + 9 > 12


def test_lr_schedule_by_hand():
    scale = [pt._lr_scale(i, steps=100, warmup=5) for i in range(100)]
    assert scale[:5] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert scale[5] == pytest.approx(1.0)
    assert scale[5 + 95 // 2] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 47 / 95)))
    assert scale[99] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 94 / 95)))
    assert all(a >= b for a, b in itertools.pairwise(scale[5:]))


# -- pretraining ----------------------------------------------------------------------------
def test_pretrain_lowers_the_loss_and_checkpoint_loads(tmp_path):
    out = tmp_path / "lm.pt"
    summary = pt.pretrain(TINY, TEXT, out=out, steps=60, batch_size=8, seq_len=24, lr=1e-2, seed=3,
                          corpus="three sentences", quiet=True)
    # Starts at a uniform guess over 259 ids; ends below what byte frequencies alone can reach.
    assert summary["first_loss"] == pytest.approx(math.log(259), abs=0.1)
    counts = Counter(pt._token_stream(ByteTokenizer(), TEXT, 25)[0].tolist())
    unigram = -sum(c / sum(counts.values()) * math.log(c / sum(counts.values())) for c in counts.values())
    assert summary["loss"] < unigram - 0.5, (summary["loss"], unigram)
    assert summary["steps"] == 60 and not summary["interrupted"]

    state = torch.load(out, weights_only=False)
    assert {"format", "kind", "policy", "policy_kwargs", "model", "corpus", "steps", "loss", "tokenizer"} <= set(state)
    assert (state["format"], state["kind"], state["policy"], state["policy_kwargs"], state["corpus"],
            state["steps"], state["tokenizer"]) == (1, "pretrained", "lm", TINY, "three sentences", 60, "bytes")
    assert checkpoint.load(out)["model"].keys() == state["model"].keys()  # what `train --init` reads
    fresh = build_lm(None, None, **TINY)
    untrained = corpus_loss(fresh, TEXT, 24)
    fresh.load_state_dict(state["model"])  # strict: every key fits
    trained = corpus_loss(fresh, TEXT, 24)
    assert trained == pytest.approx(summary["loss"], abs=0.3) and trained < untrained - 2


def test_pretrain_is_repeatable_and_refuses_bad_settings(tmp_path):
    a = pt.pretrain(TINY, TEXT, out=tmp_path / "a.pt", steps=3, batch_size=2, seq_len=8, seed=1, quiet=True)
    b = pt.pretrain(TINY, TEXT, out=tmp_path / "b.pt", steps=3, batch_size=2, seq_len=8, seed=1, quiet=True)
    assert a["loss"] == b["loss"]
    with pytest.raises(UserError, match="seq_len"):
        pt.pretrain(TINY, TEXT, out=tmp_path / "c.pt", steps=1, seq_len=33, quiet=True)
    with pytest.raises(UserError, match="n_layer"):
        pt.pretrain({**TINY, "n_layer": 0}, TEXT, out=tmp_path / "c.pt", steps=1, quiet=True)
    assert not (tmp_path / "c.pt").exists()


def test_progress_lines_when_not_a_terminal(tmp_path):
    import io

    stream = io.StringIO()
    pt.pretrain(TINY, TEXT, out=tmp_path / "a.pt", steps=20, batch_size=2, seq_len=8, stream=stream)
    lines = stream.getvalue().splitlines()
    assert [line.split()[3] for line in lines] == ["1/20", "2/20", "4/20", "6/20", "8/20", "10/20", "12/20",
                                                   "14/20", "16/20", "18/20", "20/20"]
    assert all(line.startswith("agentctl: pretrain step") and " loss " in line for line in lines)


# -- the cached default warm start ----------------------------------------------------------------
@pytest.fixture
def tiny_default(tmp_path, monkeypatch):
    """A tiny default recipe and corpus, cached under tmp_path."""
    monkeypatch.setenv("AGENTCTL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pt, "DEFAULT_RECIPE", pt.Recipe(steps=3, batch_size=2, seq_len=8, lr=1e-3))
    monkeypatch.setattr(pt, "default_corpus", lambda: TEXT)
    return tmp_path / "cache" / "pretrained"


def test_default_pretrained_is_cached_per_model(tiny_default, capsys):
    first = pt.default_pretrained(TINY, quiet=True)
    assert first.parent == tiny_default and first.is_file()
    assert "pretraining the default warm start" in capsys.readouterr().err
    stamp = first.stat().st_mtime_ns
    assert pt.default_pretrained(dict(reversed(TINY.items())), quiet=True) == first  # key order is no difference
    assert first.stat().st_mtime_ns == stamp and capsys.readouterr().err == ""  # reused, not retrained
    other = pt.default_pretrained({**TINY, "n_embd": 16}, quiet=True)
    assert other != first and other.is_file()
    assert sorted(p.name for p in tiny_default.iterdir() if p.suffix == ".pt") == sorted([first.name, other.name])
    state = checkpoint.load(first)
    assert state["steps"] == 3 and state["policy_kwargs"] == TINY


def test_default_pretrained_trains_once_for_two_callers(tiny_default, monkeypatch):
    calls = []
    real = pt.pretrain

    def slow_pretrain(*args, **kwargs):
        calls.append(1)
        threading.Event().wait(0.3)  # the second caller arrives while this one trains
        return real(*args, **kwargs)

    monkeypatch.setattr(pt, "pretrain", slow_pretrain)
    paths: list = []
    threads = [threading.Thread(target=lambda: paths.append(pt.default_pretrained(TINY, quiet=True)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(paths) == 2 and paths[0] == paths[1] and paths[0].is_file()


def test_default_pretrained_caches_nothing_when_stopped(tiny_default, monkeypatch):
    def stopped(*args, out, **kwargs):
        out.write_bytes(b"partial")
        return {"interrupted": True, "signal": 2}

    monkeypatch.setattr(pt, "pretrain", stopped)
    with pytest.raises(Interrupted, match="nothing was cached"):
        pt.default_pretrained(TINY, quiet=True)
    assert not [p for p in tiny_default.iterdir() if p.suffix != ".lock"]
    with pytest.raises(UserError, match="already pretrained"):
        pt.default_pretrained({"hf_model": "/some/folder"})


def test_pretrain_command_uses_the_env_defaults(tiny_default, monkeypatch):
    from agentctl.host import get_host

    monkeypatch.setitem(get_host().registry.resolve("env", "textgen").default_config, "policy_kwargs", dict(TINY))
    try:
        summary = pt.pretrain_command(get_host().registry, "textgen", quiet=True)
        again = pt.pretrain_command(get_host().registry, "textgen", ["policy_kwargs.n_embd=16"], quiet=True)
    finally:
        torch.set_num_threads(1)  # the env's torch_threads was applied
    assert summary["default"] and not summary["cached"] and summary["policy_kwargs"] == TINY
    assert summary["checkpoint"] == str(pt.default_path(TINY))
    assert again["policy_kwargs"] == {**TINY, "n_embd": 16} and again["checkpoint"] != summary["checkpoint"]
    assert pt.pretrain_command(get_host().registry, "textgen", quiet=True)["cached"]
    with pytest.raises(UserError, match="policy 'mlp'"):
        pt.pretrain_command(get_host().registry, "cartpole")
    with pytest.raises(UserError, match="policy_kwargs.KEY=VALUE only"):
        pt.pretrain_command(get_host().registry, None, ["learning_rate=1"])


# -- the command line -----------------------------------------------------------------------
def test_cli_pretrain_end_to_end(run_cli, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(TEXT)
    out = tmp_path / "warm.pt"
    sets = [a for k, v in TINY.items() for a in ("--set", f"policy_kwargs.{k}={v}")]
    env = clean_env(AGENTCTL_CACHE=str(tmp_path / "cache"))
    done = run_cli("pretrain", "--env", "textgen", "--corpus", corpus, "--steps", "20", *sets, "--out", out,
                   "--seed", "2", "--json", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["checkpoint"] == str(out) and summary["steps"] == 20 and summary["loss"] < summary["first_loss"]
    state = checkpoint.load(out)
    assert state["policy_kwargs"] == TINY and state["corpus"] == str(corpus)
    build_lm(None, None, **TINY).load_state_dict(state["model"])
    assert not (tmp_path / "cache").exists()  # a custom run leaves the cache alone

    plain = run_cli("pretrain", "--corpus", corpus, "--steps", "2", *sets, env=env)
    assert plain.returncode == 0, plain.stderr
    assert "checkpoint: pretrained.pt" in plain.stdout and "agentctl train --env textgen --init pretrained.pt" in plain.stdout
    assert (tmp_path / "pretrained.pt").is_file() and "pretrain step 2/2" in plain.stderr

    for args, message in [(("--corpus", tmp_path / "nope.txt"), "corpus file not found"),
                          (("--set", "lr=1"), "policy_kwargs.KEY=VALUE only"),
                          (("--env", "cartpole", "--steps", "1"), "policy 'mlp'")]:
        bad = run_cli("pretrain", *args, env=env)
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert bad.stderr.startswith("error: ") and message in bad.stderr
