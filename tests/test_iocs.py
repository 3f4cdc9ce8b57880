"""IOC extraction from miner command lines and configs; wallet formats and checksums."""

import csv
import io
import json

import pytest
from minersample import synthetic_monero_wallet

from irkit.analysis.iocs import (
    iocs_csv,
    iocs_from_argv,
    iocs_from_command,
    iocs_from_config,
    iocs_json,
    iocs_stix,
)
from irkit.analysis.wallets import classify_wallet, find_wallets

WALLET = synthetic_monero_wallet()


@pytest.mark.parametrize(
    ("address", "currency", "valid"),
    [
        (WALLET, "monero", True),
        (WALLET[:-1] + ("A" if WALLET[-1] != "A" else "B"), "monero", False),
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "bitcoin", True),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bitcoin", True),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bitcoin", True),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx", "bitcoin", False),
        ("0x52908400098527886E0F7030069857D2E4169EE7", "ethereum", True),
        ("0x52908400098527886E0F7030069857D2E4169Ee7", "ethereum", False),
    ],
)
def test_wallet_formats_and_checksums(address: str, currency: str, valid: bool) -> None:
    wallet = classify_wallet(address)
    assert wallet is not None
    assert (wallet.currency, wallet.validated) == (currency, valid)


def test_base58_lookalikes_without_checksum_are_not_wallets() -> None:
    assert find_wallets("session 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3 ok") == []
    assert classify_wallet("hello") is None


def test_xmrig_command_line() -> None:
    argv = [
        "./kworker",
        "-o",
        "stratum+ssl://pool.example.net:14433",
        "-u",
        f"{WALLET}.rig7",
        "-p",
        "x",
        "-a",
        "rx/0",
        "--donate-level=1",
    ]
    found = {(i.ioc_type, i.value, i.validated) for i in iocs_from_argv(argv, "pid 7")}
    assert ("pool-url", "stratum+ssl://pool.example.net:14433", None) in found
    assert ("pool-host", "pool.example.net:14433", None) in found
    assert ("wallet", WALLET, True) in found
    assert ("worker", "rig7", None) in found
    assert ("algorithm", "rx/0", None) in found
    assert not any(kind == "worker" and value == "x" for kind, value, _ in found)


def test_gpu_miner_command_line() -> None:
    command = (
        "./lolMiner --algo ETCHASH --pool etc.example.org:1010 "
        "--user 0x52908400098527886E0F7030069857D2E4169EE7.gpu1"
    )
    found = {(i.ioc_type, i.value) for i in iocs_from_command(command, "cron")}
    assert ("pool-host", "etc.example.org:1010") in found
    assert ("wallet", "0x52908400098527886E0F7030069857D2E4169EE7") in found
    assert ("worker", "gpu1") in found
    assert ("algorithm", "ETCHASH") in found


def test_modern_xmrig_config_with_bare_host_port() -> None:
    config = json.dumps(
        {
            "donate-level": 1,
            "randomx": {"mode": "auto"},
            "pools": [
                {"url": "10.9.8.7:3333", "user": WALLET, "pass": "w2", "algo": "rx/0", "tls": False}
            ],
        }
    )
    found = {(i.ioc_type, i.value) for i in iocs_from_config(config, "config.json")}
    assert {
        ("pool-host", "10.9.8.7:3333"),
        ("wallet", WALLET),
        ("worker", "w2"),
        ("algorithm", "rx/0"),
    } <= found


def test_corrupt_config_falls_back_to_text() -> None:
    broken = '{"pools": [{"url": "stratum+tcp://p.example:3333", "user": "' + WALLET
    found = {(i.ioc_type, i.value) for i in iocs_from_config(broken, "c")}
    assert ("pool-url", "stratum+tcp://p.example:3333") in found
    assert ("wallet", WALLET) in found


def test_outputs_json_csv_and_stix() -> None:
    iocs = iocs_from_argv(["m", "-o", "stratum+tcp://1.2.3.4:3333", "-u", WALLET + ".w"], "pid 1")
    assert {i["ioc_type"] for i in json.loads(iocs_json(iocs))} >= {"pool-url", "wallet"}
    rows = list(csv.DictReader(io.StringIO(iocs_csv(iocs).decode())))
    assert {r["type"] for r in rows} >= {"pool-url", "wallet", "worker"}
    bundle = json.loads(iocs_stix(iocs, host="h"))
    assert bundle["type"] == "bundle"
    indicators = [o for o in bundle["objects"] if o["type"] == "indicator"]
    patterns = {o["pattern"] for o in indicators}
    assert "[url:value = 'stratum+tcp://1.2.3.4:3333']" in patterns
    assert "[ipv4-addr:value = '1.2.3.4']" in patterns
    for obj in bundle["objects"]:
        assert obj["spec_version"] == "2.1"
        assert obj["id"].startswith(obj["type"] + "--")
    note = next(o for o in bundle["objects"] if o["type"] == "note")
    assert "worker: w" in note["content"]
    assert set(note["object_refs"]) == {o["id"] for o in indicators}
