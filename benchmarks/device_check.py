"""The CUDA path, checked on a GPU machine: training and eval on `cuda` next to `cpu`.

Runs `agentctl train` / `agentctl eval` as a user would, for CartPole (MLP) and Go
(ResNet self-play, opponents batched on the same device), and prints one JSON line per
case plus a table. Not part of CI (CI has no GPU).

    python benchmarks/device_check.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import torch

CASES = [
    # name, env, device, steps, extra --set overrides
    ("cartpole-cpu", "cartpole", "cpu", 30_000, []),
    ("cartpole-cuda", "cartpole", "cuda", 30_000, []),
    ("go9-cpu", "go", "cpu", 20_000, ["torch_threads=8"]),
    ("go9-cuda", "go", "cuda", 20_000, []),
    ("go9-cuda-256envs", "go", "cuda", 100_000,
     ["num_envs=256", "num_steps=32", "minibatch_size=2048", "policy_kwargs.blocks=6", "policy_kwargs.channels=64"]),
    # the same two Go runs with the rules on the GPU too (torch engine), beside the numba engine above
    ("go9-cuda-torchengine", "go", "cuda", 20_000, ["env_kwargs.engine=torch", "env_kwargs.device=cuda"]),
    ("go9-cuda-256envs-torchengine", "go", "cuda", 100_000,
     ["num_envs=256", "num_steps=32", "minibatch_size=2048", "policy_kwargs.blocks=6", "policy_kwargs.channels=64",
      "env_kwargs.engine=torch", "env_kwargs.device=cuda"]),
    # scaling out (docs/scale.md): Ray rollout workers on the CPU feeding a learner on each device, and
    # two data-parallel learner processes (gloo on CPU; on one GPU both ranks share it over gloo)
    ("cartpole-cpu-ray2", "cartpole", "cpu", 30_000, ["--backend=ray", "--num-workers=2"]),
    ("cartpole-cuda-ray2", "cartpole", "cuda", 30_000, ["--backend=ray", "--num-workers=2"]),
    ("cartpole-cpu-ddp2", "cartpole", "cpu", 30_000, ["--nproc=2"]),
    ("cartpole-cuda-ddp2", "cartpole", "cuda", 30_000, ["--nproc=2"]),
    ("go9-cuda-ray4", "go", "cuda", 20_000, ["--backend=ray", "--num-workers=4"]),
    ("go9-cuda-ddp2", "go", "cuda", 20_000, ["--nproc=2"]),
]


def run(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "agentctl.cli", *args], check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the steps")
    opts = parser.parse_args()
    rows = []
    for name, env, device, steps, extra in CASES:
        if device == "cuda" and not torch.cuda.is_available():
            print(json.dumps({"case": name, "skipped": "no CUDA"}), flush=True)
            continue
        steps = steps // 10 if opts.quick else steps
        run_dir = f"/tmp/device-check/{name}"
        flags = [a for a in extra if a.startswith("--")]  # train options (--backend=ray, --nproc=2)
        sets = [a for kv in ["tensorboard=false", *(e for e in extra if e not in flags)] for a in ("--set", kv)]
        t0 = time.time()
        summary = run(["train", "--env", env, "--device", device, "--steps", str(steps), "--seed", "1",
                       "--run-dir", run_dir, "--overwrite", *flags, *sets, "--json"])
        evaluation = run(["eval", "--checkpoint", run_dir, "--device", device, "--episodes", "20", "--json"]
                         + (["--opponent", "random"] if env == "go" else [])) if "error" not in summary else {}
        row = {"case": name, "device": device, "wall_s": round(time.time() - t0, 1), **summary,
               "eval_mean_return": evaluation.get("mean_return"), "eval_win_rate": evaluation.get("win_rate"),
               "eval_error": evaluation.get("error")}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n{'case':<30} {'steps':>8} {'steps/s':>9} {'last return':>12} {'eval':>8}")
    for r in rows:
        ev = r["eval_win_rate"] if r["eval_win_rate"] is not None else r["eval_mean_return"]
        print(f"{r['case']:<30} {r.get('steps', '-')!s:>8} {r.get('steps_per_s', '-')!s:>9} "
              f"{r.get('last_mean_return', '-')!s:>12.12} {ev!s:>8.6} {r.get('error') or ''}")


if __name__ == "__main__":
    main()
