"""Recognise and validate cryptocurrency wallet addresses as miners use them.

A string that merely looks like a wallet is weak evidence; one whose checksum holds is
strong. Each coin's own check, where the coin defines one:

| coin | form | check |
|---|---|---|
| Monero, Zephyr | block base58 (`4`/`8`, `ZEPHYR`/`ZEPHs`) | Keccak-256, first 4 bytes |
| Bitcoin, Litecoin, Ravencoin, Tron | base58check (`1`/`3`, `L`/`M`, `R`, `T`) | double SHA-256 |
| Bitcoin, Litecoin | bech32 (`bc1`, `ltc1`) | BCH code (BIP 173 / 350) |
| Ethereum and its kin | `0x` + 40 hex | EIP-55 when mixed case, else format only |
| Kaspa | `kaspa:` + cashaddr base32 | 40-bit cashaddr polymod |
| Ergo | base58 (`9`, P2PK) | Blake2b-256 of the rest, first 4 bytes |
| QRL | `Q` + 78 hex | SHA-256 of descriptor and hash, last 4 bytes |
| Iron Fish | 64 hex | none: format only |

Each check is a few lines over hashlib and the Keccak here; a coin library (bip_utils and
its kin) would bring native crypto code onto a suspect host for the same few lines.
"""

import hashlib
import re
from dataclasses import dataclass

from irkit.analysis.keccak import keccak256

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58)}
_MONERO_BLOCK = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_B58_CLASS = "[1-9A-HJ-NP-Za-km-z]"

FORMAT_ONLY = frozenset({"ironfish"})
"""Coins whose addresses carry no checksum: a match says the shape, never more."""
DISTINCT_FORMATS = frozenset({"monero", "zephyr", "ethereum", "kaspa", "qrl"})
"""Shapes rare enough in other data to report even when the checksum fails; base58 runs of
the other coins' lengths are everywhere, so those count only with a valid checksum."""

WALLET_PATTERN = re.compile(
    rf"\b(?:[48]{_B58_CLASS}{{94}}(?:{_B58_CLASS}{{11}})?"
    rf"|ZEPH{_B58_CLASS}{{91,108}}"
    r"|0x[0-9a-fA-F]{40}"
    r"|(?:bc1|ltc1)[02-9ac-hj-np-z]{25,87}"
    r"|kaspa:[02-9ac-hj-np-z]{61,63}"
    r"|Q[0-9a-f]{78}"
    rf"|9{_B58_CLASS}{{50}}"
    rf"|[13LMRT]{_B58_CLASS}{{25,34}})\b"
)


@dataclass(frozen=True)
class Wallet:
    address: str
    currency: str
    validated: bool

    @property
    def format_only(self) -> bool:
        """True where the coin defines no checksum: `validated` is then always False."""
        return self.currency in FORMAT_ONLY


def _b58_int(text: str) -> int | None:
    value = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        value = value * 58 + digit
    return value


def _b58_bytes(text: str) -> bytes | None:
    """Plain base58 (Bitcoin's alphabet, leading `1`s as zero bytes)."""
    value = _b58_int(text)
    if value is None:
        return None
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


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
    raw = _b58_bytes(text)
    if raw is None or len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _polymod(values: list[int], generators: tuple[int, ...], width: int) -> int:
    """The BCH checksum shared by bech32 (30-bit) and cashaddr (40-bit): only the
    generators and the register width differ."""
    check = 1
    low = (1 << (width - 5)) - 1
    for value in values:
        top = check >> (width - 5)
        check = (check & low) << 5 ^ value
        for i, gen in enumerate(generators):
            if (top >> i) & 1:
                check ^= gen
    return check


def _base32_values(data: str, minimum: int) -> list[int] | None:
    if len(data) < minimum or any(c not in _BECH32_INDEX for c in data):
        return None
    return [_BECH32_INDEX[c] for c in data]


def _bech32_valid(text: str) -> bool:
    hrp, _, data = text.lower().rpartition("1")
    values = _base32_values(data, 6)
    if not hrp or values is None:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    return _polymod(expanded + values, generators, 30) in (1, 0x2BC830A3)


