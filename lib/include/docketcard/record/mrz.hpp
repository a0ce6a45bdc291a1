// The machine-readable zone of a TD1 card (ICAO Doc 9303 Part 5, 4.2) and the character rules of
// Part 3 (check digits 4.9, transliteration 6, truncation of names 4.6).
#pragma once

#include <array>
#include <optional>
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

/// The fields of a TD1 MRZ before formatting (Doc 9303 Part 5, 4.2.2), for callers that need
/// control over the optional data (e.g. the Part 5 sample card, whose optional data is empty).
struct Td1Fields {
    std::string document_code = "I";   ///< 1-2 letters; padded with `<` to 2
    std::string issuing_state;         ///< 3 letters (or "D" / "D<<")
    std::string document_number;       ///< A-Z 0-9; more than 9 characters continue in optional data 1 (Part 5, 4.2.4)
    std::string optional_data_1;       ///< MRZ characters, at most 15 (less for long document numbers)
    record::Date date_of_birth;
    char sex = 'X';                    ///< 'F', 'M', 'X' or '<' ('X' is written as `<`)
    record::Date date_of_expiry;
    std::string nationality;
    std::string optional_data_2;       ///< MRZ characters, at most 11
    std::string primary_identifier;    ///< UTF-8 surname, transliterated here
    std::string secondary_identifier;  ///< UTF-8 given names, transliterated here
};

/// Formats the three TD1 lines from explicit fields (Part 5, 4.2.2; check digits Part 3, 4.9;
/// composite check digit Part 5, 4.2.2.1). Throws Error(InvalidInput) when a field does not fit.
Td1 make_td1(const Td1Fields& fields);

/// The name field of the MRZ (Part 3, 4.6): primary identifier, `<<`, secondary identifiers
/// separated by `<`, transliterated, truncated to `width` characters (secondary identifiers first,
/// keeping at least their first character, then the primary identifier) and padded with `<`.
std::string name_field(std::string_view surname, std::string_view given_names, std::size_t width);

/// Builds the TD1 MRZ of a holder (Part 5, 4.2.2): document number in line 1 with its check
/// digit, the A-number's 9 digits in optional data 1, composite check digit, names truncated per
/// Part 3 4.6 to the 30 characters of line 3.
Td1 make_td1(const record::HolderRecord& holder);

/// The 90 characters of a TD1 MRZ as DG1 holds them, split into the named fields of Doc 9303
/// Part 5, 4.2.2 (line 1: 0-29, line 2: 30-59, line 3: 60-89). The one reading of the layout:
/// verify's comparisons and report summaries use it instead of offsets of their own. Fields are
/// kept as stored, filler `<` included.
struct ParsedTd1 {
    std::string document_code;         ///< 2 characters
    std::string issuing_state;         ///< 3
    std::string document_number;       ///< 9 (the first 9 of a longer number, Part 5 4.2.4)
    std::string document_number_check; ///< 1
    std::string optional_data_1;       ///< 15
    std::string date_of_birth;         ///< 6, YYMMDD
    std::string date_of_birth_check;   ///< 1
    std::string sex;                   ///< 1
    std::string date_of_expiry;        ///< 6, YYMMDD
    std::string date_of_expiry_check;  ///< 1
    std::string nationality;           ///< 3
    std::string optional_data_2;       ///< 11
    std::string composite_check;       ///< 1
    std::string name;                  ///< 30

    /// One field of the layout: its name as reports print it, and where it sits.
    struct Field {
        std::string_view name;
        std::size_t offset;
        std::size_t length;
        std::string ParsedTd1::*member;
    };
    /// The 14 fields in MRZ order.
    static const std::array<Field, 14>& layout() noexcept;

    /// Splits 90 MRZ characters; nullopt when `chars` is not exactly 90 long (no character check:
    /// a card's DG1 is reported as it is).
    static std::optional<ParsedTd1> parse(std::string_view chars);
};

/// `field` without its trailing filler `<` (Part 3, 4.3).
std::string without_filler(std::string_view field);

/// A date typed by an operator (YYMMDD or YYYY-MM-DD) as the YYMMDD of the MRZ (Part 3, 4.6).
/// Throws Error(InvalidInput) naming `field`, never echoing the value, otherwise.
std::string yymmdd_from_input(std::string_view date, std::string_view field);

/// The BAC and PACE "MRZ information" (Doc 9303 Part 11 9.7.1.1, 4.4.4.1 and D.2) from the three
/// fields an operator types: document number (upper-cased, padded with `<` to 9 characters; a
/// longer number is used whole), date of birth and date of expiry (yymmdd_from_input), each
/// followed by its check digit (Part 3 4.9). Throws Error(InvalidInput) naming the field.
std::string mrz_information(std::string_view document_number, std::string_view date_of_birth,
                            std::string_view date_of_expiry);

}  // namespace docketcard::mrz
