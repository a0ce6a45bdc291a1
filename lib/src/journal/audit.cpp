#include "docketcard/journal/audit.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

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

namespace {

constexpr std::size_t kTextWidth = 120;   // the plain view fits a 120-column terminal
constexpr std::size_t kReaderWidth = 36;

// "2026-12-03T07:16:50.630Z" as "2026-12-03 07:16:50" (UTC; --json and --csv keep milliseconds).
std::string short_time(const std::string& iso) {
    if (iso.size() < 19 || iso[10] != 'T') return iso;
    std::string t = iso.substr(0, 19);
    t[10] = ' ';
    return t;
}

// A long reader name keeps its end, which tells readers apart ("...out/demo/reader-a/").
std::string fit_left(const std::string& s, std::size_t width) {
    if (s.size() <= width) return s;
    return "..." + s.substr(s.size() - (width - 3));
}

// `text` wrapped at word boundaries into lines of at most `width - indent` characters, each
// prefixed with `indent` spaces.
std::string wrapped(const std::string& text, std::size_t indent, std::size_t width) {
    std::string out, line;
    const std::size_t room = width - indent;
    auto flush = [&] {
        out += std::string(indent, ' ') + line + "\n";
        line.clear();
    };
    std::size_t at = 0;
    while (at < text.size()) {
        if (text[at] == '\n') {
            flush();
            ++at;
            continue;
        }
        std::size_t end = text.find_first_of(" \n", at);
        if (end == std::string::npos) end = text.size();
        std::string word = text.substr(at, end - at);
        at = end < text.size() && text[end] == ' ' ? end + 1 : end;
        while (word.size() > room) {   // a word longer than a line is cut
            if (!line.empty()) flush();
            line = word.substr(0, room);
            flush();
            word = word.substr(room);
        }
        if (!line.empty() && line.size() + 1 + word.size() > room) flush();
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) flush();
    return out;
}

}  // namespace

std::string audit_text(const Audit& audit) {
    // One line per attempt (or attempt-less record) within 120 columns (7 + 9 + 10 + 36 + 20 + 19
    // and the gaps: 111); where it came from, when it started, the background check, the supersede
    // time and the error go on indented lines below it, wrapped at 120.
    const std::vector<std::string> header{"ATTEMPT", "DOCUMENT", "STATE", "READER", "CARD SERIAL", "FINISHED"};
    std::vector<std::vector<std::string>> table{header};
    std::vector<std::string> details;
    for (const auto& r : rows_of(audit)) {
        auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
        table.push_back({dash(r.attempt), dash(r.document_number), r.state, dash(fit_left(r.reader, kReaderWidth)),
                         dash(r.card_serial), dash(short_time(r.finished))});
        std::string d = "from " + dash(r.source);
        if (!r.started.empty()) d += ", started " + short_time(r.started);
        if (!r.background_check.empty()) d += ", background check " + r.background_check;
        if (!r.superseded.empty()) d += ", superseded " + short_time(r.superseded);
        if (!r.error.empty()) d += (r.attempt.empty() ? ": " : ", error: ") + r.error;
        details.push_back(d);
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& row : table)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    std::string out;
    for (std::size_t n = 0; n < table.size(); ++n) {
        const auto& row = table[n];
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
        if (n > 0) out += wrapped(details[n - 1], 4, kTextWidth);
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

namespace {

constexpr std::array<State, 6> attempt_states{State::Writing, State::Written,  State::Locked,
                                              State::Verified, State::Spoiled, State::Superseded};

// "2026-12-03T07:16:50.630Z" as milliseconds since the epoch; nullopt when not in that form.
std::optional<std::int64_t> epoch_ms(const std::string& iso) {
    std::tm t{};
    int ms = 0;
    if (iso.size() != 24 || std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &t.tm_year, &t.tm_mon, &t.tm_mday,
                                        &t.tm_hour, &t.tm_min, &t.tm_sec, &ms) != 7)
        return std::nullopt;
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&t)) * 1000 + ms;
}

std::string rate_text(const std::optional<double>& r) { return r ? fmt::format("{:.1f}", *r) : std::string("-"); }

}  // namespace

