"""Text from the host is attacker-controlled and may not be UTF-8.

Bytes are decoded with `surrogateescape`, so every byte survives and
`encode_host(decode_host(b)) == b`. JSON output escapes the surrogates
(`\\udcff`), which keeps records lossless and valid JSON.
"""

import os


def decode_host(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode_host(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def fs_text(path: str | bytes | os.PathLike[str]) -> str:
    """A filesystem path as lossless text (os.fsdecode already uses surrogateescape)."""
    return os.fsdecode(path)
