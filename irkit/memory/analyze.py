"""Analyse a Linux memory image with volatility3, driven as a library and offline.

With a symbol table (an ISF given, or built here from BTF + kallsyms + banner) the process,
socket, file, injected-code, environment and shell-history plugins become irkit records and
findings. Without one, volatility3's Linux plugins cannot run; what still works is the
kernel banner and YARA over the physical address space, and the result says what is missing.
"""

import datetime
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from irkit.evidence.records import Finding, Record
from irkit.knowledge.miners import MINER_NAME_PATTERN
from irkit.memory.inputs import InputError, load_isf, read_input
from irkit.memory.isf import IsfError, build_isf, isf_warnings, write_isf
from irkit.memory.isfschema import validate_isf
from irkit.memory.layout import ImageFormatError, ImageLayout, image_layout
from irkit.memory.plugins import PLUGINS

MINER_ARGS = re.compile(
    rf"stratum\d?\+(tcp|ssl|tls)://|--donate-level|(?<![\w-])({MINER_NAME_PATTERN})(?![\w-])"
    r"|--coin[= ]|-a (rx|cn|kawpow)",
    re.IGNORECASE,
)
"""Miner options, or a program of the one table of miner names (irkit.knowledge.miners)."""
PAGE = 4096
"""A raw memory image is a whole number of pages: a file that is not is no image."""
ZERO_PROCESSES = (
    "pslist found 0 processes although the symbol table matched the image's banner. Likely"
    " causes: the ISF keeps the KASLR shift in its addresses (irkit's builder removes it;"
    " an ISF from elsewhere may not), the image was taken on a CPU running 5-level paging"
    " (la57; volatility3 walks only 4-level page tables), or the image is incomplete."
)


class AnalysisError(Exception):
    """The image or the symbol material is unusable; the message says which and why."""


@dataclass
class MemoryProcess(Record):
    """A process found in the image (pslist, with psaux's arguments)."""

    kind: ClassVar[str] = "memory-process"
    pid: int
    ppid: int | None
    name: str
    args: str | None
    uid: int | None
    start_time: str | None
    offset: int | None
    flags: list[str] = field(default_factory=list)


@dataclass
class MemorySocket(Record):
    kind: ClassVar[str] = "memory-socket"
    pid: int | None
    process_name: str | None
    family: str | None
    proto: str | None
    local_address: str | None
    local_port: int | None
    remote_address: str | None
    remote_port: int | None
    state: str | None


@dataclass
class MemoryRegion(Record):
    """A region malfind flags: writable and executable, or executable and not file-backed."""

    kind: ClassVar[str] = "memory-region"
    pid: int
    process_name: str | None
    start: int
    end: int
    protection: str | None
    path: str | None
    hexdump: str | None


@dataclass
class ImageHit(Record):
    """A YARA hit over the physical address space (no symbols needed)."""

    kind: ClassVar[str] = "memory-image-hit"
    rule: str
    severity: str
    description: str
    physical_offsets: list[int]
    strings: list[str]


@dataclass
class SymbolMaterial:
    btf: Path | None = None
    kallsyms: Path | None = None
    banner: Path | None = None
    la57: bool | None = None

    def missing(self) -> list[str]:
        return [
            name
            for name, path in (
                ("/sys/kernel/btf/vmlinux (BTF)", self.btf),
                ("/proc/kallsyms read as root", self.kallsyms),
                ("/proc/version (banner)", self.banner),
            )
            if path is None or not path.exists()
        ]


@dataclass
class MemoryAnalysis:
    image: str
    image_format: str
    banners: list[str] = field(default_factory=list)
    isf: str | None = None
    symbols: bool = False
    processes: list[MemoryProcess] = field(default_factory=list)
    sockets: list[MemorySocket] = field(default_factory=list)
    regions: list[MemoryRegion] = field(default_factory=list)
    plugin_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    image_hits: list[ImageHit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def records(self) -> list[Record]:
        return [*self.processes, *self.sockets, *self.regions, *self.image_hits]

    def to_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "image_format": self.image_format,
            "banners": self.banners,
            "isf": self.isf,
            "symbols": self.symbols,
            "processes": [p.to_dict() for p in self.processes],
            "sockets": [s.to_dict() for s in self.sockets],
            "regions": [r.to_dict() for r in self.regions],
            "plugins": self.plugin_rows,
            "image_hits": [h.to_dict() for h in self.image_hits],
            "findings": [f.to_dict() for f in self.findings],
            "errors": self.errors,
            "messages": self.messages,
        }


