// Internal: a PKCS#11 module loaded with dlopen and a logged-in token (PKCS#11 2.40 / 3.0 base
// specification 5.4-5.13). Not a public header: callers see pki::DigestSigner and
// sm::Scp03MasterKeys only.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <p11-kit-1/p11-kit/pkcs11.h>

#include "docketcard/keys/pkcs11_uri.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::keys::detail {

/// dlopen + C_GetFunctionList + C_Initialize (OS locking); C_Finalize and dlclose on destruction.
class Module {
public:
    explicit Module(const std::string& path);
    ~Module();
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;
    CK_FUNCTION_LIST* f() const noexcept { return f_; }
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    void* handle_ = nullptr;
    CK_FUNCTION_LIST* f_ = nullptr;
};

/// The token a URI selects, logged in once (C_Login on its first session); one session per
/// calling thread, opened on first use (PKCS#11 sessions are not thread safe, 5.6).
class Token {
public:
    Token(std::shared_ptr<Module> module, const Pkcs11Uri& uri);
    ~Token();
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

    /// The one object matching the URI's object/id/type and `cls`; refuses extractable or
    /// non-sensitive private and secret keys. Throws Error(InvalidInput) naming the URI.
    CK_OBJECT_HANDLE find(const Pkcs11Uri& uri, CK_OBJECT_CLASS cls);
    /// An attribute's value (C_GetAttributeValue). Throws.
    Bytes attribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type, const std::string& what);
    /// C_SignInit + C_Sign on the calling thread's session. Output in wiping storage.
    SecureBytes sign(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism, ByteView data, const std::string& what);
    const std::string& label() const noexcept { return label_; }

private:
    CK_SESSION_HANDLE session();
    CK_SESSION_HANDLE session_for_login(const Pkcs11Uri& uri);
    void login(CK_SESSION_HANDLE s, const Pkcs11Uri& uri);

    std::shared_ptr<Module> module_;
    CK_SLOT_ID slot_ = 0;
    std::string label_;
    std::string uri_text_;
    std::mutex mutex_;
    std::map<std::thread::id, CK_SESSION_HANDLE> sessions_;
};

/// Throws Error for a failed PKCS#11 call: Communication for a token or device that went away,
/// Internal otherwise; the message names `what` and the return value's name.
[[noreturn]] void fail(CK_RV rv, const std::string& what);
const char* rv_name(CK_RV rv) noexcept;

}  // namespace docketcard::keys::detail
