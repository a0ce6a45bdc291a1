// The key set of an issuance site: the Document Signer and the SCP03 master keys, each from a
// file or from a PKCS#11 token as keys.toml says (docs/keys.md).
//
//   keys.toml --> KeyConfig --> file roles: read, held in wiping memory
//                           \-> pkcs11: URIs: module (dlopen, C_Initialize), token (one login per
//                               process), objects (non-extractable, sensitive); one PKCS#11
//                               session per calling thread; C_Finalize when the last user is gone
#pragma once

#include <filesystem>
#include <memory>

#include "docketcard/keys/key_config.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/sm/scp03_keys.hpp"

namespace docketcard::keys {

/// What a keys folder provides.
struct KeySet {
    pki::DocumentSigner document_signer;
    std::shared_ptr<const sm::Scp03MasterKeys> scp03;  ///< null when not asked for
};

/// Which roles load_key_set loads.
struct LoadRoles {
    bool document_signer = true;
    bool scp03 = true;
};

/// Loads the roles of `dir` (keys.toml, else the files of keys-sample/README.md). Token objects:
/// the module comes from the URI's module-path or keys.toml's pkcs11_module; the PIN from the
/// URI's pin-source=file:PATH, else $DOCKETCARD_PKCS11_PIN, else a prompt on the terminal (never
/// from the command line); login is tried once, never again on its own. Errors name the URI
/// (which never holds a PIN) and never the PIN:
///  - Error(CardRefused), exit 5: wrong or locked PIN, with the tries-left state the token reports
///    (CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
///  - Error(Communication), exit 4: no token matching the URI is present;
///  - Error(InvalidInput), exit 3: bad keys.toml, module that does not load, no PIN source, object
///    missing or ambiguous, an object with CKA_EXTRACTABLE true or CKA_SENSITIVE false, a key
///    not matching the Document Signer certificate.
KeySet load_key_set(const std::filesystem::path& dir, const LoadRoles& roles = {});

}  // namespace docketcard::keys
