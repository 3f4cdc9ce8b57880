"""Wallet families and their checksums (`irkit.analysis.wallets`).

Every address here is synthetic: keys of nobody, encoded in the test with each coin's
published format, so a valid one proves the checker agrees with the format and a one-character
change proves it checks. No real person's wallet is needed.
"""

import hashlib

import pytest

from irkit.analysis.keccak import keccak256
from irkit.analysis.wallets import B58, Wallet, classify_wallet, find_wallets
from tests.minersample import cryptonote_base58

_BASE32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
KEYS = bytes(range(1, 65))
"""Two 32-byte "keys" that belong to nobody."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def _b58(raw: bytes) -> str:
    value, out = int.from_bytes(raw, "big"), ""
    while value:
        value, digit = divmod(value, 58)
        out = B58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _b58check(payload: bytes) -> str:
    return _b58(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


def _cryptonote(prefix: int) -> str:
    data = _varint(prefix) + KEYS
    return cryptonote_base58(data + keccak256(data)[:4])


def _kaspa(version: int, payload: bytes) -> str:
    """cashaddr: 8-bit data regrouped in 5 bits, then an 8-character 40-bit checksum."""
    bits = "".join(f"{b:08b}" for b in bytes([version]) + payload)
    bits += "0" * (-len(bits) % 5)
    values = [int(bits[i : i + 5], 2) for i in range(0, len(bits), 5)]
    check = 1
    gens = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
    for value in [ord(c) & 31 for c in "kaspa"] + [0] + values + [0] * 8:
        top = check >> 35
        check = (check & 0x07FFFFFFFF) << 5 ^ value
        for i, gen in enumerate(gens):
            if (top >> i) & 1:
                check ^= gen
    check ^= 1
    values += [(check >> (5 * (7 - i))) & 31 for i in range(8)]
    return "kaspa:" + "".join(_BASE32[v] for v in values)


def _ergo() -> str:
    """Mainnet P2PK: byte 0x01, a 33-byte compressed key, Blake2b-256 checksum."""
    body = b"\x01\x02" + KEYS[:32]
    return _b58(body + hashlib.blake2b(body, digest_size=32).digest()[:4])


def _qrl() -> str:
    """Q + hex of descriptor (3), SHA-256 hash (32), last 4 bytes of SHA-256 of both."""
    body = bytes.fromhex("010500") + hashlib.sha256(KEYS).digest()
    return "Q" + (body + hashlib.sha256(body).digest()[-4:]).hex()


ZEPHYR_PREFIX = 0x6241D18C0
"""Zephyr's mainnet standard-address prefix (its addresses start with ZEPHYR)."""
ZEPHYR_SUB_PREFIX = 0x8DD58C0
"""Zephyr's subaddress prefix (ZEPHs...)."""

VALID = {
    "monero": _cryptonote(18),
    "zephyr": _cryptonote(ZEPHYR_PREFIX),
    "zephyr-sub": _cryptonote(ZEPHYR_SUB_PREFIX),
    "kaspa": _kaspa(0, KEYS[:32]),
    "ergo": _ergo(),
    "qrl": _qrl(),
    "tron": _b58check(b"\x41" + KEYS[:20]),
    "ravencoin": _b58check(b"\x3c" + KEYS[:20]),
    "litecoin": _b58check(b"\x30" + KEYS[:20]),
    "bitcoin": _b58check(b"\x00" + KEYS[:20]),
}


def _flip(address: str) -> str:
    """The same address with one payload character changed (same alphabet, same length)."""
    i = len(address) // 2
    alphabet = "0123456789abcdef" if address[0] == "Q" else _BASE32 if ":" in address else B58
    new = alphabet[(alphabet.index(address[i]) + 1) % len(alphabet)]
    return address[:i] + new + address[i + 1 :]


def test_synthetic_addresses_have_their_coins_shapes() -> None:
    assert VALID["zephyr"].startswith("ZEPHYR") and VALID["zephyr-sub"].startswith("ZEPHs")
    assert VALID["kaspa"].startswith("kaspa:q") and len(VALID["kaspa"]) == 67
    assert VALID["ergo"].startswith("9") and len(VALID["ergo"]) == 51
    assert VALID["qrl"].startswith("Q0105") and len(VALID["qrl"]) == 79
    assert VALID["tron"].startswith("T") and len(VALID["tron"]) == 34


@pytest.mark.parametrize("currency", sorted(VALID))
def test_each_family_validates_its_checksum(currency: str) -> None:
    wallet = classify_wallet(VALID[currency])
    assert wallet is not None
    coin = currency.removesuffix("-sub")
    assert (wallet.currency, wallet.validated, wallet.format_only) == (coin, True, False)


@pytest.mark.parametrize("currency", ["monero", "zephyr", "zephyr-sub", "kaspa", "ergo", "qrl"])
def test_a_changed_character_fails_the_checksum(currency: str) -> None:
    wallet = classify_wallet(_flip(VALID[currency]))
    assert wallet is not None
    assert (wallet.currency, wallet.validated) == (currency.removesuffix("-sub"), False)


@pytest.mark.parametrize("currency", ["tron", "ravencoin", "bitcoin"])
def test_a_base58check_lookalike_is_no_wallet(currency: str) -> None:
    assert classify_wallet(_flip(VALID[currency])) is None


@pytest.mark.parametrize(("ticker", "currency"), [("TRX", "tron"), ("RVN", "ravencoin"),
                                                  ("ZEPH", "zephyr"), ("QRL", "qrl")])  # fmt: skip
def test_a_coin_ticker_in_front_is_dropped(ticker: str, currency: str) -> None:
    wallet = classify_wallet(f"{ticker}:{VALID[currency]}")
    assert wallet == Wallet(VALID[currency], currency, True)


def test_iron_fish_is_format_only() -> None:
    for text in (KEYS[:32].hex(), f"IRON:{KEYS[:32].hex()}"):
        wallet = classify_wallet(text)
        assert wallet is not None
        assert (wallet.currency, wallet.validated, wallet.format_only) == ("ironfish", False, True)


def test_find_wallets_in_a_launch_line() -> None:
    line = (
        f"./lolMiner --algo KASPA --pool kas.example.invalid:3333 --user {VALID['kaspa']}.rig1\n"
        f"./xmrig -o zeph.example.invalid:1123 -u {VALID['zephyr']}\n"
        f"./t-rex -a autolykos2 -o erg.example.invalid:9999 -u {VALID['ergo']}.w\n"
        f"./xmrig -o qrl.example.invalid:1166 -u {VALID['qrl']} -u TRX:{VALID['tron']}\n"
    )
    found = {(w.currency, w.validated) for w in find_wallets(line)}
    assert found == {(c, True) for c in ("kaspa", "zephyr", "ergo", "qrl", "tron")}


def test_hashes_and_broken_base58_in_text_are_not_wallets() -> None:
    text = (
        f"sha256 {hashlib.sha256(b'x').hexdigest()}  commit {KEYS[:20].hex()}\n"
        f"token {_flip(VALID['ergo'])} id {_flip(VALID['tron'])}\n"
    )
    assert find_wallets(text) == []
