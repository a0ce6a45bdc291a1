// Small RAII helpers around OpenPACE (Debian libeac, the BSI TR-03110 reference implementation),
// used only by the cross-tests: the other side of a PACE run is OpenPACE's, not ours.
#pragma once

#include <eac/eac.h>
#include <eac/pace.h>
#include <openssl/buffer.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "docketcard/util/bytes.hpp"

namespace docketcard::testing::openpace {

struct BufFree {
    void operator()(BUF_MEM* b) const noexcept { BUF_MEM_free(b); }
};
using Buf = std::unique_ptr<BUF_MEM, BufFree>;

struct CtxFree {
    void operator()(EAC_CTX* c) const noexcept { EAC_CTX_clear_free(c); }
};
using Ctx = std::unique_ptr<EAC_CTX, CtxFree>;

struct SecFree {
    void operator()(PACE_SEC* s) const noexcept { PACE_SEC_clear_free(s); }
};
using Sec = std::unique_ptr<PACE_SEC, SecFree>;

inline Buf buf(ByteView b) {
    Buf out(BUF_MEM_new());
    if (!out || (b.size() && !BUF_MEM_grow(out.get(), b.size()))) throw std::runtime_error("BUF_MEM");
    if (!b.empty()) std::memcpy(out->data, b.data(), b.size());
    out->length = b.size();
    return out;
}

inline Bytes bytes(const BUF_MEM* b) {
    if (b == nullptr) throw std::runtime_error("OpenPACE returned NULL");
    return Bytes(reinterpret_cast<const std::uint8_t*>(b->data), reinterpret_cast<const std::uint8_t*>(b->data) + b->length);
}

inline Bytes take(BUF_MEM* b) {
    Buf owned(b);
    return bytes(b);
}

/// An OpenPACE context set up from an EF.CardAccess (EAC_CTX_init_ef_cardaccess).
inline Ctx context_from_card_access(ByteView card_access) {
    static const bool initialized = [] {
        EAC_init();
        return true;
    }();
    (void)initialized;
    Ctx ctx(EAC_CTX_new());
    if (!ctx || !EAC_CTX_init_ef_cardaccess(card_access.data(), card_access.size(), ctx.get()))
        throw std::runtime_error("OpenPACE: EAC_CTX_init_ef_cardaccess failed");
    return ctx;
}

}  // namespace docketcard::testing::openpace
