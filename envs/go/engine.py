"""Batched Go rules engine (numpy state, numba kernels).

Conventions
-----------
* ``B`` boards of size ``N`` (5..19) are stepped together.  Points are numbered
  row-major, ``p = row * N + col``, with **row 0 the top row as GTP draws it**
  (GTP row ``N``) and col 0 column ``A``.  Action ``N*N`` is pass.  Resignation
  is a separate method (:meth:`GoEngine.resign`), not an action.
* Colours: ``0`` empty, ``1`` black, ``2`` white (``BLACK``, ``WHITE``).
* Ko: ``ko_rule="superko"`` (default) forbids any board move whose resulting
  whole-board position (stones only) repeats any earlier position of the game
  (positional superko, checked with Zobrist hashes, a per-board Bloom filter
  and the per-board list of earlier hashes).  ``ko_rule="simple"`` forbids only
  the immediate recapture of a single stone.  With ``repetition_ends_game=True``
  (meant for simple ko) a board move that repeats an earlier position ends the
  game as a draw, which is what OpenSpiel's Go does.
* Suicide is illegal.  The game ends after two consecutive passes, or once
  ``max_moves`` actions (passes included, default ``2 * N * N``) were played;
  it is then scored with Tromp-Taylor area scoring (stones + empty regions that
  reach only one colour) minus ``komi`` (default 7.5), from black's view.
* All state lives in numpy arrays (see :class:`GoEngine`), so copying and
  pickling a batch is cheap.  The hot path (``step``: apply move, captures,
  hashes, end of game, legal mask of the next position) and the observation
  builder are numba kernels looping over boards, with no per-board Python.
"""
from __future__ import annotations

import types

import numpy as np
from numba import njit, prange

EMPTY, BLACK, WHITE = 0, 1, 2
KO_RULES = ("superko", "simple")
COLUMNS = "ABCDEFGHJKLMNOPQRST"  # GTP columns, no I
_BLOOM_WORDS = 64  # 4096-bit Bloom filter per board for the superko history


