"""Recognise and validate cryptocurrency wallet addresses as miners use them.

A string that merely looks like a wallet is weak evidence; one whose checksum
holds is strong. Monero (block base58 + Keccak), Bitcoin/Litecoin/Ravencoin
(base58check, bech32) and Ethereum-style (hex, EIP-55 when mixed case).
"""

import hashlib
import re
from dataclasses import dataclass

from irkit.analysis.keccak import keccak256

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58)}
_MONERO_BLOCK = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

WALLET_PATTERN = re.compile(
    r"\b(?:[48][1-9A-HJ-NP-Za-km-z]{94}(?:[1-9A-HJ-NP-Za-km-z]{11})?"
    r"|0x[0-9a-fA-F]{40}"
    r"|(?:bc1|ltc1)[02-9ac-hj-np-z]{25,87}"
    r"|[13LMR][1-9A-HJ-NP-Za-km-z]{25,34})\b"
)


@dataclass(frozen=True)
class Wallet:
    address: str
    currency: str
    validated: bool


def _b58_int(text: str) -> int | None:
    value = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        value = value * 58 + digit
    return value


def _monero_decode(text: str) -> bytes | None:
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start : start + 11]
        size = _MONERO_BLOCK.get(len(block))
        value = _b58_int(block)
        if size is None or value is None or value >= 1 << (8 * size):
            return None
        out += value.to_bytes(size, "big")
    return bytes(out)


def _base58check(text: str) -> bytes | None:
    value = _b58_int(text)
    if value is None:
        return None
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(text) - len(text.lstrip("1"))) + raw
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _bech32_valid(text: str) -> bool:
    hrp, _, data = text.lower().rpartition("1")
    if not hrp or len(data) < 6 or any(c not in _BECH32 for c in data):
        return False
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    values += [_BECH32.index(c) for c in data]
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(generators):
            if (top >> i) & 1:
                check ^= gen
    return check in (1, 0x2BC830A3)


def _eip55_valid(address: str) -> bool:
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return True
    digest = keccak256(body.lower().encode()).hex()
    return all(
        (c.isupper() if int(digest[i], 16) >= 8 else c.islower()) or c.isdigit()
        for i, c in enumerate(body)
    )


def classify_wallet(text: str) -> Wallet | None:
    """The wallet `text` is, with its checksum checked; None when it is not one."""
    if len(text) in (95, 106) and text[0] in "48":
        raw = _monero_decode(text)
        if raw is None:
            return None
        return Wallet(text, "monero", keccak256(raw[:-4])[:4] == raw[-4:])
    if text.startswith("0x") and len(text) == 42:
        return Wallet(text, "ethereum", _eip55_valid(text))
    lowered = text.lower()
    if lowered.startswith(("bc1", "ltc1")):
        return Wallet(
            text, "bitcoin" if lowered.startswith("bc1") else "litecoin", _bech32_valid(text)
        )
    payload = _base58check(text) if 26 <= len(text) <= 35 else None
    if payload is None:
        return None
    currency = {0x00: "bitcoin", 0x05: "bitcoin", 0x30: "litecoin", 0x32: "litecoin"}.get(
        payload[0], "ravencoin" if payload[0] == 0x3C else None
    )
    return Wallet(text, currency, True) if currency else None


def find_wallets(text: str) -> list[Wallet]:
    """Every wallet in a text; base58 look-alikes without a valid checksum are dropped,
    Monero and hex forms are kept with validated=False so an analyst can judge."""
    found: dict[str, Wallet] = {}
    for match in WALLET_PATTERN.finditer(text):
        wallet = classify_wallet(match.group())
        if wallet is not None and (wallet.validated or wallet.currency in ("monero", "ethereum")):
            found.setdefault(wallet.address, wallet)
    return list(found.values())
