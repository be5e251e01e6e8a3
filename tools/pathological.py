"""Pathological messages: one builder per shape that has made a regex or a loop of the parser
super-linear, each taking the size of its long part in bytes.

`tests/test_growth.py` times each at n, 2n and 4n; `tools/fuzz.py` mixes them into its inputs.
A new shape found by the fuzzer or by reading a regex is one more builder here.  `salt`
changes a few bytes of the long part, so that repeated measurements miss the parser's caches.
"""

from __future__ import annotations

from collections.abc import Callable

_HEAD = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
    b"To: bounces@sender.example\n"
    b"Subject: Undelivered Mail Returned to Sender\n"
    b"Date: Tue, 14 May 2024 09:58:15 +0000\n"
    b"Message-ID: <dsn.1234@mx.example.net>\n"
)
_REPORT_HEAD = (
    b"MIME-Version: 1.0\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    b"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
    b"--B\nContent-Type: message/delivery-status\n\n"
    b"Reporting-MTA: dns; mx.example.net\n\n"
)


def _dsn(fields: bytes, returned: bytes = b"") -> bytes:
    return _HEAD + _REPORT_HEAD + fields + b"\n" + returned + b"--B--\n"


def dsn_diagnostic(n: int, salt: int = 0) -> bytes:
    """A DSN whose Diagnostic-Code is `550 aaaa…` (one word, no spaces)."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.0.0\n"
        b"Diagnostic-Code: smtp; 550 " + b"a" * n + b"%d\n" % salt
    )


def dsn_diagnostic_user_unknown(n: int, salt: int = 0) -> bytes:
    """A "user unknown" Diagnostic-Code followed by one long word (the classifier looks for
    other addresses in an address-level diagnostic)."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.0.0\n"
        b"Diagnostic-Code: smtp; 550 user unknown " + b"a." * (n // 2) + b"%d @\n" % salt
    )


def dsn_diagnostic_brackets(n: int, salt: int = 0) -> bytes:
    """A Diagnostic-Code of unclosed brackets and parentheses: `550 <[(<[(…`."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.0.0\n"
        b"Diagnostic-Code: smtp; 550 " + b"<[(" * (n // 3) + b"%d\n" % salt
    )


def dsn_diagnostic_dotted(n: int, salt: int = 0) -> bytes:
    """A Diagnostic-Code that looks like one endless host name: `550 a.a.a.a…!`."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.0.0\n"
        b"Diagnostic-Code: smtp; 550 " + b"a." * (n // 2) + b"%d!\n" % salt
    )


def rfc822_headers_to(n: int, salt: int = 0) -> bytes:
    """A DSN returning `text/rfc822-headers` whose To: is one long word without @."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.1.1\n",
        b"--B\nContent-Type: text/rfc822-headers\n\n"
        b"From: sender@sender.example\nTo: " + b"a" * n + b"%d\nSubject: hello\n\n" % salt,
    )


def rfc822_headers_blanks(n: int, salt: int = 0) -> bytes:
    """Returned headers with a line of one letter and n blanks, no colon."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.1.1\n",
        b"--B\nContent-Type: text/rfc822-headers\n\n"
        b"From: sender@sender.example\nX" + b" " * n + b"%d\n\n" % salt,
    )


def dsn_field_without_colon(n: int, salt: int = 0) -> bytes:
    """A recipient block with a line of n dashes and no colon."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"X" + b"-" * n + b"%d\n" % salt
    )


def dsn_blank_lines(n: int, salt: int = 0) -> bytes:
    """A delivery-status part whose recipient block is followed by n empty lines."""
    return _dsn(
        b"Final-Recipient: rfc822; user%d@example.com\nAction: failed\nStatus: 5.1.1\n" % salt
        + b"\n" * n
    )


def returned_message_to(n: int, salt: int = 0) -> bytes:
    """A DSN returning the whole message (message/rfc822) with a To: of n bytes of `a@`."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.1.1\n",
        b"--B\nContent-Type: message/rfc822\n\n"
        b"From: sender@sender.example\nTo: "
        + b"a@" * (n // 2)
        + b"%d\nSubject: hello\n\nhi\n\n" % salt,
    )


