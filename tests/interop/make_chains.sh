#!/usr/bin/env bash
# make_chains.sh DIR - a set of certificate chains for `parley verify` and
# `openssl verify` (test_verify_vs_openssl.sh), made with the openssl CLI only.
#
# Every CA is signed with `openssl ca` (also the roots, with -selfsign) so that
# each certificate's dates are explicit: the CAs run 2020-01-01..2045-01-01,
# the good leaves from now for 365 days. Each bad chain is bad for exactly one
# reason; everything else about it (dates, host, key usage, EKU, CA flags,
# signature algorithms) is as in the good chains.
#
# In DIR afterwards:
#   cafile.pem            the trusted roots (root, root384, sha1root)
#   root.crl, inter.crl   the CRLs of the root (revoking only inter7) and of the
#                         intermediate (only the revoked leaf), for -crl_check_all
#   inter7.crl            the empty CRL of inter7 (issuer of revinter.pem)
#   inter-sha1.crl        inter.crl signed with SHA-1
#   <name>.pem            a leaf followed by its intermediates (a server's chain file)
#   <name>-leaf.pem       the leaf alone
#   inter.pem             the intermediate that issues most leaves
#   MD5_SKIPPED           exists when this openssl could not make an MD5-signed leaf
set -eu
D=${1:?usage: make_chains.sh DIR}
mkdir -p "$D"
cd "$D"

# The extensions of each kind of certificate. keyUsage: a CA signs
# certificates and CRLs (RFC 5280 4.2.1.3); an end entity signs (TLS 1.3,
# ECDHE) and, for RSA, may encipher (TLS 1.2 RSA key transport).
cat >ext.cnf <<'EOF'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_pathlen0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_constrained]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;DNS:example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server_ec]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server_ec_nosan]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client_ec]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = $ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
export SAN=DNS:unused.example.com # referenced by every section when the file is read

# ca_setup NAME: an `openssl ca` directory for the CA NAME (key NAME.key).
ca_setup() {
    local c=ca-$1
    mkdir -p "$c/new"
    : >"$c/index.txt"
    echo 1000 >"$c/serial"
    echo 1000 >"$c/crlnumber"
    cat >"$c/ca.cnf" <<EOF
[ca]
default_ca = this
[this]
dir = $D/$c
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
EOF
}

# newkey NAME ALG: a private key (rsa:BITS, ec:CURVE, ed25519, dsa:BITS).
newkey() {
    case $2 in
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$1.key" 2>/dev/null ;;
    ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2#ec:}" -out "$1.key" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
    dsa:*)
        openssl genpkey -genparam -algorithm DSA -pkeyopt "dsa_paramgen_bits:${2#dsa:}" -out "$1.param" 2>/dev/null
        openssl genpkey -paramfile "$1.param" -out "$1.key"
        ;;
    esac
}

# issue NAME SUBJECT_CN ISSUER SECTION [OPTS...]: NAME.pem from a new CSR,
# signed by ISSUER (a CA set up with ca_setup; "self" for a root). OPTS go to
# `openssl ca` (-md, -startdate/-enddate).
issue() {
    local name=$1 cn=$2 issuer=$3 sect=$4
    shift 4
    openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
    local opts=("$@") # default_days in ca.cnf unless OPTS set dates
    if [ "$issuer" = self ]; then
        ca_setup "$name"
        openssl ca -batch -config "ca-$name/ca.cnf" -selfsign -keyfile "$name.key" -in "$name.csr" -out "$name.pem" \
            -notext -extfile ext.cnf -extensions "$sect" "${opts[@]}" >"$name.log" 2>&1
    else
        openssl ca -batch -config "ca-$issuer/ca.cnf" -cert "$issuer.pem" -keyfile "$issuer.key" -in "$name.csr" \
            -out "$name.pem" -notext -extfile ext.cnf -extensions "$sect" "${opts[@]}" >"$name.log" 2>&1
    fi || { echo "make_chains.sh: could not make $name:"; cat "$name.log"; return 1; }
}
CA_DATES=(-startdate 20200101000000Z -enddate 20450101000000Z)

