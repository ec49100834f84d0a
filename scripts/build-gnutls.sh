#!/usr/bin/env bash
# build-gnutls.sh OUT: Debian 12's own GnuTLS (source package gnutls28, the
# version gnutls-bin ships; upstream 3.7.9 without Debian's patches, see
# below) built with zlib, brotli and zstd, installed under
# OUT (OUT/bin/gnutls-cli, gnutls-serv), for `make interop-gnutls-compress`:
# Debian's binary package is built without the compression libraries, so its
# gnutls-cli cannot take part in certificate compression (RFC 8879).
#
# Needs the network (apt-get source) and root (or sudo) for apt. The source
# needs a deb-src line: this script owns
# /etc/apt/sources.list.d/parley-gnutls-src.sources and writes it when absent.
# It does not run `apt-get build-dep gnutls28` (which pulls guile, autogen,
# texinfo and the test suite's tools, for parts not built here): the
# libraries this configure uses are those of libgnutls28-dev (nettle, gmp,
# idn2), installed by scripts/install-deps.sh, plus the three compressors.
# Nothing is rebuilt when OUT/bin/gnutls-cli exists.
set -eu
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
if [ -x "$OUT/bin/gnutls-cli" ] && [ -x "$OUT/bin/gnutls-serv" ]; then
    echo "build-gnutls: $OUT/bin already has gnutls-cli and gnutls-serv"; exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
EXTRA_PKGS="dpkg-dev xz-utils nettle-dev libgmp-dev libidn2-dev zlib1g-dev libbrotli-dev libzstd-dev" \
    bash "$(dirname "$0")/install-deps.sh"

SRC_LIST=/etc/apt/sources.list.d/parley-gnutls-src.sources
VER=$(dpkg-query -W -f='${Version}' gnutls-bin 2>/dev/null || true)
if ! apt-cache showsrc gnutls28 2>/dev/null | grep -q '^Package: gnutls28'; then
    if [ ! -e "$SRC_LIST" ]; then
        echo "build-gnutls: adding deb-src lines ($SRC_LIST)"
        $SUDO tee "$SRC_LIST" >/dev/null <<'EOF'
# Written by Parley's scripts/build-gnutls.sh (make interop-gnutls-compress):
# the source of Debian's GnuTLS, to build it with certificate compression.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    $SUDO apt-get update -qq
fi

mkdir -p "$OUT/src"
cd "$OUT/src"
# A source tree is reused only when its extraction finished (the mark is
# written after it): an interrupted run starts again from the download.
if [ ! -e .extracted ]; then
    rm -rf gnutls28-*/ gnutls28_*
    # The installed gnutls-bin's version when the archive still has it, else the newest.
    if ! apt-get source -qq --download-only "gnutls28${VER:+=$VER}" >"$OUT/fetch.log" 2>&1 &&
        ! apt-get source -qq --download-only gnutls28 >>"$OUT/fetch.log" 2>&1; then
        cat "$OUT/fetch.log"
        echo "build-gnutls: cannot fetch the gnutls28 source (no network, or no deb-src access?)"
        exit 1
    fi
    # Upstream's release as Debian packs it, without Debian's patches: some
    # change Makefile.am, and building them needs autoreconf (automake,
    # libtool, gettext: Debian's dh_autoreconf). They are security fixes away
    # from certificate compression, which is all this build is for.
    dpkg-source -x --skip-patches "$(ls gnutls28_*.dsc | head -1)" >/dev/null
    touch .extracted
fi
SRCDIR=$(ls -d "$OUT"/src/gnutls28-*/ | head -1)
cd "$SRCDIR"
echo "build-gnutls: configuring $(basename "$SRCDIR") into $OUT (log: $OUT/build.log)"
# Only the library and the tools (zlib, brotli and zstd are on by default when found).
./configure --prefix="$OUT" --disable-doc --disable-tests --disable-full-test-suite --disable-guile --disable-cxx \
    --disable-libdane --without-p11-kit --without-tpm --without-tpm2 --with-included-unistring \
    --with-included-libtasn1 >"$OUT/build.log" 2>&1 ||
    { tail -n 30 "$OUT/build.log"; exit 1; }
# configure only warns when one is missing: a build without them is useless here.
for d in HAVE_LIBZ HAVE_LIBBROTLI HAVE_LIBZSTD; do
    grep -q "^#define $d 1" config.h || { echo "build-gnutls: configure did not enable $d (see $OUT/build.log)"; exit 1; }
done
make -j "${JOBS:-2}" >>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
make install >>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }
echo "build-gnutls: $OUT/bin/gnutls-cli $("$OUT/bin/gnutls-cli" --version | head -n 1)"
