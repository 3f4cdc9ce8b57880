"""`irkit review --rescan`: new rules over a sealed bundle; the bundle itself never changes."""

import hashlib
import json
from pathlib import Path

from hostfixtures import write_tree

from irkit.evidence.reader import BundleReader
from irkit.review.bundles import bundle_host
from tests.reportbundles import write_bundle

RULE = """
rule Planted_Marker {
    meta:
        description = "the marker planted by this test"
        severity = "high"
    strings:
        $m = "irkit-planted-7c1e"
    condition:
        $m and filename == "os-release"
}
"""


def test_rescan_finds_a_planted_string_and_leaves_the_bundle_alone(
    tmp_path: Path, run_irkit
) -> None:
    root = write_tree(tmp_path / "root", {"etc/os-release": 'NAME="irkit-planted-7c1e"\n'})
    bundle = tmp_path / "case.zip"
    collected = run_irkit("collect", "--root", root, "-c", "host", "-o", bundle, "-q")
    assert collected.returncode == 0, collected.stderr.decode()
    before = hashlib.sha256(bundle.read_bytes()).hexdigest()
    rules = tmp_path / "new.yar"
    rules.write_text(RULE)
    proc = run_irkit("review", bundle, "--rescan", "--rules", rules, "--fail-on", "high")
    assert proc.returncode == 1, proc.stderr.decode()
    assert "Planted_Marker" in proc.stdout.decode() + proc.stderr.decode()
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == before
    [review_file] = tmp_path.glob("case.zip.rescan-*.jsonl")
    head, *findings = [json.loads(line) for line in review_file.read_text().splitlines()]
    assert head["type"] == "rescan" and head["members_scanned"] > 0
    with BundleReader(bundle) as reader:
        assert head["host"] == reader.manifest.host["hostname"], "the header names its host"
    assert len(findings) == 1
    assert findings[0]["rule"].endswith("Planted_Marker")
    assert findings[0]["evidence"] == ["files/etc/os-release"]
    assert findings[0]["path"] == "/etc/os-release"


def test_rescan_with_broken_rules_is_refused(tmp_path: Path, run_irkit) -> None:
    root = write_tree(tmp_path / "root", {"etc/hostname": "h\n"})
    bundle = tmp_path / "case.zip"
    assert run_irkit("collect", "--root", root, "-c", "host", "-o", bundle).returncode == 0
    rules = tmp_path / "broken.yar"
    rules.write_text("rule broken {\n  condition:\n    nonsense and\n}\n")
    proc = run_irkit("review", bundle, "--rescan", "--rules", rules)
    assert proc.returncode == 2
    assert "broken.yar" in proc.stderr.decode()


def test_bundle_host_is_the_manifest_hostname_or_none(tmp_path: Path) -> None:
    """A hostile manifest's hostname that is not text names no host, rather than a wrong one."""
    named = write_bundle(tmp_path / "named.zip", {}, hostname="rig-7")
    odd = write_bundle(tmp_path / "odd.zip", {}, hostname=["rig", 7])  # type: ignore[arg-type]
    with BundleReader(named) as reader:
        assert bundle_host(reader) == "rig-7"
    with BundleReader(odd) as reader:
        assert bundle_host(reader) is None
