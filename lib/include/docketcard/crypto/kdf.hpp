// Key derivations shared by the card side and the terminal side.
#pragma once

#include <cstdint>
#include <string_view>

#include "docketcard/util/bytes.hpp"

namespace docketcard::crypto {

/// ICAO Doc 9303 Part 11, 9.7.2 / Appendix D.2: Kseed = first 16 bytes of SHA-1 of the MRZ
/// information (document number || check digit || date of birth || check digit || date of
/// expiry || check digit).
SecureBytes bac_seed(std::string_view mrz_information);

/// ICAO Doc 9303 Part 11, 9.7.1: 3DES key from a seed, SHA-1(seed || counter)[0..16] with
/// DES parity bits set. counter 1 gives the encryption key, 2 the MAC key.
SecureBytes icao_kdf_3des(ByteView seed, std::uint32_t counter);

/// GlobalPlatform Amendment D (SCP03) 6.2.1: the NIST SP 800-108 counter-mode KDF with AES-CMAC.
/// Input of block i: 00*11 || constant || 00 || L (bits, 2 bytes) || i || context.
/// Returns `length_bits / 8` bytes.
SecureBytes scp03_kdf(ByteView key, std::uint8_t constant, std::uint16_t length_bits, ByteView context);

/// Constants of Amendment D table 6-1.
namespace scp03_constant {
inline constexpr std::uint8_t card_cryptogram = 0x00;
inline constexpr std::uint8_t host_cryptogram = 0x01;
inline constexpr std::uint8_t card_challenge = 0x02;
inline constexpr std::uint8_t s_enc = 0x04;
inline constexpr std::uint8_t s_mac = 0x06;
inline constexpr std::uint8_t s_rmac = 0x07;
}  // namespace scp03_constant

/// Per-card static key diversification ("KDF3" template of GlobalPlatformPro): for each 16-byte
/// block i = 1, 2, ... of the master key's length,
/// AES-CMAC(master, i || 00 00 00 || key_id || 00 || kdd). key_id: 1 ENC, 2 MAC, 3 DEK.
SecureBytes diversify_kdf3(ByteView master, std::uint8_t key_id, ByteView kdd);

}  // namespace docketcard::crypto
