"""Indexing fails soft: irkit's own failure on one bundle (an exception, a worker that dies)
skips that bundle, names it, and leaves it out of the archive so the next index tries again."""

import os
from pathlib import Path
from typing import Any

import pytest

from irkit.archive.load import LoadedBundle, load_bundle
from irkit.custody.keys import load_trusted, new_key_pair
from tests.archivebundles import Fleet, write_fleet
from tests.custodybundles import signing_custody
from tests.reportbundles import scenario_bundle

pytest.importorskip("duckdb")

from irkit.archive.database import writable_archive
from irkit.archive.index import index_bundles


def fails_on_host_01(path: Path, **options: Any) -> LoadedBundle:
    """A stand-in for a bug of irkit on one bundle (no real bundle makes irkit raise)."""
    if path.name == "host-01.zip":
        raise ValueError("a bug")
    return load_bundle(path, **options)


def dies_on_host_01(path: Path, **options: Any) -> LoadedBundle:
    """A worker killed while loading (the OOM killer, say)."""
    if path.name == "host-01.zip":
        os._exit(9)
    return load_bundle(path, **options)


@pytest.mark.parametrize(("load", "jobs"), [(fails_on_host_01, 1), (fails_on_host_01, 2)])
def test_an_error_on_one_bundle_skips_only_it(
    tmp_path: Path, load: object, jobs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fleet(tmp_path / "fleet", Fleet(hosts=4))
    monkeypatch.setattr("irkit.archive.index.load_bundle", load)
    with writable_archive(tmp_path / "a.duckdb") as connection:
        summary = index_bundles(connection, [tmp_path / "fleet"], jobs=jobs)
        hosts = connection.execute("SELECT host FROM bundles ORDER BY host").fetchall()
    assert [h for (h,) in hosts] == ["host-00", "host-02", "host-03"]
    assert len(summary.failed) == 1 and "host-01.zip: ValueError: a bug" in summary.failed[0]


def test_a_worker_that_dies_fails_its_bundles_not_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_fleet(tmp_path / "fleet", Fleet(hosts=4))
    monkeypatch.setattr("irkit.archive.index.load_bundle", dies_on_host_01)
    with writable_archive(tmp_path / "a.duckdb") as connection:
        summary = index_bundles(connection, [tmp_path / "fleet"], jobs=2)
        indexed = connection.execute("SELECT count(*) FROM bundles").fetchone()[0]
    assert any("host-01.zip" in line for line in summary.failed)
    assert indexed + len(summary.failed) == 4
    monkeypatch.undo()
    with writable_archive(tmp_path / "a.duckdb") as connection:
        again = index_bundles(connection, [tmp_path / "fleet"], jobs=1)
    assert again.indexed == len(summary.failed) and not again.failed


def test_custody_is_indexed_signature_and_signer_included(tmp_path: Path) -> None:
    key = tmp_path / "responder"
    new_key_pair(key, force=False, comment="responder")
    other = tmp_path / "other"
    new_key_pair(other, force=False, comment="other")
    (tmp_path / "in").mkdir()
    scenario_bundle(tmp_path / "in", "signed.zip", "signed-host", signing_custody(key))
    scenario_bundle(tmp_path / "in", "other.zip", "other-host", signing_custody(other))
    scenario_bundle(tmp_path / "in", "plain.zip", "plain-host")
    trusted = load_trusted([str(key.with_name("responder.pub"))])
    with writable_archive(tmp_path / "a.duckdb") as connection:
        index_bundles(connection, [tmp_path / "in"], jobs=1, trusted=trusted)
        found = connection.execute(
            "SELECT host, signature, signed_by IS NOT NULL, intact, complete, collected_by"
            " FROM bundles ORDER BY host"
        ).fetchall()
    assert [row[:5] for row in found] == [
        ("other-host", "untrusted", True, True, True),
        ("plain-host", "unsigned", False, True, True),
        ("signed-host", "valid", True, True, True),
    ]
    assert all(row[5].startswith(f"uid {os.getuid()} euid {os.geteuid()}") for row in found)
