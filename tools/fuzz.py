#!/usr/bin/env python3
"""Fuzz the parser over mutated fixtures.

    python3 tools/fuzz.py --count 1000000 --seed 1 [--save DIR] [--slow SECONDS] [--json]

Each input is a fixture (fixtures/**/*.eml) put through one to three mutations -- bit flips,
truncation, MIME nesting, huge headers, bogus charsets, recipients by the thousand, line-ending
changes, spliced fixtures -- or one of the pathological shapes of tools/pathological.py.  Every
input goes through the parser; the run reports how many inputs, the crashes (an exception
escaping the parser, a decoder that raised inside it, or a result that breaks the model: a
reason outside the vocabulary, a malformed status, a result that isn't JSON), the slowest
input and its time (with --slow, every input slower than that), and the peak memory (RSS).
The same seed gives the same inputs.

`tests/test_fuzz.py` runs a few thousand inputs with a fixed seed in `make test`.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import resource
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from pathological import SHAPES  # noqa: E402

from bouncewatch.analyze import analyze  # noqa: E402
from bouncewatch.model import BOUNCE_TYPES, KINDS, REASONS, ParseResult  # noqa: E402

FIXTURES = ROOT / "fixtures"

_STATUS_RE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
_ACTIONS = frozenset({"failed", "delayed", "delivered", "relayed", "expanded", None})
#: an exception a decoder raised and the parser caught ("rfc3464: KeyError: 'x'")
_CAUGHT_RE = re.compile(r"(?:^|; )(?:([\w+-]+): )?([A-Z]\w*(?:Error|Exception))\b")
#: decoders that are not this project's code: their exceptions are counted, not crashes
_THIRD_PARTY = frozenset({"flufl"})
_BOGUS_CHARSETS = (
    b"x-bogus",
    b"utf-7",
    b"unicode-1-1-utf-7",
    b"\xff\xfe",
    b"",
    b"iso-8859-99",
    b"utf-8'en'",
    b"cp-1252\x00",
    b'"',
    b"utf-16",
    b"utf-32-be",
    b"idna",
    b"rot13",
    b"base64",
    b"punycode",
)


# --- mutations: each takes (data, rng, corpus) and returns new bytes --------------------------

Mutation = Callable[[bytes, random.Random, list[bytes]], bytes]


def bit_flips(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 2, 8, 64))):
        if out:
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def byte_noise(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    """Random bytes inserted, or a run of one byte (NUL, CR, ':', '<', '=', ';', '\\\\')."""
    i = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        noise = rng.randbytes(rng.choice((1, 16, 256)))
    else:
        noise = rng.choice(b'\x00\r\n:<>=;\\"(@ ').to_bytes(1, "big") * rng.choice((3, 100, 5000))
    return data[:i] + noise + data[i:]


def truncation(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def line_shuffle(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    """Delete, duplicate or swap a few lines."""
    lines = data.split(b"\n")
    for _ in range(rng.choice((1, 3, 10))):
        if len(lines) < 2:
            break
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(3)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def line_endings(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    lf = data.replace(b"\r\n", b"\n")
    return rng.choice((lf.replace(b"\n", b"\r\n"), lf.replace(b"\n", b"\r"), lf))


def mime_nesting(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    """The message wrapped as message/rfc822 in multiparts, 1 to 40 deep."""
    for depth in range(rng.choice((1, 2, 5, 40))):
        kind = rng.choice((b"mixed", b"report; report-type=delivery-status", b"alternative"))
        boundary = b"fz%d" % depth
        data = (
            b"From: MAILER-DAEMON@fuzz.example\nSubject: Returned mail\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/" + kind + b'; boundary="' + boundary + b'"\n\n'
            b"--" + boundary + b"\nContent-Type: message/rfc822\n\n" + data + b"\n--" + boundary
        )
        if rng.random() < 0.8:
            data += b"--"
        data += b"\n"
    return data


def huge_header(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    name = rng.choice(
        (b"To", b"From", b"Subject", b"Received", b"Delivered-To", b"X-Failed-Recipients", b"X-Fz")
    )
    unit = rng.choice((b"a", b"a@b.c, ", b"=?utf-8?q?=41?= ", b"<", b"bounces+", b" ", b"\n "))
    value = unit * (rng.choice((1_000, 20_000, 100_000)) // len(unit))
    return name + b": " + value + b"\n" + data


def bogus_charset(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    charset = rng.choice(_BOGUS_CHARSETS)
    if b"charset=" in data.lower() and rng.random() < 0.7:
        return re.sub(rb"(?i)charset=\"?[\w.:-]*\"?", b'charset="' + charset + b'"', data)
    words = b"=?" + charset + b"?" + rng.choice((b"Q", b"B", b"X")) + b"?=E9=ZZ?="
    return b"Subject: " + words + b"\nContent-Type: text/plain; charset=" + charset + b"\n" + data


def many_recipients(data: bytes, rng: random.Random, _: list[bytes]) -> bytes:
    """A recipient block or line repeated by the thousand."""
    n = rng.choice((100, 1_000, 3_000))
    m = re.search(rb"(?ims)^Final-Recipient:.*?(?:\n\n|\Z)", data)
    if m is not None:
        block = m.group(0).rstrip(b"\n") + b"\n\n"
        return data[: m.start()] + block * n + data[m.end() :]
    line = b"<user@example.com>: host mx.example.com said: 550 5.1.1 unknown\n"
    i = data.find(b"\n\n")
    i = len(data) if i < 0 else i + 2
    return data[:i] + line * n + data[i:]


def splice(data: bytes, rng: random.Random, corpus: list[bytes]) -> bytes:
    other = rng.choice(corpus)
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


MUTATIONS: dict[str, Mutation] = {
    f.__name__: f
    for f in (
        bit_flips,
        byte_noise,
        truncation,
        line_shuffle,
        line_endings,
        mime_nesting,
        huge_header,
        bogus_charset,
        many_recipients,
        splice,
    )
}


#: how often each mutation is drawn (default 10): the ones that make inputs of 100 KB and
#: more are rarer, so that a million inputs fit in an hour
WEIGHTS = {"huge_header": 3, "many_recipients": 1, "mime_nesting": 3}


# --- the run -------------------------------------------------------------------------------------


def load_corpus(folder: Path = FIXTURES) -> list[tuple[str, bytes]]:
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in sorted(folder.rglob("*.eml"))]


def inputs(seed: int, count: int, corpus: list[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """(description, bytes) for `count` inputs; the same seed gives the same inputs."""
    rng = random.Random(seed)
    bodies = [data for _, data in corpus]
    shapes = list(SHAPES.items())
    names, weights = list(MUTATIONS), [WEIGHTS.get(m, 10) for m in MUTATIONS]
    for _ in range(count):
        if rng.random() < 0.01:
            name, build = rng.choice(shapes)
            n = rng.choice((1_000, 10_000, 50_000))
            yield f"shape:{name}:{n}", build(n)
            continue
        name, data = rng.choice(corpus)
        steps = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            mutation = rng.choices(names, weights)[0]
            data = MUTATIONS[mutation](data, rng, bodies)
            steps.append(mutation)
        yield f"{name}:{'+'.join(steps)}", data


def violations(result: ParseResult) -> list[str]:
    """What in `result` breaks the model (empty: nothing)."""
    out = []
    if result.kind not in KINDS:
        out.append(f"kind {result.kind!r}")
    if not isinstance(result.detector, str) or not result.detector:
        out.append(f"detector {result.detector!r}")
    for r in result.recipients:
        rep, c = r.report, r.classification
        if not isinstance(rep.address, str) or not rep.address:
            out.append(f"address {rep.address!r}")
        if c.reason not in REASONS or c.bounce_type not in BOUNCE_TYPES:
            out.append(f"classification {c.bounce_type}/{c.reason}")
        if not c.rule:
            out.append("classification without a rule")
        if rep.status is not None and not _STATUS_RE.fullmatch(rep.status):
            out.append(f"status {rep.status!r}")
        if rep.smtp_code is not None and not 200 <= rep.smtp_code <= 599:
            out.append(f"smtp_code {rep.smtp_code!r}")
        if rep.action not in _ACTIONS:
            out.append(f"action {rep.action!r}")
    try:
        json.dumps(result.to_json("x"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        out.append(f"not JSON: {exc}")
    caught = [m for m in _CAUGHT_RE.finditer(result.error or "") if m.group(1) not in _THIRD_PARTY]
    if caught:
        out.append(f"caught {result.error[:200] if result.error else ''}")
    return out


def third_party_errors(result: ParseResult) -> int:
    """Exceptions raised inside third-party decoders (flufl.bounce) and caught by the parser."""
    return sum(m.group(1) in _THIRD_PARTY for m in _CAUGHT_RE.finditer(result.error or ""))


@dataclass
class Stats:
    seed: int
    inputs: int = 0
    crashes: list[tuple[str, str]] = field(default_factory=list)
    third_party_errors: int = 0
    slowest: tuple[float, str, int] = (0.0, "", 0)
    #: inputs that took longer than the run's `slow` threshold: (seconds, description, bytes)
    slow: list[tuple[float, str, int]] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mib: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "inputs": self.inputs,
            "crashes": len(self.crashes),
            "first_crashes": self.crashes[:10],
            "third_party_errors": self.third_party_errors,
            "slowest_input": self.slowest[1],
            "slowest_bytes": self.slowest[2],
            "slowest_seconds": round(self.slowest[0], 4),
            "slow_inputs": len(self.slow),
            "first_slow": [(round(t, 2), what, size) for t, what, size in self.slow[:10]],
            "seconds": round(self.seconds, 1),
            "peak_rss_mib": round(self.peak_rss_mib, 1),
        }


def run(
    count: int,
    seed: int,
    corpus: list[tuple[str, bytes]] | None = None,
    *,
    save: Path | None = None,
    progress: Callable[[Stats], None] | None = None,
    slow: float | None = None,
) -> Stats:
    corpus = corpus if corpus is not None else load_corpus()
    stats = Stats(seed=seed)
    logging.disable(logging.WARNING)  # a decoder's warnings are counted here, not printed
    started = time.perf_counter()
    for i, (what, data) in enumerate(inputs(seed, count, corpus)):
        t0 = time.perf_counter()
        try:
            result = analyze(data)
            problems = violations(result)
            stats.third_party_errors += third_party_errors(result)
        except Exception as exc:  # that is what the fuzzer looks for
            problems = [f"raised {type(exc).__name__}: {exc}"]
        took = time.perf_counter() - t0
        stats.inputs += 1
        if took > stats.slowest[0]:
            stats.slowest = (took, what, len(data))
        if slow is not None and took > slow:
            stats.slow.append((took, what, len(data)))
            if save is not None:
                save.mkdir(parents=True, exist_ok=True)
                (save / f"slow-{seed}-{i}.eml").write_bytes(data)
        if problems:
            stats.crashes.append((what, "; ".join(problems)))
            if save is not None:
                save.mkdir(parents=True, exist_ok=True)
                (save / f"crash-{seed}-{i}.eml").write_bytes(data)
        if progress is not None and (i + 1) % 10_000 == 0:
            stats.seconds = time.perf_counter() - started
            stats.peak_rss_mib = _peak_rss_mib()
            progress(stats)
    logging.disable(logging.NOTSET)
    stats.seconds = time.perf_counter() - started
    stats.peak_rss_mib = _peak_rss_mib()
    return stats


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", type=Path, help="write each crashing (or slow) input to this folder")
    ap.add_argument(
        "--slow",
        type=float,
        metavar="SECONDS",
        help="also count (and save) inputs slower than this",
    )
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = ap.parse_args(argv)

    def progress(s: Stats) -> None:
        print(
            f"inputs={s.inputs} crashes={len(s.crashes)} seconds={s.seconds:.0f} "
            f"slowest={s.slowest[0]:.3f}s slowest_input={s.slowest[1]} "
            f"slowest_bytes={s.slowest[2]} slow={len(s.slow)} peak_rss_mib={s.peak_rss_mib:.0f}",
            file=sys.stderr,
            flush=True,
        )

    stats = run(args.count, args.seed, save=args.save, progress=progress, slow=args.slow)
    figures = stats.as_dict()
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 1 if stats.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
