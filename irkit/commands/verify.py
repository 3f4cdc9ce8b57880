"""`irkit verify`: recompute every hash of a bundle without extracting it."""

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from irkit.commands.options import JsonOption
from irkit.console import err, host, out
from irkit.custody import CustodyError
from irkit.custody.encryption import load_identities
from irkit.custody.keys import load_trusted
from irkit.custody.signing import SignatureState
from irkit.evidence.reader import BundleError
from irkit.evidence.verify import VerifyReport
from irkit.evidence.view import not_intact_banner
from irkit.exitcodes import ExitCode
from irkit.review.bundles import ReviewedBundle, Verified, integrity_of, load_verified, verify_all


def print_report(report: VerifyReport) -> None:
    if report.refused:
        err.print(f"[red]REFUSED[/] {host(report.bundle)}: {host(report.refused)}")
    for problem in report.problems:
        err.print(f"[red]✗[/] {host(problem.member)}: {host(problem.problem)}")
    if report.intact:
        state = "complete" if report.complete else "INCOMPLETE: " + str(report.incomplete_reason)
        err.print(
            f"[green]intact[/] {host(report.bundle)}: {report.members_checked} members verified"
            f" ({host(state)})"
        )
    elif not report.refused:
        err.print(f"[red]NOT INTACT[/] {host(report.bundle)}: {len(report.problems)} problem(s)")
    if report.signature is not None:
        style = "green" if report.signature.state is SignatureState.VALID else "yellow"
        if report.signature.state is SignatureState.INVALID:
            style = "red"
        err.print(f"signature        [{style}]{host(report.signature.describe())}[/]")
    if report.encrypted:
        err.print("encrypted        yes (age); decrypted into memory to verify")
    if report.manifest_sha256:
        err.print(f"manifest sha256  {report.manifest_sha256}")
    what = " (the ciphertext)" if report.encrypted else ""
    err.print(f"bundle sha256    {report.bundle_sha256}{what}")
    err.print(f"[dim]{report.meaning}[/]")


def verify_exit_code(report: VerifyReport, trust: bool = False) -> ExitCode:
    """With --trust, an intact bundle that is not signed by a trusted key is 7 (unsigned) or
    8 (signed by another key); an invalid signature makes it not intact (1)."""
    if report.refused:
        return ExitCode.USAGE
    if not report.intact:
        return ExitCode.FINDINGS
    state = report.signature.state if report.signature else None
    if trust and state is SignatureState.UNSIGNED:
        return ExitCode.UNSIGNED
    if trust and state is SignatureState.UNTRUSTED:
        return ExitCode.UNTRUSTED
    return ExitCode.CLEAN


def trusted_keys(trust: list[str] | None) -> set[bytes] | None:
    """The keys of --trust (None when none were given); a bad one is exit 2."""
    if not trust:
        return None
    try:
        return load_trusted(trust)
    except CustodyError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc


IdentityOption = Annotated[
    Path | None,
    typer.Option(
        "--identity",
        "-i",
        help="An age identity file (AGE-SECRET-KEY-1...) or SSH private key that decrypts"
        " an encrypted bundle (BUNDLE.age); the clear bundle is read from memory only.",
        show_default=False,
    ),
]
TrustOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trust",
        help="A trusted signing key: a public key line (ssh-ed25519 ...) or a file of them"
        " (.pub, allowed_signers). Repeatable.",
    ),
]


def identities_from(identity: Path | None) -> list[object]:
    """The age identities of --identity (none when it is not given); a bad file is exit 2."""
    if identity is None:
        return []
    try:
        return list(load_identities(identity))
    except CustodyError as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc


def checked_bundles(
    paths: Sequence[Path], trusted: set[bytes] | None, identity: Path | None
) -> list[Verified]:
    """Verify each bundle, decrypting an encrypted one into memory (said on stderr); a file
    that cannot be read or decrypted is exit 2."""
    try:
        checked = verify_all(paths, trusted, identities_from(identity))
    except (BundleError, CustodyError, OSError) as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc
    for item in checked:
        if item.clear is not None:
            err.print(
                f"decrypted {host(item.report.bundle)} into memory (an anonymous memfd, no"
                " clear copy on disk; gone when irkit exits)"
            )
    return checked


def verified_bundles(
    paths: Sequence[Path],
    allow_not_intact: bool,
    verb: str,
    trusted: set[bytes] | None = None,
    identity: Path | None = None,
) -> list[ReviewedBundle]:
    """Verify every bundle first, then load it through the hardened reader. One that is not
    intact stops the command (exit 1; exit 2 when it is no irkit bundle at all) unless
    --allow-not-intact; such a view carries its NOT INTACT banner into every output."""
    checked = checked_bundles(paths, trusted, identity)
    reports = [item.report for item in checked]
    broken = [r for r in reports if not r.intact]
    for report in reports:
        if report.intact:
            err.print(
                f"[green]intact[/] {host(report.bundle)} (manifest sha256 {report.manifest_sha256})"
            )
        else:
            err.rule("[bold red]BUNDLE NOT INTACT[/]", style="red")
            print_report(report)
            err.rule(style="red")
    if broken and not allow_not_intact:
        for report in broken:
            banner = not_intact_banner(report.bundle, integrity_of(report))
            err.print(f"[bold red]{host(banner)}[/] — pass --allow-not-intact to {verb} it anyway")
        raise typer.Exit(ExitCode.USAGE if any(r.refused for r in broken) else ExitCode.FINDINGS)
    if broken:
        err.print(f"[bold red]--allow-not-intact: {verb} of bundle(s) that are NOT INTACT[/]")
    try:
        return [load_verified(Path(c.report.bundle), c.report, c.clear) for c in checked]
    except (BundleError, OSError) as exc:
        err.print(f"[red]error:[/] {host(exc)}")
        raise typer.Exit(ExitCode.USAGE) from exc


def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle (.zip) to check.")],
    json_out: JsonOption = False,
    trust: TrustOption = None,
    identity: IdentityOption = None,
) -> None:
    """Check a bundle's integrity against its manifest, without extracting anything.

    Every member's sha256 and size is recomputed; members missing from the archive or from
    the manifest, and unsafe names (absolute or '..'), are named. Nothing is written.

    The zip comment, the manifest's own sha256 and BUNDLE.sha256 (when present) must agree.
    A signature (manifest.json.sig) is always checked; --trust names the keys it must be by.
    An encrypted bundle (age) is read with --identity, decrypted into memory only; its
    sha256 is the ciphertext's.

    Exit 0 intact (an interrupted collection can be intact and say INCOMPLETE), 1 not intact
    (an invalid signature included), 2 refused or unreadable; with --trust, 7 intact but
    unsigned, 8 signed by a key that is not trusted.
    """
    report = checked_bundles([bundle], trusted_keys(trust), identity)[0].report
    if json_out:
        out.print_json(json.dumps(asdict(report) | {"intact": report.intact}))
    else:
        print_report(report)
    raise typer.Exit(verify_exit_code(report, trust=bool(trust)))
