"""The oldest glibc a built single file runs on: the highest GLIBC_x.y symbol version that its
bootloader or any library inside it needs (objdump -T, binutils).

PyInstaller never bundles glibc, so this is what the file asks of a host, and it is set by
the build host's libraries: build on an older base to lower it (docs/onefile.md).
Usage: python3 packaging/glibc_floor.py dist/irkit
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PyInstaller.archive.readers import CArchiveReader

VERSION = re.compile(rb"GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


def needed(path: Path) -> set[tuple[int, ...]]:
    dump = subprocess.run(["objdump", "-T", str(path)], capture_output=True, check=False)
    return {tuple(int(p) for p in m.groups() if p) for m in VERSION.finditer(dump.stdout)}


def floor(binary: Path) -> tuple[int, ...]:
    versions = needed(binary)
    archive = CArchiveReader(str(binary))
    with tempfile.TemporaryDirectory() as scratch:
        for index, (name, entry) in enumerate(archive.toc.items()):
            if entry[-1] not in ("b", "x") and ".so" not in name:
                continue
            lib = Path(scratch, str(index))
            lib.write_bytes(archive.extract(name))
            versions |= needed(lib)
    return max(versions)


if __name__ == "__main__":
    print("glibc >= " + ".".join(map(str, floor(Path(sys.argv[1])))))
