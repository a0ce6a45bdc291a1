// Holder records: the input of docketcard (docs/records.md). One record per card holder, read from
// a JSON object, JSON Lines, or RFC 4180 CSV, validated as a whole: a record with any problem is
// rejected and produces no output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docketcard/util/bytes.hpp"

namespace docketcard::record {

/// A calendar date in which the day, or the month and day, may be unknown (ICAO Doc 9303 Part 3,
/// 4.6: unknown parts are written as `<<` in the MRZ). month/day 0 = unknown.
struct Date {
    int year = 0;
    int month = 0;
    int day = 0;
    bool operator==(const Date&) const = default;
    /// YYMMDD with `<<` for unknown parts (Doc 9303 Part 3, 4.6).
    std::string yymmdd() const;
    /// YYYYMMDD with 00 for unknown parts (the LDS "full date" form of DG11/DG12).
    std::string yyyymmdd() const;
    /// YYYY-MM-DD (unknown parts as XX), as written in records.
    std::string iso() const;
};

/// How the holder was released; docs/records.md and docs/docket-data.md list each value.
enum class ReleaseType : std::uint8_t {
    Parole = 1,                      ///< "parole": humanitarian or public-benefit parole
    Recognizance = 2,                ///< "recognizance": release on own recognizance
    Bond = 3,                        ///< "bond": release on a delivery bond
    AlternativesToDetention = 4,     ///< "alternatives_to_detention": ATD programme
    OrderOfSupervision = 5,          ///< "order_of_supervision"
    ConditionalParole = 6,           ///< "conditional_parole"
};
/// snake_case name as written in records ("alternatives_to_detention").
const char* to_string(ReleaseType t) noexcept;
/// Parses the snake_case name; nullopt when unknown.
std::optional<ReleaseType> parse_release_type(std::string_view name) noexcept;
/// Every release type, in enum order (for docs, samples and tests).
const std::vector<ReleaseType>& all_release_types();

/// The docket data, stored on the chip in DG13 (docs/docket-data.md).
struct Docket {
    std::string court;                 ///< immigration court code, e.g. "NYC"
    std::string case_number;
    std::string next_hearing;          ///< ISO 8601 date-time with offset, as given (validated)
    ReleaseType release_type = ReleaseType::Parole;
    std::string reporting_office;
    int check_in_interval_days = 0;
    std::vector<std::string> conditions;
};

/// The national-security background check the card is issued on (docs/records.md). The card
/// carries the reference and the date; the agency is kept in the journal, not on the chip.
struct BackgroundCheck {
    std::string reference;             ///< 1-32 characters A-Z a-z 0-9 - / .
    Date cleared_on;                   ///< not after date_of_issue, not in the future
    std::string agency;                ///< 1-64 bytes of text
    bool operator==(const BackgroundCheck&) const = default;
};

/// One paper document the card stands in for (an I-220A order of release, a G-56 call-in
/// letter, ...), stored on the chip in DG13 version 2 (docs/docket-data.md).
struct ReleaseDocument {
    std::string form;                  ///< "I-" or "G-", 2-4 digits, an optional letter: I-220A
    std::string title;                 ///< 1-80 bytes of text
    std::string number;                ///< 1-32 bytes of text
    Date issued_on;                    ///< complete date
    std::optional<Date> expires_on;    ///< after issued_on
    std::optional<std::string> issued_by;  ///< 1-64 bytes of text
    bool operator==(const ReleaseDocument&) const = default;
};
/// Most documents one card carries (docs/records.md; the storage budget is tested with 16).
inline constexpr std::size_t max_documents = 16;
/// Longest document number: the TD1 document number field (Doc 9303 Part 5, 4.2.2) without its
/// long-number extension.
inline constexpr std::size_t max_document_number_length = 9;
/// Longest background check reference (docs/records.md).
inline constexpr std::size_t max_check_reference_length = 32;

/// One validated holder.
struct HolderRecord {
    std::string document_number;       ///< A-Z 0-9, 1-9 characters
    std::string document_code;         ///< 1-2 letters, first A, C or I (e.g. "ID")
    std::string issuing_state = "USA"; ///< ICAO 3-letter code
    std::string surname;               ///< UTF-8, as given
    std::string given_names;           ///< UTF-8, as given
    char sex = 'X';                    ///< 'F', 'M' or 'X'
    Date date_of_birth;
    std::string nationality;           ///< ICAO 3-letter code (XXA stateless, ...)
    std::optional<std::string> place_of_birth;
    Date date_of_issue;
    Date date_of_expiry;
    std::filesystem::path photo_path;  ///< resolved against the record file's folder
    Bytes photo;                       ///< the photo file's bytes (JPEG or JPEG 2000)
    std::string a_number;              ///< exactly 9 digits (an 8-digit A-number gets a leading 0)
    std::optional<SecureBytes> card_access_number;  ///< 6 ASCII digits; a secret: never printed
    Docket docket;
    BackgroundCheck background_check;
    std::vector<ReleaseDocument> documents;        ///< 1-16, in record order
    /// The holder's access code for the document portal, 8-32 letters and digits. A credential:
    /// never printed in messages or traces.
    std::optional<SecureBytes> portal_reference;

