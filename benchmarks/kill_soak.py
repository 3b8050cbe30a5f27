"""Kill soak (issue #9): how many kills and stop signals does a training run survive?

    python benchmarks/kill_soak.py                          # cartpole, 8 trials, seed 0
    python benchmarks/kill_soak.py --env go --trials 4      # tiny 5x5 Go self-play config
    python benchmarks/kill_soak.py --trials 20 --seed 3 --budget 16384 --signals 5

First an uninterrupted reference run (fixed seed, budget B, a checkpoint every update, no
TensorBoard). Then each trial starts the same run in a fresh dir and, at random moments (seeded
delays from the process start, anywhere from Python's start-up to the last update), sends it a
random signal: SIGKILL, SIGTERM, SIGINT or SIGHUP, and sometimes a second one right after the
first (the "second signal aborts" path). Then it continues the run (``agentctl train --resume
DIR``; a fresh start with ``--overwrite`` when no checkpoint was written yet), signals it again,
and so on ``--signals`` times, then lets it run to the end.

What must hold (any miss is a failure, with its reason):
  * the exit status matches a signal sent: 128 + N for a stop or an abort by signal N (143
    SIGTERM, 130 SIGINT, 129 SIGHUP) with its line on stderr (``interrupted at step ...``,
    ``stopped during start-up``, ``aborted``); -9 for SIGKILL. Also accepted: -N, signal N's
    default action (a shell shows 128 + N too), but only outside agentctl's handlers: before the
    run started (Python and the CLI starting) or once it had printed its last line; and 0 only
    when the loop was already over as the signal was sent (Python's last moments ignore SIGINT);
  * no output ever holds a Traceback, except a KeyboardInterrupt from Python's own start-up,
    before any agentctl code could catch it (no frame of the CLI's ``main`` in it);
  * "nothing was trained" is only said when no checkpoint was written; a stop in the loop
    checkpoints the update it finished (its step is the last metrics line);
  * after every signal each file in ``checkpoints/`` and ``snapshots/`` loads
    (``agentctl.checkpoint.load``); every restart resumes (no error) and none hangs;
  * after the final run: no ``.tmp-*`` (or ``metrics.tmp``) file is left, ``metrics.jsonl`` holds
    updates 1..N once each and in order, equal to the reference's lines but for timings, and the
    final weights are ``torch.equal`` to the reference's on every tensor.

A signal "survived" when its trial passed all of that. Output: one line per trial (each signal
with when it was sent, where it landed and the exit status), then totals (signals sent and
survived, per signal; where they landed; failures with reasons) and one JSON line.

Measured on the 2-core dev VM (shared with other jobs), after the fixes it led to:
    cartpole --trials 12 --seed 5 (budget 8192): survived 51/51 signals (SIGHUP 12/12, SIGINT
      13/13, SIGKILL 17/17, SIGTERM 9/9; 8 double), 207 s; 2 temp files of cut saves seen
    go --trials 8 --seed 4 (budget 4096): survived 39/39 (SIGHUP 10/10, SIGINT 9/9, SIGKILL 7/7,
      SIGTERM 13/13; 8 double), 182 s
Before them, start-up signals could be lost (the run trained to the end: one seen in ~50) or
print an "Exception ignored" traceback (one seen in ~30 Go signals); tests/test_kill_soak.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

GRACEFUL = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
ALL = (signal.SIGKILL, *GRACEFUL)
# What the CLI prints when a signal ends it early (the last non-empty stderr line starts so).
STOP_MESSAGES = ("interrupted at step", "resume with: agentctl train --resume", "stopped during start-up",
                 "aborted")
TIMING_KEYS = ("rollout_s", "update_s", "steps_per_s", "wall_s")
ENVS = {
    "cartpole": {"budget": 8192, "sets": ()},
    # one 8x32 rollout per update, a snapshot every update: a few seconds of 5x5 self-play
    "go": {"budget": 4096, "sets": ("num_envs=8", "num_steps=32", "minibatch_size=128",
                                    "env_kwargs.board_size=5", "snapshot_every=1")},
}
HANG_S = 120.0  # a stopped run finishes one update and saves: far less than this


def sig_name(sig: int) -> str:
    return signal.Signals(sig).name


# -- running the CLI ------------------------------------------------------------------------------
def cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "agentctl.cli", *map(str, args)]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCTL_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def train_args(env: str, seed: int, budget: int) -> list[str]:
    sets = ["checkpoint_every=1", "tensorboard=false", *ENVS[env]["sets"]]
    return ["train", "--env", env, "--seed", str(seed), "--steps", str(budget),
            *[a for s in sets for a in ("--set", s)]]


@dataclass
class Phase:
    """One start of the run (fresh or resumed) and what ended it."""

    signals: list[int]  # signals actually sent, in order
    at: float  # seconds after the start the first one was sent
    rc: int | None  # None: it hung
    stderr: str
    seen: str = ""  # stderr as it was when the first signal was sent
    step_before: int = 0  # the run's latest checkpoint before and after this start
    step_after: int = 0

    @property
    def label(self) -> str:
        return ">".join(sig_name(s) for s in self.signals) or "none"

    def outcome(self) -> tuple[str, str | None]:
        """Where the signal met the run, and what is wrong with how the run ended (None: nothing)."""
        err, rc, sent = self.stderr, self.rc, self.signals
        if rc is None:
            return "hang", f"hang: no exit {HANG_S:.0f}s after {self.label}"
        if "Traceback" in err:
            if signal.SIGINT in sent and interpreter_start_up(err):
                return "python start-up", None
            return "traceback", f"traceback after {self.label}: {_tail(err)}"
        if rc == 0:  # fine if the loop was over (Python's last moments ignore a SIGINT), else it was lost
            if "elapsed" in self.seen:
                return "finished", None
            return "ignored", f"exit 0: {self.label} at {self.at:.1f}s, before the run finished, was ignored"
        if rc == -signal.SIGKILL and signal.SIGKILL in sent:
            return "killed", None
        if rc < 0 and -rc in sent:
            # The signal's default action (a shell shows 128 + N): before agentctl's handlers
            # are in place (Python and the CLI starting) or after the command is done with them.
            if any(m in err for m in ("elapsed", *STOP_MESSAGES)):
                return "default action at exit", None
            if "agentctl: step" not in err and self.step_after == self.step_before:
                return "default action before start", None
            return f"died of {sig_name(-rc)}", f"died of {sig_name(-rc)} mid-run after {self.label}: {_tail(err)}"
        if rc - 128 not in sent:
            return f"exit {rc}", f"exit {rc} after {self.label}: {_tail(err)}"
        lines = [line for line in err.splitlines() if line.strip()]
        if not lines or not lines[-1].startswith(STOP_MESSAGES):
            return "no message", f"no stop message after {self.label}: {_tail(err)}"
        if "nothing was trained" in err and self.step_after > self.step_before:
            return "false start-up stop", (f"says nothing was trained, but checkpointed step {self.step_after:,} "
                                           f"(from {self.step_before:,}) after {self.label}")
        if "interrupted at step" in err:
            return "stopped in loop", None
        if "stopped during start-up" in err:
            return "stopped in start-up", None
        return ("aborted in loop" if "aborted;" in err else "aborted"), None


def interpreter_start_up(stderr: str) -> bool:
    """A KeyboardInterrupt traceback from before any agentctl code could catch it: Python's own
    start-up and the imports of ``agentctl.cli`` (no frame of the CLI's ``main`` yet)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return bool(lines) and lines[-1] == "KeyboardInterrupt" and not re.search(r'cli\.py", line \d+, in main', stderr)


def run_phase(cmd: list[str], log: Path, delay: float | None, signals: list[int], gap: float,
              timeout: float, in_loop: bool = False) -> Phase:
    """Start ``cmd``; ``delay`` s after the start (``in_loop``: after its first update) send
    ``signals`` (``gap`` s apart); wait for it. ``delay`` None: send nothing, let it finish."""
    with open(log, "w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=clean_env(), cwd=log.parent)
        sent: list[int] = []
        at, seen = 0.0, ""
        if delay is not None:
            while (in_loop and proc.poll() is None and "agentctl: step" not in log.read_text()
                   and time.monotonic() - start < timeout):
                time.sleep(0.01)  # until the first progress line: the loop runs
            try:
                proc.wait(timeout=delay)  # it may finish first
            except subprocess.TimeoutExpired:
                at = time.monotonic() - start
                seen = log.read_text()
                for i, sig in enumerate(signals):
                    if i:
                        time.sleep(gap)
                    if proc.poll() is not None:
                        break
                    proc.send_signal(sig)
                    sent.append(sig)
        try:
            rc: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        err.seek(0)
        return Phase(sent, at, rc, err.read(), seen)


# -- checks ---------------------------------------------------------------------------------------
def _tail(text: str, n: int = 300) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-3:])[-n:] or "(nothing on stderr)"