def symbols_in_dir(directory: Path) -> SymbolMaterial:
    """Symbol material as the memory collector stores it (also accepts bare file names)."""

    def first(*names: str) -> Path | None:
        return next((directory / n for n in names if (directory / n).exists()), None)

    material = SymbolMaterial(
        btf=first("btf", "vmlinux", "sys/kernel/btf/vmlinux", "vmlinux.btf"),
        kallsyms=first("kallsyms", "proc/kallsyms"),
        banner=first("version", "proc/version", "banner"),
    )
    info = first("symbols.json")
    if info is not None:
        try:
            material.la57 = json.loads(read_input(info, 1 << 20)).get("la57")
        except (InputError, ValueError, AttributeError, RecursionError):
            material.la57 = None
    return material


# ---- volatility3 plumbing -------------------------------------------------------------


class _Volatility:
    """A volatility3 context on one image, offline, with a private cache and symbol path."""

    def __init__(self, image: Path, symbol_dir: Path | None, cache_dir: Path) -> None:
        import volatility3.plugins
        from volatility3 import framework, symbols
        from volatility3.framework import constants, contexts

        constants.OFFLINE = True
        cache_dir.mkdir(parents=True, exist_ok=True)
        constants.CACHE_PATH = str(cache_dir)
        framework.require_interface_version(2, 0, 0)
        # Plugins name each other as requirements (pslist needs elfs...): load them all.
        framework.import_files(volatility3.plugins, True)
        defaults = [p for p in constants.SYMBOL_BASEPATHS[:2]]
        symbols.__path__ = ([str(symbol_dir)] if symbol_dir else []) + defaults
        for quiet in ("volatility3", "volatility3.framework"):
            logging.getLogger(quiet).setLevel(logging.CRITICAL)
        self.image = image
        self.ctx = contexts.Context()
        self.ctx.config["automagic.LayerStacker.single_location"] = image.resolve().as_uri()
        self._stacked: str | None = None

    def run(self, class_path: str) -> list[dict[str, Any]]:
        import importlib

        from volatility3.framework import automagic, interfaces
        from volatility3.framework import plugins as fplugins

        module_name, class_name = class_path.rsplit(".", 1)
        plugin = getattr(importlib.import_module(module_name), class_name)
        ctx = self.ctx
        if self._stacked is not None and self._stacked != class_name:
            # Reuse the kernel layer and symbol table the first Linux plugin found: stacking
            # and the banner scan cost seconds per plugin otherwise.
            prefix = f"plugins.{self._stacked}.kernel"
            for key in list(ctx.config):
                if key.startswith(prefix):
                    ctx.config[f"plugins.{class_name}.kernel" + key[len(prefix) :]] = ctx.config[
                        key
                    ]
        chosen = automagic.choose_automagic(automagic.available(ctx), plugin)
        constructed = fplugins.construct_plugin(ctx, chosen, plugin, "plugins", None, None)
        grid: interfaces.renderers.TreeGrid = constructed.run()
        if self._stacked is None and f"plugins.{class_name}.kernel" in ctx.config:
            self._stacked = class_name
        names = [c.name for c in grid.columns]
        rows: list[dict[str, Any]] = []

        def visit(node: Any, acc: list[dict[str, Any]]) -> list[dict[str, Any]]:
            row = {name: _plain(value) for name, value in zip(names, node.values, strict=False)}
            row["_depth"] = node.path_depth
            acc.append(row)
            return acc

        grid.populate(visit, rows)
        return rows


