"""agentctl's sequence trainer vs TRL 1.12's PPO and GRPO trainers on the same small text-generation work.

    pip install torch==2.13.0 && pip install -r benchmarks/requirements-textgen.txt   # a separate venv
    python benchmarks/textgen_vs_trl.py                         # every side, seeds 42,43,44, 1 torch thread
    python benchmarks/textgen_vs_trl.py --sides trl_ppo_gcfreeze,trl_grpo --seeds 42 --updates 200

The work (both sides): a GPT-2-shaped model with 2 layers, 2 heads, width 64, context 64 and a
1,024-token byte-level BPE vocabulary, randomly initialised from the run's seed; 64 prompts of the
form "the movie was"; 16 completions per update of exactly 16 new tokens at temperature 0.7;
50 updates x 4 epochs x 1 minibatch; Adam(W) lr 3e-3 constant; KL coefficient 0.05 to the frozen
initial model; gamma 1, lambda 0.95, clip 0.2 (policy) / 0.2 (value), vf_coef 0.1; reward = the
VADER compound score of the response text (-1..1).

The tokenizer is trained at run time with `tokenizers` (byte-level BPE, specials ``<|endoftext|>``
and ``<pad>``) on the 64 prompts plus the docstrings of the Python standard library's own source
files (read with ``ast``; nothing is downloaded), once per invocation; every side gets the same
tokenizer.json. Its sha256 is in the output (it depends on the Python version's stdlib).

Sides (each (side, seed) is a fresh subprocess; sides interleaved per seed, one at a time):
  ours_gae          agentctl's SequenceTrainer (the engine ``agentctl train --env textgen`` runs), built
                    through the library API: the built-in GPT (``lm`` policy, n_layer 2, n_head 2,
                    n_embd 64, context_length 64, the same tokenizer.json; value head on the shared
                    trunk), advantage=gae, num_envs 16, num_steps 16, minibatch_size 256, update_epochs 4,
                    Adam eps 1e-8, no lr annealing, clipped value loss, fixed kl_coef (kl_target 0),
                    advantages normalised per minibatch (= the batch, as TRL whitens them), no gradient
                    clipping (as TRL's PPO). A sampled EOS does not end a completion (the work is exactly
                    16 new tokens; ``--ours-eos-stops`` restores agentctl's stop at EOS).
  ours_grpo         the same with advantage=grpo, group_size 4 (4 prompts x 4 completions), no critic,
                    no further advantage normalisation, gradient norm clipped at 1 (as TRL's GRPO). As in
                    TRL's GRPO, the task scores are standardised within each group and the KL to the
                    reference is a k3 term in the loss, weighted by the KL coefficient.
  trl_ppo           ``trl.experimental.ppo.PPOTrainer`` as shipped. Policy GPT2LMHeadModel, value
                    model a separate GPT2ForSequenceClassification (num_labels=1, same config and seed:
                    TRL's PPO has no shared value head), reference = TRL's own copy of the policy.
                    TRL has no reward-function hook: the reward model is a torch module shaped like a
                    sequence classifier (``base_model_prefix`` backbone + ``score``) whose backbone
                    decodes the response and returns its VADER score at every position.
                    No stop token (``stop_token=None``), so generation always runs 16 tokens; as in
                    TRL, a sampled ``<pad>`` ends that response (counted in ``pad_cut``).
  trl_ppo_gcfreeze  the same, with ``gc.freeze()`` after setup: TRL calls ``gc.collect()`` twice per
                    update, and a full collection over torch/transformers' heap costs more than the
                    update itself on this model size.
  trl_grpo          ``trl.GRPOTrainer`` (TRL's current on-policy trainer): 4 prompts x 4 completions
                    (num_generations=4) per update, rewards normalised within the group, no critic;
                    steps_per_generation=1, num_iterations=4 (4 epochs on each generation), 200
                    optimizer steps = 50 updates; beta=0.05 (TRL's k3 KL in the loss, reference model
                    loaded from the same saved initial weights); epsilon 0.2; TRL's default loss_type
                    ("dapo") and scale_rewards ("group"); ``min_new_tokens=16`` so no completion ends
                    early.
Both TRL trainers: bf16 off, gradient checkpointing off, no logging/saving/sample generations,
AdamW (weight decay 0, eps 1e-8) with ``lr_scheduler_type="constant"``. TRL's PPO loop calls
``optimizer.step()`` with no gradient clipping; TRL's GRPO goes through transformers' Trainer,
which clips the gradient norm at ``max_grad_norm`` (1.0).

Timed: ``trainer.train()`` only (tokenizer, model building, trainer construction are setup), after a
``gc.collect()``. Reward per update = mean VADER score of that update's 16 rollout completions,
recorded inside the reward function, so every side is measured the same way; ``final_reward`` is the
mean over the last 10% of updates (5 of 50), ``first_reward`` over the first 10%.
Torch runs with ``--threads`` intra-op threads (default 1) and TOKENIZERS_PARALLELISM=false.

Output (JSON lines, printed and written to ``--out`` as they come): one line per (side, seed) with
``wall_s`` and ``final_reward`` (and the per-update reward curve; a failed run is a line with its
``error``), then one summary line per side (means over the seeds that ran, with the agentctl commit
measured) and one per comparison with the wall-time ratio.

Measured on the 2-core dev VM (shared with other jobs, 1-minute load 0.8-3.2 counting this run), torch 2.13
CPU, 1 thread, trl 1.12.0 / transformers 5.24.0, agentctl with grpo's KL as a k3 loss term; mean wall s of
training / mean final reward over seeds 42, 43, 44 (results/textgen_vs_trl.json, results/textgen_vs_trl_200.json):
    50 updates:   ours_gae  4.5 s / 0.010   TRL PPO 29.9 s as shipped, 8.4 s gc-frozen / 0.030
                  ours_grpo 3.9 s / 0.805   TRL GRPO 6.6 s / 0.307
                  ratios: ours_gae / TRL PPO gc-frozen 0.54 (0.15 vs as shipped), ours_grpo / TRL GRPO 0.60
    200 updates:  ours_gae 17.6 s / 0.031   TRL PPO gc-frozen 36.7 s / 0.020 (123.3 s as shipped)   ratio 0.48
                  ours_grpo 18.9 s / 0.925  TRL GRPO 25.6 s / 0.683                                 ratio 0.74
PPO with a value function barely moves the reward from random init in either implementation at this
budget (per-seed finals -0.002..0.089); the group-normalised estimators learn (ours 0.67-0.98, above
TRL's GRPO on every seed at 50 and at 200 updates; TRL 0.20-0.80).
Wall times on this VM vary by up to ~1.5x between invocations: compare ratios within one invocation.
TRL is deterministic on CPU here (the same seed gives the same rewards run to run).
"""

