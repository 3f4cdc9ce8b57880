"""Issue 11, points 1 and 2: verify checks every witness of the manifest, and a signature by a
trusted key catches the attacker who rewrote them all. Bundles are written by the real
EvidenceWriter, tampered with as an attacker would (tests/custodybundles.py), and checked
through the real CLI; the SSH signature format is checked both ways with OpenSSH's ssh-keygen.
"""

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from custodybundles import SIG, forge, signing_custody
from reportbundles import scenario_bundle

from irkit.custody.keys import new_key_pair
from irkit.evidence.verify import MEANING, verify_bundle
from irkit.exitcodes import ExitCode

SSH_KEYGEN = shutil.which("ssh-keygen")
FINDINGS = "records/findings.jsonl"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    for who in ("responder", "attacker"):
        new_key_pair(folder / who, force=False, comment=who)
    return {"responder": folder / "responder", "attacker": folder / "attacker"}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> Path:
    folder = tmp_path_factory.mktemp("signed")
    return scenario_bundle(folder, custody=signing_custody(keys["responder"]))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario_bundle(tmp_path_factory.mktemp("unsigned"))


def pub(key: Path) -> Path:
    return key.with_name(key.name + ".pub")


def members(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def problems(bundle: Path) -> list[str]:
    return [f"{p.member}: {p.problem}" for p in verify_bundle(bundle).problems]


# --- point 1: without a key ---------------------------------------------------------------


def test_an_untouched_bundle_is_intact_and_verify_says_what_that_means(
    unsigned: Path, run_irkit
) -> None:
    proc = run_irkit("verify", unsigned)
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    report = verify_bundle(unsigned)
    assert report.comment_manifest_sha256 == report.manifest_sha256
    assert f"manifest sha256  {report.manifest_sha256}" in stderr
    assert "intact means:" in stderr and "recorded at collection" in stderr
    document = json.loads(run_irkit("verify", "--json", unsigned).stdout)
    assert document["meaning"] == MEANING
    assert document["signature"]["state"] == "unsigned"


@pytest.mark.parametrize(
    ("tamper", "witness"),
    [
        ("member and manifest edited, comment left", "zip comment: holds manifest sha256"),
        ("findings rewritten, comment left", "zip comment: holds manifest sha256"),
        ("zip comment changed", "zip comment: holds manifest sha256 " + "0" * 64),
        ("zip comment removed", "zip comment: does not hold the manifest's sha256"),
        ("member dropped, manifest fixed", "zip comment: holds manifest sha256"),
        ("member added, manifest fixed", "zip comment: holds manifest sha256"),
        ("everything in the zip fixed, sidecar left", "the bundle's sha256 differs"),
    ],
)
def test_each_tampering_is_not_intact_without_a_key(
    unsigned: Path, tmp_path: Path, run_irkit, tamper: str, witness: str
) -> None:
    bad = tmp_path / "case.zip"
    original = members(unsigned)
    version = original["files/etc/crontab"].replace(b"curl", b"true")
    if tamper.startswith("member and manifest"):
        forge(unsigned, bad, change={"files/etc/crontab": version}, comment="keep")
    elif tamper.startswith("findings"):
        forge(unsigned, bad, change={FINDINGS: b""}, comment="keep")
    elif tamper == "zip comment changed":
        forge(unsigned, bad, comment=b"irkit manifest sha256 " + b"0" * 64)
    elif tamper == "zip comment removed":
        forge(unsigned, bad, comment=b"")
    elif tamper.startswith("member dropped"):
        forge(unsigned, bad, drop={"records/sockets.jsonl"}, comment="keep")
    elif tamper.startswith("member added"):
        forge(unsigned, bad, add={"files/etc/planted": b"x"}, comment="keep")
    else:
        forge(unsigned, bad, change={FINDINGS: b""}, sidecar="stale")
    proc = run_irkit("verify", bad)
    stderr = proc.stderr.decode()
    assert proc.returncode == ExitCode.FINDINGS, stderr
    assert "NOT INTACT" in stderr
    assert any(p.startswith(witness) or witness in p for p in problems(bad)), problems(bad)
    assert witness.split(":")[0] in stderr


def test_a_stale_manifest_hash_in_the_sidecar_is_named(unsigned: Path, tmp_path: Path) -> None:
    """The attacker fixed the sidecar's bundle hash but not its manifest line."""
    bad = forge(unsigned, tmp_path / "case.zip", change={FINDINGS: b""}, sidecar="fix")
    side = bad.with_name("case.zip.sha256")
    first, _ = side.read_text().splitlines()
    side.write_text(first + "\n# manifest.json sha256 " + "1" * 64 + "\n")
    assert any("records manifest sha256 " + "1" * 64 in p for p in problems(bad))


def test_rewritten_findings_are_not_reviewed_as_clean(
    unsigned: Path, tmp_path: Path, run_irkit
) -> None:
    bad = forge(unsigned, tmp_path / "case.zip", change={FINDINGS: b""}, comment="keep")
    proc = run_irkit("review", bad)
    assert proc.returncode == ExitCode.FINDINGS
    assert "NOT INTACT" in proc.stderr.decode()
    assert "NO FINDINGS" not in proc.stdout.decode()


def test_a_rewrite_of_every_witness_is_intact_without_a_key(
    unsigned: Path, tmp_path: Path, run_irkit
) -> None:
    """What self-consistency cannot prove: this is why bundles are signed."""
    bad = forge(unsigned, tmp_path / "case.zip", change={FINDINGS: b""}, sidecar="fix")
    assert run_irkit("verify", bad).returncode == 0


# --- point 2: signatures ------------------------------------------------------------------


def test_a_signed_bundle_verifies_with_its_trusted_key(
    signed: Path, keys: dict[str, Path], run_irkit
) -> None:
    proc = run_irkit("verify", "--trust", pub(keys["responder"]), "--json", signed)
    assert proc.returncode == 0, proc.stderr.decode()
    signature = json.loads(proc.stdout)["signature"]
    assert signature["state"] == "valid"
    line = pub(keys["responder"]).read_text().strip()
    literal = run_irkit("verify", "--trust", line, signed)
    assert literal.returncode == 0
    assert f"signed by trusted key {signature['fingerprint']}" in literal.stderr.decode()


def test_a_valid_signature_by_an_untrusted_key_is_reported_as_such(
    signed: Path, keys: dict[str, Path], run_irkit
) -> None:
    proc = run_irkit("verify", "--trust", pub(keys["attacker"]), "--json", signed)
    assert proc.returncode == ExitCode.UNTRUSTED == 8
    document = json.loads(proc.stdout)
    assert document["intact"] is True
    assert document["signature"]["state"] == "untrusted"
    plain = run_irkit("verify", signed)
    assert plain.returncode == 0
    assert "a key that is not trusted (no --trust given)" in plain.stderr.decode()


@pytest.mark.parametrize(
    ("signature", "state", "code", "says"),
    [
        ("keep", "invalid", ExitCode.FINDINGS, "does not match manifest.json"),
        ("drop", "invalid", ExitCode.FINDINGS, "the signature is missing"),
        ("strip", "unsigned", ExitCode.UNSIGNED, "unsigned"),
        ("attacker", "untrusted", ExitCode.UNTRUSTED, "a key that is not trusted"),
    ],
)
def test_a_rewrite_of_all_three_witnesses_is_caught_by_the_signature(
    signed: Path,
    keys: dict[str, Path],
    tmp_path: Path,
    run_irkit,
    signature: str,
    state: str,
    code: int,
    says: str,
) -> None:
    how = keys["attacker"] if signature == "attacker" else signature
    bad = forge(signed, tmp_path / "case.zip", change={FINDINGS: b""}, sidecar="fix", signature=how)  # type: ignore[arg-type]
    proc = run_irkit("verify", "--trust", pub(keys["responder"]), bad)
    assert proc.returncode == code, proc.stderr.decode()
    assert says in proc.stderr.decode()
    document = json.loads(
        run_irkit("verify", "--trust", pub(keys["responder"]), "--json", bad).stdout
    )
    assert document["signature"]["state"] == state
    assert document["intact"] is (state != "invalid")


def test_a_damaged_signature_is_invalid_not_a_crash(signed: Path, tmp_path: Path) -> None:
    original = members(signed)[SIG]
    for damaged in (
        b"",
        original[:60],
        original.replace(b"A", b"B", 3),
        b"\xff" * 400,
        b"x" * 20000,
    ):
        bad = tmp_path / "case.zip"
        bad.unlink(missing_ok=True)
        shutil.copy(signed, bad)
        forge(signed, bad, comment="keep")
        with zipfile.ZipFile(signed) as zin, zipfile.ZipFile(bad, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info.filename, damaged if info.filename == SIG else zin.read(info))
            zout.comment = zin.comment
        report = verify_bundle(bad)
        assert report.signature is not None and report.signature.state == "invalid", damaged[:20]
        assert not report.intact


@pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen (Debian openssh-client) is needed")
def test_ssh_keygen_verifies_irkits_signature_and_irkit_reads_ssh_keygens(
    signed: Path, keys: dict[str, Path], tmp_path: Path, run_irkit
) -> None:
    assert SSH_KEYGEN is not None
    content = members(signed)
    (tmp_path / "manifest.json").write_bytes(content["manifest.json"])
    (tmp_path / "manifest.json.sig").write_bytes(content[SIG])
    allowed = tmp_path / "allowed_signers"
    allowed.write_text("responder " + pub(keys["responder"]).read_text())
    check = subprocess.run(
        [
            SSH_KEYGEN,
            "-Y",
            "verify",
            "-f",
            allowed,
            "-I",
            "responder",
            "-n",
            "irkit-manifest",
            "-s",
            tmp_path / "manifest.json.sig",
        ],
        input=content["manifest.json"],
        capture_output=True,
    )
    assert check.returncode == 0, check.stderr
    assert b'Good "irkit-manifest" signature' in check.stdout + check.stderr
    # The other way: ssh-keygen signs the manifest; irkit accepts it, trusting allowed_signers.
    (tmp_path / "manifest.json.sig").unlink()
    subprocess.run(
        [
            SSH_KEYGEN,
            "-Y",
            "sign",
            "-q",
            "-f",
            keys["responder"],
            "-n",
            "irkit-manifest",
            tmp_path / "manifest.json",
        ],
        check=True,
        capture_output=True,
    )
    resigned = tmp_path / "resigned.zip"
    with zipfile.ZipFile(signed) as zin, zipfile.ZipFile(resigned, "w") as zout:
        for info in zin.infolist():
            data = (
                (tmp_path / "manifest.json.sig").read_bytes()
                if info.filename == SIG
                else zin.read(info)
            )
            zout.writestr(info.filename, data)
        zout.comment = zin.comment
    proc = run_irkit("verify", "--trust", allowed, resigned)
    assert proc.returncode == 0, proc.stderr.decode()


def test_keys_new_makes_a_private_pair_and_never_follows_a_link(tmp_path: Path, run_irkit) -> None:
    key = tmp_path / "sign"
    proc = run_irkit("keys", "new", key)
    assert proc.returncode == 0, proc.stderr.decode()
    line = proc.stdout.decode()
    assert line.count("\n") == 1 and line.startswith("ssh-ed25519 ")
    assert pub(key).read_text() == line
    for path in (key, pub(key)):
        assert (path.stat().st_mode & 0o777) == 0o600
    assert run_irkit("keys", "new", key).returncode == 2
    planted = tmp_path / "planted"
    os.symlink(tmp_path / "victim", planted)
    assert run_irkit("keys", "new", planted, "--force").returncode == 2
    assert not (tmp_path / "victim").exists()


def test_trust_that_holds_no_key_is_a_usage_error(signed: Path, tmp_path: Path, run_irkit) -> None:
    empty = tmp_path / "trusted"
    empty.write_text("# nobody\n")
    proc = run_irkit("verify", "--trust", empty, signed)
    assert proc.returncode == 2
    assert "no ssh-ed25519 public key" in proc.stderr.decode()
