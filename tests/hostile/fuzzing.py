"""Shared hypothesis settings for the hostile suite.

CI runs a bounded number of examples per fuzz test; `IRKIT_FUZZ_EXAMPLES` raises it for a
longer run (benchmarks/fuzz.sh).
"""

import os

from hypothesis import HealthCheck, settings


def fuzz_examples(default: int = 200) -> int:
    return int(os.environ.get("IRKIT_FUZZ_EXAMPLES", default))


def fuzz_settings(default: int = 200) -> settings:
    return settings(
        max_examples=fuzz_examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
