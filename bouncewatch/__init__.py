"""bouncewatch: watch a bounce mailbox, tell senders which addresses to stop mailing and why.

One message flows one way (docs/architecture.md draws it; tests/test_architecture.py holds
every module to it):

    source -> parse -> classify -> record -> acknowledge
    (sources)  (parse)  (classify)  (store)    (sources)

`analyze` runs parse then classify; the service pass and the CLI's `ingest` run a source's
messages through `analyze` and `store`.  Beneath everything: `model` (the shared
dataclasses and vocabulary) and the floor `smtp` (status and reply codes), which import
nothing of the project.
"""

__version__ = "0.1.0"

import os as _os
from importlib.machinery import EXTENSION_SUFFIXES as _EXTENSION_SUFFIXES


def _compiled() -> bool:
    """Whether this copy of the package runs the compiled parser (an extension module stands
    beside parse/lean.py), refusing one inside a source checkout: there a stale extension
    would shadow every edit of its source."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    lean = _os.path.join(here, "parse", "lean")
    found = [lean + s for s in _EXTENSION_SUFFIXES if _os.path.exists(lean + s)]
    if found and _os.path.exists(_os.path.join(here, _os.pardir, "pyproject.toml")):
        raise ImportError(
            f"compiled modules inside the source tree ({found[0]}) would shadow the source:"
            " delete them (`make clean-compiled`); the compiled build is installed into its"
            " own virtualenv (`make compiled`), never in place"
        )
    return bool(found)


#: True when the parser and classifier run as modules compiled by mypyc (`make compiled`),
#: False for the pure-Python package
COMPILED: bool = _compiled()
BUILD = "compiled" if COMPILED else "pure Python"
