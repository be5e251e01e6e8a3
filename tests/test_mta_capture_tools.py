"""The helpers behind the real-MTA fixtures: the scripted SMTP sink and the loopback DNS stub.

The capture tool itself installs system MTAs and is not run here; these tests check that the
sink really answers each recipient with the scripted reply (the truth the fixtures rely on) and
that the DNS stub answers the way the MTA configurations expect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import smtplib
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_files import folder as fixture_folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import bounce_cases  # noqa: E402
import dns_stub  # noqa: E402
import smtp_sink  # noqa: E402

MTA_FOLDERS = tuple(
    f"dsn/{mta}"
    for mta in ("postfix", "exim", "sendmail", "opensmtpd", "courier-mta", "nullmailer")
)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    store = tmp_path_factory.mktemp("store")
    server = smtp_sink.SinkServer("mx.example.org", None, str(store))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, object] = {}

    async def main() -> None:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        holder["port"] = srv.sockets[0].getsockname()[1]
        holder["srv"] = srv
        started.set()
        async with srv:
            with contextlib.suppress(asyncio.CancelledError):  # closed at teardown
                await srv.serve_forever()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert started.wait(5)
    yield int(holder["port"]), store  # type: ignore[call-overload]
    loop.call_soon_threadsafe(holder["srv"].close)  # type: ignore[attr-defined]
    thread.join(5)
    loop.close()


def test_rcpt_replies_are_the_scripted_ones(sink: tuple[int, Path]) -> None:
    port, _ = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mail.example.net")
        smtp.mail("newsletter@example.net")
        code, text = smtp.rcpt("unknown@example.org")
        assert code == 550
        assert b"5.1.1 <unknown@example.org>: Recipient address rejected" in text
        code, text = smtp.rcpt("nouser@example.com")  # a multi-line reply
        assert code == 550
        assert text.count(b"5.1.1") == 3 and b"NoSuchUser" in text
        code, _ = smtp.rcpt("grey@example.org")
        assert code == 450


def test_content_refusal_comes_after_data(sink: tuple[int, Path]) -> None:
    port, _ = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mail.example.net")
        smtp.mail("newsletter@example.net")
        assert smtp.rcpt("virus@example.org")[0] == 250
        code, text = smtp.data(b"Subject: x\r\n\r\nbody\r\n")
        assert code == 554 and b"Eicar-Test-Signature" in text


def test_accepted_messages_are_stored_unstuffed(sink: tuple[int, Path]) -> None:
    port, store = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail("a@example.net", ["newsletter@example.net"], b"Subject: s\r\n\r\n.dot\r\n")
    stored = [p.read_bytes() for p in store.glob("*.eml")]
    assert b"Subject: s\n\n.dot\n" in stored


def test_421_closes_the_connection(sink: tuple[int, Path]) -> None:
    port, _ = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo("mail.example.net")
        smtp.mail("newsletter@example.net")
        code, text = smtp.rcpt("unsolicited@example.com")
        assert code == 421 and b"4.7.28" in text
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.noop()


def _query(name: str, qtype: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return (
        struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", qtype, 1)
    )


def test_dns_stub_answers() -> None:
    reply = dns_stub.answer(_query("mx.example.org", dns_stub.A))
    assert struct.unpack("!H", reply[:2])[0] == 0x1234
    assert reply[3] & 0x0F == 0 and struct.unpack("!H", reply[6:8])[0] == 1
    assert reply.endswith(socket.inet_aton("127.0.0.1"))
    nx = dns_stub.answer(_query("nxdomain.example.com", dns_stub.MX))
    assert nx[3] & 0x0F == 3  # NXDOMAIN
    null = dns_stub.answer(_query("nullmx.example.com", dns_stub.MX))
    assert null.endswith(struct.pack("!H", 0) + b"\0")  # preference 0, root exchange


def test_every_case_is_answered_by_the_sink_or_routed_by_domain() -> None:
    routed = {"nxdomain", "deadmx", "nullmx", "refused", "slow", "local", "multi", "ok"}
    for case in bounce_cases.CASES:
        assert case.name in smtp_sink.REPLIES or case.name in routed, case.name


@pytest.mark.parametrize("folder", MTA_FOLDERS)
def test_captured_fixtures_name_their_original(folder: str) -> None:
    jsons = sorted(fixture_folder(folder).glob("*.json"))
    assert len(jsons) >= 20
    for path in jsons:
        data = json.loads(path.read_text())
        assert data["original_message_id"].startswith("<bw."), path.name
        assert data["recipients"], path.name
