"""Any local Hugging Face ``transformers`` causal language model as a token-policy network.

Optional: ``pip install "agentctl[hf]"``. ``transformers`` is imported only when a model is
loaded, so agentctl works without it. The model comes from a local folder (one written by
``save_pretrained``, with its tokenizer saved beside it); nothing is ever downloaded.

Like :class:`agentctl.nn.gpt.GPT`, the network here maps ``tokens -> (hidden, logits,
cache)``; :class:`agentctl.nn.lm.TokenPolicy` adds the value head. The cache is the model's
own cache object, which the model extends in place: pass each one to a single next step.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from agentctl.errors import UserError, first_line
from torch import nn

__all__ = ["HFCausalLM", "HFTokenizer", "load_hf"]


class HFCausalLM(nn.Module):
    """A ``transformers`` ``AutoModelForCausalLM`` behind the ``(hidden, logits, cache)`` call.

    The model always stays in eval mode, even while the policy trains: its dropout is off,
    so two passes over the same tokens agree exactly (the PPO ratio is 1 before the first
    step, and the frozen reference matches the policy it was copied from)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model.eval()
        # transformers 5 renamed the cache argument and output from past_key_values to cache.
        params = inspect.signature(model.forward).parameters
        self._cache_key = "cache" if "cache" in params else "past_key_values"
        self.hidden_size: int = model.get_output_embeddings().weight.shape[-1]

    def train(self, mode: bool = True) -> HFCausalLM:
        super().train(mode)
        self.model.eval()
        return self

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                past: Any = None, logits_from: int = 0) -> tuple[torch.Tensor, torch.Tensor, Any]:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         use_cache=True, output_hidden_states=True, **{self._cache_key: past})
        # The last hidden state is the one the LM head reads (after the final norm).
        logits = out.logits[:, logits_from:] if logits_from else out.logits
        return out.hidden_states[-1], logits, out[self._cache_key]


class HFTokenizer:
    """A ``transformers`` tokenizer as an agentctl :class:`~agentctl.text.tokenizer.Tokenizer`:
    EOS is the tokenizer's own, PAD its pad token or else EOS, BOS its own (often EOS, as in
    GPT-2)."""

    def __init__(self, tok, name: str) -> None:
        if tok.eos_token_id is None:
            raise UserError(f"hf_model {name}: its tokenizer has no end-of-sequence token (eos_token); "
                            "set one and save the tokenizer again")
        self._tok = tok
        self.name = name
        self.eos_id: int = tok.eos_token_id
        self.pad_id: int = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        self.bos_id: int | None = tok.bos_token_id
        self.vocab_size: int = len(tok)

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        # The model's output layer may be wider than the tokenizer (rounded-up vocabularies);
        # ids past the tokenizer's end have no text.
        ids = [int(i) for i in ids if 0 <= int(i) < self.vocab_size]
        return self._tok.decode(ids, skip_special_tokens=True)


def load_hf(folder: str) -> tuple[HFCausalLM, HFTokenizer, int | None]:
    """(network, tokenizer, the model's maximum positions or None) from a local folder, in
    float32 (bf16 comes from autocast, not from the stored weights)."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise UserError(f'hf_model {folder!r} needs transformers: pip install "agentctl[hf]"') from None
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise UserError(f"hf_model {folder!r}: no such folder; give a local transformers model folder "
                        "(one written by save_pretrained)")
    if not (path / "config.json").is_file():
        raise UserError(f"hf_model {folder!r}: not a transformers model folder (no config.json in it)")
    if not any((path / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")):
        raise UserError(f"hf_model {folder!r}: no tokenizer in the folder; save the model's tokenizer "
                        "there too (tokenizer.save_pretrained)")
    try:
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).float()
    except Exception as exc:
        raise UserError(f"hf_model {folder!r}: cannot load a causal language model from it: "
                        f"{type(exc).__name__}: {first_line(exc)}") from exc
    try:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as exc:
        raise UserError(f"hf_model {folder!r}: cannot load its tokenizer: {type(exc).__name__}: "
                        f"{first_line(exc)}") from exc
    max_positions = getattr(model.config, "max_position_embeddings", None)
    return HFCausalLM(model), HFTokenizer(tok, str(path)), max_positions
