"""Build script.  pyproject.toml holds the package's metadata; this file only decides whether
the parser is compiled.

Without BOUNCEWATCH_COMPILE=1 (what `pip install -e .`, `make demo` and `make test` do) the
package is pure Python and nothing is compiled.  With it, the modules below are compiled by
mypyc into C extensions (`make compiled` builds them into .venv-compiled).  It needs mypy,
setuptools, a C compiler and the Python headers, and is refused for an editable install: an
extension module next to its source would shadow every later edit of that source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent

#: compiled with BOUNCEWATCH_COMPILE=1: the parser, the classifier and the SMTP helpers, every
#: module of them except those that stay dynamic on purpose -- parse/base.py (runtime-checkable
#: Protocols) and parse/lazyre.py (patterns that fill their own slots on first use).  The
#: model's dataclasses and `analyze` stay Python: compiled, a dataclass checks every field's
#: type (the store and callers build them too), and `analyze` returns an error for any
#: argument, where a compiled function raises TypeError for one its annotation excludes.
NOT_COMPILED = {"bouncewatch/parse/base.py", "bouncewatch/parse/lazyre.py"}
COMPILED_PACKAGES = ("parse", "parse/formats", "classify", "smtp")


def compiled_sources() -> list[str]:
    """The modules mypyc compiles, as paths relative to the project."""
    found = [
        path.relative_to(ROOT).as_posix()
        for package in COMPILED_PACKAGES
        for path in sorted((ROOT / "bouncewatch" / package).glob("*.py"))
        if path.name != "__init__.py"
    ]
    return [p for p in found if p not in NOT_COMPILED]


class BuildExt(build_ext):
    """build_ext that never writes an extension module into the source tree."""

    def run(self) -> None:
        if self.extensions and (self.inplace or getattr(self, "editable_mode", False)):
            raise SystemExit(REFUSED)
        super().run()


#: the commands that only write the package's metadata
METADATA_ONLY = {"dist_info", "egg_info"}
#: the commands that build into the source tree
IN_PLACE = {"develop", "editable_wheel", "--inplace", "-i"}
REFUSED = (
    "bouncewatch: BOUNCEWATCH_COMPILE=1 is refused for an in-place or editable build (a"
    " compiled module in the source tree would shadow its edited source): install it without"
    " -e, into its own virtualenv (make compiled)"
)


def ext_modules() -> list[Extension]:
    if os.environ.get("BOUNCEWATCH_COMPILE") != "1":
        return []
    if IN_PLACE.intersection(sys.argv[1:]):
        raise SystemExit(REFUSED)
    if set(sys.argv[1:2]) <= METADATA_ONLY:  # (pip asks for the metadata first: no compiling)
        return []
    from mypyc.build import mypycify

    os.chdir(ROOT)  # mypy reads its settings from pyproject.toml and the paths from here
    return mypycify(
        ["--no-warn-unused-configs", *compiled_sources()],
        opt_level="3",
        group_name="bouncewatch",
    )


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExt})
