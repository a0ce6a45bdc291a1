// A small RFC 4180 CSV reader for holder records (docs/records.md): quoted fields, embedded commas,
// doubled quotes, embedded line breaks, CRLF or LF line ends. Bounds-checked and fuzzed
// (tests/fuzz/fuzz_record_csv.cpp).
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docketcard::record::csv {

/// One CSV record: its fields and the physical line (1-based) on which it starts.
struct Row {
    int line = 0;
    std::uint64_t offset = 0;   ///< byte offset of the row's first character in the stream
    std::vector<std::string> fields;
};

/// Reads rows per RFC 4180, section 2, one at a time from a stream, holding only the row being
/// read (a file of any length in constant memory). Lines that are completely empty are skipped; a
/// UTF-8 byte order mark at the start is ignored.
class Reader {
public:
    explicit Reader(std::istream& in);
    /// A reader placed inside a stream (at a row `offset` bytes from its start, which is on line
    /// `line`): no byte order mark is looked for, and rows say that offset and line onwards.
    Reader(std::istream& in, std::uint64_t offset, int line);
    /// The next row, or nullopt at the end of the stream. Throws ParseError ("line N: ...") on a
    /// quote that is never closed or on characters after a closing quote.
    std::optional<Row> next();

private:
    static constexpr int end_ = -1;
    int peek();
    int take();
    bool at_line_end();
    void skip_line_end();

    std::streambuf* in_;
    std::string pending_;   // bytes read while looking for a byte order mark, not yet consumed
    std::size_t pending_at_ = 0;
    std::uint64_t consumed_ = 0;   // bytes taken from the stream, byte order mark included
    int line_ = 1;
};

/// Every row of `text` (Reader over a string).
std::vector<Row> parse(std::string_view text);

}  // namespace docketcard::record::csv
