"""The data-parallel learner (``--nproc`` / torchrun): two gloo processes take exactly the
update one process takes on their concatenated rollouts, and ``agentctl train --nproc 2``
runs, writes the run from rank 0 alone, and resumes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
import torch
from agentctl.config import PPOConfig
from agentctl.nn.mlp import build_mlp
from agentctl.ppo.rollout import Rollout
from agentctl.ppo.trainer import Trainer
from conftest import clean_env, cli_cmd

T, N = 16, 8  # the whole rollout; each of two ranks holds N // 2 of its envs
# Advantages unnormalised: each rank would otherwise normalise over its own minibatch (as
# documented), which is not the concatenated minibatch's normalisation.
CONFIG = {"num_envs": N, "num_steps": T, "update_epochs": 3, "learning_rate": 1e-2, "norm_adv": False,
          "max_grad_norm": 0.5, "total_timesteps": 10 * T * N, "seed": 0}


def make_trainer(num_envs: int) -> Trainer:
    """A CartPole trainer whose minibatch is its whole rollout (so shuffling changes nothing)."""
    cfg = PPOConfig(**{**CONFIG, "num_envs": num_envs, "minibatch_size": T * num_envs})
    envs = gym.make_vec("CartPole-v1", num_envs=num_envs)
    torch.manual_seed(0)
    return Trainer(cfg, envs, build_mlp(envs.single_observation_space, envs.single_action_space),
                   torch.device("cpu"))


def make_rollout(policy: torch.nn.Module, envs: slice = slice(None)) -> Rollout:
    """A fixed [T, N] rollout (random states, the policy's own actions, log-probs and values),
    or its ``envs`` columns."""
    g = torch.Generator().manual_seed(123)
    obs = torch.randn((T, N, 4), generator=g)
    with torch.no_grad():
        logits, values = policy(obs.reshape(-1, 4))
        actions, logp = policy.dist.sample_with_log_prob(logits, None, g)
    values = values.reshape(T, N)
    dones = (torch.rand((T, N), generator=g) < 0.1).float()
    full = Rollout(obs=obs, masks=None, actions=actions.reshape(T, N), logprobs=logp.reshape(T, N),
                   values=values, next_values=torch.cat([values[1:], torch.randn((1, N), generator=g)]),
                   rewards=torch.randn((T, N), generator=g), terminated=dones, dones=dones,
                   valid=torch.ones((T, N), dtype=torch.bool), env_steps=T * N)
    fields = {k: v[:, envs] if isinstance(v, torch.Tensor) else v for k, v in vars(full).items()}
    fields["env_steps"] = int(fields["valid"].sum())
    return Rollout(**fields)


class Fixed:
    """A collector that hands out the same rollout every update."""

    def __init__(self, rollout: Rollout) -> None:
        self.rollout = rollout

    def collect(self, policy, generator):
        return self.rollout, [(1.0, 10)]

    def state_dict(self):
        return {}


RANK_SCRIPT = """
import sys
import torch
import torch.distributed as dist
sys.path.insert(0, {tests!r})
from test_ddp import Fixed, make_rollout, make_trainer, N
from agentctl import ddp

torch.set_num_threads(1)
ddp.init()
rank, half = dist.get_rank(), N // 2
trainer = make_trainer(half)
trainer.collector = Fixed(make_rollout(trainer.policy, slice(rank * half, (rank + 1) * half)))
if rank == 1:
    with torch.no_grad():  # a different start: attach must hand every rank rank 0's weights
        for p in trainer.policy.parameters():
            p.add_(1.0)
ddp.attach(trainer, resumed=False)
for _ in range(2):
    if rank > 0:  # what a following rank does: wait for rank 0's go
        message = [None, None]
        dist.broadcast_object_list(message, src=0)
    trainer.step()
torch.save({{"params": [p.detach() for p in trainer.policy.parameters()], "global_step": trainer.global_step,
            "episodes": len(trainer.episodes)}}, {out!r} + f"/rank{{rank}}.pt")
dist.destroy_process_group()
"""


def test_two_gloo_ranks_take_the_single_process_update_on_the_concatenated_batch(tmp_path):
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT.format(tests=str(Path(__file__).parent), out=str(tmp_path)))
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(script)], check=False, capture_output=True, text=True, timeout=300, env=clean_env(OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]

    single = make_trainer(N)  # the reference: one process, both halves as one rollout
    initial = [p.detach().clone() for p in single.policy.parameters()]
    single.collector = Fixed(make_rollout(single.policy))
    for _ in range(2):
        single.step()
    want = [p.detach() for p in single.policy.parameters()]
    for got, w, start in zip(ranks[0]["params"], want, initial):
        assert not torch.equal(w, start)  # the update did move the weights
        torch.testing.assert_close(got, w, rtol=1e-5, atol=1e-6)
    for a, b in zip(ranks[0]["params"], ranks[1]["params"]):
        assert torch.equal(a, b)  # the ranks never drift apart
    assert ranks[0]["global_step"] == ranks[1]["global_step"] == single.global_step == 2 * T * N
    assert ranks[0]["episodes"] == 4  # both ranks' episodes, both updates


def test_train_nproc_2_writes_from_rank_0_and_resumes(tmp_path):
    run_dir = tmp_path / "run"
    sets = ["--set", "tensorboard=false", "--set", "checkpoint_every=2"]
    proc = subprocess.run(cli_cmd("train", "--env", "cartpole", "--nproc", "2", "--steps", "1200", "--seed", "3",
                                  "--run-dir", run_dir, *sets, "--json"),
                          check=False, capture_output=True, text=True, timeout=300, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1  # rank 0 alone reports
    assert summaries[0]["steps"] >= 1200
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    # one line per update, and every update counts both ranks' 256 steps (less their reset steps)
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1))
    assert 256 < rows[0]["global_step"] <= 512
    assert sorted(p.name for p in run_dir.iterdir() if p.name != ".lock") == ["checkpoints", "config.toml", "metrics.jsonl", "run.json"]

    proc = subprocess.run(cli_cmd("train", "--resume", run_dir, "--nproc", "2", "--steps", "2000", "--json"),
                          check=False, capture_output=True, text=True, timeout=300, env=clean_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads(proc.stdout.strip().splitlines()[-1])
    assert again["steps"] >= 2000 and again["run_dir"] == str(run_dir)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows] == list(range(1, len(rows) + 1))  # continued, not restarted


def test_nproc_refuses_target_kl_and_ray():
    from agentctl import ddp
    from agentctl.cli import cli
    from agentctl.errors import UserError
    from click.testing import CliRunner

    trainer = make_trainer(2)
    trainer.cfg = PPOConfig(**{**CONFIG, "target_kl": 0.02})
    with pytest.raises(UserError, match="set target_kl=0 with --nproc"):  # ranks would stop at different epochs
        ddp.attach(trainer, resumed=False)
    result = CliRunner().invoke(cli, ["train", "--env", "cartpole", "--backend", "ray", "--nproc", "2"])
    assert result.exit_code == 2 and "do not combine" in result.output


@pytest.mark.parametrize("argv, kept", [
    (["train", "--nproc", "2", "--env", "go"], ["train", "--env", "go"]),
    (["train", "--nproc=4", "--json"], ["train", "--json"]),
])
def test_launch_passes_the_command_on_without_nproc(monkeypatch, argv, kept):
    import torch.distributed.run as run_module
    from agentctl import torchrun

    seen = {}
    monkeypatch.setattr(run_module, "main", lambda args: seen.setdefault("args", args))
    torchrun.launch(2, argv)
    assert seen["args"][-len(kept) - 2:] == ["-m", "agentctl", *kept]
