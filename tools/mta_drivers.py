"""Install, configure, start and stop one real MTA for bounce capture (developer tool).

Each driver routes all outgoing mail to the scripted sink (``smtp_sink``) on 127.0.0.1 and
delivers mail for ``example.net`` (where the bounces go) to the local user ``newsletter``.
Config templates live in ``tools/mta/<mta>/``; ``@NAME@`` placeholders are filled in here.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "mta"
SINK_PORT = 2525
TARPIT_PORT = 2526
CLOSED_PORT = 2599
SUBMIT_PORT = 2587  # where an MTA without a DSN-capable sendmail command takes submissions
HOME = Path("/home/newsletter")
LIFETIME_S = 90  # queue lifetime before a temporarily failing message is returned


def run(cmd: list[str], check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a command, echoing it; output captured as text."""
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)  # type: ignore[call-overload]


def render(template: str, **values: object) -> str:
    text = (TEMPLATES / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def apt_install(packages: tuple[str, ...], preseed: str = "") -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if preseed:
        subprocess.run(["debconf-set-selections"], input=preseed, text=True, check=True)
    run(["apt-get", "install", "-y", "-q", *packages], env=env)


def apt_purge(packages: tuple[str, ...]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "purge", "-y", "-q", *packages], env=env, check=False)


