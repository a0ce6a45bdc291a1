// pkcs11_unplug: a PKCS#11 module for tests that behaves like a token pulled out of its reader.
//
// It forwards every call to a real module (DOCKETCARD_UNPLUG_MODULE, default SoftHSM2) until the
// token has started DOCKETCARD_UNPLUG_AFTER ECDSA signatures (C_SignInit with CKM_ECDSA: one when
// docketcard checks the Document Signer key at load, then one per EF.SOD). From then on every call
// that needs the token answers CKR_DEVICE_REMOVED (PKCS#11 3.0 5.1: "the token was removed from
// its slot during the execution of the function"), as a removed HSM does. Unset, it never unplugs.
//
// Only for tests (tests/cli/token_test.sh); never installed.

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>

#include <p11-kit/pkcs11.h>

namespace {

CK_FUNCTION_LIST g_list;          // the real module's list with the wrapped entries replaced
CK_FUNCTION_LIST_PTR g_real = nullptr;
std::atomic<long> g_ecdsa_starts{0};

bool unplugged() {
    const char* after = std::getenv("DOCKETCARD_UNPLUG_AFTER");
    return after != nullptr && g_ecdsa_starts.load() > std::atol(after);
}

CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s) {
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_OpenSession(slot, flags, app, notify, s);
}

CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_Login(s, user, pin, len);
}

CK_RV find_objects_init(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_FindObjectsInit(s, t, n);
}

CK_RV get_attribute_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n) {
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_GetAttributeValue(s, o, t, n);
}

CK_RV sign_init(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key) {
    if (m != nullptr && m->mechanism == CKM_ECDSA) ++g_ecdsa_starts;
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_SignInit(s, m, key);
}

CK_RV sign(CK_SESSION_HANDLE s, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR out, CK_ULONG_PTR out_len) {
    if (unplugged()) return CKR_DEVICE_REMOVED;
    return g_real->C_Sign(s, data, len, out, out_len);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (list == nullptr) return CKR_ARGUMENTS_BAD;
    if (g_real == nullptr) {
        const char* path = std::getenv("DOCKETCARD_UNPLUG_MODULE");
        void* real = dlopen(path ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW | RTLD_LOCAL);
        if (real == nullptr) return CKR_GENERAL_ERROR;
        auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(real, "C_GetFunctionList"));
        if (get == nullptr || get(&g_real) != CKR_OK || g_real == nullptr) return CKR_GENERAL_ERROR;
        g_list = *g_real;
        g_list.C_OpenSession = open_session;
        g_list.C_Login = login;
        g_list.C_FindObjectsInit = find_objects_init;
        g_list.C_GetAttributeValue = get_attribute_value;
        g_list.C_SignInit = sign_init;
        g_list.C_Sign = sign;
    }
    *list = &g_list;
    return CKR_OK;
}
