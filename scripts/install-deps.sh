#!/usr/bin/env bash
# Installs the Debian packages Parley needs: to build (no arguments; `make
# build`, `make demo`), or to build and run the tests (--test; `make test`:
# the peers of the interop tests, among them Chromium, about 400 MB, which
# only the certificate compression test uses). Does nothing when every
# package is already present. Uses apt-get directly as root, or via sudo.
set -eu
# The library, the tool, the unit tests (cmocka), the sanitizer and fuzz
# builds (clang), the benchmarks (libssl-dev, libgnutls28-dev); python3 for
# the demo.
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev libssl-dev openssl \
libcmocka-dev libuv1-dev libhiredis-dev libgnutls28-dev python3 ca-certificates \
zlib1g-dev libbrotli-dev libzstd-dev"
# Peers that only tests start (tests/interop/), and the independent
# compressors of cert_compress_independent_test (brotli, zstd); ss (iproute2)
# for test_early_data_client.sh. The real-client matrix and its reverse
# (test_real_clients.sh, test_parley_client_vs_servers.sh): Go's crypto/tls
# (golang-go, programs built offline), Node.js's tls (nodejs), nginx; headless
# Chromium driven through chromedriver (chromium-driver); tshark decrypting a
# capture with --keylog; groff-base and systemd (systemd-analyze) check the
# man page and the unit files of `make install`. BoringSSL's BoGo runner
# (tests/bogo/, built offline by shared/vendor/build-bogo.sh) needs Go's
# golang.org/x sources as Debian packages.
TEST_PKGS="gnutls-bin curl redis-server chromium brotli zstd iproute2 \
golang-go nodejs nginx chromium-driver tshark groff-base systemd \
golang-golang-x-crypto-dev golang-golang-x-net-dev golang-golang-x-sys-dev \
golang-golang-x-term-dev golang-golang-x-text-dev"
if [ "${1:-}" = "--test" ]; then PKGS="$PKGS $TEST_PKGS"; fi
# Benchmarks add theirs (e.g. bench/proxy_load.sh: wrk, hitch, nginx).
PKGS="$PKGS ${EXTRA_PKGS:-}"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