def _plain(value: Any) -> Any:
    """A volatility3 cell as JSON: absent values as None, bytes as hex, times as UTC ISO."""
    from volatility3.framework.interfaces.renderers import BaseAbsentValue

    if isinstance(value, BaseAbsentValue):
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, bool | int | float | str) or value is None:
        return int(value) if type(value) is not bool and isinstance(value, int) else value
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)


def _hand_over(isf: dict[str, Any], source: Path) -> None:
    """Validate the ISF against volatility3's schema here (about a second) and tell
    volatility3 the verdict, so it does not spend a minute redoing it with jsonschema."""
    from volatility3 import schemas

    problems = validate_isf(isf)
    if problems:
        raise AnalysisError(f"{source}: fails volatility3's ISF schema: " + "; ".join(problems[:5]))
    schemas.cached_validations.add(schemas.create_json_hash(isf))


def checked_isf(path: Path, symbol_dir: Path) -> dict[str, Any]:
    """Read the given ISF bounded (size after decompression, nesting), validate it, and put
    exactly the checked text where volatility3 looks: it opens ISFs by URL itself, and must
    not reopen (or re-inflate) the analyst's file. The name ends in .json whatever the
    given one did: volatility3 finds ISFs by extension."""
    try:
        isf, text = load_isf(path)
    except InputError as exc:
        raise AnalysisError(str(exc)) from exc
    _hand_over(isf, path)
    target = symbol_dir / "linux" / "given.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text)
    return isf


# ---- analysis --------------------------------------------------------------------------


def prepare_isf(material: SymbolMaterial, out_dir: Path) -> tuple[Path, dict[str, Any]]:
    """Build and validate the ISF from collected symbol material, into `out_dir/linux/`."""
    missing = material.missing()
    if missing:
        raise AnalysisError("symbol material missing: " + ", ".join(missing))
    assert material.btf and material.kallsyms and material.banner
    try:
        isf = build_isf(
            read_input(material.btf),
            read_input(material.kallsyms).decode(errors="replace"),
            read_input(material.banner),
        )
    except (IsfError, InputError) as exc:
        raise AnalysisError(f"cannot build the symbol table: {exc}") from exc
    _hand_over(isf, material.kallsyms)
    target = out_dir / "linux" / "irkit-kernel.json.xz"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_isf(isf, target)
    return target, isf


def analyze_image(
    image: Path,
    *,
    isf: Path | None = None,
    material: SymbolMaterial | None = None,
    rules_path: Path | None = None,
    plugins: tuple[str, ...] = tuple(PLUGINS),
    on_progress: Callable[[str], None] | None = None,
) -> MemoryAnalysis:
    """Analyse `image`. With `isf` or complete `material`: the Linux plugins; else banner + YARA.

    Raises AnalysisError for an unreadable image or broken symbol material; a plugin that
    fails is an error line in the result, not an exception.
    """
    progress = on_progress or (lambda _m: None)
    layout = _checked_layout(image)
    result = MemoryAnalysis(image=str(image), image_format=layout.format)
    with tempfile.TemporaryDirectory(prefix="irkit-vol-") as tmp:
        work = Path(tmp)
        isf, symbol_dir, table = _symbol_table(isf, material, work / "symbols", progress)
        vol = _Volatility(image, symbol_dir, work / "cache")
        progress("reading kernel banners")
        result.banners = _banners(vol, result)
        if layout.format == "raw" and not result.banners and not result.errors:
            raise AnalysisError(
                f"{image}: not a memory image of a Linux host: no LiME or ELF header and no"
                " Linux kernel banner in it"
            )
        result.errors.extend(isf_warnings(table))
        if symbol_dir is None:
            _without_symbols(result, material, rules_path, image, progress)
            return result
        result.isf = str(isf)
        result.symbols = True
        _with_symbols(vol, result, plugins, material, progress)
    return result


