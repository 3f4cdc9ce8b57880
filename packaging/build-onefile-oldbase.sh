#!/usr/bin/env bash
# Build the single-file irkit inside an older Debian made with debootstrap, so that it runs on
# an older glibc: PyInstaller never bundles glibc, and the file needs the highest GLIBC_x.y
# symbol version of the libraries it was built against (packaging/glibc_floor.py).
#
#   packaging/build-onefile-oldbase.sh [SUITE [ARCH]]     # default: bullseye amd64
#
# bullseye = glibc 2.31 (Ubuntu 20.04 era), buster = glibc 2.28 (RHEL 8 era; on
# archive.debian.org only: IRKIT_DEBIAN_MIRROR=http://archive.debian.org/debian). Python is
# built so that it asks no more of glibc than 2.28 even on bullseye: exp, log, pow, exp2 and
# log2 are bound to their older symbol versions (glibc 2.29 only added faster ones under the
# same names), sem_clockwait (2.30) is not used, and _sqlite3 (volatility3 imports it; the
# suite's libsqlite3 needs 2.29) links a SQLite built from the suite's source package with
# those same bindings. packaging/glibc_floor.py checks the result.
# ARCH arm64 runs
# the chroot's programs under qemu-user-static, which needs binfmt_misc registered for aarch64
# (docs/onefile.md). Debian ships no Python 3.11 for these suites, so Python is built in the
# chroot from Debian's own source tarball of python3.11 (the one bookworm ships, checked
# against the sha256 of Debian's Sources index). The checkout is copied in as `git archive
# HEAD` (a clean checkout: committed files only); pip installs irkit's runtime dependencies
# and PyInstaller from PyPI there. Result: dist/oldbase-SUITE-ARCH/irkit.
# Needs root, debootstrap, unshare and network access to deb.debian.org and PyPI. The chroot
# stays in $IRKIT_OLDBASE (default /var/tmp/irkit-oldbase) for the next build.
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=${1:-bullseye}
ARCH=${2:-amd64}
MIRROR=${IRKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=${IRKIT_OLDBASE:-/var/tmp/irkit-oldbase}
BASE=$WORK/$SUITE-$ARCH
PY_VERSION=3.11.2
PY_TARBALL=python3.11_$PY_VERSION.orig.tar.gz
PY_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
PY_PREFIX=/opt/python3.11
# The oldest symbol version of glibc's math functions: the architecture's first glibc.
case $ARCH in
  amd64) GLIBC_BASE=GLIBC_2.2.5 ;;
  arm64) GLIBC_BASE=GLIBC_2.17 ;;
  *) echo "unsupported ARCH $ARCH (amd64, arm64)" >&2; exit 2 ;;
esac
OUT=dist/oldbase-$SUITE-$ARCH
JOBS=$(nproc)
mkdir -p "$WORK" "$OUT"

if [ ! -f "$BASE/.irkit-debootstrap-done" ]; then
  # buildd: the essential packages and build-essential; the rest is what CPython's modules
  # and the wheels' build need (ssl, zlib, ffi, bz2, lzma, sqlite, uuid) and objdump.
  debootstrap --arch="$ARCH" --variant=buildd \
    --include=ca-certificates,curl,xz-utils,libssl-dev,zlib1g-dev,libffi-dev,libbz2-dev,liblzma-dev,libsqlite3-dev,uuid-dev,binutils \
    "$SUITE" "$BASE" "$MIRROR"
  touch "$BASE/.irkit-debootstrap-done"
fi

if [ ! -f "$WORK/$PY_TARBALL" ]; then
  curl -fsSL -o "$WORK/$PY_TARBALL.part" \
    "http://deb.debian.org/debian/pool/main/p/python3.11/$PY_TARBALL"
  mv "$WORK/$PY_TARBALL.part" "$WORK/$PY_TARBALL"
fi
echo "$PY_SHA256  $WORK/$PY_TARBALL" | sha256sum -c -

# The checkout is replaced on every run; Python's build tree in src/python is kept, so that a
# run cut short (under emulation make and make install take tens of minutes) resumes there.
rm -rf "$BASE/src/irkit"
mkdir -p "$BASE/src/irkit"
git archive HEAD | tar -x -C "$BASE/src/irkit"
cp "$WORK/$PY_TARBALL" "$BASE/src/"
cp /etc/resolv.conf "$BASE/etc/resolv.conf"
# pip in the chroot trusts what this machine trusts (a TLS-inspecting proxy's CA included).
cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$BASE/src/ca.crt"
for f in exp log pow exp2 log2; do
  echo "__asm__(\".symver $f,$f@$GLIBC_BASE\");"
done > "$BASE/src/glibc-compat.h"

# Everything below runs in the chroot, in a private mount namespace: its /proc and /dev
# mounts go away with it.
unshare -m --propagation private bash -euo pipefail -s "$BASE" "$PY_PREFIX" "$PY_TARBALL" \
  "$JOBS" <<'CHROOT'
