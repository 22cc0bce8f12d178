#!/usr/bin/env python3
"""Mutation testing with a hand-curated list of realistic one-line bugs (issue #28). Not run in CI.

Each mutant in scripts/mutations.toml names a file, an exact snippet that occurs once in it, its
replacement and what bug it stands for. Every mutant is applied, one at a time, to a *copy* of the
working tree (one copy per worker, under a temporary folder; the working tree itself is never
written), then the covering tests of its module run with ``-x -q -p no:cacheprovider``. A failing or
timed-out test run kills the mutant; a passing one lets it survive. Mutants marked ``equivalent``
(no observable change) are listed, never run.

    .venv/bin/python scripts/mutate.py                    # every module, one worker per core
    .venv/bin/python scripts/mutate.py --module sla --module stats --jobs 2
    .venv/bin/python scripts/mutate.py --list             # the mutants, without running anything
    .venv/bin/python scripts/mutate.py --id sla-03        # one mutant (repeatable)

PostgreSQL is used when CRHQ_TEST_PG_URL is set (each service test then runs on both backends, about
twice as slow); ``--sqlite-only`` drops it. The report goes to test-artifacts/mutation-report.md
(gitignored) and to stdout. Docs: docs/MUTATION.md.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "scripts" / "mutations.toml"
REPORT = ROOT / "test-artifacts" / "mutation-report.md"
IGNORED = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache",
                                 "test-artifacts", "*.db", "*.db-*", "analytics", "*.pyc")


@dataclass
class Mutant:
    id: str
    module: str
    file: str
    find: str
    replace: str
    why: str
    issue: bool = False          # one of issue #28's "Survived" list
    equivalent: str | None = None  # why no test can see it
    tests: list[str] | None = None  # overrides the module's tests
    # filled in by the run
    status: str = "not run"      # killed | survived | timeout | error | equivalent
    seconds: float = 0.0
    killed_by: str = ""
    detail: str = ""


@dataclass
class Module:
    name: str
    title: str
    tests: list[str]
    mirror_tests: list[str] = field(default_factory=list)  # run again with CRHQ_ANALYTICS=on
    mutants: list[Mutant] = field(default_factory=list)

    def runs(self, tests: list[str] | None = None, root: Path = ROOT) -> list[tuple[list[str], dict[str, str]]]:
        """(test files, extra environment) of each pytest run a mutant of this module gets, the test
        files as they are in the tree at `root` (a worker's copy)."""
        out = [(test_files(tests or self.tests, root), {})]
        if self.mirror_tests and not tests:
            out.append((test_files(self.mirror_tests, root), {"CRHQ_ANALYTICS": "on"}))
        return [(files, env) for files, env in out if files]


def load(path: Path = DATA) -> dict[str, Module]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    modules = {name: Module(name, spec.get("title", name), list(spec["tests"]), list(spec.get("mirror_tests", [])))
               for name, spec in data["modules"].items()}
    seen = set()
    for entry in data["mutant"]:
        mutant = Mutant(**entry)
        if mutant.id in seen:
            raise SystemExit(f"duplicate mutant id {mutant.id}")
        seen.add(mutant.id)
        if mutant.module not in modules:
            raise SystemExit(f"{mutant.id}: unknown module {mutant.module!r}")
        modules[mutant.module].mutants.append(mutant)
    return modules


def check_snippets(mutants: list[Mutant]) -> list[str]:
    """Every snippet must occur exactly once in its file (so the list goes stale loudly, not silently)."""
    problems = []
    for m in mutants:
        source = (ROOT / m.file).read_text(encoding="utf-8")
        count = source.count(m.find)
        if count != 1:
            problems.append(f"{m.id}: snippet found {count} times in {m.file}: {m.find!r}")
        elif m.find == m.replace:
            problems.append(f"{m.id}: replacement equals the original")
        else:
            try:
                compile(source.replace(m.find, m.replace), m.file, "exec")
            except SyntaxError as exc:
                problems.append(f"{m.id}: the mutated file does not compile: {exc}")
    return problems


EXCLUDED: list[str] = []  # --exclude-tests: globs left out of every module (e.g. a run "before" new tests)


def test_files(patterns: list[str], root: Path = ROOT) -> list[str]:
    """The module's test files (globs relative to the repository), those that exist; a pattern
    starting with "!" leaves out the files it matches (slow or non-deterministic ones)."""
    out: list[str] = []
    negative = [p[1:] for p in patterns if p.startswith("!")] + EXCLUDED
    left_out = {p for pattern in negative for p in glob.glob(pattern, root_dir=root)}
    for pattern in patterns:
        for path in sorted(glob.glob(pattern, root_dir=root)) if not pattern.startswith("!") else ():
            if path not in out and path not in left_out:
                out.append(path)
    return out


def make_copy(parent: Path, n: int) -> Path:
    """A copy of the working tree (uncommitted changes included) with the shared venv linked in."""
    target = parent / f"worker-{n}"
    shutil.copytree(ROOT, target, ignore=IGNORED, symlinks=True)
    venv = ROOT / ".venv"
    (target / ".venv").symlink_to(venv.resolve() if venv.is_symlink() else venv)
    return target


def _env(sqlite_only: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a stale .pyc of the same size and second must never be used
    env.pop("CI", None)  # conftest fails instead of skipping PostgreSQL under CI
    env.pop("PYTHONPATH", None)
    if sqlite_only:
        env.pop("CRHQ_TEST_PG_URL", None)
    return env


_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)", re.M)


def run_tests(copy: Path, files: list[str], timeout: float, env: dict[str, str]) -> tuple[str, float, str, str]:
    """(killed | survived | timeout, seconds, first failing test, last lines of output)."""
    cmd = [str(copy / ".venv" / "bin" / "python"), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-o", "addopts=-ra", *files]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "timeout", time.monotonic() - started, "", f"no result within {timeout:.0f} s"
    seconds = time.monotonic() - started
    tail = "\n".join(out.strip().splitlines()[-3:])
    if proc.returncode == 0:
        return "survived", seconds, "", tail
    if proc.returncode == 5:  # no tests collected: the module's list is wrong, not the mutant killed
        return "error", seconds, "", "no tests collected"
    found = _FAILED.search(out)
    return "killed", seconds, found.group(2) if found else f"exit {proc.returncode}", tail


def run_all(copy: Path, runs: list[tuple[list[str], dict[str, str]]], timeout: float,
            env: dict[str, str]) -> tuple[str, float, str, str]:
    """`run_tests` for each run in turn; the first that does not pass decides."""
    if not runs:
        return "error", 0.0, "", "no test files"
    total, last = 0.0, ("survived", 0.0, "", "")
    for files, extra in runs:
        last = run_tests(copy, files, max(1.0, timeout - total), env | extra)
        total += last[1]
        if last[0] != "survived":
            tag = "mirror: " if extra else ""
            return last[0], total, tag + last[2], last[3]
    return "survived", total, "", last[3]


def apply(copy: Path, mutant: Mutant) -> str:
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace(mutant.find, mutant.replace, 1), encoding="utf-8")
    return original


def baseline(modules: list[Module], copies: Queue[Path], jobs: int, timeout: float, env: dict[str, str]) -> list[str]:
    """Each module's tests must pass on the unmutated copy, or its mutants would all look killed.
    The modules run side by side, one per worker copy."""
    def one(module: Module) -> str | None:
        copy = copies.get()
        try:
            runs = module.runs(root=copy)
            status, seconds, failed, tail = run_all(copy, runs, timeout, env)
        finally:
            copies.put(copy)
        print(f"  baseline {module.name}: {sum(len(f) for f, _ in runs)} test files, {seconds:.0f} s, "
              f"{'ok' if status == 'survived' else status + ' ' + failed}", flush=True)
        if status != "survived":
            return f"{module.name}: the unmutated tests do not pass ({status} {failed})\n{tail}"
        return None
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return [p for p in pool.map(one, modules) if p]


def run(modules: list[Module], selected: list[Mutant], jobs: int, timeout: float, sqlite_only: bool,
        check_baseline: bool) -> float:
    env = _env(sqlite_only)
    started = time.monotonic()
    parent = Path(tempfile.mkdtemp(prefix="crhq-mutate-"))
    try:
        copies: Queue[Path] = Queue()
        for n in range(jobs):
            copies.put(make_copy(parent, n))
        if check_baseline:
            problems = baseline([m for m in modules if any(x.module == m.name for x in selected)], copies, jobs,
                                timeout * 3, env)
            if problems:
                raise SystemExit("baseline failed:\n" + "\n".join(problems))
        by_name = {m.name: m for m in modules}

        def one(mutant: Mutant) -> Mutant:
            copy = copies.get()
            try:
                original = apply(copy, mutant)
                try:
                    mutant.status, mutant.seconds, mutant.killed_by, mutant.detail = run_all(
                        copy, by_name[mutant.module].runs(mutant.tests, copy), timeout, env)
                finally:
                    (copy / mutant.file).write_text(original, encoding="utf-8")
            finally:
                copies.put(copy)
            return mutant

        todo = [m for m in selected if not m.equivalent]
        for m in selected:
            if m.equivalent:
                m.status = "equivalent"
        # Slowest modules first, so the pool does not end on one long straggler.
        order = {m.name: sum(len(f) for f, _ in m.runs()) for m in modules}
        todo.sort(key=lambda m: -order[m.module])
        done = 0
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            pending: set[Future] = {pool.submit(one, m) for m in todo}
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        m = fut.result()
                        done += 1
                        mark = {"killed": "killed  ", "timeout": "killed/t", "survived": "SURVIVED"}.get(m.status, m.status)
                        print(f"  [{done:3d}/{len(todo)}] {mark} {m.id:<14} {m.seconds:5.1f} s  {m.why}"
                              + (f"  <- {m.killed_by}" if m.killed_by else ""), flush=True)
            except KeyboardInterrupt:
                print("\ninterrupted: stopping the workers (the working tree was never touched)", flush=True)
                for fut in pending:
                    fut.cancel()
                _kill_children()
                raise
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    return time.monotonic() - started


def _kill_children() -> None:
    """The pytest process groups this run started (each worker's run is its own session)."""
    try:
        out = subprocess.run(["ps", "-o", "pid=,pgid=,ppid=", "--ppid", str(os.getpid())], capture_output=True,
                             text=True).stdout
    except OSError:
        return
    for line in out.split("\n"):
        parts = line.split()
        if len(parts) == 3:
            try:
                os.killpg(int(parts[1]), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def report(modules: list[Module], selected: list[Mutant], seconds: float | None, jobs: int,
           sqlite_only: bool) -> str:
    chosen = {m.id for m in selected}
    lines = ["# Mutation report", ""]
    if seconds is not None:
        pg = "SQLite only" if sqlite_only or not os.environ.get("CRHQ_TEST_PG_URL") else "SQLite and PostgreSQL"
        lines += [f"Run of {time.strftime('%Y-%m-%d %H:%M')}: {len(selected)} mutants, {jobs} workers, {pg}, "
                  f"{seconds / 60:.1f} min.", ""]
    lines += ["| module | mutants | killed | survived | equivalent | kill rate |",
              "|---|---:|---:|---:|---:|---:|"]
    totals = [0, 0, 0, 0]
    for module in modules:
        mine = [m for m in module.mutants if m.id in chosen]
        if not mine:
            continue
        killed = sum(m.status in ("killed", "timeout") for m in mine)
        survived = sum(m.status == "survived" for m in mine)
        equivalent = sum(m.status == "equivalent" for m in mine)
        counted = killed + survived
        rate = f"{100 * killed / counted:.0f}%" if counted else "–"
        lines.append(f"| {module.name} | {counted} | {killed} | {survived} | {equivalent} | {rate} |")
        for i, v in enumerate((counted, killed, survived, equivalent)):
            totals[i] += v
    rate = f"{100 * totals[1] / totals[0]:.0f}%" if totals[0] else "–"
    lines += [f"| **all** | {totals[0]} | {totals[1]} | {totals[2]} | {totals[3]} | {rate} |", ""]
    survivors = [m for m in selected if m.status == "survived"]
    lines += ["## Survivors", ""]
    lines += [f"- `{m.id}` ({m.file}){' [issue #28]' if m.issue else ''}: {m.why}" for m in survivors] or ["none"]
    errors = [m for m in selected if m.status in ("error", "not run")]
    if errors:
        lines += ["", "## Not run or errors", ""]
        lines += [f"- `{m.id}`: {m.status} {m.detail}" for m in errors]
    lines += ["", "## Equivalent (not run)", ""]
    lines += [f"- `{m.id}` ({m.file}): {m.why} — {m.equivalent}" for m in selected if m.equivalent] or ["none"]
    lines += ["", "## Every mutant", "", "| id | result | s | killed by | mutation |", "|---|---|---:|---|---|"]
    for m in selected:
        lines.append(f"| {m.id} | {m.status} | {m.seconds:.0f} | {m.killed_by.replace('|', '/')} | "
                     f"{m.why}{' (issue #28)' if m.issue else ''} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--id", action="append", help="only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers (default: cores)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant (default 300)")
    parser.add_argument("--list", action="store_true", help="list the mutants and their tests, run nothing")
    parser.add_argument("--sqlite-only", action="store_true", help="ignore CRHQ_TEST_PG_URL")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of each module")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--exclude-tests", action="append", default=[], metavar="GLOB",
                        help="leave these test files out (e.g. 'tests/*/test_mut_*.py' for a run before them)")
    parser.add_argument("--only-tests", action="append", metavar="GLOB",
                        help="run these test files for every mutant instead of its module's (does my new test kill it?)")
    parser.add_argument("--report", type=Path, default=REPORT, help=f"report file (default {REPORT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    EXCLUDED.extend(args.exclude_tests)
    # A SIGTERM (a CI timeout, `kill`) cleans up like Ctrl-C: the copies are removed, the pytest runs stopped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    modules = load()
    if args.module:
        unknown = set(args.module) - set(modules)
        if unknown:
            parser.error(f"unknown module(s) {', '.join(sorted(unknown))}; known: {', '.join(modules)}")
    all_mutants = [m for mod in modules.values() for m in mod.mutants]
    selected = [m for m in all_mutants if (not args.module or m.module in args.module)
                and (not args.id or m.id in args.id)]
    for m in selected if args.only_tests else ():
        m.tests = list(args.only_tests)
    problems = check_snippets(selected)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    if args.list:
        for module in modules.values():
            mine = [m for m in module.mutants if m in selected]
            if not mine:
                continue
            print(f"{module.name}: {module.title}")
            for files, extra in module.runs():
                print(f"  tests{' (CRHQ_ANALYTICS=on)' if extra else ''}: {' '.join(files)}")
            for m in mine:
                flag = "E" if m.equivalent else ("I" if m.issue else " ")
                print(f"  {flag} {m.id:<14} {m.file}: {m.why}")
        print(f"{len(selected)} mutants (I: from issue #28, E: judged equivalent, not run)")
        return 0

    print(f"{len(selected)} mutants, {args.jobs} workers, timeout {args.timeout:.0f} s", flush=True)
    try:
        seconds = run(list(modules.values()), selected, max(1, args.jobs), args.timeout, args.sqlite_only,
                      not args.no_baseline)
    except KeyboardInterrupt:
        return 130
    text = report(list(modules.values()), selected, seconds, args.jobs, args.sqlite_only)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps([m.__dict__ for m in selected], indent=1, default=str), encoding="utf-8")
    print("\n" + text)
    print(f"written to {args.report}")
    return 0 if not any(m.status == "survived" for m in selected) else 1


if __name__ == "__main__":
    sys.exit(main())