from __future__ import annotations

import argparse
import ast
import gc
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

# The shape of the work, shared by every side.
N_LAYER, N_HEAD, N_EMBD, CONTEXT, VOCAB = 2, 2, 64, 64, 1024
BATCH, NEW_TOKENS, TEMPERATURE, EPOCHS, MINIBATCHES = 16, 16, 0.7, 4, 1
LR, KL_COEF, GAMMA, LAMBDA, CLIP, CLIP_VALUE, VF_COEF = 3e-3, 0.05, 1.0, 0.95, 0.2, 0.2, 0.1
GROUP = 4  # GRPO completions per prompt
EOS, PAD = "<|endoftext|>", "<pad>"

SUBJECTS = ("the movie", "the film", "the book", "the show", "the play", "the song", "the album", "the game",
            "the meal", "the hotel", "the concert", "the story", "the ending", "the trip", "the party", "the class")
VERBS = ("was", "is", "felt", "seemed")
PROMPTS = [f"{subject} {verb}" for subject in SUBJECTS for verb in VERBS]  # 64 distinct prompts

SIDES = ("ours_gae", "trl_ppo", "trl_ppo_gcfreeze", "ours_grpo", "trl_grpo")
# (numerator, denominator) of each wall-time ratio
COMPARISONS = (("ours_gae", "trl_ppo_gcfreeze"), ("ours_gae", "trl_ppo"), ("ours_grpo", "trl_grpo"),
               ("trl_ppo_gcfreeze", "trl_ppo"))


# ---------------------------------------------------------------- the shared pieces

