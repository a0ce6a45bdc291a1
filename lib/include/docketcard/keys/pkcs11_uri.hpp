// PKCS#11 URIs (RFC 7512): how keys.toml names a key or certificate kept in a token.
//
//   pkcs11:token=docket-site;object=document-signer;type=private?pin-source=file:/etc/dc/pin
//   \____/ \______________ path (';' separated) ______________/ \___ query ('&' separated) __/
//
// Path attributes select the token and the object (RFC 7512 2.3), query attributes say how to
// reach it (module-path, pin-source). Values are percent-decoded (RFC 3986 2.1).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "docketcard/util/bytes.hpp"

namespace docketcard::keys {

/// The `type` path attribute (RFC 7512 2.3): the object class it selects.
enum class ObjectType { Public, Private, Certificate, SecretKey, Data };
const char* to_string(ObjectType type) noexcept;

/// A parsed PKCS#11 URI. Absent attributes match anything (RFC 7512 2.3).
struct Pkcs11Uri {
    std::string text;  ///< the URI as given (never holds a PIN: pin-value is refused)

    // Token and library selection (path).
    std::optional<std::string> token;           ///< CK_TOKEN_INFO label
    std::optional<std::string> manufacturer;    ///< CK_TOKEN_INFO manufacturerID
    std::optional<std::string> serial;          ///< CK_TOKEN_INFO serialNumber
    std::optional<std::string> model;           ///< CK_TOKEN_INFO model
    std::optional<std::string> library_manufacturer;
    std::optional<std::string> library_description;
    std::optional<std::string> library_version;
    std::optional<std::string> slot_description;
    std::optional<std::string> slot_manufacturer;
    std::optional<unsigned long> slot_id;

    // Object selection (path).
    std::optional<std::string> object;          ///< CKA_LABEL
    std::optional<Bytes> id;                    ///< CKA_ID (percent-encoded bytes)
    std::optional<ObjectType> type;             ///< CKA_CLASS

    // Query.
    std::optional<std::string> module_path;     ///< the module to load (RFC 7512 2.4)
    std::optional<std::string> pin_source;      ///< where the PIN is read, e.g. file:/path

    /// "object 'x' (pkcs11:...)" style short name for messages.
    std::string describe() const;
};

/// Parses a PKCS#11 URI (RFC 7512 2.3, with the query attributes of 2.4). Bounds-checked; accepts
/// at most 4096 characters, vendor attributes (x-...) are ignored. Refuses, with
/// ParseError naming `origin` and the attribute: a missing "pkcs11:" scheme, an unknown or
/// repeated attribute, a bad percent escape, characters RFC 7512 does not allow unescaped, an
/// unknown type, a non-numeric slot-id, module-name (use module-path) and pin-value (a PIN
/// never goes into a URI, a command line or a configuration file: use pin-source). The value
/// of pin-value is never echoed.
Pkcs11Uri parse_pkcs11_uri(std::string_view text, const std::string& origin);

/// True when `text` starts with the "pkcs11:" scheme (case-insensitive), i.e. names a token
/// object rather than a file.
bool is_pkcs11_uri(std::string_view text) noexcept;

}  // namespace docketcard::keys
