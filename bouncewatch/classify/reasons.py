"""The closed vocabulary of reasons: description, bounce type, status codes and phrases.

Everything the classifier knows about a reason lives here, in one place:

- ``REASON_INFO``: every reason of ``model.REASONS`` with its description, its default bounce
  type (taken from ``model.REASONS``) and the RFC 3463 status codes that indicate it
  (``"x.1.1"`` = any class, ``"5.3.2"`` = that code only; exact codes win);
- ``LAST_RESORT_STATUSES``: codes too vague to beat any wording (``x.7.0``, ``x.7.1``: a
  "550 5.7.1" is as often "user unknown" or "blocklisted" as it is "policy");
- ``GAVE_UP_PHRASES``: the MTA's own statement that it gave up retrying ("retry timeout
  exceeded"); it marks the result ``expired`` and the search goes on for the cause the rest
  of the text quotes (the reason is ``expired`` only when there is none);
- ``STRONG_PHRASES``: specific wording, as ``(reason, patterns)`` tiers in a FIXED order --
  the first tier holding a matching pattern decides, and it beats the status code;
- ``WEAK_PHRASES``: generic wording ("blocked", "rejected", "try again later"), consulted
  only after the status table has had its say.  A bare "try again later" is read as
  greylisting (soft), as most greylisting implementations word it so.

Why this order: texts naming a *temporary* condition come first because their senders often
add alarming words ("temporarily deferred due to unexpected volume or user complaints" is
rate limiting); then refusals of the sender or content (virus, authentication, block lists,
sender policy) because such replies often end with "… mailbox unavailable"; then the mailbox
states (full, too large, moved, disabled) and address syntax before domain and "user unknown"
wording; then spam content, queue expiry, transport and system failures.

Patterns are lower case and run on lower-cased, white-space-squashed text (see
``matcher``).  A match gives the rule ``text:<reason>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bouncewatch.model import REASONS


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    name: str
    description: str
    bounce_type: str
    statuses: tuple[str, ...]  #: status codes ("5.1.1", or class-free "x.1.1") indicating it


def _r(name: str, description: str, *statuses: str) -> ReasonInfo:
    return ReasonInfo(name, description, REASONS[name], statuses)


# fmt: off
_INFO = (
    _r("user_unknown", "the mailbox does not exist at the receiving domain",
       "x.1.1", "x.1.0", "x.1.4"),
    _r("mailbox_disabled", "the mailbox exists but is disabled, suspended or inactive",
       "x.2.1", "x.7.13"),
    _r("domain_not_found", "the recipient domain does not exist or cannot be routed",
       "x.1.2", "x.4.4"),
    _r("address_invalid", "the recipient address is syntactically invalid", "x.1.3"),
    _r("has_moved", "the recipient has moved and left no forwarding",
       "x.1.6", "x.7.17", "x.7.18"),
    _r("not_accept", "the domain accepts no mail (null MX, RFC 7505)", "5.3.2", "x.1.10"),
    _r("mailbox_full", "the mailbox is over quota", "x.2.2"),
    _r("message_too_large", "the message exceeds a size limit", "x.2.3", "x.3.4", "x.7.16"),
    _r("rate_limited", "too many messages or connections: the receiver throttles the sender",
       "x.4.5", "x.5.3", "x.7.28"),
    _r("greylisted", "greylisting: a first attempt is refused on purpose, retry later"),
    _r("network_error", "no connection, timeouts, DNS lookup or routing failures, loops",
       "x.4.0", "x.4.1", "x.4.2", "x.4.3", "x.4.6"),
    _r("expired", "the message stayed in the queue too long and was given up", "x.4.7"),
    _r("system_error", "the receiving system failed (temporary local problem, misconfiguration)",
       "x.2.0", "x.2.4", "x.3.0", "x.3.1", "4.3.2", "x.3.3", "x.3.5", "x.5.0", "x.5.1",
       "x.5.2", "x.5.4", "x.5.5"),
    _r("blocked", "the sending IP, host or domain is refused: block list, reputation, rDNS"),
    _r("spam_content", "the message was refused as spam"),
    _r("policy", "refused by the receiver's policy (last resort for x.7.x)",
       "x.1.7", "x.1.8", "x.6.0", "x.6.1", "x.6.2", "x.6.3", "x.6.4", "x.6.5", "x.6.6",
       "x.6.7", "x.6.8", "x.6.9", "x.6.10", "x.7.0", "x.7.1", "x.7.2", "x.7.3", "x.7.4",
       "x.7.6", "x.7.10", "x.7.11", "x.7.14", "x.7.15", "x.7.19", "x.7.30"),
    _r("auth_failure", "sender authentication failed: SPF, DKIM, DMARC, ARC, reverse DNS",
       "x.7.5", "x.7.7", "x.7.8", "x.7.9", "x.7.12", "x.7.20", "x.7.21", "x.7.22", "x.7.23",
       "x.7.24", "x.7.25", "x.7.26", "x.7.27", "x.7.29"),
    _r("virus", "the message carried (or looked like it carried) malware"),
    _r("relay_denied", "the receiver refused to relay for the recipient domain"),
    _r("complaint", "the recipient reported the message as spam (ARF feedback report)"),
    _r("auto_reply", "an automatic reply (vacation, out of office), not a bounce"),
    _r("delayed", "a delay notice: delivery is still being retried"),
    _r("delivered", "a success notice (delivered, relayed or expanded)"),
    _r("unknown", "nothing decided: no known text, status or reply code"),
)
# fmt: on

REASON_INFO: dict[str, ReasonInfo] = {info.name: info for info in _INFO}


def _status_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for info in _INFO:
        for status in info.statuses:
            if status in table:
                raise ValueError(f"status {status} listed for two reasons")
            table[status] = info.name
    return table


#: "x.1.1" -> reason (any class), "5.3.2" -> reason (exact): exact entries win.
STATUS_TABLE: dict[str, str] = _status_table()

#: class-free codes that decide only when no wording did (weak phrases go first).
LAST_RESORT_STATUSES: frozenset[str] = frozenset({"x.7.0", "x.7.1"})


def reason_for_status(status: str) -> tuple[str | None, bool]:
    """(reason, last_resort) indicated by an RFC 3463 status alone; (None, False) if none."""
    reason = STATUS_TABLE.get(status)
    if reason is not None:
        return reason, False
    key = "x" + status[1:]
    reason = STATUS_TABLE.get(key)
    return reason, key in LAST_RESORT_STATUSES


# fmt: off
# --- phrases, in evaluation order -------------------------------------------------------------

#: explicit statements that the MTA gave up: the last attempt's wording comes after them
_GAVE_UP = (
    r"retry timeout exceeded", r"delivery time expired", r"message expired",
    r"in the queue too long", r"too long in (?:the )?queue", r"could not be delivered for \d+ days",
    r"retry time not reached for any host", r"have been failing for a long time",
    r"unable to deliver in \d+ minutes",
    r"envelope expired", r"delivery failed \d+ attempts", r"already made numerous attempts",
    r"delivery aborted after \d+(?:\.\d+)? (?:hour|day|minute)",
)

_GREYLISTED = (
    r"greylist", r"greylisted", r"greylisting", r"graylist", r"graylisted", r"graylisting",
    r"grey[- ]list(?:ed|ing)?\b", r"gray[- ]list(?:ed|ing)?\b", r"postgrey",
    r"greylisting in action", r"please try again in \d+ seconds",
    r"temporarily rejected\W+try again later", r"you are being delayed",
    r"deferred for greylisting", r"triplet", r"please retry later\W+.{0,30}first time",
    r"try again in \d+ minutes?\b.{0,20}(?:new|unknown) (?:sender|triplet|relay)",
)

_RATE_LIMITED = (
    r"rate limit", r"rate limits", r"rate limited", r"rate limiting", r"ratelimit", r"ratelimited",
    r"rate-limit", r"rate-limited", r"too many connections", r"too many concurrent",
    r"too many messages", r"too many recipients", r"too many sessions", r"too many emails",
    r"too many mails", r"too much mail", r"too fast", r"slow down", r"sending rate",
    r"unusual rate", r"unexpected volume", r"high volume", r"excessive volume", r"volume of mail",
    r"throttled", r"throttling", r"connection limit", r"connection rate", r"message rate",
    r"daily sending quota", r"sending quota exceeded", r"sending limits?\b", r"submission quota",
    r"exceed(?:s|ed)? the maximum number of", r"maximum (?:number of )?connections",
    r"max connections", r"temporarily deferred", r"\[tss04\]", r"server busy",
    r"resources temporarily unavailable", r"try again later.{0,40}limit",
    r"limits for how many messages", r"mail flood",
    r"too many (?:invalid|bad|unknown) recipients",
    r"frequency limited", r"frequency limit", r"sending frequency", r"too frequent(?:ly)?",
    r"emails per hour", r"messages per hour", r"too many smtp sessions",
    r"too many errors from your ip", r"trop de connexions",
    r"receiving mail too quickly", r"max message per connection",
)

_VIRUS = (
    r"virus", r"viruses", r"malware", r"infected", r"trojan", r"dangerous attachment",
    r"potential security issue", r"executable (?:file|attachment|content)",
    r"attachment (?:type )?(?:is )?not allowed", r"banned attachment", r"prohibited attachment",
    r"harmful content",
)

_AUTH_FAILURE = (
    r"spf", r"dkim", r"dmarc", r"sender policy framework", r"domainkeys",
    r"unauthenticated (?:e-?mail|mail|message)", r"is unauthenticated", r"not authenticated",
    r"authentication required", r"authentication failed", r"authentication checks",
    r"must authenticate", r"fails? to pass authentication", r"does not have authentication",
    r"required authentication level", r"valid sender domain", r"arc validation",
    r"smtp authentication", r"authentication failure", r"authentication credentials invalid",
    r"authentication turned on", r"unauthenticated senders not allowed",
    r"you don'?t authenticate", r"authentification (?:invalide|requise)",
    r"account not subscribed to ses", r"not authorized to perform ses:",
    r"sender address has null mx", r"sender domain has null mx",
)

_BLOCKED_STRONG = (
    r"blocked using", r"(?<!not )listed (?:at|in|on|by)", r"blacklist", r"blacklisted",
    r"black list", r"black listed", r"blocklist", r"blocklisted", r"block list", r"block listed",
    r"denylist", r"denylisted", r"dnsbl", r"rbl", r"spamhaus", r"barracuda", r"spamcop", r"sorbs",
    r"uceprotect", r"cloudmark", r"proofpoint", r"ipcheck", r"senderbase", r"abuseat",
    r"mailspike", r"psbl", r"ip reputation",
    r"reputation of (?:the|your) (?:sending )?(?:ip|domain|host)", r"poor reputation",
    r"low reputation", r"bad reputation", r"sender reputation", r"ip (?:address )?blocked",
    r"banned sending ip", r"banned ip", r"blocked ip", r"ip (?:address )?(?:is )?banned",
    r"host blocked", r"client host (?:\S+ )?blocked", r"client host rejected",
    r"connection refused by policy", r"not accepting mail from your ip", r"dynamic ip",
    r"dynamic address", r"dynamically[ -]assigned", r"residential", r"dialup", r"dial-up",
    r"on our block list", r"part of their network", r"permanently deferred",
    r"access denied.{0,20}traffic not accepted", r"refused to talk to me", r"spam source",
    r"your ip",
    # PTR / reverse DNS: the sending host's name, as the receiver sees it
    r"ptr records?\b", r"ptr resource record", r"reverse dns", r"reverse lookup", r"rdns",
    r"reverse (?:dns|ptr|name)", r"forward dns", r"cannot find your hostname",
    r"reverse hostname", r"ip name lookup failed", r"may not be mail exchanger",
    r"unverif(?:i|y)able sending ips?", r"invalid ip for sending",
    r"not a valid hostname", r"hostname (?:\S+ )?does not resolve",
    # the sending host refused by name or address (qmail: "Connected to … but my name was
    # rejected" is a refused HELO)
    r"but my name was rejected", r"access from ip address .{1,60} blocked",
    # a server that refuses the client in its greeting ("554 mx.example.com ESMTP not
    # accepting connections"): before any command, so about the connecting host
    r"\besmtp not accepting connections",
    r"bad sender ip address", r"blacklisted by", r"(?:blocked|refused) - see https?://",
    r"cannot resolve your address", r"confirm this mail server", r"currently sending spam",
    r"mismatches client ip", r"zombied", r"ip/domain reputation",
    r"mail server at .{1,80} is blocked", r"no access from mail server",
    r"not currently accepting mail from your ip",
    r"custom reverse dns", r"use the smtp server of your isp", r"open proxy",
    r"sender ip (?:address )?(?:rejected|reverse lookup rejected)", r"invalid rdns",
    r"listed as abusive", r"looks suspiciously like (?:a )?spammer", r"no reverse dns",
    r"too many spams from your ip", r"unresolvable relay host",
    r"server requires confirmation", r"do not accept mail from (?:dynamic|hosts with dynamic)",
    r"not allowed to connect", r"you are sending spam", r"after initial connection",
)

#: before the block lists: a URI block list (URIBL, SURBL) judges the links in the message,
#: not the sending host ("Blacklisted URL in message")
_SPAM_CONTENT_FIRST = (
    r"uribl", r"surbl", r"blacklisted (?:url|uri|link|domain) in (?:the )?message",
    r"(?:url|uri|link)s? in (?:the )?message (?:is |are )?(?:black|block)listed",
)

_SPAM_CONTENT = (
    r"spam", r"spammy", r"unsolicited", r"junk mail", r"bulk mail", r"looks like spam",
    r"content rejected", r"content filter", r"content filtering", r"suspicious", r"phishing",
    r"scam", r"fraud", r"fraudulent", r"message filtered", r"filtered",
    r"detected as bulk",
)

_MAILBOX_FULL = (
    r"mailbox full", r"mailbox is full", r"mailbox has exceeded", r"mailbox size limit",
    r"over quota", r"overquota", r"over its quota", r"over the quota", r"quota exceeded",
    r"quota (?:\S+ )?exceeded",
    r"exceeded (?:the )?(?:storage|quota|mailbox)", r"exceeds (?:the )?quota", r"disk quota",
    r"quota full", r"insufficient (?:disk )?space", r"out of (?:disk )?space",
    r"storage allocation", r"mailbox would exceed", r"not enough (?:disk )?space", r"is full",
    r"full mailbox", r"mailfolder is full", r"storage (?:space )?(?:is )?full", r"quotaexceeded",
    r"boite du destinataire pleine", r"recipient overquota",
    r"aux lettres (?:est )?pleine", r"destinataire (?:est )?pleine",
    r"quota (?:de stockage )?dépassé", r"postfach (?:ist )?voll",
    r"speicherplatz (?:ist )?(?:voll|erschöpft)", r"speicherkontingent überschritten",
    r"mailbox limit",
    r"mailbox exceeds", r"mailbox (?:size )?exceeds", r"exceeds (?:the |its )?(?:mailbox|storage)",
    r"over (?:the |its |their |his |her )?(?:allowed |mailbox |storage |disk )?quota",
    r"does not have enough space", r"exceeded the local limit", r"not enough storage space",
    r"quota violation", r"space has been used up", r"exceeding receiving limits",
    r"mail file size exceeds",
    r"disc quota",
)

_MESSAGE_TOO_LARGE = (
    r"message size exceeds", r"message too large", r"message is too large", r"message too big",
    r"too big", r"too large", r"size limit", r"size exceeds",
    r"exceeds (?:the )?(?:maximum|fixed maximum|allowed|size)", r"message length exceeds",
    r"maximum message size", r"exceeded .{0,20}message size", r"message exceeded", r"message size",
    r"mail size", r"line limit exceeded", r"line too long",
)

_NOT_ACCEPT = (
    r"null mx", r"nullmx", r"does not accept mail", r"domain does not accept", r"accepts no mail",
    r"does not receive mail", r"not accept(?:ing)? (?:any )?e?-?mail", r"no mail service",
    # qmail: the domain exists but names no mail host (no MX, no address; a null MX "0 ."
    # reads so), unlike "couldn't find any host named …" (#5.1.2) for a domain that doesn't
    r"(?:couldn'?t|could not) find a mail exchanger or ip address",
    r"no smtp service",
)

_HAS_MOVED = (
    r"has moved", r"user has moved", r"moved to", r"user not local", r"has left",
    r"no longer (?:at|with|employed)", r"forwarding address", r"new address",
    r"changed (?:his|her|their) address",
    r"no longer in use",
    r"ha(?:s|ve) moved",
)

_MAILBOX_DISABLED = (
    r"mailbox (?:\S+ ){0,3}disabled", r"account (?:\S+ ){0,3}disabled",
    r"user (?:\S+ ){0,3}disabled", r"address (?:\S+ ){0,3}disabled",
    r"recipient (?:\S+ ){0,3}disabled", r"disabled (?:mailbox|account|user|recipient)",
    r"deactivated", r"inactive", r"(?:mailbox|account|user|address) (?:is )?not active",
    r"account suspended",
    r"mailbox suspended", r"user suspended", r"(?:account|mailbox|user) (?:has been|is) suspended",
    r"suspended (?:account|mailbox|user)",
    r"account (?:has been |is )?(?:locked|blocked|frozen|closed|expired|terminated|deleted)",
    r"mailbox (?:has been |is )?(?:locked|blocked|frozen|closed|expired|removed|deleted)",
    r"user (?:account )?(?:has been |is )?(?:locked|blocked|frozen|expired|deleted)",
    r"no longer (?:active|available|valid)", r"discontinued",
    r"mailbox unavailable.{0,20}inactive", r"policy rejection on the target address",
    r"temporarily blocked the account",
    r"invalid/inactive user", r"(?:mailbox|account) (?:is )?currently suspended",
    r"recipient suspend(?:ed)? the service", r"account is locked",
)

_USER_UNKNOWN = (
    r"user unknown", r"unknown user", r"unknown recipient", r"recipient unknown",
    r"unknown (?:e-?mail )?address", r"unknown local part", r"unknown mailbox", r"no such user",
    r"no such recipient", r"no such mailbox", r"no such address", r"no such account",
    r"no such person", r"no such local user", r"no mailbox", r"mailbox not found",
    r"mailbox does not exist", r"mailbox unavailable", r"mailbox not available", r"user not found",
    r"user does not exist", r"user doesn'?t exist", r"recipient not found",
    r"recipient does not exist", r"address not found", r"address does not exist",
    r"address doesn'?t exist", r"account does not exist", r"account doesn'?t exist",
    r"doesn'?t have an? \S+ account", r"does not have an? \S+ account",
    r"not a valid (?:user|mailbox|recipient)", r"invalid (?:user|mailbox|recipient)",
    r"invalid address", r"not our customer", r"not found in directory", r"recipnotfound",
    r"recipientnotfound", r"no valid recipients", r"unknown or illegal alias",
    r"not listed in (?:\S+ ){0,4}(?:directory|address book)",
    r"unverified address", r"undeliverable address", r"not exist", r"is not a known user",
    r"no mailbox here", r"bad destination mailbox", r"not a valid mailbox",
    r"unknown in (?:local|virtual|relay)", r"addressee unknown", r"unknown or invalid",
    r"destinataire invalide", r"utilisateur inconnu",
    r"destinataire inconnu", r"adresse (?:e-?mail )?inconnue", r"utilisateur inexistant",
    r"adresse (?:e-?mail )?inexistante", r"aux lettres inexistante", r"compte inexistant",
    r"benutzer (?:ist )?unbekannt", r"unbekannter (?:benutzer|empfänger)",
    r"empfänger(?:adresse)? (?:ist )?unbekannt", r"postfach (?:ist )?unbekannt",
    r"postfach existiert nicht", r"adresse (?:ist )?unbekannt",
    r"address unknown", r"mailbox unknown",
    r"mailbox name not allowed", r"mailbox (?:is )?not available",
    r"user (?:<[^>]*>|\S+) (?:is )?unknown",
)

_ADDRESS_INVALID = (
    r"bad address syntax", r"address syntax", r"syntax error in (?:the )?(?:recipient|address)",
    r"malformed address", r"invalid address format", r"illegal address",
    r"invalid (?:recipient )?address syntax", r"not a valid address", r"bad recipient address",
    r"domain missing or malformed", r"mailbox syntax", r"bad address",
)

#: a full mailbox in words the rate-limit wording would claim ("too many messages", "too much
#: mail"): before it
_MAILBOX_FULL_FIRST = (r"too much mail data", r"too many messages on the server")

#: the sending software wrote a recipient field the MTA could not parse (Exim: "malformed
#: address: <b@example.org> may not follow a@example.org"): the address is fine, the message
#: was badly composed -- a local error, not the recipient's
_SENDER_SYNTAX = (r"malformed address: .{1,120} may not follow",)

#: DNS failures the reporting MTA calls temporary: before the domain wording they contain
_DNS_TEMPORARY = (
    r"host not found, try again", r"name service error .{0,120}try again",
    r"temporary failure in name resolution", r"dns (?:lookup|query) failed",
)

_DOMAIN_NOT_FOUND = (
    r"host or domain name not found", r"domain not found", r"domain name not found",
    r"no such domain", r"unrouteable address", r"unroutable address", r"nxdomain",
    r"host not found", r"host unknown", r"unknown host", r"name service error",
    r"domain (?:does not|doesn'?t) exist", r"dns domain .{1,80} does not exist",
    r"could not be resolved", r"no mx (?:record|host)", r"no valid mx", r"mx records? point",
    r"domain (?:is )?invalid", r"invalid domain", r"unknown domain",
    r"couldn'?t find any host named", r"non-existent (?:host|domain)", r"domain has no",
    r"domain \S+ (?:does not|doesn'?t) exist", r"domain must exist",
    r"mail domain mentioned in (?:the )?e-?mail address is unknown",
    # dma writes this only when the resolver said the name does not exist (a temporary
    # failure is retried, then reported as a give-up)
    r"dns lookup failure: host \S{1,255} not found",
)

_RELAY_DENIED = (
    r"relay access denied", r"relaying denied", r"relay denied", r"relay not permitted",
    r"not permitted to relay", r"unable to relay", r"relaying not allowed", r"we do not relay",
    r"relay not allowed", r"not allowed to relay", r"open relay", r"is not a local domain",
    r"not our domain", r"relaying mail to",
    r"allowed rcpthosts", r"rcpthosts",
    r"relaying (?:is )?disabled", r"relay (?:is )?disabled", r"not configured to relay",
    r"relaying to .{1,80} (?:prohibited|denied|not allowed)",
    r"insecure mail relay",
)

_EXPIRED = (
    r"retry timeout exceeded", r"delivery time expired", r"message expired", r"expired",
    r"too long in (?:the )?queue", r"in the queue too long", r"queue too long", r"maximum time",
    r"giving up", r"gave up", r"could not be delivered for \d+ days", r"retry time not reached",
    r"have been failing for a long time", r"time limit exceeded",
)

_NETWORK_ERROR = (
    r"connection refused", r"connection timed out", r"connection timeout", r"timed out",
    r"network is unreachable", r"no route to host", r"host unreachable", r"connection reset",
    r"could not find a gateway",
    r"connection closed", r"lost connection", r"broken pipe", r"unable to connect",
    r"could not connect", r"couldn'?t connect", r"failed to connect",
    r"establish (?:an )?smtp connection", r"conversation with .{1,80} timed out",
    r"temporary failure in name resolution", r"dns (?:lookup|query|server) fail(?:ed|ure)?",
    r"servfail", r"dns error", r"did not accept our requests to connect",
    r"hop count exceeded", r"mail loop", r"loops back to myself", r"looping", r"routing loop",
    r"too many hops", r"tls (?:handshake|negotiation) fail", r"certificate verification failed",
    r"ssl handshake",
    r"network is down", r"network (?:is )?unreachable", r"host is down",
    r"name or service not known", r"forwarding loop",
)

_SYSTEM_ERROR = (
    r"temporary local problem", r"local error", r"internal server error", r"internal error",
    r"system error", r"server error", r"out of memory", r"resources unavailable", r"misconfigured",
    r"configuration error", r"mail system full", r"insufficient system storage",
    r"local delivery failed", r"unable to deliver.{0,20}at this time",
    r"could not load", r"failed to load",
    # a local delivery program that failed (Exim "pipe to |/usr/bin/prog …: <its output>",
    # Sendmail "unknown mailer error 1")
    r"pipe to \|", r"unknown mailer error",
)

_POLICY_STRONG = (
    r"sender address rejected", r"sender rejected", r"sender (?:address )?(?:is )?not allowed",
    r"sender (?:address )?denied", r"sender domain (?:is )?(?:not|in)", r"from address rejected",
    r"not authorized to send", r"restricted to internal senders", r"does not accept your sender",
    r"sender domain (?:has no|does not|doesn'?t)", r"domain of sender address",
    r"sender address domain", r"only accept(?:s|ing)? mail from",
    r"tls (?:is )?required", r"requires? tls", r"encryption (?:is )?required",
    r"sender domain .{0,60}resolv(?:e|ed)",
    r"unroutable sender", r"sender verif(?:y|ication) (?:failed|failure)",
    r"could not verify sender", r"invalid sender", r"sender (?:address )?(?:is )?invalid",
    r"emetteur invalide", r"mail from not owned by user", r"bad sender",
    r"but sender was rejected", r"null sender is not allowed",
    r"empty envelope senders? (?:is )?not allowed", r"sender not pre-approved",
    r"not a registered gateway user", r"returned mail not accepted here",
    r"does not accept mail from", r"fully qualified (?:e-?mail )?address required",
    r"members-only list", r"not allowed to post", r"outgoing mail suspension",
    r"sender domain is empty", r"from: domain is invalid", r"badsendermx", r"sendernoa",
    r"purported responsible address", r"sender is (?:on|in) .{0,40}list",
    r"denied by policy", r"rejected by policy", r"policy violation",
    r"not accepted for policy reasons", r"rejected for policy reasons", r"closed mailing list",
    r"header error", r"headers are not accepted", r"messages with multiple addresses",
    r"protocol violation", r"not subscribed to this group",
    r"not accepting mail with (?:attachments|embedded images)",
    r"violates (?:our|the) (?:\S+ )?polic(?:y|ies)",
    r"not rfc \d* ?compliant", r"headers are not rfc compliant", r"duplicate header",
    r"headers? too large", r"too many headers",
    # a mailing list refusing a post (fml: "You are not a member of this mailing list <…>")
    r"not a member of (?:this|the) (?:mailing )?list",
)

# --- weak tier: generic wording, consulted only after the status table ---------------------

_BLOCKED_WEAK = (
    r"blocked", r"banned", r"refused", r"access denied", r"not allowed",
    r"administrative prohibition", r"prohibited", r"denied",
)

#: a bare "try again later" is how most greylisting implementations word their refusal
_GREYLISTED_WEAK = (
    r"try again later", r"please try later", r"try later", r"please retry later",
    r"retry later", r"please come back later",
)

_SYSTEM_ERROR_WEAK = (
    r"temporary failure", r"temporarily unavailable", r"service unavailable",
    r"service not available", r"temporary error", r"service (?:is )?currently unavailable",
    r"delivery temporarily suspended", r"requested action aborted", r"transient", r"deferred",
)

_POLICY = (
    r"policy", r"policies", r"not authorized", r"unauthorized", r"not permitted", r"restricted",
    r"restriction", r"message rejected", r"rejected", r"not accepted", r"forbidden",
    r"security reasons", r"compliance",
)

#: first of all, before even the provider rows: the MTA's own statement that it gave up.
GAVE_UP_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (("expired", _GAVE_UP),)

#: strong tier: (reason, patterns) in evaluation order; consulted before the status table.
STRONG_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("greylisted", _GREYLISTED),
    ("mailbox_full", _MAILBOX_FULL_FIRST),
    ("rate_limited", _RATE_LIMITED),
    ("virus", _VIRUS),
    ("auth_failure", _AUTH_FAILURE),
    ("spam_content", _SPAM_CONTENT_FIRST),
    ("blocked", _BLOCKED_STRONG),
    ("policy", _POLICY_STRONG),
    ("not_accept", _NOT_ACCEPT),
    ("mailbox_full", _MAILBOX_FULL),
    ("message_too_large", _MESSAGE_TOO_LARGE),
    ("relay_denied", _RELAY_DENIED),
    ("has_moved", _HAS_MOVED),
    ("mailbox_disabled", _MAILBOX_DISABLED),
    ("system_error", _SENDER_SYNTAX),
    ("address_invalid", _ADDRESS_INVALID),
    ("network_error", _DNS_TEMPORARY),
    ("domain_not_found", _DOMAIN_NOT_FOUND),
    ("user_unknown", _USER_UNKNOWN),
    ("spam_content", _SPAM_CONTENT),
    ("expired", _EXPIRED),
    ("network_error", _NETWORK_ERROR),
    ("system_error", _SYSTEM_ERROR),
)

#: weak tier: consulted after the status table, before the last-resort statuses.
WEAK_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("blocked", _BLOCKED_WEAK),
    ("greylisted", _GREYLISTED_WEAK),
    ("system_error", _SYSTEM_ERROR_WEAK),
    ("policy", _POLICY),
)
# fmt: on