# ---- the CAs
newkey root rsa:2048
issue root "Test Root 1" self root "${CA_DATES[@]}"
newkey root384 ec:P-384
issue root384 "Test Root 2" self root -md sha384 "${CA_DATES[@]}"
# A root whose own self-signature is SHA-1: trust anchors are taken as given
# (RFC 5280 6.1: the anchor's key and name are the input, not its signature).
newkey sha1root rsa:2048
issue sha1root "Test Root 3" self root -md sha1 "${CA_DATES[@]}"
newkey otherroot ec:P-256
issue otherroot "Test Root 4" self root "${CA_DATES[@]}"

newkey inter rsa:2048
issue inter "Test Intermediate 1" root ca "${CA_DATES[@]}"
ca_setup inter
newkey inter384 ec:P-384
issue inter384 "Test Intermediate 2" root384 ca -md sha384 "${CA_DATES[@]}"
ca_setup inter384
newkey sha1inter rsa:2048
issue sha1inter "Test Intermediate 3" root ca -md sha1 "${CA_DATES[@]}"
ca_setup sha1inter
newkey pl0 rsa:2048
issue pl0 "Test Intermediate 4" root ca_pathlen0 "${CA_DATES[@]}"
ca_setup pl0
newkey pl0sub rsa:2048
issue pl0sub "Test Intermediate 5" pl0 ca "${CA_DATES[@]}"
ca_setup pl0sub
newkey nc rsa:2048
issue nc "Test Intermediate 6" root ca_constrained "${CA_DATES[@]}"
ca_setup nc
# An intermediate the root's CRL revokes (its leaf is fine): every CA of the
# path is checked against its issuer's CRL, not only the leaf.
newkey inter7 rsa:2048
issue inter7 "Test Intermediate 7" root ca "${CA_DATES[@]}"
ca_setup inter7

# ---- leaves. leaf NAME KEYALG ISSUER SECTION SAN [OPTS...]; the chain file
# NAME.pem is the leaf and the issuer's own chain up to (not including) a root.
chain_of() { # the intermediates above a CA, in order, as files
    case $1 in
    inter | inter384 | sha1inter | pl0 | nc | inter7) echo "$1.pem" ;;
    pl0sub) echo "pl0sub.pem pl0.pem" ;;
    *) echo "" ;;
    esac
}
LEAFN=0
leaf() {
    local name=$1 alg=$2 issuer=$3 sect=$4
    export SAN=$5
    shift 5
    newkey "$name" "$alg"
    # A neutral CN (leafN.example.com): the reasons name the certificate by
    # its CN, so a CN such as rsa1024.example.com would let a check for
    # "1024" in the reason pass whatever the reason says.
    LEAFN=$((LEAFN + 1))
    issue "$name" "leaf$LEAFN.example.com" "$issuer" "$sect" "$@"
    cp "$name.pem" "$name-leaf.pem"
    # shellcheck disable=SC2046
    cat "$name-leaf.pem" $(chain_of "$issuer") >"$name.pem.tmp"
    mv "$name.pem.tmp" "$name.pem"
}
# good chains
leaf good-rsa rsa:2048 inter server DNS:good-rsa.example.com
leaf good-p256 ec:P-256 inter server_ec DNS:good-p256.example.com
leaf good-p384 ec:P-384 inter384 server_ec DNS:good-p384.example.com -md sha384
leaf good-ed25519 ed25519 inter server_ec DNS:good-ed25519.example.com
leaf good-ip ec:P-256 inter server_ec IP:192.0.2.10
leaf good-sha1root ec:P-256 sha1root server_ec DNS:good-sha1root.example.com
leaf good-client ec:P-256 inter client_ec DNS:good-client.example.com
# The CAs of the path-length and name-constraint chains issue good leaves too:
# the bad chains below differ from these only in what makes them bad.
leaf good-pl0 ec:P-256 pl0 server_ec DNS:good-pl0.example.com
leaf good-nc ec:P-256 nc server_ec DNS:good-nc.example.com
# bad chains, one reason each
leaf expired ec:P-256 inter server_ec DNS:expired.example.com -startdate 20200601000000Z -enddate 20210601000000Z
# Not yet valid: from 10 years after today (a fixed date would stop being in the future).
leaf notyet ec:P-256 inter server_ec DNS:notyet.example.com -startdate "$(date -u -d '+10 years' +%Y%m%d000000Z)" \
    -enddate "$(date -u -d '+11 years' +%Y%m%d000000Z)"
