"""The built-in language model: a small GPT-2-style transformer in plain torch.

Pre-LayerNorm blocks, learned position embeddings, input and output embeddings tied, GELU
MLPs and no dropout, so two forward passes over the same tokens agree exactly (the PPO ratio
is 1 before the first step). The GELU is the exact (erf) one: GPT-2's tanh approximation
costs three times as much on a CPU. Attention is ``F.scaled_dot_product_attention`` with
one boolean mask per forward (causal + key padding), shared by every layer.

This module is the network only, ``tokens -> (hidden, logits, cache)``;
:class:`agentctl.nn.lm.TokenPolicy` puts the value head on top.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["GPT", "KVCache", "sdpa_mask"]


class KVCache:
    """Every layer's keys and values ([B, n_head, T, head_dim]) for the ``length`` tokens seen
    so far.

    Cached steps write into buffers with room to spare (twice the tokens so far, at most
    ``capacity`` unless more are needed), in place: a fresh tensor per layer per token costs
    more time (in new memory) than a step's arithmetic. So a cache is extended in place;
    pass each one to a single next step, under ``torch.no_grad()``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.length = 0

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The keys and values of all tokens so far, the new ``k``/``v`` appended."""
        if layer == len(self.keys):  # the first pass: keep its tensors as they are (no copy)
            self.keys.append(k)
            self.values.append(v)
            return k, v
        start, end = self.length, self.length + k.shape[2]
        if self.keys[layer].shape[2] < end:  # full (always so at the first cached step): make room
            size = max(end, min(2 * end, self.capacity))  # doubling, so copies stay rare
            self.keys[layer] = _grown(self.keys[layer], start, size)
            self.values[layer] = _grown(self.values[layer], start, size)
        self.keys[layer][:, :, start:end] = k
        self.values[layer][:, :, start:end] = v
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]


def _grown(buffer: torch.Tensor, used: int, size: int) -> torch.Tensor:
    B, H, _, D = buffer.shape
    out = buffer.new_empty(B, H, size, D)
    out[:, :, :used] = buffer[:, :, :used]
    return out


def sdpa_mask(mask: torch.Tensor, new: int) -> tuple[torch.Tensor | None, bool]:
    """The SDPA ``(attn_mask, is_causal)`` for ``new`` queries at the end of ``mask``
    ([B, T], 1 = real token): causal, padded keys hidden, and every query may see itself so
    a padded query's row is never all-masked (its output is finite, and ignored).

    Without padding no mask is built: one new token may see everything before it, and a
    pass with no cache is plain causal attention (SDPA's faster path)."""
    T = mask.shape[1]
    cached = T - new
    if (new == 1 or cached == 0) and bool(mask.all()):
        return None, new > 1
    keys = torch.arange(T, device=mask.device)
    queries = keys[cached:, None]  # [new, 1]
    allowed = (keys <= queries) & mask.bool()[:, None, :]  # [B, new, T]
    allowed |= keys == queries
    return allowed[:, None], False  # one mask for all heads


class Block(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)). The projections into the residual stream
    (``attn_proj``, ``mlp_proj``) start small so a deep stack starts near the identity."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(n_embd)
        self.qkv = nn.Linear(n_embd, 3 * n_embd)  # one matmul for queries, keys and values
        self.attn_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, is_causal: bool, cache: KVCache,
                layer: int) -> torch.Tensor:
        # Functional calls on the modules' parameters: same math as calling the submodules,
        # without nn.Module.__call__ six times per layer per token step.
        B, L, C = x.shape
        h = F.layer_norm(x, (C,), self.ln_1.weight, self.ln_1.bias, self.ln_1.eps)
        q, k, v = F.linear(h, self.qkv.weight, self.qkv.bias).view(B, L, 3, self.n_head, C // self.n_head).permute(
            2, 0, 3, 1, 4)
        k, v = cache.update(layer, k, v)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
        x = x + F.linear(a.transpose(1, 2).reshape(B, L, C), self.attn_proj.weight, self.attn_proj.bias)
        h = F.layer_norm(x, (C,), self.ln_2.weight, self.ln_2.bias, self.ln_2.eps)
        h = F.gelu(F.linear(h, self.mlp_fc.weight, self.mlp_fc.bias))
        return x + F.linear(h, self.mlp_proj.weight, self.mlp_proj.bias)


class GPT(nn.Module):
    """A GPT-2-style decoder: ``forward`` gives the final-LayerNorm hidden states, the logits
    (through the tied token embedding) and the extended KV cache."""

    def __init__(self, vocab_size: int, n_layer: int, n_head: int, n_embd: int, context_length: int) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(context_length, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        # GPT-2's init: N(0, 0.02) weights, zero biases, and the residual projections scaled
        # by 1/sqrt(2 * n_layer) (two of them add into the stream per layer).
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
        for block in self.blocks:
            for proj in (block.attn_proj, block.mlp_proj):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * n_layer))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor,
                past: KVCache | None = None, logits_from: int = 0) -> tuple[torch.Tensor, torch.Tensor, KVCache]:
        """``input_ids``/``position_ids`` [B, L]; ``attention_mask`` [B, P + L] covers the
        ``P`` cached tokens and the new ones. Returns (hidden [B, L, C], logits of positions
        ``logits_from..L-1`` [B, L - logits_from, V], the cache, now of all P + L tokens)."""
        new = input_ids.shape[1]
        cache = KVCache(self.wpe.num_embeddings) if past is None else past
        if attention_mask.shape[1] != cache.length + new:
            raise ValueError(f"attention_mask has {attention_mask.shape[1]} columns for {cache.length} cached "
                             f"and {new} new tokens")
        mask, is_causal = sdpa_mask(attention_mask, new)
        x = self.wte(input_ids) + self.wpe(position_ids)
        for i, block in enumerate(self.blocks):
            x = block.forward(x, mask, is_causal, cache, i)
        cache.length += new
        h = F.layer_norm(x, (x.shape[-1],), self.ln_f.weight, self.ln_f.bias, self.ln_f.eps)
        return h, F.linear(h[:, logits_from:] if logits_from else h, self.wte.weight), cache
