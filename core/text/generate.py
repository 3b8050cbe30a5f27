"""Batched sampling from a token policy, and the one forward pass that scores a response.

Rollouts, PPO updates and the reference model all read log-probs through
:func:`response_logits`, with the temperature applied there, so the three agree on what the
sampling distribution was; :func:`generate` uses the same temperature while it samples.

Prompts are left-padded (``query``), so every row's next token sits in the last column and
one cached step serves the whole batch. Positions count real tokens only, so a prompt's
logits do not depend on how much padding its batch needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from agentctl.errors import UserError

__all__ = ["Generation", "complete", "encode_prompts", "generate", "response_logits", "token_logprobs"]


@dataclass
class Generation:
    """A batch of prompts and their sampled completions (``B`` rows)."""

    query: torch.Tensor           # [B, P] prompt tokens, left-padded
    query_mask: torch.Tensor      # [B, P] 1 = real token
    response: torch.Tensor        # [B, T] sampled tokens; pad after a row ended
    response_mask: torch.Tensor   # [B, T] 1 = a generated token (the ending EOS included)
    ended: torch.Tensor           # [B] bool: ended by EOS or a stop string, not by the budget

    @property
    def lengths(self) -> torch.Tensor:
        return self.response_mask.sum(1)


def encode_prompts(tokenizer, prompts: Sequence[str], max_len: int, device: torch.device | str = "cpu"
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded ``[B, P]`` token ids and mask; a prompt longer than ``max_len`` tokens keeps
    its end (the part next to what is generated). The BOS token, when the tokenizer has one,
    starts every prompt, so an empty prompt still has a position to predict from."""
    if max_len < 1:
        raise UserError("no room for a prompt: context_length must exceed num_steps (the new tokens)")
    bos = [tokenizer.bos_id] if getattr(tokenizer, "bos_id", None) is not None else []
    rows = [(bos + tokenizer.encode(p))[-max_len:] for p in prompts]
    if any(not r for r in rows):
        raise UserError("an empty prompt with a tokenizer that has no BOS token: give every prompt some text")
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), tokenizer.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids.to(device), mask.to(device)


NO_EOS = -1e9  # the logit EOS gets while a completion is shorter than min_new_tokens (finite: no NaN entropy)


def _positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.cumsum(1) - 1).clamp(min=0)


@torch.no_grad()
def generate(policy, query: torch.Tensor, query_mask: torch.Tensor, max_new_tokens: int, *,
             temperature: float = 1.0, generator: torch.Generator | None = None, greedy: bool = False,
             stop: Callable[[int, list[int]], bool] | None = None, min_new_tokens: int = 0) -> Generation:
    """Sample up to ``max_new_tokens`` per prompt with the KV cache, stopping a row at EOS (or
    when ``stop(row, tokens_so_far)`` says so); stops early once every row has ended. EOS
    cannot be sampled before ``min_new_tokens`` tokens (:func:`response_logits` scores with the
    same rule, so the distribution trained on is the one sampled from)."""
    tok = policy.tokenizer
    B = query.shape[0]
    device = query.device
    response = torch.full((B, max_new_tokens), tok.pad_id, dtype=torch.long, device=device)
    alive = torch.ones(B, dtype=torch.bool, device=device)
    ended = torch.zeros(B, dtype=torch.bool, device=device)
    lengths = torch.zeros(B, dtype=torch.long, device=device)
    mask = query_mask
    pos = _positions(query_mask)
    logits, _, past = policy(query, mask, pos)
    next_pos = pos[:, -1:] + 1
    tokens: list[list[int]] = [[] for _ in range(B)] if stop is not None else []
    for t in range(max_new_tokens):
        last = logits[:, -1].float()
        if t < min_new_tokens:
            last[:, tok.eos_id] = NO_EOS
        if greedy:
            nxt = last.argmax(-1)
        else:  # Gumbel-max: an exact draw from softmax(last / T), 3x faster than multinomial on CPU
            noise = torch.rand(last.shape, generator=generator, device=last.device)
            nxt = (last / temperature - (-noise.log()).log()).argmax(-1)
            if not bool(torch.isfinite(last).all()):
                raise RuntimeError("probability tensor contains nan or inf")
        nxt = torch.where(alive, nxt, torch.full_like(nxt, tok.pad_id))
        response[:, t] = nxt
        lengths += alive.long()
        done = alive & (nxt == tok.eos_id)
        if stop is not None:
            for i in alive.nonzero().flatten().tolist():
                tokens[i].append(int(nxt[i]))
                if not bool(done[i]) and t + 1 >= min_new_tokens and stop(i, tokens[i]):
                    done[i] = True
        ended |= done
        alive &= ~done
        if not bool(alive.any()) or t == max_new_tokens - 1:
            break
        mask = torch.cat([mask, torch.ones((B, 1), dtype=mask.dtype, device=device)], 1)
        logits, _, past = policy(nxt[:, None], mask, next_pos, past)
        next_pos = next_pos + 1
    steps = torch.arange(max_new_tokens, device=device)
    response_mask = (steps[None, :] < lengths[:, None]).long()
    return Generation(query, query_mask, response, response_mask, ended)


