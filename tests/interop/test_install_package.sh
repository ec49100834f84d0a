#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then examples/https_get.c built
# against that prefix four ways: CMake find_package(Parley) with
# Parley::parley (shared) and Parley::parley_static, and examples/Makefile
# through pkg-config, shared and STATIC=1. Each build runs against `parley
# server` (the installed one) and must print the server's status line and the
# protocol it really negotiated (TLS 1.3, and TLS 1.2 from a server limited
# to it); a wrong CA must fail. A copy of the prefix elsewhere works too: the
# pkg-config file and the CMake package find the prefix where they are.
source "$(dirname "$0")/lib.sh" "$@"
SRC=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${2:-$(dirname "$PARLEY")}" && pwd)
P=$WORK/prefix

cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || { bad "cmake --install failed"; cat "$WORK/install.log"; finish; exit; }
(cd "$P" && find . \( -type f -o -type l \) | sort) >"$WORK/files.txt"
check "installed: program, both libraries, header, pkg-config file, CMake package, man page" "$WORK/files.txt" \
    '^\./bin/parley$' '^\./lib[^ ]*/libparley\.so\.0$' '^\./lib[^ ]*/libparley\.a$' '^\./include/parley/parley\.h$' \
    '^\./lib[^ ]*/pkgconfig/parley\.pc$' '^\./lib[^ ]*/cmake/Parley/ParleyConfig\.cmake$' \
    '^\./lib[^ ]*/cmake/Parley/ParleyConfigVersion\.cmake$' '^\./lib[^ ]*/cmake/Parley/ParleyTargets\.cmake$' \
    '^\./share/man/man1/parley\.1$'
PCDIR=$(dirname "$(find "$P" -name parley.pc | head -1)")

# A sanitizer build (make test-asan) installs an instrumented library: a
# program linked with it must carry the same runtime, first in its libraries.
SAN=
grep -q '^PARLEY_SANITIZE:BOOL=ON$' "$BUILD/CMakeCache.txt" 2>/dev/null && SAN="-fsanitize=address,undefined"
# build_cmake NAME PREFIX [cmake args]: examples/ through find_package(Parley)
build_cmake() {
    local name=$1 prefix=$2; shift 2
    cmake -S "$SRC/examples" -B "$WORK/$name" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$SAN" \
        -DCMAKE_EXE_LINKER_FLAGS="$SAN" "$@" >"$WORK/$name.log" 2>&1 &&
        cmake --build "$WORK/$name" >>"$WORK/$name.log" 2>&1
}
# build_make NAME PCDIR [make args]: examples/Makefile through pkg-config
build_make() {
    local name=$1 pcdir=$2; shift 2
    mkdir -p "$WORK/$name"
    make -s -C "$WORK/$name" -f "$SRC/examples/Makefile" VPATH="$SRC/examples" PKG_CONFIG_PATH="$pcdir" \
        CFLAGS="-O2 -Wall -Wextra $SAN" LDFLAGS="$SAN" "$@" \
        >"$WORK/$name.log" 2>&1
}
built() { # built NAME HOW: the build succeeded and left a program
    if [ -x "$WORK/$1/https_get" ]; then ok "example built: $2"; else bad "example not built: $2"; cat "$WORK/$1.log"; fi
}
# A copy of the prefix elsewhere: the pkg-config file and the CMake package
# must point at where they are, not where they were installed (checked below
# with ldd: a path into $P would mean the copy still uses the original).
M=$WORK/moved
cp -a "$P" "$M"
# The six builds at once (each CMake configure costs seconds); the PKI meanwhile.
build_make mk-moved "${PCDIR/$P/$M}" & B5=$!
build_cmake cm-moved "$M" & B6=$!
build_cmake cm-shared "$P" & B1=$!
build_cmake cm-static "$P" -DPARLEY_EXAMPLE_STATIC=ON & B2=$!
build_make mk-shared "$PCDIR" & B3=$!
build_make mk-static "$PCDIR" STATIC=1 & B4=$!
make_pki
# The servers start while the builds run.
PORT=$(free_port); PORT12=$(free_port)
start_bg "$WORK/s13.log" "$P/bin/parley" server --listen "127.0.0.1:$PORT" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key"
start_bg "$WORK/s12.log" "$P/bin/parley" server --listen "127.0.0.1:$PORT12" --cert "$PKI/ec256.pem" --key "$PKI/ec256.key" --tls1.2
wait "$B1" "$B2" "$B3" "$B4" "$B5" "$B6"
built cm-shared "CMake, Parley::parley"
built cm-static "CMake, Parley::parley_static"
built mk-shared "pkg-config"
built mk-static "pkg-config --static"

# Linked as asked: the shared builds load the installed libparley.so.0, the
# static ones have libparley inside and load libcrypto themselves.
for b in cm-shared mk-shared; do
    ldd "$WORK/$b/https_get" >"$WORK/$b.ldd" 2>&1
    check "$b loads libparley.so.0 from the prefix" "$WORK/$b.ldd" "libparley\\.so\\.0 => $P/"
