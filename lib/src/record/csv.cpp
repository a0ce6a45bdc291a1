// RFC 4180 CSV reader.
#include "docketcard/record/csv.hpp"

#include <fmt/format.h>

#include "docketcard/util/error.hpp"

namespace docketcard::record::csv {

std::vector<Row> parse(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    std::vector<Row> rows;
    std::size_t i = 0;
    int line = 1;
    const std::size_t n = text.size();
    auto at_line_end = [&](std::size_t k) { return k < n && (text[k] == '\n' || text[k] == '\r'); };
    // Consumes one line end (CRLF, LF or a lone CR) at i.
    auto skip_line_end = [&] {
        if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
        ++i;
        ++line;
    };
    while (i < n) {
        if (at_line_end(i)) {  // an empty line: not a record
            skip_line_end();
            continue;
        }
        Row row;
        row.line = line;
        for (;;) {
            std::string field;
            if (i < n && text[i] == '"') {
                const int opened = line;
                ++i;
                for (;;) {
                    if (i >= n)
                        throw ParseError(fmt::format(
                            "line {}: the quoted field opened here is never closed; close it with \"",
                            opened));
                    const char c = text[i];
                    if (c == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field.push_back('"');
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (c == '\n' || (c == '\r' && !(i + 1 < n && text[i + 1] == '\n'))) ++line;
                    field.push_back(c);
                    ++i;
                }
                if (i < n && text[i] != ',' && !at_line_end(i))
                    throw ParseError(fmt::format(
                        "line {}: text after the closing quote of a field; put the whole field in "
                        "quotes and double any quote inside it",
                        line));
            } else {
                while (i < n && text[i] != ',' && !at_line_end(i)) {
                    if (text[i] == '"')
                        throw ParseError(fmt::format(
                            "line {}: a quote inside an unquoted field; put the whole field in "
                            "quotes and double the quote (\"\")",
                            line));
                    field.push_back(text[i]);
                    ++i;
                }
            }
            row.fields.push_back(std::move(field));
            if (i < n && text[i] == ',') {
                ++i;
                continue;
            }
            break;  // end of line or of text
        }
        if (i < n) skip_line_end();
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace docketcard::record::csv