def complete(policy, prompts: Sequence[str], max_new_tokens: int, *, temperature: float = 1.0,
             generator: torch.Generator | None = None, greedy: bool = False, stop: Sequence[str] = (),
             min_new_tokens: int = 0, device: torch.device | str = "cpu") -> tuple[Generation, list[str]]:
    """Sample completions of ``prompts`` and decode them, each cut just after its first
    ``stop`` string (generation of that row stops there too)."""
    tok = policy.tokenizer
    if max_new_tokens >= policy.context_length:
        raise UserError(f"{max_new_tokens} new tokens leave no room for a prompt in the model's context of "
                        f"{policy.context_length} tokens: ask for fewer (num_steps, sample --max-tokens) or "
                        "use a model with a longer context_length")
    query, query_mask = encode_prompts(tok, prompts, policy.context_length - max_new_tokens, device)

    def cut(text: str) -> tuple[str, bool]:
        ends = [text.find(s) + len(s) for s in stop if s in text]
        return (text[: min(ends)], True) if ends else (text, False)

    stopper = (lambda _row, tokens: cut(tok.decode(tokens))[1]) if stop else None
    gen = generate(policy, query, query_mask, max_new_tokens, temperature=temperature, generator=generator,
                   greedy=greedy, stop=stopper, min_new_tokens=min_new_tokens)
    texts = [cut(tok.decode(row[:k]))[0] for row, k in zip(gen.response.tolist(), gen.lengths.tolist())]
    return gen, texts


def response_logits(policy, query: torch.Tensor, query_mask: torch.Tensor, response: torch.Tensor,
                    response_mask: torch.Tensor, temperature: float = 1.0,
                    min_new_tokens: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """One full forward pass over prompt + response -> (logits / temperature ``[B, T, V]``,
    values ``[B, T]``) for each response token: position ``P - 1 + t`` predicts token ``t``,
    and its value is that of the state the token was chosen in. EOS is ruled out of the first
    ``min_new_tokens`` steps, as :func:`generate` rules it out."""
    ids = torch.cat([query, response], 1)
    mask = torch.cat([query_mask, response_mask.to(query_mask.dtype)], 1)
    P, T = query.shape[1], response.shape[1]
    logits, values, _ = policy(ids, mask, _positions(mask), logits_from=P - 1)
    logits = logits[:, :T].float() / temperature  # a new tensor: safe to edit in place
    if min_new_tokens > 0:
        logits[:, :min_new_tokens, policy.tokenizer.eos_id] = NO_EOS
    return logits, values[:, P - 1:P - 1 + T].float()


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor, entropy: bool = True
                   ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(log-prob of each chosen token, entropy of each step's distribution or None when not
    asked for: it costs a pass over the whole vocabulary), both ``[B, T]``."""
    logp_all = F.log_softmax(logits, dim=-1)
    logp = logp_all.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    return logp, -(logp_all.exp() * logp_all).sum(-1) if entropy else None
