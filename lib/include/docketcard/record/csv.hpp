// A small RFC 4180 CSV reader for holder records (docs/records.md): quoted fields, embedded commas,
// doubled quotes, embedded line breaks, CRLF or LF line ends. Bounds-checked and fuzzed
// (tests/fuzz/fuzz_record_csv.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace docketcard::record::csv {

/// One CSV record: its fields and the physical line (1-based) on which it starts.
struct Row {
    int line = 0;
    std::vector<std::string> fields;
};

/// Splits `text` into rows per RFC 4180, section 2. Lines that are completely empty are skipped; a
/// UTF-8 byte order mark at the start is ignored. Throws ParseError ("line N: ...") on a quote that is
/// never closed or on characters after a closing quote.
std::vector<Row> parse(std::string_view text);

}  // namespace docketcard::record::csv