def checkpoint_problems(run_dir: Path) -> list[str]:
    """Every checkpoint and snapshot file loads (temp files of a killed save are not files of
    the run; they must only be gone after the next start)."""
    from agentctl import checkpoint
    from agentctl.errors import UserError

    problems = []
    for folder in ("checkpoints", "snapshots"):
        for path in sorted((run_dir / folder).glob("step_*.pt")):
            try:
                checkpoint.load(path)
            except UserError as exc:
                problems.append(f"checkpoint does not load: {exc}")
    return problems


def stop_step_problems(phase: Phase, run_dir: Path) -> list[str]:
    """A stop in the loop finished its update and checkpointed it: that step is the run's last."""
    if "checkpoint saved:" not in phase.stderr:
        return []
    saved = Path(phase.stderr.split("checkpoint saved:")[1].split()[0])
    rows = metrics(run_dir)
    step = int(saved.stem.split("_")[1])
    if not rows or rows[-1].get("global_step") != step:
        return [f"stopped at step {step} but the last metrics line is {rows[-1] if rows else None}"]
    return []


def metrics(run_dir: Path) -> list[dict]:
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            rows.append({"unreadable": line[:80]})
    return rows


def final_problems(run_dir: Path, ref_dir: Path) -> list[str]:
    """After the last run finished: no temp file, continuous metrics equal to the reference's,
    and the final weights equal to the reference's."""
    import torch
    from agentctl import checkpoint
    from agentctl.errors import UserError

    problems = [f"temp file left: {p.relative_to(run_dir)}" for p in sorted(run_dir.rglob(".tmp-*"))]
    if (run_dir / "metrics.tmp").exists():
        problems.append("temp file left: metrics.tmp")
    rows, ref_rows = metrics(run_dir), metrics(ref_dir)
    updates = [r.get("update") for r in rows]
    if updates != list(range(1, len(rows) + 1)):
        dup = sorted(u for u, n in Counter(updates).items() if n > 1)
        problems.append(f"metrics updates not 1..{len(rows)} once each (duplicates {dup[:5]}, "
                        f"first lines {updates[:3]}...)")
    elif len(rows) != len(ref_rows):
        problems.append(f"{len(rows)} metrics lines, the reference has {len(ref_rows)}")
    else:
        for row, ref in zip(rows, ref_rows, strict=True):
            differ = [k for k in ref if k not in TIMING_KEYS and row.get(k) != ref[k]]
            if differ:
                problems.append(f"metrics of update {row['update']} differ from the reference in {differ[:4]}")
                break
    try:
        final, ref = checkpoint.load(run_dir), checkpoint.load(ref_dir)
    except UserError as exc:
        return [*problems, f"final checkpoint: {exc}"]
    if final["trainer"]["global_step"] != ref["trainer"]["global_step"]:
        problems.append(f"final step {final['trainer']['global_step']}, reference {ref['trainer']['global_step']}")
    model, ref_model = final["trainer"]["model"], ref["trainer"]["model"]
    differ = [k for k in ref_model if k not in model or not torch.equal(model[k], ref_model[k])]
    if differ or model.keys() != ref_model.keys():
        problems.append(f"final weights differ from the reference: {differ[:4] or sorted(model.keys() ^ ref_model.keys())}")
    return problems


