"""Provider knowledge as data: what big receivers and filters say, and what it means.

Each row is ``(provider, id, text pattern, reason, source, example, host)``:

- ``text``: a lower-case regex for the provider's verbatim wording (matched on the
  lower-cased, white-space-squashed diagnostic, like every phrase; see ``matcher``);
- ``host``: optional regex that must also match the remote MTA, the reporting MTA or the
  diagnostic itself (providers sign their replies: "gsmtp", "prod.outlook.com", "yahoo.com");
  rows whose wording is unique to the provider have none;
- ``source``: where the wording is documented or commonly seen;
- ``example``: a verbatim reply; the tests classify every example and require this very row
  to decide it, so the table checks itself.

Rows are evaluated in table order, before any generic phrase: the first row whose text and
host both match decides, with the rule ``provider:<provider>:<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProviderRule:
    provider: str
    id: str
    text: str | tuple[str, ...]  #: one pattern, or several alternatives
    reason: str
    source: str
    example: str
    host: str | None = None

    @property
    def patterns(self) -> tuple[str, ...]:
        return (self.text,) if isinstance(self.text, str) else self.text

    @property
    def rule(self) -> str:
        return f"provider:{self.provider}:{self.id}"


GOOGLE = r"google\.com|googlemail\.com|gsmtp|gmail"
MICROSOFT = r"outlook\.com|hotmail|live\.com|msn\.com|microsoft|exchangelabs|office365"
YAHOO = r"yahoo|yahoodns|aol\.com|att\.net|ymail"
APPLE = r"icloud|apple\.com|me\.com|mac\.com"
PROTON = r"proton"
GMX = r"gmx|web\.de|1and1|ionos|mail\.com"
MAILRU = r"mail\.ru|inbox\.ru|list\.ru|bk\.ru"
YANDEX = r"yandex|ya\.ru"
ZOHO = r"zoho"
FASTMAIL = r"fastmail|messagingengine"
COMCAST = r"comcast"
ORANGE = r"orange|wanadoo|ofr\d"
MIMECAST = r"mimecast"
TENCENT = r"qq\.com|tencent|foxmail"


def _ofr(*codes: str) -> tuple[str, ...]:
    """Orange / La Poste (Wanadoo, laposte.net) error references, matched on their number:
    "OFR_416", "OFR005_104", "LPN007_420", "LPNAAA_101", "OUK_513"."""
    return tuple(rf"\b(?:ofr|lpn|lpnaaa|ouk)\d{{0,3}}_{code}\b" for code in codes)


def _aup(codes: str) -> str:
    """Spectrum / Charter acceptable-use codes "AUP#I-1000" (inbound), "AUP#O-1500"."""
    return rf"aup#[a-z]{{0,3}}-?(?:{codes})\b"


_G = "Gmail SMTP error reference (support.google.com/a/answer/3726730)"
_M = "Microsoft 365 / Outlook.com NDR reference (learn.microsoft.com, postmaster.live.com)"
_Y = "Yahoo Sender Hub error codes (senders.yahooinc.com/smtp-error-codes)"
_A = "Apple iCloud Mail postmaster (support.apple.com/HT204137)"
_O = "Orange / La Poste postmaster error references (postmaster.orange.fr, postmaster.laposte.net)"
_S = "Spectrum email error codes (spectrum.net/support/internet/understanding-email-error-codes)"
_T = "Tencent QQ Mail bounce reference (service.mail.qq.com/detail/122)"

# fmt: off
PROVIDER_RULES: tuple[ProviderRule, ...] = (
    # --- Google / Gmail ------------------------------------------------------------------
    ProviderRule("gmail", "NoSuchUser",
        r"the email account that you tried to reach does not exist", "user_unknown", _G,
        "550-5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces. "
        "https://support.google.com/mail/?p=NoSuchUser "
        "d2e1a72fcca58-7a1b2c3d4e5si1234567b.123 - gsmtp"),
    ProviderRule("gmail", "AddressNotFound",
        r"because the address couldn'?t be found", "user_unknown", _G,
        "Your message wasn't delivered to nobody-here@example.org because the address couldn't "
        "be found, or is unable to receive mail."),
    ProviderRule("gmail", "OverQuota",
        r"the email account that you tried to reach is over quota", "mailbox_full", _G,
        "452-4.2.2 The email account that you tried to reach is over quota. Please direct the "
        "recipient to https://support.google.com/mail/?p=OverQuotaTemp a1si1234567qkb.98 - gsmtp"),
    ProviderRule("gmail", "Disabled",
        r"the email account that you tried to reach is (?:disabled|inactive)",
        "mailbox_disabled", _G,
        "550-5.2.1 The email account that you tried to reach is disabled. Learn more at "
        "https://support.google.com/mail/?p=DisabledUser t9si1234567ejx.201 - gsmtp"),
    ProviderRule("gmail", "RateLimited",
        r"unusual rate of unsolicited mail.{0,120}temporarily rate limited", "rate_limited", _G,
        "421-4.7.28 [203.0.113.25 15] Our system has detected an unusual rate of unsolicited "
        "mail originating from your IP address. To protect our users from spam, mail sent from "
        "your IP address has been temporarily rate limited. Please visit "
        "https://support.google.com/mail/?p=UnsolicitedRateLimitError to review our Bulk Email "
        "Senders Guidelines. e5si12345678pgb.310 - gsmtp"),
    ProviderRule("gmail", "IPBlocked",
        r"unusual rate of unsolicited mail.{0,120}has been blocked", "blocked", _G,
        "550-5.7.1 [203.0.113.25 12] Our system has detected an unusual rate of unsolicited "
        "mail originating from your IP address. To protect our users from spam, mail sent from "
        "your IP address has been blocked. Please visit "
        "https://support.google.com/mail/?p=UnsolicitedIPError to review our Bulk Email "
        "Senders Guidelines. x3si1234567qtx.88 - gsmtp"),
    ProviderRule("gmail", "Unsolicited",
        r"this message is likely unsolicited mail", "spam_content", _G,
        "550-5.7.1 [203.0.113.25] Our system has detected that this message is likely "
        "unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been "
        "blocked. Please visit https://support.google.com/mail/?p=UnsolicitedMessageError "
        "for more information. h8si2345678wrb.55 - gsmtp"),
    ProviderRule("gmail", "LowReputation",
        r"suspicious due to the very low reputation", "blocked", _G,
        "421-4.7.0 [203.0.113.25 15] Our system has detected that this message is suspicious "
        "due to the very low reputation of the sending IP address. To best protect our users "
        "from spam, the message has been blocked. Please visit "
        "https://support.google.com/mail/answer/188131 for more information. - gsmtp"),
    ProviderRule("gmail", "Unauthenticated",
        (r"this mail is unauthenticated", r"does not have authentication information"),
        "auth_failure", _G,
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender "
        "and Gmail users, and has been blocked. The sender must authenticate with at least one "
        "of SPF or DKIM. For this message, DKIM checks did not pass and SPF check for "
        "[example.com] did not pass with ip: [203.0.113.25]. - gsmtp"),
    ProviderRule("gmail", "DMARC",
        r"is not accepted due to domain's dmarc policy", "auth_failure", _G,
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
        "DMARC policy. Please contact the administrator of example.com domain if this was a "
        "legitimate mail. https://support.google.com/mail/answer/2451690 - gsmtp"),
    ProviderRule("gmail", "NoPTR",
        r"does not have a ptr record setup", "blocked", _G,
        "550-5.7.25 [203.0.113.25] The IP address sending this message does not have a PTR "
        "record setup, or the corresponding forward DNS entry does not point to the sending "
        "IP. As a policy, Gmail does not accept messages from IPs with missing PTR records. "
        "- gsmtp"),
    ProviderRule("gmail", "BlockedMessage",
        r"blocked because its content presents a potential security issue", "virus", _G,
        "552-5.7.0 This message was blocked because its content presents a potential security "
        "issue. Please visit https://support.google.com/mail/?p=BlockedMessage to review our "
        "message content and attachment content guidelines. - gsmtp"),
    ProviderRule("gmail", "SizeLimit",
        r"exceeded google's message size limits", "message_too_large", _G,
        "552-5.3.4 Your message exceeded Google's message size limits. Please visit "
        "https://support.google.com/mail/?p=MaxSizeError to view our size guidelines. - gsmtp"),
    ProviderRule("gmail", "ReceivingRate",
        r"receiving mail at a rate that prevents additional messages", "rate_limited", _G,
        "452-4.2.1 The recipient you are trying to contact is receiving mail at a rate that "
        "prevents additional messages from being delivered. Please resend your message at a "
        "later time. - gsmtp"),
    ProviderRule("gmail", "SendingQuota",
        r"daily (?:user )?sending (?:quota|limit) exceeded", "rate_limited", _G,
        "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending "
        "limits go to https://support.google.com/a/answer/166852 - gsmtp", GOOGLE),
    ProviderRule("gmail", "RecipientPolicy",
        r"has a policy that prohibited the mail that you sent", "policy", _G,
        "550-5.7.1 The user or domain that you are sending to (or from) has a policy that "
        "prohibited the mail that you sent. Please contact your domain administrator. - gsmtp"),
    ProviderRule("gmail", "RfcNonCompliant",
        r"this message is not rfc 5322 compliant", "policy", _G,
        "550-5.7.1 This message is not RFC 5322 compliant. There are multiple Subject headers. "
        "To reduce the amount of spam sent to Gmail, this message has been blocked. Please "
        "visit https://support.google.com/mail/?p=RfcMessageNonCompliant and review RFC 5322 "
        "specifications for more information. a1si1234567qkb.98 - gsmtp"),
    ProviderRule("gmail", "GroupNoPermission",
        r"may not exist, or you may not have permission to post messages to the group",
        "policy",
        "Google Groups: posting permissions (support.google.com/groups/answer/2464926)",
        "We're writing to let you know that the group you tried to contact (team-updates) may "
        "not exist, or you may not have permission to post messages to the group."),
    ProviderRule("gmail", "GroupSpam",
        r"was rejected due to spam classification", "spam_content",
        "Google Groups: messages rejected as spam (support.google.com/a/answer/168383)",
        "Your email to group team@example.org was rejected due to spam classification. To "
        "address this issue: * Contact the owner of the group, who can choose to enable message "
        "moderation instead of bouncing these emails. * Set up SPF records for your sending "
        "domain if you have not done so already."),
    # any other Google Groups refusal, in whatever language the notice is written: it ends
    # with the Groups Help Center link (after the rows above, which name the cause)
    ProviderRule("gmail", "GroupRefused",
        r"groups\.google\.com/support", "policy",
        "Google Groups: posting permissions (support.google.com/groups/answer/2464926)",
        "Dovolujeme si vás upozornit, že skupina, kterou se pokoušíte kontaktovat "
        "(team-updates), pravděpodobně neexistuje nebo nemáte oprávnění do ní přidávat "
        "příspěvky. Máte-li otázky týkající se této nebo některé jiné skupiny Google, "
        "navštivte Centrum nápovědy na stránce https://groups.google.com/support/."),
    # --- Microsoft (Outlook.com / Hotmail / Microsoft 365) --------------------------------
    ProviderRule("microsoft", "RecipientNotFound",
        r"resolver\.adr\.recip(?:ient)?notfound", "user_unknown", _M,
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"),
    ProviderRule("microsoft", "DBEB",
        r"access denied\. as\(201806281\)", "user_unknown", _M,
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
        "[AM4PEPF00025F9B.EURPRD83.prod.outlook.com 2025-05-12T10:22:31.123Z 08DD8F]"),
    ProviderRule("microsoft", "AccessDenied",
        r"recipient address rejected: access denied", "user_unknown", _M,
        "550 5.4.1 Recipient address rejected: Access denied. "
        "[BN8NAM12FT041.eop-nam12.prod.protection.outlook.com 2025-05-12T10:22:31.123Z 08DD8F]",
        MICROSOFT),
    ProviderRule("microsoft", "MailboxUnavailable",
        r"requested action not taken: mailbox unavailable", "user_unknown", _M,
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
        "[DB5PEPF00014B9E.eurprd02.prod.outlook.com 2025-05-12T10:22:31.123Z 08DD8F]",
        MICROSOFT),
    ProviderRule("microsoft", "BannedIP",
        r"access denied, banned sending ip", "blocked", _M,
        "550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To request removal from "
        "this list please visit https://sender.office.com/ and follow the directions. For more "
        "information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)"),
    ProviderRule("microsoft", "S3150",
        r"part of their network is on our block list \(s3150\)", "blocked", _M,
        "550 5.7.1 Unfortunately, messages from [203.0.113.25] weren't sent. Please contact your "
        "Internet service provider since part of their network is on our block list (S3150). "
        "You can also refer your provider to "
        "http://mail.live.com/mail/troubleshooting.aspx#errors. "
        "[AM2PEPF0001C70E.eurprd02.prod.outlook.com 2025-05-12T10:22:31.123Z 08DD8F]"),
    ProviderRule("microsoft", "S3140",
        r"weren't sent\. please contact your internet service provider", "blocked", _M,
        "550 5.7.1 Unfortunately, messages from [203.0.113.25] weren't sent. Please contact your "
        "Internet service provider. You can tell them that Hotmail does not relay "
        "dynamically-assigned IP ranges. (S3140)"),
    ProviderRule("microsoft", "SC",
        (r"\bsc-00[1-4]\b", r"too many unwanted messages have been sent from"), "blocked",
        "Outlook.com postmaster: SC-001 to SC-004, mail rejected for the sending IP's "
        "policy or reputation",
        "550 SC-004 (BAY0-MC3-F12) Unfortunately, messages from 203.0.113.25 weren't sent. "
        "We recommend that you contact your Internet service provider. The problem is that "
        "too many unwanted messages have been sent from the following IP address above. You "
        "can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        MICROSOFT),
    ProviderRule("microsoft", "TrafficNotAccepted",
        r"access denied, traffic not accepted from this ip", "blocked", _M,
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. "
        "For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(7230)"),
    ProviderRule("microsoft", "IPRateLimited",
        r"temporarily rate limited due to ip reputation", "rate_limited", _M,
        "451 4.7.650 The mail server [203.0.113.25] has been temporarily rate limited due to IP "
        "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
        "[SN1PEPF0002BA50.namprd05.prod.outlook.com]"),
    ProviderRule("microsoft", "HourlyLimits",
        r"we have limits for how many messages can be sent", "rate_limited", _M,
        "421 RP-001 (COL004-MC1F9) Unfortunately, some messages from 203.0.113.25 weren't sent. "
        "Please try again. We have limits for how many messages can be sent per hour and per day. "
        "You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors."),
    ProviderRule("microsoft", "ServerBusy",
        r"server busy\. please try again later from", "rate_limited", _M,
        "451 4.7.500 Server busy. Please try again later from [203.0.113.25]. (S77714) "
        "[DM6NAM12FT042.eop-nam12.prod.protection.outlook.com]"),
    ProviderRule("microsoft", "SubmissionQuota",
        r"submission quota exceeded", "rate_limited", _M,
        "550 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
        "process message due to a permanent exception with message Cannot submit message. "
        "Submission quota exceeded", MICROSOFT),
    ProviderRule("microsoft", "QuotaExceeded",
        (r"quotaexceededexception", r"mailbox full.{0,40}storedrv"), "mailbox_full", _M,
        "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
        "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent "
        "exception with message Cannot open mailbox."),
    ProviderRule("microsoft", "DMARCReject",
        r"does not pass dmarc verification", "auth_failure", _M,
        "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification "
        "and has a DMARC policy of reject. [BN8NAM11FT066.eop-nam11.prod.protection.outlook.com]"),
    ProviderRule("microsoft", "AuthLevel",
        r"doesn't meet the required authentication level", "auth_failure", _M,
        "550 5.7.515 Access denied, sending domain [example.com] doesn't meet the required "
        "authentication level. The sender's domain in the 5322.From address doesn't meet the "
        "authentication requirements defined for the sender."),
    ProviderRule("microsoft", "GroupRestriction",
        r"resolver\.rst\.(?:sendernotauthenticatedforgroup|notauthorized|authrequired)",
        "policy", _M,
        "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; "
        "Delivery restriction check failed as sender not authenticated"),
    ProviderRule("microsoft", "ExternalForwarding",
        r"does not allow external forwarding", "policy", _M,
        "550 5.7.520 Access denied, Your organization does not allow external forwarding. "
        "Please contact your administrator for further assistance. AS(7555)"),
    ProviderRule("microsoft", "DetectedAsSpam",
        r"detected as spam", "spam_content", _M,
        "550 5.7.350 Remote server returned message detected as spam -> 554 5.7.1 "
        "Message rejected as spam by Content Filtering."),
    ProviderRule("microsoft", "DNSDomainMissing",
        r"dns domain .{1,80} does not exist", "domain_not_found", _M,
        "550 5.4.310 DNS domain example.invalid does not exist [Message=InfoDomainNonexistent] "
        "[LastAttemptedServerName=example.invalid] "
        "[DM6NAM12FT010.eop-nam12.prod.protection.outlook.com]"),
    ProviderRule("microsoft", "HopCount",
        r"hop count exceeded - possible mail loop", "network_error", _M,
        "554 5.4.14 Hop count exceeded - possible mail loop ATTR34 "
        "[CY4PR02MB2821.namprd02.prod.outlook.com]"),
    ProviderRule("microsoft", "TenantThreshold",
        (
            r"client blocked from sending from unregistered domains",
            r"tenant (?:has )?exceeded (?:the )?threshold",
        ), "blocked", _M,
        "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains. "
        "For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653"),
    # --- Yahoo / AOL (also att.net, which Yahoo hosts) ------------------------------------
    ProviderRule("yahoo", "NoAccount",
        r"delivery error: dd this user doesn't have an? \S+ account", "user_unknown", _Y,
        "554 delivery error: dd This user doesn't have a yahoo.com account "
        "(nobody-here@yahoo.com) [0] - mta1021.mail.gq1.yahoo.com"),
    ProviderRule("yahoo", "Disabled",
        r"this mailbox is disabled \(554\.30\)", "mailbox_disabled", _Y,
        "554 delivery error: dd Sorry your message to old-user@yahoo.com cannot be delivered. "
        "This mailbox is disabled (554.30). - mta4433.mail.bf1.yahoo.com"),
    ProviderRule("yahoo", "Discontinued",
        r"delivery error: dd sorry your message to \S+ cannot be delivered\. this account has "
        r"been disabled or discontinued", "mailbox_disabled", _Y,
        "554 delivery error: dd Sorry your message to old-user@yahoo.co.jp cannot be delivered. "
        "This account has been disabled or discontinued [#102]. - mta1234.mail.kks.yahoo.co.jp"),
    ProviderRule("yahoo", "MailboxNotFound",
        r"requested mail action aborted, mailbox not found", "user_unknown", _Y,
        "552 1 Requested mail action aborted, mailbox not found", YAHOO),
    ProviderRule("yahoo", "TSS04",
        (r"\[tss04\]", r"temporarily deferred due to unexpected volume"), "blocked", _Y,
        "421 4.7.0 [TSS04] Messages from 203.0.113.25 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"),
    ProviderRule("yahoo", "TSS09",
        r"\[tss09\]", "blocked", _Y,
        "553 5.7.2 [TSS09] All messages from 203.0.113.25 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes"),
    ProviderRule("yahoo", "TS03",
        (r"\[ts01\]", r"\[ts02\]", r"\[ts03\]"), "blocked", _Y,
        "421 4.7.1 [TS03] All messages from 203.0.113.25 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes"),
    ProviderRule("yahoo", "Unauthenticated",
        r"yahoo requires all senders to authenticate", "auth_failure", _Y,
        "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo "
        "requires all senders to authenticate with either SPF or DKIM."),
    ProviderRule("yahoo", "PolicyReasons",
        r"not accepted for policy reasons", "policy", _Y,
        "554 5.7.9 Message not accepted for policy reasons. See "
        "https://postmaster.yahooinc.com/error-codes", YAHOO),
    # --- Apple iCloud ---------------------------------------------------------------------
    ProviderRule("icloud", "UserUnknown",
        r"user does not exist", "user_unknown", _A,
        "550 5.1.1 <nobody-here@icloud.com>: user does not exist", APPLE),
    ProviderRule("icloud", "OverQuota",
        r"user over quota", "mailbox_full", _A,
        "552 5.2.2 <full-box@icloud.com>: user over quota", APPLE),
    ProviderRule("icloud", "HM08",
        r"\[(?:hm0[1-9]|cs0[1-9])\] message rejected due to local policy", "blocked", _A,
        "554 5.7.1 [HM08] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137"),
    # --- Proton ---------------------------------------------------------------------------
    ProviderRule("proton", "AddressNotExist",
        r"address does not exist", "user_unknown", "Proton Mail bounces",
        "550 5.1.1 <nobody-here@proton.me>: Recipient address rejected: Address does not exist "
        "- mail.protonmail.ch", PROTON),
    ProviderRule("proton", "Disabled",
        r"(?:address|account) (?:is|has been) disabled", "mailbox_disabled", "Proton Mail bounces",
        "550 5.2.1 <gone@proton.me>: Recipient address rejected: Address is disabled - "
        "mail.protonmail.ch", PROTON),
    # --- GMX / WEB.DE / 1&1 ---------------------------------------------------------------
    ProviderRule("gmx", "InvalidMX",
        r"invalid dns mx or a/aaaa resource record", "policy",
        "GMX / WEB.DE postmaster error messages (postmaster.gmx.net/en/error-messages)",
        "550-Requested action not taken: mailbox unavailable 550 invalid DNS MX or A/AAAA "
        "resource record"),
    ProviderRule("gmx", "MailboxUnavailable",
        r"requested action not taken: mailbox unavailable", "user_unknown",
        "GMX / WEB.DE postmaster error messages (postmaster.gmx.net/en/error-messages)",
        "550 Requested action not taken: mailbox unavailable", GMX),
    ProviderRule("gmx", "PolicyRestrictions",
        r"reject due to policy restrictions", "blocked",
        "GMX / WEB.DE postmaster error messages (postmaster.gmx.net/en/error-messages)",
        "554-gmx.net (mxgmx117) Nemesis ESMTP Service not available 554-No SMTP service "
        "554-Reject due to policy restrictions. 554 For explanation visit "
        "https://postmaster.gmx.net/en/error-messages?ip=203.0.113.25&c=hi"),
    ProviderRule("gmx", "SenderNotAllowed",
        r"sender address is not allowed", "policy",
        "GMX / WEB.DE postmaster error messages (postmaster.gmx.net/en/error-messages)",
        "550-Sender address is not allowed. 550 For explanation visit "
        "https://postmaster.web.de/en/error-messages?ip=203.0.113.25&c=sa", GMX),
    # --- Mail.ru --------------------------------------------------------------------------
    ProviderRule("mailru", "Disabled",
        r"is unavailable: account is disabled", "mailbox_disabled", "Mail.ru postmaster",
        "550 Message was not accepted -- invalid mailbox. Local mailbox old-user@mail.ru is "
        "unavailable: account is disabled"),
    ProviderRule("mailru", "InvalidMailbox",
        r"message was not accepted -- invalid mailbox", "user_unknown", "Mail.ru postmaster",
        "550 Message was not accepted -- invalid mailbox. Local mailbox nobody-here@mail.ru "
        "is unavailable: user not found"),
    ProviderRule("mailru", "Spam",
        r"spam message rejected", "spam_content", "Mail.ru postmaster",
        "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c="
        "AbCdEf0123456789 or report details to abuse@corp.mail.ru. Error code: "
        "0A1B2C3D4E5F. ID: 00000000ABCDEF01."),
    ProviderRule("mailru", "Ratelimit",
        r"message was not accepted.{0,40}(?:ratelimit|too many)", "rate_limited",
        "Mail.ru postmaster",
        "421 Sorry, message was not accepted because of ratelimit. Please try again later.",
        MAILRU),
    # --- Yandex ---------------------------------------------------------------------------
    ProviderRule("yandex", "NoSuchUser",
        r"no such user!", "user_unknown", "Yandex.Mail postmaster",
        "550 5.7.1 No such user!", YANDEX),
    ProviderRule("yandex", "PolicyRejectionTarget",
        r"policy rejection on the target address", "mailbox_disabled", "Yandex.Mail postmaster",
        "550 5.7.1 Policy rejection on the target address"),
    ProviderRule("yandex", "SuspicionOfSpam",
        r"rejected under suspicion of spam", "spam_content", "Yandex.Mail postmaster",
        "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc "
        "1736512345-AbCdEfGh1"),
    ProviderRule("yandex", "UserNotFound",
        r"user not found", "user_unknown", "Yandex.Mail postmaster",
        "550 5.7.1 User not found", YANDEX),
    # --- Zoho / Fastmail ------------------------------------------------------------------
    ProviderRule("zoho", "UserNotExist",
        r"user does not exist", "user_unknown", "Zoho Mail bounces",
        "550 5.1.1 User does not exist - <nobody-here@zohomail.com>", ZOHO),
    ProviderRule("zoho", "UnusualActivity",
        r"unusual sending activity detected", "rate_limited", "Zoho Mail bounces",
        "550 5.4.6 Unusual sending activity detected. Please try after sometime."),
    ProviderRule("fastmail", "OverQuota",
        r"over quota", "mailbox_full", "Fastmail bounces",
        "452 4.2.2 <full-box@fastmail.com>: Recipient address rejected: Over quota", FASTMAIL),
    # --- Comcast / AT&T / Orange ----------------------------------------------------------
    ProviderRule("comcast", "NotOurCustomer",
        r"not our customer", "user_unknown", "Comcast postmaster SMTP error codes",
        "550 5.1.1 <nobody-here@comcast.net> Not our Customer"),
    ProviderRule("comcast", "RL", r"error-codes\.php#rl\d+", "rate_limited",
        "Comcast postmaster SMTP error codes",
        "452 4.1.0 resimta-po-12v.sys.comcast.net comcast 203.0.113.25 Too many sessions are "
        "opened. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001"),
    ProviderRule("comcast", "BL", r"error-codes\.php#bl\d+", "blocked",
        "Comcast postmaster SMTP error codes",
        "554 5.7.1 resimta-ch2-18v.sys.comcast.net comcast 203.0.113.25 Comcast block for spam. "
        "Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000"),
    ProviderRule("att", "ValidSenderDomain",
        r"connections not accepted from servers without a valid sender domain", "blocked",
        "AT&T postmaster (abuse_rbl@abuse-att.net)",
        "550 5.7.1 Connections not accepted from servers without a valid sender domain."
        "flph829 Fix reverse DNS for 203.0.113.25"),
    ProviderRule("att", "DNSBL", r"dnsbl:(?:rbl|att) \d+< ", "blocked",
        "AT&T postmaster (abuse_rbl@abuse-att.net)",
        "553 5.3.0 flpd575 DNSBL:RBL 521< 203.0.113.25 >_is_blocked.For assistance forward "
        "this email to abuse_rbl@abuse-att.net"),
    ProviderRule("orange", "416", _ofr("416", "418"), "user_unknown", _O,
        "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. "
        "OFR_416 [416]"),
    ProviderRule("orange", "417", _ofr("417"), "mailbox_full", _O,
        "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]"),
    ProviderRule("orange", "420", _ofr("420", "426"), "mailbox_disabled", _O,
        "550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420"),
    ProviderRule("orange", "104", _ofr("104"), "rate_limited", _O,
        "421 mwinf5c18 ME Trop de connexions, veuillez verifier votre configuration. "
        "Too many connections, slow down. OFR005_104 [104]"),
    ProviderRule("orange", "102", _ofr("101", "102", "103", "401", "510", "999"), "blocked", _O,
        "550 mwinf5c77 ME Adresse IP source bloquee pour incident de spam. Client host blocked "
        "for spamming issues. OFR006_102 Ref "
        "http://csi.cloudmark.com/reset-request/?ip=203.0.113.25"),
    ProviderRule("orange", "305", _ofr("305", "402", "517"), "auth_failure", _O,
        "571 5.7.1 Message refused, DMARC verification Failed. Message refuse, verification "
        "DMARC en echec LPN007_517"),
    ProviderRule("orange", "405", _ofr("403", "405", "415", "421", "630"), "policy", _O,
        "501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405]"),
    ProviderRule("orange", "505", _ofr("505"), "system_error", _O,
        "421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try "
        "later. OFR005_505 [505]"),
    ProviderRule("orange", "506", _ofr("506"), "spam_content", _O,
        "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]"),
    ProviderRule("orange", "514", _ofr("514"), "message_too_large", _O,
        "552 5.3.4 Taille limite du message atteinte. Message size limit exceeded. LPN007_514"),
    # --- Spectrum / Charter: "AUP#I-1000" (inbound) and "AUP#O-…" codes -------------------
    ProviderRule("spectrum", "Blocked", _aup("1000|1[12][0-4]\\d|1150|1250"), "blocked", _S,
        "554 5.7.1 <203.0.113.25> Your IP address has been blocked due to suspicious activity. "
        "Please see https://www.spectrum.net/support/internet/understanding-email-error-codes "
        "for more information. AUP#I-1000"),
    ProviderRule("spectrum", "Policy", _aup("10[1-8]0|11[6-9]\\d|1500|1520|1560"), "policy", _S,
        "550 5.1.0 Your email was rejected for attempting to send as a different email address "
        "than you signed in under. AUP#O-1500"),
    ProviderRule("spectrum", "SystemError", _aup("1090"), "system_error", _S,
        "451 4.3.0 The email you're trying to send can't be processed. Try sending again at a "
        "later time. AUP#I-1090"),
    ProviderRule("spectrum", "IPv6", _aup("1260"), "network_error", _S,
        "550 5.7.1 Spectrum doesn't process IPV6 addresses. AUP#I-1260"),
    ProviderRule("spectrum", "Limits", _aup("1[34]\\d\\d|1540|1550|1580"), "rate_limited", _S,
        "421 4.7.0 Spectrum limits the number of concurrent connections from a sender. "
        "AUP#I-1310"),
    ProviderRule("spectrum", "Size", _aup("1530"), "message_too_large", _S,
        "552 5.3.4 Your email was rejected because it's larger than the maximum size of 20MB. "
        "AUP#O-1530"),
    # --- Tencent (QQ Mail, Foxmail, Tencent Exmail) ---------------------------------------
    ProviderRule("tencent", "FrequencyLimited",
        r"(?:ip|domain|sender|connection) frequency limited", "rate_limited", _T,
        "550 Connection frequency limited [MTIzNDU2Nzg5MA==]. "
        "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000722"),
    ProviderRule("tencent", "SpamIP",
        (r"suspected spam ip", r"suspected bounce attacks", r"connection denied"), "blocked", _T,
        "550 Suspected spam ip [MTIzNDU2Nzg5MA==]. https://service.mail.qq.com/detail/122/66",
        TENCENT),
    ProviderRule("tencent", "ContentDenied",
        (r"mail content denied", r"spam is embedded in the email"), "spam_content", _T,
        "550 Mail content denied. https://service.mail.qq.com/detail/122/171", TENCENT),
    ProviderRule("tencent", "RejectedByRecipients",
        r"mail is rejected by recipients", "policy", _T,
        "550 Mail is rejected by recipients [MTIzNDU2Nzg5MA==]. "
        "https://service.mail.qq.com/detail/122/92", TENCENT),
    ProviderRule("tencent", "Deactivated",
        r"is a deactivated mailbox", "mailbox_disabled", _T,
        "550 Mailbox unavailable or access denied. The recipient is a deactivated mailbox. "
        "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000742", TENCENT),
    ProviderRule("tencent", "MailboxNotFound",
        r"mailbox not found", "user_unknown", _T,
        "550 Mailbox not found. https://service.mail.qq.com/detail/122/169", TENCENT),
    # --- Amazon SES (as a relay that refuses our message) ---------------------------------
    ProviderRule("ses", "DuplicateHeader",
        r"transaction failed: duplicate header", "policy",
        "Amazon SES SMTP response codes (docs.aws.amazon.com/ses/latest/dg/troubleshoot-smtp.html)",
        "554 Transaction failed: Duplicate header 'DKIM-Signature'."),
    # --- Deutsche Telekom (T-Online) -------------------------------------------------------
    ProviderRule("tonline", "BL",
        r"a problem occurred\. \(ask your postmaster for help or to contact \S+ to clarify\.\) "
        r"\(bl\)", "blocked", "T-Online postmaster (postmaster.t-online.de)",
        "554 IP=203.0.113.25 - A problem occurred. (Ask your postmaster for help or to contact "
        "tosa@rx.t-online.de to clarify.) (BL)"),
    # --- security gateways ----------------------------------------------------------------
    ProviderRule("mimecast", "InvalidRecipient",
        r"invalid recipient - https://community\.mimecast\.com", "user_unknown",
        "Mimecast SMTP error codes (community.mimecast.com/docs/DOC-1369)",
        "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 "
        "[AbCdEf0123456789.uk123]"),
    ProviderRule("mimecast", "AntiSpoofing",
        r"rejected by header based anti-spoofing policy", "policy",
        "Mimecast SMTP error codes (community.mimecast.com/docs/DOC-1369)",
        "550 Rejected by header based Anti-Spoofing policy: sales@example.org - "
        "https://community.mimecast.com/docs/DOC-1369#550 [AbCdEf0123456789.uk123]"),
    ProviderRule("mimecast", "SecurityPolicies",
        r"rejected due to security policies - https://community\.mimecast", "policy",
        "Mimecast SMTP error codes (community.mimecast.com/docs/DOC-1369)",
        "554 Email rejected due to security policies - "
        "https://community.mimecast.com/docs/DOC-1369#554 [AbCdEf0123456789.uk123]"),
    ProviderRule("proofpoint", "Blocked",
        r"blocked - see https?://(?:ipcheck\.proofpoint\.com|support\.proofpoint\.com/dnsbl)",
        "blocked", "Proofpoint IP reputation (ipcheck.proofpoint.com)",
        "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=203.0.113.25"),
    ProviderRule("spamhaus", "Listed",
        r"spamhaus\.(?:org|net)", "blocked",
        "Spamhaus (www.spamhaus.org/query)",
        "554 5.7.1 Service unavailable; Client host [203.0.113.25] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.25"),
    ProviderRule("barracuda", "Listed",
        (r"barracudacentral", r"barracudanetworks\.com/reputation"), "blocked",
        "Barracuda Reputation Block List (barracudacentral.org)",
        "554 Service unavailable; Client host [203.0.113.25] blocked using "
        "b.barracudacentral.org; "
        "http://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.25"),
    ProviderRule("spamcop", "Listed", r"bl\.spamcop\.net", "blocked",
        "SpamCop Blocking List (www.spamcop.net/bl.shtml)",
        "550 5.7.1 Service unavailable; Client host [203.0.113.25] blocked using bl.spamcop.net; "
        "Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.25"),
    ProviderRule("uceprotect", "Listed", r"uceprotect", "blocked",
        "UCEPROTECT (www.uceprotect.net)",
        "550 5.7.1 Rejected: 203.0.113.25 listed at dnsbl-1.uceprotect.net. Your IP is "
        "listed in UCEPROTECT-Level1, see http://www.uceprotect.net/rblcheck.php?ipr=203.0.113.25"),
)
# fmt: on
