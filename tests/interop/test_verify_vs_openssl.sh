#!/usr/bin/env bash
# `parley verify` against `openssl verify` on the chains make_chains.sh makes:
# good chains (RSA-2048 via an intermediate, P-256, P-384, Ed25519, an IP
# SAN, a SHA-1 self-signed root, a clientAuth leaf as a client) and chains bad
# for exactly one reason each (expired, not yet valid, wrong host, untrusted
# root, RSA-1024 leaf, SHA-1-signed intermediate, MD5-signed leaf, revoked by
# a CRL, an intermediate revoked by the root's CRL, path length exceeded,
# name constraints violated, wrong EKU). The CNs are neutral (leafN, Test
# Intermediate N) and each reason is matched as the sentence the library
# writes, so a reason check cannot pass on a CN that holds the keyword.
#
# For each chain: OpenSSL must fail for the reason the chain was made for (its
# error string is checked, so a chain broken by accident is caught), Parley
# must give the same verdict with exit 0/2, name the reason in its `verify:`
# line, mark the right one of its seven check lines FAILED, and say the same in
# --json. Then --untrusted, --at-time, --max-chain-depth, the key-size options,
# and the input errors (exit 1 naming the file, never a signal).
#
# VERIFY_OPENSSL_ONLY=1 checks the chain set against OpenSSL alone:
#   VERIFY_OPENSSL_ONLY=1 bash test_verify_vs_openssl.sh PARLEY BUILD_DIR
source "$(dirname "$0")/lib.sh" "$@"
C=$WORK/chains
bash "$HERE/make_chains.sh" "$C" >"$WORK/make.log" 2>&1 || { cat "$WORK/make.log"; exit 1; }
CA=$C/cafile.pem
CRLS=(--crl "$C/root.crl" --crl "$C/inter.crl")
ONLY_OPENSSL=${VERIFY_OPENSSL_ONLY:-0}
if [ "$ONLY_OPENSSL" != 1 ] && ! "$PARLEY" --help 2>&1 | grep -q 'verify'; then
    bad "parley has no verify subcommand"
fi
CHECKS=(dates signatures trust host usage constraints revocation)

# ossl_args PARLEY_OPTS...: the same request for `openssl verify`.
#  -auth_level 2: `openssl verify` by default applies no security level to the
#  chain (auth_level -1: an RSA-1024 leaf and a SHA-1-signed intermediate both
#  pass). Level 2 is what Debian's OpenSSL applies to TLS (SECLEVEL=2 in
#  /etc/ssl/openssl.cnf): every key and every signature of the chain must
#  offer at least 112 bits of security (RSA and DSA >= 2048 bits, EC >= 224
#  bits, no MD5 or SHA-1 signatures; the trust anchor's self-signature is not
#  checked). That is Parley's default policy, but for the curves (only P-256,
#  P-384, P-521) and DSA, which Parley refuses outright (the "stricter" rows).
#  --min-rsa-bits 3072 maps to level 3 (128 bits: RSA >= 3072) and
#  --insecure-min-rsa-bits 1024 to level 1 (80 bits: RSA >= 1024, still no
#  SHA-1 in OpenSSL 3.0).
ossl_args() {
    OA=(-CAfile "$CA" -auth_level 2)
    local purpose=sslserver bits
    while [ $# -gt 0 ]; do
        case $1 in
        --host) OA+=(-verify_hostname "$2") ;;
        --ip) OA+=(-verify_ip "$2") ;;
        --purpose) purpose=ssl$2 ;;
        --crl) OA+=(-crl_check_all -CRLfile "$2") ;;
        --untrusted) OA+=(-untrusted "$2") ;;
        --at-time) OA+=(-attime "$2") ;;
        --max-chain-depth) OA+=(-verify_depth "$2") ;;
        --min-rsa-bits | --insecure-min-rsa-bits)
            bits=$2
            if [ "$bits" -le 1024 ]; then OA+=(-auth_level 1); elif [ "$bits" -le 2048 ]; then OA+=(-auth_level 2);
            elif [ "$bits" -le 3072 ]; then OA+=(-auth_level 3); else OA+=(-auth_level 4); fi ;;
        *) echo "ossl_args: unknown option $1"; exit 1 ;;
        esac
        shift 2
    done
    OA+=(-purpose "$purpose")
}

