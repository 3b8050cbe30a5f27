"""Batched Go rules engine in torch (CPU or GPU): the rules of :class:`GoEngine`, vectorized.

Same conventions as ``engine.py`` (row-major points with row 0 at the top, action ``N*N`` is
pass, colours 0/1/2, positional superko or simple ko, suicide illegal, two passes or
``max_moves`` end the game, Tromp-Taylor area scoring minus komi) and the same Zobrist keys, so
``hashes`` are bit-identical to ``GoEngine.hashes`` (viewed as int64).  Every array is a torch
tensor on ``device``; a step is a fixed sequence of tensor ops over the whole batch, with no
Python loop over boards.

Groups: labels kept up to date move by move, neither re-labelled nor union-find.
  Re-labelling every step (iterated max-pooling / label propagation, as pgx does in JAX)
  needs as many rounds as a group is long, and in torch a data-dependent round count means
  a host sync per round (JAX hides it in ``while_loop``); union-find's ``find`` chases
  pointers to an unknown depth, the same problem.  But stones only ever *join* groups -- a
  group leaves the board whole, when captured -- so every stone can carry its group's label
  (the point of one of its stones) directly, a union-find whose every union relabels the
  whole group: one gather through a per-board label map (friendly neighbours' labels -> the
  new stone's point, captured groups' labels -> none) does it in a fixed number of ops.
  Each label also keeps the xor of its stones' Zobrist keys (torch has no scatter-xor, but
  a merge xors at most four known values), so the hash after any candidate move is
  ``current ^ key(new stone) ^ keys of the groups it captures`` and positional superko is
  exact: that hash is looked up (``searchsorted``) in the board's history, which is kept
  sorted by insertion.  Liberties are recounted every move by one scatter-add (each empty
  point counts once for each distinct neighbouring group).

Host syncs: ``step`` syncs for the illegal-action check (``check=False`` skips it) and once to
ask whether a game ended on this step; only then does it flood empty regions for area
scoring, a loop that stops when nothing changes (a few more syncs, at game ends only).
``load_board`` labels one board's groups on the host.
"""
from __future__ import annotations

import numpy as np
import torch

from .engine import BLACK, KO_RULES, WHITE, GoEngine, action_to_gtp, board_tables

_NOT_SEEN = torch.iinfo(torch.int64).max  # pads the sorted hash history past its end


def _first(labels: torch.Tensor) -> torch.Tensor:
    """bool [..., 4]: neighbour d's label differs from those of neighbours 0..d-1, so each
    group next to a point is counted once."""
    l0, l1, l2, l3 = labels.unbind(-1)
    return torch.stack([torch.ones_like(l0, dtype=torch.bool), l1 != l0,
                        (l2 != l0) & (l2 != l1), (l3 != l0) & (l3 != l1) & (l3 != l2)], -1)


def _xor4(v: torch.Tensor) -> torch.Tensor:
    """xor over the last dim (size 4)."""
    return v[..., 0] ^ v[..., 1] ^ v[..., 2] ^ v[..., 3]


