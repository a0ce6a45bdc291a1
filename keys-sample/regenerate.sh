#!/bin/sh
# Regenerates the docketcard SAMPLE PKI (ICAO Doc 9303 Part 12, 7.1 certificate profiles):
#   csca.pem / csca.key                      self-signed CSCA, ECDSA P-384
#   document-signer.pem / document-signer.key  Document Signer signed by the CSCA, ECDSA P-256
#   other-csca.pem / other-csca.key          an unrelated CSCA (for "wrong trust anchor" tests)
# The SCP03 sample master keys (scp03-master.txt) are kept unless --scp03 is given.
#
# SAMPLE KEYS ONLY: these private keys are public. Never put them on a production card.
#
# Usage: keys-sample/regenerate.sh [--scp03] [OUTPUT_DIR]   (default OUTPUT_DIR: this folder)
set -eu

scp03=no
out=""
for arg in "$@"; do
    case "$arg" in
        --scp03) scp03=yes ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "regenerate.sh: unknown option $arg" >&2; exit 2 ;;
        *) out="$arg" ;;
    esac
done
[ -n "$out" ] || out=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cat > "$work/ca.cnf" <<EOF
[ ca ]
default_ca = sample_ca

[ sample_ca ]
dir             = $work
database        = $work/index.txt
new_certs_dir   = $work/issued
serial          = $work/serial
default_md      = sha256
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no

[ policy_any ]
countryName            = supplied
organizationName       = supplied
organizationalUnitName = optional
commonName             = supplied
serialNumber           = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = unused

# Doc 9303 Part 12, 7.1.1: CSCA certificate.
[ csca_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

# Doc 9303 Part 12, 7.1.1: Document Signer certificate.
[ ds_ext ]
keyUsage               = critical, digitalSignature
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier   = hash
EOF
mkdir "$work/issued"
: > "$work/index.txt"

# make_csca NAME CURVE SUBJECT SERIAL
make_csca() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -pkeyopt ec_param_enc:named_curve \
        -out "$work/$1.key"
    openssl req -new -key "$work/$1.key" -subj "$3" -config "$work/ca.cnf" -out "$work/$1.csr"
    echo "$4" > "$work/serial"
    openssl ca -batch -notext -config "$work/ca.cnf" -selfsign -keyfile "$work/$1.key" -md sha384 \
        -startdate 20250101000000Z -enddate 20450101000000Z -extensions csca_ext \
        -in "$work/$1.csr" -out "$work/$1.pem" 2> "$work/$1.log" || { cat "$work/$1.log" >&2; exit 1; }
}

make_csca csca secp384r1 "/C=US/O=docketcard SAMPLE/OU=SAMPLE ONLY - NOT FOR PRODUCTION/CN=docketcard Sample CSCA" 1001
make_csca other-csca secp384r1 "/C=UT/O=Unrelated SAMPLE/CN=Unrelated Sample CSCA" 2001

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve \
    -out "$work/document-signer.key"
openssl req -new -key "$work/document-signer.key" -config "$work/ca.cnf" \
    -subj "/C=US/O=docketcard SAMPLE/OU=SAMPLE ONLY - NOT FOR PRODUCTION/CN=docketcard Sample Document Signer 1" \
    -out "$work/ds.csr"
echo 1101 > "$work/serial"
openssl ca -batch -notext -config "$work/ca.cnf" -cert "$work/csca.pem" -keyfile "$work/csca.key" -md sha384 \
    -startdate 20250101000000Z -enddate 20360101000000Z -extensions ds_ext \
    -in "$work/ds.csr" -out "$work/document-signer.pem" 2> "$work/ds.log" || { cat "$work/ds.log" >&2; exit 1; }

openssl verify -CAfile "$work/csca.pem" -purpose any "$work/document-signer.pem" > /dev/null

for f in csca.pem csca.key other-csca.pem other-csca.key document-signer.pem document-signer.key; do
    cp "$work/$f" "$out/$f"
done
chmod 600 "$out"/*.key

if [ "$scp03" = yes ]; then
    {
        echo "# SCP03 master keys (AES-256) of the docketcard SAMPLE key set. NEVER use on production cards."
        echo "# Each card stores only its own keys, diversified from these with KDF3 and its serial (docs/card-protocol.md)."
        echo "kvn=30"
        echo "enc=$(openssl rand -hex 32 | tr a-f A-F)"
        echo "mac=$(openssl rand -hex 32 | tr a-f A-F)"
        echo "dek=$(openssl rand -hex 32 | tr a-f A-F)"
    } > "$out/scp03-master.txt"
fi
echo "sample keys written to $out"
