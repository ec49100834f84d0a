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
    '^trust: ok \(reached trust anchor: CN = Root CA\)' '^host: ok \(leaf.test matched' '^usage: ok \(.*serverAuth' '^constraints: ok ' \
    '^revocation: skipped \(no CRL given\)' '^verify: ok$'
run ip 0 --cafile root.pem --ip 127.0.0.1 chain.pem
run untrusted 0 --cafile root.pem --untrusted int.pem --host leaf.test leaf2048.pem
run no-intermediate 2 --cafile root.pem leaf2048.pem
check "no-intermediate: reason" no-intermediate.out '^trust: FAILED' '^verify: certificate for leaf.test was issued by /CN=Intermediate CA, which is not a trusted CA$'
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
# Usage errors.
run no-file 1 --cafile root.pem
run host-and-ip 1 --host a --ip 127.0.0.1 chain.pem
run bad-ip 1 --ip not-an-ip chain.pem
run bad-purpose 1 --purpose both chain.pem
run low-min 1 --min-rsa-bits 1024 chain.pem
check "low-min: message" low-min.err 'insecure-min-rsa-bits'
run unknown-opt 1 --frobnicate chain.pem
finish
