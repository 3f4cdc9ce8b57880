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


def utf8_text(text: str) -> str:
    """Host text for APIs that encode strictly (libyara externals, uuid5 names): valid UTF-8,
    undecodable bytes written `\\xNN`.

    yara-python encodes strings strictly, so one file named b"job\\xff" raised out of the
    match and ended the whole hunt; a rule on `filename` still sees every other character.
    """
    try:
        return encode_host(text).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no host byte makes (text built elsewhere)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
