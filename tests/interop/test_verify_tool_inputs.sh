#!/usr/bin/env bash
# test_verify_tool_inputs.sh - `parley verify` as a tool: exit codes (0
# verified, 2 not, 1 usage or input file), the input-file errors (each names
# the file: missing, empty, DER, a key, junk, a corrupt block), the line
# prefixes of its output, --json as one valid object with the same verdict,
# --untrusted, --host/--ip, --purpose, --at-time, --max-chain-depth, --crl,
# and the key policy flags (the insecure one warns on stderr).
source "$(dirname "$0")/lib.sh" "$@"
cd "$WORK"

cat >ext.cnf <<'CNF'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:leaf.test,IP:127.0.0.1
CNF
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -subj "/CN=Root CA" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
q openssl req -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/CN=Intermediate CA"
q openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 1000 -extfile ext.cnf -extensions ca
for bits in 2048 1024; do
    q openssl req -newkey rsa:$bits -nodes -keyout leaf$bits.key -out leaf$bits.csr -subj "/CN=leaf.test"
    q openssl x509 -req -in leaf$bits.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf$bits.pem -days 365 -extfile ext.cnf -extensions leaf
done
cat leaf2048.pem int.pem >chain.pem
cat leaf1024.pem int.pem >chain1024.pem
openssl x509 -in leaf2048.pem -outform DER -out leaf.der
: >empty.pem
echo "this is not a certificate" >junk.pem
sed '3s/./*/' chain.pem >corrupt.pem
# a CRL from the intermediate revoking nothing, and one from the root
q openssl ca -help || true
mkcrl() { # mkcrl CAcert CAkey out
    local d=crl-$3; mkdir -p $d; : >$d/index.txt; echo 01 >$d/crlnumber
    cat >$d/ca.cnf <<CNF
[ca]
default_ca=c
[c]
database=$d/index.txt
crlnumber=$d/crlnumber
default_md=sha256
default_crl_days=7
CNF
    q openssl ca -config $d/ca.cnf -gencrl -cert "$1" -keyfile "$2" -out "$3"
}
mkcrl root.pem root.key root.crl
mkcrl int.pem int.key int.crl

# run NAME WANT_EXIT ARGS...: output in NAME.out / NAME.err
run() {
    local name=$1 want=$2; shift 2
    "$PARLEY" verify "$@" >"$name.out" 2>"$name.err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok "$name: exit $got"; else bad "$name: exit $got, want $want"; cat "$name.out" "$name.err"; fi
}

run good 0 --cafile root.pem --host leaf.test chain.pem
check "good: lines" good.out '^chain: 3 certificates$' '^  0: CN = leaf.test  key=RSA 2048  sig=sha256WithRSAEncryption  issuer=CN = Intermediate CA$' \
    '^  2: CN = Root CA  key=RSA 2048  sig=\(self-signed, not checked\)  \[trust anchor\]$' '^dates: ok \(.*days left' '^signatures: ok ' \
    '^trust: ok \(reached trust anchor: CN = Root CA\)' '^host: ok \(leaf.test matched DNS:leaf.test; its names: ' '^usage: ok \(.*serverAuth' '^constraints: ok ' \
    '^revocation: skipped \(no CRL given\)' '^verify: ok$'
