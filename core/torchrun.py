"""Starting the ranks of a data-parallel learner and running each (``agentctl.ddp`` has the why).

``agentctl train --nproc K`` calls :func:`launch`, which starts K copies of the command through
torchrun's engine; in each copy the train command calls :func:`train`: rank 0 runs the run as a
single process would (``agentctl.run.train``), the other ranks follow it update by update.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import warnings
from typing import Any

from agentctl import ddp
from agentctl.ddp import launched
from agentctl.errors import UserError, first_line

__all__ = ["launch", "launched", "train"]

def launch(nproc: int, argv: list[str]) -> None:
    """Run ``agentctl`` + ``argv`` (without ``--nproc``) as ``nproc`` ranks through torchrun's
    engine (``torch.distributed.run``) on this machine; exits with a failed rank's status."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    args, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            args.append(a)
    import logging

    os.environ.setdefault("OMP_NUM_THREADS", "1")  # torchrun's default, without its warning
    # A failing rank prints its own one-line error; torchrun's report of it would repeat it as a log dump.
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)
    try:
        torchrun(["--standalone", "--nproc_per_node", str(nproc), "-m", "agentctl", *args])
    except ChildFailedError as exc:
        codes = [f.exitcode for f in exc.failures.values()]
        raise SystemExit(next((c for c in codes if c and c > 0), 1)) from None


def train(req: Any, registry: Any) -> dict[str, Any] | None:
    """This rank's part of the run: rank 0 runs it (and returns its summary), others follow."""
    import torch.distributed as dist
    from agentctl.run import train as run_train

    ddp.init()
    summary = None
    try:
        if dist.get_rank() == 0:
            summary = run_train(req, registry)
            ddp.announce(None, go=False)
        else:
            try:
                _follow(req, registry)
            except UserError:  # rank 0 meets the same problem and says it once
                raise SystemExit(2) from None
            except RuntimeError as exc:  # most often: rank 0 stopped (its error says why) and the link broke
                print(f"agentctl: rank {dist.get_rank()} stopped: {first_line(exc)[:200]}", file=sys.stderr)
                raise SystemExit(1) from None
        dist.barrier()  # leave together: a rank that tears the group down under another can abort it
    finally:
        dist.destroy_process_group()
    if summary is None:
        # A following rank has nothing left to do; skip C++ teardown at interpreter exit, where a
        # torch thread still joinable now and then aborts the process ("terminate called without an
        # active exception") after the run has finished well, failing the whole command.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return summary


def _follow(req: Any, registry: Any) -> None:
    """A rank > 0: the same trainer on its own streams, stepping while rank 0 says go."""
    import torch.distributed as dist
    from agentctl.run import plan, prepare
    from agentctl.stopping import StopSignals

    spec, cfg, run_dir, state = plan(req, registry)
    cfg = dataclasses.replace(cfg, seed=ddp.rank_seed(cfg.seed, dist.get_rank()))
    if state is not None:  # rank 0's envs are not this rank's: start from reset
        state["trainer"]["envs"] = None
    with StopSignals() as stop, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank 0 says what there is to say
        stop.armed = True  # a signal reaches rank 0 too, which decides; this rank follows it
        run = prepare(registry, spec, cfg, run_dir, state)
        try:
            while True:
                message = [None, None]
                dist.broadcast_object_list(message, src=0)
                go, snapshots = message
                if not go:
                    break
                pool = getattr(run.trainer.envs, "pool", None)
                if pool is not None and snapshots is not None:
                    pool.snapshots = [p for p in snapshots if os.path.exists(p)]
                run.trainer.step()
        finally:
            run.trainer.envs.close()