std::vector<SiteRow> site_rows(const Audit& audit) {
    std::map<std::pair<std::string, std::string>, SiteRow> rows;
    // (station, reader) -> (first start, last verified finish), in ms since the epoch
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> span;
    for (const auto& a : audit.attempts) {
        const auto key = std::make_pair(a.station, a.reader);
        auto& row = rows[key];
        if (row.by_state.empty()) {
            row.station = a.station;
            row.reader = a.reader;
            for (State s : attempt_states) row.by_state[s] = 0;
            span[key] = {INT64_MAX, INT64_MIN};
        }
        ++row.by_state[a.state];
        auto& [first, last] = span[key];
        if (const auto t = epoch_ms(a.started_at)) first = std::min(first, *t);
        if (a.finished_at && *a.finished_at > row.last_finished) row.last_finished = *a.finished_at;
        if (a.state == State::Verified || a.state == State::Superseded) {
            ++row.cards;
            if (a.finished_at)
                if (const auto t = epoch_ms(*a.finished_at)) last = std::max(last, *t);
        }
    }
    std::vector<SiteRow> out;
    for (auto& [key, row] : rows) {
        const auto [first, last] = span[key];
        if (row.cards > 0 && last > first)
            row.cards_per_hour = static_cast<double>(row.cards) * 3'600'000.0 / static_cast<double>(last - first);
        out.push_back(std::move(row));
    }
    return out;
}

std::string site_text(const Audit& audit) {
    std::vector<std::vector<std::string>> table{{"STATION", "READER"}};
    for (State s : attempt_states) {
        std::string h = to_string(s);
        for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        table[0].push_back(h);
    }
    table[0].push_back("CARDS/H");
    table[0].push_back("LAST FINISHED");
    for (const auto& r : site_rows(audit)) {
        std::vector<std::string> line{r.station, fit_left(r.reader, kReaderWidth)};
        for (State s : attempt_states) line.push_back(std::to_string(r.by_state.at(s)));
        line.push_back(rate_text(r.cards_per_hour));
        line.push_back(r.last_finished.empty() ? "-" : short_time(r.last_finished));
        table.push_back(std::move(line));
    }
    std::vector<std::size_t> width(table[0].size(), 0);
    for (const auto& row : table)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    std::string out;
    for (const auto& row : table) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            // Names to the left, numbers to the right.
            const std::string pad(width[i] - row[i].size(), ' ');
            line += i < 2 || i + 1 == row.size() ? row[i] + pad : pad + row[i];
            if (i + 1 < row.size()) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    if (table.size() == 1) out += "(no card attempts yet)\n";
    std::vector<std::string> open;
    for (const auto& b : audit.batches)
        if (!b.ended_at)
            open.push_back(fmt::format("{} (batch {}, pid {}{}, since {}{})", b.station, b.id, b.pid,
                                       b.host ? " on " + *b.host : std::string(), short_time(b.started_at),
                                       b.lease_expires ? ", lease until " + short_time(*b.lease_expires) : ""));
    out += fmt::format("\nstations running: {}\n",
                       open.empty() ? std::string("none") : fmt::format("{}", fmt::join(open, ", ")));
    std::vector<std::string> counts;
    for (State s : all_states()) {
        const auto it = audit.summary.by_state.find(s);
        counts.push_back(fmt::format("{} {}", to_string(s), it == audit.summary.by_state.end() ? 0 : it->second));
    }
    out += fmt::format("{} records, {} card attempts: {}\n", audit.summary.records, audit.summary.attempts,
                       fmt::format("{}", fmt::join(counts, ", ")));
    return out;
}

std::string site_csv(const Audit& audit) {
    std::string out = "station,reader,writing,written,locked,verified,spoiled,superseded,cards_per_hour,"
                      "last_finished_at\r\n";
    for (const auto& r : site_rows(audit)) {
        out += csv_field(r.station) + "," + csv_field(r.reader);
        for (State s : attempt_states) out += "," + std::to_string(r.by_state.at(s));
        out += "," + (r.cards_per_hour ? fmt::format("{:.1f}", *r.cards_per_hour) : std::string()) + "," +
               csv_field(r.last_finished) + "\r\n";
    }
    return out;
}

std::string site_json(const Audit& audit) {
    auto doc = nlohmann::json::parse(audit_json(audit));
    nlohmann::json site = nlohmann::json::array();
    for (const auto& r : site_rows(audit)) {
        nlohmann::json states = nlohmann::json::object();
        for (State s : attempt_states) states[to_string(s)] = r.by_state.at(s);
        site.push_back({{"station", r.station},
                        {"reader", r.reader},
                        {"states", states},
                        {"cards", r.cards},
                        {"cards_per_hour", r.cards_per_hour ? nlohmann::json(*r.cards_per_hour) : nlohmann::json()},
                        {"last_finished_at",
                         r.last_finished.empty() ? nlohmann::json() : nlohmann::json(r.last_finished)}});
    }
    doc["site"] = std::move(site);
    for (std::size_t i = 0; i < audit.batches.size() && i < doc["batches"].size(); ++i) {
        doc["batches"][i]["host"] = optional_json(audit.batches[i].host);
        doc["batches"][i]["lease_expires"] = optional_json(audit.batches[i].lease_expires);
    }
    return doc.dump(2);
}

}  // namespace docketcard::journal