    std::string source_file;           ///< where the record came from, for messages
    int source_line = 0;               ///< 1-based line (JSON Lines/CSV: the record's first line)
    std::uint64_t source_offset = 0;   ///< byte offset of that line in source_file (read_record_at)
};

/// One problem with one field of one record: `FILE:LINE: field: message`.
struct Problem {
    std::string file;
    int line = 0;
    std::string field;     ///< e.g. "date_of_expiry", "docket.court", "" for the whole record
    std::string message;   ///< what is wrong and what would be accepted
    /// `FILE:LINE: field: message`, the form every record problem is reported in.
    std::string to_string() const;
};

/// A record that failed validation, with every problem found in it.
struct Rejected {
    std::string file;
    int line = 0;
    std::string document_number;   ///< as given, may be empty or invalid
    std::vector<Problem> problems;
};

/// Options of validation.
struct LoadOptions {
    std::string default_document_code = "ID";
    /// "Today" for the date-of-issue-in-the-future check; defaults to the system date when unset.
    std::optional<Date> today;
    std::size_t min_photo_bytes = 1024;
    std::size_t max_photo_bytes = 30000;   ///< fits DG2 in one 32 KB EF with room to spare
};

/// Everything read from one file: the valid records and the rejected ones, in file order.
struct LoadResult {
    std::vector<HolderRecord> records;
    std::vector<Rejected> rejected;
    bool ok() const noexcept { return rejected.empty(); }
};

/// Reads and validates a record file: a single JSON object (.json), JSON Lines (.jsonl, or
/// several objects one per line), or CSV with a header row (.csv; RFC 4180). Throws Error
/// (InvalidInput) only when the file itself cannot be read or its format cannot be recognized;
/// problems with individual records are reported in LoadResult::rejected.
LoadResult load_records(const std::filesystem::path& file, const LoadOptions& options = {});

/// Receives the records of a file one at a time, in file order (read_records).
struct RecordVisitor {
    std::function<void(HolderRecord&&)> valid;
    std::function<void(Rejected&&)> rejected;
};

/// load_records() without holding the file: hands each record, valid or rejected, to `visit`
/// before reading the next (a JSON Lines line, a CSV row), so memory stays that of one record and
/// the document numbers seen (about 40 bytes each). Same checks and messages as load_records. A
/// CSV file is read twice: first for the errors that make it unusable as a whole (its header, a
/// quote never closed), which throw before any record is handed on.
void read_records(const std::filesystem::path& file, const LoadOptions& options, const RecordVisitor& visit);

/// The record read_records() handed on from `offset` of `file` (HolderRecord::source_offset, on
/// line `line`), read and validated again, for a caller that keeps only where its records are
/// (docketcard issue). Throws Error(InvalidInput) naming the file and line when there is no
/// longer a valid record there (the file changed), with the first problem found.
HolderRecord read_record_at(const std::filesystem::path& file, std::uint64_t offset, int line,
                            const LoadOptions& options = {});

/// The three record file formats (docs/records.md).
enum class RecordFormat : std::uint8_t { Json, JsonLines, Csv };

/// The format a file name's extension stands for (.json, .jsonl/.ndjson, .csv); nullopt otherwise.
std::optional<RecordFormat> format_from_extension(const std::filesystem::path& file);

/// load_records() on text already in memory: `file_name` is used in messages and `base_dir` to
/// resolve relative photo paths. Throws Error(InvalidInput) when the text is not in `format` at all
/// (e.g. a CSV quote never closed); problems with records go to LoadResult::rejected.
LoadResult parse_records(std::string_view text, RecordFormat format, const std::string& file_name,
                         const std::filesystem::path& base_dir, const LoadOptions& options = {});

/// True for a nationality / issuing state code of Doc 9303 Part 3, section 5 (ISO 3166-1 alpha-3
/// codes, "D<<" for Germany, and the ICAO codes GBD..GBS, UNO, UNA, UNK, XBA..XPO, XXA, XXB, XXC,
/// XXX, EUE, UTO, UTS, ...). `code` is 3 characters, `<`-padded.
bool is_icao_code(std::string_view code) noexcept;

/// The date of today in the system's UTC calendar.
Date today_utc();

}  // namespace docketcard::record