run ip 0 --cafile root.pem --ip 127.0.0.1 chain.pem
run untrusted 0 --cafile root.pem --untrusted int.pem --host leaf.test leaf2048.pem
run no-intermediate 2 --cafile root.pem leaf2048.pem
check "no-intermediate: reason" no-intermediate.out '^trust: FAILED' '^verify: certificate for leaf.test was issued by /CN=Intermediate CA, which is neither a trusted CA nor among the certificates sent \(a missing intermediate\?\)$'
run wrong-host 2 --cafile root.pem --host other.test chain.pem
check "wrong-host: names" wrong-host.out '^host: FAILED \(.*its names: DNS:leaf.test, IP:127.0.0.1\)' '^verify: certificate for leaf.test does not match host name other.test$'
run wrong-ip 2 --cafile root.pem --ip 10.1.2.3 chain.pem
run client-purpose 2 --cafile root.pem --purpose client chain.pem
check "client-purpose: usage" client-purpose.out '^usage: FAILED'
run expired 2 --cafile root.pem --at-time $(( $(date +%s) + 400 * 86400 )) chain.pem
check "expired: dates" expired.out '^dates: FAILED \(certificate for leaf.test expired on .* \(leaf.test expired [0-9]+ days ago\)\)'
run depth 2 --cafile root.pem --max-chain-depth 0 chain.pem
check "depth: constraints" depth.out '^constraints: FAILED'
run crl 0 --cafile root.pem --crl root.crl --crl int.crl chain.pem
check "crl: revocation" crl.out '^revocation: ok \(.*CRL from Intermediate CA \(thisUpdate'
run crl-missing 2 --cafile root.pem --crl root.crl chain.pem
check "crl-missing: revocation" crl-missing.out '^revocation: FAILED'
run rsa1024 2 --cafile root.pem chain1024.pem
check "rsa1024: reason" rsa1024.out '^signatures: FAILED' '^verify: certificate for leaf.test has an RSA key of 1024 bits; at least 2048 are required$'
run rsa1024-insecure 0 --cafile root.pem --insecure-min-rsa-bits 1024 chain1024.pem
check "rsa1024-insecure: warnings" rsa1024-insecure.err 'WARNING: --insecure-min-rsa-bits 1024'
check "rsa1024-insecure: result warning" rsa1024-insecure.out '^warning: certificate for leaf.test has an RSA key of 1024 bits'
run min-3072 2 --cafile root.pem --min-rsa-bits 3072 chain.pem
run json 0 --cafile root.pem --host leaf.test --json chain.pem
if python3 -c 'import json,sys; o=json.load(open("json.out")); assert o["ok"] is True and o["verify"]=="ok"; assert len(o["chain"])==3 and o["chain"][2]["trust_anchor"] is True; assert set(o["checks"])=={"dates","signatures","trust","host","usage","constraints","revocation"}; assert o["checks"]["revocation"]["verdict"]=="skipped"'; then ok "json: one valid object"; else bad "json: not the expected object"; cat json.out; fi
run json-bad 2 --cafile root.pem --json chain1024.pem
if python3 -c 'import json; o=json.load(open("json-bad.out")); assert o["ok"] is False and "1024 bits" in o["verify"] and o["checks"]["signatures"]["verdict"]=="FAILED"'; then ok "json-bad: verdict"; else bad "json-bad"; cat json-bad.out; fi

