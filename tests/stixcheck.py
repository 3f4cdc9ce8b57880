"""The real STIX tools a CTI team runs on an export: stix2-validator --strict and misp-stix."""

import shutil
import subprocess
from pathlib import Path


def assert_strictly_valid(path: Path) -> None:
    validator = shutil.which("stix2_validator")
    assert validator is not None, "stix2-validator is a test dependency (extra `test`)"
    done = subprocess.run([validator, "--strict", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and "STIX JSON: Valid" in done.stdout, done.stdout + done.stderr


def misp_values(data: bytes) -> set[object]:
    """Every attribute value of the MISP event misp-stix makes of a STIX bundle."""
    import stix2
    from misp_stix_converter import ExternalSTIX2toMISPParser

    parser = ExternalSTIX2toMISPParser()
    parser.load_stix_bundle(stix2.parse(data.decode(), allow_custom=False))
    parser.parse_stix_bundle()
    event = parser.misp_event
    values: set[object] = {a.value for a in event.attributes}
    values |= {a.value for o in event.objects for a in o.attributes}
    return values