# row NAME EXPECT CHECK OSSL_RE PARLEY_RE CERT [PARLEY_OPTS...]
#  EXPECT: ok | bad | stricter (OpenSSL accepts, Parley's policy refuses)
#  CHECK: the check line that must say FAILED ("-" for none)
#  OSSL_RE: what `openssl verify` must print; PARLEY_RE: what the verify: line must hold
row() {
    local name=$1 expect=$2 chk=$3 ore=$4 pre=$5 cert=$6
    shift 6
    ossl_args "$@"
    local o=$WORK/$name.openssl p=$WORK/$name.parley j=$WORK/$name.json
    # The chain file's intermediates: openssl verify reads only the first
    # certificate of CERT, so the whole file is also given as untrusted.
    openssl verify "${OA[@]}" -untrusted "$cert" "$cert" >"$o" 2>&1
    local orc=$? ov=ok
    [ $orc -eq 0 ] || ov=bad
    local want_ov=ok
    [ "$expect" = bad ] && want_ov=bad
    if [ "$ov" != "$want_ov" ] || ! grep -Eq -- "$ore" "$o"; then
        bad "$name: openssl verify says $ov, expected $want_ov matching '$ore'"
        sed 's/^/    openssl: /' "$o"
        return
    fi
    # One reason: a bad chain gets exactly one error line. (openssl verify
    # goes on after some errors, e.g. expiry and path length, and would print
    # the next one; for the others the controls below remove the reason.)
    if [ "$ov" = bad ] && [ "$(grep -Ec '^error [0-9]+ at' "$o")" -ne 1 ]; then
        bad "$name: openssl verify reports more than one error"
        sed 's/^/    openssl: /' "$o"
        return
    fi
    local oreason
    oreason=$(grep -Eo 'error [0-9]+ at [0-9]+ depth lookup: .*' "$o" | head -1)
    if [ "$ONLY_OPENSSL" = 1 ]; then
        ok "$(printf '%-22s openssl=%-4s %s' "$name" "$ov" "${oreason:-OK}")"
        return
    fi
    timeout 20 "$PARLEY" verify --cafile "$CA" "$@" "$cert" >"$p" 2>"$p.err"
    local prc=$? pv=bad
    local vline
    vline=$(grep -E '^verify: ' "$p" | tail -n 1)
    echo "$vline" | grep -Eq '^verify: ok( |$)' && pv=ok
    printf '  %-22s openssl=%-4s parley=%-4s %s\n' "$name" "$ov" "$pv" "${vline:-(no verify: line)}"
    local errs=()
    if [ $prc -ge 128 ] || [ $prc -eq 124 ]; then errs+=("exit $prc (signal or timeout)"); fi
    if [ "$pv" = ok ] && [ $prc -ne 0 ]; then errs+=("verify: ok but exit $prc"); fi
    if [ "$pv" = bad ] && [ $prc -ne 2 ]; then errs+=("not verified but exit $prc (want 2)"); fi
    if [ "$expect" = stricter ]; then
        [ "$pv" = bad ] || errs+=("Parley's policy should refuse this chain")
    elif [ "$pv" != "$ov" ]; then
        errs+=("DISAGREE: openssl $ov (${oreason:-OK}), parley $pv")
    fi
    if [ "$pv" = bad ] && ! echo "$vline" | grep -Eq -- "$pre"; then errs+=("the reason does not match '$pre'"); fi
    grep -Eq '^chain: [0-9]+ certificates?' "$p" || errs+=("no 'chain: N certificates' line")
    local c
    for c in "${CHECKS[@]}"; do
        grep -Eq "^$c: (ok|FAILED|skipped|not checked)( |$)" "$p" || errs+=("no '$c:' check line")
    done
    if [ "$chk" != - ]; then
        grep -Eq "^$chk: FAILED" "$p" || errs+=("'$chk:' is not FAILED")
    fi
    if [ "$pv" = ok ] && grep -Eq '^[a-z]+: FAILED' "$p"; then errs+=("verify: ok with a FAILED check"); fi
    # --json: parses, and says what the human output says.
    timeout 20 "$PARLEY" verify --cafile "$CA" "$@" --json "$cert" >"$j" 2>"$j.err"
    local jrc=$?
    [ $jrc -eq $prc ] || errs+=("--json exits $jrc, the human output $prc")
    local jerr
    jerr=$(python3 - "$j" "$p" <<'PY'
import json, re, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception as e:
    print("--json does not parse: %s" % e); sys.exit()
human = open(sys.argv[2]).read().splitlines()
vline = [l for l in human if l.startswith("verify: ")]
reason = vline[-1][len("verify: "):] if vline else None
out = []
if doc.get("verify") != reason:
    out.append("json verify %r, human %r" % (doc.get("verify"), reason))
if doc.get("ok") is not (reason is not None and re.match(r"ok( |$)", reason) is not None):
    out.append("json ok=%r disagrees with the human verdict" % doc.get("ok"))
if not isinstance(doc.get("chain"), list) or not doc["chain"]:
    out.append("json has no chain")
checks = doc.get("checks", {})
for name in ("dates", "signatures", "trust", "host", "usage", "constraints", "revocation"):
    line = [l for l in human if l.startswith(name + ": ")]
    hv = re.match(r"(ok|FAILED|skipped|not checked)", line[0][len(name) + 2:]).group(1) if line else None
    jv = checks.get(name, {}).get("verdict")
    if jv is None or hv is None or jv.lower() != hv.lower():
        out.append("check %s: json %r, human %r" % (name, jv, hv))
print("; ".join(out))
PY
)
    [ -z "$jerr" ] || errs+=("$jerr")
    if [ ${#errs[@]} -eq 0 ]; then
        ok "$name"
    else
        bad "$name: $(printf '%s; ' "${errs[@]}")"
        sed 's/^/    parley: /' "$p" "$p.err"
        sed 's/^/    openssl: /' "$o"
    fi
}

echo "# name                   openssl      parley      parley's verify: line"
# ---- good chains
row good-rsa ok - ': OK$' '' "$C/good-rsa.pem" --host good-rsa.example.com
row good-rsa-crl ok - ': OK$' '' "$C/good-rsa.pem" --host good-rsa.example.com "${CRLS[@]}"
row good-p256 ok - ': OK$' '' "$C/good-p256.pem" --host good-p256.example.com
row good-p384 ok - ': OK$' '' "$C/good-p384.pem" --host good-p384.example.com
row good-ed25519 ok - ': OK$' '' "$C/good-ed25519.pem" --host good-ed25519.example.com
row good-ip ok - ': OK$' '' "$C/good-ip.pem" --ip 192.0.2.10
row good-no-host ok - ': OK$' '' "$C/good-p256.pem"
# A trust anchor's own signature is not checked (RFC 5280 6.1.1 (d): the
# anchor is its name and key), so a SHA-1 self-signature does not matter.
row good-sha1root ok - ': OK$' '' "$C/good-sha1root.pem" --host good-sha1root.example.com
row good-client ok - ': OK$' '' "$C/good-client.pem" --purpose client
row good-pathlen0 ok - ': OK$' '' "$C/good-pl0.pem" --host good-pl0.example.com
row good-nameconstraints ok - ': OK$' '' "$C/good-nc.pem" --host good-nc.example.com
# ---- bad chains, one reason each
row expired bad dates 'certificate has expired' 'certificate for leaf[0-9]+\.example\.com expired on [0-9]{4}-' "$C/expired.pem" --host expired.example.com
row notyet bad dates 'certificate is not yet valid' 'is not valid until [0-9]{4}-' "$C/notyet.pem" --host notyet.example.com
row wronghost bad host 'hostname mismatch' 'does not match host name other\.example\.net$' "$C/wronghost.pem" --host other.example.net
row wrong-ip bad host 'IP address mismatch' 'does not match (host name|IP address) 192\.0\.2\.11$' "$C/good-ip.pem" --ip 192.0.2.11
row untrusted bad trust 'unable to get local issuer certificate' 'was issued by /CN=Test Root 4, which is neither a trusted CA nor among the certificates sent \(a missing intermediate\?\)$' "$C/untrusted.pem" --host untrusted.example.com
# The same with its (untrusted) root sent along.
cat "$C/untrusted.pem" "$C/otherroot.pem" >"$C/untrusted-root-sent.pem"
row untrusted-root-sent bad trust 'self-signed certificate in certificate chain' 'certificate for leaf[0-9]+\.example\.com chains to /CN=Test Root 4, a root that is not trusted$' \
    "$C/untrusted-root-sent.pem" --host untrusted.example.com
row rsa1024 bad signatures 'EE certificate key too weak' 'has an RSA key of 1024 bits; at least 2048 are required$' "$C/rsa1024.pem" --host rsa1024.example.com
row sha1-intermediate bad signatures 'error 68 at 1 depth.*CA signature digest algorithm too weak' \
    'certificate for Test Intermediate 3 is signed with sha1WithRSAEncryption \(SHA-1\), which is refused$' "$C/sha1.pem" --host sha1.example.com
if [ -e "$C/MD5_SKIPPED" ]; then
    echo "# md5: skipped: $(cat "$C/MD5_SKIPPED")"
else
    row md5 bad signatures 'error 68 at 0 depth.*CA signature digest algorithm too weak' \
        'is signed with md5WithRSAEncryption \(MD5\), which is refused$' "$C/md5.pem" --host md5.example.com
fi
row revoked bad revocation 'error 23 at 0 depth.*certificate revoked' 'certificate for leaf[0-9]+\.example\.com was revoked on [0-9]{4}-' "$C/revoked.pem" --host revoked.example.com "${CRLS[@]}"
# The root's CRL revokes the intermediate (the leaf is fine): every CA of the
# path is checked, not only the leaf (RFC 5280 6.3).
row revoked-intermediate bad revocation 'error 23 at 1 depth.*certificate revoked' \
    'certificate for Test Intermediate 7 was revoked on [0-9]{4}-' "$C/revinter.pem" --host revinter.example.com \
    --crl "$C/root.crl" --crl "$C/inter7.crl"
row pathlen bad constraints 'path length constraint exceeded' 'longer than the path length constraint of Test Intermediate 4 allows$' "$C/pathlen.pem" --host pathlen.example.com
row nameconstraints bad constraints 'permitted subtree violation' 'violates the name constraints of an issuing CA$' "$C/nameconstraints.pem" --host nameconstraints.example.org
row wrongeku bad usage 'unsuitable certificate purpose' 'is not allowed for TLS server authentication' "$C/wrongeku.pem" --host wrongeku.example.com
# ---- host names (RFC 6125 6.4.3): a wildcard is one whole left-most label
row wildcard ok - ': OK$' '' "$C/wildcard.pem" --host www.wild.example.com
row wildcard-two-labels bad host 'hostname mismatch' 'does not match host name a\.b\.wild\.example\.com$' "$C/wildcard.pem" --host a.b.wild.example.com
row wildcard-no-label bad host 'hostname mismatch' 'does not match host name wild\.example\.com$' "$C/wildcard.pem" --host wild.example.com
# ---- controls: each bad chain above with its one reason taken away passes
row wronghost-no-host ok - ': OK$' '' "$C/wronghost.pem"
row revoked-no-crl ok - ': OK$' '' "$C/revoked.pem" --host revoked.example.com
row revoked-intermediate-no-crl ok - ': OK$' '' "$C/revinter.pem" --host revinter.example.com
row wrongeku-as-client ok - ': OK$' '' "$C/wrongeku.pem" --purpose client
# (OpenSSL only: Parley has no switch for these, by design)
control() { # control NAME CERT OPENSSL_ARGS...: openssl verify must say OK
    local name=$1 cert=$2
    shift 2
    if openssl verify -purpose sslserver "$@" -untrusted "$cert" "$cert" >"$WORK/ctl.log" 2>&1; then
        ok "control $name: openssl verify OK"
    else
        bad "control $name: openssl verify fails"; cat "$WORK/ctl.log"
    fi
}
control untrusted-with-its-root "$C/untrusted.pem" -CAfile "$CA" -CAfile "$C/otherroot.pem" -auth_level 2
control sha1-at-level-0 "$C/sha1.pem" -CAfile "$CA" -auth_level 0
[ -e "$C/MD5_SKIPPED" ] || control md5-at-level-0 "$C/md5.pem" -CAfile "$CA" -auth_level 0
# (the expired, not-yet-valid and RSA-1024 chains pass in the --at-time and
# --insecure-min-rsa-bits rows below)

# ---- Parley's policy is stricter than OpenSSL's level 2 here (issue #16)
row secp256k1 stricter signatures ': OK$' 'has an EC key on curve secp256k1; only P-256' "$C/secp256k1.pem" --host secp256k1.example.com
row dsa stricter signatures ': OK$' 'has a DSA 2048 key, which is refused' "$C/dsa.pem" --host dsa.example.com
# RFC 6125 6.4.3 allows refusing partial-label wildcards (OpenSSL takes
# them); 6.4.4 and RFC 9525 6.3: Parley matches subjectAltName only, never the
# CN (OpenSSL falls back to the CN when there is no DNS name).
row partial-wildcard stricter host ': OK$' 'does not match host name www\.wild\.example\.com$' "$C/partialwild.pem" --host www.wild.example.com
row cn-only stricter host ': OK$' 'does not match host name cnonly\.example\.com$' "$C/cnonly.pem" --host cnonly.example.com
row sha1-crl stricter revocation ': OK$' 'the CRL from /CN=Test Intermediate 1 is signed with sha1WithRSAEncryption \(SHA-1\), which is refused' "$C/good-rsa.pem" --host good-rsa.example.com \
    --crl "$C/root.crl" --crl "$C/inter-sha1.crl"
# ---- the intermediate given separately; no intermediate at all
row untrusted-opt ok - ': OK$' '' "$C/good-rsa-leaf.pem" --untrusted "$C/inter.pem" --host good-rsa.example.com
row leaf-alone bad trust 'unable to get local issuer certificate' 'was issued by /CN=Test Intermediate 1, which is neither a trusted CA nor among the certificates sent \(a missing intermediate\?\)$' "$C/good-rsa-leaf.pem" --host good-rsa.example.com
# ---- --at-time: inside and outside a certificate's validity
row at-time-expired-inside ok - ': OK$' '' "$C/expired.pem" --at-time "$(date -d 2020-12-01Z +%s)"
row at-time-notyet-inside ok - ': OK$' '' "$C/notyet.pem" --at-time "$(date -u -d '+10 years +180 days' +%s)"
row at-time-after bad dates 'certificate has expired' 'expired on [0-9]{4}-' "$C/good-p256.pem" --at-time "$(($(date +%s) + 400 * 86400))"
row at-time-before bad dates 'certificate is not yet valid' 'is not valid until [0-9]{4}-' "$C/good-p256.pem" --at-time "$(($(date +%s) - 86400))"
# ---- depth and key-size options
row depth-1 ok - ': OK$' '' "$C/good-rsa.pem" --max-chain-depth 1
row depth-0 bad constraints 'certificate chain too long' 'longer than the configured maximum depth of 0$' "$C/good-rsa.pem" --max-chain-depth 0
row min-rsa-3072 bad signatures 'EE certificate key too weak' 'has an RSA key of 2048 bits; at least 3072 are required$' "$C/good-rsa.pem" --min-rsa-bits 3072
row insecure-rsa-1024 ok - ': OK$' '' "$C/rsa1024.pem" --host rsa1024.example.com --insecure-min-rsa-bits 1024
if [ "$ONLY_OPENSSL" != 1 ]; then
    # ... loudly: a warning naming the key in the output and in --json.
    check "insecure-rsa-1024 warns" "$WORK/insecure-rsa-1024.parley" '^warning: .*1024 bits.*insecure'
    check "insecure-rsa-1024 warns (--json)" "$WORK/insecure-rsa-1024.json" '"warning": ?"warning: [^"]*1024'
fi

# ---- unusable input: exit 1, the file named on stderr, no signal
if [ "$ONLY_OPENSSL" != 1 ]; then
    E=$WORK/in
    mkdir -p "$E"
    printf -- '-----BEGIN CERTIFICATE-----\nThis is not base64 at all!\n-----END CERTIFICATE-----\n' >"$E/garbage.pem"
    head -c 300 /dev/urandom | base64 | sed '1i-----BEGIN CERTIFICATE-----' | sed '$a-----END CERTIFICATE-----' >"$E/notder.pem"
    printf 'hello, I am a text file\n' >"$E/text.pem"
    openssl x509 -in "$C/good-p256-leaf.pem" -outform DER -out "$E/leaf.der"
    : >"$E/empty.pem"
    cp "$C/good-p256.key" "$E/key.pem"
    head -n 8 "$C/good-p256-leaf.pem" >"$E/truncated.pem"
    input_error() { # input_error NAME FILE_REGEX MSG_REGEX PARLEY_ARGS...
        local name=$1 fre=$2 mre=$3
        shift 3
        timeout 20 "$PARLEY" verify "$@" >"$WORK/ie.out" 2>"$WORK/ie.err"
        local rc=$?
        printf '  %-22s exit %s: %s\n' "$name" "$rc" "$(head -c 200 "$WORK/ie.err" | head -n 1)"
        if [ $rc -ne 1 ]; then bad "input $name: exit $rc, want 1"; cat "$WORK/ie.out" "$WORK/ie.err"
        elif ! grep -Eq -- "$fre" "$WORK/ie.err"; then bad "input $name: the message does not name the file"; cat "$WORK/ie.err"
        elif ! grep -Eiq -- "$mre" "$WORK/ie.err"; then bad "input $name: the message does not match '$mre'"; cat "$WORK/ie.err"
        else ok "input $name"; fi
    }
    input_error garbage-pem 'garbage\.pem' 'PEM|base64|certificate' --cafile "$CA" "$E/garbage.pem"
    input_error not-der-in-pem 'notder\.pem' 'certificate|DER|parse|not' --cafile "$CA" "$E/notder.pem"
    input_error text-file 'text\.pem' 'no PEM certificate' --cafile "$CA" "$E/text.pem"
    input_error der-file 'leaf\.der' 'DER' --cafile "$CA" "$E/leaf.der"
    input_error empty-file 'empty\.pem' 'empty' --cafile "$CA" "$E/empty.pem"
    input_error key-file 'key\.pem' 'PRIVATE KEY|key' --cafile "$CA" "$E/key.pem"
    input_error truncated-pem 'truncated\.pem' 'PEM|END|certificate|truncated' --cafile "$CA" "$E/truncated.pem"
    input_error missing-file 'missing\.pem' 'No such file' --cafile "$CA" "$E/missing.pem"
    input_error missing-cafile 'nocafile\.pem' 'No such file|cannot|load' --cafile "$E/nocafile.pem" "$C/good-p256.pem"
    input_error garbage-crl 'garbage\.pem' 'CRL' --cafile "$CA" --crl "$E/garbage.pem" "$C/good-p256.pem"
    input_error untrusted-der 'leaf\.der' 'DER' --cafile "$CA" --untrusted "$E/leaf.der" "$C/good-p256.pem"
    input_error no-cert-arg '.' 'usage|certificate|CERT' --cafile "$CA"
    input_error bad-purpose '.' 'purpose' --cafile "$CA" --purpose sometimes "$C/good-p256.pem"
    input_error min-rsa-below-2048 '.' 'insecure-min-rsa-bits' --cafile "$CA" --min-rsa-bits 1024 "$C/rsa1024.pem"
    input_error insecure-below-1024 '.' '1024' --cafile "$CA" --insecure-min-rsa-bits 512 "$C/rsa1024.pem"
    input_error host-and-ip '.' 'host.*ip|exclude' --cafile "$CA" --host good-ip.example.com --ip 192.0.2.10 "$C/good-ip.pem"
    input_error bad-at-time '.' 'at-time' --cafile "$CA" --at-time yesterday "$C/good-p256.pem"
fi
finish
