"""The built-in rewards of text tasks: ``sentiment``, ``keyword``, ``length``, ``classifier``.

Each is a *factory* registered by name (see :mod:`agentctl.builtin`): ``factory(arg)`` gets the
text after the first ``:`` of its reward-spec term (``keyword:great|good`` -> ``"great|good"``,
None when there is none) and returns ``fn(prompts, responses) -> list[float]``, one score per
response. Expensive set-up (a sentiment lexicon, a model) happens once in the factory, not per
batch. Heavy libraries are imported inside the factories, so importing this module is cheap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence

from agentctl.errors import UserError, first_line

__all__ = ["classifier", "keyword", "length", "sentiment"]

RewardFn = Callable[[Sequence[str], Sequence[str]], list[float]]

DEFAULT_LENGTH = 32
HF_HINT = 'pip install "agentctl[hf]"'


def sentiment(arg: str | None = None) -> RewardFn:
    """VADER compound score of each response, in [-1, 1] (-1 very negative, +1 very positive).

    VADER is a rule-based sentiment lexicon (``vaderSentiment`` on PyPI) shipped as a package
    file, so it works offline and scores thousands of texts a second on one CPU core.
    """
    _no_argument("sentiment", arg)
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as exc:
        raise UserError("reward 'sentiment' needs vaderSentiment: pip install vaderSentiment") from exc
    analyzer = SentimentIntensityAnalyzer()

    def score(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        return [analyzer.polarity_scores(text)["compound"] for text in responses]

    return score


def keyword(arg: str | None = None) -> RewardFn:
    """The fraction of the words in ``keyword:w1|w2|...`` that each response contains, as whole
    words, ignoring case (``keyword:good`` scores "Good!" 1 and "goodness" 0)."""
    words = list(dict.fromkeys(w.strip().lower() for w in (arg or "").split("|") if w.strip()))
    if not words:
        raise UserError("reward 'keyword' needs the words to look for: keyword:great|good|fun")
    # Look-arounds instead of \b, so a word that starts or ends in punctuation ("c++") still matches.
    patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE) for w in words]

    def score(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        return [sum(bool(p.search(text)) for p in patterns) / len(patterns) for text in responses]

    return score


def length(arg: str | None = None) -> RewardFn:
    """How close each response's length in characters is to N (``length:N``, default 32):
    ``1 - |len - N| / N``, clipped to [-1, 1], so exactly N scores 1 and 0 or 2N characters score 0."""
    target = DEFAULT_LENGTH
    if arg is not None:
        try:
            target = int(arg)
        except ValueError:
            target = 0
        if target <= 0:
            raise UserError(f"reward 'length' takes a positive number of characters (length:24), got {arg!r}")

    def score(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        return [max(-1.0, 1.0 - abs(len(text) - target) / target) for text in responses]

    return score


def classifier(arg: str | None = None) -> RewardFn:
    """The probability a local Hugging Face sequence-classification model gives one label:
    ``classifier:PATH[@LABEL]``. LABEL defaults to the label named ``POSITIVE`` (any case) if
    the model has one, else its last label. Needs ``transformers`` (the optional ``agentctl[hf]``).

    Only local folders are read (``local_files_only``): nothing is downloaded while training.
    The model runs on the CPU in batches, without gradients; it scores the response alone.
    """
    if not arg:
        raise UserError("reward 'classifier' needs a model folder: classifier:PATH or classifier:PATH@LABEL")
    path, label = _split_label(arg)
    if not os.path.isdir(path):
        raise UserError(f"reward 'classifier': no model folder {path!r} (pass a local Hugging Face model folder)")
    try:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
    except ImportError as exc:
        raise UserError(f"reward 'classifier' needs transformers: {HF_HINT}") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(f"reward 'classifier': {path!r} is not a Hugging Face sequence-classification "
                        f"model folder ({type(exc).__name__}: {first_line(exc)})") from exc
    model.eval()
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:  # GPT-2-style classifiers
        tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    index = _label_index(model.config.id2label, label, path)
    batch_size = 32

    def score(prompts: Sequence[str], responses: Sequence[str]) -> list[float]:
        out: list[float] = []
        with torch.no_grad():
            for start in range(0, len(responses), batch_size):
                batch = tokenizer(list(responses[start:start + batch_size]), padding=True, truncation=True,
                                  return_tensors="pt")
                logits = model(**batch).logits.float()
                out.extend(torch.softmax(logits, dim=-1)[:, index].tolist())
        return out

    return score


def _no_argument(name: str, arg: str | None) -> None:
    if arg is not None:
        raise UserError(f"reward {name!r} takes no argument, got {name}:{arg}")


def _split_label(arg: str) -> tuple[str, str | None]:
    """``PATH@LABEL`` -> (PATH, LABEL); a folder whose own name holds an ``@`` is kept whole."""
    path, at, label = arg.rpartition("@")
    if not at or os.path.isdir(arg) or not path:
        return arg, None
    return path, label


def _label_index(id2label: dict[int, str], label: str | None, path: str) -> int:
    """The output index of ``label`` (a name, any case, or a number), or the default label's."""
    names = {int(i): str(name) for i, name in id2label.items()}
    if label is None:
        positive = [i for i, name in names.items() if name.lower() == "positive"]
        return positive[0] if positive else max(names)
    for wanted in (lambda n: n == label, lambda n: n.lower() == label.lower()):
        found = [i for i, name in names.items() if wanted(name)]
        if found:
            return found[0]
    if label.isdigit() and int(label) in names:
        return int(label)
    listing = ", ".join(names[i] for i in sorted(names))
    raise UserError(f"reward 'classifier': the model in {path!r} has no label {label!r}; its labels: {listing}")
