#include "pkcs11_token.hpp"

#include <dlfcn.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "docketcard/util/error.hpp"

namespace docketcard::keys::detail {

const char* rv_name(CK_RV rv) noexcept {
    switch (rv) {
        case CKR_OK: return "CKR_OK";
        case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
        case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
        case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
        case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
        case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
        case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
        case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
        case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
        case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
        case CKR_OBJECT_HANDLE_INVALID: return "CKR_OBJECT_HANDLE_INVALID";
        case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
        case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
        case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
        case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
        case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
        case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
        case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
        case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
        default: return "a PKCS#11 error";
    }
}

void fail(CK_RV rv, const std::string& what) {
    const bool gone = rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR ||
                      rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED;
    if (gone)
        throw KeySourceError(fmt::format("{}: {} (0x{:X}); the token was removed or stopped answering", what,
                                         rv_name(rv), rv));
    throw Error(ErrorKind::Internal, fmt::format("{}: {} (0x{:X})", what, rv_name(rv), rv));
}

Module::Module(const std::string& path) : path_(path) {
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
        const char* e = dlerror();
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("PKCS#11 module {} does not load: {}", path, e ? e : "dlopen failed"));
    }
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle_, "C_GetFunctionList"));
    if (!get || get(&f_) != CKR_OK || !f_) {
        dlclose(handle_);
        throw Error(ErrorKind::InvalidInput, fmt::format("{} is not a PKCS#11 module (no C_GetFunctionList)", path));
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    const CK_RV rv = f_->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        dlclose(handle_);
        throw Error(ErrorKind::InvalidInput, fmt::format("PKCS#11 module {}: C_Initialize failed: {} (0x{:X})", path,
                                                         rv_name(rv), rv));
    }
}

Module::~Module() {
    if (f_) f_->C_Finalize(nullptr);
    if (handle_) dlclose(handle_);
}

namespace {

std::string padded(const CK_UTF8CHAR* p, std::size_t n) {
    std::string s(reinterpret_cast<const char*>(p), n);
    const auto end = s.find_last_not_of(' ');
    return end == std::string::npos ? std::string{} : s.substr(0, end + 1);
}

// The PIN, from pin-source=file:PATH, $DOCKETCARD_PKCS11_PIN or the terminal (docs/keys.md).
SecureBytes read_pin(const Pkcs11Uri& uri) {
    SecureBytes pin;
    if (uri.pin_source) {
        const std::string path = uri.pin_source->substr(5);
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: cannot read the PIN file {} named by pin-source", uri.text, path));
        }
        pin.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else if (const char* env = std::getenv("DOCKETCARD_PKCS11_PIN")) {
        pin.assign(env, env + std::char_traits<char>::length(env));
    } else {
        FILE* tty = std::fopen("/dev/tty", "r+");
        if (!tty) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: no PIN for the token: add pin-source=file:PATH to the URI, set "
                                    "DOCKETCARD_PKCS11_PIN, or run on a terminal to be asked",
                                    uri.text));
        }
        std::fprintf(tty, "PIN for PKCS#11 token %s: ", uri.token ? uri.token->c_str() : "(any)");
        std::fflush(tty);
        termios old{};
        const bool is_term = tcgetattr(fileno(tty), &old) == 0;
        if (is_term) {
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
        }
        for (int c = std::fgetc(tty); c != EOF && c != '\n'; c = std::fgetc(tty)) pin.push_back(static_cast<std::uint8_t>(c));
        if (is_term) tcsetattr(fileno(tty), TCSAFLUSH, &old);
        std::fprintf(tty, "\n");
        std::fclose(tty);
    }
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
    return pin;
}

bool matches(const std::optional<std::string>& want, const std::string& have) { return !want || *want == have; }

}  // namespace