# -- the soak -------------------------------------------------------------------------------------
@dataclass
class Trial:
    index: int
    phases: list[Phase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    temp_files: int = 0  # left by kills in the middle of a save (the next start removes them)

    @property
    def signals(self) -> list[int]:
        return [s for p in self.phases for s in p.signals]

    def line(self) -> str:
        events = " ".join(f"{p.label}@{p.at:.1f}s({p.outcome()[0]},{p.rc})" for p in self.phases if p.signals)
        verdict = "ok" if not self.problems else "FAIL: " + "; ".join(self.problems)
        return f"trial {self.index:3d}: {len(self.signals)} signals  {events or '-'}  -> {verdict}"


@dataclass
class Reference:
    run_dir: Path
    startup_s: float  # process start to the first update, roughly
    train_s: float  # the loop's time for the whole budget


def reference(env: str, seed: int, budget: int, work: Path) -> Reference:
    run_dir = work / "reference"
    log = work / "reference.err"
    cmd = cli(*train_args(env, seed, budget), "--run-dir", run_dir, "--json")
    start = time.monotonic()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, env=clean_env(), cwd=work, timeout=1800)
    wall = time.monotonic() - start
    log.write_text(out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"reference run failed ({out.returncode}): {_tail(out.stderr)}")
    train_s = json.loads(out.stdout.splitlines()[-1])["wall_s"]
    return Reference(run_dir, max(0.5, wall - train_s), train_s)