done
for b in cm-static mk-static; do
    ldd "$WORK/$b/https_get" >"$WORK/$b.ldd" 2>&1
    if grep -q libparley "$WORK/$b.ldd"; then bad "$b loads libparley.so"; else
        check "$b has libparley inside (links libcrypto itself)" "$WORK/$b.ldd" 'libcrypto\.so'; fi
done

# Against the installed parley server (started above).
wait_port "$PORT"
wait_port "$PORT12"
for b in cm-shared cm-static mk-shared mk-static; do
    [ -x "$WORK/$b/https_get" ] || continue
    timeout 20 "$WORK/$b/https_get" localhost "$PORT" "/from-$b" "$PKI/ca.pem" >"$WORK/$b.out" 2>&1
    echo "exit $?" >>"$WORK/$b.out"
    check "$b: GET over TLS 1.3, the status line and the protocol printed" "$WORK/$b.out" \
        '^status: HTTP/1\.1 200 OK$' '^protocol: TLSv1\.3$' '^cipher: TLS_AES_' '^exit 0$'
done
# The server saw those requests, with SNI: the example talked to it.
check "the server logged the examples' handshakes with SNI localhost" "$WORK/s13.log" 'sni=localhost'
timeout 20 "$WORK/cm-shared/https_get" localhost "$PORT12" / "$PKI/ca.pem" >"$WORK/tls12.out" 2>&1
check "cm-shared: a TLS 1.2-only server gives protocol: TLSv1.2 (the line is what was negotiated)" "$WORK/tls12.out" \
    '^protocol: TLSv1\.2$' '^cipher: TLS_ECDHE_ECDSA_'
# Negative control: the wrong CA fails verification, exit 2, no status line.
timeout 20 "$WORK/mk-shared/https_get" localhost "$PORT" / "$PKI/ca2.pem" >"$WORK/badca.out" 2>&1
echo "exit $?" >>"$WORK/badca.out"
check "negative control: another CA is refused (exit 2, the reason on stderr)" "$WORK/badca.out" '^exit 2$' '^error: '
grep -q '^status:' "$WORK/badca.out" && bad "negative control: a status line despite the wrong CA"

# The CMake package's version rule (0.x: the same minor only), read the way
# find_package reads it (the examples' find_package(Parley 0.1) above is the
# accepting case), and no package where none is installed.
printf '%s\n' 'include(${F})' 'message("compatible=${PACKAGE_VERSION_COMPATIBLE} version=${PACKAGE_VERSION}")' >"$WORK/compat.cmake"
compat() { # compat WANTED: what ParleyConfigVersion.cmake says of it
    local v=$1
    cmake -DPACKAGE_FIND_VERSION="$v" -DPACKAGE_FIND_VERSION_MAJOR="${v%%.*}" -DPACKAGE_FIND_VERSION_MINOR="${v#*.}" \
        -DPACKAGE_FIND_VERSION_PATCH=0 -DPACKAGE_FIND_VERSION_COUNT=2 -DPACKAGE_FIND_VERSION_RANGE= \
        -DF="$(find "$P" -name ParleyConfigVersion.cmake)" \
        -P "$WORK/compat.cmake" 2>&1
}
compat 0.1 >"$WORK/ver1.log"; compat 0.2 >"$WORK/ver2.log"; compat 1.0 >>"$WORK/ver2.log"
check "ParleyConfigVersion: 0.1 wanted, 0.1.0 installed: compatible" "$WORK/ver1.log" '^compatible=TRUE version=0\.1\.0$'
check "ParleyConfigVersion: 0.2 or 1.0 wanted: not compatible (a 0.x minor may break the API)" "$WORK/ver2.log" \
    '^compatible=FALSE version=0\.1\.0$'
grep -q 'compatible=TRUE' "$WORK/ver2.log" && bad "ParleyConfigVersion accepts 0.2 or 1.0"
mkdir -p "$WORK/ver"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(v NONE)\nfind_package(Parley REQUIRED)\n' >"$WORK/ver/CMakeLists.txt"
cmake -S "$WORK/ver" -B "$WORK/ver/b" -DCMAKE_PREFIX_PATH="$WORK/nowhere" >"$WORK/ver3.log" 2>&1 &&
    bad "find_package(Parley) found something in an empty prefix" ||
    check "negative control: no prefix, no Parley" "$WORK/ver3.log" 'ParleyConfig\.cmake'

# Relocated: the copy's builds load the copy's library.
built mk-moved "pkg-config, prefix copied elsewhere"
built cm-moved "CMake, prefix copied elsewhere"
for b in mk-moved cm-moved; do
    ldd "$WORK/$b/https_get" >"$WORK/$b.ldd" 2>&1
    check "$b loads libparley.so.0 from the copy" "$WORK/$b.ldd" "libparley\\.so\\.0 => $M/"
done
finish
