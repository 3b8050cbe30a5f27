"""A data-parallel learner: ``agentctl train --nproc K`` or ``torchrun --nproc_per_node K -m agentctl train``.

K processes (ranks) each run the same trainer on their own envs and seed streams, collect
their own rollouts and compute gradients on their own minibatches; every gradient is averaged
over the ranks (``all_reduce``) before clipping and the optimizer step, so every rank takes the
same step and the weights stay identical. The PPO trainer keeps its parameters in one flat
tensor, so its whole gradient is one all-reduce per minibatch (the flat gradient of DDP's
buckets, as one bucket), whether autograd or the hand-written MLP step computed it; the sequence
trainer averages each parameter's gradient the moment backward has accumulated it. Gloo
on CPU, NCCL on CUDA (one GPU per rank, ``LOCAL_RANK``; with fewer GPUs than ranks, ranks share
them and gloo reduces through the host).

Why not the ``DistributedDataParallel`` wrapper itself: the trainers call the policy's own
methods (``dist``, ``forward_aux``, ``state_dict`` keys without a ``module.`` prefix), which the
wrapper hides. The flat all-reduce and the per-parameter hooks here are what DDP does
underneath, so the PPO update code is untouched. Each rank normalises advantages over its own minibatch;
the averaged gradient equals the single-process gradient on the concatenated minibatches
(tests/test_ddp.py checks it).

Rank 0 is the run: it holds the run dir, writes logs, metrics, snapshots and checkpoints, and
decides when to stop (step budget, time limit, signals); the other ranks follow it. Per update
rank 0 tells them to go on (with its self-play snapshot list); every rank's step count and
finished episodes are summed into every trainer, so the budget and the learning-rate schedule
count all ranks' steps and rank 0's metrics report all episodes. Ranks train on equal numbers
of transitions (an excess of valid steps on a rank is dropped from its update), so every rank
runs the same number of minibatches.

Resume: every rank loads rank 0's checkpoint (weights, optimizer, counters); ranks > 0
restart their envs from reset on fresh streams (their env state is not in the checkpoint).
Starting the ranks and running each is :mod:`agentctl.torchrun`; joining a trainer to the
group (called by ``agentctl.run.prepare``) is here.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from agentctl.errors import UserError

RANK_STREAM = 100  # first index of a rank's seed path: no agentctl.seeding.Stream uses it


def launched() -> bool:
    """This process is one of several started by torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    """A process group is up: the trainer must join it."""
    if not launched():
        return False
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def init() -> None:
    """Join the process group torchrun set up (gloo on CPU; NCCL for CUDA tensors)."""
    import torch
    import torch.distributed as dist

    if dist.is_initialized():
        return
    gpus = torch.cuda.device_count()
    if gpus:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % gpus)
    if gpus >= int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1"))):
        dist.init_process_group("cpu:gloo,cuda:nccl" if gpus else "gloo")
    else:  # NCCL takes one GPU per rank; gloo also reduces CUDA tensors (through the host), so ranks share
        dist.init_process_group("gloo")


def rank_seed(seed: int, rank: int) -> int:
    """Rank 0 runs on the run's seed; rank r on a stream of its own (envs, actions, minibatches)."""
    from agentctl.seeding import int_seed

    return seed if rank == 0 else int_seed(seed, RANK_STREAM, rank)


def announce(trainer: Any, go: bool) -> None:
    """Rank 0: tell the others whether to run one more update (and its self-play snapshots)."""
    import torch.distributed as dist

    pool = getattr(getattr(trainer, "envs", None), "pool", None)
    dist.broadcast_object_list([go, None if pool is None else list(pool.snapshots)], src=0)