BASE=$1 PY_PREFIX=$2 PY_TARBALL=$3 JOBS=$4
mount -t proc proc "$BASE/proc"
mount --rbind /dev "$BASE/dev"
chroot "$BASE" /usr/bin/env -i HOME=/root PATH="$PY_PREFIX/bin:/usr/bin:/bin:/usr/sbin:/sbin" \
  PIP_CERT=/src/ca.crt PIP_DISABLE_PIP_VERSION_CHECK=1 \
  bash -euo pipefail -s "$PY_PREFIX" "$PY_TARBALL" "$JOBS" <<'INSIDE'
PY_PREFIX=$1 PY_TARBALL=$2 JOBS=$3
ldd --version | sed -n 1p  # sed reads it all: head would SIGPIPE ldd (pipefail)
SQLITE_PREFIX=/opt/sqlite3
if [ ! -f "$SQLITE_PREFIX/.irkit-built" ]; then
  # volatility3 imports sqlite3 (its symbol cache, and so every automagic and the banner
  # scan), but the suite's libsqlite3 asks glibc 2.29 (log). So SQLite is built here from the
  # suite's own source package (apt-get source checks it against the signed index), with the
  # compat header, as a static library that goes into Python's _sqlite3 module. tcl
  # generates SQLite's amalgamation.
  grep -q '^deb-src' /etc/apt/sources.list ||
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >> /etc/apt/sources.list
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends tcl > /dev/null
  rm -rf /src/sqlite "$SQLITE_PREFIX"
  mkdir -p /src/sqlite/build
  cd /src/sqlite
  apt-get source -qq sqlite3 > /src/sqlite-build.log 2>&1
  cd build
  ../sqlite3-*/configure --prefix="$SQLITE_PREFIX" --disable-shared --enable-static \
    --disable-tcl --disable-readline CFLAGS="-O2 -fPIC -include /src/glibc-compat.h" \
    >> /src/sqlite-build.log
  make -j"$JOBS" libsqlite3.la sqlite3.h >> /src/sqlite-build.log 2>&1
  make lib_install >> /src/sqlite-build.log 2>&1
  install -d "$SQLITE_PREFIX/include"
  install -m 644 sqlite3.h ../sqlite3-*/src/sqlite3ext.h "$SQLITE_PREFIX/include/"
  touch "$SQLITE_PREFIX/.irkit-built"
fi

# Shared libpython (PyInstaller bundles it), found through the rpath, not the host's paths;
# _sqlite3 linked with the SQLite above.
PY_CONFIGURE=(--prefix="$PY_PREFIX" --enable-shared
  CFLAGS="-include $PY_PREFIX/include/glibc-compat.h"
  LDFLAGS="-Wl,-rpath,$PY_PREFIX/lib"
  LIBSQLITE3_CFLAGS="-I$SQLITE_PREFIX/include"
  LIBSQLITE3_LIBS="-L$SQLITE_PREFIX/lib -lsqlite3 -lm -ldl -lpthread"
  ac_cv_func_sem_clockwait=no)
# A finished Python is stamped with the configure arguments it was built with; a Python
# built with others is configured again and rebuilt, in the same tree.
printf '%s\n' "${PY_CONFIGURE[@]}" > /src/python-configure.args
if ! cmp -s /src/python-configure.args "$PY_PREFIX/.irkit-built"; then
  # configure writes the Makefile last: without it, start from the tarball again.
  if [ ! -f /src/python/Makefile ]; then
    rm -rf /src/python "$PY_PREFIX"
    mkdir -p /src/python
    tar -xzf "/src/$PY_TARBALL" -C /src/python --strip-components=1
  fi
  mkdir -p "$PY_PREFIX/include"
  cp /src/glibc-compat.h "$PY_PREFIX/include/"  # stays in CFLAGS for extensions pip builds
  cd /src/python
  if ! cmp -s /src/python-configure.args .irkit-configured; then
    ./configure "${PY_CONFIGURE[@]}" > /src/python-configure.log
    cp /src/python-configure.args .irkit-configured
  fi
  # Both resume where an earlier run stopped: make rebuilds nothing that is built, and
  # make install copies over a partial install. TEST_MODULES=no leaves out Lib/test (the
  # single file never ships it), and with it most of install's bytecode compiling.
  make -j"$JOBS" > /src/python-make.log 2>&1
  make install TEST_MODULES=no > /src/python-install.log 2>&1  # with ensurepip
  cp /src/python-configure.args "$PY_PREFIX/.irkit-built"
fi
cd /src/irkit
# No bytecode: PyInstaller compiles what it bundles itself.
python3.11 -m pip install --quiet --no-compile --upgrade '.[onefile]'
python3.11 -m pip uninstall --quiet --yes irkit
packaging/build-onefile.sh
INSIDE
CHROOT
cp "$BASE/src/irkit/dist/irkit" "$OUT/irkit"
ls -l "$OUT/irkit"
python3 packaging/glibc_floor.py "$OUT/irkit"
