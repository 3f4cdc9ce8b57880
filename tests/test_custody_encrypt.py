"""Issue 11, points 3 and 5: bundles encrypted to age recipients while they are written, read
back without a clear copy on disk, and the custody settings of a fleet run.

Interop is checked with the real `age` tool (Debian package `age`) both ways; collections are
real `irkit collect`/`triage` runs of the host collector (quick, and enough to make a bundle).
"""

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from custodybundles import SIG
from reportbundles import scenario_bundle

from irkit.custody.keys import key_fingerprint, load_signing_key, new_key_pair
from irkit.exitcodes import ExitCode

AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
needs_age = pytest.mark.skipif(
    AGE is None or AGE_KEYGEN is None, reason="the age tool (Debian package age) is needed"
)
pytestmark = needs_age
AGE_MAGIC = b"age-encryption.org/v1\n"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    folder = tmp_path_factory.mktemp("keys")
    assert AGE_KEYGEN is not None
    subprocess.run([AGE_KEYGEN, "-o", folder / "analyst.txt"], check=True, capture_output=True)
    subprocess.run([AGE_KEYGEN, "-o", folder / "other.txt"], check=True, capture_output=True)
    recipient = subprocess.run(
        [AGE_KEYGEN, "-y", folder / "analyst.txt"], check=True, capture_output=True, text=True
    ).stdout.strip()
    new_key_pair(folder / "sign", force=False)
    return {
        "identity": folder / "analyst.txt",
        "other": folder / "other.txt",
        "recipient": recipient,
        "sign": folder / "sign",
        "folder": folder,
    }


