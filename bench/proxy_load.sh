#!/usr/bin/env bash
# `make bench-proxy`: parley proxy, hitch and nginx (stream TLS termination)
# in front of the same nginx backend, driven by wrk on loopback, one after
# the other with the same settings: keep-alive requests/s with p50/p99
# latency, new-connection (full handshake) requests/s, and memory per idle
# TLS connection (resident memory of the terminator's processes, before and
# after IDLE connections are opened). All share 2 cores with the load
# generator: read the ratios. Results: a table on stdout.
# usage: proxy_load.sh BUILD_DIR SECONDS CONNECTIONS IDLE
set -u
BUILD=${1:-build}
SECS=${2:-10}
CONNS=${3:-64}
IDLE=${4:-2000}
HERE=$(cd "$(dirname "$0")" && pwd)
EXTRA_PKGS="wrk hitch nginx-light libnginx-mod-stream" bash "$HERE/../scripts/install-deps.sh" >/dev/null
# The Debian packages start their services; this run uses its own instances.
systemctl stop nginx hitch >/dev/null 2>&1 || true
source "$HERE/../tests/interop/lib.sh" "$BUILD/parley" "$BUILD"
make_pki
P=$PKI
cat "$P/ec256.pem" "$P/ec256.key" >"$WORK/hitch.pem"
ulimit -n 65536 2>/dev/null || true
B=$(free_port)
PX=$(free_port)
HI=$(free_port)
NG=$(free_port)
mkdir -p "$WORK/ngb" "$WORK/ngt"
# The backend: nginx answering a small body over plain HTTP.
cat >"$WORK/ngb/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/ngb/nginx.pid;
error_log $WORK/ngb/error.log;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$B; location / { return 200 "hello from the backend\n"; } }
}
CONF
# nginx as the TLS terminator (stream module: TLS in, TCP out, like hitch and parley proxy).
cat >"$WORK/ngt/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
daemon off;
pid $WORK/ngt/nginx.pid;
error_log $WORK/ngt/error.log;
events { worker_connections 16384; }
stream {
    ssl_session_cache shared:SSL:4m;
    server {
        listen 127.0.0.1:$NG ssl;
        ssl_certificate $P/ec256.pem;
        ssl_certificate_key $P/ec256.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        proxy_pass 127.0.0.1:$B;
    }
}
CONF
start_bg "$WORK/ngb.log" nginx -c "$WORK/ngb/nginx.conf"
wait_port "$B"

rss_of() { # total resident kB of the processes matching a pattern
    local t=0
    for p in $(pgrep -f "$1"); do t=$((t + $(awk '/VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null || echo 0))); done
    echo "$t"
}
idle_conns() { # open IDLE TLS connections to port $1 and hold them for $2 seconds
    python3 - "$1" "$IDLE" "$2" "$P/ca.pem" <<'PY'
import socket, ssl, sys, time
port, n, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ctx = ssl.create_default_context(cafile=sys.argv[4])
conns = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    conns.append(s)
print("open", len(conns), flush=True)
time.sleep(hold)
PY
}
run_one() { # name port pattern
    local name=$1 port=$2 pat=$3
    wait_port "$port"
    sleep 0.5
    local ka nc
    ka=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "https://localhost:$port/" 2>&1)
    nc=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -H "Connection: close" "https://localhost:$port/" 2>&1)
    local r0 r1
    r0=$(rss_of "$pat")
    idle_conns "$port" 8 >"$WORK/idle.log" 2>&1 &
    local ip=$!
    for _ in $(seq 1 60); do grep -q '^open' "$WORK/idle.log" && break; sleep 0.5; done
    r1=$(rss_of "$pat")
    wait "$ip"
    local rps p50 p99 hs errs
    rps=$(echo "$ka" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$ka" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$ka" | awk '$1 == "99%" {print $2}')
    hs=$(echo "$nc" | awk '/Requests\/sec/ {print $2}')
    errs=$( (echo "$ka"; echo "$nc") | awk '/Socket errors|Non-2xx/ {printf "%s ", $0}')
    printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$name" "$hs" "$rps" "$p50" "$p99" \
        "$(( (r1 - r0) * 1024 / IDLE ))" "${errs:-none}"
}
echo "machine: $(nproc) cores; $SECS s per run, $CONNS connections, $IDLE idle connections for memory"
echo "| terminator | new connections/s (full handshakes) | keep-alive requests/s | p50 | p99 | bytes per idle TLS connection | errors |"
echo "|---|---|---|---|---|---|---|"
start_bg "$WORK/px.log" "$BUILD/parley" proxy --listen "127.0.0.1:$PX" --backend "127.0.0.1:$B" --cert "$P/ec256.pem" \
    --key "$P/ec256.key" --workers 2 --idle-timeout 120
wait_line "$WORK/px.log" '2 workers'
run_one "parley proxy (2 workers)" "$PX" "parley proxy --listen 127.0.0.1:$PX"
stop_bg "$LAST_PID"
start_bg "$WORK/hitch.log" hitch --frontend="[127.0.0.1]:$HI" --backend="[127.0.0.1]:$B" --workers=2 \
    --tls-protos="TLSv1.2 TLSv1.3" --daemon=off --user=nobody "$WORK/hitch.pem"
run_one "hitch 1.7 (2 workers)" "$HI" "hitch --frontend=\[127.0.0.1\]:$HI"
stop_bg "$LAST_PID"
start_bg "$WORK/ngt.log" nginx -c "$WORK/ngt/nginx.conf"
run_one "nginx 1.22 stream (2 workers)" "$NG" "nginx: worker process"
stop_bg "$LAST_PID"
