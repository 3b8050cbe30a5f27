"""Text to pretrain the built-in GPT on: the default corpus, or a user's file.

The default corpus is the English prose in the docstrings of the Python standard library's own
source files (``sysconfig.get_paths()["stdlib"]``). Every machine that installs agentctl has
them, so the warm start needs no download and no extra package, and the text is the same
wherever the same Python version is installed. The files are parsed with ``ast``, never
imported (importing runs code and is slow). Docstrings are written for people: sentences
about what code does, a few megabytes of them. Code samples and doctest lines are dropped,
so the model learns to write English, not Python.
"""

from __future__ import annotations

import ast
import re
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from agentctl.errors import UserError

# Stdlib folders whose docstrings are tests, GUI strings, codec tables or a vendored old tool: not prose.
SKIP_DIRS = frozenset({"test", "tests", "idlelib", "tkinter", "lib2to3", "site-packages", "turtledemo",
                       "__pycache__", "ensurepip", "pydoc_data", "encodings"})
# A few MB at most: plenty for a small model. Python 3.11's stdlib gives about 0.9 MB of prose
# (7,300 paragraphs) in 2-4 s on a busy 2-core machine (parsing ~10 MB of source with ast is
# nearly all of it; pretraining then takes minutes); the cap bounds larger stdlibs.
MAX_CHARS = 2_000_000
MIN_PARAGRAPH = 40  # shorter paragraphs are mostly headings ("Parameters", "Example:")
_DOC_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_BLANK = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")


def corpus_description() -> str:
    """What the default corpus is, for checkpoints and messages (it names the Python version,
    since the text differs between versions)."""
    return f"Python {sys.version_info.major}.{sys.version_info.minor} standard library docstrings"


def default_corpus(max_chars: int = MAX_CHARS) -> str:
    """The default corpus: prose paragraphs of the stdlib's docstrings, one per line, in a
    fixed order (files sorted by path), at most ``max_chars`` characters."""
    root = Path(sysconfig.get_paths()["stdlib"])
    kept: list[str] = []
    total = 0
    seen: set[str] = set()  # the same paragraph in several docstrings (overrides) once
    for path in _source_files(root):
        for paragraph in _paragraphs(path):
            if paragraph in seen:
                continue
            seen.add(paragraph)
            if total + len(paragraph) + 1 > max_chars:
                return "\n".join(kept)
            kept.append(paragraph)
            total += len(paragraph) + 1
    if not kept:
        raise UserError(f"no docstrings found under {root} (is the Python standard library installed?); "
                        "pass a text file with --corpus FILE")
    return "\n".join(kept)


def load_corpus(path: str | Path | None) -> str:
    """A user's UTF-8 text file (``None``: the default corpus)."""
    if path is None:
        return default_corpus()
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UserError(f"corpus file not found: {path}") from None
    except IsADirectoryError:
        raise UserError(f"corpus {path} is a folder; pass a UTF-8 text file") from None
    except OSError as exc:
        raise UserError(f"cannot read corpus file {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise UserError(f"corpus file {path} is binary (it has NUL bytes); pass a UTF-8 text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"corpus file {path} is not UTF-8 text (byte {exc.start}); pass a UTF-8 text file") from None
    if not text.strip():
        raise UserError(f"corpus file {path} is empty; pass a file with some text in it")
    return text


def split_documents(text: str) -> list[str]:
    """A corpus as documents: its non-blank lines (each a paragraph of the default corpus, or a
    line of a user's file); the trainer puts an end-of-text token after each."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _source_files(root: Path) -> Iterator[Path]:
    """The stdlib's ``.py`` files, sorted, outside ``SKIP_DIRS``."""
    for path in sorted(root.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.relative_to(root).parts[:-1]):
            yield path


def _paragraphs(path: Path) -> Iterator[str]:
    """The prose paragraphs of one file's docstrings, each on one line; nothing for a file that
    cannot be read or parsed (a few stdlib files are deliberately broken test data)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError, UnicodeDecodeError):
        return
    for node in ast.walk(tree):
        if isinstance(node, _DOC_OWNERS):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                for block in _BLANK.split(doc):
                    if _is_prose(block):
                        yield _SPACE.sub(" ", block).strip()


def _is_prose(block: str) -> bool:
    """Sentences, not code: long enough, mostly letters and spaces, no doctest, no indented
    (code or table) lines, no reST directives, ending like a sentence."""
    text = block.strip()
    if len(text) < MIN_PARAGRAPH:
        return False
    lines = text.splitlines()
    if any(line.lstrip().startswith((">>>", "...", "$ ", ".. ", ":")) or line.startswith((" ", "\t"))
           for line in lines):
        return False
    letters = sum(c.isalpha() or c == " " for c in text)
    if letters < 0.85 * len(text) or not text.isascii():
        return False
    return text[-1] in ".!?)\"'"
