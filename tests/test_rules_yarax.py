"""`irkit rules check` with YARA-X beside libyara: the real yara-x package (extra `test`)."""

import json
from pathlib import Path

import yara_x
from test_hunt_cli import META, REPO, Run
from yarasamples import POOL

from irkit.hunt import compile_rules, scan_tree
from irkit.hunt.yarax import yarax_problems

SWALLOWED = (
    "rule swallowed\n{\n" + META.format(severity="high") + "    strings:\n"
    '        $pools = "pools"\n        $p1 = "user"\n        $p2 = "algo"\n'
    "    condition:\n        $pools and 1 of ($p*)\n}\n"
)


def test_pack_has_no_yarax_warnings() -> None:
    files = sorted((REPO / "yara").glob("*.yar"))
    problems = [str(p) for f in files for p in yarax_problems(yara_x, f)]
    assert problems == []


def test_yarax_warning_names_file_and_line(run_irkit: Run, tmp_path: Path) -> None:
    (tmp_path / "s.yar").write_text(SWALLOWED)
    done = run_irkit("rules", "check", tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    found = [
        (Path(p["file"]).name, p["line"], p["level"])
        for p in json.loads(done.stdout)["problems"]
        if "unintended_pattern_in_set" in p["message"]
    ]
    assert found == [("s.yar", 15, "warning")]


def test_xmrig_config_rule_wants_user_algo_or_coin(tmp_path: Path) -> None:
    """What YARA-X found: `$pools` counted as one of `$p*`, so a pools list with none of
    user/algo/coin matched."""
    bare = (
        '{"pools": [{"url": "' + POOL + ':3333"}], "donate-level": 1, "randomx": {}, "cpu": {}}\n'
    )
    (tmp_path / "config.json").write_text(bare)
    rules = {h.rule for r in scan_tree(compile_rules().rules, [tmp_path]) for h in r.hits}
    assert "IRKIT_MinerConfig_XMRig_JSON" not in rules
