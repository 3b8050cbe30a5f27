"""Text-generation prompts: the shipped movie-review openings and a reader for users' files.

Plain Python, no agentctl imports: the ``textgen`` plugin turns these prompts into a task.
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_PROMPTS = Path(__file__).with_name("prompts.txt")


def load_prompts(path: str | Path | None = None) -> list[str]:
    """Prompts from ``path``: a ``.jsonl`` file (one object per line with a ``"prompt"``
    string) or a text file (one prompt per non-empty line; ``#`` starts a comment line).
    ``None`` reads the shipped movie-review openings. Raises ValueError naming the file and
    line for anything malformed, FileNotFoundError for a missing file."""
    path = Path(path) if path is not None else DEFAULT_PROMPTS
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"prompt file {path} is not UTF-8 text (byte {exc.start})") from None
    prompts: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if path.suffix == ".jsonl":
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a JSON object ({exc.msg})") from None
            if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
                raise ValueError(f"{path}:{number}: expected an object with a \"prompt\" string")
            prompts.append(item["prompt"])
        elif line.strip() and not line.lstrip().startswith("#"):
            prompts.append(line.strip())
    if not prompts:
        raise ValueError(f"prompt file {path} holds no prompts")
    return prompts
