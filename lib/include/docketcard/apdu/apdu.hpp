// Command and response APDUs of ISO/IEC 7816-4 clause 5.1 (short and extended length cases
// 1-4) and 5.1.1.1 (command chaining), and the one table of status word meanings (clause 5.6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "docketcard/util/bytes.hpp"

namespace docketcard::apdu {

/// The LDS1 eMRTD application identifier A0 00 00 02 47 10 01 (ICAO Doc 9303 Part 10, 3.1): the
/// Secure Docket Card's one application, selected by inspection systems and personalization alike
/// and implemented by the emulated card (applets/). The one definition of it.
inline constexpr std::uint8_t emrtd_aid[] = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

/// A status word SW1 SW2 (ISO/IEC 7816-4 5.6).
class StatusWord {
public:
    constexpr StatusWord() = default;
    constexpr explicit StatusWord(std::uint16_t v) : value_(v) {}
    constexpr StatusWord(std::uint8_t sw1, std::uint8_t sw2) : value_(static_cast<std::uint16_t>((sw1 << 8) | sw2)) {}
    constexpr std::uint16_t value() const noexcept { return value_; }
    constexpr std::uint8_t sw1() const noexcept { return static_cast<std::uint8_t>(value_ >> 8); }
    constexpr std::uint8_t sw2() const noexcept { return static_cast<std::uint8_t>(value_); }
    constexpr bool ok() const noexcept { return value_ == 0x9000; }
    constexpr bool operator==(const StatusWord&) const = default;
    /// "6985" style.
    std::string hex() const;
    /// The meaning from the one status word table, e.g. "conditions of use not satisfied".
    std::string meaning() const;
    /// "6985 (conditions of use not satisfied)".
    std::string describe() const;

private:
    std::uint16_t value_ = 0;
};

namespace sw {
inline constexpr StatusWord ok{0x9000};
inline constexpr StatusWord end_of_file{0x6282};
inline constexpr StatusWord auth_failed{0x6300};
inline constexpr StatusWord memory_failure{0x6581};
inline constexpr StatusWord wrong_length{0x6700};
inline constexpr StatusWord sm_not_supported{0x6882};
inline constexpr StatusWord last_command_expected{0x6883};
inline constexpr StatusWord chaining_not_supported{0x6884};
inline constexpr StatusWord command_incompatible{0x6981};
inline constexpr StatusWord security_status_not_satisfied{0x6982};
inline constexpr StatusWord auth_method_blocked{0x6983};
inline constexpr StatusWord conditions_not_satisfied{0x6985};
inline constexpr StatusWord sm_data_objects_missing{0x6987};
inline constexpr StatusWord sm_data_objects_incorrect{0x6988};
inline constexpr StatusWord wrong_data{0x6A80};
inline constexpr StatusWord function_not_supported{0x6A81};
inline constexpr StatusWord file_not_found{0x6A82};
inline constexpr StatusWord not_enough_memory{0x6A84};
inline constexpr StatusWord incorrect_p1p2{0x6A86};
inline constexpr StatusWord reference_not_found{0x6A88};
inline constexpr StatusWord file_exists{0x6A89};
inline constexpr StatusWord wrong_p1p2{0x6B00};
inline constexpr StatusWord ins_not_supported{0x6D00};
inline constexpr StatusWord cla_not_supported{0x6E00};
inline constexpr StatusWord no_precise_diagnosis{0x6F00};
}  // namespace sw

/// A command APDU. Lc is implied by data(); `le` is the expected response length: nullopt for
/// none, 0..65536 otherwise, where 256 (short) and 65536 (extended) are encoded as 00 / 0000.
class CommandApdu {
public:
    CommandApdu() = default;
    CommandApdu(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, Bytes data = {},
                std::optional<std::size_t> le = std::nullopt);

    /// SELECT by DF name (ISO 7816-4 11.2.2), P2 0C: no response data.
    static CommandApdu select_aid(ByteView aid);
    /// SELECT EF under the current DF by file identifier, P1 02 P2 0C.
    static CommandApdu select_ef(std::uint16_t fid);
    /// READ BINARY (B0) at an offset up to 0x7FFF.
    static CommandApdu read_binary(std::uint16_t offset, std::size_t le);
    /// UPDATE BINARY (D6) at an offset up to 0x7FFF.
    static CommandApdu update_binary(std::uint16_t offset, Bytes data);
    /// GET CHALLENGE (84) for `le` bytes.
    static CommandApdu get_challenge(std::size_t le);
    /// GET RESPONSE (C0) after 61xx.
    static CommandApdu get_response(std::uint8_t cla, std::size_t le);

    std::uint8_t cla = 0, ins = 0, p1 = 0, p2 = 0;
    Bytes data;
    std::optional<std::size_t> le;

    /// True when Lc > 255 or Le > 256 (extended length needed).
    bool needs_extended() const noexcept;
    /// Serializes in the short form when possible, extended otherwise (or always when forced).
    Bytes encode(bool force_extended = false) const;
    /// Parses any of the seven encodings of ISO 7816-4 5.1; throws ParseError on inconsistency.
    static CommandApdu parse(ByteView raw);
    /// Splits into a chain of short commands (CLA bit 0x10 on all but the last) of at most
    /// `max_data` bytes of data each (ISO 7816-4 5.1.1.1). Le stays on the last command.
    std::vector<CommandApdu> chain(std::size_t max_data = 255) const;
};

/// A response APDU: data || SW1 SW2.
struct ResponseApdu {
    Bytes data;
    StatusWord sw;

    bool ok() const noexcept { return sw.ok(); }
    Bytes encode() const;
    /// Parses data || SW1 SW2; throws ParseError when shorter than two bytes.
    static ResponseApdu parse(ByteView raw);
};

}  // namespace docketcard::apdu
