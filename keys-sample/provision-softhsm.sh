#!/usr/bin/env bash
# provision-softhsm.sh [TOKEN_DIR]: a SoftHSM2 token "docket-site" holding the SAMPLE Document
# Signer key and certificate and the SAMPLE SCP03 master keys as non-extractable, sensitive
# objects, plus TOKEN_DIR/keys.toml naming them (use TOKEN_DIR as --keys, with
# SOFTHSM2_CONF=TOKEN_DIR/softhsm2.conf). docs/keys.md shows the same steps for a real HSM.
#
# The sample user PIN is 123456 (DOCKETCARD_SAMPLE_PIN overrides it); it is written to
# TOKEN_DIR/pin (mode 600), which keys.toml names with pin-source=file:. Sample keys only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${1:-$here/softhsm}"
module="${DOCKETCARD_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
pin="${DOCKETCARD_SAMPLE_PIN:-123456}"
so_pin="${DOCKETCARD_SAMPLE_SO_PIN:-87654321}"
label=docket-site

mkdir -p "$dir/tokens"
dir="$(cd "$dir" && pwd)"
umask 077
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
export SOFTHSM2_CONF="$dir/softhsm2.conf"
printf '%s' "$pin" > "$dir/pin"

softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" >/dev/null
p11() { pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" "$@" >/dev/null 2>&1; }

# Document Signer: private key (sign only, sensitive, not extractable) and its certificate.
p11 --write-object "$here/document-signer.key" --type privkey --usage-sign --sensitive --label document-signer --id 01
p11 --write-object "$here/document-signer.pem" --type cert --label document-signer --id 01

# SCP03 master keys: AES secret keys usable for CKM_AES_CMAC signing (the KDF3 of each card's keys).
kvn="$(sed -n 's/^kvn=//p' "$here/scp03-master.txt")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
id=11
for role in enc mac dek; do
  sed -n "s/^$role=//p" "$here/scp03-master.txt" | tr -d '\n' | xxd -r -p > "$tmp/key"
  len="$(stat -c %s "$tmp/key")"
  p11 --write-object "$tmp/key" --type secrkey --key-type "AES:$len" --usage-sign --sensitive --label "scp03-$role" --id "$id"
  : > "$tmp/key"
  id=$((id + 1))
done

uri="pkcs11:token=$label"
q="?pin-source=file:$dir/pin"
cat > "$dir/keys.toml" <<TOML
# docketcard key roles (docs/keys.md): every key in the SoftHSM2 token "$label".
pkcs11_module = "$module"
document_signer_key = "$uri;object=document-signer;type=private$q"
document_signer_certificate = "$uri;object=document-signer;type=cert$q"
scp03_kvn = "$kvn"
scp03_enc = "$uri;object=scp03-enc;type=secret-key$q"
scp03_mac = "$uri;object=scp03-mac;type=secret-key$q"
scp03_dek = "$uri;object=scp03-dek;type=secret-key$q"
TOML
echo "provisioned token '$label' in $dir; use: SOFTHSM2_CONF=$dir/softhsm2.conf docketcard ... --keys $dir"