# Input files: exit 1 with the file named.
run missing 1 --cafile root.pem missing.pem
check "missing: message" missing.err '^parley verify: missing.pem: cannot open: No such file or directory$'
run empty 1 --cafile root.pem empty.pem
check "empty: message" empty.err '^parley verify: empty.pem: empty file$'
run der 1 --cafile root.pem leaf.der
check "der: message" der.err '^parley verify: leaf.der: DER data, not PEM \(convert with: openssl x509 -inform DER -in leaf.der -out leaf.pem\)$'
run key 1 --cafile root.pem leaf2048.key
check "key: message" key.err '^parley verify: leaf2048.key: holds a PRIVATE KEY, not a certificate$'
run junk 1 --cafile root.pem junk.pem
check "junk: message" junk.err '^parley verify: junk.pem: no PEM certificate found$'
run corrupt 1 --cafile root.pem corrupt.pem
check "corrupt: message" corrupt.err '^parley verify: corrupt.pem: certificate 1 \(line 1\): bad base64$'
run bad-untrusted 1 --cafile root.pem --untrusted junk.pem chain.pem
check "bad-untrusted: message" bad-untrusted.err 'junk.pem: no PEM certificate found'
run bad-cafile 1 --cafile junk.pem chain.pem
check "bad-cafile: message" bad-cafile.err 'junk.pem'
run bad-crl 1 --cafile root.pem --crl junk.pem chain.pem
check "bad-crl: message" bad-crl.err 'junk.pem'
# --cafile and --crl: why the file is unusable, not only "cannot load".
openssl pkey -in leaf2048.key -outform DER -out key.der 2>/dev/null
mkdir -p adir
run cafile-der 1 --cafile leaf.der chain.pem
check "cafile-der: message" cafile-der.err '^parley verify: leaf.der: DER data, not PEM \(convert with: openssl x509 -inform DER'
run cafile-empty 1 --cafile empty.pem chain.pem
check "cafile-empty: message" cafile-empty.err '^parley verify: empty.pem: empty file$'
run cafile-key 1 --cafile leaf2048.key chain.pem
check "cafile-key: message" cafile-key.err '^parley verify: leaf2048.key: holds a PRIVATE KEY, not a certificate$'
run cafile-dir 1 --cafile adir chain.pem
check "cafile-dir: message" cafile-dir.err '^parley verify: adir: cannot read: Is a directory$'
run cafile-missing 1 --cafile nope.pem chain.pem
check "cafile-missing: message" cafile-missing.err '^parley verify: nope.pem: cannot open: No such file or directory$'
run crl-missing-file 1 --cafile root.pem --crl nope.crl chain.pem
check "crl-missing-file: message" crl-missing-file.err '^parley verify: nope.crl: cannot open: No such file or directory$'
run crl-empty 1 --cafile root.pem --crl empty.pem chain.pem
check "crl-empty: message" crl-empty.err '^parley verify: empty.pem: empty file$'
# A DER key is DER but not a certificate: no "openssl x509 -inform DER" hint.
run der-key 1 --cafile root.pem key.der
check "der-key: message" der-key.err '^parley verify: key.der: DER data, not PEM \(and not a DER certificate\)$'
if grep -q 'x509' der-key.err; then bad "der-key: the x509 conversion hint for a key"; else ok "der-key: no x509 hint"; fi
# "-": the chain from standard input.
"$PARLEY" verify --cafile root.pem --host leaf.test - <chain.pem >stdin.out 2>&1
rc=$?
if [ $rc -eq 0 ]; then check "stdin: - reads the chain" stdin.out '^chain: 3 certificates$' '^verify: ok$'; else bad "stdin: exit $rc"; cat stdin.out; fi
# --help: the verify usage, exit 0 (not "--help needs a value").
run help 0 --help
check "help: the verify usage" help.out '^  parley verify \[--cafile FILE\]' '--insecure-min-rsa-bits'
# The whole help: its first line carries the version (a lost comma once
# pasted the version into the format string, printing garbage).
"$PARLEY" --help >fullhelp.out 2>&1
check "parley --help: version line and verify section" fullhelp.out '^parley [0-9]+\.[0-9]+\.[0-9]+ - TLS 1.3 / TLS 1.2 client and server' '^verify options '
# Usage errors.
# An empty --host / --ip would skip the host check and exit 0.
run empty-host 1 --cafile root.pem --host '' chain.pem
check "empty-host: message" empty-host.err '^parley verify: --host needs a non-empty value$'
run empty-ip 1 --cafile root.pem --ip '' chain.pem
check "empty-ip: message" empty-ip.err '^parley verify: --ip needs a non-empty value$'
run no-file 1 --cafile root.pem
run host-and-ip 1 --host a --ip 127.0.0.1 chain.pem
run bad-ip 1 --ip not-an-ip chain.pem
run bad-purpose 1 --purpose both chain.pem
run low-min 1 --min-rsa-bits 1024 chain.pem
check "low-min: message" low-min.err 'insecure-min-rsa-bits'
run unknown-opt 1 --frobnicate chain.pem

