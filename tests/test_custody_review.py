"""Issue 11, point 4: review shows each bundle's custody in the terminal, in --json and in
report.html: intact or not, signed by which key or unsigned, encrypted or not, and who
collected it on which host, when. Bundles are written by the real writer; encryption by the
real `age` tool."""

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from custodybundles import signing_custody
from reportbundles import scenario_bundle

from irkit.custody.keys import key_fingerprint, load_signing_key, new_key_pair

AGE_KEYGEN = shutil.which("age-keygen")
AGE = shutil.which("age")


def test_an_unsigned_clear_bundle_says_so(tmp_path: Path, run_irkit) -> None:
    bundle = scenario_bundle(tmp_path)
    proc = run_irkit("review", bundle, "--html", tmp_path / "r.html")
    line = next(x for x in proc.stdout.decode().splitlines() if x.startswith("custody"))
    assert "intact; unsigned; not encrypted; collected by uid" in line
    assert "on miner-host" in line
    html = (tmp_path / "r.html").read_text()
    assert '<dt>signature</dt><dd class="">unsigned</dd>' in html
    assert "<dt>encrypted</dt><dd>no</dd>" in html


@pytest.mark.skipif(AGE is None or AGE_KEYGEN is None, reason="the age tool is needed")
def test_a_signed_encrypted_bundle_shows_key_encryption_and_collector(
    tmp_path: Path, run_irkit
) -> None:
    assert AGE is not None and AGE_KEYGEN is not None
    key = tmp_path / "sign"
    new_key_pair(key, force=False)
    fingerprint = key_fingerprint(load_signing_key(key))
    (tmp_path / "src").mkdir()
    bundle = scenario_bundle(tmp_path / "src", custody=signing_custody(key))
    identity = tmp_path / "id.txt"
    subprocess.run([AGE_KEYGEN, "-o", identity], check=True, capture_output=True)
    recipient = subprocess.run(
        [AGE_KEYGEN, "-y", identity], check=True, capture_output=True, text=True
    ).stdout.strip()
    sealed = tmp_path / "case.zip.age"
    subprocess.run([AGE, "-r", recipient, "-o", sealed, bundle], check=True)
    args = ("-i", identity, "--trust", f"{key}.pub", sealed)
    proc = run_irkit("review", *args, "--html", tmp_path / "r.html")
    assert proc.returncode == 1, proc.stderr.decode()  # the scenario has a high finding
    line = next(x for x in proc.stdout.decode().splitlines() if x.startswith("custody"))
    assert f"intact; signed by trusted key {fingerprint}; encrypted (age);" in line
    html = (tmp_path / "r.html").read_text()
    assert f'<dd class="ok">signed by trusted key {fingerprint}</dd>' in html
    assert "<dt>encrypted</dt><dd>yes (age)</dd>" in html
    assert "<dt>collected by</dt><dd>uid " in html
    document = json.loads(run_irkit("review", "--json", *args).stdout)
    custody = document["bundles"][0]["custody"]
    assert custody["signature_state"] == "valid"
    assert custody["signed_by"] == fingerprint
    assert custody["encrypted"] is True
    assert custody["host"] == "miner-host"
    assert custody["collected_by"]["uid"] >= 0 and custody["started"]
    untrusted = json.loads(run_irkit("review", "--json", "-i", identity, sealed).stdout)
    assert untrusted["bundles"][0]["custody"]["signature_state"] == "untrusted"


@pytest.mark.skipif(AGE is None or AGE_KEYGEN is None, reason="the age tool is needed")
def test_the_report_inside_a_signed_encrypted_triage_says_how_it_is_sealed(
    tmp_path: Path, run_irkit
) -> None:
    """report.html is written before the seal: it names the key that will sign and says the
    bundle is encrypted, and who collected it."""
    assert AGE is not None and AGE_KEYGEN is not None
    key = tmp_path / "sign"
    new_key_pair(key, force=False)
    identity = tmp_path / "id.txt"
    subprocess.run([AGE_KEYGEN, "-o", identity], check=True, capture_output=True)
    recipient = subprocess.run(
        [AGE_KEYGEN, "-y", identity], check=True, capture_output=True, text=True
    ).stdout.strip()
    book = tmp_path / "book.yaml"
    book.write_text("name: book\ncollectors:\n  host: {}\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    sealed = tmp_path / "case.zip.age"
    args = ("-p", book, "--root", root, "-o", sealed, "-q", "--sign", key)
    proc = run_irkit("triage", *args, "--encrypt-to", recipient)
    assert proc.returncode in (0, 3), proc.stderr.decode()
    clear = tmp_path / "case.zip"
    subprocess.run([AGE, "-d", "-i", identity, "-o", clear, sealed], check=True)
    with zipfile.ZipFile(clear) as zf:
        html = zf.read("report.html").decode()
    fingerprint = key_fingerprint(load_signing_key(key))
    assert f"to be signed at sealing by {fingerprint}" in html
    assert "<dt>encrypted</dt><dd>yes (age)</dd>" in html
    assert "<dt>collected by</dt><dd>uid " in html
