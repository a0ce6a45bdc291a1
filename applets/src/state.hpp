// The card's persistent memory (its "EEPROM") and the card file image that stores it
// (docs/sim.md, "Card file format"). Internal to the card side.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet::detail {

/// Lifecycle byte as GET DATA tag 80 reports it (docs/card-protocol.md, "Lifecycle").
enum class Lifecycle : std::uint8_t {
    Blank = 0x01,
    Personalizing = 0x03,
    Personalized = 0x07,
    Locked = 0x0F,
    Blocked = 0x7F,
};

/// Per-card storage limits (docs/card-protocol.md, "Identity and capabilities").
inline constexpr std::size_t kMaxFileSize = 0x7FFF;
inline constexpr std::size_t kStorageBudget = 98304;

/// A transparent EF (ISO/IEC 7816-4 7.2) with the byte ranges written so far, so that a
/// half-written file can be told from a complete one.
struct ElementaryFile {
    Bytes content;                                              ///< size fixed at CREATE FILE
    std::vector<std::pair<std::uint16_t, std::uint16_t>> written;  ///< sorted, merged [begin, end)

    /// Records that [offset, offset + length) has been written.
    void mark_written(std::size_t offset, std::size_t length);
    /// Length of the contiguous written prefix starting at offset 0.
    std::size_t written_prefix() const noexcept;
    bool complete() const noexcept { return written_prefix() == content.size(); }
    bool operator==(const ElementaryFile&) const = default;
};

/// Everything the card keeps across power cycles.
struct PersistentState {
    Bytes serial;                     ///< 10 bytes, the SCP03 KDD
    std::uint8_t kvn = 0x30;
    SecureBytes k_enc, k_mac, k_dek;  ///< static SCP03 keys (diversified)
    Lifecycle state = Lifecycle::Blank;
    std::uint32_t sequence_counter = 0;  ///< SCP03 sequence counter, 3 bytes
    std::uint8_t scp_failures = 0;       ///< consecutive failed EXTERNAL AUTHENTICATE
    Bytes ticket;                        ///< personalization ticket (PUT DATA 68)
    SecureBytes bac_seed;                ///< Kseed of Doc 9303 Part 11 9.7.2 (16 bytes) or empty
    SecureBytes aa_scalar;               ///< P-256 Active Authentication private key or empty
    /// SHA-1 of the MRZ information (20 bytes), the PACE password secret f(MRZ) of Doc 9303
    /// Part 11 9.7.3, set with the BAC secret (PUT DATA 62); empty on cards made before PACE.
    SecureBytes mrz_secret;
    SecureBytes can;                     ///< the card access number, 6 ASCII digits, or empty
    std::uint8_t can_failures = 0;       ///< consecutive PACE-CAN failures (docs/card-protocol.md)
    bool pace_only = false;              ///< BAC refused (write --access pace-only)
    SecureBytes ca_scalar;               ///< Chip Authentication brainpoolP256r1 private key or empty
    std::map<std::uint16_t, ElementaryFile> files;

    /// Sum of all file sizes (counted against kStorageBudget).
    std::size_t used_bytes() const noexcept;
};

/// A region of persistent memory one command changed: `area` 0 is the system area (serial, keys,
/// lifecycle, counters, secrets, in that order), `0x10000 | fid` a file's control information
/// (its size and written ranges), `fid` a file's content; [begin, end) are byte offsets in it.
struct NvmRange {
    std::uint32_t area = 0;
    std::size_t begin = 0, end = 0;
};

/// The regions that differ between two states (a CREATE FILE changes the new file's control
/// information, not its content: the chip allocates erased pages).
std::vector<NvmRange> changed_regions(const PersistentState& before, const PersistentState& after);

/// Distinct pages of `page_size` bytes the regions touch (per area: areas start on a page).
std::size_t pages_touched(const std::vector<NvmRange>& regions, std::size_t page_size);

/// Serializes the state into a card file image: magic, version, length, TLV payload, SHA-256.
SecureBytes serialize(const PersistentState& state);
/// Parses a card file image; throws Error(InvalidInput) naming `origin` when the magic, version,
/// length, checksum or any field is wrong.
PersistentState deserialize(ByteView image, const std::string& origin);

}  // namespace docketcard::applet::detail
