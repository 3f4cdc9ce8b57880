"""The built single file, or a skip that says why (a failure with IRKIT_REQUIRE_ONEFILE=1)."""

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
ONEFILE = Path(os.environ.get("IRKIT_ONEFILE", REPO / "dist" / "irkit"))


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail where the single file is required (CI builds it first)."""
    if os.environ.get("IRKIT_REQUIRE_ONEFILE"):
        pytest.fail(f"IRKIT_REQUIRE_ONEFILE is set but {reason}")
    pytest.skip(reason)


def onefile() -> Path:
    if not ONEFILE.is_file():
        unavailable(f"{ONEFILE} is not built (make onefile)")
    return ONEFILE
