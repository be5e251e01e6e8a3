"""A tiny authoritative DNS server on 127.0.0.1:53 for capturing MTA bounces (developer tool).

The capture tool runs each MTA in a private mount namespace whose /etc/resolv.conf points here,
so every name the MTA looks up is answered locally and no query leaves the machine:

- the sending host and the fictional receiving MX hosts resolve to 127.0.0.1 (the scripted sink);
- ``nullmx.example.com`` publishes a null MX (RFC 7505);
- ``deadmx.example.com`` has an MX pointing at a host that does not exist;
- every other name is NXDOMAIN (``nxdomain.example.com`` is used on purpose).

Only A, AAAA and MX matter; other types get an empty answer.
"""

from __future__ import annotations

import socket
import struct
import threading

A, MX, AAAA = 1, 15, 28

HOSTS: dict[str, str] = {
    "localhost": "127.0.0.1",
    "mail.example.net": "127.0.0.1",
    "mx.example.org": "127.0.0.1",
    "mx.example.com": "127.0.0.1",
    "refused.example.com": "127.0.0.1",
    "slow.example.com": "127.0.0.1",
}
# domain -> list of (preference, exchange); exchange "" is the null MX.
MXS: dict[str, list[tuple[int, str]]] = {
    "example.net": [(10, "mail.example.net")],
    "example.org": [(10, "mx.example.org")],
    "example.com": [(10, "mx.example.com")],
    "nullmx.example.com": [(0, "")],
    "deadmx.example.com": [(10, "mx1.gone.example.com"), (20, "mx2.gone.example.com")],
}


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _decode_question(packet: bytes) -> tuple[str, int, int]:
    pos, labels = 12, []
    while packet[pos]:
        length = packet[pos]
        labels.append(packet[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += length + 1
    qtype, _qclass = struct.unpack("!HH", packet[pos + 1 : pos + 5])
    return ".".join(labels).lower(), qtype, pos + 5


def answer(packet: bytes) -> bytes:
    """The response to one query packet."""
    qid, flags = struct.unpack("!HH", packet[:4])
    name, qtype, end = _decode_question(packet)
    question = packet[12:end]
    known = name in HOSTS or name in MXS
    records: list[bytes] = []
    if qtype == A and name in HOSTS:
        rdata = socket.inet_aton(HOSTS[name])
        records.append(b"\xc0\x0c" + struct.pack("!HHIH", A, 1, 60, len(rdata)) + rdata)
    elif qtype == MX and name in MXS:
        for pref, exchange in MXS[name]:
            rdata = struct.pack("!H", pref) + _encode_name(exchange)
            records.append(b"\xc0\x0c" + struct.pack("!HHIH", MX, 1, 60, len(rdata)) + rdata)
    rcode = 0 if known else 3
    out_flags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode
    header = struct.pack("!HHHHHH", qid, out_flags, 1, len(records), 0, 0)
    return header + question + b"".join(records)


def serve_forever(host: str = "127.0.0.1", port: int = 53) -> None:
    """Answer queries on a UDP socket until the process exits."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(packet), peer)
        except (IndexError, struct.error, UnicodeError):
            continue


def start_in_thread(host: str = "127.0.0.1", port: int = 53) -> threading.Thread:
    """Start the server in a daemon thread (it ends with the process)."""
    thread = threading.Thread(target=serve_forever, args=(host, port), daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    serve_forever()