def _checked_layout(image: Path) -> ImageLayout:
    """The image's format; AnalysisError for one that cannot be read or is no memory image."""
    try:
        layout = image_layout(image)
    except (OSError, ImageFormatError) as exc:
        raise AnalysisError(f"{image}: {exc}") from exc
    if layout.format == "raw" and (not layout.total or layout.total % PAGE):
        raise AnalysisError(
            f"{image}: not a memory image: no LiME or ELF header, and its size"
            f" ({layout.total} bytes) is not a whole number of {PAGE}-byte pages as a raw"
            " image's is"
        )
    return layout


def _symbol_table(
    isf: Path | None,
    material: SymbolMaterial | None,
    symbol_dir: Path,
    progress: Callable[[str], None],
) -> tuple[Path | None, Path | None, dict[str, Any]]:
    """The ISF to use, the directory volatility3 finds it in, and its table: the one given
    (checked), else one built from complete material; (None, None, {}) when there is none."""
    if isf is not None:
        return isf, symbol_dir, checked_isf(isf, symbol_dir)
    if material is not None and not material.missing():
        progress("building the symbol table from BTF + kallsyms")
        built, table = prepare_isf(material, symbol_dir)
        return built, symbol_dir, table
    return None, None, {}


def _banners(vol: _Volatility, result: MemoryAnalysis) -> list[str]:
    try:
        rows = vol.run("volatility3.plugins.banners.Banners")
    except Exception as exc:
        result.errors.append(f"banners: {type(exc).__name__}: {exc}")
        return []
    seen = dict.fromkeys(str(r.get("Banner", "")).strip() for r in rows)
    return [b for b in seen if b]


def _without_symbols(
    result: MemoryAnalysis,
    material: SymbolMaterial | None,
    rules_path: Path | None,
    image: Path,
    progress: Callable[[str], None],
) -> None:
    kernel = result.banners[0] if result.banners else "unknown (no Linux banner found)"
    needed = material.missing() if material is not None else [
        "/sys/kernel/btf/vmlinux (BTF)", "/proc/kallsyms read as root", "/proc/version (banner)"
    ]  # fmt: skip
    result.messages.append(
        f"no symbol table: process, socket and file analysis needs one for kernel {kernel}."
        f" Missing: {', '.join(needed)}, collected on the same boot as the image"
        " (irkit's memory collector does this), or an ISF for exactly this banner"
        " (--isf, e.g. from dwarf2json on the kernel's debug package)."
    )
    progress("YARA over the physical address space")
    result.image_hits = scan_image_physical(image, rules_path, result.errors)
    for hit in result.image_hits:
        result.findings.append(
            Finding(
                title=f"YARA rule {hit.rule} matches the memory image",
                severity=hit.severity,
                source="memory-image-yara",
                reasons=[hit.description] if hit.description else [],
                rule=hit.rule,
                evidence=[f"physical {o:#x}" for o in hit.physical_offsets[:8]],
            )
        )


def scan_image_physical(image: Path, rules_path: Path | None, errors: list[str]) -> list[ImageHit]:
    """YARA (irkit's pack, or `rules_path`) over each physical range; offsets are physical."""
    from irkit.hunt import RuleError, compile_rules, scan_memory_image

    try:
        rules = compile_rules(rules_path)
    except (RuleError, OSError) as exc:
        errors.append(f"YARA rules: {exc}")
        return []
    hits: dict[str, ImageHit] = {}
    for part in image_layout(image).ranges:
        scanned = scan_memory_image(
            rules.rules, image, start=part.file_offset, length=part.length, base=part.physical
        )
        errors.extend(scanned.errors)
        for hit in scanned.hits:
            mine = hits.setdefault(
                hit.rule, ImageHit(hit.rule, hit.severity, hit.description, [], [])
            )
            for s in hit.strings:
                mine.physical_offsets.append(s.offset)
                mine.strings.append(s.excerpt)
    return list(hits.values())


