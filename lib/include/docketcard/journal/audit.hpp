// The journal for audit (`docketcard journal`, docs/journal.md): one snapshot of attempts,
// records and counts, rendered as a text table, RFC 4180 CSV or one JSON document.
#pragma once

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

/// One CSV field quoted as RFC 4180 section 2 requires.
std::string csv_field(std::string_view value);

}  // namespace docketcard::journal
