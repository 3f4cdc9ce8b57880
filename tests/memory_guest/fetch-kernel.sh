#!/bin/sh
# Fetch and unpack the Debian kernel the real-memory-image test boots under QEMU.
# Run at CI setup time (the test itself never downloads anything). Idempotent.
# Usage: tests/memory_guest/fetch-kernel.sh [CACHE_DIR]   (default: $IRKIT_GUEST_KERNEL_DIR or
#        ~/.cache/irkit/guest-kernel). Needs apt-get (Debian) and dpkg-deb.
set -eu
cache="${1:-${IRKIT_GUEST_KERNEL_DIR:-$HOME/.cache/irkit/guest-kernel}}"
if ls "$cache"/boot/vmlinuz-* >/dev/null 2>&1; then
    echo "kernel already in $cache"
    exit 0
fi
pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
[ -n "$pkg" ] || { echo "cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$pkg")
mkdir -p "$cache"
# dpkg-deb -x unpacks without running the package's maintainer scripts.
dpkg-deb -x "$work"/*.deb "$cache"
echo "kernel $pkg unpacked into $cache"