class TorchGoEngine:
    """A batch of ``num_boards`` Go games stepped together, as torch tensors on ``device``.

    Public state (row ``b`` is board ``b``, as in GoEngine; counters are int64 here):
    ``stones`` int8 [B, N*N] (a view); ``prev`` int8 [B, H-1, N*N] earlier positions, newest
    first; ``to_play`` int8 (1 black, 2 white); ``passes``; ``move_count``; ``ko_point`` (-1
    none); ``hashes`` int64 Zobrist hash; ``hist_hash`` [B, max_moves+1] / ``n_hash`` the
    positions seen so far, oldest first; ``captures`` [B, 2] stones captured by black, white;
    ``last_move``; ``done``; ``winner`` (0 none/draw, 1 black, 2 white); ``score`` black -
    white - komi once done; ``repeated``; ``resigned``; ``mask`` bool [B, N*N+1].

    Internally every per-point tensor has one extra column, index ``N*N``: the wall, the
    neighbour of edge points (its stone value is 3, its label ``N*N`` means "no group").
    """

    def __init__(self, num_boards: int = 1, board_size: int = 9, komi: float = 7.5,
                 ko_rule: str = "superko", max_moves: int | None = None, history: int = 4,
                 repetition_ends_game: bool = False, device: str | torch.device = "cpu"):
        if not 5 <= board_size <= 19:
            raise ValueError(f"board_size must be 5..19, got {board_size}")
        if ko_rule not in KO_RULES:
            raise ValueError(f"ko_rule must be one of {KO_RULES}, got {ko_rule!r}")
        if history < 1:
            raise ValueError("history must be >= 1")
        self.num_boards = int(num_boards)
        self.board_size = int(board_size)
        self.komi = float(komi)
        self.ko_rule = ko_rule
        self.max_moves = int(max_moves) if max_moves is not None else 2 * board_size ** 2
        self.history = int(history)
        self.repetition_ends_game = bool(repetition_ends_game)
        self.device = torch.device(device)
        nn = self.num_points
        nbr, _, zob = board_tables(self.board_size)
        nbr = np.vstack([np.where(nbr < 0, nn, nbr), np.full((1, 4), nn)])  # the wall's: itself
        zob = np.vstack([zob, np.zeros((1, 3), np.uint64)]).view(np.int64)  # same keys, as int64
        self._nbr = torch.as_tensor(nbr, dtype=torch.int64, device=self.device)  # [NN+1, 4]
        self._zob = torch.as_tensor(zob, device=self.device)  # [NN+1, 3]
        self._zob_by_colour = self._zob[:nn].T.contiguous()  # [3, NN]
        self._points = torch.arange(nn + 1, device=self.device)
        self._alloc()
        self.reset()

    # ----------------------------------------------------------------- basics
    @property
    def num_points(self) -> int:
        return self.board_size * self.board_size

    @property
    def num_actions(self) -> int:
        return self.num_points + 1

    @property
    def pass_action(self) -> int:
        return self.num_points

    @property
    def num_planes(self) -> int:
        return 2 * self.history + 1

    @property
    def stones(self) -> torch.Tensor:
        return self._stones[:, : self.num_points]

    def _alloc(self) -> None:
        b, nn, dev = self.num_boards, self.num_points, self.device

        def zeros(*shape, dtype=torch.int64):
            return torch.zeros(shape, dtype=dtype, device=dev)

        self._stones = zeros(b, nn + 1, dtype=torch.int8)
        self._stones[:, nn] = 3
        self._labels = torch.full((b, nn + 1), nn, dtype=torch.int64, device=dev)
        self._ghash = zeros(b, nn + 1)  # xor of the Zobrist keys of group <label>'s stones
        self._libs = zeros(b, nn + 1)  # distinct liberties of group <label>
        self.prev = zeros(b, self.history - 1, nn, dtype=torch.int8)
        self.to_play = zeros(b, dtype=torch.int8)
        self.passes = zeros(b)
        self.move_count = zeros(b)
        self.ko_point = zeros(b)
        self.hashes = zeros(b)
        self.hist_hash = zeros(b, self.max_moves + 1)
        self.n_hash = zeros(b)
        self._known = zeros(b, self.max_moves + 1)  # hist_hash sorted, then int64 max
        self.captures = zeros(b, 2)
        self.last_move = zeros(b)
        self.done = zeros(b, dtype=torch.bool)
        self.winner = zeros(b, dtype=torch.int8)
        self.score = zeros(b, dtype=torch.float64)
        self.repeated = zeros(b, dtype=torch.bool)
        self.resigned = zeros(b, dtype=torch.bool)
        self.mask = zeros(b, nn + 1, dtype=torch.bool)

    def _rows(self, indices) -> torch.Tensor:
        """bool [B] on device from None (all), a bool mask [B], or board indices."""
        if indices is None:
            return torch.ones(self.num_boards, dtype=torch.bool, device=self.device)
        t = torch.as_tensor(indices, device=self.device)
        if t.dtype == torch.bool:
            return t.reshape(-1).clone()  # a copy: reset(engine.done) must not clear its own mask
        rows = torch.zeros(self.num_boards, dtype=torch.bool, device=self.device)
        return rows.index_fill_(0, t.reshape(-1).long(), True)

    def reset(self, indices=None) -> None:
        """Reset all boards, or only ``indices`` (board indices, or a bool mask [B])."""
        r = self._rows(indices)
        nn = self.num_points
        for t, v in ((self._labels, nn), (self._ghash, 0), (self._libs, 0), (self.prev, 0),
                     (self.to_play, BLACK), (self.passes, 0), (self.move_count, 0),
                     (self.ko_point, -1), (self.hashes, 0), (self.hist_hash, 0), (self.n_hash, 1),
                     (self.captures, 0), (self.last_move, -1), (self.done, False), (self.winner, 0),
                     (self.score, 0.0), (self.repeated, False), (self.resigned, False),
                     (self.mask, True)):
            t.masked_fill_(r.view((-1,) + (1,) * (t.dim() - 1)), v)  # no host sync, unlike t[r] = v
        self._stones[:, :nn].masked_fill_(r[:, None], 0)  # empty board: hash 0, every move legal
        self._known.masked_fill_(r[:, None], _NOT_SEEN)[:, 0].masked_fill_(r, 0)

    # ----------------------------------------------------------------- stepping
    def step(self, actions, check: bool = True) -> torch.Tensor:
        """Play one action on every board (int [B]); finished boards are left alone.  Raises
        ValueError on an illegal action of a live board (nothing is played then); with
        ``check=False`` such a board is silently left unplayed.  Returns bool [B]: boards
        that moved."""
        a = torch.as_tensor(actions, device=self.device).long().reshape(-1)
        if a.shape[0] != self.num_boards:
            raise ValueError(f"expected {self.num_boards} actions, got {a.shape[0]}")
        if check:
            bad = ~self.done & ~self._playable(a)
            if bad.any():
                b = int(bad.nonzero()[0, 0])
                act = int(a[b])
                inside = 0 <= act <= self.num_points
                name = action_to_gtp(act, self.board_size) if inside else "out of range"
                raise ValueError(f"illegal action {act} on board {b} ({name})")
        return self._apply(a)

    def play(self, board: int, action: int) -> None:
        """Play one action on one board (the others untouched); ValueError if illegal."""
        if bool(self.done[board]):
            raise ValueError(f"board {board}: game is over")
        a = torch.full((self.num_boards,), -1, dtype=torch.int64, device=self.device)
        a[board] = int(action)
        if not bool(self._playable(a)[board]):
            raise ValueError(f"illegal action {action} on board {board}")
        self._apply(a)

    def _playable(self, a: torch.Tensor) -> torch.Tensor:
        inside = (a >= 0) & (a <= self.num_points)
        return inside & self.mask.gather(1, a.clamp(0, self.num_points)[:, None])[:, 0]

    def _apply(self, a: torch.Tensor) -> torch.Tensor:
        nn, nb = self.num_points, self.num_boards
        moved = ~self.done & self._playable(a)
        put = moved & (a < nn)  # a stone is placed
        passed = moved & (a == nn)
        p = torch.where(put, a, nn)  # other boards point at the wall: reads harmless, writes undone
        c = self.to_play
        o = 3 - c
        st, lab = self._stones, self._labels
        # --- the four neighbours of p: colour, group label, that group's liberties and hash
        nbr = self._nbr[p]
        ns = st.gather(1, nbr)
        nl = lab.gather(1, nbr)
        ngh = self._ghash.gather(1, nl)
        joins = put[:, None] & (ns == c[:, None])  # friendly groups: merge with the new stone
        takes = put[:, None] & (ns == o[:, None]) & (self._libs.gather(1, nl) == 1)  # captured
        first = _first(nl)
        key = self._zob[p, c.long()]  # the new stone's key (0 for the wall)
        new_hash = self.hashes ^ key ^ _xor4(torch.where(takes & first, ngh, 0))
        # --- relabel: every label maps to itself, but joined groups -> p and captured ones -> none
        remap = self._points.repeat(nb, 1)
        remap.scatter_(1, nl, torch.where(joins, p[:, None], torch.where(takes, nn, nl)))
        new_lab = remap.gather(1, lab)
        captured = (new_lab == nn) & (lab != nn)
        new_lab.scatter_(1, p[:, None], p[:, None])
        ncap = captured.sum(1)
        eye = ((ns == o[:, None]) | (nbr == nn)).all(1)  # played into an opponent's eye
        lastcap = (captured * self._points).sum(1)  # the captured stone when there is one
        # --- history planes: shift, newest previous position first
        if self.history > 1:
            shifted = torch.cat([st[:, None, :nn], self.prev[:, :-1]], 1)
            self.prev = torch.where(moved[:, None, None], shifted, self.prev)
        # --- board, groups, hashes
        st = st.masked_fill(captured, 0)
        self._stones = st.scatter_(1, p[:, None], torch.where(put, c, 3)[:, None])
        self._labels = new_lab
        gh = key ^ _xor4(torch.where(joins & first, ngh, 0))
        self._ghash.scatter_(1, p[:, None], torch.where(put, gh, 0)[:, None])  # wall's stays 0
        self.captures += torch.nn.functional.one_hot(c.long() - 1, 2) * ncap[:, None]
        self.ko_point = torch.where(put, torch.where(eye & (ncap == 1), lastcap, -1),
                                    torch.where(passed, -1, self.ko_point))
        self.hashes = torch.where(put, new_hash, self.hashes)
        rep = torch.zeros_like(put)  # the game ends on a repeated position (an option)
        if self.repetition_ends_game:
            rep = put & self._seen(new_hash[:, None])[:, 0]
        self._remember(new_hash, put)
        # --- turn and end of game
        self.passes = torch.where(passed, self.passes + 1, torch.where(put, 0, self.passes))
        self.move_count += moved
        self.last_move = torch.where(moved, a, self.last_move)
        self.to_play = torch.where(moved, o, c)
        self.repeated |= rep
        ended = moved & ~rep & ((self.passes >= 2) | (self.move_count >= self.max_moves))
        self.done |= rep | ended
        self.winner.masked_fill_(rep, 0)
        self.score.masked_fill_(rep, 0.0)
        idx = ended.nonzero()[:, 0]  # the one host sync of an unchecked step
        if idx.numel():
            sc = self._area_scores(idx)
            self.score[idx] = sc
            win = torch.where(sc > 0, BLACK, torch.where(sc < 0, WHITE, 0))
            self.winner[idx] = win.to(self.winner.dtype)
        self._refresh()
        return moved

    def _remember(self, h: torch.Tensor, rows: torch.Tensor) -> None:
        """Append hash h to the history of ``rows``, in order (``hist_hash``) and sorted
        (``_known``, padded with int64 max, searched by :meth:`_seen`)."""
        slot = self.n_hash.clamp(max=self.max_moves)[:, None]
        old = self.hist_hash.gather(1, slot)[:, 0]
        self.hist_hash.scatter_(1, slot, torch.where(rows, h, old)[:, None])
        self.n_hash += rows
        known = self._known
        at = torch.searchsorted(known, h[:, None])
        j = torch.arange(known.shape[1], device=self.device)
        before = torch.cat([known[:, :1], known[:, :-1]], 1)  # known[j - 1]: the tail moves right
        inserted = torch.where(j < at, known, torch.where(j == at, h[:, None], before))
        self._known = torch.where(rows[:, None], inserted, known)

    def _refresh(self) -> None:
        """Liberties of every group and the legal-move mask, from stones, labels, hashes."""
        nn, b = self.num_points, self.num_boards
        st, lab = self._stones, self._labels
        nbr = self._nbr[:nn]
        nbs = st[:, nbr]  # [B, NN, 4] neighbour colours
        nbl = lab[:, nbr]  # [B, NN, 4] neighbour group labels
        first = _first(nbl)
        empty = st[:, :nn] == 0
        lib = ((nbs == BLACK) | (nbs == WHITE)) & first & empty[:, :, None]
        libs = torch.zeros(b, nn + 1, dtype=torch.int64, device=self.device)
        libs.scatter_add_(1, torch.where(lib, nbl, nn).view(b, -1), lib.long().view(b, -1))
        libs[:, nn] = 0
        self._libs = libs
        # --- legal points: empty, not the ko point, and not suicide ...
        nlib = libs.gather(1, nbl.view(b, -1)).view(b, nn, 4)
        c = self.to_play[:, None, None]
        atari = (nbs == 3 - c) & (nlib == 1)  # opponent groups this move captures
        breathes = (nbs == 0) | ((nbs == c) & (nlib > 1)) | atari
        legal = empty & (self._points[:nn] != self.ko_point[:, None]) & breathes.any(-1)
        if self.ko_rule == "superko":  # ... nor repeating an earlier position
            ngh = self._ghash.gather(1, nbl.view(b, -1)).view(b, nn, 4)
            after = (self.hashes[:, None] ^ self._zob_by_colour[self.to_play.long()]
                     ^ _xor4(torch.where(atari & first, ngh, 0)))
            legal &= ~self._seen(after)
        self.mask = torch.cat([legal, torch.ones_like(legal[:, :1])], 1) & ~self.done[:, None]

    def _seen(self, h: torch.Tensor) -> torch.Tensor:
        """bool [B, K]: hash h[b, k] is among board b's earlier positions (exact)."""
        i = torch.searchsorted(self._known, h.contiguous())
        hit = self._known.gather(1, i.clamp(max=self._known.shape[1] - 1)) == h
        return hit & (i < self.n_hash[:, None])  # (a hash equal to the padding is no hit)

    def _area_scores(self, idx: torch.Tensor | None = None) -> torch.Tensor:
        """Tromp-Taylor: black stones + empty points reaching only black, minus the same for
        white, minus komi; float64 for boards ``idx`` (default all)."""
        own = self._owners(idx)
        return own.sum(1, dtype=torch.int64).double() - self.komi

    def _owners(self, idx: torch.Tensor | None = None) -> torch.Tensor:
        """int8 [k, NN]: +1 points that reach only black (black stones included), -1 only
        white, 0 both or neither; for boards ``idx`` (default all)."""
        nn = self.num_points
        st = self._stones if idx is None else self._stones[idx]
        empty = (st == 0)[:, None]
        reach = torch.stack([st == BLACK, st == WHITE], 1)  # [k, 2, NN+1]: reaches black / white
        while True:  # grow through empty points; a round per step of the longest path
            before = reach
            for _ in range(4):
                reach = reach | (empty & reach[:, :, self._nbr].any(-1))
            if torch.equal(reach, before):
                break
        rb, rw = reach[:, 0, :nn], reach[:, 1, :nn]
        return (rb & ~rw).to(torch.int8) - (rw & ~rb).to(torch.int8)

    def ownership(self, indices=None) -> torch.Tensor:
        """int8 [k, N*N] who owns each point of the given boards (default all) under area
        scoring, as ``GoEngine.ownership`` (one board there): +1 black, -1 white, 0 neither."""
        idx = None if indices is None else torch.as_tensor(indices, device=self.device).long().reshape(-1)
        return self._owners(idx)

    def resign(self, indices=None) -> None:
        """The player to move resigns on the given boards (default all live ones)."""
        r = self._rows(indices) & ~self.done
        self.done |= r
        self.resigned |= r
        self.winner = torch.where(r, 3 - self.to_play, self.winner)
        lost = torch.where(self.to_play == WHITE, torch.inf, -torch.inf).double()  # black's view
        self.score = torch.where(r, lost, self.score)
        self.mask.masked_fill_(r[:, None], False)

    def set_to_play(self, board: int, color: int) -> None:
        """Give the move to ``color`` on one board; clears the simple-ko point."""
        if int(self.to_play[board]) != color:
            self.to_play[board] = color
            self.ko_point[board] = -1
            self._refresh()

    def load_board(self, b: int, stones, to_play: int = BLACK) -> None:
        """Set board b to a position (int [N,N] or [N*N], 0/1/2) as a fresh game starting there."""
        s = np.asarray(stones, np.int64).reshape(-1)
        nn = self.num_points
        if s.size != nn or s.min() < 0 or s.max() > 2:
            raise ValueError("bad position")
        self.reset([b])
        nbr = self._nbr.cpu().numpy()
        zob = self._zob.cpu().numpy()
        labels = np.full(nn + 1, nn, np.int64)
        ghash = np.zeros(nn + 1, np.int64)
        for start in range(nn):  # one board: flood each group on the host
            if s[start] == 0 or labels[start] != nn:
                continue
            labels[start] = start
            stack, h = [start], np.int64(0)
            while stack:
                q = stack.pop()
                h ^= zob[q, s[q]]
                for r in nbr[q]:
                    if r < nn and s[r] == s[start] and labels[r] == nn:
                        labels[r] = start
                        stack.append(r)
            ghash[start] = h
        h = np.bitwise_xor.reduce(zob[np.arange(nn), s])
        self._stones[b, :nn] = torch.as_tensor(s, dtype=torch.int8, device=self.device)
        self._labels[b] = torch.as_tensor(labels, device=self.device)
        self._ghash[b] = torch.as_tensor(ghash, device=self.device)
        self.hashes[b] = int(h)
        self.hist_hash[b, 0] = int(h)
        self._known[b, 0] = int(h)
        self.to_play[b] = to_play
        self._refresh()

    # ----------------------------------------------------------------- views
    def legal_mask(self) -> torch.Tensor:
        """bool [B, N*N+1]: legal points of the player to move, then pass; all False once done."""
        return self.mask

    def random_actions(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """A uniformly random legal action per board (pass on finished boards), int64 [B]."""
        u = torch.rand(self.mask.shape, generator=generator, device=self.device)
        pick = u.masked_fill(~self.mask, -1.0).argmax(1)
        return torch.where(self.mask.any(1), pick, self.num_points)

    def observations(self) -> torch.Tensor:
        """float32 [B, 2H+1, N, N], GoEngine's planes: (own, opponent) stones of the current and
        H-1 previous positions (newest first; "own" = the player to move), then ones if black
        is to move."""
        b, n = self.num_boards, self.board_size
        pos = torch.cat([self.stones[:, None], self.prev], 1)  # [B, H, NN]
        c = self.to_play[:, None, None]
        planes = torch.stack([pos == c, pos == 3 - c], 2).view(b, 2 * self.history, n * n)
        black = (self.to_play == BLACK)[:, None, None].expand(b, 1, n * n)
        return torch.cat([planes, black], 1).to(torch.float32).view(b, self.num_planes, n, n)

    def scores(self) -> torch.Tensor:
        """Tromp-Taylor area score of every board now: black - white - komi (float64 [B])."""
        return self._area_scores()

    def outcome(self) -> torch.Tensor:
        """int8 [B]: +1 black won, -1 white won, 0 draw or not finished."""
        w = torch.where(self.done, self.winner, 0)
        return ((w == BLACK).to(torch.int8) - (w == WHITE).to(torch.int8))

    def board(self, b: int = 0) -> torch.Tensor:
        """int8 [N, N] stones of board b (row 0 = top)."""
        return self.stones[b].reshape(self.board_size, self.board_size)

    def to_numpy(self, indices=None) -> GoEngine:
        """Copies of the given boards (default all, in order) as a numba :class:`GoEngine` in the
        same state, for code that steps one board at a time (play-time search, GTP)."""
        sub = self if indices is None else self.select(indices)
        g = GoEngine(sub.num_boards, self.board_size, komi=self.komi, ko_rule=self.ko_rule,
                     max_moves=self.max_moves, history=self.history,
                     repetition_ends_game=self.repetition_ends_game)
        for name in ("stones", "prev", "to_play", "passes", "move_count", "ko_point", "n_hash",
                     "captures", "last_move", "done", "winner", "score", "repeated", "resigned", "mask"):
            getattr(g, name)[...] = getattr(sub, name).cpu().numpy()
        g.hashes[...] = sub.hashes.cpu().numpy().view(np.uint64)
        g.hist_hash[...] = sub.hist_hash.cpu().numpy().view(np.uint64)
        # GoEngine's Bloom filter of the history: bit (hash >> 52) of 4096 per board
        rows, cols = np.nonzero(np.arange(g.hist_hash.shape[1]) < g.n_hash[:, None])
        bit = g.hist_hash[rows, cols] >> np.uint64(52)
        g.bloom[...] = 0
        np.bitwise_or.at(g.bloom, (rows, (bit >> np.uint64(6)).astype(np.int64)),
                         np.left_shift(np.uint64(1), bit & np.uint64(63)))
        return g

    def to(self, device: str | torch.device) -> TorchGoEngine:
        """A copy of this engine on ``device`` (every board, the constant tables too)."""
        new = object.__new__(TorchGoEngine)
        new.__dict__.update({k: v.to(device) if isinstance(v, torch.Tensor) else v
                             for k, v in self.__dict__.items()})
        new.device = torch.device(device)
        return new

    def clone(self) -> TorchGoEngine:
        return self.select(torch.arange(self.num_boards, device=self.device))

    def select(self, indices) -> TorchGoEngine:
        """A new engine holding copies of the given boards (indices may repeat, or a bool mask)."""
        idx = torch.as_tensor(indices, device=self.device)
        idx = (idx.nonzero()[:, 0] if idx.dtype == torch.bool else idx).long().reshape(-1)
        new = object.__new__(TorchGoEngine)
        new.__dict__.update(self.__dict__)  # settings and the shared constant tables
        for k in _BOARD_FIELDS:
            new.__dict__[k] = getattr(self, k)[idx].clone()
        new.num_boards = int(idx.numel())
        return new


_BOARD_FIELDS = ("_stones", "_labels", "_ghash", "_libs", "prev", "to_play", "passes", "move_count",
                 "ko_point", "hashes", "hist_hash", "_known", "n_hash", "captures", "last_move",
                 "done", "winner", "score", "repeated", "resigned", "mask")
