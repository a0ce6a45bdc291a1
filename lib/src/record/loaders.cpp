// Holder records: reading JSON / JSON Lines / CSV files into validated records (docs/records.md).
#include "docketcard/record/record.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "docketcard/record/csv.hpp"
#include "docketcard/util/error.hpp"
#include "internal.hpp"

namespace docketcard::record {

using nlohmann::json;
using detail::shown;
using detail::valid_utf8;
using detail::Validator;

std::optional<RecordFormat> format_from_extension(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".json") return RecordFormat::Json;
    if (ext == ".jsonl" || ext == ".ndjson") return RecordFormat::JsonLines;
    if (ext == ".csv") return RecordFormat::Csv;
    return std::nullopt;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Formats

// The document numbers seen so far, with the line of their first record, in about 40 bytes a
// number: a number of at most 9 characters 0-9 A-Z < (what a valid record has) is packed exactly
// into 48 bits (base 38, digit 0 for "no character"); any other string is kept whole.
class NumberIndex {
public:
    // The line of an earlier record with `number`, or nullopt after remembering `line` for it.
    std::optional<int> earlier(const std::string& number, int line) {
        if (const auto key = pack(number)) {
            const auto [it, fresh] = packed_.emplace(*key, line);
            return fresh ? std::nullopt : std::optional<int>(it->second);
        }
        const auto [it, fresh] = other_.emplace(number, line);
        return fresh ? std::nullopt : std::optional<int>(it->second);
    }

private:
    static std::optional<std::uint64_t> pack(const std::string& number) {
        if (number.size() > 9) return std::nullopt;
        std::uint64_t key = 0;
        for (char c : number) {
            int digit;
            if (c >= '0' && c <= '9') digit = c - '0' + 1;
            else if (c >= 'A' && c <= 'Z') digit = c - 'A' + 11;
            else if (c == '<') digit = 37;
            else return std::nullopt;
            key = key * 38 + static_cast<std::uint64_t>(digit);
        }
        return key;
    }

    std::unordered_map<std::uint64_t, int> packed_;
    std::map<std::string, int> other_;
};

struct Loader {
    const std::string& file;
    const std::filesystem::path& base_dir;
    const LoadOptions& options;
    const RecordVisitor& visit;
    NumberIndex numbers;
    std::uint64_t offset = 0;   // where the record being added starts in the file

    void finish(Validator& v, HolderRecord&& r) {
        r.source_offset = offset;
        if (!r.document_number.empty()) {
            if (const auto line = numbers.earlier(r.document_number, r.source_line))
                v.add("document_number",
                      fmt::format("{} is also the document number of the record on line {}; expected "
                                  "a different number for each card", shown(r.document_number), *line));
        }
        if (v.problems().empty()) {
            visit.valid(std::move(r));
        } else {
            visit.rejected(Rejected{r.source_file, r.source_line, r.document_number, std::move(v.problems())});
        }
    }

    void add_json(const json& obj, int line, bool text_values = false,
                  std::vector<Problem> early = {}) {
        Validator v(file, line, base_dir, options, text_values);
        auto r = v.check(obj);
        auto& p = v.problems();
        p.insert(p.begin(), early.begin(), early.end());
        finish(v, std::move(r));
    }

    void syntax_error(int line, const std::string& what) {
        Validator v(file, line, base_dir, options, false);
        v.add("", what);
        HolderRecord r;
        r.source_file = file;
        r.source_line = line;
        finish(v, std::move(r));
    }
};

int line_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string json_error(const json::exception& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ..." (or
    // "[json.exception.out_of_range.406] number overflow parsing '1e400'").
    std::string msg = e.what();
    if (const auto at = msg.find("] "); at != std::string::npos) msg = msg.substr(at + 2);
    return "not valid JSON (" + msg + "); expected one JSON object";
}

void load_json(std::string_view text, Loader& l) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;  // an empty file has no records
    const int line = line_of_offset(text, first);
    if (const auto fast = detail::parse_json_fast(text)) return l.add_json(*fast, line);
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        return l.syntax_error(line_of_offset(text, e.byte == 0 ? 0 : e.byte - 1), json_error(e));
    } catch (const json::out_of_range& e) {   // a number beyond a double (1e400): no position
        return l.syntax_error(line, json_error(e));
    }
    l.add_json(doc, line);
}

void load_json_line(const std::string& one, int line, Loader& l) {
    if (const auto fast = detail::parse_json_fast(one)) return l.add_json(*fast, line);
    json doc;
    try {
        doc = json::parse(one.begin(), one.end());
    } catch (const json::exception& e) {   // parse_error, or out_of_range for a number beyond a double (1e400)
        return l.syntax_error(line, json_error(e));
    }
    l.add_json(doc, line);
}

