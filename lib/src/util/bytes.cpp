#include "docketcard/util/bytes.hpp"

#include <openssl/crypto.h>

#include "docketcard/util/error.hpp"

namespace docketcard {

void secure_wipe(void* p, std::size_t size) noexcept {
    if (p != nullptr && size != 0) OPENSSL_cleanse(p, size);
}

std::string to_hex(ByteView data) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0x0F]);
    }
    return out;
}

namespace {
int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

template <class Out>
Out parse_hex(std::string_view hex) {
    Out out;
    out.reserve(hex.size() / 2);
    int high = -1;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (c == ' ' || c == ':' || c == '\n' || c == '\t' || c == '\r') continue;
        const int v = nibble(c);
        if (v < 0) {
            throw Error(ErrorKind::InvalidInput,
                        "invalid hex digit at position " + std::to_string(i + 1) +
                            " (expected 0-9, A-F; spaces and colons are ignored)");
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | v));
            high = -1;
        }
    }
    if (high >= 0) throw Error(ErrorKind::InvalidInput, "hex string has an odd number of digits");
    return out;
}
}  // namespace

Bytes from_hex(std::string_view hex) { return parse_hex<Bytes>(hex); }
SecureBytes secure_from_hex(std::string_view hex) { return parse_hex<SecureBytes>(hex); }

Bytes concat(std::initializer_list<ByteView> parts) {
    std::size_t total = 0;
    for (auto p : parts) total += p.size();
    Bytes out;
    out.reserve(total);
    for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

bool equal_ct(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) return false;
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace docketcard
