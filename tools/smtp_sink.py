"""A scripted SMTP server for capturing real MTA bounces (developer tool, loopback only).

It answers every recipient with a reply chosen by the recipient's local part, so the bounce an
MTA generates from that reply has a known truth. Replies are given either at ``RCPT TO`` or, for
content-level refusals (size, spam, virus, DMARC), after the message data (``end of DATA``).

A second listener ("tarpit") accepts connections and never sends a greeting, so an MTA's
conversation times out: that gives real network-error / expired bounces.

Run alone for manual experiments::

    python tools/smtp_sink.py --port 2525 --tarpit-port 2526 --log /tmp/sink.jsonl

Only 127.0.0.0/8 addresses are accepted as listen addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("bouncewatch.tools.smtp_sink")


@dataclass(frozen=True)
class Reply:
    """What the sink answers for one recipient local part."""

    lines: tuple[str, ...]  # full reply lines, e.g. ("550 5.1.1 ...",) or a multi-line reply
    stage: str = "rcpt"  # "rcpt" (answer RCPT TO) or "data" (accept RCPT, refuse after DATA)
    close: bool = False  # close the connection after this reply (421)

    def render(self, address: str) -> bytes:
        text = [line.replace("{rcpt}", address) for line in self.lines]
        return ("\r\n".join(text) + "\r\n").encode()


def _r(*lines: str, stage: str = "rcpt", close: bool = False) -> Reply:
    return Reply(tuple(lines), stage, close)


# Local part -> reply. The wording follows what real receiving systems say.
REPLIES: dict[str, Reply] = {
    "ok": _r("250 2.1.5 Ok"),
    "unknown": _r(
        "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
    ),
    "nouser": _r(
        "550-5.1.1 The email account that you tried to reach does not exist. Please try",
        "550-5.1.1 double-checking the recipient's email address for typos or",
        "550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser"
        " x12si1234567abc.12 - gsmtp",
    ),
    "disabled": _r(
        "550-5.2.1 The email account that you tried to reach is disabled. Learn more at",
        "550 5.2.1 https://support.google.com/mail/?p=DisabledUser y7si998877qkb.41 - gsmtp",
    ),
    "full": _r("552 5.2.2 <{rcpt}>: Mailbox full"),
    "fullperm": _r("550 5.2.2 <{rcpt}>: mailbox full"),
    "overquota": _r(
        "452-4.2.2 The email account that you tried to reach is over quota. Please direct",
        "452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp"
        " z3si445566qtb.7 - gsmtp",
    ),
    "big": _r("552 5.3.4 Message size exceeds fixed maximum message size", stage="data"),
    "spamhaus": _r(
        "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using"
        " zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.10"
    ),
    "spam": _r("550 5.7.1 Message rejected as spam by Content Filtering.", stage="data"),
    "dmarc": _r(
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the",
        "550-5.7.26 sender and Gmail users, and has been blocked. The sender must",
        "550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,",
        "550-5.7.26 DKIM checks did not pass and SPF check for [example.net] did not",
        "550-5.7.26 pass with ip: [192.0.2.10]. The sender should visit",
        "550-5.7.26 https://support.google.com/mail/answer/81126#authentication for",
        "550 5.7.26 instructions on setting up authentication. DMARC policy"
        " a1si2233445qkb.9 - gsmtp",
        stage="data",
    ),
    "spf": _r(
        "550-5.7.23 The message was rejected because of Sender Policy Framework violation",
        "550 5.7.23 https://support.google.com/a/answer/2466580 b2si3344556qkb.3 - gsmtp",
        stage="data",
    ),
    "relay": _r("554 5.7.1 <{rcpt}>: Relay access denied"),
    "grey": _r(
        "450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, see"
        " http://postgrey.schweikert.ch/help/example.org.html"
    ),
    "greyperm": _r("550 5.7.1 Greylisted, please try again in 300 seconds"),
    "ratelimit": _r("451 4.7.1 Too many messages, slow down"),
    "unsolicited": _r(
        "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating",
        "421-4.7.28 from your IP address. To protect our users from spam, mail sent from",
        "421 4.7.28 your IP address has been temporarily rate limited. c4si5566778qkb.2 - gsmtp",
        close=True,
    ),
    "virus": _r("554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)", stage="data"),
    "moved": _r("551 5.1.6 User has moved; please try <new@example.org>"),
    "policy": _r("550 5.7.1 Message rejected due to local policy"),
    "badsyntax": _r("553 5.1.3 <{rcpt}>: Recipient address rejected: invalid address syntax"),
    "sysfail": _r("554 5.3.0 <{rcpt}>: Recipient mail system error, delivery failed"),
    "notaccept": _r("556 5.1.10 <{rcpt}>: Recipient address rejected: domain does not accept mail"),
}

DEFAULT_REPLY = REPLIES["ok"]


def reply_for(address: str) -> Reply:
    """The scripted reply for a recipient address (``local+tag@domain`` uses ``local``)."""
    local = address.strip("<>").split("@", 1)[0].lower().split("+", 1)[0]
    return REPLIES.get(local, DEFAULT_REPLY)


def _address(arg: str) -> str:
    start, end = arg.find("<"), arg.find(">")
    if start != -1 and end > start:
        return arg[start + 1 : end]
    return arg.split(":", 1)[-1].strip().split(" ", 1)[0]


class SinkServer:
    """The scripted SMTP dialogue; one instance serves many connections."""

    def __init__(self, name: str, log_path: str | None, store_dir: str | None = None) -> None:
        self.name = name
        self.log_path = log_path
        self.store_dir = store_dir  # keep every accepted message here (for MTAs without
        self.counter = 0  # local delivery, whose bounces come back through the sink)

    def _record(self, event: dict[str, object]) -> None:
        event["t"] = round(time.time(), 3)
        log.info("event=%s", json.dumps(event, sort_keys=True))
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, sort_keys=True) + "\n")

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def send(data: bytes | str) -> None:
            writer.write(data.encode() if isinstance(data, str) else data)

        send(f"220 {self.name} ESMTP ready\r\n")
        sender: str | None = None
        accepted: list[str] = []
        try:
            while True:
                raw = await asyncio.wait_for(reader.readline(), timeout=120)
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    if verb == "HELO":
                        send(f"250 {self.name}\r\n")
                    else:
                        send(
                            f"250-{self.name}\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
                            "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
                        )
                elif verb == "MAIL":
                    sender, accepted = _address(line), []
                    send("250 2.1.0 Ok\r\n")
                elif verb == "RCPT":
                    rcpt = _address(line)
                    reply = reply_for(rcpt)
                    if reply.stage == "data":
                        accepted.append(rcpt)
                        send("250 2.1.5 Ok\r\n")
                        self._record({"cmd": "RCPT", "rcpt": rcpt, "reply": "250 (data stage)"})
                        continue
                    self._record({"cmd": "RCPT", "rcpt": rcpt, "reply": reply.lines[-1][:3]})
                    send(reply.render(rcpt))
                    if reply.lines[-1].startswith("2"):
                        accepted.append(rcpt)
                    if reply.close:
                        await writer.drain()
                        break
                elif verb == "DATA":
                    if not accepted:
                        send("554 5.5.1 Error: no valid recipients\r\n")
                        continue
                    send("354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    lines: list[bytes] = []
                    while True:
                        chunk = await asyncio.wait_for(reader.readline(), timeout=120)
                        if not chunk or chunk in (b".\r\n", b".\n"):
                            break
                        lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    refusals = [reply_for(r) for r in accepted if reply_for(r).stage == "data"]
                    self.counter += 1
                    if refusals:
                        self._record({"cmd": "DATA", "rcpts": accepted, "reply": "refused"})
                        send(refusals[0].render(accepted[0]))
                    else:
                        self._record({"cmd": "DATA", "from": sender, "rcpts": accepted})
                        if self.store_dir:
                            path = Path(self.store_dir) / f"{time.time():.6f}-{self.counter}.eml"
                            path.write_bytes(b"".join(lines).replace(b"\r\n", b"\n"))
                        send(f"250 2.0.0 Ok: queued as 4Xk{self.counter:05d}Q\r\n")
                    accepted = []
                elif verb == "RSET":
                    sender, accepted = None, []
                    send("250 2.0.0 Ok\r\n")
                elif verb == "NOOP":
                    send("250 2.0.0 Ok\r\n")
                elif verb == "QUIT":
                    send("221 2.0.0 Bye\r\n")
                    await writer.drain()
                    break
                else:
                    send("502 5.5.2 Error: command not recognized\r\n")
                await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()


async def _tarpit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept and say nothing until the client gives up (or 10 minutes pass)."""
    try:
        await asyncio.wait_for(reader.read(), timeout=600)
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


def _check_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to listen on non-loopback address {host}")


async def serve(
    host: str,
    port: int,
    tarpit_port: int | None,
    name: str,
    log_path: str | None,
    store_dir: str | None = None,
) -> None:
    """Serve until cancelled."""
    _check_loopback(host)
    sink = SinkServer(name, log_path, store_dir)
    servers = [await asyncio.start_server(sink.handle, host, port)]
    if tarpit_port:
        servers.append(await asyncio.start_server(_tarpit, host, tarpit_port))
    log.info("event=listening host=%s port=%s tarpit_port=%s", host, port, tarpit_port)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--tarpit-port", type=int, default=2526)
    parser.add_argument("--name", default="mx.example.org")
    parser.add_argument("--log", default=None, help="append one JSON line per SMTP event")
    parser.add_argument("--store", default=None, help="keep accepted messages in this folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    asyncio.run(serve(args.host, args.port, args.tarpit_port, args.name, args.log, args.store))


if __name__ == "__main__":
    main()
