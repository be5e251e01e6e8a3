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
(the link included: the provider rows recognise the notice by it in any language).
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

_LINK = "groups.google.com/support"
_ENDS = ("----- Original message -----", "Content-Type: message/rfc822")
_PARAGRAPHS_RE = re.compile(r"\n[ \t]*\n")


class GoogleGroupsDetector:
    """Google Groups: X-Failed-Recipients and the Groups Help Center link."""

    name = "googlegroups"
    title = "Google Groups (a post the group refused)"
    description = (
        "From Google's mailer daemon; X-Failed-Recipients names the group; the text (in the"
        " sender's language) links to groups.google.com/support"
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
        text = cut(body_text(msg), *_ENDS)
        link = text.find(_LINK)
        if link < 0:
            return None
        end = text.find("\n", link)
        paragraphs = [p for p in _PARAGRAPHS_RE.split(text[: end if end >= 0 else None]) if p]
        # the first paragraph is the greeting ("Hello sender@example.org,") when there are more
        notice = paragraphs[1:] if len(paragraphs) > 1 else paragraphs
        diagnostic = " ".join(" ".join(notice).split()) or None
        return bounce(report(a, "failed", diagnostic) for a in ADDR_RE.findall(failed))