def _kaspa_valid(text: str) -> bool:
    """Kaspa's cashaddr: the prefix's low five bits, a zero, the data; the register,
    started at 1, ends at 1 (cashaddr's checksum is the polymod XOR 1)."""
    prefix, _, data = text.lower().partition(":")
    values = _base32_values(data, 9)
    if not prefix or values is None:
        return False
    generators = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
    return _polymod([ord(c) & 31 for c in prefix] + [0] + values, generators, 40) == 1


def _eip55_valid(address: str) -> bool:
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return True
    digest = keccak256(body.lower().encode()).hex()
    return all(
        (c.isupper() if int(digest[i], 16) >= 8 else c.islower()) or c.isdigit()
        for i, c in enumerate(body)
    )


def _cryptonote(text: str, currency: str) -> Wallet | None:
    """Monero and its forks: block base58, Keccak-256 checksum over prefix and keys."""
    raw = _monero_decode(text)
    if raw is None or len(raw) < 69:
        return None
    return Wallet(text, currency, keccak256(raw[:-4])[:4] == raw[-4:])


def _ergo(text: str) -> Wallet | None:
    raw = _b58_bytes(text)
    if raw is None or len(raw) != 38:
        return None
    digest = hashlib.blake2b(raw[:-4], digest_size=32).digest()
    return Wallet(text, "ergo", digest[:4] == raw[-4:])


def _qrl(text: str) -> Wallet:
    raw = bytes.fromhex(text[1:])
    return Wallet(text, "qrl", hashlib.sha256(raw[:35]).digest()[-4:] == raw[35:])


_HEX = frozenset("0123456789abcdefABCDEF")
_BASE58CHECK_VERSIONS = {
    0x00: "bitcoin",
    0x05: "bitcoin",
    0x30: "litecoin",
    0x32: "litecoin",
    0x3C: "ravencoin",
    0x41: "tron",
}


_TICKER = re.compile(r"([A-Za-z]{2,6}):(?=.)")


def classify_wallet(text: str) -> Wallet | None:
    """The wallet `text` is, with its checksum checked; None when it is not one.

    A coin ticker in front (`TRX:T…`, `RVN:R…`, `IRON:…`, as unMineable and multi-coin
    pools take a user) is dropped: the address is what an explorer or a block list knows.
    Kaspa's `kaspa:` is part of its address and stays."""
    ticker = _TICKER.match(text)
    if ticker and ticker.group(1).lower() != "kaspa":
        return classify_wallet(text[ticker.end() :])
    lowered = text.lower()
    if len(text) in (95, 106) and text[0] in "48":
        return _cryptonote(text, "monero")
    if text.startswith("ZEPH"):
        return _cryptonote(text, "zephyr")
    if text.startswith("0x") and len(text) == 42 and _HEX.issuperset(text[2:]):
        return Wallet(text, "ethereum", _eip55_valid(text))
    if lowered.startswith("kaspa:"):
        return Wallet(text, "kaspa", _kaspa_valid(text))
    if lowered.startswith(("bc1", "ltc1")):
        currency = "bitcoin" if lowered.startswith("bc1") else "litecoin"
        return Wallet(text, currency, _bech32_valid(text))
    if len(text) == 79 and text[0] == "Q" and _HEX.issuperset(text[1:]):
        return _qrl(text)
    if len(text) == 64 and _HEX.issuperset(text):
        return Wallet(text, "ironfish", False)
    if len(text) == 51 and text[0] == "9":
        return _ergo(text)
    payload = _base58check(text) if 26 <= len(text) <= 35 else None
    version = _BASE58CHECK_VERSIONS.get(payload[0]) if payload else None
    return Wallet(text, version, True) if version else None


def find_wallets(text: str) -> list[Wallet]:
    """Every wallet in a text. Base58 look-alikes without a valid checksum are dropped;
    the distinct shapes (Monero, Zephyr, hex, Kaspa, QRL) are kept with validated=False
    so an analyst can judge. Iron Fish's bare 64 hex is a hash as often as a wallet: it
    counts only where a miner takes its user (`classify_wallet` on that value)."""
    found: dict[str, Wallet] = {}
    for match in WALLET_PATTERN.finditer(text):
        wallet = classify_wallet(match.group())
        if wallet is not None and (wallet.validated or wallet.currency in DISTINCT_FORMATS):
            found.setdefault(wallet.address, wallet)
    return list(found.values())