// One record a line, read a line at a time.
void load_json_lines(std::istream& in, Loader& l) {
    int line = 0;
    std::uint64_t offset = 0;
    std::string one;
    while (std::getline(in, one)) {
        ++line;
        l.offset = offset;
        offset += one.size() + 1;
        if (one.find_first_not_of(" \t\r") == std::string::npos) continue;
        load_json_line(one, line, l);
    }
}

// The columns that stand for a nested field of a record; nullptr for other names.
const char* group_columns(const std::string& name) {
    if (name == "docket") return "docket.court, docket.case_number, ...";
    if (name == "background_check") return "background_check.reference, background_check.cleared_on, background_check.agency";
    if (name == "documents") return "documents.1.form, documents.1.title, ... documents.16.issued_by";
    return nullptr;
}

// A CSV cell holding a list: entries separated by `|`.
json split_list(const std::string& cell) {
    json list = json::array();
    std::size_t s = 0;
    for (;;) {
        const auto bar = cell.find('|', s);
        list.push_back(cell.substr(s, bar == std::string::npos ? std::string::npos : bar - s));
        if (bar == std::string::npos) break;
        s = bar + 1;
    }
    return list;
}

// CSV: one column per field; nested fields as docket.<name> and background_check.<name>;
// docket.conditions separated by `|`; documents as documents.N.<name> (N = 1..16); an empty cell
// is an absent field.
// The next row into `row` (nullopt at the end); a malformed row makes the file unusable.
void next_row(csv::Reader& reader, const std::string& file, std::optional<csv::Row>& row) {
    try {
        row = reader.next();
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: CSV {}", file, e.what()));
    }
}

// The header row, checked: names neither empty nor repeated. Nullopt for a file without rows.
std::optional<csv::Row> read_header(csv::Reader& reader, const std::string& file) {
    std::optional<csv::Row> header;
    next_row(reader, file, header);
    if (!header) return std::nullopt;
    std::set<std::string> seen;
    for (const auto& name : header->fields) {
        if (name.empty())
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header has an empty column name; expected field "
                                    "names such as document_number, docket.court",
                                    file, header->line));
        if (!seen.insert(name).second)
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header names the column {} twice; expected each "
                                    "field once", file, header->line, shown(name)));
    }
    return header;
}

// The errors that make a CSV file unusable as a whole (its header, a quote never closed), found
// by a pass that keeps no row, so that none of its records is handed on before they are known.
void check_csv_structure(std::istream& in, const std::string& file) {
    csv::Reader reader(in);
    if (!read_header(reader, file)) return;
    std::optional<csv::Row> row;
    do next_row(reader, file, row);
    while (row);
}

// One CSV row under `header` as a record.
void add_row(const csv::Row& header, const csv::Row& row, Loader& l) {
    l.offset = row.offset;
    std::vector<Problem> early;
    if (row.fields.size() != header.fields.size())
        early.push_back(Problem{l.file, row.line, "",
                                fmt::format("has {} fields, the header has {}; expected one "
                                            "value per column (quote values with commas)",
                                            row.fields.size(), header.fields.size())});
    json obj = json::object();
    const std::size_t n = std::min(row.fields.size(), header.fields.size());
    for (std::size_t c = 0; c < n; ++c) {
        const std::string& name = header.fields[c];
        const std::string& cell = row.fields[c];
        if (cell.empty()) continue;
        if (!valid_utf8(cell)) {
            early.push_back(Problem{l.file, row.line, name, "is not valid UTF-8; expected UTF-8 text"});
            continue;
        }
        if (name.rfind("docket.", 0) == 0 || name.rfind("background_check.", 0) == 0) {
            const auto dot = name.find('.');
            const std::string group = name.substr(0, dot), sub = name.substr(dot + 1);
            if (!obj.contains(group) || !obj[group].is_object()) obj[group] = json::object();
            if (group == "docket" && sub == "conditions")
                obj[group][sub] = split_list(cell);
            else
                obj[group][sub] = cell;
        } else if (name.rfind("documents.", 0) == 0) {
            // documents.N.field, N = 1..16: entry N-1 of the documents list.
            const auto dot = name.find('.', 10);
            const std::string digits = name.substr(10, dot == std::string::npos ? std::string::npos : dot - 10);
            const int index = detail::all_digits(digits) && !digits.empty() && digits.size() <= 2 ? detail::to_int(digits) : 0;
            if (dot == std::string::npos || index < 1 || index > static_cast<int>(max_documents)) {
                early.push_back(Problem{l.file, row.line, name,
                                        fmt::format("unknown column; expected documents.N.form, "
                                                    "documents.N.title, ... with N from 1 to {}",
                                                    max_documents)});
                continue;
            }
            json& list = obj["documents"];
            if (!list.is_array()) list = json::array();
            while (list.size() < static_cast<std::size_t>(index)) list.push_back(json::object());
            list[static_cast<std::size_t>(index - 1)][name.substr(dot + 1)] = cell;
        } else if (const char* columns = group_columns(name)) {
            early.push_back(Problem{l.file, row.line, name,
                                    fmt::format("unknown column; expected {} fields as columns {}",
                                                name, columns)});
        } else {
            obj[name] = cell;
        }
    }
    l.add_json(obj, row.line, true, std::move(early));
}

