"""A playbook run: collect, hunt with YARA over what the cheap signals raise, analyse, report.

Runs as the after-collection phase of `collection.collect_to`, so it shares the
interrupt handling and the fail-soft rules: a hunt that fails is a log line.
"""

import os
import posixpath
import re
import stat
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

from irkit.analysis.heuristics import Analysis, analyse, process_verdicts
from irkit.analysis.iocexport import iocs_csv, iocs_json, iocs_stix
from irkit.analysis.iocs import Ioc, dedupe, iocs_from_config
from irkit.analysis.startfiles import (
    STARTED_CONFIGS_MEMBER,
    StartedConfig,
    config_reason,
    started_config_iocs,
)
from irkit.collectors.base import NO_PROC, Context, CopiedFile
from irkit.collectors.failsoft import item_guard
from irkit.collectors.memory import dump_into_bundle
from irkit.confined import OwnOutput, check_regular, glob_in_root
from irkit.evidence.records import Finding, Record, severity_rank
from irkit.evidence.view import Dicts, RecordFields
from irkit.hunt import (
    FileScanner,
    FileScanOptions,
    RuleSet,
    TargetResult,
    YaraHit,
    compile_rules,
    hit_to_finding,
    scan_process_memory,
    scan_tree,
)
from irkit.hunt.around import around_in_data, around_in_process
from irkit.hunt.bundle import log_scan_problems
from irkit.hunt.libyara import Rules
from irkit.hunt.rules import forget_compiled
from irkit.playbook import HuntStep, Playbook
from irkit.startedfiles import file_started_configs, started_configs, started_file_iocs

