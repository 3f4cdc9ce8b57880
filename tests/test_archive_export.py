"""The Parquet export read back with pyarrow, its schema checked against docs/archive.md."""

import re
from pathlib import Path
from typing import Any

import pytest

from tests.archivebundles import WALLET, Fleet, write_fleet
from tests.conftest import REPO
from tests.test_archive import Run

pytest.importorskip("duckdb")
ds = pytest.importorskip("pyarrow.dataset")
pa = pytest.importorskip("pyarrow")

from irkit.archive.database import connect, writable_archive  # noqa: E402
from irkit.archive.export import PARTITION, export_parquet  # noqa: E402
from irkit.archive.index import index_bundles  # noqa: E402

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
}
"""The mapping docs/archive.md states (Parquet section)."""


def dataset(path: Path) -> Any:
    """The Hive-partitioned dataset, the partition read as text (as a cluster engine may)."""
    hive = ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive")
    return ds.dataset(path, format="parquet", partitioning=hive)


def documented_tables() -> dict[str, list[tuple[str, str]]]:
    """Each `### \\`table\\`` section's column table; the common columns lead every table
    but `bundles`."""
    text = (REPO / "docs" / "archive.md").read_text()
    sections = re.split(r"^### ", text.split("## Tables", 1)[1].split("\n## ", 1)[0], flags=re.M)
    tables: dict[str, list[tuple[str, str]]] = {}
    for section in sections[1:]:
        heading, body = section.split("\n", 1)
        columns = re.findall(r"^\| (\w+) \| ([A-Z\[\]]+) \|", body, flags=re.M)
        name = re.match(r"`(\w+)`", heading)
        tables["common" if name is None else name.group(1)] = columns
    common = tables.pop("common")
    return {n: cols if n == "bundles" else common + cols for n, cols in tables.items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    write_fleet(
        base / "fleet", Fleet(hosts=6, wallet_hosts=frozenset({1, 2}), yara_hosts=frozenset())
    )
    archive = base / "case.duckdb"
    with writable_archive(archive) as connection:
        index_bundles(connection, [base / "fleet"], jobs=1)
    connection = connect(archive, read_only=True)
    try:
        export_parquet(connection, base / "parquet")
    finally:
        connection.close()
    return base / "parquet"


def test_every_documented_table_is_exported_with_the_documented_schema(exported: Path) -> None:
    documented = documented_tables()
    assert sorted(p.name for p in exported.iterdir()) == sorted(documented)
    for table, columns in documented.items():
        schema = dataset(exported / table).schema
        expected = [(name, ARROW_TYPES[kind]) for name, kind in columns]
        got = [(f.name, f.type) for f in schema if f.name != PARTITION]
        assert got == expected, table
        assert schema.names[-1] == PARTITION


def test_the_rows_read_back_partitioned_by_collection_day(exported: Path) -> None:
    iocs = dataset(exported / "iocs").to_table()
    wallet = [row for row in iocs.to_pylist() if row["value"] == WALLET]
    assert sorted(row["host"] for row in wallet) == ["host-01", "host-02"]
    assert {row[PARTITION] for row in wallet} == {"2025-11-30"}
    assert wallet[0]["collected_at"].tzinfo is not None
    hunts = list((exported / "hunts").rglob("*.parquet"))
    assert [p.parent.name for p in hunts] == [f"{PARTITION}=__HIVE_DEFAULT_PARTITION__"]


def test_an_existing_output_directory_is_refused(exported: Path, run_irkit: Run) -> None:
    result = run_irkit("archive", "export", exported.parent / "case.duckdb", "--parquet", exported)
    assert result.returncode == 2
    assert b"exists" in result.stderr and b"Traceback" not in result.stderr
