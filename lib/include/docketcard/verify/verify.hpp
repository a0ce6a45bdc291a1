// The QA verification of a personalized card (`docketcard verify`), as an ICAO Doc 9303
// inspection system performs it: BAC (Part 11 9.7), reading every file listed in EF.COM
// (Part 10), passive authentication of EF.SOD (Part 11 5.1, Part 12), Active Authentication
// (Part 11 6.1), plus our own checks: the card is locked and its data matches the holder record.
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "docketcard/lds/lds.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/crypto/random.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::verify {

/// One check and its outcome.
struct Check {
    std::string id;        ///< stable identifier for scripts: "bac", "sod-signature", "dg2-hash", ...
    std::string title;     ///< for people: "EF.SOD signature by the Document Signer"
    bool passed = false;   ///< also true for a check that does not apply (it does not stop ok())
    std::string detail;    ///< why it passed, failed or does not apply
    /// False when the check does not apply to this card: `locked` on a card that is not a docket
    /// applet, `active-authentication` on a chip whose EF.SOD lists no DG15 (Doc 9303 Part 11
    /// 6.1: Active Authentication is optional). Shown as N/A.
    bool applicable = true;
    /// "pass", "fail" or "n/a", as the JSON output and the report write it.
    std::string_view status() const noexcept { return !applicable ? "n/a" : passed ? "pass" : "fail"; }
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
    std::uint16_t photo_width = 0;          ///< from the ISO/IEC 19794-5 image information
    std::uint16_t photo_height = 0;
    /// The holder data as the chip holds it (DG1, DG11, DG12, DG13), as label/value pairs in
    /// display order, for reports. Values are card data: escape them before putting them in markup.
    std::vector<std::pair<std::string, std::string>> holder;
    /// DG13 as decoded (docket, and in version 2 documents, background check, portal reference).
    std::optional<lds::DocketData> docket;
    /// DG12 as decoded (issuing authority, date of issue, endorsement).
    std::optional<lds::Dg12> dg12;
    std::time_t verified_at = 0;            ///< when the verification ran (UTC seconds)
    std::string card_description;           ///< the channel the card was read through
    /// How the chip was opened: "PACE-CAN", "PACE-MRZ" (Doc 9303 Part 11 4.4) or "BAC" (9.7).
    std::string access_control;
    /// Secure messaging sessions opened: 1, plus one for each time access control (and Chip
    /// Authentication) was re-established after a secure messaging error (see verify_card).
    int sessions = 0;
    /// True when there is at least one check and every check passed or does not apply.
    bool ok() const noexcept;
    /// The check with this id, or nullptr.
    const Check* find(std::string_view id) const noexcept;
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
    /// The card access number for PACE (6 digits; a secret). When unset, the record's
    /// card_access_number is used, and without one PACE runs with the MRZ.
    std::optional<SecureBytes> can;
    /// A docket card (one that answers GET DATA 66 with its card-info template) must be LOCKED.
    bool require_locked = true;
    /// Fail, instead of reporting N/A, a card that is not a docket applet (GET DATA 66 not
    /// supported) or whose EF.SOD lists no DG15 (no Active Authentication).
    bool require_docket_card = false;
    /// RND.IFD and K.IFD of BAC (Part 11 9.7.4) and the Active Authentication challenge (Part 11
    /// 6.1), asked in that order; crypto::system_random() when empty. Tests inject fixed bytes to
    /// replay the Part 11 Appendix D exchange.
    crypto::RandomSource random;
    /// The time at which certificate validity is judged; the current time when unset.
    std::optional<std::time_t> now;
    /// When set, every command sent inside the BAC session is also traced above secure messaging
    /// (transport::TraceLevel::Plain, `-vv`; secrets stay redacted).
    std::optional<transport::TraceOptions> plain_trace;
};

/// The BAC "MRZ information" of the three fields given on the command line
/// (mrz::mrz_information, Doc 9303 Part 11 9.7.1.1 and D.2). Throws Error(InvalidInput) naming
/// the field (never echoing a value) when a field is malformed.
std::string mrz_information(const MrzKey& key);

/// Runs every check and returns them all; throws only when the card cannot be read at all
/// (Error Communication) or BAC fails (Error CardRefused).
///
/// SELECT of the eMRTD application (Part 10 3.1), EF.CardAccess read in the clear (Part 11
/// 9.2.11); PACE (Part 11 4.4) when it offers a PACEInfo docketcard speaks, with the CAN
/// (options.can, else the record's) or else the MRZ information; BAC (Part 11 9.7) with the MRZ
/// information of options.record (mrz::make_td1) or options.mrz_key only when the card has no
/// EF.CardAccess (SELECT answers 6A82 or 6982). EF.COM and every file it lists plus EF.SOD
/// read under secure messaging (Part 11 9.8), then the checks, in this order and with these ids:
///   pace or bac, com, card-access (the PACEInfo of the unsigned EF.CardAccess is in the signed
///   DG14; N/A without EF.CardAccess or when DG14 does not repeat it), chip-authentication (Part 11 6.2, when EF.COM lists DG14 and DG14 offers it:
///   after it every file is read under the new keys; N/A otherwise), dg<N>-read (each DG listed, read and well-formed), sod-read, sod-signature,
///   ds-chain, ds-validity, sod-dg-set, dg<N>-hash (each DG in EF.SOD or read),
///   active-authentication (Part 11 6.1, fresh challenge), locked (GET DATA 66 under SM),
///   endorsement (DG12 5F1B is lds::card_endorsement; N/A on a DG13 v1 card without one),
///   and with a record: mrz, names, dates, docket, documents, background-check,
///   portal-reference (the last three N/A on a DG13 version 1 card), photo.
/// Every data group listed in EF.COM or EF.SOD is read.
/// A secure messaging error (a response MAC that does not verify, a missing DO'8E, 6987/6988 from
/// the card) ends the session on both sides (Part 11 9.8), so verify_card re-establishes access
/// control, and Chip Authentication when it had succeeded, as an inspection system does, and reads
/// the file once more: the file's read check (com, sod-read, dg<N>-read) fails naming the command,
/// the file and the error, and what the second read gave is checked as usual. A file that fails
/// again is unreadable; the session is re-established for the next step (at most once per file and
/// step, Result::sessions counts them). When re-establishing fails, the later checks fail saying so. Active Authentication is required exactly
/// when the signed EF.SOD lists DG15 (not the unsigned EF.COM); otherwise it is N/A. `locked` is
/// N/A on a card that answers GET DATA 66 with 6D00, 6E00, 6A82, 6A86 or 6A88 (an independent
/// Doc 9303 card, not a docket applet); a docket card must be LOCKED (Options::require_locked).
/// Throws Error(InvalidInput) when the CSCA file cannot be read or no MRZ data is given, and
/// CardError(CardRefused) when the card has no eMRTD application or refuses BAC.
Result verify_card(transport::CardChannel& card, const Options& options);

/// One self-contained HTML5 page (inline CSS, the photo as a data: URI; no external resource):
/// the overall verdict, card serial and time, the chip's photo beside the holder data (a JPEG 2000
/// photo is offered as a download, since browsers may not display it), and every check with a
/// PASS, FAIL or N/A badge. All card and record text is HTML-escaped.
std::string render_html(const Result& result);

/// `text` with & < > " ' replaced by character references (HTML5 13.1.2.6), safe in element
/// content and quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace docketcard::verify