# ---- hostile names (CN, O, SAN) from a certificate must not forge a line,
# drive the terminal, or make --json invalid UTF-8 (RFC 8259 8.1).
printf '[req]\ndistinguished_name=dn\nstring_mask=default\n[dn]\n' >t61.cnf # T61String: raw 8-bit bytes
evil() { # evil NAME SUBJ SAN [REQ_OPTS...]: NAME.pem (leaf + intermediate), issued by int.pem
    local name=$1 subj=$2 san=$3
    shift 3
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
        "$san" >"$name.ext"
    openssl req -new -key leaf2048.key -subj "$subj" -out "$name.csr" "$@" >"$name.log" 2>&1 &&
        openssl x509 -req -in "$name.csr" -CA int.pem -CAkey int.key -CAcreateserial -out "$name-leaf.pem" -days 30 \
            -extfile "$name.ext" >>"$name.log" 2>&1 || { bad "could not make $name"; cat "$name.log"; return 1; }
    cat "$name-leaf.pem" int.pem >"$name.pem"
}
E2=$(printf '\xc3\xa9') # U+00E9 in UTF-8: 2 bytes
rep() { local s="" i; for ((i = 0; i < $1; i++)); do s="$s$E2"; done; printf '%s' "$s"; }
evil nl-cn "/CN=x"$'\n'"verify: ok/O="$'\e[2J\e[31m'"red" 'DNS:leaf.test'
evil latin1-cn "/CN=caf"$'\xe9'".test" 'DNS:leaf.test' -config t61.cnf
# 60 + 62 two-byte characters: the subject line is cut at 255 bytes in the
# middle of a character.
evil long-o "/CN=a$(rep 60)/O=$(rep 62)/OU=$(rep 20)" 'DNS:leaf.test' -utf8
# (the newline last: after openssl's config escape \n the list is not split further)
printf 'DNS:leaf.test,DNS:b\xe9.test,DNS:c\x1b[31m.test,DNS:a.test\\nverify: ok' >san.txt
evil nl-san "/CN=leaf.test" "$(cat san.txt)"
# hostile_row NAME WANT_EXIT ARGS...: exit code; no line starting "verify: ok"
# unless verified, exactly one verify: line; the output valid UTF-8 with no
# control byte but newlines; --json parsed by python from bytes with the same verdict.
hostile_row() {
    local name=$1 want=$2
    shift 2
    [ -e "${@: -1}" ] || return 0 # its certificate could not be made (reported above)
    "$PARLEY" verify "$@" >"$name.out" 2>"$name.err"
    local rc=$?
    "$PARLEY" verify --json "$@" >"$name.json" 2>>"$name.err"
    local jrc=$?
    local err
    err=$(python3 - "$name.out" "$name.json" "$want" "$rc" "$jrc" <<'PY'
import json, sys
out, js, want, rc, jrc = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
errs = []
if rc != want: errs.append("exit %d, want %d" % (rc, want))
if jrc != want: errs.append("--json exit %d, want %d" % (jrc, want))
try:
    text = out.decode("utf-8")
except UnicodeDecodeError as e:
    errs.append("the output is not UTF-8: %s" % e); text = out.decode("latin-1")
bad = sorted({"%02x" % b for b in out if (b < 0x20 and b != 0x0a) or b == 0x7f})
if bad: errs.append("control bytes in the output: %s" % ",".join(bad))
lines = text.split("\n")
v = [l for l in lines if l.startswith("verify: ")]
if len(v) != 1: errs.append("%d lines start with 'verify: ' (want 1): %r" % (len(v), v))
if want != 0 and any(l.startswith("verify: ok") for l in lines): errs.append("a line starts with 'verify: ok' on a failing chain")
try:
    d = json.loads(js)
    if d.get("ok") is not (want == 0): errs.append("json ok=%r" % d.get("ok"))
    if v and d.get("verify") is None: errs.append("json has no verify")
except Exception as e:
    errs.append("--json does not parse from bytes: %s" % e)
print("; ".join(errs))
PY
)
    if [ -z "$err" ]; then ok "hostile $name"; else bad "hostile $name: $err"; head -c 2000 "$name.out" | cat -A | head -n 20; fi
}
hostile_row nl-cn-bad 2 --cafile root.pem --host other.test nl-cn.pem
hostile_row nl-cn-good 0 --cafile root.pem --host leaf.test nl-cn.pem
hostile_row latin1-cn-bad 2 --cafile root.pem --host other.test latin1-cn.pem
hostile_row latin1-cn-untrusted 2 --cafile int.pem --purpose client latin1-cn.pem
hostile_row long-o-bad 2 --cafile root.pem --host other.test long-o.pem
hostile_row long-o-good 0 --cafile root.pem --host leaf.test long-o.pem
hostile_row nl-san-bad 2 --cafile root.pem --host other.test nl-san.pem
hostile_row nl-san-good 0 --cafile root.pem --host leaf.test nl-san.pem
# The SANs shown, escaped: \x0a for the newline, \xe9 for the Latin-1 byte,
# \x1b for ESC (pl_cert_sans).
[ -e nl-san.pem ] && check "nl-san: the names escaped" nl-san-bad.out \
    '^host: FAILED \(.*its names: DNS:leaf\.test, DNS:b\\xe9\.test, DNS:c\\x1b\[31m\.test, DNS:a\.test\\x0averify: ok\)\)$'