Token::Token(std::shared_ptr<Module> module, const Pkcs11Uri& uri) : module_(std::move(module)), uri_text_(uri.text) {
    CK_FUNCTION_LIST* f = module_->f();
    CK_ULONG n = 0;
    CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &n);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_GetSlotList", uri.text));
    std::vector<CK_SLOT_ID> slots(n);
    rv = f->C_GetSlotList(CK_TRUE, slots.data(), &n);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_GetSlotList", uri.text));
    slots.resize(n);
    std::vector<std::string> seen;
    bool found = false;
    for (CK_SLOT_ID id : slots) {
        CK_TOKEN_INFO ti{};
        if (f->C_GetTokenInfo(id, &ti) != CKR_OK) continue;
        const std::string label = padded(ti.label, sizeof ti.label);
        seen.push_back(fmt::format("'{}'", label));
        if (uri.slot_id && *uri.slot_id != id) continue;
        if (!matches(uri.token, label) || !matches(uri.manufacturer, padded(ti.manufacturerID, sizeof ti.manufacturerID)) ||
            !matches(uri.serial, padded(ti.serialNumber, sizeof ti.serialNumber)) ||
            !matches(uri.model, padded(ti.model, sizeof ti.model))) {
            continue;
        }
        if (found) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: more than one token matches; add token=, serial= or slot-id= to the URI", uri.text));
        }
        found = true;
        slot_ = id;
        label_ = label;
    }
    if (!found) {
        throw Error(ErrorKind::Communication,
                    fmt::format("{}: no token matching the URI is present in PKCS#11 module {} (tokens present: {})",
                                uri.text, module_->path(), seen.empty() ? "none" : fmt::format("{}", fmt::join(seen, ", "))));
    }
    const CK_SESSION_HANDLE s = session_for_login(uri);
    (void)s;
}

Token::~Token() {
    std::lock_guard lock(mutex_);
    if (!sessions_.empty()) module_->f()->C_CloseAllSessions(slot_);
}

CK_SESSION_HANDLE Token::session_for_login(const Pkcs11Uri& uri) {
    std::lock_guard lock(mutex_);
    CK_SESSION_HANDLE s = 0;
    const CK_RV rv = module_->f()->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_OpenSession", uri.text));
    sessions_[std::this_thread::get_id()] = s;
    login(s, uri);
    return s;
}

void Token::login(CK_SESSION_HANDLE s, const Pkcs11Uri& uri) {
    CK_FUNCTION_LIST* f = module_->f();
    CK_TOKEN_INFO ti{};
    if (f->C_GetTokenInfo(slot_, &ti) == CKR_OK && !(ti.flags & CKF_LOGIN_REQUIRED)) return;
    SecureBytes pin = read_pin(uri);
    const CK_RV rv = f->C_Login(s, CKU_USER, pin.data(), static_cast<CK_ULONG>(pin.size()));
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return;
    if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE) {
        CK_TOKEN_INFO after{};
        f->C_GetTokenInfo(slot_, &after);
        const char* left = (after.flags & CKF_USER_PIN_LOCKED) || rv == CKR_PIN_LOCKED
                               ? "the user PIN is now LOCKED (CKF_USER_PIN_LOCKED): only the security officer can unlock it"
                           : (after.flags & CKF_USER_PIN_FINAL_TRY)
                               ? "ONE try is left before the PIN locks (CKF_USER_PIN_FINAL_TRY)"
                           : (after.flags & CKF_USER_PIN_COUNT_LOW)
                               ? "fewer tries are left than the token allows (CKF_USER_PIN_COUNT_LOW)"
                               : "the token reports no low try count";
        throw Error(ErrorKind::CardRefused,
                    fmt::format("{}: the token '{}' refused the PIN ({}); {}. docketcard never retries a login: check "
                                "the PIN source (pin-source, $DOCKETCARD_PKCS11_PIN or the prompt)",
                                uri.text, label_, rv_name(rv), left));
    }
    fail(rv, fmt::format("{}: C_Login", uri.text));
}

CK_SESSION_HANDLE Token::session() {
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(std::this_thread::get_id());
    if (it != sessions_.end()) return it->second;
    CK_SESSION_HANDLE s = 0;
    const CK_RV rv = module_->f()->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_OpenSession", uri_text_));
    sessions_[std::this_thread::get_id()] = s;  // already logged in: login state is per application
    return s;
}