def returned_to_groups(n: int, salt: int = 0) -> bytes:
    """A DSN returning headers whose To: opens n // 2 address groups (`a:a:a:…`)."""
    return _dsn(
        b"Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: 5.1.1\n",
        b"--B\nContent-Type: text/rfc822-headers\n\n"
        b"From: sender@sender.example\nTo: " + b"a:" * (n // 2) + b'%d"x"@y.example\n\n' % salt,
    )


def from_without_at(n: int, salt: int = 0) -> bytes:
    """A bounce whose From: is one long word without @."""
    return (
        b"From: "
        + b"a" * n
        + (b"%d\nTo: bounces@sender.example\n" % salt)
        + b"Subject: Delivery Status Notification (Failure)\n\nhello\n"
    )


def from_address_list(n: int, salt: int = 0) -> bytes:
    """A bounce whose From: lists n // 7 addresses."""
    return (
        b"From: "
        + b"a@b.c, " * (n // 7)
        + (b"x%d@b.c\nTo: bounces@sender.example\n" % salt)
        + b"Subject: Undelivered Mail Returned to Sender\n\n"
        b"This is the mail system at host mx.example.net.\n\n<u@example.com>: no such user\n"
    )


def from_angles(n: int, salt: int = 0) -> bytes:
    """A bounce whose From: is n unclosed angle brackets."""
    return (
        b"From: "
        + b"<" * n
        + (b"%d\nTo: bounces@sender.example\n" % salt)
        + b"Subject: Delivery Status Notification (Failure)\n\nhello\n"
    )


def to_without_at(n: int, salt: int = 0) -> bytes:
    """A bounce whose own To: is one long word without @."""
    return (
        b"From: MAILER-DAEMON@mx.example.net\nTo: "
        + b"a" * n
        + (b"%d\n" % salt)
        + b"Subject: Undelivered Mail Returned to Sender\n\n"
        b"This is the mail system at host mx.example.net.\n"
    )


def verp_delivered_to(n: int, salt: int = 0) -> bytes:
    """`Delivered-To: bounces+bounces+bounces+…` (the VERP pattern's `+` repeated)."""
    return (
        b"Delivered-To: " + b"bounces+" * (n // 8) + b"%d\n" % salt + _HEAD + b"\n"
        b"This is the mail system at host mx.example.net.\n\n"
        b"I'm sorry to have to inform you that your message could not be delivered.\n"
    )


def html_angles(n: int, salt: int = 0) -> bytes:
    """An HTML bounce body of n unclosed `<`."""
    return (
        _HEAD
        + b"MIME-Version: 1.0\nContent-Type: text/html\n\n<p>Delivery failed</p>"
        + b"<" * n
        + b"%d" % salt
    )


def html_unclosed_scripts(n: int, salt: int = 0) -> bytes:
    """An HTML bounce body of n // 8 unclosed `<script` and `<p` openings."""
    return (
        _HEAD
        + b"MIME-Version: 1.0\nContent-Type: text/html\n\n<p>Delivery failed</p>"
        + b"<script<p " * (n // 10)
        + b"%d" % salt
    )


def encoded_words(n: int, salt: int = 0) -> bytes:
    """A Subject of encoded words, one after another."""
    return (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: " + b"=?utf-8?q?Undelivered?= " * (n // 24) + b"%d\n\nhello\n" % salt
    )


def postfix_said_in_reply(n: int, salt: int = 0) -> bytes:
    """A Postfix bounce whose reply repeats an unclosed `(in reply to `."""
    return (
        _HEAD + b"\nThis is the mail system at host mx.example.net.\n\n"
        b"I'm sorry to have to inform you that your message could not\n"
        b"be delivered to one or more recipients.\n\n"
        b"<user@example.com>: host mx.example.com[192.0.2.1] said: 550 "
        + b"(in reply to " * (n // 13)
        + b"%d\n" % salt
    )


def text_many_recipients(n: int, salt: int = 0) -> bytes:
    """A Postfix-style text bounce listing recipients, 50 bytes each."""
    lines = b"".join(
        b"<user%06d@example.com>: host mx said: 550 5.1.1 no\n" % (i + salt) for i in range(n // 50)
    )
    return (
        _HEAD + b"\nThis is the mail system at host mx.example.net.\n\n"
        b"I'm sorry to have to inform you that your message could not\n"
        b"be delivered to one or more recipients.\n\n" + lines
    )


def dsn_many_recipients(n: int, salt: int = 0) -> bytes:
    """A DSN with one recipient block per ~100 bytes."""
    blocks = b"".join(
        b"Final-Recipient: rfc822; user%06d@example.com\nAction: failed\nStatus: 5.1.1\n\n"
        % (i + salt)
        for i in range(n // 75)
    )
    return _dsn(blocks)


def dsn_blocks_with_bodies(n: int, salt: int = 0) -> bytes:
    """A DSN of n // 100 recipient blocks, each with a line that is not a field (a body the
    parser reads up to the next blank line, with the closing boundary far away)."""
    blocks = b"".join(
        b"Final-Recipient: rfc822; user%06d@example.com\nAction: failed\nStatus: 5.1.1\n"
        b"a line that is not a field\n\n" % (i + salt)
        for i in range(n // 100)
    )
    return _dsn(blocks)


def failed_recipients_shared_notice(n: int, salt: int = 0) -> bytes:
    """A Google Workspace notice naming n // 400 addresses in X-Failed-Recipients and n bytes
    of notice text that every one of them shares as its diagnostic."""
    addresses = b", ".join(b"user%06d@example.com" % (i + salt) for i in range(n // 400))
    return (
        b"X-Failed-Recipients: " + addresses + b"\n" + _HEAD + b"\n** Message not delivered **\n\n"
        b"There was a problem delivering your message. " + b"word " * (n // 5) + b"\n"
    )


def dsn_many_generic(n: int, salt: int = 0) -> bytes:
    """A DSN of n // 128 recipients with a generic status each, their replies in the text
    part (every recipient's fields are recovered from the text)."""
    count = n // 128
    text = b"".join(
        b"<user%06d@example.com>: 550 5.1.1 no such user\n" % (i + salt) for i in range(count)
    )
    blocks = b"".join(
        b"Final-Recipient: rfc822; user%06d@example.com\nAction: failed\nStatus: 5.0.0\n\n"
        % (i + salt)
        for i in range(count)
    )
    return (
        _HEAD + b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\n" + text + b"\n"
        b"--B\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\n" + blocks + b"--B--\n"
    )


def mime_nesting(n: int, salt: int = 0) -> bytes:
    """multipart/mixed nested n // 60 deep, a DSN at the bottom."""
    depth = max(1, n // 60)
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="N%d"\n\n--N%d\n' % (i, i) for i in range(depth)
    )
    closing = b"".join(b"\n--N%d--\n" % i for i in reversed(range(depth)))
    return (
        _HEAD + b"MIME-Version: 1.0\n" + opening + b"Content-Type: text/plain\n\n"
        b"550 5.1.1 <user%d@example.com>: user unknown\n" % salt + closing
    )


def folded_header(n: int, salt: int = 0) -> bytes:
    """A Subject folded into n // 4 continuation lines."""
    return (
        b"From: MAILER-DAEMON@mx.example.net\nTo: bounces@sender.example\n"
        b"Subject: Undelivered" + b"\n a " * (n // 4) + b"%d\n\nhello\n" % salt
    )


#: name -> builder; the order is the order of the growth tests
def failed_recipients_without_at(n: int, salt: int = 0) -> bytes:
    """An Exim text bounce whose X-Failed-Recipients is one long word without @ (the text
    decoders look for addresses in it)."""
    return (
        b"X-Failed-Recipients: " + b"a" * n + b"%d\n" % salt + b"From: Mail Delivery System "
        b"<Mailer-Daemon@mx.example.net>\nTo: bounces@sender.example\n"
        b"Subject: Mail delivery failed: returning message to sender\n\n"
        b"This message was created automatically by mail delivery software.\n\n"
        b"A message that you sent could not be delivered to one or more of its\n"
        b"recipients. This is a permanent error. The following address(es) failed:\n\n"
        b"  gone@\n"
    )


SHAPES: dict[str, Callable[[int, int], bytes]] = {
    f.__name__: f
    for f in (
        dsn_diagnostic,
        dsn_diagnostic_user_unknown,
        dsn_diagnostic_brackets,
        dsn_diagnostic_dotted,
        rfc822_headers_to,
        rfc822_headers_blanks,
        dsn_field_without_colon,
        dsn_blank_lines,
        returned_message_to,
        returned_to_groups,
        from_without_at,
        from_angles,
        from_address_list,
        to_without_at,
        verp_delivered_to,
        html_angles,
        html_unclosed_scripts,
        encoded_words,
        postfix_said_in_reply,
        text_many_recipients,
        dsn_many_recipients,
        dsn_blocks_with_bodies,
        failed_recipients_shared_notice,
        dsn_many_generic,
        mime_nesting,
        folded_header,
        failed_recipients_without_at,
    )
}

__all__ = ["SHAPES"]