def stdlib_docstrings(max_chars: int = 2_000_000) -> list[str]:
    """Docstrings of the standard library's top-level modules, parsed with ast (nothing imported)."""
    texts, total = [], 0
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    texts.append(doc)
                    total += len(doc)
        if total >= max_chars:
            break
    return texts


def train_tokenizer(path: Path) -> str:
    """Train the byte-level BPE (vocab 1,024) and save it as a tokenizer.json; returns its sha256."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=[EOS, PAD], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(PROMPTS + stdlib_docstrings(), trainer)
    if tok.get_vocab_size() != VOCAB:
        raise SystemExit(f"tokenizer has {tok.get_vocab_size()} tokens, expected {VOCAB}")
    tok.save(str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()


_VADER = None


def vader(texts: list[str]) -> list[float]:
    """VADER compound score of each text."""
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        _VADER = SentimentIntensityAnalyzer()
    return [_VADER.polarity_scores(t)["compound"] for t in texts]


def hf_tokenizer(tokenizer_json: Path):
    """The tokenizer.json as a transformers tokenizer: prompts left-padded with <pad>."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_json), eos_token=EOS, pad_token=PAD,
                                   padding_side="left")


def gpt2_config(tokenizer, **extra):
    from transformers import GPT2Config

    return GPT2Config(vocab_size=VOCAB, n_positions=CONTEXT, n_embd=N_EMBD, n_layer=N_LAYER, n_head=N_HEAD,
                      resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
                      pad_token_id=tokenizer.pad_token_id, **extra)


def save_initial_policy(tokenizer, seed: int, folder: Path) -> Path:
    """Randomly initialised GPT2LMHeadModel (seed) saved as a local model folder (GRPO reloads its reference)."""
    from transformers import GPT2LMHeadModel, set_seed

    set_seed(seed)
    model = GPT2LMHeadModel(gpt2_config(tokenizer))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def common_args(seed: int, out_dir: str) -> dict:
    """TrainingArguments shared by both TRL trainers: fp32 on CPU, constant lr, no logging or saving."""
    return {"output_dir": out_dir, "seed": seed, "learning_rate": LR, "lr_scheduler_type": "constant",
            "per_device_train_batch_size": BATCH, "gradient_accumulation_steps": 1,
            "bf16": False, "fp16": False, "gradient_checkpointing": False, "use_cpu": True,
            "report_to": "none", "save_strategy": "no", "logging_steps": 10_000, "disable_tqdm": True,
            "dataloader_num_workers": 0}


