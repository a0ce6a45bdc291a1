// The QA verification of a personalized card (`docketcard verify`), as an ICAO Doc 9303
// inspection system performs it: BAC (Part 11 9.7), reading every file listed in EF.COM
// (Part 10), passive authentication of EF.SOD (Part 11 5.1, Part 12), Active Authentication
// (Part 11 6.1), plus our own checks: the card is locked and its data matches the holder record.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "docketcard/record/record.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::verify {

/// One check and its outcome.
struct Check {
    std::string id;        ///< stable identifier for scripts: "bac", "sod-signature", "dg2-hash", ...
    std::string title;     ///< for people: "EF.SOD signature by the Document Signer"
    bool passed = false;
    std::string detail;    ///< why it passed or failed
};

/// What the card holds and how every check went.
struct Result {
    std::vector<Check> checks;
    std::string serial_hex;
    std::map<std::uint16_t, Bytes> files;   ///< every EF read, by file id
    std::string mrz;                        ///< DG1, 90 characters
    std::string full_name;                  ///< DG11, UTF-8
    Bytes photo;                            ///< the image inside DG2
    std::string photo_mime;                 ///< image/jpeg or image/jp2
    bool ok() const noexcept;
};

/// The key for BAC: from a record, or the three MRZ fields given on the command line.
struct MrzKey {
    std::string document_number;
    std::string date_of_birth;   ///< YYMMDD or YYYY-MM-DD
    std::string date_of_expiry;  ///< YYMMDD or YYYY-MM-DD
};

struct Options {
    std::filesystem::path csca;                 ///< CSCA certificate (PEM or DER)
    std::optional<record::HolderRecord> record; ///< compare every field against it
    std::optional<MrzKey> mrz_key;              ///< used when no record is given
    bool require_locked = true;
};

/// Runs every check and returns them all; throws only when the card cannot be read at all
/// (Error Communication) or BAC fails (Error CardRefused).
Result verify_card(transport::CardChannel& card, const Options& options);

/// One self-contained HTML page: the chip's photo beside the holder data and every check.
std::string render_html(const Result& result);

}  // namespace docketcard::verify
