# make-style entry points; the Python tooling itself needs no make.
.PHONY: onefile onefile-oldbase test-onefile

# The single-file irkit for suspect hosts: dist/irkit (docs/onefile.md).
onefile:
	packaging/build-onefile.sh

# The same built in a debootstrapped Debian bullseye, for glibc 2.28-2.31 hosts
# (dist/oldbase-bullseye-amd64/irkit; root, network; docs/onefile.md). Any suite and
# architecture: packaging/build-onefile-oldbase.sh SUITE ARCH.
onefile-oldbase:
	packaging/build-onefile-oldbase.sh bullseye amd64

# Its chroot and host-write test, required to run (no skip).
test-onefile: onefile
	IRKIT_REQUIRE_ONEFILE=1 python3 -m pytest -q tests/onefile
