"""Where a bundle goes: a new file (with its `.sha256` beside it) or standard output."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from irkit.evidence.writer import Seal


class OutputError(Exception):
    pass


@dataclass
class BundleOutput:
    target: str
    stream: BinaryIO
    path: Path | None

    @property
    def is_stdout(self) -> bool:
        return self.path is None

    def close(self, seal: Seal) -> Path | None:
        """Close the bundle and write `OUT.sha256` in sha256sum format; return that path."""
        if self.path is None:
            self.stream.flush()
            return None
        self.stream.close()
        sidecar = self.path.with_name(self.path.name + ".sha256")
        sidecar.write_text(f"{seal.bundle_sha256}  {self.path.name}\n")
        return sidecar


def open_output(target: str, *, force: bool) -> BundleOutput:
    if target == "-":
        if sys.stdout.isatty():
            raise OutputError("refusing to write a zip to a terminal; redirect it: -o - > case.zip")
        return BundleOutput(target, sys.stdout.buffer, None)
    path = Path(target)
    try:
        if path.is_dir():
            raise OutputError(f"{path} is a directory; give a file name such as {path}/case.zip")
        if not path.parent.is_dir():
            raise OutputError(f"{path.parent} does not exist")
        stream = path.open("wb" if force else "xb")
    except FileExistsError as exc:
        raise OutputError(f"{path} exists; pass --force to overwrite it") from exc
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from exc
    return BundleOutput(target, stream, path)


def same_filesystem(output: BundleOutput, root: Path) -> bool:
    """True when the bundle is written onto the disk being collected (it may overwrite evidence)."""
    if output.path is None:
        return False
    try:
        return os.stat(output.path.parent).st_dev == os.stat(root).st_dev
    except OSError:
        return False
