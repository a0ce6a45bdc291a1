// RFC 4180 CSV reader.
#include "docketcard/record/csv.hpp"

#include <sstream>

#include <fmt/format.h>

#include "docketcard/util/error.hpp"

namespace docketcard::record::csv {

Reader::Reader(std::istream& in) : in_(in.rdbuf()) {
    char bom[3];
    const auto n = in_ ? in_->sgetn(bom, 3) : 0;
    pending_.assign(bom, static_cast<std::size_t>(n));
    if (pending_ == "\xEF\xBB\xBF") {
        pending_.clear();
        consumed_ = 3;
    }
}

Reader::Reader(std::istream& in, std::uint64_t offset, int line) : in_(in.rdbuf()), consumed_(offset), line_(line) {}

int Reader::peek() {
    if (pending_at_ < pending_.size()) return static_cast<unsigned char>(pending_[pending_at_]);
    const auto c = in_ ? in_->sgetc() : std::char_traits<char>::eof();
    return c == std::char_traits<char>::eof() ? end_ : static_cast<unsigned char>(c);
}

int Reader::take() {
    ++consumed_;
    if (pending_at_ < pending_.size()) return static_cast<unsigned char>(pending_[pending_at_++]);
    const auto c = in_ ? in_->sbumpc() : std::char_traits<char>::eof();
    if (c == std::char_traits<char>::eof()) {
        --consumed_;
        return end_;
    }
    return static_cast<unsigned char>(c);
}

bool Reader::at_line_end() {
    const int c = peek();
    return c == '\n' || c == '\r';
}

// Consumes one line end (CRLF, LF or a lone CR).
void Reader::skip_line_end() {
    if (take() == '\r' && peek() == '\n') take();
    ++line_;
}

std::optional<Row> Reader::next() {
    while (at_line_end()) skip_line_end();  // empty lines are not records
    if (peek() == end_) return std::nullopt;
    Row row;
    row.line = line_;
    row.offset = consumed_;
    for (;;) {
        std::string field;
        if (peek() == '"') {
            const int opened = line_;
            take();
            for (;;) {
                const int c = take();
                if (c == end_)
                    throw ParseError(
                        fmt::format("line {}: the quoted field opened here is never closed; close it with \"", opened));
                if (c == '"') {
                    if (peek() != '"') break;
                    take();
                    field.push_back('"');
                    continue;
                }
                if (c == '\n' || (c == '\r' && peek() != '\n')) ++line_;
                field.push_back(static_cast<char>(c));
            }
            if (peek() != end_ && peek() != ',' && !at_line_end())
                throw ParseError(fmt::format("line {}: text after the closing quote of a field; put the whole field in "
                                             "quotes and double any quote inside it",
                                             line_));
        } else {
            while (peek() != end_ && peek() != ',' && !at_line_end()) {
                if (peek() == '"')
                    throw ParseError(fmt::format("line {}: a quote inside an unquoted field; put the whole field in "
                                                 "quotes and double the quote (\"\")",
                                                 line_));
                field.push_back(static_cast<char>(take()));
            }
        }
        row.fields.push_back(std::move(field));
        if (peek() == ',') {
            take();
            continue;
        }
        break;  // end of line or of text
    }
    if (peek() != end_) skip_line_end();
    return row;
}

std::vector<Row> parse(std::string_view text) {
    std::istringstream in{std::string(text)};
    Reader reader(in);
    std::vector<Row> rows;
    while (auto row = reader.next()) rows.push_back(std::move(*row));
    return rows;
}

}  // namespace docketcard::record::csv
