"""`archive export --parquet`: every table as Hive-partitioned Parquet for a cluster engine.

Layout: `OUTDIR/<table>/collected_date=YYYY-MM-DD/data_N.parquet`, partitioned by the day the
bundle was collected (UTC), which Spark, Trino, Athena and BigQuery read as a partitioned table
as is. Times are written as UTC instants (Parquet `isAdjustedToUTC`). The columns are those of
the archive (`schema.py`, docs/archive.md). OUTDIR must not exist: it is created (mode 0700)
so nothing in it was there before, and DuckDB writes only inside it; a table with no rows is
one empty file in the NULL-date partition, so its schema is still there for the engine.
"""

import os
from pathlib import Path
from typing import Any

from irkit.archive.schema import TABLES, TIME

PARTITION = "collected_date"
EMPTY_PARTITION = f"{PARTITION}=__HIVE_DEFAULT_PARTITION__"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _select(table: str, *extra: str) -> str:
    columns = [
        f"{c.name}::TIMESTAMPTZ AS {c.name}" if c.type == TIME else c.name for c in TABLES[table]
    ]
    return f"SELECT {', '.join([*columns, *extra])} FROM {table}"


def export_parquet(connection: Any, outdir: Path) -> dict[str, int]:
    """Write every table under `outdir` (FileExistsError if it exists); rows per table."""
    os.mkdir(outdir, 0o700)
    connection.execute("SET TimeZone = 'UTC'")
    counts = {}
    for table in TABLES:
        counts[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if counts[table]:
            select = _select(table, f"CAST(collected_at AS DATE) AS {PARTITION}")
            target = _sql_string(str(outdir / table))
            options = f"FORMAT parquet, PARTITION_BY ({PARTITION}), COMPRESSION zstd"
        else:
            select = _select(table)
            folder = outdir / table / EMPTY_PARTITION
            folder.mkdir(parents=True)
            target = _sql_string(str(folder / "data_0.parquet"))
            options = "FORMAT parquet, COMPRESSION zstd"
        connection.execute(f"COPY ({select}) TO {target} ({options})")
    return counts
