"""Boot the Debian kernel under QEMU with a synthetic miner and take its memory over QMP.

Everything the guest needs is built here from local Debian packages (busybox-static, gcc,
cpio, qemu-system-x86) and the kernel unpacked by fetch-kernel.sh: no download at test time.
"""

import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_DIR_ENV = "IRKIT_GUEST_KERNEL_DIR"
VIRTIO_MODULES = (
    "drivers/virtio/virtio_ring",
    "drivers/virtio/virtio",
    "drivers/virtio/virtio_pci_legacy_dev",
    "drivers/virtio/virtio_pci_modern_dev",
    "drivers/virtio/virtio_pci",
    "drivers/block/virtio_blk",
)
MINER_NAME = "xmrig"
MINER_ARGS = (
    "-o",
    "stratum+tcp://127.0.0.1:3333",
    "-u",
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",
    "--donate-level",
    "1",
)
READY = "IRKIT-GUEST-READY"
PID_MARKER = "IRKIT-MINER-PID"
BOOT_TIMEOUT = 240

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in {modules}; do insmod /lib/modules/$m.ko; done
ip link set lo up
/bin/{name} {args} &
sleep 2
mkdir -p /export
cat /proc/version > /export/version
cat /sys/kernel/btf/vmlinux > /export/btf
cat /proc/kallsyms > /export/kallsyms
cat /proc/sys/kernel/kptr_restrict > /export/kptr_restrict
cd /export && tar cf /dev/vda version btf kallsyms kptr_restrict
sync
echo {ready}
while true; do sleep 3600; done
"""


class GuestUnavailable(Exception):
    """What is missing to run the guest; the test skips with this text."""


@dataclass
class GuestCapture:
    image: Path
    version: Path
    btf: Path
    kallsyms: Path
    kptr_restrict: str
    miner_pid: int
    console: str


def kernel_dir() -> Path:
    return Path(os.environ.get(KERNEL_DIR_ENV, Path.home() / ".cache" / "irkit" / "guest-kernel"))


def find_kernel() -> tuple[Path, Path]:
    """The vmlinuz and module tree unpacked by fetch-kernel.sh."""
    base = kernel_dir()
    kernels = sorted((base / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise GuestUnavailable(
            f"no Debian kernel in {base}: run tests/memory_guest/fetch-kernel.sh "
            f"(or set {KERNEL_DIR_ENV})"
        )
    release = kernels[-1].name.removeprefix("vmlinuz-")
    return kernels[-1], base / "lib" / "modules" / release / "kernel"


def check_tools() -> None:
    missing = [
        tool
        for tool, path in (
            ("qemu-system-x86_64 (qemu-system-x86)", shutil.which("qemu-system-x86_64")),
            ("gcc", shutil.which("gcc")),
            ("busybox-static", "/bin/busybox" if Path("/bin/busybox").exists() else None),
        )
        if path is None
    ]
    if missing:
        raise GuestUnavailable("missing: " + ", ".join(missing))
    if b"ld-linux" in Path("/bin/busybox").read_bytes()[:4096]:
        raise GuestUnavailable("/bin/busybox is dynamically linked: install busybox-static")


def _cpio_newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A newc cpio archive (what the kernel unpacks as initramfs), written directly."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        raw = name.encode() + b"\0"
        header = "070701" + "".join(
            f"{v:08x}" for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(raw), 0)
        )
        out.write(header.encode() + raw)
        out.write(b"\0" * (-(110 + len(raw)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
    return out.getvalue()


def build_initramfs(work: Path, modules_root: Path) -> Path:
    miner = work / MINER_NAME
    subprocess.run(
        ["gcc", "-static", "-O1", "-o", str(miner), str(HERE / "miner.c")],
        check=True,
        capture_output=True,
    )
    dirs = ["bin", "dev", "proc", "sys", "lib", "lib/modules", "export"]
    entries: list[tuple[str, int, bytes]] = [(d, 0o040755, b"") for d in dirs]
    entries.append(("bin/busybox", 0o100755, Path("/bin/busybox").read_bytes()))
    entries.append(("bin/" + MINER_NAME, 0o100755, miner.read_bytes()))
    names = []
    for module in VIRTIO_MODULES:
        name = module.rsplit("/", 1)[1]
        names.append(name)
        entries.append(
            (f"lib/modules/{name}.ko", 0o100644, (modules_root / f"{module}.ko").read_bytes())
        )
    init = INIT.format(
        modules=" ".join(names), name=MINER_NAME, args=" ".join(MINER_ARGS), ready=READY
    )
    entries.append(("init", 0o100755, init.encode()))
    path = work / "initramfs.cpio.gz"
    path.write_bytes(gzip.compress(_cpio_newc(entries), compresslevel=1))
    return path


class Qmp:
    def __init__(self, path: Path) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(str(path))
        self._file = self._sock.makefile("rwb")
        self._read()
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, object]:
        while True:
            message = json.loads(self._file.readline())
            if "event" not in message:
                return message

    def execute(self, command: str, **arguments: object) -> object:
        self._file.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
        self._file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"QMP {command}: {reply['error']}")
        return reply.get("return")

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def _wait_console(console: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        text = console.read_text(errors="replace") if console.exists() else ""
        if READY in text:
            return text
        if proc.poll() is not None:
            raise RuntimeError(
                f"QEMU exited ({proc.returncode}) before the guest was ready:\n{text[-3000:]}"
            )
        time.sleep(0.5)
    raise RuntimeError(f"guest not ready after {BOOT_TIMEOUT} s:\n{text[-3000:]}")


def capture(work: Path) -> GuestCapture:
    """Boot the guest, wait for its marker, dump its memory as an ELF core and its exports."""
    check_tools()
    vmlinuz, modules_root = find_kernel()
    initramfs = build_initramfs(work, modules_root)
    disk = work / "scratch.raw"
    with disk.open("wb") as handle:
        handle.truncate(64 << 20)
    console, qmp_path, image = work / "console.log", work / "qmp.sock", work / "guest.elf"
    command = [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max,la57=off", "-m", "256M",
        "-smp", "1", "-vga", "none", "-display", "none", "-no-reboot", "-nodefaults",
        "-kernel", str(vmlinuz), "-initrd", str(initramfs),
        "-append", "console=ttyS0 panic=-1 quiet",
        "-drive", f"file={disk},format=raw,if=virtio",
        "-serial", f"file:{console}", "-qmp", f"unix:{qmp_path},server,nowait",
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        text = _wait_console(console, proc)
        qmp = Qmp(qmp_path)
        try:
            qmp.execute("dump-guest-memory", paging=False, protocol=f"file:{image}")
            qmp.execute("quit")
        finally:
            qmp.close()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    exports = work / "exports"
    with tarfile.open(disk) as tar:
        tar.extractall(exports, filter="data")
    pid_line = next(line for line in text.splitlines() if line.startswith(PID_MARKER))
    return GuestCapture(
        image=image,
        version=exports / "version",
        btf=exports / "btf",
        kallsyms=exports / "kallsyms",
        kptr_restrict=(exports / "kptr_restrict").read_text().strip(),
        miner_pid=int(pid_line.split()[1]),
        console=text,
    )