HUNTS_MEMBER = "records/hunts.jsonl"
FINDINGS_MEMBER = "records/findings.jsonl"
ANALYSIS_MEMBER = "records/analysis.jsonl"
IOCS_MEMBER = "records/iocs.jsonl"
DUMPS_MEMBER = "records/memory-flagged.jsonl"
LAUNCH_RULES = ("IRKIT_Miner_Launch", "IRKIT_Installer_Miner")
"""The pack's rules for files that start a miner: their configs are read too."""
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(/[^\s'\";|&<>()`]+)")

Progress = Callable[[str], None]


@dataclass
class Target:
    """One thing to scan, with how to name it in the evidence."""

    real: str | Path
    host_path: str
    pid: int | None = None
    dropped: bool = True
    """False for a persistence entry's own file (a crontab, a unit): the file that holds an
    entry is evidence, not an IOC; what it starts or downloads is."""


@dataclass
class TriageOutcome:
    analysis: Analysis | None = None
    hits: list[YaraHit] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    iocs: list[Ioc] = field(default_factory=list)
    configs: list[StartedConfig] = field(default_factory=list)
    """Miner configs read for processes, persistence entries and launch files."""


def guarded_scan(
    ctx: Context, target: Target, scan: Callable[[], TargetResult]
) -> TargetResult | None:
    """One target's scan; an error in it is that target's logged skip, not the hunt's end."""
    with item_guard(ctx, "yara-scan", target=target.host_path):
        return scan()
    return None


def _no_folder(ctx: Context, folder: str) -> bool:
    """Whether a host folder is missing (then nothing named inside it can be there)."""
    try:
        return not os.path.isdir(ctx.host_path(folder))
    except OSError:
        return False


def resolve_target(ctx: Context, path: str, folders: dict[str, str]) -> tuple[str, os.stat_result]:
    """`ctx.host_path(path)` and the `stat` of what it names, with each folder resolved once
    per run (`folders`: host folder -> real path): 10,000 crontabs in one folder were 10,000
    resolutions of it, most of a persistence target's cost. Only a plain path takes the short
    way (absolute, normalised, its last part a name that is no link: `lstat` says); any other
    is resolved whole, as before."""
    folder, name = posixpath.split(path)
    plain = folder.startswith("/") and not folder.startswith("//")
    if not plain or name in ("", ".", "..") or posixpath.normpath(folder) != folder:
        real = str(ctx.host_path(path))
        return real, os.stat(real)
    base = folders.get(folder)
    if base is None:
        base = folders[folder] = str(ctx.host_path(folder))
    real = posixpath.join(base, name)
    info = os.lstat(real)
    if stat.S_ISLNK(info.st_mode):  # followed inside the root, as host_path does
        real = str(ctx.host_path(path))
        info = os.stat(real)
    return real, info


class Triage:
    """The after-collection phase; `outcome` holds what it found once it has run."""

    def __init__(
        self,
        playbook: Playbook,
        ruleset: RuleSet,
        progress: Progress,
        *,
        hunt_rules: dict[Path, RuleSet] | None = None,
    ) -> None:
        self.playbook = playbook
        self.ruleset: RuleSet | None = ruleset
        """For the hunts that name no `rules:` of their own; None once they are over."""
        self.hunt_rules = hunt_rules or {}
        """Each hunt's own `rules:`, compiled (`Playbook.hunt_rules`)."""
        self.progress = progress
        self.outcome = TriageOutcome()

    def __call__(self, ctx: Context) -> None:
        collected = [r for recs in ctx.collected.values() for r in recs]
        ctx.collector = "started-files"
        self.outcome.configs = started_configs(ctx, Dicts(collected, RecordFields))
        # each record read through a `RecordFields` made when it is read: not one per record held
        records = Dicts([*collected, *self.outcome.configs], RecordFields)
        ctx.collector = "irkit"
        flagged = {
            v.pid
            for v in process_verdicts(records, self.playbook.analysis)
            if severity_rank(v.severity) >= severity_rank("medium")
        }
        self.dump_flagged(ctx, flagged)
        for step in self.playbook.hunts:
            self.progress(f"hunt {step.name}: {step.targets}")
            ctx.collector = f"hunt:{step.name}"
            try:
                self.run_hunt(ctx, step, records, flagged)
            except Exception as exc:
                ctx.log_error("hunt", exc, hunt=step.name)
        self.forget_rules()
        ctx.collector = "irkit"
        self.progress("analyse")
        self.finish(ctx, records)

    def forget_rules(self) -> None:
        """The hunts are over: the compiled rules (9.5 MiB of libyara's for the pack) are
        not held through the analysis and the report, which were the triage's peak."""
        self.ruleset = None
        self.hunt_rules = {}
        forget_compiled()

    def dump_flagged(self, ctx: Context, flagged: set[int]) -> None:
        """With the memory collector in the playbook, flagged processes are dumped too (they are
        only known once processes and sockets have been read)."""
        if not any(c.name == "memory" for c in self.playbook.collectors):
            return
        ctx.collector = "memory"
        named = {p for p in ctx.option("pids", []) or [] if isinstance(p, int)}
        chosen = sorted(flagged - named)
        if chosen:
            self.progress(f"dump the memory of flagged processes: {chosen}")
            dumps = [dump_into_bundle(ctx, pid) for pid in chosen]
            ctx.writer.write_records(DUMPS_MEMBER, dumps, collector="memory")

    def run_hunt(
        self, ctx: Context, step: HuntStep, records: Sequence[Mapping[str, Any]], flagged: set[int]
    ) -> None:
        deadline = time.monotonic() + step.budget_seconds
        scanned = 0
        for result, target in self.scan(ctx, step, records, flagged, deadline):
            scanned += 1
            log_scan_problems(ctx.log, result)
            for hit in result.hits:
                with item_guard(ctx, "yara-hit", rule=hit.rule, target=target.host_path):
                    self.keep_hit(ctx, hit, target)
            if time.monotonic() > deadline:
                ctx.log("hunt", "partial", f"budget of {step.budget_seconds:.0f} s spent",
                        hunt=step.name, targets_scanned=scanned)  # fmt: skip
                return
        ctx.log("hunt", hunt=step.name, targets_scanned=scanned)

    def scan(
        self,
        ctx: Context,
        step: HuntStep,
        records: Sequence[Mapping[str, Any]],
        flagged: set[int],
        deadline: float | None = None,
    ) -> Iterator[tuple[TargetResult, Target]]:
        ruleset = self.rules_for(step)
        options = FileScanOptions(
            max_size=step.max_file_size,
            timeout=step.timeout,
            skip_files=frozenset(os.path.realpath(f) for f in ruleset.files),
            exclude_inodes=frozenset(ctx.excluded),
        )
        if step.targets in ("flagged-processes", "all-processes"):
            pids = sorted(flagged) if step.targets == "flagged-processes" else [
                r["pid"] for r in records if r.get("type") == "process"
            ]  # fmt: skip
            yield from self.scan_processes(ctx, step, ruleset.rules, pids)
        elif step.targets == "paths":
            options.skip_not_evidence = options.newest_first = True
            options.deadline = deadline
            yield from self.scan_paths(ctx, step, ruleset.rules, options)
        else:
            scanner = FileScanner(ruleset.rules, options)
            for target in self.file_targets(ctx, step, records):
                magic = target.pid is not None and ctx.proc_is_live  # /proc/PID/exe
                result = guarded_scan(
                    ctx, target, partial(scanner.scan_file, target.real, follow=magic)
                )
                if result is not None:
                    yield result, target

    @staticmethod
    def scan_processes(
        ctx: Context, step: HuntStep, rules: Rules, pids: list[int]
    ) -> Iterator[tuple[TargetResult, Target]]:
        """Each process's memory, irkit's own left out; none without a /proc."""
        if pids and ctx.proc is None:
            ctx.log("hunt", "skipped", NO_PROC, hunt=step.name)
            return
        for pid in pids:
            if pid == os.getpid() and ctx.proc_is_live:
                continue  # irkit's own memory holds every rule's strings
            target = Target(ctx.live_proc / str(pid), f"pid {pid}", pid)
            result = guarded_scan(
                ctx,
                target,
                partial(scan_process_memory, rules, pid, proc=ctx.live_proc, timeout=step.timeout),
            )
            if result is not None:
                yield result, target

    @staticmethod
    def scan_paths(
        ctx: Context, step: HuntStep, rules: Rules, options: FileScanOptions
    ) -> Iterator[tuple[TargetResult, Target]]:
        """The files under the step's path patterns (in the root), named by their host path."""
        roots = [p for pattern in step.paths for p in glob_in_root(ctx.root, pattern)]
        root_text = str(ctx.root).rstrip("/")
        for result in scan_tree(rules, roots, options, log=ctx.log):
            host_path = result.target[len(root_text) :] if root_text else result.target
            yield result, Target(Path(result.target), host_path)

    def rules_for(self, step: HuntStep) -> RuleSet:
        """The hunt's own `rules:` when it names some, else the run's (`--rules` or the pack)."""
        if self.ruleset is None:
            raise RuntimeError("the hunts are over: their rules were let go")
        if step.rules_path is None:
            return self.ruleset
        return self.hunt_rules.get(step.rules_path) or compile_rules(step.rules_path)

    def file_targets(
        self, ctx: Context, step: HuntStep, records: Sequence[Mapping[str, Any]]
    ) -> Iterator[Target]:
        seen: set[str] = set()
        if step.targets == "process-exes":
            for p in records:
                key = p.get("exe_sha256") or p.get("exe")
                if p.get("type") != "process" or not key or key in seen:
                    continue
                seen.add(key)
                exe = str(p.get("exe") or "").removesuffix(" (deleted)")
                try:
                    yield Target(ctx.proc_path(p["pid"], "exe"), exe, p["pid"])
                except OSError as exc:  # a link loop in a procfs copy
                    ctx.log_error("hunt-target", exc, pid=p["pid"])
            return
        # Each folder is resolved once per run: the ones on the host in `folders`
        # (resolve_target), the ones not on it in `missing` (30,000 cron jobs naming
        # /opt/x/task1..N look for /opt/x once, not once per job).
        missing: set[str] = set()
        folders: dict[str, str] = {}
        for entry in records:
            if entry.get("type") != "persistence":
                continue
            source = str(entry.get("source") or "")
            paths = [source, *_ABSOLUTE_PATH.findall(str(entry.get("command") or ""))]
            for path in paths:
                if not path or path in seen:
                    continue
                seen.add(path)
                folder, name = posixpath.split(path)
                if folder in missing:
                    continue
                try:
                    real, info = resolve_target(ctx, path, folders)
                    check_regular(info, path, ctx.excluded)
                except OwnOutput as exc:
                    ctx.log_error("hunt-target", exc, path=path)
                    continue
                except (FileNotFoundError, NotADirectoryError):
                    if name not in ("", ".", "..") and _no_folder(ctx, folder):
                        missing.add(folder)
                    continue
                except (OSError, ValueError):  # ValueError: a NUL byte in a crafted command
                    continue
                yield Target(real, path, dropped=path != source)

    def keep_hit(self, ctx: Context, hit: YaraHit, target: Target) -> None:
        """Record the hit and keep the flagged file itself as evidence (cut at the
        executable_bytes cap; its record keeps the whole original's hash). A hit at or above
        the threshold gives IOCs: the file (full path and sha256) and what its matched strings
        hold; below it, none."""
        hit.pid = hit.pid if hit.pid is not None else target.pid
        evidence: list[str] = []
        finding_iocs: list[Ioc] = []
        source = "memory" if hit.target_kind == "process" else "file"
        offsets = ", ".join(f"{s.offset:#x}" for s in hit.strings[:4])
        context = f"YARA {hit.rule} on {hit.target} at {offsets}"
        copied = None
        if hit.target_kind != "process":
            hit.path = target.host_path
            copied = self.copy_flagged_file(ctx, target)
        if copied is not None:
            evidence.append(copied.record.member)
            finding_iocs += self.flagged_file_iocs(hit, target, copied, context)
        finding_iocs += iocs_from_config(
            self.matched_text(ctx, hit, target, copied), context, source
        )
        finding = hit_to_finding(hit, evidence=[HUNTS_MEMBER, *evidence])
        if copied is not None and hit.rule.startswith(LAUNCH_RULES):
            finding_iocs += self.launch_configs(ctx, target.host_path, copied.text, finding)
        if severity_rank(hit.severity) >= severity_rank(self.playbook.analysis.threshold):
            for ioc in finding_iocs:
                ioc.finding = finding.title
            self.outcome.iocs += finding_iocs
        self.outcome.hits.append(hit)
        self.outcome.findings.append(finding)
        ctx.log("yara-hit", "warning", None, rule=hit.rule, target=hit.target)

    @staticmethod
    def copy_flagged_file(ctx: Context, target: Target) -> CopiedFile | None:
        """Keep the flagged file (a process's executable through /proc/PID/exe), cut at the
        executable_bytes cap."""
        cap, keep = "executable_bytes", 1 << 20
        if target.pid is not None:
            return ctx.copy_proc_file(target.pid, "exe", cap=cap, keep=keep)
        return ctx.copy_host_file(target.host_path, cap=cap, keep=keep)

    @staticmethod
    def flagged_file_iocs(
        hit: YaraHit, target: Target, copied: CopiedFile, context: str
    ) -> list[Ioc]:
        """What a flagged file gives: a config rule's values, and a dropped file itself."""
        found: list[Ioc] = []
        if "config" in hit.namespace or "config" in hit.tags:
            found += iocs_from_config(copied.text, f"file {target.host_path}", "file")
        if copied.record.sha256 and target.dropped and target.host_path.startswith("/"):
            found.append(Ioc("file", target.host_path, context, source="file",
                             detail={"sha256": copied.record.sha256}))  # fmt: skip
        return found

    def launch_configs(
        self, ctx: Context, host_path: str, text: str, finding: Finding
    ) -> list[Ioc]:
        """A file that starts a miner (a script, a unit, a Dockerfile, a compose file, a
        Kubernetes manifest): the configs it brings along say what the miner mines."""
        found: list[Ioc] = []
        for config in file_started_configs(ctx, host_path, text):
            record = config.to_dict()
            finding.reasons.append(config_reason(record))
            finding.evidence += [
                STARTED_CONFIGS_MEMBER,
                *([config.member] if config.member else []),
            ]
            found += started_config_iocs(record)
            self.outcome.configs.append(config)
        return found

    @staticmethod
    def matched_text(ctx: Context, hit: YaraHit, target: Target, copied: CopiedFile | None) -> str:
        """The bytes around each matched string (`hunt.around`), so a value the excerpt cut is
        whole; the excerpts alone when neither the process nor a copy can be read."""
        if hit.target_kind == "process" and target.pid is not None and ctx.proc is not None:
            text = around_in_process(hit, ctx.live_proc, target.pid)
        elif copied is not None:
            text = around_in_data(hit, copied.data)
        else:
            text = ""
        return text or "\n".join(s.excerpt for s in hit.strings)

    def finish(self, ctx: Context, records: Sequence[Mapping[str, Any]]) -> None:
        writer = ctx.writer
        if self.outcome.configs:
            writer.write_records(STARTED_CONFIGS_MEMBER, self.outcome.configs, collector="analysis")
        if self.outcome.hits:
            writer.write_records(HUNTS_MEMBER, self.outcome.hits, collector="hunt")
        yara_findings = [f.to_dict() for f in self.outcome.findings]
        analysis = analyse(chain(records, yara_findings), self.playbook.analysis)
        for finding in self.outcome.findings:
            finding.reasons += analysis.workspace.get(finding.path or "", [])
        analysis.findings = self.outcome.findings + analysis.findings
        ctx.collector = "started-files"
        started = started_file_iocs(ctx, records, analysis, self.playbook.analysis.threshold)
        ctx.collector = "irkit"
        analysis.iocs = dedupe(self.outcome.iocs + analysis.iocs + started)
        self.outcome.analysis = analysis
        self.outcome.iocs = analysis.iocs
        verdict = analysis.verdict(self.playbook.analysis.threshold)
        summary: list[Record] = [verdict, *analysis.verdicts]
        writer.write_records(ANALYSIS_MEMBER, summary, collector="analysis")
        if analysis.findings:
            writer.write_records(FINDINGS_MEMBER, analysis.findings, collector="analysis")
        host = writer.host.get("hostname")
        writer.write_records(IOCS_MEMBER, analysis.iocs, collector="analysis")
        writer.write_bytes("iocs.json", iocs_json(analysis.iocs, host=host), collector="analysis")
        writer.write_bytes("iocs.csv", iocs_csv(analysis.iocs, host=host), collector="analysis")
        writer.write_bytes(
            "iocs.stix.json", iocs_stix(analysis.iocs, host=host), collector="analysis"
        )
