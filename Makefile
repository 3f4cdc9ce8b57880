# make-style entry points; the Python tooling itself needs no make.
.PHONY: onefile test-onefile

# The single-file irkit for suspect hosts: dist/irkit (docs/onefile.md).
onefile:
	packaging/build-onefile.sh

# Its chroot and host-write test, required to run (no skip).
test-onefile: onefile
	IRKIT_REQUIRE_ONEFILE=1 python3 -m pytest -q tests/onefile
