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
   *.eml under --corpus, copied until there are that many) against a process that only reads
   and analyses the same files in the same order with the same options (`parse`'s: the
   built-in defaults and the SMTP command each report names); each command's cost a file is
   its run over the N files less its run over the first of them alone, divided by N - 1, so
   start-up and first-message costs (imports, the first compilation of a pattern) cancel out
   the same way for both.  CPU time (user + system of the child) and wall time, the least of
   --runs each, the runs of both commands interleaved (target: CPU within 10 %).

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
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bouncewatch.analyze import analyze  # noqa: E402
from bouncewatch.config.locate import DEFAULT_CONFIG_PATH  # noqa: E402
from bouncewatch.model import DEFAULT_PARSE_OPTIONS  # noqa: E402

COMMAND = [sys.executable, "-m", "bouncewatch", "parse", "--json"]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)  # (a user's shell has the output buffered)
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
    """The baseline, run as its own process: read and analyze every file of `folder` in
    name order, as the CLI does but with no source, no JSON and no output."""
    options = replace(DEFAULT_PARSE_OPTIONS, said_commands=True)
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
    if args.files < 2:
        return None  # start-up only

    if DEFAULT_CONFIG_PATH.is_file():
        raise SystemExit(f"{DEFAULT_CONFIG_PATH} exists: parse would not run on the defaults")
    with tempfile.TemporaryDirectory(prefix="bw-cli-bench-") as tmp:
        many, first = Path(tmp, "many"), Path(tmp, "first")
        many.mkdir()
        first.mkdir()
        for i in range(args.files):
            shutil.copyfile(sources[i % len(sources)], many / f"{i:06d}.eml")
        shutil.copyfile(many / "000000.eml", first / "000000.eml")
        files = {"n": sorted(str(p) for p in many.iterdir()), "1": [str(first / "000000.eml")]}
        commands: dict[str, Callable[[str], list[str]]] = {
            "read + analyze, one process:": lambda d: [
                sys.executable, __file__, "--in-process", str(many if d == "n" else first)
            ],
            "bouncewatch parse --json DIR:": lambda d: [
                *COMMAND, str(many if d == "n" else first)
            ],
            "bouncewatch parse --json FILE…:": lambda d: [*COMMAND, *files[d]],
        }  # fmt: skip
        best = {(name, d): (float("inf"), float("inf")) for name in commands for d in "1n"}
        for _ in range(args.runs):
            for name, argv in commands.items():
                for d in "n1":
                    wall, cpu = timed(argv(d))
                    was = best[name, d]
                    best[name, d] = (min(was[0], wall), min(was[1], cpu))
    n = args.files
    per_file = {
        name: tuple((best[name, "n"][i] - best[name, "1"][i]) / (n - 1) for i in (0, 1))
        for name in commands
    }
    print(f"per file over {n} files, best of {args.runs} (less a run over the first alone):")
    for name, (wall, cpu) in per_file.items():
        print(
            f"  {name:31s} CPU {cpu * 1e6:5.0f} us {1 / cpu:7,.0f} msg/s;"
            f"  wall {wall * 1e6:5.0f} us {1 / wall:7,.0f} msg/s"
        )
    (ours_wall, ours_cpu), *clis = per_file.values()
    print(
        "ratio CLI / in process, CPU (target <= 1.10), wall: "
        + "; ".join(
            f"{name.split()[-1].rstrip(':')} {cpu / ours_cpu:.2f}, {wall / ours_wall:.2f}"
            for name, (wall, cpu) in zip(list(per_file)[1:], clis, strict=True)
        )
    )


if __name__ == "__main__":
    main()
