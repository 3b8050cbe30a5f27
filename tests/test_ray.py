"""Ray rollout workers (``--backend ray``): the rollout equals local collectors on the same
slices and seeds, training runs on every kind (cartpole, Go self-play, text generation), a
worker killed mid-run is replaced, resume crosses backends, and a missing Ray is one line."""

from __future__ import annotations

import os
import signal
import sys
import warnings

import pytest
import torch
from agentctl.errors import UserError
from agentctl.host import get_host
from agentctl.ray_rollout import RayOptions, import_ray, pad_cat, split
from agentctl.run import TrainRequest, loop, plan, prepare
from agentctl.stopping import StopSignals

CARTPOLE = {"num_envs": 4, "num_steps": 16, "minibatch_size": 64, "update_epochs": 2, "tensorboard": False,
            "checkpoint_every": 0}
GO = {"env_kwargs.board_size": 5, "env_kwargs.engine": "torch", "num_envs": 4, "num_steps": 12,
      "minibatch_size": 48, "update_epochs": 1, "policy_kwargs.blocks": 1, "policy_kwargs.channels": 8,
      "snapshot_every": 1, "tensorboard": False, "checkpoint_every": 0,
      "opponents": {"latest": 0.4, "snapshot": 0.4, "random": 0.2}}
TEXT = {"init": "", "policy_kwargs.n_layer": 1, "policy_kwargs.n_head": 2, "policy_kwargs.n_embd": 32,
        "policy_kwargs.context_length": 48, "num_envs": 8, "num_steps": 12, "minibatch_size": 48,
        "sample_every": 0, "tensorboard": False, "checkpoint_every": 0}


