"""yara-python, imported untyped.

yara-python ships no type stubs, and the rule pack's `yara/` directory at the repository
root would be taken by mypy for a namespace package of that name; importing through
importlib keeps every use typed as Any, as a missing stub would.
"""

import importlib
from typing import Any

yara: Any = importlib.import_module("yara")

Rules = Any
"""A compiled `Rules`."""
