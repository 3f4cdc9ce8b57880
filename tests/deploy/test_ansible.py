"""Issue 14, section 4: deploy/ansible collects from several hosts with the real ansible-playbook.

Two real sshd targets on loopback ports (own host keys and configs, tests/deploy/sshd.py) and
one port where nothing listens. The playbook pushes the single file into /dev/shm, streams
each bundle back (both through the bandwidth throttle), checks its sha256 and verifies it on
the controller, removes what it brought, and writes one status per host. Needs dist/irkit
(skips without it, unless IRKIT_REQUIRE_ONEFILE=1), ansible-core and openssh.
"""

import json
import os
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from irkit.evidence.reader import BundleReader
from tests.deploy.sshd import SshdUnavailable, client_key, free_port, sshd
from tests.onefile.built import REPO, onefile, unavailable

PLAYBOOK = REPO / "deploy" / "ansible" / "collect.yml"


def ansible_playbook() -> str:
    found = shutil.which("ansible-playbook")
    if found is None:
        pytest.skip("ansible-playbook is not installed (pip install ansible-core: the test extra)")
    return found


def test_the_playbook_passes_ansible_syntax_check(tmp_path: Path) -> None:
    done = subprocess.run(
        [ansible_playbook(), "--syntax-check", "-i", "localhost,", str(PLAYBOOK)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_two_targets_are_collected_and_an_unreachable_one_is_named(tmp_path: Path) -> None:
    playbook = ansible_playbook()
    binary = onefile()
    key = client_key(tmp_path)
    bundles = tmp_path / "bundles"
    with ExitStack() as stack:
        try:
            targets = [
                stack.enter_context(sshd(tmp_path, name, key.with_suffix(".pub")))
                for name in ("alpha", "beta")
            ]
        except SshdUnavailable as exc:
            unavailable(str(exc))
        common = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
        ports = [(t.name, t.port) for t in targets] + [("gone", free_port())]
        inventory = tmp_path / "hosts.ini"
        inventory.write_text(
            "[targets]\n"
            + "".join(
                f"{name} ansible_host=127.0.0.1 ansible_port={port} ansible_user=root"
                f" ansible_ssh_private_key_file={key} ansible_ssh_common_args='{common}'"
                " irkit_sudo=false\n"
                for name, port in ports
            )
        )
        env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_FORKS="5")
        done = subprocess.run(
            [
                playbook,
                "-i",
                str(inventory),
                str(PLAYBOOK),
                "-e",
                # The bandwidth bound on (64 MiB/s): the pushed file and the bundles pass
                # through the controller's throttle, and must still arrive intact.
                f"irkit_binary={binary} irkit_bundle_dir={bundles} irkit_playbook=quick"
                " irkit_kibps=65536",
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]

    report = json.loads((bundles / "report.json").read_text())
    # incomplete is possible: a sandbox's pid 1 may be out of root's reach (tests/onefile).
    assert report["gone"] == "unreachable"
    for name in ("alpha", "beta"):
        assert report[name] in ("ok", "findings", "incomplete"), report
        with BundleReader(bundles / f"{name}.zip") as reader:
            assert reader.manifest.members
        assert not Path(f"/dev/shm/irkit-{name}").exists(), "the pushed file was left behind"
