// The journal for audit (`docketcard journal`, docs/journal.md): one snapshot of attempts,
// records and counts, rendered as a text table, RFC 4180 CSV or one JSON document.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "docketcard/journal/journal.hpp"

namespace docketcard::journal {

/// Everything the audit shows, read from one journal.
struct Audit {
    std::vector<Attempt> attempts;       ///< every card attempt, in id order
    std::vector<RecordStatus> records;   ///< every record, in registration order
    std::vector<Batch> batches;
    Summary summary;
};

/// Reads the audit snapshot from `journal`.
Audit read_audit(Journal& journal);

/// Human table: one line per card attempt, then one per record that has no attempt (pending or
/// rejected, with its problems), then the summary by state.
std::string audit_text(const Audit& audit);

/// RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
/// doubled) with a header row; the same rows as audit_text(), without the summary.
std::string audit_csv(const Audit& audit);

/// One JSON document: {"ok":true, "attempts":[...], "records":[...], "batches":[...],
/// "summary":{state:count}, "totals":{"records":n,"attempts":n}} (RFC 8259).
std::string audit_json(const Audit& audit);

/// One station and reader of a site (a shared journal): its card attempts by state and its pace.
struct SiteRow {
    std::string station;
    std::string reader;
    std::map<State, std::int64_t> by_state;   ///< attempt states (writing .. superseded), zero included
    std::int64_t cards = 0;                   ///< cards verified on it (verified + superseded)
    /// Verified cards per hour over its working span: from its first attempt's start to its last
    /// verified card's finish; nullopt before its first verified card.
    std::optional<double> cards_per_hour;
    std::string last_finished;                ///< its newest finish time ("" when none)
};

/// The site view: one row per station and reader, by station then reader name.
std::vector<SiteRow> site_rows(const Audit& audit);
/// Text: a table of site_rows() (STATION, READER, one column per attempt state, CARDS/H), the
/// batches still open with their stations, then the summary line of audit_text().
std::string site_text(const Audit& audit);
/// RFC 4180 CSV of site_rows(), header
/// station,reader,writing,written,locked,verified,spoiled,superseded,cards_per_hour,last_finished_at.
std::string site_csv(const Audit& audit);
/// audit_json() with a "site" array of site_rows() ({"station", "reader", "states": {...},
/// "cards", "cards_per_hour", "last_finished_at"}).
std::string site_json(const Audit& audit);

/// One CSV field quoted as RFC 4180 section 2 requires.
std::string csv_field(std::string_view value);

}  // namespace docketcard::journal
