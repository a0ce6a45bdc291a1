// The machine-readable zone of a TD1 card (ICAO Doc 9303 Part 5, 4.2) and the character rules of
// Part 3 (check digits 4.9, transliteration 6, truncation of names 4.6).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "docketcard/record/record.hpp"

namespace docketcard::mrz {

/// Check digit of Doc 9303 Part 3, 4.9 (weights 7 3 1; A-Z = 10-35; `<` = 0). Throws
/// Error(InvalidInput) on a character outside 0-9 A-Z <.
char check_digit(std::string_view field);

/// Transliterates a UTF-8 name to MRZ characters per Doc 9303 Part 3, section 6 (Latin letters with
/// diacritics, e.g. "Nuñez" -> "NUNEZ"; the mapping table is documented in docs/records.md), upper
/// case, hyphens and spaces to `<`, apostrophes dropped. Throws Error(InvalidInput) for characters it cannot transliterate.
std::string transliterate(std::string_view utf8);

/// The three 30-character lines of a TD1 MRZ.
struct Td1 {
    std::array<std::string, 3> lines;
    /// The 90 characters as stored in DG1 (line 1 || line 2 || line 3).
    std::string joined() const;
    /// The BAC "MRZ information" (Doc 9303 Part 11, 9.7.1.1/D.2): document number with check digit,
    /// date of birth with check digit, date of expiry with check digit.
    std::string bac_information() const;
};

/// Builds the TD1 MRZ of a holder (Part 5, 4.2.2): document number in line 1 with its check
/// digit, the A-number's 9 digits in optional data 1, composite check digit, names truncated per
/// Part 3 4.6 to the 30 characters of line 3.
Td1 make_td1(const record::HolderRecord& holder);

}  // namespace docketcard::mrz
