"""`bouncewatch parse` through the command line: start-up, and the per-file cost over
thousands of files against the same work in one process.

    python benchmarks/cli.py [--corpus DIR] [--files 3000] [--runs 5] [--imports 20]

(`--files 0`: the start-up alone.)

1. start-up: `bouncewatch parse --json` of one small message, median wall time of --runs,
   beside the bare interpreter (`python -c pass`) in the same run (target: under 0.15 s);
   with --imports N, the N modules whose import costs the most (`python -X importtime`,
   own time and with what it imports, the least of --runs: a busy machine's preemptions
   land at random in one module's time), and the project's share;
2. per file: `bouncewatch parse --json DIR` over --files messages (the fixtures, or the
   *.eml under --corpus, copied until there are that many), its CPU time less one start-up,
   against a process that only reads and analyses the same files (its import time taken
   off likewise), both starting with every cache cold (target: within 10 %).

Byte code is written and warmed first (an installed package ships it), so the figures are
what a user's machine sees, not the cost of compiling the sources.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bouncewatch.analyze import analyze  # noqa: E402
from bouncewatch.model import DEFAULT_PARSE_OPTIONS  # noqa: E402

COMMAND = [sys.executable, "-m", "bouncewatch", "parse", "--json"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("BOUNCEWATCH_CONFIG", None)
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `argv`; its output is discarded."""
    cpu0, t0 = children_cpu(), time.perf_counter()
    subprocess.run(argv, env=environment(), stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0, children_cpu() - cpu0


def startup(one: Path, runs: int) -> tuple[float, float, float]:
    """Median (bare interpreter wall, parse wall, parse CPU) seconds over `runs` runs."""
    timed([*COMMAND, str(one)])  # writes and warms the byte code
    bare = [timed([sys.executable, "-c", "pass"])[0] for _ in range(runs)]
    ours = [timed([*COMMAND, str(one)]) for _ in range(runs)]
    return (
        statistics.median(bare),
        statistics.median(w for w, _ in ours),
        statistics.median(c for _, c in ours),
    )


def import_times(one: Path, runs: int) -> dict[str, tuple[float, float]]:
    """module -> least (own, cumulative) import seconds of `bouncewatch parse --json one`."""
    own: dict[str, list[int]] = {}
    cumulative: dict[str, list[int]] = {}
    argv = [sys.executable, "-X", "importtime", *COMMAND[1:], str(one)]
    for _ in range(runs):
        done = subprocess.run(argv, env=environment(), capture_output=True, text=True)
        for line in done.stderr.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if len(fields) != 3 or not fields[0].strip().isdigit():
                continue  # the header, or anything else on stderr
            name = fields[2].strip()
            own.setdefault(name, []).append(int(fields[0]))
            cumulative.setdefault(name, []).append(int(fields[1]))
    return {name: (min(own[name]) / 1e6, min(cumulative[name]) / 1e6) for name in own}


def print_import_times(times: dict[str, tuple[float, float]], top: int) -> None:
    total = sum(own for own, _ in times.values())
    ours = sum(own for name, (own, _) in times.items() if name.split(".")[0] == "bouncewatch")
    print(
        f"imports: {len(times)} modules, {total * 1e3:.1f} ms (bouncewatch's own modules"
        f" {ours * 1e3:.1f} ms); the {top} costliest, own time (with what they import):"
    )
    for name, (own, cumulative) in sorted(times.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {own * 1e3:6.1f} ms  ({cumulative * 1e3:6.1f} ms)  {name}")


def in_process(folder: str) -> None:
    """The baseline, run as its own process: read and analyze every file of `folder`, as
    the CLI does but with no source, no JSON and no output (none when `folder` is "")."""
    options = replace(DEFAULT_PARSE_OPTIONS, said_commands=True)
    if folder:
        for path in sorted(Path(folder).iterdir()):
            analyze(path.read_bytes(), options)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="a folder of .eml files instead of fixtures/")
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--imports", type=int, default=0, metavar="N", help="print the N costliest")
    ap.add_argument("--in-process", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.in_process is not None:
        return in_process(args.in_process)

    sources = sorted((args.corpus or ROOT / "fixtures").rglob("*.eml"))
    if not sources:
        raise SystemExit("no .eml files")
    one = min(sources, key=lambda p: p.stat().st_size)
    bare, wall, cpu = startup(one, args.runs)
    print(
        f"start-up (median of {args.runs}): python -c pass {bare:.3f} s;"
        f" bouncewatch parse of one message {wall:.3f} s wall, {cpu:.3f} s CPU"
        f"  (target < 0.15 s)"
    )
    if args.imports:
        print_import_times(import_times(one, args.runs), args.imports)
    if args.files <= 0:
        return None  # start-up only

    with tempfile.TemporaryDirectory(prefix="bw-cli-bench-") as tmp:
        folder = Path(tmp)
        files = []
        for i in range(args.files):
            target = folder / f"{i:06d}.eml"
            shutil.copyfile(sources[i % len(sources)], target)
            files.append(target)
        baseline = [sys.executable, __file__, "--in-process"]
        _, base_startup = min(timed([*baseline, ""]) for _ in range(3))
        best_cli = best_ours = float("inf")
        for _ in range(args.runs):
            best_cli = min(best_cli, timed([*COMMAND, str(folder)])[1] - cpu)
            best_ours = min(best_ours, timed([*baseline, str(folder)])[1] - base_startup)
    n = args.files
    print(f"per file over {n} files, CPU, best of {args.runs}:")
    print(
        f"  read + analyze, one process: {best_ours / n * 1e6:8.0f} us  {n / best_ours:7,.0f} msg/s"
    )
    print(
        f"  bouncewatch parse --json DIR: {best_cli / n * 1e6:8.0f} us  {n / best_cli:7,.0f} msg/s"
        f"  (less one start-up)"
    )
    print(f"ratio CLI / in process: {best_cli / best_ours:.2f}  (target <= 1.10)")


if __name__ == "__main__":
    main()
