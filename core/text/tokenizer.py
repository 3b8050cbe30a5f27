"""Tokenizers: text <-> token ids for the language-model policies.

Two kinds ship: :class:`ByteTokenizer` (the default; the UTF-8 bytes themselves plus three
special tokens, so it needs no file and no download) and :class:`TokenizersTokenizer` (a
``tokenizer.json`` written by the Hugging Face ``tokenizers`` library, the optional extra
``agentctl[hf]``). A Hugging Face model folder brings its own tokenizer; see
:mod:`agentctl.nn.hf`. Everything that needs a tokenizer asks only for the
:class:`Tokenizer` protocol below.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from agentctl.errors import UserError, first_line

__all__ = ["ByteTokenizer", "Tokenizer", "TokenizersTokenizer", "load_tokenizer"]

# Special tokens recognised by name in a tokenizer.json, in order of preference.
EOS_NAMES = ("<|endoftext|>", "</s>", "[EOS]")
PAD_NAMES = ("<pad>", "[PAD]")
BOS_NAMES = ("<s>", "[BOS]")


class Tokenizer(Protocol):
    """What the policies, the generator and the rewards need from a tokenizer."""

    name: str             # "bytes", or the file/model it came from (for error messages)
    vocab_size: int       # ids are 0 .. vocab_size - 1
    eos_id: int           # ends a completion
    pad_id: int           # fills the unused slots of a padded batch (may equal eos_id)
    bos_id: int | None    # starts every prompt when the tokenizer has one

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``, with no special tokens added."""
        ...

    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; special tokens are dropped, invalid UTF-8 is replaced."""
        ...


class ByteTokenizer:
    """Ids 0..255 are the UTF-8 bytes; 256 = BOS, 257 = EOS, 258 = PAD. Any text round-trips."""

    name = "bytes"
    bos_id = 256
    eos_id = 257
    pad_id = 258
    vocab_size = 259

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: Sequence[int]) -> str:
        # A completion may stop mid-character; "replace" keeps that from raising.
        return bytes(int(i) for i in ids if 0 <= int(i) < 256).decode("utf-8", errors="replace")


class TokenizersTokenizer:
    """A ``tokenizers`` library tokenizer (a ``tokenizer.json``), e.g. a byte-level BPE.

    EOS is its ``<|endoftext|>``, ``</s>`` or ``[EOS]`` special token; PAD its ``<pad>`` or
    ``[PAD]`` token if it has one, else EOS; BOS ``<s>`` or ``[BOS]`` if present.
    """

    def __init__(self, tok, name: str) -> None:
        self._tok = tok
        self.name = name
        special = {t.content: i for i, t in tok.get_added_tokens_decoder().items() if t.special}
        eos = next((special[s] for s in EOS_NAMES if s in special), None)
        if eos is None:
            raise UserError(f"tokenizer {name}: no end-of-sequence special token; add one of "
                            f"{', '.join(EOS_NAMES)} as a special token when training it")
        self.eos_id: int = eos
        self.pad_id: int = next((special[s] for s in PAD_NAMES if s in special), eos)
        self.bos_id: int | None = next((special[s] for s in BOS_NAMES if s in special), None)
        self.vocab_size: int = tok.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True)


def load_tokenizer(spec: str = "bytes") -> Tokenizer:
    """``"bytes"`` (the default), or the path to a ``tokenizers`` ``tokenizer.json`` (or a
    folder holding one)."""
    if not isinstance(spec, str) or not spec.strip():
        raise UserError(f"tokenizer must be 'bytes' or the path to a tokenizer.json, got {spec!r}")
    if spec == "bytes":
        return ByteTokenizer()
    path = Path(spec).expanduser()
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise UserError(f"tokenizer {spec!r}: no such file; use 'bytes' or the path to a tokenizers "
                        "tokenizer.json")
    try:
        from tokenizers import Tokenizer as HFTokenizer
    except ImportError:
        raise UserError(f'tokenizer {spec!r} needs the tokenizers library: pip install "agentctl[hf]"') from None
    try:
        tok = HFTokenizer.from_file(str(path))
    except Exception as exc:
        raise UserError(f"tokenizer {path}: not a tokenizers tokenizer.json ({first_line(exc)})") from exc
    return TokenizersTokenizer(tok, str(path))
