# make-style entry points; the Python tooling itself needs no make.
.PHONY: onefile onefile-oldbase onefile-oldbase-arm64 test-onefile test-onefile-arm64

# The single-file irkit for suspect hosts: dist/irkit (docs/onefile.md).
onefile:
	packaging/build-onefile.sh

# The same built in a debootstrapped Debian bullseye, for glibc 2.28-2.31 hosts
# (dist/oldbase-bullseye-amd64/irkit; root, network; docs/onefile.md). Any suite and
# architecture: packaging/build-onefile-oldbase.sh SUITE ARCH.
onefile-oldbase:
	packaging/build-onefile-oldbase.sh bullseye amd64

# The aarch64 file (dist/oldbase-bullseye-arm64/irkit): natively on aarch64, or on x86_64
# under qemu-user through binfmt_misc (docs/onefile.md, "aarch64").
onefile-oldbase-arm64:
	packaging/build-onefile-oldbase.sh bullseye arm64

# Its chroot and host-write test, required to run (no skip).
test-onefile: onefile
	IRKIT_REQUIRE_ONEFILE=1 python3 -m pytest -q tests/onefile

# The same tests against the aarch64 file, in a chroot of the arm64 Debian's glibc.
test-onefile-arm64: onefile-oldbase-arm64
	IRKIT_REQUIRE_ONEFILE_AARCH64=1 python3 -m pytest -q tests/onefile -k aarch64
