# lib.sh - shared helpers for interop tests: a throw-away PKI, peers started on
# 127.0.0.1 and always stopped, and pass/fail counting.
# Usage in a test: source lib.sh "$@"  (args: path to parley, build dir)
set -u
PARLEY=${1:?usage: test.sh PATH_TO_PARLEY BUILD_DIR}
WORK=$(mktemp -d /tmp/parley-interop.XXXXXX)
HERE=$(cd "$(dirname "$0")" && pwd) # the tests' folder: helper scripts live here
PIDS=()
PASS=0
FAIL=0

cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# check NAME FILE REGEX...: every regex must match the file
check() {
    local name=$1 file=$2; shift 2
    for re in "$@"; do
        if ! grep -Eq -- "$re" "$file"; then
            bad "$name: no match for '$re'"; echo "---- $file"; tail -n 25 "$file"; echo "----"; return 1
        fi
    done
    ok "$name"
}
finish() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 never opened"; return 1
}
# wait_line FILE REGEX: wait until a started peer prints its readiness line
wait_line() {
    for _ in $(seq 1 200); do
        grep -Eq -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "never saw '$2' in $1"; return 1
}
# wait_count LOG REGEX N : wait until N lines of LOG match REGEX (e.g. every
# forked worker has said it is listening; until then the kernel hands every
# connection to the workers already bound)
wait_count() {
    for _ in $(seq 1 300); do
        [ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        sleep 0.05
    done
    echo "saw fewer than $3 lines '$2' in $1"; return 1
}
# require_cmds CMD... : skip the whole test (exit 77, which ctest reports as
# Skipped) when a peer program is not installed; `make test` installs them all.
require_cmds() {
    local t
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "SKIPPED: $t is not installed (make test, or scripts/install-deps.sh --test)"
            exit 77
        fi
    done
}
# start_bg LOG CMD... : run a peer in the background, remember it for cleanup
start_bg() { local log=$1; shift; "$@" >"$log" 2>&1 </dev/null & LAST_PID=$!; PIDS+=("$LAST_PID"); }
stop_bg() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
# start_redis: a throw-away redis-server on 127.0.0.1:$RPORT (nothing saved),
# REDIS_PID set; again after a kill, it comes back empty on the same port.
start_redis() {
    start_bg "$WORK/redis.log" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no
    REDIS_PID=$LAST_PID
    wait_port "$RPORT"
}

# A CA and leaf certificates made with `openssl ca` so dates can be set freely.
make_pki() {
    local d=$WORK/pki
    mkdir -p "$d/new"
    : >"$d/index.txt"
    echo 1000 >"$d/serial"
    cat >"$d/ca.cnf" <<CNF
[ca]
default_ca = CA_default
[CA_default]
dir = $d
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
default_md = sha256
policy = pol
copy_extensions = copy
unique_subject = no
[pol]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
[inter]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[notca]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign,cRLSign
[pathlen0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
[kucertsign]
basicConstraints = CA:FALSE
keyUsage = critical,keyCertSign
extendedKeyUsage = serverAuth
[constrained]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;DNS:example.com
CNF
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
        -days 30 -subj "/CN=Parley Test CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca2.key" -out "$d/ca2.pem" \
        -days 30 -subj "/CN=Some Other CA" 2>/dev/null
    leaf ec256 "-newkey ec -pkeyopt ec_paramgen_curve:P-256" "" ""
    leaf ec384 "-newkey ec -pkeyopt ec_paramgen_curve:P-384" "" ""
    leaf rsa2048 "-newkey rsa:2048" "" ""
    leaf ed25519 "-newkey ed25519" "" ""
    leaf rsapss "-newkey rsa-pss -pkeyopt rsa_keygen_bits:2048" "" ""
    leaf expired "-newkey ec -pkeyopt ec_paramgen_curve:P-256" 20200101000000Z 20210101000000Z
    leaf future "-newkey ec -pkeyopt ec_paramgen_curve:P-256" 20350101000000Z 20360101000000Z
    PKI=$d
}
leaf() {
    local d=$WORK/pki name=$1 keyopts=$2 start=$3 end=$4 dates
    # shellcheck disable=SC2086
    openssl req -new $keyopts -nodes -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    if [ -n "$start" ]; then dates="-startdate $start -enddate $end"; else dates="-days 30"; fi
    # shellcheck disable=SC2086
    openssl ca -batch -config "$d/ca.cnf" -extensions leaf -cert "$d/ca.pem" -keyfile "$d/ca.key" \
        -in "$d/$name.csr" -out "$d/$name.pem" -notext $dates 2>/dev/null ||
        { echo "could not make certificate $name"; exit 1; }
}

# make_ca_pki: more certificates for chain policy, client authentication and
# revocation. Each issuing CA gets its own `openssl ca` directory.
ca_dir() { # ca_dir NAME CERT KEY: a signing directory for an existing CA
    local d=$WORK/pki/ca-$1
    mkdir -p "$d/new"
    : >"$d/index.txt"
    echo 2000 >"$d/serial"
    sed "s|^dir = .*|dir = $d|; s|^database = .*|database = $d/index.txt|; s|^new_certs_dir = .*|new_certs_dir = $d/new|; s|^serial = .*|serial = $d/serial|" \
        "$WORK/pki/ca.cnf" >"$d/ca.cnf"
    echo "$d"
}
# sign CA_DIR CA_CERT CA_KEY NAME CN SECTION [SAN]: a P-256 key and certificate
sign() {
    local d=$1 cacert=$2 cakey=$3 name=$4 cn=$5 sect=$6 san=${7:-}
    local add=()
    [ -n "$san" ] && add=(-addext "subjectAltName=$san")
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/pki/$name.key" \
        -out "$WORK/pki/$name.csr" -subj "/CN=$cn" "${add[@]}" 2>/dev/null
    openssl ca -batch -config "$d/ca.cnf" -extensions "$sect" -cert "$cacert" -keyfile "$cakey" \
        -in "$WORK/pki/$name.csr" -out "$WORK/pki/$name.pem" -notext -days 30 2>/dev/null ||
        { echo "could not make certificate $name"; exit 1; }
}
make_ca_pki() {
    local p=$WORK/pki main
    main=$(ca_dir main)
    # Client certificates: one for clientAuth, one for serverAuth only.
    sign "$main" "$p/ca.pem" "$p/ca.key" alice alice client
    sign "$main" "$p/ca.pem" "$p/ca.key" bob bob client
    # An intermediate CA, a leaf under it, and a chain file.
    sign "$main" "$p/ca.pem" "$p/ca.key" inter "Parley Intermediate" inter
    local id; id=$(ca_dir inter)
    sign "$id" "$p/inter.pem" "$p/inter.key" viainter localhost leaf "DNS:localhost,IP:127.0.0.1"
    cat "$p/viainter.pem" "$p/inter.pem" >"$p/viainter-chain.pem"
    # An "intermediate" without CA:TRUE that signs a leaf anyway.
    sign "$main" "$p/ca.pem" "$p/ca.key" notca "Not A CA" notca
    local nd; nd=$(ca_dir notca)
    sign "$nd" "$p/notca.pem" "$p/notca.key" vianotca localhost leaf "DNS:localhost,IP:127.0.0.1"
    # A name-constrained CA (example.com only) that signs localhost.
    sign "$main" "$p/ca.pem" "$p/ca.key" nc "Constrained CA" constrained
    local cd; cd=$(ca_dir nc)
    sign "$cd" "$p/nc.pem" "$p/nc.key" vianc localhost leaf "DNS:localhost"
    # pathlen:0 CA -> a second CA -> leaf (the path is one CA too long).
    sign "$main" "$p/ca.pem" "$p/ca.key" pl0 "Pathlen Zero CA" pathlen0
    local pd; pd=$(ca_dir pl0)
    sign "$pd" "$p/pl0.pem" "$p/pl0.key" pl0sub "Second Level CA" inter
    local sd; sd=$(ca_dir pl0sub)
    sign "$sd" "$p/pl0sub.pem" "$p/pl0sub.key" viapl0 localhost leaf "DNS:localhost,IP:127.0.0.1"
    cat "$p/pl0sub.pem" "$p/pl0.pem" >"$p/pl0-chain.pem"
    # A server certificate whose keyUsage allows only certificate signing.
    sign "$main" "$p/ca.pem" "$p/ca.key" kubad localhost kucertsign "DNS:localhost,IP:127.0.0.1"
    # Revocation: a server certificate and bob revoked; CRLs of the root and
    # of the intermediate; an expired CRL.
    sign "$main" "$p/ca.pem" "$p/ca.key" revoked localhost leaf "DNS:localhost,IP:127.0.0.1"
    openssl ca -batch -config "$main/ca.cnf" -cert "$p/ca.pem" -keyfile "$p/ca.key" -revoke "$p/revoked.pem" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -cert "$p/ca.pem" -keyfile "$p/ca.key" -revoke "$p/bob.pem" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -cert "$p/ca.pem" -keyfile "$p/ca.key" -gencrl -crldays 7 -out "$p/ca.crl" 2>/dev/null
    openssl ca -batch -config "$id/ca.cnf" -cert "$p/inter.pem" -keyfile "$p/inter.key" -gencrl -crldays 7 -out "$p/inter.crl" 2>/dev/null
    openssl ca -batch -config "$main/ca.cnf" -cert "$p/ca.pem" -keyfile "$p/ca.key" -gencrl -crlsec 1 -out "$p/ca-expired.crl" 2>/dev/null
}

# make_keyless_pki (after make_pki): the edge's client certificate and the key
# server's own, both from the test CA, and $WORK/keys holding the P-256 key
# for `parley keyserver --keys`.
make_keyless_pki() {
    local main; main=$(ca_dir main)
    sign "$main" "$PKI/ca.pem" "$PKI/ca.key" edge edge client
    sign "$main" "$PKI/ca.pem" "$PKI/ca.key" ksrv localhost leaf "DNS:localhost,IP:127.0.0.1"
    mkdir -p "$WORK/keys"
    cp "$PKI/ec256.key" "$WORK/keys/ec256.pem"
}
