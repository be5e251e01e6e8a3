#!/usr/bin/env bash
# `make demo`: run bouncewatch for real on the demo bounce mailbox (demo/mail/).
#
# With a private Dovecot IMAP server (installed with apt-get when missing): APPEND the demo
# bounces, one pass of the daemon (`bouncewatch run --once`), then the resulting states.
# Where no IMAP server can be installed, the same messages are read as a Maildir
# (`bouncewatch ingest`).  Results stay in demo-state/.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"

if [ ! -x /usr/sbin/dovecot ]; then
    echo "== installing dovecot-imapd (a private IMAP server for the demo; nothing is started system-wide)"
    if command -v apt-get >/dev/null; then
        install_dovecot() {
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                dovecot-imapd >/dev/null 2>&1
        }
        # a fresh machine has no package lists yet: update them once if the install fails
        install_dovecot || { $SUDO apt-get update -qq >/dev/null 2>&1 && install_dovecot; } || true
        # the package may start the system Dovecot; the demo doesn't use it
    fi
fi

if [ -x /usr/sbin/dovecot ] && command -v openssl >/dev/null; then
    exec "$PY" demo/run_demo.py
else
    echo "== no IMAP server could be installed: using the demo Maildir instead"
    exec "$PY" demo/run_demo.py --maildir
fi
