// Byte buffers shared by every docketcard area.
//
// Convention (see docs/architecture.md): functions take ByteView (a read-only span) and return an
// owning Bytes. Keys and other secrets live in SecureBytes, whose storage is wiped with
// OPENSSL_cleanse when it is released, so a secret never lingers in freed heap memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace docketcard {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Overwrites `size` bytes at `p` in a way the optimizer cannot remove (OPENSSL_cleanse).
void secure_wipe(void* p, std::size_t size) noexcept;

/// Allocator that wipes memory before giving it back; the element type of SecureBytes.
template <class T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() noexcept = default;
    template <class U>
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        secure_wipe(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

/// A buffer for keys, BAC seeds, CANs: wiped on destruction and on reallocation.
using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

inline ByteView view(const SecureBytes& b) noexcept { return {b.data(), b.size()}; }
inline SecureBytes secure_copy(ByteView b) { return SecureBytes(b.begin(), b.end()); }

/// Upper-case hex, no separators.
std::string to_hex(ByteView data);
/// Parses hex; accepts upper/lower case and ignores spaces and colons. Throws Error(InvalidInput).
Bytes from_hex(std::string_view hex);
/// Like from_hex, into wiping storage (for keys read from files).
SecureBytes secure_from_hex(std::string_view hex);

/// Bytes of a string, without a terminator.
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

/// Appends `tail` to `out`.
inline void append(Bytes& out, ByteView tail) { out.insert(out.end(), tail.begin(), tail.end()); }
inline void append(SecureBytes& out, ByteView tail) { out.insert(out.end(), tail.begin(), tail.end()); }

/// Concatenation of any number of views.
Bytes concat(std::initializer_list<ByteView> parts);

/// Big-endian encodings.
inline void put_u16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
inline std::uint16_t get_u16(ByteView b, std::size_t at) {
    return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}

/// Constant-time comparison of two buffers of equal length (false when lengths differ).
bool equal_ct(ByteView a, ByteView b) noexcept;

}  // namespace docketcard
