"""A root that holds the single-file irkit, glibc and zlib, and nothing else: no Python.

The file runs there under chroot in a private mount namespace (unshare -m), with a fresh
tmpfs at /dev/shm, the kernel's proc and sys, and the file itself on a read-only bind mount
at /media/ir (the USB stick or NFS share of a real response). Everything else in the root is
a plain directory on the test's disk, so a before/after listing of it shows any write the
file makes besides its output.

The libraries come from a system given by its root: this machine's (/), or an older Debian
made with debootstrap (packaging/build-onefile-oldbase.sh), so that the test shows the oldest
glibc the file runs on, or a system of another architecture (the aarch64 file under
qemu-user). They are found from the file's own ELF headers (readelf), not with ldd, which
cannot read a file of another architecture.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Mount points: the file may write under /dev/shm (its unpack dir, checked empty after the
# run); proc, sys and the read-only medium are not the host's disk.
MOUNTS = ("proc", "sys", "dev/shm", "media/ir")
MEDIUM = "/media/ir/irkit"
# glibc's own libraries, which the single file takes from the host (PyInstaller never
# bundles them: they must match the host's loader); its bootloader also links zlib.
_GLIBC = re.compile(
    r"^(ld-linux[-\w.]*\.so\.\d|lib(c|m|dl|pthread|rt|util|resolv|anl|nss_files)\.so\.\d+)$"
)


class ChrootUnavailable(Exception):
    """What this machine lacks to build the chroot (a skip reason)."""


@dataclass(frozen=True)
class Chroot:
    root: Path
    binary_dir: Path
    system: Path  # the system its libraries were taken from

    def run(
        self, *args: str, stdout: Path | None = None, tmpfs: bool = True
    ) -> tuple[int, bytes, list[str]]:
        """Run `/media/ir/irkit ARGS` in the chroot: exit code, stderr, what /dev/shm held after.

        tmpfs=False leaves /dev/shm a plain directory on the test's disk (a host without one).
        """
        leftover = self.root.parent / "shm-after.txt"
        shm = 'mount -t tmpfs -o size=1g tmpfs "$R/dev/shm"; ' if tmpfs else ""
        script = (
            'set -e; R="$1"; B="$2"; L="$3"; shift 3; '
            + shm
            + 'mount -t proc proc "$R/proc"; mount -t sysfs sysfs "$R/sys"; '
            'mount --bind "$B" "$R/media/ir"; mount -o remount,bind,ro "$R/media/ir"; '
            'set +e; chroot "$R" "$@"; rc=$?; ls -A "$R/dev/shm" > "$L"; exit $rc'
        )
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            str(self.root),
            str(self.binary_dir),
            str(leftover),
            MEDIUM,
            *args,
        ]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
        with open(stdout or os.devnull, "wb") as out:
            done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, env=env, check=False)
        return done.returncode, done.stderr, leftover.read_text().split()


def build_chroot(root: Path, binary: Path, system: Path) -> Chroot:
    """The root: glibc and zlib (what the file's ELF headers name, from `system`), empty
    mount points, an empty /out."""
    for tool in ("unshare", "chroot", "mount"):
        if shutil.which(tool) is None:
            raise ChrootUnavailable(f"{tool} is not installed (util-linux, coreutils)")
    if os.geteuid() != 0:
        raise ChrootUnavailable("chroot and mount namespaces need root")
    binary_dir = root.parent / "medium"
    binary_dir.mkdir()
    shutil.copy2(binary, binary_dir / "irkit")
    for mount in (*MOUNTS, "out", "tmp"):
        (root / mount).mkdir(parents=True)
    install_libraries(root, binary, system)
    return Chroot(root, binary_dir, system)


def install_libraries(root: Path, binary: Path, system: Path) -> None:
    """Copy what the file needs of a host (its loader, glibc, zlib) from `system` into `root`:
    a chroot, or the prefix in which qemu-user looks for a foreign file's loader and
    libraries (QEMU_LD_PREFIX)."""
    if shutil.which("readelf") is None:
        raise ChrootUnavailable("readelf is not installed (binutils)")
    if not system.is_dir():
        raise ChrootUnavailable(f"{system}, the system to take the libraries from, is absent")
    for lib in _host_libraries(binary, system):
        target = root / lib.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(_inside(system, lib), target)


def glibc_versions(chroot: Chroot) -> tuple[str, str]:
    """The glibc version in the chroot, and in the system its libraries were taken from (each
    libc.so.6 says it in a string): the same when the copy stayed inside that system."""
    (libc,) = chroot.root.rglob("libc.so.6")
    origin = _inside(chroot.system, Path("/") / libc.relative_to(chroot.root))
    return _glibc_version(libc), _glibc_version(origin)


def _glibc_version(libc: Path) -> str:
    found = re.search(rb"GNU C Library [^\n]*? version (\d+\.\d+)", libc.read_bytes())
    if found is None:
        raise AssertionError(f"{libc} names no glibc version")
    return found.group(1).decode()


def _inside(system: Path, path: Path, hops: int = 40) -> Path:
    """`path` of the system under `system`, its symbolic links resolved inside that system
    (an absolute link there must not lead to this machine's file)."""
    resolved = Path("/")
    for part in path.relative_to("/").parts:
        candidate = resolved / part
        real = system / candidate.relative_to("/")
        if real.is_symlink():
            if hops == 0:
                raise ChrootUnavailable(f"too many symbolic links resolving {path} in {system}")
            target = resolved / os.readlink(real)  # an absolute target replaces `resolved`
            inner = _inside(system, Path(os.path.normpath(target)), hops - 1)
            candidate = Path("/") / inner.relative_to(system)
        resolved = candidate
    return system / resolved.relative_to("/")


def _host_libraries(binary: Path, system: Path) -> list[Path]:
    """The file's loader, glibc's libraries beside it, and what the file links (in `system`).

    The file's own dynamic section is only the bootloader's; the Python it unpacks also loads
    libm, librt, libutil... from glibc, so the whole glibc set beside the loader comes along.
    The loader goes to the path the ELF header names (/lib64/ld-linux-x86-64.so.2,
    /lib/ld-linux-aarch64.so.1), the rest to glibc's directory, which the loader searches.
    """
    headers = subprocess.run(
        ["readelf", "--program-headers", "--dynamic", "--wide", str(binary)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    interpreter = re.search(r"Requesting program interpreter: (/\S+)\]", headers)
    if interpreter is None:
        raise ChrootUnavailable(f"{binary} names no program interpreter")
    loader = Path(interpreter.group(1))
    libdir = Path("/") / _inside(system, loader).parent.relative_to(system)
    found = [loader]
    found += [libdir / e.name for e in _inside(system, libdir).iterdir() if _GLIBC.match(e.name)]
    for name in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", headers):
        candidates = [libdir / name, Path("/usr") / libdir.relative_to("/") / name]
        present = [c for c in candidates if _inside(system, c).is_file()]
        if not present:
            raise ChrootUnavailable(f"{binary} needs {name}, which {system} lacks in {libdir}")
        found.append(present[0])
    return sorted(set(found))


def snapshot(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every entry under `root` but the mount points: mode, inode, size, mtime.

    A file created and removed again still changes its directory's mtime, so a temporary
    file the run cleaned up after itself shows too.
    """
    skip = {root / m for m in MOUNTS}
    entries: dict[str, tuple[int, int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
        for name in [*dirnames, *filenames, "."]:
            path = Path(dirpath, name)
            st = path.lstat()
            entries[str(path.relative_to(root))] = (
                st.st_mode,
                st.st_ino,
                st.st_size,
                st.st_mtime_ns,
            )
    return entries


def changed(
    before: dict[str, tuple[int, int, int, int]], after: dict[str, tuple[int, int, int, int]]
) -> set[str]:
    """Paths added, removed or modified between two snapshots."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
