"""Shared hypothesis settings for the hostile suite.

CI runs a bounded number of examples per fuzz test, derandomized so that a run is repeatable
(a failure it finds is there on every run, not one CI run in ten). `IRKIT_FUZZ_EXAMPLES`
(benchmarks/fuzz.sh) raises the count and draws fresh random examples each run.
"""

import os

from hypothesis import HealthCheck, settings


def fuzz_examples(default: int = 200) -> int:
    return int(os.environ.get("IRKIT_FUZZ_EXAMPLES", default))


def fuzz_settings(default: int = 200) -> settings:
    return settings(
        max_examples=fuzz_examples(default),
        deadline=None,
        derandomize="IRKIT_FUZZ_EXAMPLES" not in os.environ,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
