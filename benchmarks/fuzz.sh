#!/usr/bin/env bash
# The long fuzz run: the hostile suite, its fuzz tests with many more examples than CI gives them.
#   benchmarks/fuzz.sh            # 20,000 examples per fuzz test
#   IRKIT_FUZZ_EXAMPLES=200000 benchmarks/fuzz.sh
# CI runs the same tests with a bounded count (tests/hostile/fuzzing.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export IRKIT_FUZZ_EXAMPLES="${IRKIT_FUZZ_EXAMPLES:-20000}"
exec python -m pytest -q -p no:cacheprovider tests/hostile "$@"