def latest_step(run_dir: Path) -> int:
    found = sorted((run_dir / "checkpoints").glob("step_*.pt"))
    return int(found[-1].stem.split("_")[1]) if found else 0


def trial(index: int, env: str, seed: int, budget: int, signals: int, ref: Reference, work: Path,
          rng: random.Random) -> Trial:
    result = Trial(index)
    run_dir = work / f"trial{index:03d}"
    fresh = [*train_args(env, seed, budget), "--run-dir", run_dir]
    left = signals
    for n in range(signals + 50):  # the cap only guards against a loop that makes no progress
        before = latest_step(run_dir)
        if before >= budget:  # done, though a signal ended the process after its last checkpoint
            break
        if before > 0:
            cmd = cli("train", "--resume", run_dir)
        else:  # killed before its first checkpoint: start again (a user would do the same)
            cmd = cli(*fresh, *(["--overwrite"] if run_dir.exists() else []))
        log = work / f"trial{index:03d}.{n}.err"
        if left == 0:
            phase = run_phase(cmd, log, None, [], 0.0, timeout=HANG_S + 10 * ref.train_s)
        else:
            # half the signals anywhere from Python's start to the end, half while it trains
            train_left = ref.train_s * (1.0 - before / budget)
            in_loop = rng.random() < 0.5
            delay = rng.uniform(0.0, 0.9 * train_left) if in_loop else rng.uniform(0.05, ref.startup_s + train_left)
            sigs = [rng.choice(ALL)]
            if rng.random() < 0.3:
                sigs.append(rng.choice(ALL))
            phase = run_phase(cmd, log, delay, sigs, rng.uniform(0.002, 0.4), timeout=HANG_S, in_loop=in_loop)
        phase.step_before, phase.step_after = before, latest_step(run_dir)
        result.temp_files += len(list(run_dir.rglob(".tmp-*"))) + (run_dir / "metrics.tmp").exists()
        result.phases.append(phase)
        if phase.signals:
            left -= 1
            problem = phase.outcome()[1]
            result.problems += [problem] if problem else []
            result.problems += checkpoint_problems(run_dir)
            result.problems += stop_step_problems(phase, run_dir)
        elif phase.rc != 0:
            result.problems.append(f"exit {phase.rc} with no signal sent: {_tail(phase.stderr)}")
        elif "Traceback" in phase.stderr:
            result.problems.append(f"traceback in a finished run: {_tail(phase.stderr)}")
        if result.problems:
            return result
        if phase.rc == 0:
            break
    else:
        result.problems.append("no progress: the run never finished")
        return result
    result.problems += final_problems(run_dir, ref.run_dir)
    return result


