"""The archive's tables: one list of columns per table, the only place they are named.

The DuckDB tables, the rows the loader builds, the Parquet export and docs/archive.md (checked
by a test) all follow these lists. Every record table starts with the same columns, so any
question can be asked per host, per bundle, or of trusted bundles only.
"""

from dataclasses import dataclass

TEXT, INT, BOOL, TIME, TEXTS = "VARCHAR", "BIGINT", "BOOLEAN", "TIMESTAMP", "VARCHAR[]"


@dataclass(frozen=True)
class Column:
    name: str
    type: str


def _columns(spec: str) -> tuple[Column, ...]:
    """`name:TYPE` pairs, space separated (compact enough to read as a table)."""
    return tuple(Column(*item.split(":")) for item in spec.split())


BUNDLES = _columns(
    f"bundle_id:{TEXT} path:{TEXT} file_size:{INT} file_mtime_ns:{INT} host:{TEXT}"
    f" machine_id:{TEXT} collected_at:{TIME} ended_at:{TIME} collected_by:{TEXT}"
    f" intact:{BOOL} refused:{TEXT} problems:{TEXTS} complete:{BOOL} incomplete_reason:{TEXT}"
    f" signature:{TEXT} signed_by:{TEXT} manifest_sha256:{TEXT} verdict:{TEXT}"
    f" verdict_reason:{TEXT} records:{INT} unreadable:{TEXTS} indexed_at:{TIME}"
)
"""One row per bundle file indexed, whatever its state (a refused file too)."""

COMMON = _columns(f"bundle_id:{TEXT} host:{TEXT} trusted:{BOOL} collected_at:{TIME} member:{TEXT}")
"""The first columns of every record table: where the row comes from and whether its bundle
verified intact (`trusted`)."""

RECORD_TABLES: dict[str, tuple[Column, ...]] = {
    "records": _columns(f"type:{TEXT} data:{TEXT}"),
    "processes": _columns(
        f"pid:{INT} ppid:{INT} name:{TEXT} exe:{TEXT} exe_sha256:{TEXT} cmdline:{TEXT}"
        f" user:{TEXT} start_time:{TIME} flags:{TEXTS}"
    ),
    "sockets": _columns(
        f"proto:{TEXT} local_address:{TEXT} local_port:{INT} remote_address:{TEXT}"
        f" remote_port:{INT} state:{TEXT} pid:{INT} process_name:{TEXT} flags:{TEXTS}"
    ),
    "persistence": _columns(
        f"mechanism:{TEXT} source:{TEXT} line:{INT} owner:{TEXT} schedule:{TEXT}"
        f" command:{TEXT} mtime:{TIME} sha256:{TEXT}"
    ),
    "findings": _columns(
        f"title:{TEXT} severity:{TEXT} source:{TEXT} rule:{TEXT} pid:{INT} path:{TEXT}"
        f" mitre:{TEXTS} time:{TIME}"
    ),
    "iocs": _columns(
        f"ioc_type:{TEXT} value:{TEXT} context:{TEXT} source:{TEXT} finding:{TEXT} validated:{BOOL}"
    ),
    "hunts": _columns(
        f"rule:{TEXT} namespace:{TEXT} severity:{TEXT} target:{TEXT} target_kind:{TEXT}"
        f" pid:{INT} path:{TEXT}"
    ),
    "events": _columns(f"time:{TIME} timestamp_desc:{TEXT} event_type:{TEXT} message:{TEXT}"),
}
"""Per table, the columns after COMMON. `records` holds every record as JSON text; the others
hold the fields the named questions ask about, one row per record (events: per timeline
event)."""

TABLES: dict[str, tuple[Column, ...]] = {"bundles": BUNDLES} | {
    name: COMMON + columns for name, columns in RECORD_TABLES.items()
}


def create_statements() -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS {name} ("
        + ", ".join(f"{c.name} {c.type}" for c in columns)
        + ")"
        for name, columns in TABLES.items()
    ]
