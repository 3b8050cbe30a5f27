"""Replays: pictures of one game as it is played, written as an animated GIF or PNG frames.

``agentctl eval --record PATH`` wraps the batch it plays in a :class:`GameRecorder`, which keeps
a picture of game 0 (the learner in seat 0) at its start and after each of its steps, until it
ends; :func:`write_frames` then writes them. Pictures come from the games' optional
``render_frame(index)`` (:class:`agentctl.contracts.RenderableGames`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from agentctl.errors import UserError
from agentctl.games import SimultaneousTurns

FRAMES_PER_SECOND = 8
PROGRESS_PX = 4  # the strip under each frame showing how far into the game it is


class GameRecorder:
    """A :class:`agentctl.contracts.TurnBasedGames` that records game 0's first game.

    A *step* is one move of a turn-based game, or one step of a simultaneous game (both seats'
    turns: the picture is taken once seat 1's turn has played it), so the recording holds
    ``steps + 1`` pictures: the start, then one after each step. Everything else is the
    wrapped batch's, unchanged.
    """

    def __init__(self, games: Any, env_name: str) -> None:
        if getattr(games, "render_frame", None) is None:
            raise UserError(f"env {env_name!r} cannot record replays: its games have no render_frame(index) "
                            "(see agentctl.contracts.RenderableGames)")
        self.games = games
        self.env_name = env_name
        self.frames: list[np.ndarray] = []
        self.finished = False
        self._simultaneous = isinstance(games, SimultaneousTurns)

    def __getattr__(self, name: str) -> Any:
        games = self.__dict__.get("games")
        if games is None:
            raise AttributeError(name)
        return getattr(games, name)

    def reset(self, seed: int | None = None) -> None:
        self.games.reset(seed=seed)
        if not self.finished:
            self.frames = [self._frame()]

    def reset_games(self, index: np.ndarray) -> None:
        self.games.reset_games(index)

    def step(self, actions: np.ndarray, active: np.ndarray) -> None:
        moves = (not self.finished and bool(np.asarray(active)[0]) and not self.games.done()[0]
                 and (not self._simultaneous or self.games.to_play()[0] == 1))
        self.games.step(actions, active)
        if moves:
            self.frames.append(self._frame())
            self.finished = bool(self.games.done()[0])

    def _frame(self) -> np.ndarray:
        frame = np.asarray(self.games.render_frame(0))
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise UserError(f"env {self.env_name!r}: render_frame gave {frame.dtype} {frame.shape}, "
                            "expected uint8 (height, width, 3)")
        if self.frames and frame.shape != self.frames[0].shape:
            raise UserError(f"env {self.env_name!r}: render_frame changed size mid-game "
                            f"({self.frames[0].shape} then {frame.shape})")
        return frame


def check_record_path(path: str | Path) -> Path:
    """Refuse a replay path that cannot be written, before any game is played."""
    target = Path(path)
    if not target.parent.is_dir():
        raise UserError(f"--record {path}: folder {target.parent} does not exist")
    if target.suffix.lower() == ".gif":
        if target.is_dir():
            raise UserError(f"--record {path} is a folder; give a .gif file name")
    elif target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise UserError(f"--record {path} already exists; give a new (or empty) folder for the PNG frames, "
                        "or a .gif file")
    return target


def write_frames(frames: list[np.ndarray], path: str | Path, fps: float = FRAMES_PER_SECOND) -> str:
    """Write ``frames`` (uint8 [H, W, 3] each) as an animated GIF when ``path`` ends in .gif, else
    as ``frame_0000.png``... in the folder ``path``. Each frame gets a progress strip underneath;
    its shade alternates, so no two consecutive frames are equal (a GIF writer merges those)."""
    from PIL import Image

    target = check_record_path(path)
    if not frames:
        raise UserError("no frames to write: the recorded game never started")
    images = [Image.fromarray(frame) for frame in with_progress(frames)]
    if target.suffix.lower() == ".gif":
        images[0].save(target, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    else:
        target.mkdir(exist_ok=True)
        for i, image in enumerate(images):
            image.save(target / f"frame_{i:04d}.png")
    return str(target)


def with_progress(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Each frame with a strip below it filled to (i + 1) / n of its width."""
    n = len(frames)
    out = []
    for i, frame in enumerate(frames):
        w = frame.shape[1]
        strip = np.zeros((PROGRESS_PX, w, 3), dtype=np.uint8)
        strip[:] = (24, 24, 24)
        strip[:, :max(1, round(w * (i + 1) / n))] = (200, 200, 200) if i % 2 == 0 else (184, 184, 184)
        out.append(np.concatenate([frame, strip], axis=0))
    return out
