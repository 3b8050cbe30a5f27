"""Held-out pass@k of a codegen run before and after PPO: the warm start it began from vs its
final checkpoint, scored the same way (``agentctl.passk.evaluate_pass_at_k``, the code behind
``agentctl eval --k``), in one run.

    python benchmarks/codegen_passk.py RUN_DIR [--split heldout] [--samples 10] [--temperature 0.2 0.8]

One JSON line per (model, temperature); all of them to benchmarks/results/codegen_passk.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch
from agentctl import checkpoint as ckpt
from agentctl.assemble import default_registry, load_policy, make_envs
from agentctl.passk import evaluate_pass_at_k
from agentctl.pretrain import build_model, default_pretrained
from agentctl.sampling import scorer_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a codegen run dir or checkpoint")
    parser.add_argument("--split", default="heldout")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--k", default="1,10")
    parser.add_argument("--temperature", type=float, nargs="+", default=[0.2, 0.8])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "codegen_passk.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    registry = default_registry(None)
    state = ckpt.load(args.run)
    trained, spec, cfg = load_policy(state, registry)
    demonstrations = make_envs(spec, cfg, num_envs=1, seed=0).demonstrations  # the run's own (train) task
    warm = build_model(dict(cfg.policy_kwargs))
    warm.load_state_dict(ckpt.load(default_pretrained(dict(cfg.policy_kwargs), corpus=cfg.pretrain_corpus,
                                                      demonstrations=demonstrations))["model"])
    cfg = dataclasses.replace(cfg, env_kwargs={**cfg.env_kwargs, "split": args.split})
    task = make_envs(spec, cfg, num_envs=1, seed=0)
    scorer = scorer_for(registry, cfg, task)
    ks = [int(k) for k in args.k.split(",")]
    rows = []
    for temperature in args.temperature:
        for name, policy in (("warm_start", warm.eval()), ("ppo", trained.eval())):
            t0 = time.perf_counter()
            result = evaluate_pass_at_k(policy, task, scorer, ks=ks, samples=args.samples, temperature=temperature,
                                        max_tokens=cfg.num_steps, seed=1234)
            row = {"model": name, "checkpoint": state["path"], "split": args.split, **result,
                   "wall_s": round(time.perf_counter() - t0, 1)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    Path(args.out).write_text("\n".join(json.dumps(r) for r in rows) + "\n")


if __name__ == "__main__":
    main()