# The client's summary and --json carry the same names (peer_cert lines).
if [ -e nl-san.pem ]; then
    PORT=$(free_port)
    start_bg s-evil.log openssl s_server -accept "127.0.0.1:$PORT" -www -cert nl-san-leaf.pem -cert_chain int.pem -key leaf2048.key
    if wait_port "$PORT"; then
        "$PARLEY" client --cafile root.pem --servername leaf.test "127.0.0.1:$PORT" >cl.out 2>cl.err
        "$PARLEY" client --cafile root.pem --servername leaf.test --json "127.0.0.1:$PORT" >cl.json 2>>cl.err
        if python3 - cl.out cl.json <<'PY'
import json, sys
out = open(sys.argv[1], "rb").read()
assert not any((b < 0x20 and b not in (0x0a, 0x0d)) or b == 0x7f for b in out), "control bytes"
out.decode("utf-8")
assert sum(1 for l in out.split(b"\n") if l.startswith(b"verify: ")) == 1, "verify: lines"
assert b"san=DNS:leaf.test, DNS:b\\xe9.test, DNS:c\\x1b[31m.test, DNS:a.test\\x0averify: ok" in out, "the SAN not escaped"
d = json.loads(open(sys.argv[2], "rb").read())
assert d["ok"] is True and d["verify"] == "ok"
PY
        then ok "client: hostile SANs escaped in the summary, --json valid"; else bad "client with hostile SANs"; cat -A cl.out | head -n 30; fi
    else bad "openssl s_server with the hostile certificate did not start"; cat s-evil.log; fi
    stop_bg "$LAST_PID"
    PORT=$(free_port)
    start_bg s-evil2.log openssl s_server -accept "127.0.0.1:$PORT" -www -cert latin1-cn-leaf.pem -cert_chain int.pem -key leaf2048.key
    if wait_port "$PORT"; then
        "$PARLEY" client --cafile root.pem --servername leaf.test --json "127.0.0.1:$PORT" >cl2.json 2>cl2.err
        if python3 -c 'import json,sys; d=json.loads(open("cl2.json","rb").read()); assert d["ok"] is True and len(d["peer_chain"]) == 2'; then
            ok "client --json with a Latin-1 (T61String) CN: valid JSON"
        else bad "client --json with a Latin-1 CN"; cat -A cl2.json | head -c 1500; fi
    else bad "openssl s_server with the Latin-1 certificate did not start"; cat s-evil2.log; fi
    stop_bg "$LAST_PID"
fi
finish
