#!/usr/bin/env bash
# x509_pki.sh DIR - certificates, CRLs and OCSP responses for ocsp_test.c and
# key_usage_test.c, made with the openssl command line (openssl req / ca /
# x509 / ocsp) into DIR.
#
#   a.pem         CA "Parley OCSP CA" (key a.key), the only trust anchor
#   a2.pem        the same name re-keyed (key a2.key), cross-signed by a.pem
#   good.pem      localhost (key good.key) issued by A, good in A's index; chain good+A
#   rekeyed.pem   localhost (key rekeyed.key) issued by A, REVOKED in A's index;
#                 chain [leaf, A2, A] as a peer would send it. A2's own index
#                 says the same serial is good.
#   Responses (DER) for rekeyed: a2-good.der (signed by A2, CertID under A2),
#     a2resp-good.der (A2's delegated responder), a-revoked.der (signed by A).
#   Responses for good: rogue.der (self-signed unrelated key with
#     OCSPSigning), noeku.der (issued by A without OCSPSigning),
#     deleg.der (issued by A with OCSPSigning), noupd.der (by A, no
#     nextUpdate), expiring.der (responder valid until now+2h), future.der
#     (responder valid from now+1h), all with nextUpdate now+1 day except noupd.
#   a.crl         A's CRL (rekeyed revoked now), nextUpdate now+1 day.
#   a2.crl        A2's CRL (same issuer name; rekeyed's serial revoked on
#                 2020-01-01), nextUpdate now+30 days. Both carry an
#                 authorityKeyIdentifier, so libcrypto uses A's for the leaf.
#   kuagree.pem   EC localhost (+ A), keyUsage keyAgreement only, server and client auth
#   rsaenc.pem    RSA localhost (+ A), keyUsage keyEncipherment only
#   rsasig.pem    RSA localhost (+ A), keyUsage digitalSignature only
#   now.txt       the time (UNIX seconds) the set was made.
set -eu
D=$1
cd "$D"
now=$(date -u +%s)
echo "$now" >now.txt
stamp() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }
export OPENSSL_CONF="$D/ocsp.cnf"
mkdir -p ca/new
: >ca/index.txt
echo 1000 >ca/serial
cat >ocsp.cnf <<EOF
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = ca_a
[ ca_a ]
database = $D/ca/index.txt
new_certs_dir = $D/ca/new
serial = $D/ca/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
crl_extensions = crl_ext
[ ca_a2 ]
database = $D/a2-crl-index.txt
new_certs_dir = $D/ca/new
serial = $D/ca/serial
default_md = sha256
policy = any
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid
[ any ]
commonName = supplied
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[ v3_subca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_leaf ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_ocsp ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_kuagree ]
basicConstraints = CA:FALSE
keyUsage = critical, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost
[ v3_rsaenc ]
basicConstraints = CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
[ v3_rsasig ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
[ v3_noeku ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
rsakey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null; }
csr() { openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"; }
# issue NAME SUBJECT EXTENSIONS START END [KEYGEN]: signed by A through openssl ca (so A's index knows it)
issue() {
    ${6:-key} "$1"
    csr "$1" "$2"
    openssl ca -batch -notext -cert a.pem -keyfile a.key -in "$1.csr" -out "$1.pem" -extensions "$3" \
        -startdate "$(stamp "$4")" -enddate "$(stamp "$5")" 2>/dev/null
}

key a
openssl req -x509 -new -key a.key -subj "/CN=Parley OCSP CA" -days 30 -extensions v3_root -out a.pem
issue good "/CN=localhost" v3_leaf $((now - 3600)) $((now + 30 * 86400))
issue rekeyed "/CN=localhost" v3_leaf $((now - 3600)) $((now + 30 * 86400))
issue a2 "/CN=Parley OCSP CA" v3_subca $((now - 3600)) $((now + 30 * 86400))
issue deleg "/CN=Parley OCSP Responder" v3_ocsp $((now - 3600)) $((now + 30 * 86400))
issue noeku "/CN=Parley Not A Responder" v3_noeku $((now - 3600)) $((now + 30 * 86400))
issue expiring "/CN=Parley Expiring Responder" v3_ocsp $((now - 86400)) $((now + 2 * 3600))
issue future "/CN=Parley Future Responder" v3_ocsp $((now + 3600)) $((now + 86400))
issue kuagree "/CN=localhost" v3_kuagree $((now - 3600)) $((now + 30 * 86400))
issue rsaenc "/CN=localhost" v3_rsaenc $((now - 3600)) $((now + 30 * 86400)) rsakey
issue rsasig "/CN=localhost" v3_rsasig $((now - 3600)) $((now + 30 * 86400)) rsakey
for f in kuagree rsaenc rsasig; do cat "$f.pem" a.pem >"$f-chain.pem" && mv "$f-chain.pem" "$f.pem"; done
openssl ca -batch -cert a.pem -keyfile a.key -revoke rekeyed.pem 2>/dev/null
cat good.pem a.pem >good-chain.pem && mv good-chain.pem good.pem
cat rekeyed.pem a2.pem a.pem >rekeyed-chain.pem && mv rekeyed-chain.pem rekeyed.pem

# A2's responder: its own index says the revoked leaf's serial is good.
serial=$(openssl x509 -in rekeyed.pem -noout -serial | cut -d= -f2)
printf 'V\t%s\t\t%s\tunknown\t/CN=localhost\n' "$(date -u -d "@$((now + 30 * 86400))" +%y%m%d%H%M%SZ)" "$serial" >a2-index.txt
printf 'R\t%s\t200101000000Z\t%s\tunknown\t/CN=localhost\n' "$(date -u -d "@$((now + 30 * 86400))" +%y%m%d%H%M%SZ)" "$serial" \
    >a2-crl-index.txt
openssl ca -gencrl -cert a.pem -keyfile a.key -crldays 1 -out a.crl 2>/dev/null
openssl ca -gencrl -name ca_a2 -cert a2.pem -keyfile a2.key -crldays 30 -out a2.crl 2>/dev/null
key a2resp
csr a2resp "/CN=Parley OCSP CA Responder"
openssl x509 -req -in a2resp.csr -CA a2.pem -CAkey a2.key -set_serial 0x2001 -days 30 -extfile ocsp.cnf \
    -extensions v3_ocsp -out a2resp.pem 2>/dev/null
key rogue
openssl req -x509 -new -key rogue.key -subj "/CN=Parley OCSP CA" -days 30 -extensions v3_ocsp -out rogue.pem

# resp ISSUER CERT INDEX SIGNER OUT [extra openssl ocsp options]
resp() {
    local issuer=$1 cert=$2 index=$3 signer=$4 out=$5
    shift 5
    openssl ocsp -issuer "$issuer" -cert "$cert" -reqout "$out.req" -no_nonce >/dev/null 2>&1
    openssl ocsp -index "$index" -CA "$issuer" -rsigner "$signer.pem" -rkey "$signer.key" -reqin "$out.req" \
        -respout "$out" "$@" >/dev/null 2>&1
    rm -f "$out.req"
}
resp a2.pem rekeyed.pem a2-index.txt a2 a2-good.der -ndays 1
resp a2.pem rekeyed.pem a2-index.txt a2resp a2resp-good.der -ndays 1
resp a.pem rekeyed.pem ca/index.txt a a-revoked.der -ndays 1
resp a.pem good.pem ca/index.txt rogue rogue.der -ndays 1
resp a.pem good.pem ca/index.txt noeku noeku.der -ndays 1
resp a.pem good.pem ca/index.txt deleg deleg.der -ndays 1
resp a.pem good.pem ca/index.txt a noupd.der
resp a.pem good.pem ca/index.txt expiring expiring.der -ndays 1
resp a.pem good.pem ca/index.txt future future.der -ndays 1
for f in a.crl a2.crl; do test -s "$f" || { echo "ocsp_pki.sh: $f was not made" >&2; exit 1; }; done
for f in a2-good a2resp-good a-revoked rogue noeku deleg noupd expiring future; do
    test -s "$f.der" || { echo "ocsp_pki.sh: $f.der was not made" >&2; exit 1; }
done
