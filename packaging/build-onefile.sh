#!/usr/bin/env bash
# Build the single-file irkit (dist/irkit) from a checkout: `make onefile` runs this.
# Needs the runtime dependencies and PyInstaller in the current Python
# (`pip install '.[onefile]'`). The result runs on glibc as old as the build host's.
set -euo pipefail
cd "$(dirname "$0")/.."
# The checkout first on the path, ahead of any irkit installed in this Python.
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 -m PyInstaller --noconfirm --clean \
  --distpath dist --workpath build/pyinstaller \
  packaging/irkit.spec
ls -l dist/irkit
python3 packaging/glibc_floor.py dist/irkit