def ensure_user() -> None:
    """The local user receiving the bounces, with an empty Maildir and mbox."""
    if run(["id", "newsletter"], check=False).returncode != 0:
        run(["useradd", "-m", "-s", "/usr/sbin/nologin", "newsletter"])
    shutil.rmtree(HOME / "Maildir", ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (HOME / "Maildir" / sub).mkdir(parents=True, exist_ok=True)
    run(["chown", "-R", "newsletter:newsletter", str(HOME)])
    run(["chmod", "700", str(HOME / "Maildir")])
    spool = Path("/var/mail/newsletter")
    if spool.exists():
        spool.write_bytes(b"")


class Driver:
    """One MTA: the packages, how to configure, start, submit to and stop it."""

    name = ""
    packages: tuple[str, ...] = ()
    preseed = ""
    sendmail = "/usr/sbin/sendmail"
    skip_cases: frozenset[str] = frozenset()  # cases this MTA cannot route or report
    warns = True  # sends delay warnings for temporary failures

    def install(self) -> None:
        apt_install(self.packages, self.preseed)

    def purge(self) -> None:
        apt_purge(self.packages)

    def version(self) -> str:
        return ""

    def configure(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Ask the MTA to run its queue now (no-op where it does so by itself)."""

    def submit(self, message: bytes, sender: str, recipients: list[str], notify: str) -> None:
        cmd = [self.sendmail, "-i", "-f", sender, "-N", notify, "--", *recipients]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, input=message, check=True)


def submit_smtp(message: bytes, sender: str, recipients: list[str], notify: str) -> None:
    """Submit over SMTP to the MTA's own listener on 127.0.0.1, with DSN NOTIFY."""
    with smtplib.SMTP("127.0.0.1", SUBMIT_PORT, local_hostname="mail.example.net") as smtp:
        smtp.sendmail(sender, recipients, message, rcpt_options=[f"NOTIFY={notify.upper()}"])


class Postfix(Driver):
    name = "postfix"
    packages = ("postfix",)
    preseed = (
        "postfix postfix/main_mailer_type select Local only\n"
        "postfix postfix/mailname string mail.example.net\n"
    )

    def version(self) -> str:
        return "Postfix " + run(["postconf", "-h", "mail_version"]).stdout.strip()

    def configure(self) -> None:
        Path("/etc/postfix/main.cf").write_text(render("postfix/main.cf", LIFETIME=LIFETIME_S))
        Path("/etc/postfix/bw_transport").write_text(
            render("postfix/transport", SINK=SINK_PORT, TARPIT=TARPIT_PORT, CLOSED=CLOSED_PORT)
        )
        Path("/etc/mailname").write_text("mail.example.net\n")
        # No smtpd listener (port 25 stays free) and no chroot (the private /etc applies).
        run(["postconf", "-M#", "smtp/inet"], check=False)
        run(["postconf", "-F", "*/*/chroot = n"])
        run(["newaliases"], check=False)

    def start(self) -> None:
        run(["postfix", "start"], check=False)
        time.sleep(2)

    def flush(self) -> None:
        run(["postqueue", "-f"], check=False)

    def stop(self) -> None:
        run(["postfix", "stop"], check=False)


class Exim(Driver):
    name = "exim"
    packages = ("exim4-daemon-light",)
    purge_packages = ("exim4-daemon-light", "exim4-base", "exim4-config", "exim4")

    def purge(self) -> None:
        apt_purge(self.purge_packages)
        shutil.rmtree("/etc/exim4", ignore_errors=True)  # our exim4.conf keeps it alive

    def version(self) -> str:
        return run(["exim4", "--version"]).stdout.splitlines()[0]

    def configure(self) -> None:
        conf = render(
            "exim/exim4.conf",
            SUBMIT=SUBMIT_PORT,
            SINK=SINK_PORT,
            TARPIT=TARPIT_PORT,
            CLOSED=CLOSED_PORT,
            LIFETIME=LIFETIME_S,
        )
        Path("/etc/exim4/exim4.conf").write_text(conf)
        Path("/etc/mailname").write_text("mail.example.net\n")
        for sub in ("input", "msglog", "db"):
            shutil.rmtree(Path("/var/spool/exim4") / sub, ignore_errors=True)
        run(["exim4", "-bV"])

    def start(self) -> None:
        # SMTP listener on 127.0.0.1:SUBMIT_PORT only, queue runs every 10 s.
        run(["exim4", "-bd", "-q10s"])
        time.sleep(2)

    def submit(self, message: bytes, sender: str, recipients: list[str], notify: str) -> None:
        # exim's -N means "do not deliver": DSN options go over SMTP instead.
        submit_smtp(message, sender, recipients, notify)

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        pid = Path("/run/exim4/exim.pid")
        if pid.exists():
            run(["kill", pid.read_text().strip()], check=False)
        time.sleep(1)


class Sendmail(Driver):
    name = "sendmail"
    packages = ("sendmail-bin", "sendmail-cf", "m4", "make")
    purge_packages = ("sendmail-bin", "sendmail-cf", "sendmail-base")
    pid_file = Path("/run/bw-capture/sendmail.pid")

    def install(self) -> None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *self.packages], env=env)

    def purge(self) -> None:
        apt_purge(self.purge_packages)
        shutil.rmtree("/etc/mail", ignore_errors=True)  # our generated files keep it alive

    def version(self) -> str:
        out = run(["sendmail", "-d0.1", "-bt"], check=False, input="").stdout
        return "Sendmail " + out.split()[1]

    def configure(self) -> None:
        etc = Path("/etc/mail")
        mc = render("sendmail/sendmail.mc", SINK=SINK_PORT, TARPIT=TARPIT_PORT,
                    CLOSED=CLOSED_PORT, LIFETIME=LIFETIME_S)  # fmt: skip
        mc += f"define(`confPID_FILE', `{self.pid_file}')dnl\n"
        (etc / "bw-capture.mc").write_text(mc)
        cf = run(["m4", str(etc / "bw-capture.mc")]).stdout
        (etc / "sendmail.cf").write_text(cf)
        (etc / "mailertable").write_text(render("sendmail/mailertable"))
        (etc / "local-host-names").write_text(render("sendmail/local-host-names"))
        # makemap refuses to write into /etc/mail here (safe-file checks): build, then move.
        scratch = Path("/run/bw-capture/mailertable")
        with open(etc / "mailertable") as src:
            run(["makemap", "hash", str(scratch)], stdin=src)
        shutil.move(f"{scratch}.db", etc / "mailertable.db")
        run(["newaliases"], check=False)
        for path in Path("/var/spool/mqueue").glob("*"):
            path.unlink()
        # Under some sandboxes root loses DAC override once the set-gid sendmail switches ids:
        # let root own the queue directory.
        shutil.chown("/var/spool/mqueue", "root", "smmsp")
        Path("/var/spool/mqueue").chmod(0o770)

    def start(self) -> None:
        # Queue runner only (no SMTP listener); the initial delivery happens at submission.
        run(["sendmail", "-q10s"])
        time.sleep(1)

    def submit(self, message: bytes, sender: str, recipients: list[str], notify: str) -> None:
        cmd = ["sendmail", "-Am", "-i", "-f", sender, "-N", notify, "--", *recipients]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, input=message, check=True)

    def stop(self) -> None:
        if self.pid_file.exists():
            run(["kill", self.pid_file.read_text().split()[0]], check=False)
        time.sleep(1)


