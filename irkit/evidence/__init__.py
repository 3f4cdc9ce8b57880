"""The sealed evidence bundle: record types, writer, reader, manifest and verification."""
