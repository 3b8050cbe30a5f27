"""Text to pretrain the built-in GPT on: a built-in corpus, or a user's file.

Both built-in corpora come from the Python standard library's own source files
(``sysconfig.get_paths()["stdlib"]``). Every machine that installs agentctl has them, so the
warm start needs no download and no extra package, and the text is the same wherever the same
Python version is installed. The files are parsed with ``ast``, never imported (importing runs
code and is slow).

- ``docstrings`` (the default): the English prose of the docstrings. Docstrings are written
  for people: sentences about what code does. Code samples and doctest lines are dropped, so
  the model learns to write English, not Python.
- ``python``: the source of the documented functions, each a document shaped like a code
  completion prompt and its answer (a ``def`` line, the docstring, the body), so the model
  learns to write Python.
"""

from __future__ import annotations

import ast
import re
import sys
import sysconfig
from collections.abc import Iterator, Sequence
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
# The Python corpus: Python 3.11's stdlib gives 4,160 functions (median 11 lines, 380 characters),
# 2.25 MB, in 2-5 s on a busy 2-core machine; the cap bounds larger stdlibs. Functions over
# MAX_FUNCTION_LINES lines (about 200) would not fit a small model's context anyway.
PYTHON_MAX_CHARS = 4_000_000
MAX_FUNCTION_LINES = 60
# The built-in corpora by name (config ``pretrain_corpus``): what each is of the standard library.
CORPORA = {"docstrings": "docstrings", "python": "functions (source code)"}
_DOC_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_BLANK = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # tabs, form feeds, ...: every control but newline


def corpus_description(name: str = "docstrings") -> str:
    """What the built-in corpus ``name`` is, for checkpoints, messages and cache keys (it names
    the Python version, since the text differs between versions)."""
    if name not in CORPORA:
        raise UserError(f"unknown built-in corpus {name!r}; choose one of {', '.join(CORPORA)}")
    return f"Python {sys.version_info.major}.{sys.version_info.minor} standard library {CORPORA[name]}"


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


def python_corpus(max_chars: int = PYTHON_MAX_CHARS) -> list[str]:
    """The Python corpus: the source of the stdlib's documented functions, one document each,
    in a fixed order (files sorted by path, functions in file order), at most ``max_chars``
    characters in all.

    Each document is a top-level function or a method, dedented to column 0, and has the shape
    of a code completion task: a one-line ``def``, a triple-quoted docstring on the next line,
    the body, ending in a newline. Decorators are left out (the document starts with ``def``);
    functions longer than ``MAX_FUNCTION_LINES`` lines, with non-ASCII text or control
    characters (tabs, form feeds), or whose lines cannot be dedented (a string at column 0)
    are skipped."""
    root = Path(sysconfig.get_paths()["stdlib"])
    kept: list[str] = []
    total = 0
    seen: set[str] = set()  # a function copied between modules once
    for path in _source_files(root):
        for function in _functions(path):
            if function in seen:
                continue
            seen.add(function)
            if total + len(function) > max_chars:
                return kept
            kept.append(function)
            total += len(function)
    if not kept:
        raise UserError(f"no documented functions found under {root} (is the Python standard library "
                        "installed?); pass a text file with --corpus FILE")
    return kept


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


def split_documents(corpus: str | Sequence[str]) -> list[str]:
    """A corpus as documents; the trainer puts an end-of-text token after each. A text's
    documents are its non-blank lines (each a paragraph of the docstrings corpus, or a line of
    a user's file); a list is its documents already (functions of the Python corpus), kept
    whole, blank ones dropped."""
    if isinstance(corpus, str):
        return [line.strip() for line in corpus.splitlines() if line.strip()]
    return [doc for doc in corpus if doc.strip()]


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


def _functions(path: Path) -> Iterator[str]:
    """The documented functions of one file that ``python_corpus`` keeps, as their source
    dedented to column 0; nothing for a file that cannot be read or parsed."""
    try:
        data = path.read_bytes()
        tree = ast.parse(data, filename=str(path))
        # ast counts lines at \n only (a form feed is whitespace to it), so split there, not splitlines().
        lines = data.decode("utf-8").replace("\r\n", "\n").split("\n")
    except (SyntaxError, ValueError, OSError, UnicodeDecodeError):
        return
    for node in _defs(tree.body):
        first = node.body[0]
        if (ast.get_docstring(node, clean=False) is None or first.lineno != node.lineno + 1
                or node.end_lineno is None or node.end_lineno - node.lineno >= MAX_FUNCTION_LINES):
            continue
        source = lines[node.lineno - 1:node.end_lineno]
        indent = source[0][:node.col_offset]
        if (indent.strip() or not source[1].lstrip().startswith('"""')
                or not all(line.startswith(indent) for line in source if line.strip())):
            continue
        text = "\n".join(line[len(indent):] for line in source) + "\n"
        if text.isascii() and not _CONTROL.search(text):
            yield text


def _defs(body: list[ast.stmt]) -> Iterator[ast.FunctionDef]:
    """The functions defined at the top of ``body`` and, recursively, the methods of its
    classes (not functions nested in functions: those are part of their parent's source)."""
    for node in body:
        if isinstance(node, ast.FunctionDef):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from _defs(node.body)


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
