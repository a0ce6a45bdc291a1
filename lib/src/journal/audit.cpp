#include "docketcard/journal/audit.hpp"

#include <algorithm>

#include <fmt/core.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace docketcard::journal {

namespace {

/// One audit row: an attempt, or a record without attempts.
struct Row {
    std::string attempt;
    std::string document_number;
    std::string state;
    std::string reader;
    std::string card_serial;
    std::string started;
    std::string finished;
    std::string superseded;
    std::string source;
    std::string background_check;
    std::string error;
};

std::vector<Row> rows_of(const Audit& audit) {
    std::vector<Row> rows;
    for (const auto& a : audit.attempts) {
        rows.push_back({std::to_string(a.id), a.document_number, to_string(a.state), a.reader,
                        a.card_serial.value_or(""), a.started_at, a.finished_at.value_or(""),
                        a.superseded_at.value_or(""), a.source, a.background_check, a.error.value_or("")});
    }
    for (const auto& r : audit.records) {
        if (r.attempt_count > 0) continue;
        rows.push_back({"", r.document_number, to_string(r.state), "", "", "", "", "", r.source, "",
                        fmt::format("{}", fmt::join(r.problems, "; "))});
    }
    return rows;
}

nlohmann::json optional_json(const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

Audit read_audit(Journal& journal) {
    return {journal.attempts(), journal.records(), journal.batches(), journal.summary()};
}

std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string audit_csv(const Audit& audit) {
    std::string out = "attempt,document_number,state,reader,card_serial,started_at,finished_at,superseded_at,source,background_check,error\r\n";
    for (const auto& r : rows_of(audit)) {
        for (const auto* f : {&r.attempt, &r.document_number, &r.state, &r.reader, &r.card_serial, &r.started,
                              &r.finished, &r.superseded, &r.source, &r.background_check}) {
            out += csv_field(*f);
            out += ',';
        }
        out += csv_field(r.error);
        out += "\r\n";
    }
    return out;
}

std::string audit_text(const Audit& audit) {
    const std::vector<std::string> header{"ATTEMPT", "DOCUMENT", "STATE", "READER", "CARD SERIAL",
                                          "STARTED", "FINISHED", "SUPERSEDED", "SOURCE", "CHECK", "ERROR"};
    std::vector<std::vector<std::string>> table;
    table.push_back(header);
    for (const auto& r : rows_of(audit)) {
        auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
        table.push_back({dash(r.attempt), dash(r.document_number), r.state, dash(r.reader), dash(r.card_serial),
                         dash(r.started), dash(r.finished), dash(r.superseded), dash(r.source),
                         dash(r.background_check), r.error});
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& row : table) {
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    std::string out;
    for (const auto& row : table) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    std::vector<std::string> counts;
    for (State s : all_states()) {
        const auto it = audit.summary.by_state.find(s);
        counts.push_back(fmt::format("{} {}", to_string(s), it == audit.summary.by_state.end() ? 0 : it->second));
    }
    out += fmt::format("\n{} records, {} card attempts: {}\n", audit.summary.records, audit.summary.attempts,
                       fmt::format("{}", fmt::join(counts, ", ")));
    return out;
}

std::string audit_json(const Audit& audit) {
    nlohmann::json attempts = nlohmann::json::array();
    for (const auto& a : audit.attempts) {
        attempts.push_back({{"id", a.id},
                            {"document_number", a.document_number},
                            {"state", to_string(a.state)},
                            {"station", a.station},
                            {"reader", a.reader},
                            {"card_serial", optional_json(a.card_serial)},
                            {"record_digest", a.record_digest},
                            {"batch", a.batch_id},
                            {"started_at", a.started_at},
                            {"updated_at", a.updated_at},
                            {"finished_at", optional_json(a.finished_at)},
                            {"superseded_at", optional_json(a.superseded_at)},
                            {"source", a.source},
                            {"background_check", a.background_check},
                            {"error", optional_json(a.error)},
                            {"superseded_by", a.superseded_by ? nlohmann::json(*a.superseded_by) : nlohmann::json()}});
    }
    nlohmann::json records = nlohmann::json::array();
    for (const auto& r : audit.records) {
        records.push_back({{"document_number", r.document_number.empty() ? nlohmann::json()
                                                                         : nlohmann::json(r.document_number)},
                           {"state", to_string(r.state)},
                           {"source", r.source},
                           {"digest", r.digest},
                           {"problems", r.problems},
                           {"attempts", r.attempt_count},
                           {"live_attempt", r.live_attempt ? nlohmann::json(r.live_attempt->id) : nlohmann::json()},
                           {"registered_at", r.registered_at},
                           {"updated_at", r.updated_at}});
    }
    nlohmann::json batches = nlohmann::json::array();
    for (const auto& b : audit.batches) {
        batches.push_back({{"id", b.id},
                           {"station", b.station},
                           {"input", b.input},
                           {"pid", b.pid},
                           {"started_at", b.started_at},
                           {"ended_at", optional_json(b.ended_at)},
                           {"outcome", optional_json(b.outcome)}});
    }
    nlohmann::json summary = nlohmann::json::object();
    for (State s : all_states()) {
        const auto it = audit.summary.by_state.find(s);
        summary[to_string(s)] = it == audit.summary.by_state.end() ? 0 : it->second;
    }
    nlohmann::json doc = {{"ok", true},
                          {"attempts", attempts},
                          {"records", records},
                          {"batches", batches},
                          {"summary", summary},
                          {"totals", {{"records", audit.summary.records}, {"attempts", audit.summary.attempts}}}};
    return doc.dump(2);
}

}  // namespace docketcard::journal
