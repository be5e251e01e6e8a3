"""End-to-end IMAP throughput: N bounces in a private Dovecot, processed by one daemon pass.

    python benchmarks/imap.py [--count 10000] [--batch-size 500]

Builds N distinct bounces from the demo mailbox and the fixture corpus (every recipient
address made unique per copy), APPENDs them in bulk to a private Dovecot, then runs
`bouncewatch run --once` as a child process: connect, fetch by UID in batches, parse,
classify, record (one transaction per message), move to Processed.  Prints messages per
second end to end (wall clock of the whole process, and of the pass itself), the child's peak
RSS, and — in the same run, over the same bytes — parse-only throughput (`analyze`), and
the ratio between the two.  Checks that every message was recorded once and left the INBOX.

The package's bytecode is compiled before the child starts (`compileall`, into the tree's
`__pycache__`), as an installed package has it: where PYTHONDONTWRITEBYTECODE is set, the child
would otherwise compile every module of the package from source at each start (about 0.1 s
that no installation pays).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from dovecot import Dovecot  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from bouncewatch.analyze import analyze  # noqa: E402


def templates() -> list[tuple[bytes, list[str]]]:
    """Bounce messages with recipients, and those recipients' addresses."""
    paths = sorted((ROOT / "demo" / "mail").glob("*.eml"))
    paths += sorted((ROOT / "fixtures").rglob("*.eml"))
    out = []
    for p in paths:
        data = p.read_bytes()
        result = analyze(data)
        addrs = [r.report.address for r in result.recipients if "@" in r.report.address]
        if addrs and len(data) < 200_000:
            out.append((data, addrs))
    return out


def make_messages(count: int) -> list[bytes]:
    base = templates()
    out: list[bytes] = []
    for i in range(count):
        data, addrs = base[i % len(base)]
        for addr in addrs:
            local, _, domain = addr.rpartition("@")
            new_local = f"{local}.b{i}"
            data = re.sub(
                re.escape(f"{local}@{domain}").encode(), f"{new_local}@{domain}".encode(), data,
                flags=re.I,
            )  # fmt: skip
            data = data.replace(f"{local}={domain}".encode(), f"{new_local}={domain}".encode())
        # the receiving server's trace header makes every copy distinct, as in real life
        received = (
            f"Received: from mx.news.example.com by bounces.news.example.com with LMTP id "
            f"{i:08x}; Fri, 20 Nov 2026 09:{i // 60 % 60:02d}:{i % 60:02d} +0000\r\n"
        )
        out.append(received.encode() + data)
    return out


def append_all(server: Dovecot, user: str, password: str, messages: list[bytes]) -> float:
    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=120)
    client.login(user, password)
    for i in range(0, len(messages), 500):
        client.multiappend("INBOX", messages[i : i + 500])
    client.logout()
    return time.perf_counter() - started


def parse_only(messages: list[bytes]) -> float:
    gc.collect()
    started = time.perf_counter()
    for data in messages:
        analyze(data)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="number of bounces (10000)")
    ap.add_argument("--batch-size", type=int, default=500, help="UID FETCH batch size (500)")
    ap.add_argument(
        "--profile", metavar="FILE", help="run the pass under cProfile, its stats to FILE"
    )
    args = ap.parse_args()

    messages = make_messages(args.count)
    total_bytes = sum(map(len, messages))
    work = Path(tempfile.mkdtemp(prefix="bw-bench-"))
    work.chmod(0o755)  # the mail processes run as another user
    with Dovecot(work / "dovecot") as server:
        user = server.add_user("bench", "bench-password")
        (work / "password").write_text(user.password)
        db = work / "bench.db"
        config = work / "config.toml"
        config.write_text(
            f'database = "{db}"\n\n[[mailbox]]\nname = "bench"\nhost = "127.0.0.1"\n'
            f'port = {server.port}\nsecurity = "plain"\nusername = "{user.name}"\n'
            f'password_file = "{work / "password"}"\n\n'
            f"[schedule]\nbatch_size = {args.batch_size}\n"
        )
        append_seconds = append_all(server, user.name, user.password, messages)

        env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "bouncewatch")], check=True
        )
        started = time.perf_counter()
        profile = ["-m", "cProfile", "-o", args.profile] if args.profile else []
        proc = subprocess.Popen(
            [
                sys.executable,
                *profile,
                "-m",
                "bouncewatch",
                "run",
                "--once",
                "--config",
                str(config),
            ],
            stderr=subprocess.PIPE,
            env=env,
        )
        _, stderr_bytes = proc.communicate()
        wall = time.perf_counter() - started
        stderr = stderr_bytes.decode(errors="replace")
        if proc.returncode != 0:
            sys.exit(f"run --once failed ({proc.returncode}):\n{stderr[-3000:]}")
        # os.wait4 already reaped the child through communicate(); its peak RSS is in
        # RUSAGE_CHILDREN (the only child that ran so far besides Dovecot's own group)
        import resource

        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb = usage.ru_maxrss
        cpu_seconds = usage.ru_utime + usage.ru_stime
        pass_seconds = sum(float(s) for s in re.findall(r"pass_done .*seconds=([\d.]+)", stderr))

        conn = sqlite3.connect(db)
        recorded = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        conn.close()
        client = IMAPClient("127.0.0.1", port=server.port, ssl=False)
        client.login(user.name, user.password)
        left = client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]
        client.logout()

    shutil.rmtree(work, ignore_errors=True)
    parse_seconds = min(parse_only(messages) for _ in range(2))

    e2e_rate = args.count / wall
    pass_rate = args.count / pass_seconds if pass_seconds else float("nan")
    parse_rate = args.count / parse_seconds
    print(
        f"messages:                 {args.count} ({total_bytes / 1e6:.1f} MB), "
        f"batch size {args.batch_size}"
    )
    print(f"APPEND (setup):           {append_seconds:.1f} s")
    print(f"recorded / events / left: {recorded} / {events} / {left} in INBOX")
    print(f"end to end (process):     {wall:.2f} s  {e2e_rate:,.0f} msg/s")
    print(f"end to end (the pass):    {pass_seconds:.2f} s  {pass_rate:,.0f} msg/s")
    print(f"peak RSS of the daemon:   {peak_kb / 1024:.1f} MB")
    print(
        f"CPU of the daemon:        {cpu_seconds:.2f} s  {1e6 * cpu_seconds / args.count:.0f} us/msg"
    )
    print(f"parse only (same bytes):  {parse_seconds:.2f} s  {parse_rate:,.0f} msg/s")
    print(f"ratio pass / parse-only:  {pass_rate / parse_rate:.2f} "
          f"(end to end runs at {100 * pass_rate / parse_rate:.0f}% of parse speed)")  # fmt: skip
    print(f"target:                   the pass >= 2,000 msg/s: "
          f"{'OK' if pass_rate >= 2000 else 'UNDER TARGET'}")  # fmt: skip
    if recorded != args.count or left != 0:
        sys.exit("FAILED: not every message was recorded once and moved")


if __name__ == "__main__":
    main()
