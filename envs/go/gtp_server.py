"""A GTP v2 server for any agent: ``GTPServer(choose_move).serve(stdin, stdout)``.

``choose_move(engine) -> action`` gets a one-board :class:`GoEngine` (the colour to
move is ``engine.to_play[0]``; ``engine.observations()``, ``engine.mask``) and returns
an action (``N*N`` = pass, ``-1`` = resign).  Without one it plays uniformly random
legal moves (pass included).  Runnable: ``python -m agentctl.envs.go.gtp_server
[--board-size N] [--komi K]``.
"""
from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import TextIO

import numpy as np

from .board_text import format_score, random_choose_move, render_board
from .engine import BLACK, WHITE, GoEngine, action_to_gtp, gtp_to_action

COMMANDS = ("protocol_version", "name", "version", "known_command", "list_commands",
            "boardsize", "clear_board", "komi", "play", "genmove", "undo", "final_score",
            "showboard", "quit")
_COLORS = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}


class _Reply(Exception):
    pass


class GTPServer:
    def __init__(self, choose_move: Callable[[GoEngine], int] | None = None,
                 board_size: int = 9, komi: float = 7.5, ko_rule: str = "superko",
                 name: str = "agentctl", version: str = "0.1", seed: int | None = None,
                 log: TextIO | None = None):
        self._rng = np.random.default_rng(seed)
        self.choose_move = choose_move or (lambda engine: random_choose_move(engine, self._rng))
        self.name = name
        self.version = version
        self.komi = float(komi)
        self.ko_rule = ko_rule
        self.log = log
        self.quit = False
        self._new_board(board_size)

    def _new_board(self, n: int) -> None:
        self.board_size = n
        # GTP controllers referee the game: allow long games (no early move cap)
        self.engine = GoEngine(1, n, komi=self.komi, ko_rule=self.ko_rule, max_moves=20 * n * n)
        self.undo_stack: list[GoEngine] = []

    # ------------------------------------------------------------------ helpers
    def _color(self, arg: str) -> int:
        c = _COLORS.get(arg.lower())
        if c is None:
            raise _Reply("invalid color")
        return c

    def _revive(self) -> None:
        """A controller may keep playing after two passes: reopen the game."""
        e = self.engine
        if e.done[0]:
            e.done[0] = False
            e.winner[0] = 0
            e.resigned[0] = False
            e.refresh_mask([0])

    def _prepare(self, color: int) -> GoEngine:
        """Give ``color`` the move; returns the position before, for undo (restored on error)."""
        snapshot = self.engine.clone()
        try:
            self._revive()
            if self.engine.move_count[0] >= self.engine.max_moves:
                raise _Reply("game too long")
            self.engine.set_to_play(0, color)
        except _Reply:
            self.engine = snapshot
            raise
        return snapshot

    # ------------------------------------------------------------------ commands
    def handle(self, line: str) -> str | None:
        """One raw input line -> the full reply text ("= ...\\n\\n"), or None to ignore."""
        line = "".join(ch for ch in line if ch in "\t\n" or (ord(ch) >= 32 and ord(ch) != 127))
        line = line.split("#", 1)[0].replace("\t", " ").strip()
        if not line:
            return None
        parts = line.split()
        cid = ""
        if parts[0].isdigit():
            cid = parts.pop(0)
            if not parts:
                return f"?{cid} missing command\n\n"
        cmd, args = parts[0].lower(), parts[1:]
        try:
            fn = getattr(self, "cmd_" + cmd, None) if cmd in COMMANDS else None
            if fn is None:
                raise _Reply("unknown command")
            out = fn(args)
        except _Reply as e:
            return f"?{cid} {e}\n\n"
        except Exception as e:  # noqa: BLE001 (never let a bug kill the session)
            return f"?{cid} internal error: {type(e).__name__}: {e}\n\n"
        out = "" if out is None else str(out)
        return f"={cid} {out}\n\n" if "\n" not in out else f"={cid}\n{out}\n\n"

    def serve(self, instream: TextIO = sys.stdin, outstream: TextIO = sys.stdout) -> None:
        for line in instream:
            reply = self.handle(line)
            if reply is None:
                continue
            outstream.write(reply)
            outstream.flush()
            if self.quit:
                break

    def cmd_protocol_version(self, args):
        return "2"

    def cmd_name(self, args):
        return self.name

    def cmd_version(self, args):
        return self.version

    def cmd_known_command(self, args):
        if len(args) != 1:
            raise _Reply("syntax error")
        return "true" if args[0].lower() in COMMANDS else "false"

    def cmd_list_commands(self, args):
        return "\n".join(COMMANDS)

    def cmd_boardsize(self, args):
        if len(args) != 1 or not args[0].isdigit():
            raise _Reply("syntax error")
        n = int(args[0])
        if not 5 <= n <= 19:
            raise _Reply("unacceptable size")
        self._new_board(n)

    def cmd_clear_board(self, args):
        self._new_board(self.board_size)

    def cmd_komi(self, args):
        try:
            k = float(args[0]) if len(args) == 1 else None
        except ValueError:
            k = None
        if k is None or not math.isfinite(k):
            raise _Reply("syntax error")
        self.komi = k
        self.engine.komi = k
        for e in self.undo_stack:
            e.komi = k

    def cmd_play(self, args):
        if len(args) != 2:
            raise _Reply("syntax error")
        color = self._color(args[0])
        if args[1].lower() == "resign":
            return
        try:
            a = gtp_to_action(args[1], self.board_size)
        except ValueError:
            raise _Reply("illegal move") from None  # off-board or malformed vertex
        snapshot = self._prepare(color)
        if not self.engine.mask[0, a]:
            self.engine = snapshot
            raise _Reply("illegal move")
        self.engine.play(0, a)
        self.undo_stack.append(snapshot)

    def cmd_genmove(self, args):
        if len(args) != 1:
            raise _Reply("syntax error")
        color = self._color(args[0])
        snapshot = self._prepare(color)
        a = int(self.choose_move(self.engine))
        if a < 0:
            self.engine = snapshot
            return "resign"
        if not (0 <= a <= self.board_size ** 2) or not self.engine.mask[0, a]:
            if self.log:
                print(f"agent chose illegal move {a}; playing a random legal move", file=self.log)
            a = random_choose_move(self.engine, self._rng)
        self.engine.play(0, a)
        self.undo_stack.append(snapshot)
        return action_to_gtp(a, self.board_size).upper()

    def cmd_undo(self, args):
        if not self.undo_stack:
            raise _Reply("cannot undo")
        self.engine = self.undo_stack.pop()

    def cmd_final_score(self, args):
        return format_score(float(self.engine.scores()[0]))

    def cmd_showboard(self, args):
        return render_board(self.engine, 0)

    def cmd_quit(self, args):
        self.quit = True


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="GTP v2 server playing uniformly random legal moves")
    ap.add_argument("--board-size", type=int, default=9)
    ap.add_argument("--komi", type=float, default=7.5)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    if not 5 <= args.board_size <= 19:
        ap.error("--board-size must be 5..19")
    GTPServer(board_size=args.board_size, komi=args.komi, seed=args.seed,
              log=sys.stderr).serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