# -- no Ray needed ----------------------------------------------------------------------------
def test_a_missing_ray_is_one_line_that_says_how_to_install_it(monkeypatch):
    from agentctl.cli import cli
    from click.testing import CliRunner

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(UserError, match=r"pip install 'agentctl\[ray\]'"):
        import_ray()
    result = CliRunner().invoke(cli, ["train", "--env", "cartpole", "--backend", "ray"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --backend ray needs Ray, which is not installed: pip install 'agentctl[ray]'"]


def test_envs_are_split_evenly_and_in_whole_groups():
    assert split(8, 3) == [3, 3, 2]
    assert split(16, 3, unit=4) == [8, 4, 4]
    assert sum(split(100, 7)) == 100
    with pytest.raises(UserError, match="at least 8"):
        split(6, 2, unit=4)
    with pytest.raises(UserError, match="at least 3"):
        split(2, 3)


def test_prompts_pad_on_the_left_and_responses_on_the_right():
    a, b = torch.tensor([[1, 2]]), torch.tensor([[3, 4, 5]])
    assert pad_cat([a, b], 0, left=True).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert pad_cat([a, b], 9, left=False).tolist() == [[1, 2, 9], [3, 4, 5]]


# -- with a local Ray ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray():
    """One small local Ray for the module (start-up is the slow part)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, configure_logging=False,
             log_to_driver=False)
    yield ray
    ray.shutdown()


def _prepare(tmp_path, env, config, workers=2, resume=None, **kw):
    registry = get_host().registry
    req = TrainRequest(env=env, overrides=config, run_dir=str(tmp_path / "run"), resume=resume, **kw)
    spec, cfg, run_dir, state = plan(req, registry)
    run_dir.mkdir(parents=True, exist_ok=True)
    return prepare(registry, spec, cfg, run_dir, state, workers=RayOptions(workers) if workers else None)


def test_the_ray_rollout_is_the_local_collectors_rollouts_side_by_side(ray, tmp_path):
    """Independent reference: a plain Collector per slice, made and seeded as worker i makes
    its own, sampling with the same weights; after a weight change they agree again."""
    from agentctl.assemble import make_envs
    from agentctl.ppo.rollout import Collector
    from agentctl.seeding import Stream, int_seed

    run = _prepare(tmp_path, "cartpole", {**CARTPOLE, "num_envs": 5})
    trainer, cfg, spec = run.trainer, run.cfg, run.spec
    try:
        refs = []
        for i, n in enumerate([3, 2]):
            seed = int_seed(cfg.seed, Stream.ENVS, i)
            gen = torch.Generator()
            gen.manual_seed(int_seed(cfg.seed, Stream.ACTIONS, i))
            refs.append((Collector(make_envs(spec, cfg, num_envs=n, seed=seed), cfg.num_steps,
                                   torch.device("cpu"), seed), gen))
        for round_ in range(2):
            got, finished = trainer.collector.collect(trainer.policy, trainer.generator)
            parts = [c.collect(trainer.policy, g) for c, g in refs]
            for name in ("obs", "actions", "logprobs", "values", "next_values", "rewards", "dones", "valid"):
                want = torch.cat([getattr(r, name) for r, _ in parts], dim=1)
                if want.is_floating_point():  # the learner's policy may take another kernel than a fresh copy
                    torch.testing.assert_close(getattr(got, name), want, rtol=1e-6, atol=1e-7, msg=name)
                else:
                    assert torch.equal(getattr(got, name), want), (round_, name)
            assert got.env_steps == sum(r.env_steps for r, _ in parts)
            assert finished == [ep for _, eps in parts for ep in eps]
            with torch.no_grad():  # new weights must reach the workers
                for p in trainer.policy.parameters():
                    p.add_(0.05 * torch.randn_like(p))
    finally:
        trainer.envs.close()


def test_a_short_ray_run_trains_checkpoints_and_resumes_on_either_backend(ray, tmp_path):
    from agentctl.run import train

    registry = get_host().registry
    base = {**CARTPOLE, "total_timesteps": 1500}
    summary = train(TrainRequest(env="cartpole", overrides=base, run_dir=str(tmp_path / "run"), quiet=True,
                                 workers=RayOptions(2)), registry)
    assert summary["steps"] >= 1500 and summary["episodes"] > 0
    ckpt = torch.load(summary["checkpoint"], weights_only=False)
    assert ckpt["trainer"]["envs"] is None  # worker envs are not in a checkpoint ...
    with pytest.warns(UserWarning, match="restart from reset"):  # ... so a resume says they restart
        again = train(TrainRequest(resume=summary["run_dir"], overrides={"total_timesteps": 2200}, quiet=True,
                                   workers=RayOptions(2)), registry)
    assert again["steps"] >= 2200
    local = train(TrainRequest(resume=again["run_dir"], overrides={"total_timesteps": 2600}, quiet=True), registry)
    assert local["steps"] >= 2600


def test_go_self_play_on_workers_plays_the_learners_snapshots(ray, tmp_path):
    run = _prepare(tmp_path, "go", GO)
    trainer, pool = run.trainer, run.pool
    try:
        for _ in range(3):
            metrics = trainer.step()
            run.refresh_opponents()  # the learner's pool writes a snapshot file every update
        assert metrics["global_step"] == trainer.global_step > 0
        assert len(pool.snapshots) == 3 and all(os.path.exists(p) for p in pool.snapshots)
        trainer.step()  # the workers receive the pool's snapshot list with this update's weights
        gang = trainer.envs.gang
        seen = ray.get([w.describe.remote() for w in gang.workers])
        assert [s["snapshots"] for s in seen] == [pool.snapshots] * 2
        assert [s["num_envs"] for s in seen] == [2, 2]
        state = trainer.state_dict()  # the pool is checkpointed, the games are not
        assert state["envs"]["state_dict"]["pool"]["snapshots"] == pool.snapshots
        assert run.checkpoint().exists()
    finally:
        trainer.envs.close()


def test_text_generation_on_workers_keeps_the_learners_math(ray, tmp_path):
    run = _prepare(tmp_path, "textgen", {**TEXT, "update_epochs": 2, "learning_rate": 3e-3})
    trainer = run.trainer
    try:
        for _ in range(2):
            metrics = trainer.step()
            # the learner recomputes the sampling log-probs itself, so ratio 1 exactly on the
            # first minibatch, whatever padding the workers' batches were joined with
            assert metrics["first_logratio_max"] == 0.0
            assert metrics["episodes"] == 8
        assert len(trainer.episodes) == 16
        assert trainer.global_step == sum(n for _, n in trainer.episodes)
    finally:
        trainer.envs.close()


def test_a_worker_killed_mid_run_is_replaced_and_the_run_finishes(ray, tmp_path):
    run = _prepare(tmp_path, "cartpole", {**CARTPOLE, "total_timesteps": 640, "checkpoint_every": 1})
    trainer = run.trainer
    run.trainer.step()
    gang = trainer.envs.gang
    victim = ray.get(gang.workers[1].describe.remote())["pid"]
    os.kill(victim, signal.SIGKILL)
    with warnings.catch_warnings(record=True) as caught, StopSignals() as stop:
        warnings.simplefilter("always")
        summary = loop(run, stop, quiet=True)
    said = [str(w.message) for w in caught if "rollout worker 1 died" in str(w.message)]
    assert said and "restarted it" in said[0]
    assert summary["steps"] >= 640 and not summary["interrupted"]
    assert gang.restarts == 1
    state = torch.load(summary["checkpoint"], weights_only=False)  # a whole, loadable checkpoint
    assert state["trainer"]["global_step"] == summary["steps"]


def test_a_worker_that_keeps_dying_is_dropped_and_the_run_goes_on(ray, tmp_path, monkeypatch):
    import agentctl.ray_rollout as rr

    monkeypatch.setattr(rr, "MAX_RESTARTS", 0)
    run = _prepare(tmp_path, "cartpole", CARTPOLE)
    trainer = run.trainer
    try:
        trainer.step()
        os.kill(ray.get(trainer.envs.gang.workers[0].describe.remote())["pid"], signal.SIGKILL)
        with pytest.warns(RuntimeWarning, match="continuing on 1 workers"):
            trainer.step()
        got, _ = trainer.collector.collect(trainer.policy)
        assert got.obs.shape[1] == 2 == trainer.envs.num_envs  # worker 1's two envs remain
    finally:
        trainer.envs.close()