CK_OBJECT_HANDLE Token::find(const Pkcs11Uri& uri, CK_OBJECT_CLASS cls) {
    CK_FUNCTION_LIST* f = module_->f();
    const CK_SESSION_HANDLE s = session();
    std::vector<CK_ATTRIBUTE> tmpl;
    tmpl.push_back({CKA_CLASS, &cls, sizeof cls});
    std::string label = uri.object.value_or("");
    if (uri.object) tmpl.push_back({CKA_LABEL, label.data(), label.size()});
    Bytes id = uri.id.value_or(Bytes{});
    if (uri.id) tmpl.push_back({CKA_ID, id.data(), id.size()});
    CK_RV rv = f->C_FindObjectsInit(s, tmpl.data(), static_cast<CK_ULONG>(tmpl.size()));
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_FindObjectsInit", uri.text));
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    rv = f->C_FindObjects(s, found, 2, &n);
    f->C_FindObjectsFinal(s);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_FindObjects", uri.text));
    const char* kind = cls == CKO_PRIVATE_KEY ? "private key" : cls == CKO_SECRET_KEY ? "secret key" : "certificate";
    if (n == 0) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: token '{}' has no {} object matching the URI (check object=, id= and type=)",
                                uri.text, label_, kind));
    }
    if (n > 1) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: more than one {} object of token '{}' matches; add object= or id=", uri.text, kind, label_));
    }
    if (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) {
        CK_BBOOL extractable = CK_TRUE, sensitive = CK_FALSE;
        CK_ATTRIBUTE a[] = {{CKA_EXTRACTABLE, &extractable, sizeof extractable}, {CKA_SENSITIVE, &sensitive, sizeof sensitive}};
        rv = f->C_GetAttributeValue(s, found[0], a, 2);
        if (rv != CKR_OK) fail(rv, fmt::format("{}: reading CKA_EXTRACTABLE and CKA_SENSITIVE", uri.text));
        if (extractable || !sensitive) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: the {} is {}: its value can leave the token, so docketcard refuses to use "
                                    "it. Create it again with CKA_EXTRACTABLE false and CKA_SENSITIVE true "
                                    "(keys-sample/provision-softhsm.sh, docs/keys.md)",
                                    uri.text, kind, extractable ? "extractable (CKA_EXTRACTABLE true)" : "not sensitive (CKA_SENSITIVE false)"));
        }
    }
    return found[0];
}

Bytes Token::attribute(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type, const std::string& what) {
    CK_FUNCTION_LIST* f = module_->f();
    const CK_SESSION_HANDLE s = session();
    CK_ATTRIBUTE a{type, nullptr, 0};
    CK_RV rv = f->C_GetAttributeValue(s, object, &a, 1);
    if (rv != CKR_OK) fail(rv, what);
    Bytes out(a.ulValueLen);
    a.pValue = out.data();
    rv = f->C_GetAttributeValue(s, object, &a, 1);
    if (rv != CKR_OK) fail(rv, what);
    out.resize(a.ulValueLen);
    return out;
}

SecureBytes Token::sign(CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mechanism, ByteView data, const std::string& what) {
    CK_FUNCTION_LIST* f = module_->f();
    const CK_SESSION_HANDLE s = session();
    CK_MECHANISM m{mechanism, nullptr, 0};
    CK_RV rv = f->C_SignInit(s, &m, key);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_SignInit", what));
    SecureBytes out(256);
    CK_ULONG n = static_cast<CK_ULONG>(out.size());
    rv = f->C_Sign(s, const_cast<CK_BYTE*>(data.data()), static_cast<CK_ULONG>(data.size()), out.data(), &n);
    if (rv != CKR_OK) fail(rv, fmt::format("{}: C_Sign", what));
    out.resize(n);
    return out;
}

}  // namespace docketcard::keys::detail
