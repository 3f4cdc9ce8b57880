"""YARA-X as a second opinion in `irkit rules check`, when the `yara-x` package is installed.

irkit scans with libyara; YARA-X is stricter and warns about conditions libyara accepts
silently (a pattern set that swallows another pattern, loops over match counts). Each file
is compiled on its own with the Loki/THOR externals defined; what YARA-X says comes back as
warnings naming file and line, because a rule set libyara runs is still usable when YARA-X
disagrees with it.
"""

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from irkit.confined import open_regular, read_capped
from irkit.hunt.rules import EXTERNALS, MAX_INCLUDE_BYTES, Problem


def load_yarax() -> ModuleType | None:
    """The yara_x module, or None when it is not installed."""
    try:
        return importlib.import_module("yara_x")
    except ImportError:
        return None


def _read(path: Path) -> str:
    with open_regular(path, follow=True) as handle:
        data, more = read_capped(handle.fileno(), MAX_INCLUDE_BYTES)
    if more:
        raise OSError(f"over {MAX_INCLUDE_BYTES} bytes")
    return data.decode("utf-8", "replace")


def _problem(path: Path, report: dict[str, Any], prefix: str) -> Problem:
    labels = report.get("labels") or [{}]
    line = labels[0].get("line")
    message = f"yara-x: {prefix}{report.get('code', '')}: {report.get('title', '')}"
    return Problem(str(path), int(line) if line else None, message, "warning")


def yarax_problems(yara_x: ModuleType, path: Path) -> list[Problem]:
    """What YARA-X says about one rule file: its warnings, or why it does not compile it."""
    compiler = yara_x.Compiler()
    for name, value in EXTERNALS.items():
        compiler.define_global(name, value)
    try:
        compiler.add_source(_read(path), origin=str(path))
    except OSError as exc:
        return [Problem(str(path), None, f"yara-x: not read: {exc}", "warning")]
    except yara_x.CompileError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "compile error"
        return [Problem(str(path), None, f"yara-x does not compile it: {first}", "warning")]
    return [_problem(path, report, "") for report in compiler.warnings()]
