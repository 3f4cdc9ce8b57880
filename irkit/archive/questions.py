"""The named questions asked across hosts: each one SQL statement over the archive's tables.

They are plain SQL (docs/archive.md prints each), so an analyst can start from one in
`irkit archive query` and change it. Every answer says whether what it rests on comes from
bundles that verified intact (`trusted`: false when any row behind it is from one that did not).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from irkit.archive.schema import RECORD_TABLES


def json_value(value: Any) -> Any:
    """A value for JSON: times (UTC in the archive) as irkit writes them everywhere, with
    microseconds and a Z; lists as they are."""
    if isinstance(value, list):
        return [json_value(item) for item in value]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


@dataclass
class Answer:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """Each row as an object of JSON values."""
        return [
            {name: json_value(value) for name, value in zip(self.columns, row, strict=True)}
            for row in self.rows
        ]


def only_intact_bundles(connection: Any) -> None:
    """Every later question on this connection sees only bundles that verified intact: each
    table is shadowed by a temporary view of its rows from them (the archive stays read-only)."""
    database = connection.execute("SELECT current_database()").fetchone()[0]
    source = '"' + database.replace('"', '""') + '".main'
    connection.execute(f"CREATE TEMP VIEW bundles AS SELECT * FROM {source}.bundles WHERE intact")
    for table in RECORD_TABLES:
        connection.execute(
            f"CREATE TEMP VIEW {table} AS SELECT * FROM {source}.{table} WHERE trusted"
        )


def ask(connection: Any, sql: str, parameters: dict[str, Any] | None = None) -> Answer:
    """Run `sql` with named parameters (`$name`)."""
    result = connection.execute(sql, parameters or {})
    columns = [d[0] for d in result.description] if result.description else []
    return Answer(columns, result.fetchall())


HOSTS_BY_IOC = """
WITH hits AS (
    SELECT host, bundle_id, trusted, collected_at, 'ioc ' || coalesce(ioc_type, '?') AS seen_as
    FROM iocs WHERE lower(value) = lower($value)
    UNION ALL
    SELECT host, bundle_id, trusted, collected_at, 'socket' FROM sockets
    WHERE remote_address = $value
    UNION ALL
    SELECT host, bundle_id, trusted, collected_at, 'executable' FROM processes
    WHERE lower(exe_sha256) = lower($value)
    UNION ALL
    SELECT host, bundle_id, trusted, collected_at, 'persistence ' || coalesce(mechanism, '?')
    FROM persistence
    WHERE command = $value OR source = $value OR suffix(source, '/' || $value)
)
SELECT host, count(DISTINCT bundle_id) AS bundles, bool_and(trusted) AS trusted,
       min(collected_at) AS first_seen, max(collected_at) AS last_seen,
       string_agg(DISTINCT seen_as, ', ' ORDER BY seen_as) AS seen_as
FROM hits GROUP BY host ORDER BY host
"""
"""Hosts where a value was seen: as an IOC of any type (wallet, pool, tunnel endpoint...),
as a socket's remote address, as an executable's sha256, or as a persistence entry's command
(a cron line), file or file name (a unit)."""

FLEET = """
SELECT host, arg_max(verdict, collected_at) AS verdict,
       arg_max(verdict_reason, collected_at) AS reason, count(*) AS bundles,
       bool_and(intact) AS intact, bool_and(coalesce(complete, false)) AS complete,
       max(collected_at) AS last_collected
FROM bundles GROUP BY host ORDER BY host
"""
"""Each host with the verdict of its latest collection."""

PREVALENCE = """
SELECT ioc_type, value, count(DISTINCT host) AS hosts, count(DISTINCT bundle_id) AS bundles,
       bool_and(trusted) AS trusted, list(DISTINCT host ORDER BY host) AS host_list
FROM iocs GROUP BY ioc_type, value HAVING count(DISTINCT host) >= $min_hosts
ORDER BY hosts DESC, ioc_type, value
"""

SEEN = """
SELECT ioc_type, value, min(collected_at) AS first_seen, arg_min(host, collected_at) AS first_host,
       max(collected_at) AS last_seen, arg_max(host, collected_at) AS last_host,
       count(DISTINCT host) AS hosts, bool_and(trusted) AS trusted
FROM iocs WHERE $value IS NULL OR lower(value) = lower($value)
GROUP BY ioc_type, value ORDER BY first_seen, ioc_type, value
"""
"""First and last collection that saw each IOC (the time its bundle was collected)."""

EXECUTABLES = """
SELECT exe_sha256, count(DISTINCT host) AS hosts, list(DISTINCT exe ORDER BY exe) AS exes,
       list(DISTINCT name ORDER BY name) AS names, bool_and(trusted) AS trusted,
       list(DISTINCT host ORDER BY host) AS host_list
FROM processes
WHERE exe_sha256 IS NOT NULL AND ($sha256 IS NULL OR lower(exe_sha256) = lower($sha256))
GROUP BY exe_sha256 HAVING count(DISTINCT host) >= $min_hosts
ORDER BY hosts DESC, exe_sha256
"""

PERSISTENCE = """
SELECT mechanism, command, count(DISTINCT host) AS hosts, min(mtime) AS first_mtime,
       list(DISTINCT source ORDER BY source) AS sources, bool_and(trusted) AS trusted,
       list(DISTINCT host ORDER BY host) AS host_list
FROM persistence WHERE command IS NOT NULL
GROUP BY mechanism, command HAVING count(DISTINCT host) >= $min_hosts
ORDER BY hosts DESC, mechanism, command
"""
"""Persistence entries (same mechanism, same command) on at least `min_hosts` hosts."""

PROBLEMS = """
SELECT host, path, intact, complete, refused, incomplete_reason, signature,
       problems[1:3] AS first_problems, len(problems) AS problem_count
FROM bundles WHERE NOT intact OR complete IS NOT true ORDER BY host, path
"""
"""Bundles that are not intact (tampered, refused) or not complete (an interrupted or
denied collection)."""

FIRST_SIGNS = """
WITH signs AS (
    SELECT host, time, 'finding: ' || title AS sign, trusted FROM findings
    WHERE time IS NOT NULL AND severity IN ('medium', 'high', 'critical')
    UNION ALL
    SELECT p.host, p.start_time, 'process: ' || coalesce(p.name, '?'), p.trusted
    FROM processes p JOIN findings f
      ON f.bundle_id = p.bundle_id AND f.pid = p.pid
    WHERE p.start_time IS NOT NULL AND f.severity IN ('medium', 'high', 'critical')
)
SELECT host, min(time) AS first_sign, arg_min(sign, time) AS what, bool_and(trusted) AS trusted
FROM signs GROUP BY host ORDER BY first_sign, host
"""
"""Per host, the earliest time of a sign of compromise: a medium-or-worse finding's time, or
the start of a process such a finding names."""