void load_csv(std::istream& in, Loader& l) {
    csv::Reader reader(in);
    const auto header = read_header(reader, l.file);
    if (!header) return;
    std::optional<csv::Row> next;
    while (next_row(reader, l.file, next), next) add_row(*header, *next, l);
}

// A .json file holds one record: read it whole.
void load_json_stream(std::istream& in, Loader& l) {
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    load_json(text, l);
}

// The format of a record file by its extension; Error(InvalidInput) for another extension.
RecordFormat record_format(const std::filesystem::path& file) {
    const auto format = format_from_extension(file);
    if (!format)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: unknown record file type {}; expected .json, .jsonl or .csv",
                                file.string(), shown(file.extension().string())));
    return *format;
}

// Reads `in` (positioned at its start; `rewind` brings it back there) in `format`.
template <typename Rewind>
void read_stream(std::istream& in, Rewind rewind, RecordFormat format, const std::string& file_name,
                 const std::filesystem::path& base_dir, const LoadOptions& options, const RecordVisitor& visit) {
    Loader l{file_name, base_dir, options, visit, {}};
    switch (format) {
    case RecordFormat::Json: load_json_stream(in, l); break;
    case RecordFormat::JsonLines: load_json_lines(in, l); break;
    case RecordFormat::Csv:
        check_csv_structure(in, file_name);
        rewind();
        load_csv(in, l);
        break;
    }
}

// A visitor that collects into a LoadResult.
RecordVisitor collect_into(LoadResult& result) {
    return {[&result](HolderRecord&& r) { result.records.push_back(std::move(r)); },
            [&result](Rejected&& r) { result.rejected.push_back(std::move(r)); }};
}

}  // namespace

LoadResult parse_records(std::string_view text, RecordFormat format, const std::string& file_name,
                         const std::filesystem::path& base_dir, const LoadOptions& options) {
    LoadResult result;
    std::istringstream in{std::string(text)};
    const auto rewind = [&] {
        in.clear();
        in.seekg(0);
    };
    read_stream(in, rewind, format, file_name, base_dir, options, collect_into(result));
    return result;
}

void read_records(const std::filesystem::path& file, const LoadOptions& options, const RecordVisitor& visit) {
    const RecordFormat format = record_format(file);
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: cannot open the record file", file.string()));
    const auto rewind = [&] {
        in.clear();
        in.seekg(0);
        if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot read the record file again", file.string()));
    };
    read_stream(in, rewind, format, file.string(), file.parent_path(), options, visit);
    if (in.bad())
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot read the record file", file.string()));
}

HolderRecord read_record_at(const std::filesystem::path& file, std::uint64_t offset, int line,
                            const LoadOptions& options) {
    const RecordFormat format = record_format(file);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot open the record file again", file.string()));
    LoadResult result;
    const RecordVisitor visit = collect_into(result);
    const std::string name = file.string();
    const std::filesystem::path base = file.parent_path();
    Loader l{name, base, options, visit, {}};
    switch (format) {
    case RecordFormat::Json: load_json_stream(in, l); break;
    case RecordFormat::JsonLines: {
        std::string one;
        in.seekg(static_cast<std::streamoff>(offset));
        l.offset = offset;
        if (std::getline(in, one)) load_json_line(one, line, l);
        break;
    }
    case RecordFormat::Csv: {
        csv::Reader start(in);
        const auto header = read_header(start, name);
        in.clear();
        in.seekg(static_cast<std::streamoff>(offset));
        csv::Reader at(in, offset, line);
        std::optional<csv::Row> row;
        next_row(at, name, row);
        if (header && row) add_row(*header, *row, l);
        break;
    }
    }
    if (result.records.size() == 1 && result.records[0].source_line == line) return std::move(result.records[0]);
    const std::string why = !result.rejected.empty() && !result.rejected[0].problems.empty()
                                ? result.rejected[0].problems[0].to_string()
                                : "no record starts there";
    throw Error(ErrorKind::InvalidInput,
                fmt::format("{}:{}: the record is no longer there as it was read ({}); the file changed after "
                            "the batch read it",
                            name, line, why));
}

LoadResult load_records(const std::filesystem::path& file, const LoadOptions& options) {
    LoadResult result;
    read_records(file, options, collect_into(result));
    return result;
}

}  // namespace docketcard::record