def soak(env: str, trials: int, seed: int, budget: int, signals: int, work: Path,
         out=sys.stdout) -> dict:
    """Run the soak; returns the totals (also printed)."""
    t0 = time.monotonic()
    ref = reference(env, seed, budget, work)
    print(f"reference: {env}, seed {seed}, budget {budget:,}: start-up ~{ref.startup_s:.1f}s, "
          f"training {ref.train_s:.1f}s", file=out, flush=True)
    done: list[Trial] = []
    for i in range(trials):
        result = trial(i, env, seed, budget, signals, ref, work, random.Random(f"kill-soak-{seed}-{i}"))
        done.append(result)
        print(result.line(), file=out, flush=True)
    sent, survived = Counter(), Counter()
    landed: Counter = Counter()
    for t in done:
        for s in t.signals:
            sent[sig_name(s)] += 1
            survived[sig_name(s)] += not t.problems
        for p in t.phases:
            if p.signals:
                landed[p.outcome()[0]] += 1
    doubles = [p for t in done for p in t.phases if len(p.signals) > 1]
    totals = {
        "bench": "kill_soak", "env": env, "seed": seed, "budget": budget, "trials": trials,
        "signals_sent": sum(sent.values()), "signals_survived": sum(survived.values()),
        "per_signal": {k: {"sent": sent[k], "survived": survived[k]} for k in sorted(sent)},
        "double_signals": len(doubles), "landed": dict(sorted(landed.items())),
        "temp_files_left_by_kills": sum(t.temp_files for t in done),
        "failures": [f"trial {t.index}: {p}" for t in done for p in t.problems],
        "wall_s": round(time.monotonic() - t0, 1),
    }
    per = ", ".join(f"{k} {survived[k]}/{sent[k]}" for k in sorted(sent))
    print(f"{env}: survived {totals['signals_survived']}/{totals['signals_sent']} signals ({per}; "
          f"{len(doubles)} double signals) in {totals['wall_s']:.0f}s", file=out)
    print(f"where they landed: {', '.join(f'{k} {v}' for k, v in totals['landed'].items())}; "
          f"temp files of a cut save seen {totals['temp_files_left_by_kills']} (the next start removes them)",
          file=out)
    for failure in totals["failures"]:
        print(f"FAILURE {failure}", file=out)
    print(json.dumps(totals), file=out, flush=True)
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--env", choices=sorted(ENVS), default="cartpole")
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0, help="the runs' seed and the soak's random delays and signals")
    ap.add_argument("--budget", type=int, help="steps per run (default: cartpole 8192, go 4096)")
    ap.add_argument("--signals", type=int, default=4, help="signals per trial (each followed by a resume)")
    ap.add_argument("--work", type=Path, help="keep the runs and logs here (default: a temp dir, "
                    "removed unless something failed)")
    args = ap.parse_args(argv)
    budget = args.budget or ENVS[args.env]["budget"]
    work = args.work or Path(tempfile.mkdtemp(prefix=f"kill-soak-{args.env}-"))
    work.mkdir(parents=True, exist_ok=True)
    totals = soak(args.env, args.trials, args.seed, budget, args.signals, work.resolve())
    if totals["failures"]:
        print(f"runs and logs kept in {work}", file=sys.stderr)
    elif args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if totals["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
