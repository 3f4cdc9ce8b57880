"""`irkit review --memory`: the bundle's memory image analysed with what was collected beside it.

The image comes from a real triage run whose memory collector converts a synthetic /proc/kcore
(the test_memory_acquire fixture) to LiME; the symbol material is absent, so the review says what
it would need and still gives the banner and YARA hits at physical offsets.
"""

import hashlib
import json
from pathlib import Path

from test_memory_acquire import BANNER, MARKER_PHYS, kcore_proc

from irkit.evidence.reader import BundleReader

RULE = """
rule Kcore_Marker {
    meta:
        description = "the synthetic kcore's marker"
        severity = "high"
    strings:
        $m = "IRKIT-KCORE-MARKER-1"
    condition:
        $m
}
"""


def test_review_memory_on_a_bundle_with_an_image(tmp_path: Path, run_irkit) -> None:
    proc = kcore_proc(tmp_path)
    playbook = tmp_path / "image.yaml"
    playbook.write_text("name: image\ncollectors:\n  memory:\n    image: true\n")
    bundle = tmp_path / "case.zip"
    made = run_irkit("triage", "-p", playbook, "--proc", proc, "--root", tmp_path, "-o", bundle)
    assert made.returncode == 0, made.stderr.decode()
    before = hashlib.sha256(bundle.read_bytes()).hexdigest()
    rules = tmp_path / "marker.yar"
    rules.write_text(RULE)
    proc_run = run_irkit("review", bundle, "--memory", "--rules", rules, timeout=600)
    stderr = proc_run.stderr.decode()
    assert "Traceback" not in stderr
    assert BANNER.decode().split(" (")[0] in stderr
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == before
    [review] = tmp_path.glob("case.zip.memory-*.jsonl")
    records = [json.loads(line) for line in review.read_text().splitlines()]
    head = records[0]
    assert head["type"] == "memory-review" and head["symbols"] is False
    assert any("BTF" in m or "symbol" in m.lower() for m in head["messages"])
    hits = [r for r in records if r["type"] == "memory-image-hit"]
    assert len(hits) == 1 and hits[0]["rule"].endswith("Kcore_Marker")
    assert MARKER_PHYS in hits[0]["physical_offsets"]


def test_review_memory_without_an_image_says_so(tmp_path: Path, run_irkit) -> None:
    bundle = tmp_path / "plain.zip"
    assert run_irkit("collect", "-c", "host", "-o", bundle).returncode == 0
    proc = run_irkit("review", bundle, "--memory")
    assert "holds no memory image" in proc.stderr.decode()
    [review] = tmp_path.glob("plain.zip.memory-*.jsonl")
    head = json.loads(review.read_text().splitlines()[0])
    with BundleReader(bundle) as reader:
        assert head["host"] == reader.manifest.host["hostname"], "the header names its host"
