// keys.toml: which file or token object holds each key role of an issuance site (docs/keys.md).
//
//   # in the --keys folder
//   pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"
//   document_signer_key = "pkcs11:token=docket-site;object=document-signer;type=private"
//   document_signer_certificate = "document-signer.pem"
//   scp03_kvn = "30"
//   scp03_enc = "pkcs11:token=docket-site;object=scp03-enc;type=secret-key"
//   scp03_mac = "pkcs11:token=docket-site;object=scp03-mac;type=secret-key"
//   scp03_dek = "pkcs11:token=docket-site;object=scp03-dek;type=secret-key"
//
// Without keys.toml (or for a role it leaves out) the files of keys-sample/README.md are used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "docketcard/keys/pkcs11_uri.hpp"

namespace docketcard::keys {

/// Name of the key role file inside a keys folder.
inline constexpr const char* kKeyConfigFile = "keys.toml";

/// Where one role's key or certificate is: a file (relative paths are relative to the keys folder)
/// or a token object.
using KeyLocation = std::variant<std::filesystem::path, Pkcs11Uri>;

/// The roles of keys.toml, each resolved to a location.
struct KeyConfig {
    std::filesystem::path dir;                   ///< the keys folder
    std::optional<std::string> pkcs11_module;    ///< module for URIs without module-path
    KeyLocation document_signer_key;             ///< default document-signer.key
    KeyLocation document_signer_certificate;     ///< default document-signer.pem
    /// The SCP03 master keys: the key file (default scp03-master.txt), or three secret-key
    /// objects with scp03_kvn.
    std::filesystem::path scp03_master_file;
    std::optional<std::uint8_t> scp03_kvn;
    std::optional<Pkcs11Uri> scp03_enc, scp03_mac, scp03_dek;

    bool scp03_in_token() const noexcept { return scp03_enc.has_value(); }
};

/// Parses the text of keys.toml: `name = "value"` lines (TOML basic or literal strings),
/// blank lines and `#` comments. Names: pkcs11_module, document_signer_key,
/// document_signer_certificate, scp03_master, scp03_kvn, scp03_enc, scp03_mac, scp03_dek.
/// scp03_enc/mac/dek come together with scp03_kvn, and exclude scp03_master. Throws
/// ParseError naming `origin`, the line and the field for anything else (tables, arrays,
/// unknown or repeated names, bad strings, bad URIs).
KeyConfig parse_key_config(std::string_view text, const std::filesystem::path& dir, const std::string& origin);

/// The configuration of a keys folder: DIR/keys.toml when present, else the file defaults.
/// Throws Error(InvalidInput) when the folder does not exist or keys.toml is malformed.
KeyConfig load_key_config(const std::filesystem::path& dir);

}  // namespace docketcard::keys
