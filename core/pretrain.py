"""Warm start for text generation: next-token training of the ``lm`` policy on a corpus.

PPO on language starts from a model that already writes text: a random one emits byte noise
that no reward can shape. ``pretrain`` trains ``build_lm(None, None, **policy_kwargs)`` by
next-token cross-entropy and writes a single checkpoint file that ``agentctl train --init
PATH`` starts from. ``default_pretrained`` is the warm start sequence envs use by default
(``init = "pretrained"``): trained once per model shape and built-in corpus (config
``pretrain_corpus``: the standard library's docstrings, or its functions' source code; see
``agentctl.text.corpus``) and cached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Self

import numpy as np
from agentctl import checkpoint as ckpt
from agentctl.assemble import resolve_device
from agentctl.errors import Interrupted, UserError
from agentctl.runlog import format_duration
from agentctl.seeding import Stream, int_seed, rng
from agentctl.stopping import StopSignals
from agentctl.text.corpus import corpus_description, default_corpus, python_corpus, split_documents


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How the default warm start is trained. Sized for a 2-core CPU: about two minutes for
    the default GPT (4 layers x 128 wide, context 128, bytes), which then writes English-ish
    text; ``seq_len`` 0 means the model's whole context."""

    steps: int = 600
    batch_size: int = 16
    seq_len: int = 0
    lr: float = 6e-3
    seed: int = 0


DEFAULT_RECIPE = Recipe()
# Python source takes longer to learn than English prose: on the default GPT, 3x the tokens
# (1,800 steps of 16 x 128 instead of 600) bring the python corpus's loss from 1.67 to 1.17
# nats/byte, and that of the bodies of small unseen functions (signature and docstring given)
# from 1.97 to 1.56. Windows stay 128 tokens whatever the context: codegen's 576-token context
# trained on whole-context windows got 4.5x fewer optimizer steps for the same tokens and
# stalled at 1.98 nats/byte (measured), writing no compiling body. Short windows at random
# positions (see ``pretrain``) train every position of a long context at the short cost.
PYTHON_TOKENS = 1800 * 16 * 128
PYTHON_BATCH = 16
PYTHON_WINDOW = 128
TOKENS_PER_MINUTE = 300 * 16 * 128  # the default GPT on 2 CPU cores (measured), for the notice


def recipe_for(corpus: str, policy_kwargs: dict[str, Any] | None = None) -> Recipe:
    """The warm start's recipe for the built-in ``corpus``: ``DEFAULT_RECIPE``; for Python
    source, ``PYTHON_TOKENS`` tokens in batches of ``PYTHON_BATCH`` windows of ``PYTHON_WINDOW``
    tokens (or the whole context, if shorter)."""
    if corpus == "python":
        window = min(PYTHON_WINDOW, _context(policy_kwargs or {}))
        return dataclasses.replace(DEFAULT_RECIPE, batch_size=PYTHON_BATCH, seq_len=window,
                                   steps=math.ceil(PYTHON_TOKENS / (PYTHON_BATCH * window)))
    return DEFAULT_RECIPE


