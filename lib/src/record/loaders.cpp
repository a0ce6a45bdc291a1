// Holder records: reading JSON / JSON Lines / CSV files into validated records (docs/records.md).
#include "docketcard/record/record.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

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

struct Loader {
    const std::string& file;
    const std::filesystem::path& base_dir;
    const LoadOptions& options;
    LoadResult result;
    std::map<std::string, int> numbers;  // document number -> line of its first record

    void finish(Validator& v, HolderRecord&& r) {
        if (!r.document_number.empty()) {
            auto [it, fresh] = numbers.emplace(r.document_number, r.source_line);
            if (!fresh)
                v.add("document_number",
                      fmt::format("{} is also the document number of the record on line {}; expected "
                                  "a different number for each card", shown(r.document_number), it->second));
        }
        if (v.problems().empty()) {
            result.records.push_back(std::move(r));
        } else {
            result.rejected.push_back(
                Rejected{r.source_file, r.source_line, r.document_number, std::move(v.problems())});
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

std::string json_error(const json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...".
    std::string msg = e.what();
    if (const auto at = msg.find("] "); at != std::string::npos) msg = msg.substr(at + 2);
    return "not valid JSON (" + msg + "); expected one JSON object";
}

void load_json(std::string_view text, Loader& l) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;  // an empty file has no records
    const int line = line_of_offset(text, first);
    try {
        l.add_json(json::parse(text.begin(), text.end()), line);
    } catch (const json::parse_error& e) {
        l.syntax_error(line_of_offset(text, e.byte == 0 ? 0 : e.byte - 1), json_error(e));
    }
}

void load_json_lines(std::string_view text, Loader& l) {
    int line = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        ++line;
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view one = text.substr(start, end - start);
        start = end + 1;
        if (one.find_first_not_of(" \t\r") == std::string_view::npos) {
            if (end == text.size()) break;
            continue;
        }
        try {
            l.add_json(json::parse(one.begin(), one.end()), line);
        } catch (const json::parse_error& e) {
            l.syntax_error(line, json_error(e));
        }
        if (end == text.size()) break;
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
void load_csv(std::string_view text, Loader& l) {
    std::vector<csv::Row> rows;
    try {
        rows = csv::parse(text);
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: CSV {}", l.file, e.what()));
    }
    if (rows.empty()) return;
    const csv::Row& header = rows.front();
    std::set<std::string> seen;
    for (const auto& name : header.fields) {
        if (name.empty())
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header has an empty column name; expected field "
                                    "names such as document_number, docket.court",
                                    l.file, header.line));
        if (!seen.insert(name).second)
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header names the column {} twice; expected each "
                                    "field once", l.file, header.line, shown(name)));
    }
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const csv::Row& row = rows[r];
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
}

}  // namespace

LoadResult parse_records(std::string_view text, RecordFormat format, const std::string& file_name,
                         const std::filesystem::path& base_dir, const LoadOptions& options) {
    Loader l{file_name, base_dir, options, {}, {}};
    switch (format) {
    case RecordFormat::Json: load_json(text, l); break;
    case RecordFormat::JsonLines: load_json_lines(text, l); break;
    case RecordFormat::Csv: load_csv(text, l); break;
    }
    return std::move(l.result);
}

LoadResult load_records(const std::filesystem::path& file, const LoadOptions& options) {
    const auto format = format_from_extension(file);
    if (!format)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: unknown record file type {}; expected .json, .jsonl or .csv",
                                file.string(), shown(file.extension().string())));
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: cannot open the record file", file.string()));
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad())
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot read the record file", file.string()));
    const std::string text = buf.str();
    return parse_records(text, *format, file.string(), file.parent_path(), options);
}

}  // namespace docketcard::record
