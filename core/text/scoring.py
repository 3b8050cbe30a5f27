"""Reward specs: the string that says how a finished completion is scored.

A spec is a weighted sum of terms, ``TERM(+TERM)*`` with ``TERM = [WEIGHT*]NAME[:ARG]``::

    sentiment                    one registered reward
    sentiment+0.1*length:24      VADER plus a tenth of the closeness to 24 characters
    python:my_pkg.rewards:score  a user's own ``score(prompts, responses) -> list[float]``

NAME is a registered reward (``agentctl rewards`` lists them; ``plugin/name`` picks one
plugin's), whose factory gets ARG; ``python:MODULE:FUNCTION`` needs no registration.
:func:`build_scorer` turns a spec into a :class:`Scorer`, which checks every value a reward
returns: a reward that raises, returns the wrong number of values or a NaN/inf stops training
with a one-line error naming it, never a silent 0.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from agentctl.errors import UserError, first_line
from agentctl.registry import Registry

__all__ = ["Scorer", "Term", "build_scorer", "parse_spec"]

PYTHON = "python"
SPEC_HELP = "e.g. 'sentiment', 'sentiment+0.1*length:24' or 'python:my_pkg.rewards:score'"
_TERM_RE = re.compile(r"^(?:(?P<weight>[^*:]+?)\s*\*\s*)?(?P<name>[^\s*:]+)(?::(?P<arg>.*))?$")


@dataclass(frozen=True)
class Term:
    """One ``[WEIGHT*]NAME[:ARG]`` of a spec; ``label`` (``NAME[:ARG]``) names it in logs and errors."""

    weight: float
    name: str
    arg: str | None

    @property
    def label(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


def parse_spec(spec: str) -> list[Term]:
    """Split a reward spec into its terms; a UserError for anything malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise UserError(f"the reward spec is empty: name a reward, {SPEC_HELP}")
    terms: list[Term] = []
    for text in spec.split("+"):
        match = _TERM_RE.match(text.strip())
        if match is None:
            raise UserError(f"malformed reward spec {spec!r} at {text.strip()!r}: "
                            f"use [WEIGHT*]NAME[:ARG] joined by '+', {SPEC_HELP}")
        weight = 1.0
        if match["weight"] is not None:
            try:
                weight = float(match["weight"])
            except ValueError:
                weight = math.nan
            if not math.isfinite(weight):
                raise UserError(f"reward spec {spec!r}: weight {match['weight']!r} is not a number "
                                f"(write e.g. 0.1*length:24)")
        term = Term(weight, match["name"], match["arg"] if match["arg"] else None)
        if any(t.label == term.label for t in terms):
            raise UserError(f"reward spec {spec!r} names {term.label!r} twice: give it one weight")
        terms.append(term)
    return terms


class Scorer:
    """A parsed, loaded reward spec: ``scorer(prompts, responses)`` -> the weighted sum per
    response; ``scorer.parts(...)`` -> each term's unweighted values, for logging."""

    def __init__(self, spec: str, terms: Sequence[Term], fns: Sequence[Callable]) -> None:
        self.spec = spec
        self.terms = list(terms)
        self.fns = list(fns)

    def __call__(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return self.combine(self.parts(prompts, responses))

    def parts(self, prompts: Sequence[str], responses: Sequence[str]) -> dict[str, np.ndarray]:
        """Each term's values (label -> float64 array of len(responses)), each reward called once."""
        prompts, responses = list(prompts), list(responses)
        return {term.label: _checked(term.label, fn, prompts, responses) for term, fn in zip(self.terms, self.fns)}

    def combine(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """The weighted sum of :meth:`parts` (so a caller that logs the parts scores only once)."""
        return sum(term.weight * parts[term.label] for term in self.terms)


def build_scorer(registry: Registry, spec: str) -> Scorer:
    """Parse ``spec`` and build each term's reward function (factories run once, here)."""
    terms = parse_spec(spec)
    return Scorer(spec, terms, [_load(registry, term) for term in terms])


def _load(registry: Registry, term: Term) -> Callable:
    if term.name == PYTHON:
        return _load_python(term)
    try:
        item = registry.resolve("reward", term.name)
    except UserError as exc:
        names = sorted({item.name for item in registry.all("reward")})
        listing = ", ".join(names) if names else "none"
        raise UserError(f"{exc} Registered rewards: {listing}; or python:MODULE:FUNCTION for your own.") from None
    factory = item.load()
    try:
        fn = factory(term.arg)
    except UserError:
        raise
    except Exception as exc:
        raise UserError(f"reward {term.label!r} could not be built: {type(exc).__name__}: {first_line(exc)}") from exc
    if not callable(fn):
        raise UserError(f"reward {term.name!r} ({item.qualified_name}) is not a reward factory: it returned "
                        f"{type(fn).__name__}, not a function (prompts, responses) -> list of floats")
    return fn


def _load_python(term: Term) -> Callable:
    """``python:MODULE:FUNCTION`` -> the function itself (it is the reward, not a factory)."""
    module_name, _, attr = (term.arg or "").rpartition(":")
    if not module_name or not attr:
        raise UserError(f"reward {term.label!r}: write python:MODULE:FUNCTION, e.g. python:my_pkg.rewards:score")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raised while importing
        raise UserError(f"reward {term.label!r}: cannot import module {module_name!r} "
                        f"({type(exc).__name__}: {first_line(exc)}); is its folder on PYTHONPATH "
                        "(e.g. PYTHONPATH=. agentctl ...)?") from exc
    fn = getattr(module, attr, None)
    if fn is None:
        raise UserError(f"reward {term.label!r}: module {module_name!r} has no function {attr!r}")
    if not callable(fn):
        raise UserError(f"reward {term.label!r}: {module_name}.{attr} is a {type(fn).__name__}, not a function")
    return fn


def _checked(label: str, fn: Callable, prompts: list[str], responses: list[str]) -> np.ndarray:
    """Call one reward and insist on one finite number per response."""
    try:
        values = fn(prompts, responses)
    except UserError as exc:
        raise UserError(f"reward {label!r} failed: {first_line(exc)}") from exc
    except Exception as exc:
        raise UserError(f"reward {label!r} failed: {type(exc).__name__}: {first_line(exc)}") from exc
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UserError(f"reward {label!r} returned {type(values).__name__}, not a list of numbers "
                        f"({first_line(exc)})") from exc
    if array.shape != (len(responses),):
        got = "a single value" if array.ndim == 0 else f"shape {array.shape}"
        raise UserError(f"reward {label!r} returned {got} for {len(responses)} responses: "
                        "it must return one float per response (fn(prompts, responses) -> list of floats)")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        what = "NaN" if np.isnan(array[i]) else str(array[i])
        raise UserError(f"reward {label!r} returned {what} for response {i}: {responses[i]!r:.80}")
    return array
