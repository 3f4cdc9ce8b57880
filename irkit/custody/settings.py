"""Where a run's signing key and recipients come from: the command line, else the
environment, else the playbook, so that a fleet run needs no long command lines.

Only paths and public keys travel this way: the private key is read from its file at start
and lives in memory; the manifest records its fingerprint and the recipients, never the key.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from irkit.evidence.writer import Custody

if TYPE_CHECKING:
    from irkit.custody.encryption import Recipient

SIGN_ENV = "IRKIT_SIGN_KEY"
"""The signing key's path."""
ENCRYPT_ENV = "IRKIT_ENCRYPT_TO"
"""Recipients (or files of them), separated by commas: an SSH key line holds spaces."""


@dataclass
class CustodySettings:
    """A playbook's `custody:` section (paths resolved against the playbook's directory)."""

    sign: Path | None = None
    encrypt_to: list[str] = field(default_factory=list)


@dataclass
class RunCustody:
    custody: Custody
    recipients: "list[Recipient]"
    warnings: list[str] = field(default_factory=list)


def resolve_custody(
    sign: Path | None,
    encrypt_to: Sequence[str],
    playbook: CustodySettings | None = None,
    environ: Mapping[str, str] = os.environ,
) -> RunCustody:
    """The key and recipients of this run; CustodyError names what cannot be used.

    pyrage and cryptography are imported only when a run encrypts or signs: together they are
    7 MiB of a collection's resident memory (measured against the 100 MiB triage goal)."""
    book = playbook or CustodySettings()
    env_sign = environ.get(SIGN_ENV, "").strip()
    key_path = sign or (Path(env_sign) if env_sign else None) or book.sign
    env_recipients = [r for r in environ.get(ENCRYPT_ENV, "").split(",") if r.strip()]
    recipient_values = list(encrypt_to) or env_recipients or book.encrypt_to
    recipients: list[Recipient] = []
    if recipient_values:
        from irkit.custody.encryption import load_recipients

        recipients = load_recipients(recipient_values)
    run = RunCustody(Custody(encrypted_to=[r.text for r in recipients]), recipients)
    if key_path is not None:
        from irkit.custody.keys import exposure_warning, key_fingerprint, load_signing_key
        from irkit.custody.signing import sign_manifest

        key = load_signing_key(key_path)
        run.custody.sign = lambda manifest: sign_manifest(key, manifest)
        run.custody.signed_by = key_fingerprint(key)
        run.warnings += filter(None, [exposure_warning(key_path)])
    return run