class OpenSMTPD(Driver):
    name = "opensmtpd"
    packages = ("opensmtpd",)
    purge_packages = ("opensmtpd", "opensmtpd-extras")

    def purge(self) -> None:
        apt_purge(self.purge_packages)

    def version(self) -> str:
        out = run(["smtpd", "-h"], check=False)
        text = (out.stdout + out.stderr).strip()
        return text.splitlines()[0] if text else "OpenSMTPD"

    def configure(self) -> None:
        conf = render("opensmtpd/smtpd.conf", SUBMIT=SUBMIT_PORT, SINK=SINK_PORT,
                      TARPIT=TARPIT_PORT, CLOSED=CLOSED_PORT, LIFETIME=LIFETIME_S)  # fmt: skip
        Path("/etc/smtpd.conf").write_text(conf)
        Path("/etc/mailname").write_text("mail.example.net\n")
        run(["smtpd", "-n", "-f", "/etc/smtpd.conf"])
        queue = Path("/var/spool/smtpd")
        for sub in ("queue", "incoming", "corrupt", "temporary", "purge"):
            for path in (queue / sub).glob("*"):
                shutil.rmtree(path, ignore_errors=True)

    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Foreground (-d) so this process owns it and can stop it by its pid.
        self.process = subprocess.Popen(
            ["smtpd", "-d", "-f", "/etc/smtpd.conf"],
            stdout=subprocess.DEVNULL,
            stderr=open("/run/bw-capture/smtpd.log", "wb"),  # noqa: SIM115
        )
        time.sleep(2)

    def submit(self, message: bytes, sender: str, recipients: list[str], notify: str) -> None:
        submit_smtp(message, sender, recipients, notify)

    def flush(self) -> None:
        run(["smtpctl", "schedule", "all"], check=False)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Courier(Driver):
    name = "courier"
    packages = ("courier-mta",)
    purge_packages = ("courier-mta", "courier-base", "courier-authdaemon", "courier-authlib")

    def install(self) -> None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *self.packages], env=env)

    def purge(self) -> None:
        apt_purge(self.purge_packages)
        shutil.rmtree("/etc/courier", ignore_errors=True)  # our control files keep it alive

    def version(self) -> str:
        out = run(["dpkg-query", "-W", "-f", "${Version}", "courier-mta"], check=False)
        return "Courier " + out.stdout.strip()

    def configure(self) -> None:
        etc = Path("/etc/courier")
        values = {"SINK": SINK_PORT, "TARPIT": TARPIT_PORT, "CLOSED": CLOSED_PORT,
                  "LIFETIME": LIFETIME_S}  # fmt: skip
        (etc / "esmtproutes").write_text(render("courier/esmtproutes", **values))
        for line in render("courier/control.txt", **values).splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                (etc / name).write_text(value.replace("\\n", "\n") + "\n")
        Path("/etc/mailname").write_text("mail.example.net\n")

    def start(self) -> None:
        run(["authdaemond", "start"], check=False)
        run(["courier", "start"])
        time.sleep(2)

    def flush(self) -> None:
        pass

    def stop(self) -> None:
        run(["courier", "stop"], check=False)
        run(["authdaemond", "stop"], check=False)
        time.sleep(1)


