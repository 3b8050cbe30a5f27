"""Adam for the trainer's one flat parameter: ``torch.optim.Adam``'s update in five tensor ops.

Why not ``torch.optim.Adam`` itself: building the first one in a process imports TorchDynamo
(1.8 s measured here: a sixth of a 100k-step CartPole run), and each ``step()`` goes through
hooks and per-group bookkeeping that cost more than the update of one 9k-element tensor. The
math is Adam's exactly as torch writes it (no weight decay, no AMSGrad); the ``state_dict`` has
torch's layout for a one-parameter Adam, so checkpoints load into either. ``tests/test_flat_params.py``
compares the two step by step.
"""

from __future__ import annotations

import math
from typing import Any

import torch


class FlatAdam:
    def __init__(self, param: torch.nn.Parameter, lr: float, eps: float,
                 betas: tuple[float, float] = (0.9, 0.999)) -> None:
        self.param = param
        self.param_groups = [{"params": [param], "lr": lr, "betas": betas, "eps": eps, "weight_decay": 0.0,
                              "amsgrad": False, "maximize": False}]
        self._steps = 0  # a Python count: reading the state's tensor would sync a GPU every step
        self._exp_avg: torch.Tensor | None = None
        self._exp_avg_sq: torch.Tensor | None = None

    @torch.no_grad()
    def step(self) -> None:
        grad = self.param.grad
        if grad is None:
            return
        if self._exp_avg is None:
            self._exp_avg = torch.zeros_like(self.param)
            self._exp_avg_sq = torch.zeros_like(self.param)
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        self._steps += 1
        self._exp_avg.lerp_(grad, 1 - beta1)
        self._exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = self._exp_avg_sq.sqrt().div_(math.sqrt(1 - beta2 ** self._steps)).add_(group["eps"])
        self.param.addcdiv_(self._exp_avg, denom, value=-group["lr"] / (1 - beta1 ** self._steps))

    def zero_grad(self, set_to_none: bool = False) -> None:
        if self.param.grad is not None:
            self.param.grad.zero_()

    def state_dict(self) -> dict[str, Any]:
        group = {k: v for k, v in self.param_groups[0].items() if k != "params"}
        state = {} if self._exp_avg is None else {0: {
            "step": torch.tensor(float(self._steps)), "exp_avg": self._exp_avg, "exp_avg_sq": self._exp_avg_sq}}
        return {"state": state, "param_groups": [{**group, "params": [0]}]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """A state of this optimizer or of a one-parameter ``torch.optim.Adam`` of the same size."""
        groups = state_dict["param_groups"]
        if len(groups) != 1 or len(groups[0]["params"]) != 1:
            count = sum(len(g["params"]) for g in groups)
            raise ValueError(f"loaded optimizer state has {count} parameters in {len(groups)} groups; "
                             "this optimizer has one flat parameter")
        group = groups[0]
        self.param_groups[0].update(lr=group["lr"], betas=tuple(group["betas"]), eps=group["eps"])
        saved = state_dict["state"].get(group["params"][0])
        if saved is None:
            self._steps, self._exp_avg, self._exp_avg_sq = 0, None, None
            return
        if saved["exp_avg"].numel() != self.param.numel():
            raise ValueError(f"loaded optimizer state is for {saved['exp_avg'].numel()} numbers; "
                             f"this parameter has {self.param.numel()}")
        like = {"device": self.param.device, "dtype": self.param.dtype}
        self._steps = int(saved["step"])
        self._exp_avg = saved["exp_avg"].to(**like).reshape(self.param.shape).clone()
        self._exp_avg_sq = saved["exp_avg_sq"].to(**like).reshape(self.param.shape).clone()