leaf wronghost ec:P-256 inter server_ec DNS:wronghost.example.com
leaf untrusted ec:P-256 otherroot server_ec DNS:untrusted.example.com
leaf rsa1024 rsa:1024 inter server DNS:rsa1024.example.com
leaf sha1 ec:P-256 sha1inter server_ec DNS:sha1.example.com
leaf revoked ec:P-256 inter server_ec DNS:revoked.example.com
leaf revinter ec:P-256 inter7 server_ec DNS:revinter.example.com
leaf pathlen ec:P-256 pl0sub server_ec DNS:pathlen.example.com
# The constrained CA permits only example.com and its subdomains (RFC 5280
# 4.2.1.10); this leaf's only name is outside it.
leaf nameconstraints ec:P-256 nc server_ec DNS:nameconstraints.example.org
leaf wrongeku ec:P-256 inter client_ec DNS:wrongeku.example.com
# Host names (RFC 6125 6.4): a wildcard for one whole label; a partial-label
# wildcard and a name only in the CN, which OpenSSL accepts and Parley not.
leaf wildcard ec:P-256 inter server_ec 'DNS:*.wild.example.com'
leaf partialwild ec:P-256 inter server_ec 'DNS:w*.wild.example.com'
SAN=DNS:unused.example.com newkey cnonly ec:P-256
SAN=DNS:unused.example.com issue cnonly cnonly.example.com inter server_ec_nosan
cp cnonly.pem cnonly-leaf.pem
cat inter.pem >>cnonly.pem
# Keys OpenSSL accepts at -auth_level 2 (112-bit security) but Parley's
# policy refuses (issue #16: EC on P-256/P-384/P-521 only; DSA refused).
leaf secp256k1 ec:secp256k1 inter server_ec DNS:secp256k1.example.com
leaf dsa dsa:2048 inter server_ec DNS:dsa.example.com
# MD5: OpenSSL 3.0 can still sign with it unless its configuration forbids.
rm -f MD5_SKIPPED
if ! leaf md5 rsa:2048 inter server DNS:md5.example.com -md md5 >md5.err 2>&1; then
    echo "openssl cannot sign with MD5 here: $(head -c 300 md5.err)" >MD5_SKIPPED
fi

# ---- revocation: the root's CRL (revokes Test Intermediate 7 only), the
# intermediate's (the revoked leaf), and Test Intermediate 7's (empty)
openssl ca -batch -config ca-inter/ca.cnf -cert inter.pem -keyfile inter.key -revoke revoked-leaf.pem \
    -crl_reason keyCompromise >/dev/null 2>&1
openssl ca -batch -config ca-root/ca.cnf -cert root.pem -keyfile root.key -revoke inter7.pem -crl_reason cACompromise >/dev/null 2>&1
openssl ca -batch -config ca-root/ca.cnf -cert root.pem -keyfile root.key -gencrl -out root.crl >/dev/null 2>&1
openssl ca -batch -config ca-inter7/ca.cnf -cert inter7.pem -keyfile inter7.key -gencrl -out inter7.crl >/dev/null 2>&1
openssl ca -batch -config ca-inter/ca.cnf -cert inter.pem -keyfile inter.key -gencrl -out inter.crl >/dev/null 2>&1
# The same CRL of the intermediate signed with SHA-1 (OpenSSL's level 2 does
# not apply to CRL signatures; Parley refuses it).
openssl ca -batch -config ca-inter/ca.cnf -cert inter.pem -keyfile inter.key -gencrl -md sha1 -out inter-sha1.crl >/dev/null 2>&1
cat root.pem root384.pem sha1root.pem >cafile.pem
rm -f ./*.csr ./*.param