def pretrain(policy_kwargs: dict[str, Any], corpus_text: str | Sequence[str], *, out: str | Path, steps: int,
             batch_size: int = 16, seq_len: int = 0, lr: float = 6e-3, seed: int = 0, device: str = "cpu",
             corpus: str = "", quiet: bool = False, stream: IO[str] | None = None,
             init_state: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train the ``lm`` policy on ``corpus_text`` (a text, one document a line, or a list of
    documents: see ``split_documents``) for ``steps`` optimizer steps and write the checkpoint
    to ``out`` (atomically); returns a summary.

    Each step is ``batch_size`` windows of ``seq_len + 1`` tokens (0: the model's context)
    from the corpus's token stream, each window at a random place in the context when it is
    shorter (so every learned position embedding is trained): every document starts as a prompt does (BOS) and ends
    with an end-of-text token, so the model learns to stop. The learning rate warms up
    linearly over the first 5% of steps, then follows a cosine down to a tenth. A stop signal
    (Ctrl-C, SIGTERM, SIGHUP) ends training after the current step and the checkpoint holds
    what was trained (``interrupted``). ``corpus`` describes the text, for the checkpoint;
    ``loss`` is the mean over the last tenth of the steps (nats per token). ``init_state``:
    weights to start from (a second stage of training) instead of a fresh model.
    """
    import torch
    import torch.nn.functional as F

    if steps < 1 or batch_size < 1 or not (lr > 0 and math.isfinite(lr)):
        raise UserError(f"pretrain needs steps >= 1, batch_size >= 1 and lr > 0; got steps={steps}, "
                        f"batch_size={batch_size}, lr={lr}")
    dev = resolve_device(device)
    torch.manual_seed(int_seed(seed, Stream.INIT))
    model = build_model(policy_kwargs).to(dev)
    if init_state is not None:
        model.load_state_dict(init_state)
    context = int(model.context_length)
    seq_len = seq_len or context
    if not 1 <= seq_len <= context:
        raise UserError(f"pretrain seq_len must be 1 to the model's context_length {context}, got {seq_len}")
    tokens, starts = _token_stream(model.tokenizer, corpus_text, seq_len + 1)
    windows = rng(seed, Stream.MINIBATCHES)
    warmup = max(1, steps // 20)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: _lr_scale(i, steps, warmup))
    positions = torch.arange(seq_len, device=dev).expand(batch_size, seq_len)
    offsets = rng(seed, Stream.ACTIONS)  # its own stream: whole-context windows draw nothing from it
    mask = torch.ones(batch_size, seq_len, dtype=torch.long, device=dev)
    losses: list[float] = []
    t0 = time.perf_counter()
    model.train()
    with StopSignals() as stop:
        stop.armed = True
        try:
            with _Progress(steps, quiet, stream) as bar:
                for _ in range(steps):
                    batch = torch.from_numpy(_sample(tokens, starts, batch_size, seq_len + 1, windows)).to(dev)
                    where = positions
                    if seq_len < context:
                        shift = offsets.integers(0, context - seq_len + 1, size=(batch_size, 1))
                        where = positions + torch.from_numpy(shift).to(dev)
                    logits, _, _ = model(batch[:, :-1], mask, where)
                    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), batch[:, 1:].reshape(-1))
                    if not torch.isfinite(loss):
                        raise UserError(f"pretraining diverged (loss {loss.item()}) at step {len(losses) + 1}; "
                                        f"try a smaller learning rate than {lr}")
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    sched.step()
                    losses.append(loss.item())
                    bar.update(len(losses), losses[-1], time.perf_counter() - t0)
                    if stop.requested is not None:
                        break
            final = float(np.mean(losses[-max(1, len(losses) // 10):]))
            state = {"format": 1, "kind": "pretrained", "policy": "lm", "policy_kwargs": dict(policy_kwargs),
                     "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                     "corpus": corpus or "user text", "steps": len(losses), "loss": final,
                     "tokenizer": getattr(model.tokenizer, "name", "bytes")}
            path = save_file(state, Path(out))
        except Interrupted as exc:  # a second signal while finishing: the checkpoint was not written
            raise Interrupted(exc.signum, f"aborted while pretraining; {out} was not written") from None
    return {"checkpoint": str(path), "steps": len(losses), "loss": final, "first_loss": losses[0],
            "wall_s": time.perf_counter() - t0, "tokens": len(losses) * batch_size * seq_len,
            "corpus": state["corpus"], "corpus_tokens": len(tokens), "policy_kwargs": dict(policy_kwargs),
            "interrupted": len(losses) < steps, "signal": stop.requested}


# Supervised fine-tuning on a task's demonstrations after the corpus (what the demonstrations
# mixed into the corpus alone did not do: the codegen warm start still predicted its train
# references' bodies at 3.0 nats/byte and wrote no compiling body). About 30 passes over
# codegen's 137 references; two to three minutes on 2 cores.
SFT_RECIPE = Recipe(steps=600, batch_size=8, seq_len=256, lr=1e-3)


def default_pretrained(policy_kwargs: dict[str, Any], quiet: bool = False, device: str = "cpu",
                       corpus: str = "docstrings", demonstrations: Sequence[str] = ()) -> Path:
    """The cached warm start for ``policy_kwargs``: trained with ``recipe_for(corpus, ...)`` on the built-in
    ``corpus`` (a ``pretrain_corpus`` name), mixed with the task's ``demonstrations`` if it has
    any (see ``with_demonstrations``), then fine-tuned on the demonstrations alone
    (``SFT_RECIPE``), the first time it is asked for (a notice on stderr says so), then read
    from the cache. Each stage is cached on its own. Two processes asking at once: the second
    waits for the first's file. A stop signal while it trains caches nothing."""
    if policy_kwargs.get("hf_model"):
        raise UserError("init = 'pretrained' trains the built-in GPT; a Hugging Face model is already "
                        "pretrained: leave init unset (or pass --set init=PATH to a checkpoint)")
    recipe, description = recipe_for(corpus, policy_kwargs), corpus_description(corpus)
    if demonstrations:
        description += f" + {len(demonstrations)} task demonstrations"
    context = _context(policy_kwargs)

    def corpus_stage(out: Path) -> dict[str, Any]:
        text = with_demonstrations(_builtin_corpus(corpus), demonstrations)
        return pretrain(policy_kwargs, text, out=out, steps=recipe.steps, batch_size=recipe.batch_size,
                        seq_len=recipe.seq_len, lr=recipe.lr, seed=recipe.seed, device=device, corpus=description,
                        quiet=quiet)

    window = recipe.seq_len or context
    base = _cached(default_path(policy_kwargs, corpus, demonstrations), corpus_stage,
                   f"{recipe.steps} steps of next-token training on the {description}, about "
                   f"{max(1.0, recipe.steps * recipe.batch_size * window / TOKENS_PER_MINUTE):.0f} minutes on 2 CPU cores")
    if not demonstrations:
        return base
    sft = _sft_recipe(context)

    def sft_stage(out: Path) -> dict[str, Any]:
        return pretrain(policy_kwargs, list(demonstrations), out=out, steps=sft.steps, batch_size=sft.batch_size,
                        seq_len=sft.seq_len, lr=sft.lr, seed=sft.seed, device=device, quiet=quiet,
                        corpus=f"{description}, then {len(demonstrations)} task demonstrations alone",
                        init_state=ckpt.load(base)["model"])

    return _cached(sft_path(base, context), sft_stage,
                   f"{sft.steps} steps of fine-tuning on the task's {len(demonstrations)} demonstrations, about "
                   f"{max(1.0, sft.steps * sft.batch_size * sft.seq_len / TOKENS_PER_MINUTE):.0f} minutes")


def warm_start_path(policy_kwargs: dict[str, Any], corpus: str, demonstrations: Sequence[str] = ()) -> Path:
    """The file ``default_pretrained`` returns (its last stage), whether or not it exists yet."""
    base = default_path(policy_kwargs, corpus, demonstrations)
    return sft_path(base, _context(policy_kwargs)) if demonstrations else base


def _context(policy_kwargs: dict[str, Any]) -> int:
    """The built-in GPT's context length for ``policy_kwargs`` (its default: 128)."""
    return int(policy_kwargs.get("context_length") or 128)


def _sft_recipe(context: int) -> Recipe:
    return dataclasses.replace(SFT_RECIPE, seq_len=min(SFT_RECIPE.seq_len, context))


def sft_path(base: Path, context: int) -> Path:
    """Where the fine-tuned stage on top of the warm start ``base`` is cached."""
    key = json.dumps(dataclasses.asdict(_sft_recipe(context)), sort_keys=True)
    return base.with_name(f"{base.stem}-sft-{hashlib.sha256(key.encode()).hexdigest()[:8]}.pt")


def _cached(path: Path, train: Any, what: str) -> Path:
    """``path`` if it exists, else ``train(partial_path)`` under a lock and moved into place."""
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the cache folder {path.parent}: {exc.strerror or exc}; "
                        "set AGENTCTL_CACHE to a writable folder") from None
    with _locked(path.with_suffix(".lock")):
        if path.is_file():  # another process trained it while we waited
            return path
        print(f"agentctl: pretraining the default warm start once ({what}); cached as {path}",
              file=sys.stderr, flush=True)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.partial")
        try:
            summary = train(partial)
            if summary["interrupted"]:  # a partial warm start must not pass for the real one
                raise Interrupted(summary["signal"], "stopped while pretraining the warm start; nothing was cached")
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def default_path(policy_kwargs: dict[str, Any], corpus: str = "docstrings",
                 demonstrations: Sequence[str] = ()) -> Path:
    """Where the warm start for ``policy_kwargs`` on the built-in ``corpus`` is cached: the name
    hashes everything the weights depend on (policy_kwargs, the corpus's description, which
    names the Python version, the recipe, and the demonstrations if any)."""
    fields = {"format": 1, "policy": "lm", "policy_kwargs": policy_kwargs, "corpus": corpus_description(corpus),
              "recipe": dataclasses.asdict(recipe_for(corpus, policy_kwargs))}
    if demonstrations:
        fields["demonstrations"] = hashlib.sha256("\0".join(demonstrations).encode()).hexdigest()
    key = json.dumps(fields, sort_keys=True, default=str)
    return cache_dir() / f"lm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def describe(path: Path) -> dict[str, Any]:
    """A pretrained checkpoint's summary (what ``pretrain`` returns, as far as the file says)."""
    from agentctl import checkpoint

    state = checkpoint.load(path)
    return {"checkpoint": str(path), "steps": state.get("steps"), "loss": state.get("loss"),
            "corpus": state.get("corpus"), "policy_kwargs": state.get("policy_kwargs"), "interrupted": False,
            "signal": None}


def pretrain_command(registry: Any, env: str | None = None, sets: tuple[str, ...] | list[str] = (),
                     corpus_path: str | None = None, steps: int | None = None, seed: int | None = None,
                     out: str | None = None, device: str = "cpu", quiet: bool = False) -> dict[str, Any]:
    """``agentctl pretrain``: policy_kwargs and pretrain_corpus from ``env``'s default config
    (else the built-in GPT's defaults and the docstrings corpus) and ``--set
    policy_kwargs.KEY=V``. With no corpus file, steps, seed or out it makes the env's default
    warm start (the cached file ``init = "pretrained"`` loads), else it trains with those (on
    the file, else the env's built-in corpus) and writes ``out`` (default ``pretrained.pt``)."""
    from agentctl.config import parse_set, resolve

    overrides = parse_set(sets)
    other = [k for k in overrides if k.partition(".")[0] != "policy_kwargs"]
    if other:
        raise UserError(f"pretrain --set takes policy_kwargs.KEY=VALUE only, got {', '.join(other)}")
    layers: list[Any] = []
    if env is not None:
        spec = registry.resolve("env", env)
        policy = spec.default_config.get("policy") or spec.policy
        if policy != "lm":
            raise UserError(f"env {spec.name!r} uses policy {policy!r}; pretrain trains the language-model "
                            "policy 'lm' of sequence envs such as textgen")
        layers.append(spec.default_config)
    cfg = resolve(*layers, overrides)
    if cfg.torch_threads > 0:  # the env's thread count, as its training would use
        import torch

        torch.set_num_threads(cfg.torch_threads)
    policy_kwargs = dict(cfg.policy_kwargs)
    if corpus_path is None and steps is None and seed is None and out is None:
        demonstrations: Sequence[str] = ()
        if env is not None:  # the env's own warm start: the one `train` builds, demonstrations included
            from agentctl.assemble import make_envs

            demonstrations = getattr(make_envs(spec, cfg, num_envs=1), "demonstrations", ())
        cached = warm_start_path(policy_kwargs, cfg.pretrain_corpus, demonstrations).is_file()
        summary = describe(default_pretrained(policy_kwargs, quiet=quiet, device=device, corpus=cfg.pretrain_corpus,
                                              demonstrations=demonstrations))
        summary.update(cached=cached, default=True)
    else:
        from agentctl.text.corpus import load_corpus

        recipe = DEFAULT_RECIPE if corpus_path is not None else recipe_for(cfg.pretrain_corpus, policy_kwargs)
        text = load_corpus(corpus_path) if corpus_path is not None else _builtin_corpus(cfg.pretrain_corpus)
        summary = pretrain(policy_kwargs, text, out=out or "pretrained.pt",
                           steps=recipe.steps if steps is None else steps, batch_size=recipe.batch_size,
                           seq_len=recipe.seq_len, lr=recipe.lr, seed=recipe.seed if seed is None else seed,
                           device=device,
                           corpus=str(corpus_path) if corpus_path else corpus_description(cfg.pretrain_corpus),
                           quiet=quiet)
        summary.update(cached=False, default=False)
    summary["env"] = env
    return summary


def cache_dir() -> Path:
    """Where warm starts are kept: ``$AGENTCTL_CACHE/pretrained`` (default ``~/.cache/agentctl``)."""
    root = os.environ.get("AGENTCTL_CACHE")
    if not root:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agentctl"
    return Path(root) / "pretrained"


def save_file(state: dict[str, Any], path: Path) -> Path:
    """Write a pretrained checkpoint atomically."""
    return ckpt.write_atomic(state, path, "pretrained checkpoint")


# -- pieces ---------------------------------------------------------------------------------
# The share of the warm start's text (by characters) that a task's demonstrations make up, each
# repeated as often as that takes: enough for the model to learn the task's format and idioms
# (supervised fine-tuning before PPO) without crowding out the corpus.
DEMONSTRATION_SHARE = 0.2


def with_demonstrations(corpus: str | list[str], demonstrations: Sequence[str]) -> str | list[str]:
    """The corpus's documents followed by the demonstrations, repeated to make up
    ``DEMONSTRATION_SHARE`` of the characters (the corpus alone when there are none)."""
    if not demonstrations:
        return corpus
    documents = split_documents(corpus)
    base, demos = sum(map(len, documents)), sum(map(len, demonstrations))
    repeats = max(1, round(DEMONSTRATION_SHARE / (1 - DEMONSTRATION_SHARE) * base / max(1, demos)))
    return documents + list(demonstrations) * repeats


def _builtin_corpus(name: str) -> str | list[str]:
    """The built-in corpus ``name``: the docstrings as text (a paragraph a line), the Python
    functions as a list of documents (looked up at call time, so tests can swap in a tiny one)."""
    corpus_description(name)  # refuses an unknown name
    return default_corpus() if name == "docstrings" else python_corpus()


def build_model(policy_kwargs: dict[str, Any]) -> Any:
    """The ``lm`` policy for ``policy_kwargs``; a key it does not take is one line."""
    from agentctl.nn.lm import build_lm

    try:
        return build_lm(None, None, **policy_kwargs)
    except TypeError as exc:  # a policy_kwargs key the builder does not take
        raise UserError(f"policy 'lm' cannot be built with policy_kwargs {policy_kwargs}: {exc}") from None


def _token_stream(tokenizer: Any, text: str | Sequence[str], window: int) -> tuple[np.ndarray, np.ndarray]:
    """All documents' tokens as one array, each document as a prompt begins (BOS, when the
    tokenizer has one) and followed by EOS, and where each document starts. A stream shorter
    than one window is repeated until it fills one."""
    bos = [tokenizer.bos_id] if getattr(tokenizer, "bos_id", None) is not None else []
    ids: list[int] = []
    starts: list[int] = []
    for doc in split_documents(text):
        starts.append(len(ids))
        ids.extend(bos + tokenizer.encode(doc))
        ids.append(tokenizer.eos_id)
    if not starts:
        raise UserError("the corpus has no text to train on")
    tokens = np.asarray(ids, dtype=np.int64)
    repeats = -(-window // len(tokens))  # ceil
    if repeats > 1:
        starts = [s + r * len(tokens) for r in range(repeats) for s in starts]
        tokens = np.tile(tokens, repeats)
    starts_arr = np.asarray(starts, dtype=np.int64)
    return tokens, starts_arr[starts_arr <= len(tokens) - window]


def _sample(tokens: np.ndarray, starts: np.ndarray, batch: int, window: int, gen: np.random.Generator) -> np.ndarray:
    """``batch`` windows of the stream: half start at a document's first token (prompts start
    a text at position 0, so the model must see beginnings there), half anywhere (the rest of
    long documents)."""
    anywhere = gen.integers(0, len(tokens) - window + 1, size=batch)
    if len(starts):
        at_start = starts[gen.integers(0, len(starts), size=batch)]
        anywhere = np.where(np.arange(batch) % 2 == 0, at_start, anywhere)
    return np.stack([tokens[s:s + window] for s in anywhere])


def _lr_scale(step: int, steps: int, warmup: int) -> float:
    """Linear warmup to 1, then a cosine down to 0.1 at the last step."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX ``flock``; where there is none, the atomic
    rename alone keeps the cache whole, and two processes may both train)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"agentctl: waiting for another process that is pretraining {path.with_suffix('.pt')}",
                  file=sys.stderr, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class _Progress:
    """Step, loss and ETA on stderr: a live rich bar on a terminal, else a plain line at every
    tenth of the run (a log file shows nothing of a live bar until the end)."""

    def __init__(self, total: int, quiet: bool, stream: IO[str] | None) -> None:
        self.total, self.quiet = total, quiet
        self.stream = stream if stream is not None else sys.stderr
        self.every = max(1, total // 10)
        self.bar: Any = None
        if not quiet and _isatty(self.stream):
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("[bold]pretrain"), BarColumn(), TaskProgressColumn(),
                                TextColumn("{task.completed:,}/{task.total:,} steps"),
                                TextColumn("loss {task.fields[loss]:.3f}"), TimeRemainingColumn(),
                                console=Console(file=self.stream))
            self.task = self.bar.add_task("pretrain", total=total, loss=float("nan"))

    def __enter__(self) -> Self:
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def update(self, step: int, loss: float, elapsed: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=step, loss=loss)
        elif not self.quiet and (step == 1 or step % self.every == 0 or step == self.total):
            eta = format_duration(elapsed / step * (self.total - step))
            print(f"agentctl: pretrain step {step:,}/{self.total:,} loss {loss:.3f} "
                  f"elapsed {format_duration(elapsed)} eta {eta}", file=self.stream, flush=True)


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
