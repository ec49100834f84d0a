# lib.sh - shared helpers for interop tests: a throw-away PKI, peers started on
# 127.0.0.1 and always stopped, and pass/fail counting.
# Usage in a test: source lib.sh "$@"  (args: path to parley, build dir)
set -u
PARLEY=${1:?usage: test.sh PATH_TO_PARLEY BUILD_DIR}
WORK=$(mktemp -d /tmp/parley-interop.XXXXXX)
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
# start_bg LOG CMD... : run a peer in the background, remember it for cleanup
start_bg() { local log=$1; shift; "$@" >"$log" 2>&1 </dev/null & LAST_PID=$!; PIDS+=("$LAST_PID"); }
stop_bg() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

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