# -- joining a trainer to the group -----------------------------------------------------------
def attach(trainer: Any, resumed: bool) -> None:
    """Make ``trainer`` one rank of the data-parallel learner (called by ``agentctl.run.prepare``)."""
    import torch
    import torch.distributed as dist
    from agentctl.seeding import Stream, int_seed, rng

    cfg = trainer.cfg
    if cfg.target_kl > 0:
        raise UserError("target_kl stops an update's epochs by each process's own KL, so processes would "
                        "disagree on the epochs: set target_kl=0 with --nproc")
    rank = dist.get_rank()
    for module in (trainer.policy, getattr(trainer, "ref", None), getattr(trainer, "init_policy", None)):
        if module is not None:  # every rank starts from rank 0's weights
            for tensor in module.state_dict().values():
                dist.broadcast(tensor.data, src=0)
    world = dist.get_world_size()
    flat = getattr(trainer, "flat", None)
    if flat is not None:
        # One all-reduce of the flat gradient per step, before clipping: one collective instead
        # of one per parameter, and it covers the fused (hand-written) backward too.
        clip_and_step = trainer._clip_and_step

        def averaged_step() -> Any:
            dist.all_reduce(flat.param.grad)
            flat.param.grad.div_(world)
            return clip_and_step()

        trainer._clip_and_step = averaged_step
    else:
        if getattr(trainer, "fused", None) is not None:  # a hand-written backward never reaches the hooks
            trainer.fused = None

        def average(p: torch.Tensor) -> None:
            dist.all_reduce(p.grad)
            p.grad.div_(world)

        for p in trainer.params:
            p.register_post_accumulate_grad_hook(average)
    if rank > 0 and resumed:  # fresh streams: rank 0's generators were loaded with its checkpoint
        seed, update = cfg.seed, trainer.update
        trainer.generator.manual_seed(int_seed(seed, Stream.ACTIONS, update))
        trainer.np_rng = rng(seed, Stream.MINIBATCHES, update)
        if hasattr(trainer.envs, "sample_prompts"):  # a sequence task: its own prompt order
            import numpy as np

            trainer.envs.load_state_dict({"rng": np.random.default_rng(int_seed(seed, Stream.ENVS, update))
                                          .bit_generator.state, "order": []})
    if hasattr(trainer, "kl"):  # SequenceTrainer
        trainer.collector = SequenceRank(trainer)
    else:
        trainer.collector = Rank(trainer.collector, trainer)


class Rank:
    """A rank's collector: its own rollout, with every rank's step count and episodes; rank 0
    first tells the others to go on. Trains on the smallest rank's number of valid steps."""

    def __init__(self, inner: Any, trainer: Any) -> None:
        self.inner, self.trainer = inner, trainer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def collect(self, policy: Any, generator: Any) -> Any:
        import torch
        import torch.distributed as dist

        if dist.get_rank() == 0:
            announce(self.trainer, go=True)
        rollout, finished = self.inner.collect(policy, generator)
        counts = torch.tensor([rollout.env_steps, int(rollout.valid.sum())], dtype=torch.float64,
                              device=rollout.valid.device)
        total, fewest = counts.clone(), counts[1:].clone()
        dist.all_reduce(total)
        dist.all_reduce(fewest, op=dist.ReduceOp.MIN)
        valid = rollout.valid
        excess = int(counts[1]) - int(fewest)
        if excess > 0:  # the latest valid steps sit this update out: every rank, the same minibatches
            flat = valid.reshape(-1).clone()  # (collected in inference mode)
            flat[flat.nonzero().squeeze(-1)[-excess:]] = False
            valid = flat.reshape(valid.shape)
        everyone: list[Any] = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, finished)
        mine = dataclasses.replace(rollout, valid=valid, env_steps=int(total[0]))
        return mine, [ep for part in everyone for ep in part]

    def state_dict(self) -> dict[str, Any]:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.inner.load_state_dict(state)


class SequenceRank:
    """A sequence trainer's rank: samples and scores its own completions; the token count of
    every rank goes into the step count and the adaptive KL coefficient is averaged, so the
    schedules agree on every rank. Metrics are rank 0's own completions'."""

    def __init__(self, trainer: Any) -> None:
        self.trainer = trainer

    def collect(self, policy: Any, n: int) -> tuple[Any, ...]:
        import torch
        import torch.distributed as dist

        trainer = self.trainer
        if dist.get_rank() == 0:
            announce(trainer, go=True)
        prompts, gen, texts = trainer.sample(n)
        scores = trainer.scorer(prompts, texts)
        mine = int(gen.response_mask.sum())
        sums = torch.tensor([mine, trainer.kl.coef], dtype=torch.float64, device=gen.response.device)
        dist.all_reduce(sums)
        trainer.global_step += int(sums[0]) - mine  # the trainer adds its own tokens itself
        trainer.kl.coef = float(sums[1]) / dist.get_world_size()
        return prompts, gen, texts, scores
