"""The fleet report's data: the answers of the named questions, bounded for a large fleet."""

from pathlib import Path

import pytest

from tests.archivebundles import POOL_HOST, WALLET, Fleet, write_fleet

pytest.importorskip("duckdb")

from irkit.archive import fleet
from irkit.archive.database import writable_archive
from irkit.archive.index import index_bundles


def test_fleet_data_caps_the_iocs_and_says_how_many_there_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = Fleet(
        hosts=8,
        other_wallet_hosts=frozenset(),
        wallet_hosts=frozenset({1, 2}),
        pool_hosts=frozenset({1, 2, 3}),
    )
    write_fleet(tmp_path / "fleet", small)
    with writable_archive(tmp_path / "a.duckdb") as connection:
        index_bundles(connection, [tmp_path / "fleet"], jobs=1)
        full = fleet.fleet_data(connection)
        monkeypatch.setattr(fleet, "MATRIX_IOCS", 1)
        monkeypatch.setattr(fleet, "SHARED_IOCS", 1)
        capped = fleet.fleet_data(connection)
    assert [i["value"] for i in full["iocs"]] == [POOL_HOST, WALLET]
    assert (full["iocs_total"], full["shared_total"]) == (2, 2)
    assert [i["value"] for i in capped["iocs"]] == [POOL_HOST]
    assert capped["matrix_iocs"] == 1 and capped["iocs_total"] == 2
    signs = {h["host"]: h["first_sign"] for h in full["hosts"]}
    assert signs["host-01"] == small.collected(1 - 60)  # the miner started an hour before
    assert signs["host-05"] is None
