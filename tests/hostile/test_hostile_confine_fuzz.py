"""Issue 10 point 6, fuzzed: random trees of directories, files and symlinks (absolute,
relative, `..`, loops, links out of the root) and random host paths. The resolver's answer
is always inside the root or an OSError: never an escape, never a hang."""

import os
import shutil
import stat
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from irkit.confined import forget_dirs, glob_in_root, open_in_root, resolve_in_root
from tests.hostile.fuzzing import fuzz_settings

NAMES = st.sampled_from(["a", "b", "c", "..", ".", ""])
OUT = "@outside"
"""Placeholder in a link target for the absolute path of the analyst's directory."""

relative = st.lists(NAMES, min_size=1, max_size=6).map("/".join)
targets = st.one_of(
    relative,
    relative.map(lambda text: "/" + text),
    st.just(OUT),
    relative.map(lambda text: OUT + "/" + text),
)
host_paths = st.one_of(targets, targets.map(lambda text: text + "/n\0ul"))
"""What is looked up: the same shapes, sometimes with a NUL byte (an EINVAL, not a crash)."""
entries = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3),
        st.one_of(st.just("dir"), st.just("file"), targets),
    ),
    max_size=12,
)


def build(root: Path, outside: Path, tree: list[tuple[list[str], str]]) -> None:
    for parts, kind in tree:
        path = root.joinpath(*parts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "dir":
                path.mkdir()
            elif kind == "file":
                path.write_bytes(b"inside")
            else:
                os.symlink(kind.replace(OUT, str(outside)), path)
        except OSError:
            continue  # a clash with an earlier entry: that tree simply lacks this one


def inside(root: Path, path: Path) -> bool:
    return os.path.commonpath([root, path]) == str(root)


def regular_inodes(root: Path) -> set[tuple[int, int]]:
    found = set()
    for directory, _, files in os.walk(root):
        for name in files:
            info = os.lstat(os.path.join(directory, name))
            if stat.S_ISREG(info.st_mode):
                found.add((info.st_dev, info.st_ino))
    return found


@fuzz_settings(200)
@given(tree=entries, probes=st.lists(host_paths, min_size=1, max_size=5))
def test_resolution_never_leaves_the_root(
    tree: list[tuple[list[str], str]], probes: list[str]
) -> None:
    base = Path(tempfile.mkdtemp(prefix="irkit-fuzz-"))
    try:
        check_tree(base, tree, probes)
    finally:
        shutil.rmtree(base)


def check_tree(base: Path, tree: list[tuple[list[str], str]], probes: list[str]) -> None:
    root, outside = base / "root", base / "outside"
    root.mkdir()
    (outside / "a" / "b").mkdir(parents=True)
    (outside / "a" / "secret").write_bytes(b"analyst")
    build(root, outside, tree)
    forget_dirs()
    allowed = regular_inodes(root)
    for probe in probes:
        host_path = "/" + probe.replace(OUT, "/" + str(outside).lstrip("/"))
        try:
            real = resolve_in_root(root, host_path)
        except OSError:
            continue
        assert inside(root, real) and ".." not in real.parts
        assert inside(root, Path(os.path.realpath(real)))
        try:
            with open_in_root(root, host_path) as handle:
                info = os.fstat(handle.fileno())
        except OSError:
            continue
        assert (info.st_dev, info.st_ino) in allowed
    for match in glob_in_root(root, "/*/*"):
        assert inside(root, Path(os.path.realpath(match)))
