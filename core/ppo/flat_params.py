"""A policy's trainable parameters as views into one flat tensor (and their gradients into another).

Why: the optimizer step and the gradient-norm clip run once per minibatch, thousands of times per
run, and on a small net their cost is per tensor, not per number: Adam's fused kernel and
``clip_grad_norm_`` on one 9k-element tensor take a fraction of what they take on the 12 tensors
of a 64x64 actor-critic. The module keeps its own parameters (names, shapes, ``state_dict``
unchanged); each one's ``.data`` and ``.grad`` are slices of :attr:`FlatParams.param` and its
``.grad``, so autograd accumulates into the flat gradient in place, and an optimizer built on the
one flat parameter updates every module parameter at once. (The layout is the one DeepSpeed's
and FSDP's flat parameters use.)

Two rules keep the views intact: gradients are zeroed in place (:meth:`zero_grad`, never
``set_to_none``), and the module is not moved to another device or dtype afterwards.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class FlatParams:
    def __init__(self, params: list[nn.Parameter]) -> None:
        if not self.possible(params):
            raise ValueError("FlatParams needs trainable parameters of one device and dtype")
        self.params = params
        self.param = nn.Parameter(torch.cat([p.detach().reshape(-1) for p in params]))
        self.param.grad = torch.zeros_like(self.param)
        self._grads: list[torch.Tensor] = []
        offset = 0
        for p in params:
            n = p.numel()
            p.data = self.param.data[offset:offset + n].view_as(p)
            self._grads.append(self.param.grad[offset:offset + n].view_as(p))
            p.grad = self._grads[-1]
            offset += n

    @staticmethod
    def possible(params: list[nn.Parameter]) -> bool:
        return bool(params) and len({(p.device, p.dtype) for p in params}) == 1

    def zero_grad(self) -> None:
        """Zero the flat gradient, (re)attaching each parameter's ``.grad`` view if something
        replaced it (a ``zero_grad(set_to_none=True)`` elsewhere would otherwise let autograd
        write gradients the optimizer never sees)."""
        if self.param.grad is None or self.param.grad.data_ptr() != self._grads[0].data_ptr():
            self.param.grad = torch.zeros_like(self.param)
            self._grads = [self.param.grad[o:o + p.numel()].view_as(p)
                           for p, o in zip(self.params, _offsets(self.params))]
        self.param.grad.zero_()
        for p, view in zip(self.params, self._grads):
            if p.grad is not view:
                p.grad = view

    def joint(self, params: list[nn.Parameter]) -> tuple[torch.Tensor, torch.Tensor] | None:
        """One flat view of ``params`` (and of their gradients) when they lie next to each
        other in this order; None otherwise."""
        index = {id(p): i for i, p in enumerate(self.params)}
        where = [index.get(id(p)) for p in params]
        if None in where or where != list(range(where[0], where[0] + len(where))):
            return None
        start = sum(p.numel() for p in self.params[:where[0]])
        size = sum(p.numel() for p in params)
        return self.param.data[start:start + size], self.param.grad[start:start + size]

    def load_optimizer_state(self, optimizer: torch.optim.Optimizer, state: dict[str, Any],
                             saved_order: list[nn.Parameter] | None = None) -> None:
        """Load an optimizer state saved for the flat parameter, or one saved per module parameter
        (a checkpoint written before parameters were flattened, in ``saved_order``: default this
        layout's order): its moments are concatenated in this layout's order."""
        groups = state.get("param_groups", [])
        if len(groups) == 1 and len(groups[0]["params"]) == len(self.params) > 1:
            saved_index = {id(p): k for k, p in enumerate(saved_order or self.params)}
            ids = groups[0]["params"]
            per_param = [state["state"].get(ids[saved_index[id(p)]]) for p in self.params]
            merged: dict[str, Any] = {}
            if all(s is not None for s in per_param):
                for key, value in per_param[0].items():
                    if torch.is_tensor(value) and value.dim() > 0:
                        merged[key] = torch.cat([s[key].reshape(-1) for s in per_param])
                    else:  # the step count, shared by every parameter (a copy: loading aliases tensors)
                        merged[key] = value.clone() if torch.is_tensor(value) else value
            state = {"state": {0: merged} if merged else {},
                     "param_groups": [{**groups[0], "params": [0]}]}
        optimizer.load_state_dict(state)


def _offsets(params: list[nn.Parameter]) -> list[int]:
    out, offset = [], 0
    for p in params:
        out.append(offset)
        offset += p.numel()
    return out