# --------------------------------------------------------------------------- tables
_TABLE_CACHE: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def board_tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(neighbours [N*N, 4] int32 padded with -1, neighbour counts [N*N] int32,
    zobrist [N*N, 3] uint64) for an N x N board; deterministic."""
    if n in _TABLE_CACHE:
        return _TABLE_CACHE[n]
    nn = n * n
    nbr = -np.ones((nn, 4), np.int32)
    cnt = np.zeros(nn, np.int32)
    for r in range(n):
        for c in range(n):
            p = r * n + c
            for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < n and 0 <= cc < n:
                    nbr[p, cnt[p]] = rr * n + cc
                    cnt[p] += 1
    rng = np.random.default_rng(0x60_60 + n)
    zob = rng.integers(1, np.iinfo(np.uint64).max, size=(nn, 3), dtype=np.uint64, endpoint=True)
    zob[:, 0] = 0
    _TABLE_CACHE[n] = (nbr, cnt, zob)
    return _TABLE_CACHE[n]


_PAD_CACHE: dict[int, tuple[np.ndarray, np.ndarray, int]] = {}


def padded_tables(n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(p2q [N*N] int32 point -> index on the (N+2)^2 padded board, zobrist [(N+2)^2, 3]
    in padded indices (0 on the border), padded width N+2)."""
    if n not in _PAD_CACHE:
        w = n + 2
        p = np.arange(n * n)
        p2q = ((p // n + 1) * w + p % n + 1).astype(np.int32)
        zobq = np.zeros((w * w, 3), np.uint64)
        zobq[p2q] = board_tables(n)[2]
        _PAD_CACHE[n] = (p2q, zobq, w)
    return _PAD_CACHE[n]


# --------------------------------------------------------------------------- kernels
@njit(cache=True, inline="always")
def _bloom_has(bloom, b, h):
    bit = np.int64(h >> np.uint64(52))
    return (bloom[b, bit >> 6] >> np.uint64(bit & 63)) & np.uint64(1)


@njit(cache=True, inline="always")
def _bloom_add(bloom, b, h):
    bit = np.int64(h >> np.uint64(52))
    bloom[b, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)


@njit(cache=True, inline="always")
def _seen_before(bloom, hist_hash, n_hash, b, h):
    if _bloom_has(bloom, b, h) == 0:
        return False
    for i in range(n_hash[b]):
        if hist_hash[b, i] == h:
            return True
    return False


@njit(cache=True)
def _board_mask(b, stones, to_play, ko_point, hashes, bloom, hist_hash, n_hash,
                p2q, zobq, w, superko, mask, gid, glibs, ghash, stack, libmark, pb):
    """Legal-move mask of board b for the colour to play (pass always legal).

    Works on a padded copy ``pb`` (width w = N+2, border value 3, preset by the
    caller) so neighbours are q-1, q+1, q-w, q+w without tables or bounds tests.
    gid/libmark/pb have w*w entries, zobq is the zobrist table in padded indices."""
    nn = stones.shape[1]
    c = to_play[b]
    st = stones[b]
    mk = mask[b]
    for p in range(nn):
        q = p2q[p]
        pb[q] = st[p]
        gid[q] = -1
        libmark[q] = -1
    # --- group analysis: ids, distinct liberty counts, xor of zobrist keys
    ng = 0
    for p in range(nn):
        q0 = p2q[p]
        col = pb[q0]
        if col == 0 or gid[q0] >= 0:
            continue
        gid[q0] = ng
        stack[0] = q0
        sp = 1
        libs = 0
        h = np.uint64(0)
        while sp > 0:
            sp -= 1
            q = stack[sp]
            h ^= zobq[q, col]
            for d in (-1, 1, -w, w):
                r = q + d
                s = pb[r]
                if s == 0:
                    if libmark[r] != ng:
                        libmark[r] = ng
                        libs += 1
                elif s == col and gid[r] < 0:
                    gid[r] = ng
                    stack[sp] = r
                    sp += 1
        glibs[ng] = libs
        ghash[ng] = h
        ng += 1
    # --- per empty point
    ko = ko_point[b]
    hcur = hashes[b]
    for p in range(nn):
        q = p2q[p]
        if pb[q] != 0 or p == ko:
            mk[p] = False
            continue
        ok = False
        caph = np.uint64(0)
        g0 = -1
        g1 = -1
        g2 = -1
        for d in (-1, 1, -w, w):
            r = q + d
            s = pb[r]
            if s == 0:
                ok = True
            elif s == c:
                if glibs[gid[r]] > 1:
                    ok = True
            elif s != 3:
                g = gid[r]
                if glibs[g] == 1:
                    ok = True
                    if g != g0 and g != g1 and g != g2:  # xor each captured group once
                        caph ^= ghash[g]
                        if g0 < 0:
                            g0 = g
                        elif g1 < 0:
                            g1 = g
                        else:
                            g2 = g
        if ok and superko:
            hn = hcur ^ zobq[q, c] ^ caph
            if _seen_before(bloom, hist_hash, n_hash, b, hn):
                ok = False
        mk[p] = ok
    mk[nn] = True


@njit(cache=True)
def _score_board(b, stones, nbr, ncnt, komi, stack, mark):
    """Tromp-Taylor area score of board b, black minus white minus komi."""
    nn = stones.shape[1]
    st = stones[b]
    for p in range(nn):
        mark[p] = False
    delta = 0
    for p in range(nn):
        s = st[p]
        if s == 1:
            delta += 1
        elif s == 2:
            delta -= 1
        elif not mark[p]:
            mark[p] = True
            stack[0] = p
            sp = 1
            size = 0
            rb = False
            rw = False
            while sp > 0:
                sp -= 1
                q = stack[sp]
                size += 1
                for k in range(ncnt[q]):
                    r = nbr[q, k]
                    t = st[r]
                    if t == 1:
                        rb = True
                    elif t == 2:
                        rw = True
                    elif not mark[r]:
                        mark[r] = True
                        stack[sp] = r
                        sp += 1
            if rb and not rw:
                delta += size
            elif rw and not rb:
                delta -= size
    return delta - komi


@njit(cache=True)
def _finish(b, stones, nbr, ncnt, komi, score, winner, done, stack, mark):
    sc = _score_board(b, stones, nbr, ncnt, komi, stack, mark)
    score[b] = sc
    winner[b] = 1 if sc > 0 else (2 if sc < 0 else 0)
    done[b] = True


@njit(cache=True)
def _step_board(b, actions, stones, prev, to_play, passes, move_count, ko_point, hashes,
                 bloom, hist_hash, n_hash, captures, last_move, done, winner, score,
                 repeated, mask, nbr, ncnt, zob, komi, max_moves, superko, rep_ends,
                 moved, stack, mark, bmark, gid, glibs, ghash, p2q, zobq, w, libmark, pb):
    nn = stones.shape[1]
    nh = prev.shape[1]
    if True:
        moved[b] = False
        if done[b]:
            return
        a = actions[b]
        if a < 0 or a > nn or not mask[b, a]:
            return  # caller validates; illegal actions are left unplayed
        moved[b] = True
        for p in range(nn):
            mark[p] = 0
        c = to_play[b]
        o = 3 - c
        # history planes: shift, newest previous position first
        if nh > 0:
            for k in range(nh - 1, 0, -1):
                for p in range(nn):
                    prev[b, k, p] = prev[b, k - 1, p]
            for p in range(nn):
                prev[b, 0, p] = stones[b, p]
        move_count[b] += 1
        last_move[b] = a
        rep = False
        if a == nn:
            passes[b] += 1
            ko_point[b] = -1
        else:
            passes[b] = 0
            eye = True
            for k in range(ncnt[a]):
                if stones[b, nbr[a, k]] != o:
                    eye = False
            stones[b, a] = c
            h = hashes[b] ^ zob[a, c]
            ncap = 0
            lastcap = -1
            stamp = 0
            for k in range(ncnt[a]):
                r = nbr[a, k]
                if stones[b, r] != o:
                    continue
                # flood the opponent group at r; captured if it has no liberty
                stamp += 1
                mark[r] = stamp
                stack[0] = r
                sp = 1
                cnt = 0
                free = False
                while sp > 0 and not free:
                    sp -= 1
                    q = stack[sp]
                    cnt += 1
                    for j in range(ncnt[q]):
                        t = nbr[q, j]
                        st = stones[b, t]
                        if st == 0:
                            free = True
                            break
                        if st == o and mark[t] != stamp:
                            mark[t] = stamp
                            stack[sp] = t
                            sp += 1
                if free:
                    continue
                # remove it (second flood from r, clearing as we go)
                stones[b, r] = 0
                h ^= zob[r, o]
                stack[0] = r
                sp = 1
                while sp > 0:
                    sp -= 1
                    q = stack[sp]
                    ncap += 1
                    lastcap = q
                    for j in range(ncnt[q]):
                        t = nbr[q, j]
                        if stones[b, t] == o:
                            stones[b, t] = 0
                            h ^= zob[t, o]
                            stack[sp] = t
                            sp += 1
            captures[b, c - 1] += ncap
            ko_point[b] = lastcap if (eye and ncap == 1) else -1
            hashes[b] = h
            if rep_ends and _seen_before(bloom, hist_hash, n_hash, b, h):
                rep = True
            _bloom_add(bloom, b, h)
            hist_hash[b, n_hash[b]] = h
            n_hash[b] += 1
        to_play[b] = o
        if rep:
            repeated[b] = True
            done[b] = True
            winner[b] = 0
            score[b] = 0.0
        elif passes[b] >= 2 or move_count[b] >= max_moves:
            _finish(b, stones, nbr, ncnt, komi, score, winner, done, stack, bmark)
        if done[b]:
            for p in range(nn + 1):
                mask[b, p] = False
        else:
            _board_mask(b, stones, to_play, ko_point, hashes, bloom, hist_hash, n_hash,
                        p2q, zobq, w, superko, mask, gid, glibs, ghash, stack, libmark, pb)



def _step_kernel(actions, stones, prev, to_play, passes, move_count, ko_point, hashes,
                 bloom, hist_hash, n_hash, captures, last_move, done, winner, score,
                 repeated, mask, nbr, ncnt, zob, komi, max_moves, superko, rep_ends,
                 moved, nchunks, p2q, zobq, w):
    nb, nn = stones.shape
    for t in prange(nchunks):
        stack = np.empty(nn, np.int32)
        mark = np.zeros(nn, np.int32)
        bmark = np.empty(nn, np.bool_)
        gid = np.empty(w * w, np.int32)
        glibs = np.empty(nn, np.int32)
        ghash = np.empty(nn, np.uint64)
        libmark = np.empty(w * w, np.int32)
        pb = np.full(w * w, 3, np.int8)
        lo = t * nb // nchunks
        hi = (t + 1) * nb // nchunks
        for b in range(lo, hi):
            _step_board(b, actions, stones, prev, to_play, passes, move_count, ko_point,
                        hashes, bloom, hist_hash, n_hash, captures, last_move, done, winner,
                        score, repeated, mask, nbr, ncnt, zob, komi, max_moves, superko,
                        rep_ends, moved, stack, mark, bmark, gid, glibs, ghash, p2q, zobq, w,
                        libmark, pb)


def _mask_kernel(idx, stones, to_play, ko_point, hashes, bloom, hist_hash, n_hash, done,
                 p2q, zobq, w, superko, mask):
    nn = stones.shape[1]
    for i in prange(idx.shape[0]):
        b = idx[i]
        if done[b]:
            for p in range(nn + 1):
                mask[b, p] = False
            continue
        stack = np.empty(nn, np.int32)
        libmark = np.empty(w * w, np.int32)
        gid = np.empty(w * w, np.int32)
        glibs = np.empty(nn, np.int32)
        ghash = np.empty(nn, np.uint64)
        pb = np.full(w * w, 3, np.int8)
        _board_mask(b, stones, to_play, ko_point, hashes, bloom, hist_hash, n_hash,
                    p2q, zobq, w, superko, mask, gid, glibs, ghash, stack, libmark, pb)


def _score_kernel(stones, nbr, ncnt, komi, out):
    nb, nn = stones.shape
    for b in prange(nb):
        stack = np.empty(nn, np.int32)
        mark = np.empty(nn, np.bool_)
        out[b] = _score_board(b, stones, nbr, ncnt, komi, stack, mark)


def _obs_kernel(stones, prev, to_play, out):
    """out [B, 2H+1, N*N]: (own, opp) for the current and H-1 previous positions,
    then a plane of ones when black is to play."""
    nb, nn = stones.shape
    nh = prev.shape[1]
    for b in prange(nb):
        c = to_play[b]
        o = 3 - c
        for p in range(nn):
            s = stones[b, p]
            out[b, 0, p] = s == c
            out[b, 1, p] = s == o
        for k in range(nh):
            for p in range(nn):
                s = prev[b, k, p]
                out[b, 2 + 2 * k, p] = s == c
                out[b, 3 + 2 * k, p] = s == o
        v = 1 if c == 1 else 0
        for p in range(nn):
            out[b, 2 + 2 * nh, p] = v


def _random_actions_kernel(mask, out):
    nb, na = mask.shape
    for b in prange(nb):
        cnt = 0
        for a in range(na):
            if mask[b, a]:
                cnt += 1
        if cnt == 0:
            out[b] = na - 1
            continue
        k = np.random.randint(cnt)
        for a in range(na):
            if mask[b, a]:
                if k == 0:
                    out[b] = a
                    break
                k -= 1


def _twin(f, name):
    g = types.FunctionType(f.__code__, f.__globals__, name, f.__defaults__, f.__closure__)
    g.__qualname__ = name
    return g


# Each batched driver is compiled twice: serial (default; best on a busy or small
# machine) and parallel over boards with prange (GoEngine(parallel=True)).
_KERNELS = {}
for _f in (_step_kernel, _mask_kernel, _score_kernel, _obs_kernel, _random_actions_kernel):
    _KERNELS[(_f.__name__, False)] = njit(cache=True)(_twin(_f, _f.__name__ + "_serial"))
    _KERNELS[(_f.__name__, True)] = njit(cache=True, parallel=True)(_twin(_f, _f.__name__ + "_par"))


@njit(cache=True)
def _seed_numba(seed):
    np.random.seed(seed)


# --------------------------------------------------------------------------- engine
def _nchunks(nb: int, parallel: bool) -> int:
    if not parallel:
        return 1
    import numba
    return max(1, min(nb, numba.get_num_threads() * 4))


_STATE_FIELDS = ("stones", "prev", "to_play", "passes", "move_count", "ko_point", "hashes",
                 "bloom", "hist_hash", "n_hash", "captures", "last_move", "done", "winner",
                 "score", "repeated", "resigned", "mask")


class GoEngine:
    """A batch of ``num_boards`` Go games stepped together.

    State arrays (all numpy, row ``b`` is board ``b``):
      ``stones`` int8 [B, N*N]; ``prev`` int8 [B, H-1, N*N] earlier positions, newest
      first; ``to_play`` int8 [B] (1 black, 2 white); ``passes`` consecutive passes;
      ``move_count`` actions played; ``ko_point`` (simple ko, -1 none); ``hashes``
      uint64 Zobrist hash of the position; ``hist_hash``/``n_hash``/``bloom`` the
      positions seen so far; ``captures`` [B, 2] stones captured by black, white;
      ``last_move`` (-1 none, N*N pass); ``done``; ``winner`` (0 none/draw, 1 black,
      2 white); ``score`` black - white - komi once done; ``repeated`` (game ended
      on a repetition, only with ``repetition_ends_game``); ``resigned``;
      ``mask`` bool [B, N*N+1] legal moves of the player to move (+ pass, last).

    ``parallel=True`` runs the batched kernels with numba prange over boards; the
    default serial kernels are faster on a small or busy machine (on the shared
    2-core box parallel was several times slower), so measure before switching.
    """

    def __init__(self, num_boards: int = 1, board_size: int = 9, komi: float = 7.5,
                 ko_rule: str = "superko", max_moves: int | None = None, history: int = 4,
                 repetition_ends_game: bool = False, parallel: bool = False):
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
        self.parallel = bool(parallel)
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

    def _k(self, name):
        return _KERNELS[(name, self.parallel)]

    def _tables(self):
        return board_tables(self.board_size)

    def _alloc(self):
        b, nn = self.num_boards, self.num_points
        self.stones = np.zeros((b, nn), np.int8)
        self.prev = np.zeros((b, self.history - 1, nn), np.int8)
        self.to_play = np.ones(b, np.int8)
        self.passes = np.zeros(b, np.int32)
        self.move_count = np.zeros(b, np.int32)
        self.ko_point = -np.ones(b, np.int32)
        self.hashes = np.zeros(b, np.uint64)
        self.bloom = np.zeros((b, _BLOOM_WORDS), np.uint64)
        self.hist_hash = np.zeros((b, self.max_moves + 1), np.uint64)
        self.n_hash = np.zeros(b, np.int32)
        self.captures = np.zeros((b, 2), np.int32)
        self.last_move = -np.ones(b, np.int32)
        self.done = np.zeros(b, np.bool_)
        self.winner = np.zeros(b, np.int8)
        self.score = np.zeros(b, np.float64)
        self.repeated = np.zeros(b, np.bool_)
        self.resigned = np.zeros(b, np.bool_)
        self.mask = np.zeros((b, nn + 1), np.bool_)
        self._moved = np.zeros(b, np.bool_)

    def reset(self, indices=None) -> None:
        """Reset all boards, or only ``indices`` (int array, or bool mask [B])."""
        idx = self._indices(indices)
        if idx.size == 0:
            return
        self.stones[idx] = 0
        self.prev[idx] = 0
        self.to_play[idx] = BLACK
        self.passes[idx] = 0
        self.move_count[idx] = 0
        self.ko_point[idx] = -1
        self.hashes[idx] = 0
        self.bloom[idx] = 0
        self.hist_hash[idx] = 0
        self.hist_hash[idx, 0] = 0  # the empty board
        self.n_hash[idx] = 1
        self.bloom[idx, 0] |= np.uint64(1)  # bloom bit of hash 0
        self.captures[idx] = 0
        self.last_move[idx] = -1
        self.done[idx] = False
        self.winner[idx] = 0
        self.score[idx] = 0.0
        self.repeated[idx] = False
        self.resigned[idx] = False
        self.mask[idx] = False
        self.mask[idx, self.num_points] = True
        self.mask[idx, : self.num_points] = True  # empty board: every point legal

    def _indices(self, indices) -> np.ndarray:
        if indices is None:
            return np.arange(self.num_boards)
        a = np.asarray(indices)
        if a.dtype == np.bool_:
            return np.flatnonzero(a)
        return a.astype(np.int64).reshape(-1)

    # ----------------------------------------------------------------- stepping
    def step(self, actions) -> np.ndarray:
        """Play one action on every board (``actions`` int [B]).  Boards that are
        done are left alone.  Raises ``ValueError`` on an illegal action of a live
        board (nothing is played then).  Returns a bool [B] of boards that moved."""
        a = np.asarray(actions, dtype=np.int64).reshape(-1)
        if a.shape[0] != self.num_boards:
            raise ValueError(f"expected {self.num_boards} actions, got {a.shape[0]}")
        live = ~self.done
        bad = live & ((a < 0) | (a > self.num_points))
        if not bad.any():
            bad = live & ~self.mask[np.arange(self.num_boards), np.clip(a, 0, self.num_points)]
        if bad.any():
            b = int(np.flatnonzero(bad)[0])
            raise ValueError(f"illegal action {int(a[b])} on board {b} "
                             f"({action_to_gtp(int(a[b]), self.board_size) if 0 <= a[b] <= self.num_points else 'out of range'})")
        return self._step_unchecked(a)

    def _step_unchecked(self, a: np.ndarray) -> np.ndarray:
        nbr, cnt, zob = self._tables()
        self._k("_step_kernel")(a, self.stones, self.prev, self.to_play, self.passes, self.move_count,
                     self.ko_point, self.hashes, self.bloom, self.hist_hash, self.n_hash,
                     self.captures, self.last_move, self.done, self.winner, self.score,
                     self.repeated, self.mask, nbr, cnt, zob, self.komi, self.max_moves,
                     self.ko_rule == "superko", self.repetition_ends_game, self._moved,
                     _nchunks(self.num_boards, self.parallel), *padded_tables(self.board_size))
        return self._moved.copy()

    def play(self, board: int, action: int) -> None:
        """Play one action on one board (others untouched); ValueError if illegal."""
        if self.done[board]:
            raise ValueError(f"board {board}: game is over")
        if not (0 <= action <= self.num_points) or not self.mask[board, action]:
            raise ValueError(f"illegal move {action_to_gtp(action, self.board_size) if 0 <= action <= self.num_points else action}")
        a = np.full(self.num_boards, -1, np.int64)
        a[board] = action
        self._step_unchecked(a)

    def resign(self, indices=None) -> None:
        """The player to move resigns on the given boards (default all live ones)."""
        idx = self._indices(indices)
        idx = idx[~self.done[idx]]
        self.done[idx] = True
        self.resigned[idx] = True
        self.winner[idx] = 3 - self.to_play[idx]
        self.score[idx] = np.where(self.winner[idx] == BLACK, np.inf, -np.inf)
        self.mask[idx] = False

    def set_to_play(self, board: int, color: int) -> None:
        """Give the move to ``color`` on one board (GTP lets either colour play);
        the simple-ko point is cleared as it belonged to the other colour."""
        if self.to_play[board] != color:
            self.to_play[board] = color
            self.ko_point[board] = -1
            self.refresh_mask([board])

    def refresh_mask(self, indices=None) -> None:
        idx = self._indices(indices)
        self._k("_mask_kernel")(idx, self.stones, self.to_play, self.ko_point, self.hashes, self.bloom,
                     self.hist_hash, self.n_hash, self.done, *padded_tables(self.board_size),
                     self.ko_rule == "superko", self.mask)

    def random_actions(self, seed: int | None = None) -> np.ndarray:
        """Uniformly random legal action (pass included) per board, int64 [B]."""
        if seed is not None:
            _seed_numba(int(seed))
        out = np.empty(self.num_boards, np.int64)
        self._k("_random_actions_kernel")(self.mask, out)
        return out

    # ----------------------------------------------------------------- views
    def legal_mask(self) -> np.ndarray:
        """bool [B, N*N+1]: legal board points of the player to move, then pass.
        All False on finished boards.  (A view: copy before keeping it.)"""
        return self.mask

    def observations(self, out: np.ndarray | None = None, dtype=np.float32) -> np.ndarray:
        """Planes [B, 2H+1, N, N] (channel first): own stones and opponent stones
        ("own" = the player to move) for the current position and the H-1
        previous ones (newest first, empty boards before the game start), then
        a plane of ones when black is to move."""
        b, n = self.num_boards, self.board_size
        if out is None:
            out = np.empty((b, self.num_planes, n, n), dtype)
        self._k("_obs_kernel")(self.stones, self.prev, self.to_play, out.reshape(b, self.num_planes, n * n))
        return out

    def scores(self) -> np.ndarray:
        """Tromp-Taylor area score of every board now: black - white - komi."""
        nbr, cnt, _ = self._tables()
        out = np.empty(self.num_boards, np.float64)
        self._k("_score_kernel")(self.stones, nbr, cnt, self.komi, out)
        return out

    def outcome(self) -> np.ndarray:
        """int8 [B]: +1 black won, -1 white won, 0 draw or not finished."""
        w = self.winner.astype(np.int8)
        return np.where(self.done & (w == BLACK), 1, np.where(self.done & (w == WHITE), -1, 0)).astype(np.int8)

    def ownership(self, b: int = 0) -> np.ndarray:
        """int8 [N*N] who owns each point of board b under area scoring: +1 black, -1 white,
        0 neither (an empty region reaching both colours, or none). Its sum minus komi is
        :meth:`scores` (the identity the tests hold it to): the per-point target behind the
        score, known exactly once a game is over."""
        nbr, cnt, _ = self._tables()
        st = self.stones[b]
        own = np.where(st == BLACK, 1, np.where(st == WHITE, -1, 0)).astype(np.int8)
        seen = st != EMPTY
        for p in np.flatnonzero(~seen):
            if seen[p]:
                continue
            region, stack, colours = [], [int(p)], set()
            seen[p] = True
            while stack:
                q = stack.pop()
                region.append(q)
                for r in nbr[q, : cnt[q]]:
                    if st[r] != EMPTY:
                        colours.add(int(st[r]))
                    elif not seen[r]:
                        seen[r] = True
                        stack.append(int(r))
            if len(colours) == 1:
                own[region] = 1 if colours == {BLACK} else -1
        return own

    def board(self, b: int = 0) -> np.ndarray:
        """int8 [N, N] stones of board b (row 0 = top)."""
        return self.stones[b].reshape(self.board_size, self.board_size)

    def legal_actions(self, b: int = 0) -> list[int]:
        return np.flatnonzero(self.mask[b]).tolist()

    # ----------------------------------------------------------------- copy / pickle
    def clone(self) -> GoEngine:
        new = object.__new__(GoEngine)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if not isinstance(v, np.ndarray)})
        for k, v in self.__dict__.items():
            if isinstance(v, np.ndarray):
                new.__dict__[k] = v.copy()
        return new

    copy = clone

    def select(self, indices) -> GoEngine:
        """A new engine holding copies of the given boards."""
        idx = self._indices(indices)
        new = object.__new__(GoEngine)
        new.__dict__.update({k: v for k, v in self.__dict__.items() if not isinstance(v, np.ndarray)})
        for k, v in self.__dict__.items():
            if isinstance(v, np.ndarray):
                new.__dict__[k] = v[idx].copy()
        new.num_boards = int(idx.size)
        return new

    def load_board(self, b: int, stones, to_play: int = BLACK) -> None:
        """Set board b to an arbitrary position (int [N,N] or [N*N], 0/1/2), as a
        fresh game starting there (history = that position only)."""
        s = np.asarray(stones, np.int8).reshape(-1)
        if s.size != self.num_points or s.min() < 0 or s.max() > 2:
            raise ValueError("bad position")
        self.reset([b])
        self.stones[b] = s
        _, _, zob = self._tables()
        h = np.bitwise_xor.reduce(zob[np.arange(self.num_points), s.astype(np.int64)])
        self.hashes[b] = h
        self.hist_hash[b, 0] = h
        self.bloom[b] = 0
        bit = int(h) >> 52
        self.bloom[b, bit >> 6] |= np.uint64(1 << (bit & 63))
        self.to_play[b] = to_play
        self.refresh_mask([b])


# --------------------------------------------------------------------------- coordinates
def action_to_gtp(action: int, n: int) -> str:
    """Action -> GTP vertex ("A1" bottom left, "pass")."""
    if action == n * n:
        return "pass"
    r, c = divmod(int(action), n)
    return f"{COLUMNS[c]}{n - r}"


def gtp_to_action(vertex: str, n: int) -> int:
    """GTP vertex (case-insensitive, "pass") -> action; ValueError if malformed/off board."""
    v = vertex.strip().upper()
    if v == "PASS":
        return n * n
    if len(v) < 2 or v[0] not in COLUMNS[:n] or not v[1:].isdigit():
        raise ValueError(f"invalid vertex {vertex!r}")
    c = COLUMNS.index(v[0])
    row = int(v[1:])
    if not 1 <= row <= n:
        raise ValueError(f"invalid vertex {vertex!r}")
    return (n - row) * n + c