def quiet(trainer) -> None:
    """Drop transformers' progress/printer callbacks (their per-update printing is not the work)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for cb in (PrinterCallback, ProgressCallback):
        trainer.remove_callback(cb)


def timed_train(trainer, freeze: bool) -> float:
    gc.collect()
    if freeze:
        gc.freeze()
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def summarise(rewards: list[float]) -> dict:
    k = max(1, len(rewards) // 10)
    mean = lambda xs: sum(xs) / len(xs)
    return {"updates": len(rewards), "first_reward": round(mean(rewards[:k]), 4),
            "final_reward": round(mean(rewards[-k:]), 4), "rewards": [round(r, 3) for r in rewards]}


# ---------------------------------------------------------------- TRL PPO

def run_trl_ppo(tokenizer_json: Path, seed: int, updates: int, freeze: bool, work: Path) -> dict:
    import torch
    from datasets import Dataset
    from transformers import (
        DataCollatorWithPadding,
        GPT2ForSequenceClassification,
        GPT2LMHeadModel,
        set_seed,
    )
    from transformers.modeling_outputs import BaseModelOutput
    from trl.experimental.ppo import PPOConfig, PPOTrainer

    tokenizer = hf_tokenizer(tokenizer_json)
    prompt_ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in PROMPTS]
    prompt_len = max(len(ids) for ids in prompt_ids)  # every query is left-padded to this length
    rewards: list[float] = []
    pad_cut = [0]

    class VaderBackbone(torch.nn.Module):
        """Decodes each response (the tokens after the fixed-length query, cut at TRL's first <pad>)
        and returns its VADER score as a [B, T, 1] 'hidden state' at every position, so TRL's get_reward
        reads it at whatever index it picks."""

        def forward(self, input_ids, attention_mask, **_):
            response, real = input_ids[:, prompt_len:], attention_mask[:, prompt_len:].bool()
            texts = []
            for ids, ok in zip(response.tolist(), real.tolist()):
                n = ok.index(False) if False in ok else len(ok)
                pad_cut[0] += n < len(ok)
                texts.append(tokenizer.decode(ids[:n], skip_special_tokens=True))
            scores = vader(texts)
            rewards.append(sum(scores) / len(scores))
            h = torch.tensor(scores, dtype=torch.float32)[:, None, None].expand(-1, input_ids.shape[1], 1)
            return BaseModelOutput(hidden_states=(h,))

    class VaderRewardModel(torch.nn.Module):
        """What TRL's get_reward needs of a reward model: getattr(model, model.base_model_prefix) and model.score."""
        base_model_prefix = "backbone"

        def __init__(self):
            super().__init__()
            self.backbone = VaderBackbone()
            self.score = torch.nn.Identity()

    folder = save_initial_policy(hf_tokenizer(tokenizer_json), seed, work / f"init-{seed}")
    set_seed(seed)
    policy = GPT2LMHeadModel.from_pretrained(folder)
    set_seed(seed)
    value_model = GPT2ForSequenceClassification(gpt2_config(tokenizer, num_labels=1))
    dataset = Dataset.from_dict({"input_ids": prompt_ids})
    args = PPOConfig(**common_args(seed, str(work / f"ppo-{seed}")),
                     total_episodes=updates * BATCH, num_ppo_epochs=EPOCHS, num_mini_batches=MINIBATCHES,
                     local_rollout_forward_batch_size=BATCH, response_length=NEW_TOKENS, temperature=TEMPERATURE,
                     stop_token=None, missing_eos_penalty=None, kl_coef=KL_COEF, kl_estimator="k1",
                     cliprange=CLIP, cliprange_value=CLIP_VALUE, vf_coef=VF_COEF, gamma=GAMMA, lam=LAMBDA,
                     whiten_rewards=False, num_sample_generations=0)
    collator = DataCollatorWithPadding(tokenizer, padding="max_length", max_length=prompt_len)
    trainer = PPOTrainer(args=args, processing_class=tokenizer, model=policy, ref_model=None,
                         reward_model=VaderRewardModel(), train_dataset=dataset, value_model=value_model,
                         data_collator=collator, eval_dataset=dataset)
    quiet(trainer)
    wall = timed_train(trainer, freeze)
    assert len(rewards) == updates, f"reward model called {len(rewards)} times for {updates} updates"
    return {"wall_s": round(wall, 3), "pad_cut": pad_cut[0], **summarise(rewards)}


# ---------------------------------------------------------------- TRL GRPO

def run_trl_grpo(tokenizer_json: Path, seed: int, updates: int, freeze: bool, work: Path) -> dict:
    from datasets import Dataset
    from transformers import set_seed
    from trl import GRPOConfig, GRPOTrainer

    tokenizer = hf_tokenizer(tokenizer_json)
    rewards: list[float] = []

    def vader_reward(prompts, completions, **_):
        scores = vader(list(completions))
        rewards.append(sum(scores) / len(scores))
        return scores

    folder = save_initial_policy(tokenizer, seed, work / f"init-{seed}")
    set_seed(seed)
    args = GRPOConfig(**common_args(seed, str(work / f"grpo-{seed}")),
                      max_steps=updates * EPOCHS, num_generations=GROUP, steps_per_generation=MINIBATCHES,
                      num_iterations=EPOCHS, max_completion_length=NEW_TOKENS, temperature=TEMPERATURE,
                      top_p=1.0, top_k=0, generation_kwargs={"min_new_tokens": NEW_TOKENS},
                      beta=KL_COEF, epsilon=CLIP, disable_dropout=True, log_completions=False,
                      model_init_kwargs={"dtype": "float32"})
    trainer = GRPOTrainer(model=str(folder), reward_funcs=vader_reward, args=args, processing_class=tokenizer,
                          train_dataset=Dataset.from_dict({"prompt": PROMPTS}))
    quiet(trainer)
    wall = timed_train(trainer, freeze)
    assert len(rewards) == updates, f"reward function called {len(rewards)} times for {updates} updates"
    return {"wall_s": round(wall, 3), **summarise(rewards)}


# ---------------------------------------------------------------- ours

def run_ours(tokenizer_json: Path, seed: int, updates: int, advantage: str, work: Path,
             eos_stops: bool = False) -> dict:
    """agentctl's SequenceTrainer through the library API (what ``agentctl train`` builds, minus the
    run dir, progress bar and checkpoints): the built-in GPT with the same tokenizer.json and shape.
    Unless ``eos_stops``, the task's ``min_new_tokens`` rules EOS out of all 16 steps, so the work is
    exactly 16 new tokens, as TRL's PPO with stop_token=None and its GRPO with min_new_tokens=16."""
    import numpy as np
    import torch
    from agentctl.config import resolve
    from agentctl.nn.lm import build_lm
    from agentctl.ppo.sequence_trainer import SequenceTrainer
    from agentctl.run import seed_everything
    from agentctl.seeding import Stream, int_seed
    from agentctl.sequences import SequenceTask

    critic = advantage == "gae"
    cfg = resolve({
        "seed": seed, "device": "cpu", "torch_threads": torch.get_num_threads(), "tensorboard": False,
        "total_timesteps": updates * BATCH * NEW_TOKENS, "num_envs": BATCH, "num_steps": NEW_TOKENS,
        "minibatch_size": BATCH * NEW_TOKENS // MINIBATCHES, "update_epochs": EPOCHS,
        "learning_rate": LR, "anneal_lr": False, "adam_eps": 1e-8, "gamma": GAMMA, "gae_lambda": LAMBDA,
        "clip_coef": CLIP, "clip_vloss": True, "vf_clip_coef": CLIP_VALUE, "vf_coef": VF_COEF, "ent_coef": 0.0,
        # As the TRL trainer on the other side: PPO whitens advantages over the batch and does not clip
        # gradients; GRPO normalises within groups only and clips the gradient norm at 1.
        "norm_adv": critic, "max_grad_norm": 0.0 if critic else 1.0,
        "kl_coef": KL_COEF, "kl_target": 0.0, "temperature": TEMPERATURE,
        "advantage": advantage, "group_size": GROUP, "sample_every": 0,
    })
    seed_everything(int_seed(seed, Stream.INIT))
    policy = build_lm(None, None, tokenizer=str(tokenizer_json), n_layer=N_LAYER, n_head=N_HEAD, n_embd=N_EMBD,
                      context_length=CONTEXT)
    task = SequenceTask(prompts=PROMPTS, reward="sentiment", seed=int_seed(seed, Stream.ENVS),
                        min_new_tokens=0 if eos_stops else NEW_TOKENS)
    rewards: list[float] = []

    def scorer(prompts, texts):
        scores = vader(list(texts))
        rewards.append(sum(scores) / len(scores))
        return np.asarray(scores, dtype=np.float64)

    trainer = SequenceTrainer(cfg, task, policy, scorer, torch.device("cpu"))
    gc.collect()
    ended = 0
    start = time.perf_counter()
    for _ in range(updates):
        metrics = trainer.step()
        ended += round(metrics["ended_rate"] * BATCH)
    wall = time.perf_counter() - start
    assert len(rewards) == updates, f"scorer called {len(rewards)} times for {updates} updates"
    return {"wall_s": round(wall, 3), "eos_stops": eos_stops, "ended_early": ended, **summarise(rewards)}


RUNNERS = {
    "trl_ppo": lambda tok, seed, updates, eos_stops, work: run_trl_ppo(tok, seed, updates, False, work),
    "trl_ppo_gcfreeze": lambda tok, seed, updates, eos_stops, work: run_trl_ppo(tok, seed, updates, True, work),
    "trl_grpo": lambda tok, seed, updates, eos_stops, work: run_trl_grpo(tok, seed, updates, False, work),
    "ours_gae": lambda tok, seed, updates, eos_stops, work: run_ours(tok, seed, updates, "gae", work, eos_stops),
    "ours_grpo": lambda tok, seed, updates, eos_stops, work: run_ours(tok, seed, updates, "grpo", work, eos_stops),
}


# ---------------------------------------------------------------- driver

def worker(side: str, tokenizer_json: Path, seed: int, updates: int, threads: int, eos_stops: bool) -> None:
    import torch

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory(prefix=f"textgen-{side}-") as work:
        result = RUNNERS[side](tokenizer_json, seed, updates, eos_stops, Path(work))
    print(json.dumps({"side": side, "seed": seed, "threads": torch.get_num_threads(), **result}))


def _spawn(side: str, tokenizer_json: Path, seed: int, updates: int, threads: int, eos_stops: bool) -> dict:
    """One run in a fresh process; a run that fails (a diverged trainer, say) is a line with its error."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", side, "--tokenizer", str(tokenizer_json),
           "--seeds", str(seed), "--updates", str(updates), "--threads", str(threads)]
    cmd += ["--ours-eos-stops"] if eos_stops else []
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", TRL_EXPERIMENTAL_SILENCE="1",
               OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    load = round(os.getloadavg()[0], 2)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"side": side, "seed": seed, "error": f"exit {proc.returncode}: {last}", "loadavg_1m": load}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "loadavg_1m": load}


def code_version() -> dict:
    """The agentctl commit measured, and whether its source had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    git = lambda *a: subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, check=False).stdout.strip()
    return {"agentctl_commit": git("rev-parse", "--short", "HEAD"),
            "agentctl_dirty": bool(git("status", "--porcelain", "core", "plugins", "envs"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sides", default=",".join(SIDES), help=f"comma-separated, from {', '.join(SIDES)}")
    ap.add_argument("--seeds", default="42,43,44", help="comma-separated seeds; each (side, seed) is one run")
    ap.add_argument("--updates", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads per run")
    ap.add_argument("--ours-eos-stops", action="store_true",
                    help="let a sampled EOS end our completions (agentctl's normal behaviour; not the TRL work)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "textgen_vs_trl.json"))
    ap.add_argument("--worker", choices=SIDES, help=argparse.SUPPRESS)
    ap.add_argument("--tokenizer", help=argparse.SUPPRESS)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.worker:
        worker(args.worker, Path(args.tokenizer), seeds[0], args.updates, args.threads, args.ours_eos_stops)
        return
    sides = args.sides.split(",")
    unknown = [s for s in sides if s not in SIDES]
    if unknown:
        raise SystemExit(f"unknown side(s) {unknown}; choose from {', '.join(SIDES)}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("")

    def emit(line: dict) -> None:  # written as it comes, so a stopped run keeps what it measured
        print(json.dumps(line), flush=True)
        with out.open("a") as f:
            f.write(json.dumps(line) + "\n")

    with tempfile.TemporaryDirectory(prefix="textgen-bench-") as tmp:
        tokenizer_json = Path(tmp) / "tokenizer.json"
        os.environ["TOKENIZERS_PARALLELISM"] = "false"
        sha = train_tokenizer(tokenizer_json)
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for seed in seeds:
            for side in sides:
                run = _spawn(side, tokenizer_json, seed, args.updates, args.threads, args.ours_eos_stops)
                runs[side].append(run)
                emit(run)

    mean = lambda xs: sum(xs) / len(xs) if xs else None
    summary = {}
    for side, rs in runs.items():
        ok = [r for r in rs if "error" not in r]
        summary[side] = {"runs_ok": len(ok), "runs_failed": len(rs) - len(ok)}
        if ok:
            summary[side].update(wall_s=round(mean([r["wall_s"] for r in ok]), 3),
                                 first_reward=round(mean([r["first_reward"] for r in ok]), 4),
                                 final_reward=round(mean([r["final_reward"] for r in ok]), 4))
        emit({"summary": side, "seeds": seeds, "updates": args.updates, "threads": args.threads,
              "tokenizer_sha256": sha, **code_version(), **summary[side]})
    for num, den in COMPARISONS:
        if "wall_s" in summary.get(num, {}) and "wall_s" in summary.get(den, {}):
            emit({"compare": f"{num} / {den}", "seeds": seeds,
                  "wall_ratio": round(summary[num]["wall_s"] / summary[den]["wall_s"], 3),
                  f"{num}_final_reward": summary[num]["final_reward"],
                  f"{den}_final_reward": summary[den]["final_reward"]})


if __name__ == "__main__":
    main()
