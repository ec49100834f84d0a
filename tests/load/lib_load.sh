# lib_load.sh - shared by the fleet scenarios (tests/load/test_*.sh, issue #17):
# lib.sh's throw-away PKI, peers and pass/fail counting, plus the load
# generator, the scale of a run (short in `make test`, long in `make soak`),
# and the figures each scenario prints for docs/reliability.md.
# Usage: source lib_load.sh PATH_TO_PARLEY BUILD_DIR
# shellcheck source=../interop/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../interop/lib.sh" "$@"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../interop" && pwd) # lib.sh's helper scripts
BUILD=${2:?usage: test.sh PATH_TO_PARLEY BUILD_DIR}
LOADGEN=$BUILD/tests/load/loadgen
[ -x "$LOADGEN" ] || { echo "no load generator at $LOADGEN (make build)"; exit 1; }
SOAK=${PARLEY_SOAK:-0}
SCENARIO=$(basename "$0" .sh)

# scale SHORT LONG: the short figure in `make test`, the long one in `make soak`.
scale() { if [ "$SOAK" = 1 ]; then echo "$2"; else echo "$1"; fi; }
# figure TEXT: one line of the scenario's figures (stdout, and the soak report).
figure() {
    echo "figure: $*"
    if [ -n "${PARLEY_FIGURES:-}" ]; then echo "$SCENARIO: $*" >>"$PARLEY_FIGURES"; fi
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
workers_of() { pgrep -P "$1" | sort -n | tr '\n' ' '; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# raise_nofile N: as many descriptors as the run needs (root may raise the
# hard limit); prints the limit obtained.
raise_nofile() {
    ulimit -Hn "$1" 2>/dev/null || true
    ulimit -n "$1" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    ulimit -n
}
# rate_col FILE FIELD FROM [TO]: the sum of FIELD over the `rate: t=` lines with FROM <= t < TO.
rate_col() {
    awk -v f="$2" -v a="$3" -v b="${4:-1000000}" '
        /^rate: t=/ { t = -1; v = 0
            for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "t") t = kv[2]; if (kv[1] == f) v = kv[2] }
            if (t >= a && t < b) s += v }
        END { print s + 0 }' "$1"
}
# rate_max FILE FIELD FROM [TO]: the largest FIELD over those lines.
rate_max() {
    awk -v f="$2" -v a="$3" -v b="${4:-1000000}" '
        /^rate: t=/ { t = -1; v = 0
            for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "t") t = kv[2]; if (kv[1] == f) v = kv[2] }
            if (t >= a && t < b && v > m) m = v }
        END { print m + 0 }' "$1"
}
# kv FILE PREFIX KEY: the value of KEY= on the first line starting with PREFIX.
kv() { grep -m1 -- "^$2" "$1" | tr ' ' '\n' | sed -n "s/^$3=//p" | head -1; }
# timeline FILE: the per-second lines, condensed for the log.
timeline() { grep '^rate: t=' "$1" | sed 's/^rate: //'; }
# wait_fds PID N SECONDS: wait until PID holds at most N descriptors.
wait_fds() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ "$(nfds "$1")" -le "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
