"""The evidence archive: many bundles verified and loaded into one DuckDB file, asked across
hosts (docs/archive.md)."""
