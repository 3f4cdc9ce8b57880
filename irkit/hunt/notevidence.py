"""Files a tree hunt never scans because they are not the host's: irkit's own evidence and rules.

On an agent sandbox or a responder's box, /root and /tmp hold earlier bundles, bundles unpacked
for review (a directory with irkit's manifest.json), irkit's installed rule pack and other rule
sets (YARA, Sigma, Falco, osquery). Every one of them is full of miner strings by design:
scanned, they gave thousands of findings and a minute of work on a clean host. Each is
recognised from a bounded read of its own bytes, never by name alone: a miner renamed
`rules.yar` is still an ELF and still scanned.

What a rule set looks like is not written here: the pack's mention markers (`mentions.yar`,
meta `skip` and `container`) say it once, for this walk and for the scanner that caps the
hits on a mention (`mentions.py`). A rule-set file is skipped when its suffix is one its
marker lists and that marker matches its first 4 KB.
"""

import functools
import os
import zipfile
from pathlib import Path

from irkit.confined import open_regular
from irkit.hunt.libyara import Rules, yara
from irkit.hunt.rules import default_rules_path

HEAD_BYTES = 4096
TAIL_BYTES = 64 << 10
"""A bundle's manifest.json is written last: its name is in the last central-directory entry."""
BUNDLE_SUFFIXES = (".zip", ".zip.partial")
MARKERS = "mentions.yar"
BINARY_MAGIC = (b"\x7fELF", b"MZ", b"#!", b"\xca\xfe\xba\xbe")


@functools.cache
def _mark() -> bytes:
    """The format's name as the manifest writes it; the manifest module (and the evidence
    log it imports) loads only when a hunt skips evidence, not for every `irkit scan`."""
    from irkit.evidence.manifest import FORMAT_NAME

    return f'"{FORMAT_NAME}"'.encode()


def _read(path: str, offset: int, count: int) -> bytes:
    try:
        with open_regular(Path(path)) as handle:
            return os.pread(handle.fileno(), count, offset)
    except OSError:
        return b""


def _bundle_manifest(path: str) -> bool:
    """The zip's manifest.json is irkit's (its first bytes name the format): a zip that only
    names its members like a bundle's, to hide from the hunt, is scanned."""
    try:
        with (
            open_regular(Path(path)) as handle,
            zipfile.ZipFile(handle) as archive,
            archive.open("manifest.json") as manifest,
        ):
            return _mark() in manifest.read(HEAD_BYTES)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RuntimeError, EOFError):
        return False


def is_evidence_dir(directory: str) -> bool:
    """A directory holding an irkit manifest.json: an unpacked bundle."""
    return _mark() in _read(os.path.join(directory, "manifest.json"), 0, HEAD_BYTES)


@functools.cache
def _markers() -> tuple[Rules, dict[str, tuple[str, ...]]]:
    """The shipped mention markers, compiled once, and the suffixes each lets a walk skip."""
    rules = yara.compile(filepath=str(default_rules_path() / MARKERS))
    return rules, {r.identifier: tuple(str(r.meta.get("skip", "")).split()) for r in rules}


@functools.cache
def skippable_suffixes() -> tuple[str, ...]:
    """Every suffix some marker lets a walk skip: only such files are read to decide."""
    return tuple(sorted({s for found in _markers()[1].values() for s in found}))


def rule_set_kind(name: str, head: bytes) -> str | None:
    """The container (`a YARA rule file`, `a Sigma rule file`, ...) that a file named `name`
    whose first bytes are `head` is, when its marker lets a walk skip that suffix."""
    if head.startswith(BINARY_MAGIC) or b"\0" in head:
        return None
    rules, suffixes = _markers()
    kinds = sorted(
        (match.rule, str(match.meta.get("container")))
        for match in rules.match(data=head)
        if name.lower().endswith(suffixes.get(match.rule, ()))
    )
    return kinds[0][1] if kinds else None


def skip_reason(path: str, size: int) -> str | None:
    """Why `path` is irkit's evidence or a rule file, or None to scan it."""
    name = path.lower()
    if name.endswith(BUNDLE_SUFFIXES):
        tail = _read(path, max(0, size - TAIL_BYTES), TAIL_BYTES)
        if b"manifest.json" in tail and b"collection.log" in tail and _bundle_manifest(path):
            return "an irkit bundle"
        return None
    if name.endswith(skippable_suffixes()):
        return rule_set_kind(name, _read(path, 0, HEAD_BYTES))
    return None
