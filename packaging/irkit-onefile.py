"""Entry point of the single-file irkit (PyInstaller): the same CLI as `python -m irkit`.

Byte-compiling is off: volatility3 imports its plugins from source files in the unpack
directory, and a frozen run must write nothing but its output (not even __pycache__ there).
"""

import sys

sys.dont_write_bytecode = True

from irkit.frozen import stop_with_the_bootloader  # noqa: E402  (after the bytecode switch)

stop_with_the_bootloader()  # first: a SIGKILL of the file during the imports stops it too

from irkit.cli import main  # noqa: E402

main()
