"""Language models as PPO policies (the ``lm`` policy of the ``sequence`` kind).

Each generated token is one action: the policy maps a batch of token rows to next-token
logits and a value per position. :class:`TokenPolicy` is that interface; it wraps a network
that maps ``tokens -> (hidden, logits, cache)`` (the built-in :class:`agentctl.nn.gpt.GPT`,
or a Hugging Face model through :mod:`agentctl.nn.hf`) and puts the value head on the
network's last hidden state, so both kinds share one value head and one output contract.
"""

from __future__ import annotations

from typing import Any

import torch
from agentctl.errors import UserError
from agentctl.nn.gpt import GPT
from agentctl.text.tokenizer import Tokenizer, load_tokenizer
from torch import nn
from torch.nn import functional as F

__all__ = ["TokenPolicy", "build_lm"]

GPT_DEFAULTS = {"n_layer": 4, "n_head": 4, "n_embd": 128, "context_length": 128}


class TokenPolicy(nn.Module):
    """A causal language model with a value head.

    ``forward(input_ids [B, L], attention_mask [B, P + L], position_ids [B, L], past=None)``
    returns ``(logits [B, L, V], values [B, L], new_past)``. ``attention_mask`` covers the
    ``P`` cached tokens of ``past`` and the ``L`` new ones (1 = real, 0 = padding; prompts
    are left-padded); positions are the caller's, so a row's outputs do not depend on its
    padding. Logits and values are float32 even under autocast. A padded query position
    gives finite (ignored) output. Pass each ``past`` to one next call only, under
    ``torch.no_grad()``: caches are extended in place.
    """

    tokenizer: Tokenizer
    context_length: int  # the most prompt + response tokens one row may hold

    def __init__(self, network: nn.Module, hidden_size: int, tokenizer: Tokenizer, context_length: int) -> None:
        super().__init__()
        self.network = network
        self.value_head = nn.Linear(hidden_size, 1)
        # Small: the first value estimates are near 0 and the first value-loss gradients
        # do not swamp the language model's features.
        nn.init.normal_(self.value_head.weight, std=0.01)
        nn.init.zeros_(self.value_head.bias)
        self.tokenizer = tokenizer
        self.context_length = context_length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                past: Any = None, logits_from: int = 0) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """``logits_from``: logits only of positions ``logits_from..L-1`` (scoring a response
        needs none of the prompt's, and the vocabulary projection is the biggest matmul)."""
        hidden, logits, past = self.network(input_ids, attention_mask, position_ids, past, logits_from)
        values = F.linear(hidden, self.value_head.weight, self.value_head.bias).squeeze(-1)
        return logits.float(), values.float(), past


def _check_size(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"lm policy: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def build_lm(observation_space: Any = None, action_space: Any = None, *, hf_model: str | None = None,
             tokenizer: str | None = None, n_layer: int | None = None, n_head: int | None = None,
             n_embd: int | None = None, context_length: int | None = None) -> TokenPolicy:
    """The ``lm`` policy. Sequence envs have no spaces; both arguments are ignored.

    - Built-in GPT (default): ``n_layer`` (4), ``n_head`` (4), ``n_embd`` (128, a multiple
      of ``n_head``), ``context_length`` (128, prompt + response tokens) and ``tokenizer``
      (``"bytes"``, or the path to a ``tokenizers`` tokenizer.json).
    - ``hf_model=PATH``: a local Hugging Face causal-LM folder with its own tokenizer;
      ``context_length`` defaults to the model's maximum. The GPT size keys and
      ``tokenizer`` do not apply to it.
    """
    if hf_model is not None:
        given = [k for k, v in {"tokenizer": tokenizer, "n_layer": n_layer, "n_head": n_head,
                                "n_embd": n_embd}.items() if v is not None]
        if given:
            raise UserError(f"lm policy: {', '.join(given)} set together with hf_model; an hf_model brings "
                            "its own size and tokenizer, so drop them")
        from agentctl.nn.hf import load_hf

        network, tok, max_positions = load_hf(str(hf_model))
        context = _check_size("context_length", context_length, 2) if context_length is not None else max_positions
        if context is None:
            raise UserError(f"lm policy: hf_model {hf_model!r} does not say its maximum length; set context_length")
        if max_positions is not None and context > max_positions:
            raise UserError(f"lm policy: context_length {context} exceeds hf_model's maximum of {max_positions}")
        return TokenPolicy(network, network.hidden_size, tok, context)

    n_layer = _check_size("n_layer", GPT_DEFAULTS["n_layer"] if n_layer is None else n_layer, 1)
    n_head = _check_size("n_head", GPT_DEFAULTS["n_head"] if n_head is None else n_head, 1)
    n_embd = _check_size("n_embd", GPT_DEFAULTS["n_embd"] if n_embd is None else n_embd, 1)
    context = _check_size("context_length",
                          GPT_DEFAULTS["context_length"] if context_length is None else context_length, 2)
    if n_embd % n_head:
        raise UserError(f"lm policy: n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
    tok = load_tokenizer("bytes" if tokenizer is None else tokenizer)
    return TokenPolicy(GPT(tok.vocab_size, n_layer, n_head, n_embd, context), n_embd, tok, context)