def _with_symbols(
    vol: _Volatility,
    result: MemoryAnalysis,
    plugins: tuple[str, ...],
    material: SymbolMaterial | None,
    progress: Callable[[str], None],
) -> None:
    for name in plugins:
        progress(f"volatility3 linux.{name}")
        try:
            result.plugin_rows[name] = vol.run(PLUGINS[name])
        except Exception as exc:
            result.errors.append(f"{name}: {type(exc).__name__}: {exc}")
    pslist = result.plugin_rows.get("pslist")
    if pslist is not None and not pslist:
        cause = ZERO_PROCESSES
        if material is not None and material.la57:
            cause += " The collection recorded la57 (5-level paging) on this host."
        result.errors.append(cause)
    result.processes = list(_processes(result.plugin_rows))
    result.sockets = list(_sockets(result.plugin_rows.get("sockstat", [])))
    result.regions = list(_regions(result.plugin_rows.get("malfind", [])))
    result.findings.extend(_findings(result))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _processes(rows: dict[str, list[dict[str, Any]]]) -> Iterator[MemoryProcess]:
    args = {
        _int(r.get("PID")): r.get("ARGS")
        for r in rows.get("psaux", [])
        if r.get("ARGS") is not None
    }
    for r in rows.get("pslist", []):
        pid = _int(r.get("PID"))
        if pid is None or pid != _int(r.get("TID", pid)):
            continue
        yield MemoryProcess(
            pid=pid,
            ppid=_int(r.get("PPID")),
            name=str(r.get("COMM") or ""),
            args=args.get(pid),
            uid=_int(r.get("UID")),
            start_time=r.get("CREATION TIME"),
            offset=_int(r.get("OFFSET (V)")),
        )


def _sockets(rows: list[dict[str, Any]]) -> Iterator[MemorySocket]:
    for r in rows:
        yield MemorySocket(
            pid=_int(r.get("PID")),
            process_name=r.get("Process Name"),
            family=r.get("Family"),
            proto=r.get("Proto"),
            local_address=r.get("Source Addr"),
            local_port=_int(r.get("Source Port")),
            remote_address=r.get("Destination Addr"),
            remote_port=_int(r.get("Destination Port")),
            state=r.get("State"),
        )


def _regions(rows: list[dict[str, Any]]) -> Iterator[MemoryRegion]:
    for r in rows:
        pid, start, end = _int(r.get("PID")), _int(r.get("Start")), _int(r.get("End"))
        if pid is None or start is None or end is None:
            continue
        yield MemoryRegion(
            pid=pid,
            process_name=r.get("Process"),
            start=start,
            end=end,
            protection=r.get("Protection"),
            path=r.get("Path"),
            hexdump=r.get("Hexdump"),
        )


def _findings(result: MemoryAnalysis) -> Iterator[Finding]:
    for p in result.processes:
        if p.args and MINER_ARGS.search(p.args):
            yield Finding(
                title=f"process {p.name} (pid {p.pid}) in memory runs with miner arguments",
                severity="high",
                source="memory-analysis",
                reasons=[f"arguments: {p.args}"],
                pid=p.pid,
                mitre=["T1496"],
                evidence=[result.image],
            )
    for region in result.regions:
        yield Finding(
            title=f"injectable code region in {region.process_name} (pid {region.pid})",
            severity="high",
            source="memory-analysis",
            reasons=[
                f"{region.protection} region {region.start:#x}-{region.end:#x}"
                f" {region.path or '(anonymous)'} (malfind)"
            ],
            pid=region.pid,
            mitre=["T1055"],
            evidence=[result.image],
        )


def flag_hidden(processes: list[MemoryProcess], live_pids: set[int]) -> list[Finding]:
    """Processes in the image that the live snapshot did not list: a rootkit hides these.

    Kernel threads and processes that started after the snapshot also differ; callers pass
    the live pids of the same collection so only the gap in between can explain a miss.
    """
    findings = []
    for p in processes:
        if p.pid in live_pids or p.pid == 0:
            continue
        p.flags.append("hidden-pid")
        findings.append(
            Finding(
                title=f"process {p.name} (pid {p.pid}) is in memory but not in the live listing",
                severity="high",
                source="memory-analysis",
                reasons=["present in the memory image's task list, absent from /proc"],
                pid=p.pid,
                mitre=["T1014"],
            )
        )
    return findings
