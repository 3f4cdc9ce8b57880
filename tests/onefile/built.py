"""The built single files, or a skip that says why (a failure where the file is required).

Two builds are tested the same way (tests/onefile/test_onefile.py runs once per build):

- `built`: dist/irkit (`make onefile`), or IRKIT_ONEFILE; the chroot's glibc from this
  machine, or from the system under IRKIT_CHROOT_LIBS. IRKIT_REQUIRE_ONEFILE=1 requires it.
- `aarch64`: dist/oldbase-bullseye-arm64/irkit (`packaging/build-onefile-oldbase.sh bullseye
  arm64`), or IRKIT_ONEFILE_AARCH64; the chroot's glibc from the Debian arm64 system it was
  built in (IRKIT_CHROOT_LIBS_AARCH64, default $IRKIT_OLDBASE/bullseye-arm64). On a machine
  that is not aarch64 it runs under qemu-user through binfmt_misc.
  IRKIT_REQUIRE_ONEFILE_AARCH64=1 requires it.
"""

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
ONEFILE = Path(os.environ.get("IRKIT_ONEFILE", REPO / "dist" / "irkit"))
_OLDBASE = Path(os.environ.get("IRKIT_OLDBASE", "/var/tmp/irkit-oldbase"))
# ELF e_machine → the name uname and qemu-user's binfmt_misc entries use.
_MACHINES = {62: "x86_64", 183: "aarch64"}


@dataclass(frozen=True)
class Build:
    """A single file to test, the system its chroot's glibc comes from, and what requires it."""

    path: Path
    system: Path
    require: str  # the environment variable that turns a skip into a failure


BUILDS = {
    "built": Build(
        ONEFILE, Path(os.environ.get("IRKIT_CHROOT_LIBS", "/")), "IRKIT_REQUIRE_ONEFILE"
    ),
    "aarch64": Build(
        Path(
            os.environ.get(
                "IRKIT_ONEFILE_AARCH64", REPO / "dist" / "oldbase-bullseye-arm64" / "irkit"
            )
        ),
        Path(os.environ.get("IRKIT_CHROOT_LIBS_AARCH64", _OLDBASE / "bullseye-arm64")),
        "IRKIT_REQUIRE_ONEFILE_AARCH64",
    ),
}


def unavailable(reason: str, require: str = "IRKIT_REQUIRE_ONEFILE") -> NoReturn:
    """Skip, or fail where the single file is required (CI builds it first)."""
    if os.environ.get(require):
        pytest.fail(f"{require} is set but {reason}")
    pytest.skip(reason)


def onefile(build: Build = BUILDS["built"]) -> Path:
    """The built file, runnable on this machine (natively or through qemu-user), or a skip."""
    if not build.path.is_file():
        unavailable(f"{build.path} is not built (docs/onefile.md)", build.require)
    machine = elf_machine(build.path)
    if machine != platform.machine() and not _emulated(machine):
        unavailable(
            f"{build.path} is {machine} and this machine is {platform.machine()}, without "
            f"qemu-user for it (binfmt_misc qemu-{machine} enabled with flag F: docs/onefile.md)",
            build.require,
        )
    return build.path


def foreign(binary: Path) -> bool:
    """Whether the file runs here only under emulation: qemu-user then needs the loader and
    glibc of the file's architecture, from a chroot or from QEMU_LD_PREFIX."""
    return elf_machine(binary) != platform.machine()


def elf_machine(binary: Path) -> str:
    """The architecture an ELF file is for, from its header's e_machine."""
    with open(binary, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF":
        raise AssertionError(f"{binary} is not an ELF file")
    code = int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
    return _MACHINES.get(code, f"e_machine {code}")


def _emulated(machine: str) -> bool:
    """qemu-user registered with binfmt_misc for `machine`, enabled, with flag F: the kernel
    opened the emulator at registration, so a chroot needs no copy of it."""
    try:
        entry = Path(f"/proc/sys/fs/binfmt_misc/qemu-{machine}").read_text()
    except OSError:
        return False
    flags = next((line[6:] for line in entry.splitlines() if line.startswith("flags:")), "")
    return entry.startswith("enabled") and "F" in flags
