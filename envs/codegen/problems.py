"""Python function problems: a prompt (signature + docstring), hidden tests, a reference.

The shipped problems live one per file in ``problems/train/`` and ``problems/heldout/``. Each
file is plain Python that runs its own reference against its tests (``python FILE`` is silent
when the problem is sound), laid out as::

    def sum_list(xs: list[int]) -> int:
        \"\"\"Return the sum of the numbers in ``xs`` (0 for an empty list).\"\"\"
        # -- solution --
        return sum(xs)


    # -- tests --
    assert sum_list([1, 2, 3]) == 6
    assert sum_list([]) == 0

Everything before the ``# -- solution --`` line is the prompt the model continues; the lines
up to ``# -- tests --`` are the reference body (used only to check the problem: never shown to
a model); each top-level statement after it is one hidden test.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SPLITS", "Problem", "load_folder", "load_split", "parse_problem"]

ROOT = Path(__file__).with_name("problems")
SPLITS = ("train", "heldout")
SOLUTION_MARK = "    # -- solution --\n"
TESTS_MARK = "# -- tests --\n"


@dataclass(frozen=True)
class Problem:
    """One problem. ``prompt + body`` is the program a completion makes; ``setup`` runs before
    the tests (HumanEval's ``check`` function, MBPP's test setup); each of ``tests`` is one
    statement whose success counts for one test. ``reference`` is a known-good complete
    program (the prompt plus a reference body, or a data set's own solution code)."""

    task_id: str
    prompt: str
    entry_point: str
    tests: tuple[str, ...]
    reference: str = ""
    setup: str = ""
    source: str = ""

    def program(self, body: str) -> str:
        """The program a completion of this problem is run as."""
        return self.prompt + body


def parse_problem(text: str, task_id: str) -> Problem:
    """A problem file's text as a :class:`Problem`; ValueError naming what is malformed."""
    if text.count("\n" + SOLUTION_MARK) != 1 or text.count("\n" + TESTS_MARK) != 1:
        raise ValueError(f"{task_id}: needs exactly one {SOLUTION_MARK.strip()!r} line (indented 4) "
                         f"and one {TESTS_MARK.strip()!r} line")
    prompt, rest = text.split(SOLUTION_MARK)
    reference, tests_text = rest.split(TESTS_MARK)
    try:
        defs = [n for n in ast.parse(prompt + "    pass\n").body if isinstance(n, ast.FunctionDef)]
        statements = ast.parse(tests_text).body
    except SyntaxError as exc:
        raise ValueError(f"{task_id}: line {exc.lineno}: {exc.msg}") from None
    if len(defs) != 1:
        raise ValueError(f"{task_id}: the prompt must define exactly one function, found {len(defs)}")
    tests = tuple(ast.get_source_segment(tests_text, s) or "" for s in statements)
    if not tests:
        raise ValueError(f"{task_id}: no tests after {TESTS_MARK.strip()!r}")
    return Problem(task_id, prompt, defs[0].name, tests, prompt + reference.rstrip() + "\n", source="agentctl")


def load_split(split: str) -> list[Problem]:
    """The shipped problems of ``split`` (``train`` or ``heldout``), sorted by name."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: the shipped splits are {', '.join(SPLITS)}")
    return load_folder(ROOT / split, prefix=f"{split}/")


def load_folder(folder: str | Path, prefix: str = "") -> list[Problem]:
    """Every problem file (``*.py``) in ``folder``, sorted by name; task ids are ``prefix`` +
    the file's stem. ValueError for a folder with none."""
    found = [parse_problem(path.read_text(encoding="utf-8"), prefix + path.stem)
             for path in sorted(Path(folder).glob("*.py"))]
    if not found:
        raise ValueError(f"{folder} holds no problem files (*.py)")
    return found
