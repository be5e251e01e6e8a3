"""Decoders for bounces that don't follow RFC 3464: one module per format.

`FORMAT_DETECTORS` is the one ordered list the parse registry runs after RFC 3464 and
before auto-reply detection; first hit wins, so the most specific formats come first
(a provider's variant before the MTA it is built on: AOL before sendmail, Yahoo before
qmail; JSON notifications before anything that reads text).
"""

from __future__ import annotations

from bouncewatch.parse.base import Detector
from bouncewatch.parse.formats.aol import AolDetector
from bouncewatch.parse.formats.courier import CourierDetector
from bouncewatch.parse.formats.domino import DominoDetector
from bouncewatch.parse.formats.exchange import ExchangeDetector
from bouncewatch.parse.formats.exim import EximDetector
from bouncewatch.parse.formats.gmail import GmailDetector
from bouncewatch.parse.formats.groupwise import GroupWiseDetector
from bouncewatch.parse.formats.imail import IMailDetector
from bouncewatch.parse.formats.ironport import IronPortDetector
from bouncewatch.parse.formats.mailmarshal import MailMarshalDetector
from bouncewatch.parse.formats.mdaemon import MDaemonDetector
from bouncewatch.parse.formats.office365 import Office365Detector
from bouncewatch.parse.formats.opensmtpd import OpenSmtpdDetector
from bouncewatch.parse.formats.postfix import PostfixDetector
from bouncewatch.parse.formats.qmail import QmailDetector
from bouncewatch.parse.formats.sendmail import SendmailDetector
from bouncewatch.parse.formats.ses import SesDetector
from bouncewatch.parse.formats.yahoo import YahooDetector

FORMAT_DETECTORS: list[Detector] = [
    SesDetector(),
    GmailDetector(),
    YahooDetector(),
    AolDetector(),
    DominoDetector(),
    GroupWiseDetector(),
    IMailDetector(),
    MailMarshalDetector(),
    IronPortDetector(),
    MDaemonDetector(),
    CourierDetector(),
    OpenSmtpdDetector(),
    Office365Detector(),
    ExchangeDetector(),
    QmailDetector(),
    EximDetector(),
    PostfixDetector(),
    SendmailDetector(),
]

__all__ = [
    "FORMAT_DETECTORS",
    "AolDetector",
    "CourierDetector",
    "DominoDetector",
    "ExchangeDetector",
    "EximDetector",
    "GmailDetector",
    "GroupWiseDetector",
    "IMailDetector",
    "IronPortDetector",
    "MDaemonDetector",
    "MailMarshalDetector",
    "Office365Detector",
    "OpenSmtpdDetector",
    "PostfixDetector",
    "QmailDetector",
    "SendmailDetector",
    "SesDetector",
    "YahooDetector",
]