def collect(run_irkit, out: Path | str, *extra: str | Path, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    proc = run_irkit("collect", "-c", "host", "-q", "-o", out, *extra, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc


def age_decrypt(identity: Path | str, source: Path, target: Path) -> None:
    assert AGE is not None
    subprocess.run([AGE, "-d", "-i", identity, "-o", target, source], check=True)


def test_age_decrypts_what_irkit_writes_and_the_clear_bundle_verifies(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    out = tmp_path / "case.zip.age"
    proc = collect(run_irkit, out, "--encrypt-to", keys["recipient"], "--sign", keys["sign"])
    ciphertext = out.read_bytes()
    assert ciphertext.startswith(AGE_MAGIC)
    stderr = proc.stderr.decode()
    digest = hashlib.sha256(ciphertext).hexdigest()
    assert f"bundle sha256    {digest} (the ciphertext)" in stderr
    sidecar = out.with_name("case.zip.age.sha256").read_text().splitlines()
    assert sidecar[0] == f"{digest}  case.zip.age"
    check = subprocess.run(["sha256sum", "-c", "case.zip.age.sha256"], cwd=tmp_path)
    assert check.returncode == 0
    clear = tmp_path / "case.zip"
    age_decrypt(keys["identity"], out, clear)
    verified = run_irkit("verify", "--trust", f"{keys['sign']}.pub", clear)
    assert verified.returncode == 0, verified.stderr.decode()
    with zipfile.ZipFile(clear) as zf:
        manifest_sha = hashlib.sha256(zf.read("manifest.json")).hexdigest()
        manifest = json.loads(zf.read("manifest.json"))
        assert SIG in zf.namelist()
    assert f"manifest sha256  {manifest_sha}" in stderr
    assert sidecar[1] == f"# manifest.json sha256 {manifest_sha}"
    assert manifest["custody"]["encrypted_to"] == [keys["recipient"]]
    inside = run_irkit("verify", "-i", keys["identity"], "--json", out)
    assert inside.returncode == 0, inside.stderr.decode()
    document = json.loads(inside.stdout)
    assert document["encrypted"] is True
    assert document["bundle_sha256"] == digest
    assert document["manifest_sha256"] == manifest_sha


@pytest.mark.parametrize("armor", [False, True])
def test_irkit_reads_what_age_encrypts_without_a_clear_copy_on_disk(
    keys: dict, tmp_path: Path, run_irkit, armor: bool
) -> None:
    (tmp_path / "src").mkdir()
    clear = scenario_bundle(tmp_path / "src")
    case = tmp_path / "case"
    case.mkdir()
    sealed = case / "case.zip.age"
    assert AGE is not None
    command = [AGE, "-r", keys["recipient"], "-o", sealed, clear]
    subprocess.run([*command[:1], "-a", *command[1:]] if armor else command, check=True)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(Path(__file__).parents[1])}
    for args in (
        ("verify",),
        ("review", "--json"),
        ("timeline", "-f", "csv"),
    ):
        proc = run_irkit(*args, "-i", keys["identity"], sealed, env=env)
        assert proc.returncode in (0, ExitCode.FINDINGS), proc.stderr.decode()
        assert "no clear copy on disk" in proc.stderr.decode()
        assert b"Miner hiding as a kernel thread" in proc.stdout or args[0] == "verify"
    assert sorted(p.name for p in case.iterdir()) == ["case.zip.age"]
    assert list(scratch.iterdir()) == []


def test_a_wrong_or_missing_identity_is_a_clear_error_exit_2(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    out = tmp_path / "case.zip.age"
    collect(run_irkit, out, "--encrypt-to", keys["recipient"])
    wrong = run_irkit("verify", "-i", keys["other"], out)
    assert wrong.returncode == ExitCode.USAGE
    assert "none of the given identities can decrypt it" in wrong.stderr.decode()
    missing = run_irkit("review", out)
    assert missing.returncode == ExitCode.USAGE
    assert "encrypted with age: pass --identity" in missing.stderr.decode()
    not_a_key = tmp_path / "not-a-key"
    not_a_key.write_text("hello\n")
    bad = run_irkit("timeline", "-i", not_a_key, out)
    assert bad.returncode == ExitCode.USAGE and "no age identity" in bad.stderr.decode()
    damaged = tmp_path / "damaged.zip.age"
    data = bytearray(out.read_bytes())
    data[-100] ^= 0x01
    damaged.write_bytes(bytes(data))
    broken = run_irkit("verify", "-i", keys["identity"], damaged)
    assert broken.returncode == ExitCode.USAGE
    assert "damaged ciphertext" in broken.stderr.decode()
    for proc in (wrong, missing, bad, broken):
        assert b"Traceback" not in proc.stderr


def test_the_stream_to_stdout_is_never_clear_text(keys: dict, tmp_path: Path, run_irkit) -> None:
    proc = collect(run_irkit, "-", "--encrypt-to", keys["recipient"])
    stream = proc.stdout
    assert stream.startswith(AGE_MAGIC)
    for clear in (b"manifest.json", b"collection.log", b"records/", b"files/", b"PK\x03\x04"):
        assert clear not in stream, clear
    assert hashlib.sha256(stream).hexdigest() in proc.stderr.decode()
    sealed = tmp_path / "case.zip.age"
    sealed.write_bytes(stream)
    clear = tmp_path / "case.zip"
    age_decrypt(keys["identity"], sealed, clear)
    with zipfile.ZipFile(clear) as zf:
        assert "manifest.json" in zf.namelist()
    assert run_irkit("verify", clear).returncode == 0


def test_an_ssh_ed25519_key_is_a_recipient_and_its_private_key_an_identity(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    sign = Path(keys["sign"])
    line = Path(f"{sign}.pub").read_text().strip()
    out = tmp_path / "case.zip.age"
    collect(run_irkit, out, "--encrypt-to", line)
    clear = tmp_path / "case.zip"
    age_decrypt(sign, out, clear)
    assert run_irkit("verify", clear).returncode == 0
    assert run_irkit("verify", "-i", sign, out).returncode == 0


def test_a_bad_recipient_stops_the_run_before_any_output(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    out = tmp_path / "case.zip"
    proc = run_irkit("collect", "-c", "host", "-q", "-o", out, "--encrypt-to", "age1nope")
    assert proc.returncode == ExitCode.USAGE
    assert "not a valid recipient" in proc.stderr.decode()
    assert list(tmp_path.iterdir()) == []
    # An identity file given as recipients by mistake: named by line, its secret never shown.
    identity = keys["identity"]
    mistaken = run_irkit("collect", "-c", "host", "-q", "-o", out, "--encrypt-to", identity)
    assert mistaken.returncode == ExitCode.USAGE
    assert f"{identity} line " in mistaken.stderr.decode()
    assert b"AGE-SECRET-KEY" not in mistaken.stderr + mistaken.stdout


# --- point 5: settings for a fleet, and a private key never written ----------------------


def _clear_bytes(bundle: Path) -> bytes:
    """Every member inflated, and the raw zip: where a leaked key could be."""
    with zipfile.ZipFile(bundle) as zf:
        return bundle.read_bytes() + b"".join(zf.read(name) for name in zf.namelist())


def test_environment_sets_key_and_recipients_and_no_private_key_is_written(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    from conftest import irkit_env

    sign = Path(keys["sign"])
    env = irkit_env(IRKIT_SIGN_KEY=str(sign), IRKIT_ENCRYPT_TO=keys["recipient"])
    out = tmp_path / "case.zip.age"
    proc = collect(run_irkit, out, "--json", env=env)
    summary = json.loads(proc.stdout)
    assert summary["signed_by"] == key_fingerprint(load_signing_key(sign))
    assert summary["encrypted_to"] == [keys["recipient"]]
    clear = tmp_path / "case.zip"
    age_decrypt(keys["identity"], out, clear)
    assert run_irkit("verify", "--trust", f"{sign}.pub", clear).returncode == 0
    private = sign.read_bytes()
    body = b"".join(private.splitlines()[1:-1])
    everything = _clear_bytes(clear) + proc.stderr + proc.stdout
    assert body[20:60] not in everything
    assert keys["identity"].read_bytes().split(b"AGE-SECRET-KEY-")[1][:40] not in everything


def test_a_playbook_sets_key_and_recipients(keys: dict, tmp_path: Path, run_irkit) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    shutil.copy(keys["sign"], folder / "fleet-key")
    (folder / "recipients.txt").write_text(f"# the analysts\n{keys['recipient']}\n")
    book = folder / "fleet.yaml"
    book.write_text(
        "name: fleet\ncollectors:\n  host: {}\n"
        "custody:\n  sign: fleet-key\n  encrypt_to: [recipients.txt]\n"
    )
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    out = tmp_path / "case.zip.age"
    proc = run_irkit("triage", "-p", book, "--root", root, "-o", out, "-q")
    assert proc.returncode in (0, 3), proc.stderr.decode()
    assert out.read_bytes().startswith(AGE_MAGIC)
    checked = run_irkit(
        "verify", "-i", keys["identity"], "--trust", f"{keys['sign']}.pub", "--json", out
    )
    assert checked.returncode == 0, checked.stderr.decode()
    assert json.loads(checked.stdout)["signature"]["state"] == "valid"
    everything = _clear_bytes(_decrypted(keys, out, tmp_path / "case.zip"))
    assert b"".join((folder / "fleet-key").read_bytes().splitlines()[1:-1])[20:60] not in everything


def _decrypted(keys: dict, sealed: Path, clear: Path) -> Path:
    age_decrypt(keys["identity"], sealed, clear)
    return clear


def test_a_signing_key_others_can_read_is_a_logged_warning(
    keys: dict, tmp_path: Path, run_irkit
) -> None:
    exposed = tmp_path / "exposed"
    shutil.copy(keys["sign"], exposed)
    exposed.chmod(0o644)
    out = tmp_path / "case.zip"
    collect(run_irkit, out, "--sign", exposed)
    with zipfile.ZipFile(out) as zf:
        log = [json.loads(line) for line in zf.read("collection.log").splitlines()]
    warned = [e for e in log if e["step"] == "custody" and e["outcome"] == "warning"]
    assert warned and "readable by group or others (mode 644)" in warned[0]["error"]