class Nullmailer(Driver):
    """A relay-only MTA: no local delivery, so its bounces come back through the sink."""

    name = "nullmailer"
    packages = ("nullmailer",)
    # One smarthost for everything: no per-domain routing, no success or delay notices.
    # It also fails every recipient of a transaction with the first RCPT rejection (so the
    # "multi" case has no single truth) and reports a 4xx expiry as "Action: delayed".
    skip_cases = frozenset(
        {"nxdomain", "deadmx", "nullmx", "refused", "slow", "ok", "local", "multi"}
    )
    warns = False
    process: subprocess.Popen[bytes] | None = None

    def purge(self) -> None:
        apt_purge(self.packages)
        shutil.rmtree("/etc/nullmailer", ignore_errors=True)  # our control files keep it alive

    def version(self) -> str:
        out = run(["dpkg-query", "-W", "-f", "${Version}", "nullmailer"], check=False)
        return "nullmailer " + out.stdout.strip()

    def configure(self) -> None:
        etc = Path("/etc/nullmailer")
        files = {
            "remotes": f"127.0.0.1 smtp --port={SINK_PORT}",
            "me": "mail.example.net",
            "defaultdomain": "example.net",
            "adminaddr": "",
            "queuelifetime": str(LIFETIME_S),
            "pausetime": "10",
            "maxpause": "15",
            "sendtimeout": "30",
        }
        for name, value in files.items():
            (etc / name).write_text(value + "\n")
        Path("/etc/mailname").write_text("mail.example.net\n")
        for sub in ("queue", "failed", "tmp"):
            for path in (Path("/var/spool/nullmailer") / sub).glob("*"):
                path.unlink()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["/usr/sbin/nullmailer-send"],
            user="mail",
            group="mail",
            stdout=subprocess.DEVNULL,
            stderr=open("/run/bw-capture/nullmailer.log", "wb"),  # noqa: SIM115
        )
        time.sleep(1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Dma(Driver):
    """DragonFly Mail Agent: no daemon, no DSN, one plain-text bounce per failed recipient.

    dma delivers straight to a domain's MX only on port 25, so everything goes through the
    sink as its smarthost (``mx.example.org``), the bounces to example.net included; the
    routing cases (no such domain, dead or null MX) cannot be made that way.  It retries a
    temporary failure for days and sends no delay warnings or success notices, so those
    cases are not sent either.
    """

    name = "dma"
    packages = ("dma",)
    preseed = "dma dma/mailname string mail.example.net\ndma dma/relayhost string \n"
    sendmail = "/usr/sbin/dma"
    skip_cases = frozenset(
        {"grey", "ratelimit", "overquota", "unsolicited", "refused", "slow", "ok", "local"}
        | {"nxdomain", "deadmx", "nullmx"}
    )
    warns = False

    def version(self) -> str:
        out = run(["dpkg-query", "-W", "-f", "${Version}", "dma"], check=False)
        return "dma " + out.stdout.strip()

    def configure(self) -> None:
        Path("/etc/mailname").write_text("mail.example.net\n")
        Path("/etc/dma/dma.conf").write_text(
            f"SMARTHOST mx.example.org\nPORT {SINK_PORT}\nMAILNAME /etc/mailname\n"
            "SPOOLDIR /var/spool/dma\n"
        )
        for path in Path("/var/spool/dma").glob("*"):
            path.unlink()

    def start(self) -> None:
        pass

    def flush(self) -> None:
        run([self.sendmail, "-q"], check=False)

    def stop(self) -> None:
        pass

    def submit(self, message: bytes, sender: str, recipients: list[str], notify: str) -> None:
        cmd = [self.sendmail, "-i", "-f", sender, "--", *recipients]  # dma has no DSN options
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, input=message, check=True)


DRIVERS: dict[str, type[Driver]] = {
    "dma": Dma,
    "nullmailer": Nullmailer,
    "courier": Courier,
    "postfix": Postfix,
    "exim": Exim,
    "sendmail": Sendmail,
    "opensmtpd": OpenSMTPD,
}
