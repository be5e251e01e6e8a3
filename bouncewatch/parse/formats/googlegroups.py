"""Google Groups refusals: a post the group did not take, told to its sender by Google's
mailer daemon.  The failed recipient is the group's address, named only in
`X-Failed-Recipients`; the text is in the sender's language, and always ends with the
Groups Help Center link:

    X-Failed-Recipients: team-updates@googlegroups.com

    Hello sender@example.org,

    We're writing to let you know that the group you tried to contact (team-updates) may
    not exist, or you may not have permission to post messages to the group. A few more
    details on why you weren't able to post:

     * You might have spelled or formatted the group name incorrectly.
     * The owner of the group may have removed this group.
     …

    If you have questions related to this or any other Google Group, visit the Help Center
    at https://groups.google.com/support/.

    Thanks,

    Google Groups

The diagnostic is the text from the paragraph after the greeting to the Help Center line
(the link included: the provider rows recognise the notice by it in any language); a notice
without the link is recognised by the group's googlegroups.com address or Google's
signature, and read up to that signature.
"""

from __future__ import annotations

import re
from email.message import Message

from bouncewatch.parse.base import Detection
from bouncewatch.parse.formats._common import (
    ADDR_RE,
    body_text,
    bounce,
    cut,
    message_info,
    report,
)
from bouncewatch.parse.lazyre import lazy_compile

_LINK = "groups.google.com/support"
_ENDS = ("----- Original message -----", "Content-Type: message/rfc822")
_PARAGRAPHS_RE = lazy_compile(r"\n[ \t]*\n")
#: the notice's signature, in any language ("Google Groups", "Google グループ")
_SIGNED_RE = lazy_compile(
    r"^Google[ -](?:Groups|グループ|Gruppen|Groupes|Grupos|Gruppi|Groepen)[ \t]*$", re.M
)
#: a one-line greeting: "Hello sender@example.org,", "sender@example.org 様"
_GREETING_RE = lazy_compile(r"[^\n]{1,120},|[^\n]{0,60}@[^\n]{1,60}")
_SIGNATURE_RE = lazy_compile(r"[^\n]{0,40}(?:,|Google[^\n]{0,30})")


class GoogleGroupsDetector:
    """Google Groups: X-Failed-Recipients and the Groups Help Center link."""

    name = "googlegroups"
    title = "Google Groups (a post the group refused)"
    description = (
        "From Google's mailer daemon; X-Failed-Recipients names the group; the text (in the"
        " sender's language) links to groups.google.com/support or is signed by Google Groups"
    )
    reference = (
        "https://support.google.com/groups/answer/2464926 (Google Groups posting permissions)"
    )
    screened = True

    def detect(self, msg: Message) -> Detection | None:
        info = message_info(msg)
        failed = info.raw.get("x-failed-recipients", "")
        if not failed or not info.daemon:
            return None
        body = body_text(msg)
        if "Google" not in body and _LINK not in body and "googlegroups.com" not in failed.lower():
            return None  # no link, no signature (_SIGNED_RE), no group: none of the tests below
        text = cut(body, *_ENDS)
        end = text.find(_LINK)
        if end >= 0:
            stop = text.find("\n", end)
            end = stop if stop >= 0 else len(text)
        elif "googlegroups.com" in failed.lower() or _SIGNED_RE.search(text):
            end = len(text)  # a notice without the Help Center link: up to the signature
        else:
            return None
        paragraphs = [p.strip() for p in _PARAGRAPHS_RE.split(text[:end]) if p.strip()]
        if len(paragraphs) > 1 and _GREETING_RE.fullmatch(paragraphs[0]):
            paragraphs = paragraphs[1:]  # "Hello sender@example.org,"
        while paragraphs and _SIGNATURE_RE.fullmatch(paragraphs[-1]):
            paragraphs.pop()  # "Thanks," / "Google Groups"
        diagnostic = " ".join(" ".join(paragraphs).split()) or None
        return bounce(report(a, "failed", diagnostic) for a in ADDR_RE.findall(failed))
