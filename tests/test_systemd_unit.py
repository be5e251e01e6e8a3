"""The systemd unit: valid for systemd-analyze, hardened, and saying what the daemon does."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "systemd" / "bouncewatch.service"
INSTALLED_BINARY = "/opt/bouncewatch/bin/bouncewatch"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def unit_under_test(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's bouncewatch (verify requires the
    binary to exist)."""
    binary = Path(sys.executable).with_name("bouncewatch")
    assert binary.exists(), binary
    text = UNIT.read_text()
    assert INSTALLED_BINARY in text
    path = tmp_path / "bouncewatch.service"
    path.write_text(text.replace(INSTALLED_BINARY, str(binary)))
    return path


def settings() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_verify_is_clean(tmp_path: Path) -> None:
    # verify exits 0 even on unknown keys and bad values: stderr must be empty as well
    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(unit_under_test(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_security_exposure_is_low(tmp_path: Path) -> None:
    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=true", "--threshold=20",  # exposure × 10
         str(unit_under_test(tmp_path))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert m, proc.stdout[-500:]
    assert float(m.group(1)) <= 1.5


def test_unit_declares_what_the_daemon_relies_on() -> None:
    s = settings()
    assert s["Type"] == ["notify"]
    assert s["WatchdogSec"] and s["NotifyAccess"] == ["main"]
    assert set(s["RestartPreventExitStatus"][0].split()) == {"77", "78"}
    assert s["Restart"] == ["on-failure"]
    assert s["StateDirectory"] == ["bouncewatch"]
    assert s["ConfigurationDirectory"] == ["bouncewatch"]
    assert s["LoadCredential"][0].startswith("imap-password:")
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert " run " in s["ExecStart"][0] and "--once" not in s["ExecStart"][0]
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "DynamicUser"):
        assert s[key] == ["yes"], key
    assert s["ProtectSystem"] == ["strict"]
    assert s["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert "@system-service" in s["SystemCallFilter"]


def test_group_readers_drop_in_makes_a_group_readable_database(tmp_path: Path) -> None:
    # the unit's umask leaves group read alone (the database is 0640 in any case), and the
    # drop-in the README installs gives a fixed group and a state directory it can enter
    umask = int(settings()["UMask"][0], 8)
    assert umask & 0o040 == 0
    drop_in = (REPO / "systemd" / "group-readers.conf").read_text()
    lines = {
        ln.partition("=")[0]: ln.partition("=")[2]
        for ln in drop_in.splitlines()
        if "=" in ln and not ln.startswith("#")
    }
    assert lines == {
        "DynamicUser": "no",
        "User": "bouncewatch",
        "Group": "bouncewatch",
        "StateDirectoryMode": "0750",
    }
    # the unit with the drop-in applied is still valid
    merged = unit_under_test(tmp_path)
    merged.write_text(
        merged.read_text() + "\n" + drop_in.split("[Service]", 1)[1].join(["[Service]", ""])
    )
    proc = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", str(merged)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    service_doc = (REPO / "docs" / "service.md").read_text()
    assert "group-readers.conf" in service_doc and "database_group" in service_doc
