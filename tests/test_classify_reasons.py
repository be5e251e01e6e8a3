"""The classifier against real-world wordings: (status, code, text, host) -> (type, reason).

Classified as kind "bounce" so that the wording decides; the RFC 3464 rule that a DSN's
"Action: failed" with a 4.x.x status means "expired" is tested in test_classify_order.
"""

from __future__ import annotations

import pytest
from classify_helpers import named

from bouncewatch.classify import classify
from bouncewatch.model import REASONS, RecipientReport

G = "gmail-smtp-in.l.google.com"
MS = "example-com.mail.protection.outlook.com"
HM = "hotmail-com.olc.protection.outlook.com"
Y = "mta6.am0.yahoodns.net"
IC = "mx01.mail.icloud.com"
GMX = "mx00.emig.gmx.net"

# (status, smtp_code, diagnostic, remote host, bounce_type, reason)
# fmt: off
CASES: list[tuple[str | None, int | None, str | None, str | None, str, str]] = [
    # --- user_unknown ---------------------------------------------------------------------
    ("5.1.1", 550, "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown in "
     "virtual mailbox table", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 <jo@example.org>: Recipient address rejected: User unknown in "
     "local recipient table", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550-5.1.1 The email account that you tried to reach does not exist. Please "
     "try double-checking the recipient's email address for typos or unnecessary spaces. "
     "https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp", G, "hard", "user_unknown"),
    ("5.1.10", 550,
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", MS,
     "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", MS, "hard", "user_unknown"),
    ("5.4.1", 550, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DB8EUR05FT012.eop-eur05.prod.protection.outlook.com]", MS, "hard", "user_unknown"),
    ("5.5.0", 550, "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
     "[AM6PEPF0001.eurprd02.prod.outlook.com]", HM, "hard", "user_unknown"),
    (None, 554, "554 delivery error: dd This user doesn't have a yahoo.com account "
     "(nobody@yahoo.com) [0] - mta1021.mail.gq1.yahoo.com", Y, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 <nobody@icloud.com>: user does not exist",
     IC, "hard", "user_unknown"),
    (None, 550, "550 Requested action not taken: mailbox unavailable", GMX, "hard", "user_unknown"),
    ("5.7.1", 550, "550 5.7.1 No such user!", "mx.yandex.ru", "hard", "user_unknown"),
    ("5.7.1", 550, "550 5.7.1 <jo@example.org>... User unknown", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 <nobody@comcast.net> Not our Customer", None, "hard", "user_unknown"),
    (None, 550, "550 Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is "
     "unavailable: user not found", "mxs.mail.ru", "hard", "user_unknown"),
    ("5.1.1", None, "Sorry, no mailbox here by that name. (#5.1.1)", None, "hard", "user_unknown"),
    ("5.0.0", 550, "550 No Such User Here", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 Mailbox does not exist", None, "hard", "user_unknown"),
    ("5.0.0", 550, "550 Invalid recipient <jo@example.org>", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 User does not exist - <nobody@zohomail.com>", "mx.zoho.com", "hard",
     "user_unknown"),
    ("5.0.0", 550, "550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
     "eu-smtp-inbound-1.mimecast.com", "hard", "user_unknown"),
    ("5.1.1", 550,
     "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
     "smtp-in.orange.fr", "hard", "user_unknown"),
    (None, 550, "550 unknown user account", None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 Unknown recipient address", None, "hard", "user_unknown"),
    ("5.0.0", None, 'unknown user: "jo"', None, "hard", "user_unknown"),
    ("5.1.1", 550, "550 5.1.1 Recipient rejected", None, "hard", "user_unknown"),
    ("5.1.1", 550, None, None, "hard", "user_unknown"),
    (None, 550, "550 #5.1.0 Address rejected.", None, "hard", "user_unknown"),
    ("5.1.0", 550, "550 5.1.0 Address rejected jo@example.org", None, "hard", "user_unknown"),
    # trap: 4xx user unknown is soft
    ("4.1.1", 450, "450 4.1.1 <jo@example.org>: Recipient address rejected: unverified address: "
     "host mx.example.org said: 550 5.1.1 User unknown", None, "soft", "user_unknown"),
    (None, 450, "450 User unknown, please try again", None, "soft", "user_unknown"),
    # trap: bare codes
    (None, 550, "550", None, "hard", "user_unknown"),
    (None, 553, "host mx.example.org[192.0.2.4] said: 553 (in reply to RCPT TO command)", None,
     "hard", "user_unknown"),
    (None, 554, "554 Transaction failed and something unheard of", None, "undetermined", "unknown"),
    # --- mailbox_disabled -----------------------------------------------------------------
    ("5.2.1", 550, "550-5.2.1 The email account that you tried to reach is disabled. Learn more "
     "at https://support.google.com/mail/?p=DisabledUser t9si1234 - gsmtp", G, "hard",
     "mailbox_disabled"),
    (None, 554, "554 delivery error: dd Sorry your message to x@yahoo.com cannot be delivered. "
     "This mailbox is disabled (554.30). - mta4433.mail.bf1.yahoo.com", Y, "hard",
     "mailbox_disabled"),
    (None, 550, "550 Message was not accepted -- invalid mailbox. Local mailbox x@mail.ru is "
     "unavailable: account is disabled", "mxs.mail.ru", "hard", "mailbox_disabled"),
    ("5.7.1", 550, "550 5.7.1 Policy rejection on the target address", "mx.yandex.ru", "hard",
     "mailbox_disabled"),
    ("5.2.1", 550, "550 5.2.1 Mailbox inactive", None, "hard", "mailbox_disabled"),
    ("5.2.1", 550, "550 5.2.1 <jo@example.org>: account has been suspended", None, "hard",
     "mailbox_disabled"),
    ("5.2.1", 550, "550 5.2.1 This account has been deactivated", None, "hard", "mailbox_disabled"),
    ("5.2.1", 550, None, None, "hard", "mailbox_disabled"),
    ("4.2.1", 450, "450 4.2.1 Mailbox disabled, not accepting messages", None, "soft",
     "mailbox_disabled"),
    ("5.0.0", 554, "554 5.0.0 Account is locked", None, "hard", "mailbox_disabled"),
    # --- domain_not_found -----------------------------------------------------------------
    ("5.4.4", None, "Host or domain name not found. Name service error for "
     "name=example.invalid type=MX: Host not found", None, "hard", "domain_not_found"),
    # "try again": the DNS lookup failed for now (SERVFAIL, timeout), the domain may be fine
    ("5.4.4", None, "Host or domain name not found. Name service error for "
     "name=example.invalid type=MX: Host not found, try again", None, "soft", "network_error"),
    ("5.1.2", None, "Sorry, I couldn't find any host named example.invalid. (#5.1.2)", None, "hard",
     "domain_not_found"),
    ("5.0.0", 550, "550 Unrouteable address", None, "hard", "domain_not_found"),
    ("5.4.310", 550,
     "550 5.4.310 DNS domain example.invalid does not exist [Message=InfoDomainNonexistent]", MS,
     "hard", "domain_not_found"),
    ("5.1.2", None, None, None, "hard", "domain_not_found"),
    ("5.4.4", 550, "550 5.4.4 Unable to route: NXDOMAIN", None, "hard", "domain_not_found"),
    ("5.1.2", 550, "550 5.1.2 <jo@example.invalid>: Recipient address rejected: Domain not found",
     None, "hard", "domain_not_found"),
    ("5.0.0", None, "all relevant MX records point to non-existent hosts", None, "hard",
     "domain_not_found"),
    # --- address_invalid ------------------------------------------------------------------
    ("5.1.3", 501, "501 5.1.3 Bad recipient address syntax", None, "hard", "address_invalid"),
    ("5.1.3", 553,
     "553 5.1.3 The recipient address <jo@@example.org> is not a valid RFC-5321 address", None,
     "hard", "address_invalid"),
    ("5.1.3", None, None, None, "hard", "address_invalid"),
    (None, 553, "553 malformed address: <jo at example.org>", None, "hard", "address_invalid"),
    ("5.0.0", 501, "501 5.5.4 Syntax error in address", None, "hard", "address_invalid"),
    # --- has_moved ------------------------------------------------------------------------
    ("5.1.6", 551, "551 5.1.6 User has moved; please try <jo@example.net>", None, "hard",
     "has_moved"),
    ("5.1.6", None, None, None, "hard", "has_moved"),
    (None, 551, "551 User not local; please try <jo@example.net>", None, "hard", "has_moved"),
    ("5.0.0", 550, "550 jo is no longer with the company", None, "hard", "has_moved"),
    # --- not_accept -----------------------------------------------------------------------
    ("5.1.10", 556, "556 5.1.10 Recipient address has null MX", None, "hard", "not_accept"),
    ("5.1.10", None, "nullMX: example.net does not accept mail", None, "hard", "not_accept"),
    ("5.3.2", 556, "556 Domain does not accept mail", None, "hard", "not_accept"),
    ("5.1.10", None, "Domain example.net does not accept mail (nullMX)",
     None, "hard", "not_accept"),
    # --- mailbox_full ---------------------------------------------------------------------
    ("4.2.2", 452, "452-4.2.2 The email account that you tried to reach is over quota. Please "
     "direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp", G, "soft",
     "mailbox_full"),
    ("5.2.2", 552,
     "552-5.2.2 The email account that you tried to reach is over quota and inactive. - gsmtp", G,
     "soft", "mailbox_full"),
    ("5.2.2", 554, "554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
     "MapiExceptionShutoffQuotaExceeded", MS, "soft", "mailbox_full"),
    # trap: 550 mailbox full is soft
    ("5.0.0", 550, "550 Mailbox full", None, "soft", "mailbox_full"),
    ("5.2.2", 552, "552 5.2.2 <full@icloud.com>: user over quota", IC, "soft", "mailbox_full"),
    (None, 552, "552 Requested mail action aborted: exceeded storage allocation", None, "soft",
     "mailbox_full"),
    ("4.2.2", 452, "452 4.2.2 Mailbox size limit exceeded", None, "soft", "mailbox_full"),
    ("5.2.2", None, None, None, "soft", "mailbox_full"),
    (None, 552, "552", None, "soft", "mailbox_full"),
    ("5.2.2", 552, "552 5.2.2 Quota exceeded (mailbox for user is full)", None, "soft",
     "mailbox_full"),
    # the MTA gave up: the cause is what the receiver said (the give-up is in `expired`)
    ("4.2.2", None, "mailbox is full: retry timeout exceeded", None, "soft", "mailbox_full"),
    ("5.0.0", 552, "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]",
     None, "soft", "mailbox_full"),
    # --- message_too_large ----------------------------------------------------------------
    ("5.3.4", 552, "552 5.3.4 Message size exceeds fixed maximum message size", None, "soft",
     "message_too_large"),
    ("5.3.4", 552, "552-5.3.4 Your message exceeded Google's message size limits. - gsmtp", G,
     "soft", "message_too_large"),
    ("5.2.3", 552, "552 5.2.3 Message too large", None, "soft", "message_too_large"),
    ("5.3.4", None, None, None, "soft", "message_too_large"),
    (None, 554, "554 30 Sorry, your message size exceeds 41943040 bytes", None, "soft",
     "message_too_large"),
    ("5.0.0", 552, "552 Message is too big", None, "soft", "message_too_large"),
    # --- rate_limited ---------------------------------------------------------------------
    ("4.7.0", 421, "421 4.7.0 [TSS04] Messages from 203.0.113.25 temporarily deferred due to "
     "unexpected volume or user complaints - 4.16.55.1", Y, "block", "blocked"),
    ("4.7.28", 421, "421-4.7.28 Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address. To protect our users from spam, mail sent from your IP "
     "address has been temporarily rate limited. - gsmtp", G, "soft", "rate_limited"),
    ("4.7.650", 451, "451 4.7.650 The mail server [203.0.113.25] has been temporarily rate "
     "limited due to IP reputation.", MS, "soft", "rate_limited"),
    (None, 421, "421 Too many concurrent SMTP connections; please try again later.", None, "soft",
     "rate_limited"),
    ("4.1.0", 452, "452 4.1.0 resimta comcast 203.0.113.25 Too many sessions are opened. "
     "Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001", None, "soft",
     "rate_limited"),
    ("4.5.3", 452, "452 4.5.3 Too many recipients", None, "soft", "rate_limited"),
    (None, 421, "421 mwinf5c18 ME Trop de connexions, veuillez verifier votre configuration. "
     "Too many connections, slow down. OFR005_104 [104]", None, "soft", "rate_limited"),
    ("5.4.5", 550, "550 5.4.5 Daily user sending limit exceeded.", G, "soft", "rate_limited"),
    ("4.7.1", 450, "450 4.7.1 Client host rejected: rate limit exceeded", None, "soft",
     "rate_limited"),
    ("4.7.0", 421, "421 4.7.0 Message throttled due to excessive volume", None, "soft",
     "rate_limited"),
    ("5.2.2", 550, "550 5.2.2 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; "
     "Submission quota exceeded", MS, "soft", "rate_limited"),
    ("4.7.28", None, None, None, "soft", "rate_limited"),
    # --- greylisted -----------------------------------------------------------------------
    ("4.2.0", 450, "450 4.2.0 <jo@example.org>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.org.html", None, "soft", "greylisted"),
    ("4.7.1", 451, "451 4.7.1 Greylisting in action, please come back later", None, "soft",
     "greylisted"),
    (None, 451, "451 Temporarily rejected. Try again later.", None, "soft", "greylisted"),
    # trap: 5xx greylisting is soft
    ("5.7.1", 550, "550 5.7.1 Greylisted, please try again in 300 seconds", None, "soft",
     "greylisted"),
    (None, 450, "450 Please try again in 5 minutes: new sender triplet",
     None, "soft", "greylisted"),
    (None, 451, "451 You are greylisted for 60 seconds", None, "soft", "greylisted"),
    # --- network_error --------------------------------------------------------------------
    ("4.4.1", None, "connect to mx.example.org[192.0.2.10]:25: Connection refused", None, "soft",
     "network_error"),
    ("4.4.2", None, "conversation with mx.example.org[192.0.2.10] timed out while receiving "
     "the initial server greeting", None, "soft", "network_error"),
    ("4.4.1", None, "connect to mx.example.org[192.0.2.10]:25: Network is unreachable", None,
     "soft", "network_error"),
    ("4.4.1", None, None, None, "soft", "network_error"),
    ("5.4.6", 554, "554 5.4.6 Too many hops", None, "soft", "network_error"),
    ("5.4.14", 554, "554 5.4.14 Hop count exceeded - possible mail loop ATTR34", MS, "soft",
     "network_error"),
    ("4.4.2", 421, "421 4.4.2 Connection dropped due to timeout", None, "soft", "network_error"),
    ("5.0.0", None, "mail for example.org loops back to myself", None, "soft", "network_error"),
    ("4.4.3", None, "Temporary failure in name resolution", None, "soft", "network_error"),
    # --- expired --------------------------------------------------------------------------
    ("4.4.7", None, "retry timeout exceeded", None, "soft", "expired"),
    ("4.4.7", None, "Delivery time expired", None, "soft", "expired"),
    ("4.4.7", None, None, None, "soft", "expired"),
    ("5.4.7", None, "I'm not going to try again; this message has been in the queue too long.",
     None, "soft", "expired"),
    ("5.4.300", 550, "550 5.4.300 Message expired -> 451 4.4.0 DNS query failed", MS, "soft",
     "network_error"),
    ("4.0.0", None, "all hosts for 'example.org' have been failing for a long time (and retry "
     "time not reached)", None, "soft", "expired"),
    # --- system_error ---------------------------------------------------------------------
    ("4.3.0", 451, "451 4.3.0 Temporary local problem - please try later", None, "soft",
     "system_error"),
    ("4.3.0", 451, "451 4.3.0 Mail server temporarily rejected message. - gsmtp", G, "soft",
     "system_error"),
    ("4.3.0", None, None, None, "soft", "system_error"),
    (None, 451, "451 Requested action aborted: local error in processing", None, "soft",
     "system_error"),
    ("5.3.0", 554, "554 5.3.0 Internal server error", None, "soft", "system_error"),
    (None, 421, "421 Service not available, closing transmission channel", None, "soft",
     "system_error"),
    (None, 451, None, None, "soft", "system_error"),
    ("4.0.0", None, "something nobody has ever written before", None, "soft", "system_error"),
    # --- blocked --------------------------------------------------------------------------
    ("5.5.0", 554, "554 mx04.mail.example.com ESMTP not accepting connections", None, "block",
     "blocked"),
    ("5.7.1", 554, "554 5.7.1 Service unavailable; Client host [203.0.113.25] blocked using "
     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.25", None, "block", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Service unavailable; Client host [203.0.113.25] blocked using "
     "bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?203.0.113.25", None, "block",
     "blocked"),
    (None, 554, "554 Service unavailable; Client host [203.0.113.25] blocked using "
     "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?ip=203.0.113.25", None,
     "block", "blocked"),
    ("5.7.606", 550, "550 5.7.606 Access denied, banned sending IP [203.0.113.25]. To request "
     "removal from this list please visit https://sender.office.com/", MS, "block", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Unfortunately, messages from [203.0.113.25] weren't sent. Please "
     "contact your Internet service provider since part of their network is on our block list "
     "(S3150).", HM, "block", "blocked"),
    ("5.7.708", 550,
     "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", MS,
     "block", "blocked"),
    ("5.7.2", 553, "553 5.7.2 [TSS09] All messages from 203.0.113.25 will be permanently "
     "deferred; Retrying will NOT succeed.", Y, "block", "blocked"),
    ("4.7.1", 421, "421 4.7.1 [TS03] All messages from 203.0.113.25 will be permanently "
     "deferred; Retrying will NOT succeed.", Y, "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 [HM08] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137", IC, "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137", IC, "block", "blocked"),
    ("5.7.0", 554, "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=203.0.113.25", None,
     "block", "blocked"),
    (None, 554, "554-gmx.net (mxgmx117) Nemesis ESMTP Service not available 554-No SMTP "
     "service 554-Reject due to policy restrictions.", GMX, "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 resimta-ch2-18v.sys.comcast.net comcast 203.0.113.25 Comcast "
     "block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000", None,
     "block", "blocked"),
    ("5.3.0", 553, "553 5.3.0 flpd575 DNSBL:RBL 521< 203.0.113.25 >_is_blocked.For assistance "
     "forward this email to abuse_rbl@abuse-att.net", None, "block", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Rejected: 203.0.113.25 listed at dnsbl-1.uceprotect.net", None,
     "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 Client host rejected: Access denied", None, "block", "blocked"),
    ("4.7.0", 421, "421-4.7.0 Our system has detected that this message is suspicious due to "
     "the very low reputation of the sending IP address. - gsmtp", G, "block", "blocked"),
    ("5.7.1", 550, "550-5.7.1 Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address. To protect our users from spam, mail sent from your IP "
     "address has been blocked. - gsmtp", G, "block", "blocked"),
    (None, 550, "550 mwinf5c77 ME Adresse IP source bloquee pour incident de spam. Client host "
     "blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com/reset-request/", None,
     "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 You are not allowed to connect.", None, "block", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Your IP address is listed in the RBL", None, "block", "blocked"),
    ("5.7.1", 554, "554 5.7.1 Rejected: Dynamic IP address, use your ISP's relay", None, "block",
     "blocked"),
    ("5.0.0", 550, "550 Blocked", None, "block", "blocked"),
    # trap: "5.7.1 user unknown" vs "5.7.1 blocklisted"
    ("5.7.1", 550, "550 5.7.1 <jo@example.org>: Recipient address rejected: user unknown", None,
     "hard", "user_unknown"),
    ("5.7.1", 550, "550 5.7.1 203.0.113.25 is blacklisted, mail rejected",
     None, "block", "blocked"),
    # --- spam_content ---------------------------------------------------------------------
    ("5.7.1", 550, "550-5.7.1 [203.0.113.25] Our system has detected that this message is "
     "likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message "
     "has been blocked. - gsmtp", G, "block", "spam_content"),
    (None, 550, "550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id",
     "mxs.mail.ru", "block", "spam_content"),
    ("5.7.1", 554, "554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc",
     "mx.yandex.ru", "block", "spam_content"),
    ("5.7.350", 550, "550 5.7.350 Remote server returned message detected as spam -> 554 5.7.1 "
     "Message rejected as spam by Content Filtering.", MS, "block", "spam_content"),
    ("5.7.9", 554, "554 5.7.9 Message not accepted for policy reasons. See "
     "https://postmaster.yahooinc.com/error-codes", Y, "block", "policy"),
    ("5.7.1", 550, "550 5.7.1 Message content rejected, UBE, id=12345-01", None, "block",
     "spam_content"),
    ("5.7.1", 554, "554 5.7.1 This message has been blocked because it looks like spam", None,
     "block", "spam_content"),
    ("5.7.1", 550, "550 5.7.1 Message identified as phishing", None, "block", "spam_content"),
    # --- policy ---------------------------------------------------------------------------
    ("5.7.1", 550, "550 5.7.1 Message rejected due to local policy", None, "block", "policy"),
    ("5.7.1", 550, None, None, "block", "policy"),
    ("5.7.0", 554, "554 5.7.0 Reject, id=12345 - Not authorized", None, "block", "policy"),
    ("5.7.1", 550, "550-5.7.1 The user or domain that you are sending to (or from) has a policy "
     "that prohibited the mail that you sent. - gsmtp", G, "block", "policy"),
    (None, 550, "550-Sender address is not allowed. 550 For explanation visit "
     "https://postmaster.web.de/en/error-messages?c=sa", "mx-ha03.web.de", "block", "policy"),
    (None, 550, "550 Rejected by header based Anti-Spoofing policy: sales@example.org - "
     "https://community.mimecast.com/docs/DOC-1369#550", "eu-smtp-inbound-1.mimecast.com", "block",
     "policy"),
    ("5.7.133", 550, "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication "
     "required; Delivery restriction check failed as sender not authenticated", MS, "block",
     "policy"),
    ("5.7.520", 550,
     "550 5.7.520 Access denied, Your organization does not allow external forwarding.", MS,
     "block", "policy"),
    ("5.1.8", 553, "553 5.1.8 <news@example.com>: Sender address rejected: Domain not found", None,
     "block", "policy"),
    ("5.7.1", 550, "550 5.7.1 Sender address rejected: not owned by user", None, "block", "policy"),
    # --- auth_failure ---------------------------------------------------------------------
    ("5.7.27", 550, "550 5.7.27 Sender address has null MX", None, "block", "auth_failure"),
    ("5.7.26", 550, "550-5.7.26 This mail is unauthenticated, which poses a security risk to "
     "the sender and Gmail users, and has been blocked. The sender must authenticate with at "
     "least one of SPF or DKIM. - gsmtp", G, "block", "auth_failure"),
    ("5.7.26", 550, "550-5.7.26 Unauthenticated email from example.com is not accepted due to "
     "domain's DMARC policy. - gsmtp", G, "block", "auth_failure"),
    ("5.7.25", 550, "550-5.7.25 [203.0.113.25] The IP address sending this message does not "
     "have a PTR record setup. - gsmtp", G, "block", "blocked"),
    ("5.7.509", 550, "550 5.7.509 Access denied, sending domain example.com does not pass DMARC "
     "verification and has a DMARC policy of reject.", MS, "block", "auth_failure"),
    ("5.7.9", 550, "550 5.7.9 This mail has been blocked because the sender is "
     "unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.", Y,
     "block", "auth_failure"),
    ("5.7.23", 550, "550 5.7.23 SPF validation failed", None, "block", "auth_failure"),
    ("5.7.1", 550, "550 5.7.1 Email rejected per DMARC policy for example.com", "mx.zoho.com",
     "block", "auth_failure"),
    ("4.7.1", 450, "450 4.7.1 Client host rejected: cannot find your hostname, [203.0.113.25]",
     None, "block", "blocked"),
    ("5.7.25", None, None, None, "block", "auth_failure"),
    ("5.7.57", 530, "530 5.7.57 Client not authenticated to send mail",
     MS, "block", "auth_failure"),
    ("5.7.1", 550, "550 5.7.1 Connections not accepted from servers without a valid sender "
     "domain.flph829 Fix reverse DNS for 203.0.113.25", None, "block", "blocked"),
    ("5.7.515", 550, "550 5.7.515 Access denied, sending domain [example.com] doesn't meet the "
     "required authentication level.", HM, "block", "auth_failure"),
    # --- virus ----------------------------------------------------------------------------
    ("5.7.0", 552, "552-5.7.0 This message was blocked because its content presents a "
     "potential security issue. - gsmtp", G, "block", "virus"),
    ("5.7.1", 554, "554 5.7.1 Virus found: Eicar-Test-Signature", None, "block", "virus"),
    ("5.7.1", 550, "550 5.7.1 Message rejected: infected with malware", None, "block", "virus"),
    ("5.7.1", 552, "552 5.7.1 Executable attachment not allowed", None, "block", "virus"),
    # --- relay_denied ---------------------------------------------------------------------
    ("5.7.1", 554, "554 5.7.1 <jo@example.org>: Relay access denied",
     None, "block", "relay_denied"),
    (None, 550, "550 relay not permitted", None, "block", "relay_denied"),
    ("5.7.1", 550, "550 5.7.1 Unable to relay for jo@example.org", None, "block", "relay_denied"),
    ("5.4.1", 550, "550 5.4.1 Relay Access Denied", MS, "block", "relay_denied"),
    (None, 550, "550 we do not relay for example.org", None, "block", "relay_denied"),
    # --- nothing known --------------------------------------------------------------------
    (None, None, None, None, "undetermined", "unknown"),
    ("5.0.0", None, "some text", None, "undetermined", "unknown"),
    ("5.0.0", 554, "554 5.0.0 Error", None, "undetermined", "unknown"),
]
# fmt: on


def _id(case: tuple) -> str:
    text = (case[2] or "")[:40]
    return f"{case[0]}-{case[1]}-{case[5]}-{text}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_real_world_wording(case: tuple) -> None:
    status, code, text, host, bounce_type, reason = case
    report = RecipientReport(named(text), "failed", status, code, text, host)
    # kind "bounce": the wording decides, not the RFC 3464 "failed with 4.x.x" expiry rule
    got = classify(report, kind="bounce")
    assert (got.bounce_type, got.reason) == (bounce_type, reason), got.rule


def test_table_is_large_and_covers_every_failure_reason() -> None:
    assert len(CASES) >= 150
    covered = {c[5] for c in CASES}
    not_failures = {"complaint", "auto_reply", "delayed", "delivered"}
    assert covered == set(REASONS) - not_failures


# More wordings, reason only: (status, smtp_code, diagnostic, reason)
# fmt: off
MORE: list[tuple[str | None, int | None, str, str]] = [
    ("5.1.1", 550,
     "550 5.1.1 <x@example.org>: Recipient address rejected: undeliverable address: host "
     "mx.example.org[1.2.3.4] said: 550 5.1.1 <x@example.org>: Recipient address rejected: User"
     " unknown in local recipient table", "user_unknown"),
    ("5.0.0", 550, "550 Recipient address rejected: Access denied", "blocked"),
    ("5.1.1", 550, "550 5.1.1 Requested action not taken: mailbox unavailable", "user_unknown"),
    # user-unknown words under a mailbox status (x.2.x): the report disagrees with itself
    ("5.2.0", 550, "550 5.2.0 Mailbox unavailable. The server response was: Mailbox does not exist",
     "policy"),
    ("5.7.1", 550, "550 5.7.1 Requested action not taken: mailbox unavailable (blocked)",
     "user_unknown"),
    ("5.7.1", 554, "554 5.7.1 Delivery not authorized, message refused", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Message rejected due to content restrictions", "policy"),
    ("5.7.0", 550, "550 5.7.0 Local Policy Violation", "policy"),
    ("4.7.1", 451, "451 4.7.1 Service unavailable - try again later", "greylisted"),
    ("5.0.0", 553, "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
     "relay_denied"),
    ("5.0.0", 550, "550 Administrative prohibition", "blocked"),
    ("5.7.1", 554, "554 5.7.1 Spam message rejected", "spam_content"),
    ("5.0.0", 550, "550 High probability of spam", "spam_content"),
    ("5.0.0", 550, "550 5.2.1 The email account that you tried to reach is disabled.",
     "mailbox_disabled"),
    ("5.2.1", 550, "550 5.2.1 Mailbox temporarily disabled", "mailbox_disabled"),
    ("5.0.0", 550, "550 Mailbox not found", "user_unknown"),
    ("5.0.0", 550, "550 5.1.1 Recipient unknown", "user_unknown"),
    ("5.0.0", 550, "550 address unknown", "user_unknown"),
    ("5.0.0", 501, "501 Invalid address", "user_unknown"),
    ("5.0.0", 550, "550 Sorry, no such user here", "user_unknown"),
    ("5.0.0", 550, "550 This account has been suspended", "mailbox_disabled"),
    ("5.0.0", 550, "550 user account is expired", "mailbox_disabled"),
    ("5.0.0", 550, "550 Message rejected because of DKIM signature verification failure",
     "auth_failure"),
    ("5.7.1", 550, "550 5.7.1 SPF check failed", "auth_failure"),
    ("5.7.1", 550, "550 5.7.1 Sender domain has no MX record", "policy"),
    ("5.0.0", 553, "553 Domain of sender address bounce@example.com does not exist", "policy"),
    ("5.0.0", 450, "450 4.1.8 <news@example.com>: Sender address rejected: Domain not found",
     "policy"),
    ("5.0.0", 550, "550 Too many invalid recipients", "rate_limited"),
    ("4.0.0", 421, "421 Too many connections from your IP", "rate_limited"),
    ("4.0.0", 451, "451 Throttled - try again later", "rate_limited"),
    ("5.0.0", 554, "554 Message size exceeds limit", "message_too_large"),
    ("5.3.4", 552, "552 5.3.4 Error: message file too big", "message_too_large"),
    ("5.0.0", 550, "550 Virus detected in message", "virus"),
    ("5.0.0", 550, "550 Message contains a virus", "virus"),
    ("5.7.1", 554,
     "554 5.7.1 The message was rejected because it contains prohibited virus or spam content",
     "virus"),
    ("4.0.0", 451, "451 Temporary failure, please try again later", "greylisted"),
    ("5.0.0", 554, "554 No SMTP service here", "not_accept"),
    ("5.1.10", 550, "550 5.1.10 Recipient address has null MX", "not_accept"),
    ("5.0.0", 550, "550 Host unknown", "domain_not_found"),
    ("5.4.4", 550, "550 5.4.4 Unrouteable address", "domain_not_found"),
    ("5.0.0", 550,
     "550 The mail server could not deliver mail to x@example.org. The account or domain may "
     "not exist, they may be blacklisted, or missing the proper dns entries.", "blocked"),
    ("5.0.0", 554,
     "554 5.7.1 Your mail could not be delivered because the recipient is only accepting mail "
     "from specific email addresses", "policy"),
    ("5.0.0", 550, "550 RCPT TO:<x@example.org> User unknown", "user_unknown"),
    ("5.0.0", 550, "550 Requested action not taken: mailbox unavailable or not local",
     "user_unknown"),
    ("5.0.0", 550, "550 Unknown local part x in <x@example.org>", "user_unknown"),
    ("5.0.0", 550, "550 x@example.org: invalid mailbox", "user_unknown"),
    ("5.7.1", 550, "550 5.7.1 Recipient address rejected: This mailbox is no longer active",
     "mailbox_disabled"),
    ("5.0.0", 550, "550 sender IP 203.0.113.25 is in a blacklist", "blocked"),
    ("5.7.1", 554, "554 5.7.1 Message refused by spam filter", "spam_content"),
    ("5.0.0", 421, "421 4.3.2 Service not available", "system_error"),
    ("5.0.0", 550, "550 5.7.1 Command rejected", "policy"),
    ("5.0.0", 550, "550 5.4.1 Recipient address rejected: Access denied. AS(201806271)", "blocked"),
    ("5.0.0", 554,
     "554 Your access to this mail system has been rejected due to the sending MTA's poor "
     "reputation", "blocked"),
    ("4.0.0", 450,
     "450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.25]",
     "blocked"),
    ("5.0.0", 550, "550 Please turn on SMTP Authentication in your mail client", "auth_failure"),
    ("5.0.0", 554, "554 5.7.1 This message has been flagged as spam", "spam_content"),
    ("5.0.0", 550, "550 User is over quota", "mailbox_full"),
    ("5.0.0", 552, "552 Mailbox limit exceeded for this email address", "mailbox_full"),
    ("5.0.0", 550, "550 Recipient's mailbox is full, message returned to sender", "mailbox_full"),
    ("5.0.0", 550, "550 Domain example.invalid does not exist", "domain_not_found"),
    ("5.0.0", 550,
     "550 5.1.2 Bad destination host 'DNS Hard Error looking up example.invalid (MX): NXDomain'",
     "domain_not_found"),
    ("5.7.511", 550,
     "550 5.7.511 Access denied, banned sender[203.0.113.25]. To request removal from this"
     " list please forward this message to delist@microsoft.com", "blocked"),
    ("5.7.501", 550, "550 5.7.501 Service unavailable. Spam abuse detected from IP range.",
     "spam_content"),
    ("5.1.8", 550, "550 5.1.8 Access denied, bad outbound sender", "policy"),
    ("5.7.1", 550,
     "550 5.7.1 Service unavailable, Client host [203.0.113.25] blocked using Spamhaus. To"
     " request removal from this list see https://www.spamhaus.org/query/ip/203.0.113.25 "
     "AS(1450)", "blocked"),
    ("5.7.32", 550,
     "550-5.7.32 Your email has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM.", "auth_failure"),
    ("4.7.32", 421,
     "421-4.7.32 Your email has been rate limited because the From: header (RFC5322) in "
     "this message isn't aligned with either the authenticated SPF or DKIM organizational "
     "domain.", "rate_limited"),
    ("5.7.1", 550,
     "550-5.7.1 This message does not meet IPv6 sending guidelines regarding PTR records "
     "and authentication.", "blocked"),
    ("4.7.0", 421,
     "421-4.7.0 This message is suspicious due to the nature of the content or the links "
     "within.", "spam_content"),
    ("5.7.0", 554, "554 5.7.0 Reject, id=12345-01 - spam", "spam_content"),
    ("5.7.1", 550, "550 5.7.1 Mail rejected by LinkedIn due to spam: [MessageContent]",
     "spam_content"),
    ("5.2.1", 550, "550 5.2.1 <x@example.org>... Mailbox disabled for this recipient",
     "mailbox_disabled"),
    ("5.0.0", 550, "550 5.1.1 <x@example.org>... User unknown", "user_unknown"),
    ("5.0.0", 553, "553 5.3.0 <x@example.org>... No such user here", "user_unknown"),
    ("5.0.0", 550, "550 <x@example.org>: Recipient address rejected: Mailbox is frozen.",
     "mailbox_disabled"),
    ("4.0.0", 451, "451 4.3.5 Server configuration problem", "system_error"),
    ("4.0.0", 452, "452 4.3.1 Insufficient system storage", "system_error"),
    ("5.0.0", 550, "550 Requested action not taken: mailbox name not allowed", "user_unknown"),
    ("5.0.0", 550,
     "550 Message rejected: Email address is not verified. The following identities failed"
     " the check in region US-EAST-1: news@example.com", "policy"),
    ("5.0.0", 554, "554 Message rejected: Sending paused for this account", "policy"),
    ("4.0.0", 450, "450 4.7.25 Client host rejected: cannot find your hostname", "blocked"),
    ("5.0.0", 550, "550 5.7.1 Your message was rejected by this user and was not delivered",
     "policy"),
    ("5.0.0", 550, "550 Your e-mail was rejected because the recipient has blocked your address",
     "blocked"),
    ("5.0.0", 550, "550 Mailbox quota usage exceeded", "mailbox_full"),
    ("5.0.0", 452, "452 4.2.2 Over Quota", "mailbox_full"),
    ("5.0.0", 550, "550 5.7.1 Message rejected: Attachment type not allowed (.exe)", "virus"),
    ("5.0.0", 550, "550 The recipient mailbox is not available", "user_unknown"),
    ("5.4.4", 550, "550 5.4.4 Invalid domain", "domain_not_found"),
    ("5.0.0", 550, "550 5.1.6 Recipient addresses have moved", "has_moved"),
    ("5.0.0", 550, "550 Sorry, this mailbox has been closed", "mailbox_disabled"),
    ("5.0.0", 554, "554 5.4.6 Routing loop detected -- too many Received: headers",
     "network_error"),
    ("5.0.0", 550, "550 5.7.1 TLS is required, but was not offered by host", "policy"),
    # hard reasons must not fire on other things being disabled, listed or unresolvable
    ("5.7.1", 550, "550 5.7.1 Relaying disabled for this client", "relay_denied"),
    ("5.0.0", 554, "554 TLS disabled on this port, message refused", "blocked"),
    ("5.7.1", 550, "550 5.7.1 Your IP is not listed in our allow list", "blocked"),
    ("5.0.0", 550, "550 User jo not listed in public Name & Address Book", "user_unknown"),
    ("4.1.8", 450, "450 4.1.8 Sender domain example.com could not be resolved", "policy"),
    # French and German replies that carry no status: the wording alone tells
    (None, 550, "550 <jo@example.de>: Benutzer unbekannt", "user_unknown"),
    (None, 550, "550 Empf\u00e4nger unbekannt / Recipient unknown", "user_unknown"),
    (None, 550, "550 Postfach existiert nicht", "user_unknown"),
    (None, 550, "550 Destinataire inconnu", "user_unknown"),
    (None, 550, "550 Adresse e-mail inexistante", "user_unknown"),
    (None, 552, "552 Postfach voll", "mailbox_full"),
    (None, 552, "552 Speicherkontingent \u00fcberschritten", "mailbox_full"),
    (None, 552, "552 Bo\u00eete aux lettres pleine", "mailbox_full"),
    (None, 552, "552 Quota d\u00e9pass\u00e9 pour jo@example.fr", "mailbox_full"),
    # --- sender-address rejections -----------------------------------------------------
    (None, 550, "550 <news@example.net> SIZE=1024: Unroutable sender address", "policy"),
    ("5.7.1", 550, "550 5.7.1 Sender verify failed", "policy"),
    ("5.1.0", 550, "550 5.1.0 Emetteur invalide. Invalid Sender.", "policy"),
    ("5.7.1", 553, "553 5.7.1 Mail from not owned by user", "policy"),
    # qmail says which command failed in its own words
    (None, 553, "Connected to 192.0.2.225 but sender was rejected. Remote host said: 553 "
     "sorry, your envelope sender is in my badmailfrom list", "policy"),
    (None, 501, "Connected to 192.0.2.112 but my name was rejected. Remote host said: 501 "
     "5.0.0 Invalid domain name", "blocked"),
    (None, 550, "550 Null sender is not allowed", "policy"),
    (None, 550, "550 5.7.1 You are not allowed to post to this mailing list", "policy"),
    (None, 554, "554 5.7.9 Header error", "policy"),
    (None, 550, "550 Message rejected: closed mailing list", "policy"),
    ("5.0.0", 554, "554 Message not allowed - [PH01] Email not accepted for policy reasons.",
     "policy"),
    ("5.7.0", 535, "535 5.7.0 Authentication failure", "auth_failure"),
    (None, 554, "554 Message rejected: Account not subscribed to SES", "auth_failure"),
    # mailbox full, in words that read like rate limits or sizes
    (None, 550, "550 too much mail data", "mailbox_full"),
    (None, 552, "552 user has too many messages on the server", "mailbox_full"),
    (None, 550, "550 mail file size exceeds the maximum size allowed for mail delivery",
     "mailbox_full"),
    (None, 552, "552 Account disabled temporarly for exceeding receiving limits", "mailbox_full"),
    (None, 552, "552 The user's space has been used up.", "mailbox_full"),
    # connection and sending limits
    (None, 421, "421 Too many SMTP sessions for this host", "rate_limited"),
    (None, 421, "421 Too many errors from your IP", "rate_limited"),
    (None, 421, "421 Trop de connexions, veuillez verifier votre configuration.", "rate_limited"),
    (None, 550, "550 has exceeded the max emails per hour (100)", "rate_limited"),
    (None, None, "Name or service not known", "network_error"),
    (None, 550, "550 Mail domain mentioned in email address is unknown", "domain_not_found"),
    (None, 550, "550 mail forwarding loop for jo@example.org", "network_error"),
    (None, 550, "550 relaying to <jo@example.org> prohibited by administrator", "relay_denied"),
    ("5.7.1", 550, "550 5.7.1 Your message was detected as bulk", "spam_content"),
    (None, None, "malformed address: <jo@example.org> may not follow ann@example.org",
     "system_error"),
    # mailbox suspended
    (None, 550, "550 Invalid/inactive user", "mailbox_disabled"),
    (None, 550, "550 recipient suspend the service", "mailbox_disabled"),
    # --- PTR / reverse DNS and sending-host checks --------------------------------------
    ("4.7.1", 450, "450 4.7.1 Access denied. IP name lookup failed [203.0.113.25]", "blocked"),
    ("5.0.0", 554, "554-No SMTP service 554-Bad DNS PTR resource record. 554 For explanation "
     "visit http://postmaster.example.com/en/error-messages?ip=203.0.113.25&c=rdns", "blocked"),
    ("4.7.1", 450, "450 4.7.1 <c135.example.ne.jp[192.0.2.56]>: Client host rejected: may not "
     "be mail exchanger", "blocked"),
    (None, 550, "550 service permits 2 unverifyable sending IPs - example.net is not "
     "203.0.113.25", "blocked"),
    (None, 554, "554 INVALID IP FOR SENDING MAIL OF DOMAIN example.net [RCPT_TO]", "blocked"),
    (None, 554, "554 Refused - see http://www.example-rbl.org/lookup?ip=203.0.113.25", "blocked"),
    (None, 550, "550 Too many spams from your IP (203.0.113.25), please visit "
     "http://postmaster.free.fr/", "blocked"),
    (None, 550, "550 We do not accept mail from dynamic IPs", "blocked"),
    (None, 554, "554 This system will not accept messages from servers/devices with no reverse "
     "DNS", "blocked"),
    # --- frequency limits ----------------------------------------------------------------
    (None, 550, "550 Sender frequency limited. http://service.mail.qq.com/detail/122/174",
     "rate_limited"),
    (None, 450, "450 User is receiving mail too quickly", "rate_limited"),
    (None, 421, "421 Max message per connection reached, closing transmission channel",
     "rate_limited"),
    # --- policy rejections -----------------------------------------------------------------
    ("5.0.0", 550, "550 Denied by policy", "policy"),
    ("5.7.1", 550, "550 5.7.1 Message rejected by policy", "policy"),
    ("5.6.0", 552, "552 5.6.0 Headers too large (32768 max)", "policy"),
    ("5.7.1", 550, "550-5.7.1 This message is not RFC 5322 compliant. There are multiple "
     "Subject headers. - gsmtp", "policy"),
    (None, 554, "554 Transaction failed: Duplicate header 'DKIM-Signature'.", "policy"),
    ("5.7.1", 501, "501 RCPT TO not accepted: 5.7.1 This system is not configured to relay "
     "mail from <news@example.net> to <jo@example.org>", "relay_denied"),
    (None, 550, "550 Insecure Mail Relay", "relay_denied"),
    (None, None, "You are not a member of this mailing list <club@example.org>.", "policy"),
    (None, 550, "550 REJECTED - Blacklisted URL in message. (shop.example) in [black]. See "
     "http://lookup.uribl.com.", "spam_content"),
    ("5.7.1", 554, "554 5.7.1 Rejected: message contains a link listed at multi.surbl.org",
     "spam_content"),
    # --- size, DNS, system --------------------------------------------------------------------
    (None, 500, "500 Line limit exceeded", "message_too_large"),
    ("5.1.10", 556, "556 5.1.10 Recipient address has null MX", "not_accept"),
    ("5.4.4", None, "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
     "not_accept"),
    ("5.1.2", None, "Sorry, I couldn't find any host named example.invalid. (#5.1.2)",
     "domain_not_found"),
    # a host's own permanent reply under x.4.1 ("no answer from host"): the words decide
    ("5.4.1", 550, "550 5.4.1 All recipient addresses rejected : Access denied "
     "[AM0PR01MB1234.eurprd01.prod.protection.outlook.com]", "blocked"),
    ("4.4.1", None, "connect to mx.example.org[192.0.2.1]:25: Connection timed out",
     "network_error"),
    ("5.1.10", 550, "550 5.1.10", "not_accept"),
    ("4.0.0", 451, "451 Could not load DRD for domain (example.org)", "system_error"),
    (None, None, "Routing: Could not find a gateway for jo@example.org (delivery aborted after "
     "5.0 hour(s))", "network_error"),
    (None, None, "Delivery aborted after 2 day(s)", "expired"),
    ("5.4.312", 550, "550 5.4.312 Message expired, DNS query failed", "network_error"),
    (None, None, "DNS Error: DNS type 'mx' lookup of example.net had no relevant answers.",
     "network_error"),
    ("5.0.0", 554, "554 Service currently unavailable", "system_error"),
    (None, None, "Delivery failed 20 attempts", "expired"),
    # --- Orange / La Poste, Spectrum, Tencent, Microsoft, Gmail -----------------------------
    ("5.5.0", 550, "550 5.5.0 Boite du destinataire archivee. Archived recipient. "
     "LPN007_420", "mailbox_disabled"),
    ("5.5.0", 550, "550 5.5.0 Le compte du destinataire est bloque. The recipient account is "
     "blocked. LPN007_426", "mailbox_disabled"),
    ("4.2.0", 421, "421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, "
     "please try later. OFR005_505 [505]", "system_error"),
    ("5.3.4", 552, "552 5.3.4 Your email was rejected because it's larger than the maximum "
     "size of 20MB. AUP#O-1530", "message_too_large"),
    ("4.7.0", 421, "421 4.7.0 Spectrum limits the number of concurrent connections. "
     "AUP#I-1310", "rate_limited"),
    (None, 550, "550 Mail content denied. https://service.mail.qq.com/detail/122/171 mx3.qq.com",
     "spam_content"),
    ("5.1.10", 550, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
     "address lookup", "user_unknown"),
    ("5.0.0", None, "Your message wasn't delivered to jo@example.org because the address "
     "couldn't be found, or is unable to receive mail.", "user_unknown"),
    ("5.0.0", 554, "554 delivery error: dd Sorry your message to jo@example.co.jp cannot be "
     "delivered. This account has been disabled or discontinued [#102]. - mta1.example.co.jp",
     "mailbox_disabled"),
]
# fmt: on


@pytest.mark.parametrize("case", MORE, ids=[f"{c[3]}-{c[2][:40]}" for c in MORE])
def test_more_real_world_wording(case: tuple) -> None:
    status, code, text, reason = case
    got = classify(RecipientReport(named(text), "failed", status, code, text), kind="bounce")
    assert got.reason == reason, got.rule
