// `docketcard verify`: the QA check of a personalized card, as an ICAO Doc 9303 inspection system
// performs it (BAC, passive and active authentication) plus our own checks (locked, data equal to
// the holder record). One line per check on stdout, or one JSON document; optionally an HTML
// report for the QA archive.

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

namespace docketcard::app {

namespace fs = std::filesystem;

record::HolderRecord choose_record(const std::string& record_file, const std::string& document_number) {
    const auto loaded = record::load_records(record_file);
    for (const auto& r : loaded.rejected) {
        if (!document_number.empty() && r.document_number != document_number) continue;
        std::string problems;
        for (const auto& p : r.problems) problems += "\n  " + p.to_string();
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}:{}: the record is not valid:{}", r.file, r.line, problems));
    }
    std::vector<const record::HolderRecord*> matches;
    for (const auto& r : loaded.records)
        if (document_number.empty() || r.document_number == document_number) matches.push_back(&r);
    if (matches.empty()) {
        throw Error(ErrorKind::InvalidInput,
                    document_number.empty()
                        ? fmt::format("{} holds no valid record", record_file)
                        : fmt::format("{} holds no record with document number {}", record_file, document_number));
    }
    if (matches.size() > 1) {
        throw Error(ErrorKind::Usage, fmt::format("{} holds {} records; choose one with --document-number",
                                                  record_file, matches.size()));
    }
    return *matches.front();
}

void add_inspection_options(CLI::App& sub, InspectionInputs& in, const std::string& record_help) {
    add_reader_option(sub, in.reader);
    add_wait_option(sub, in.wait);
    sub.add_option("--csca", in.csca, "CSCA certificate (PEM or DER), the trust anchor")->type_name("FILE")->required();
    sub.add_option("--record", in.record_file, record_help)->type_name("FILE");
    sub.add_option("--document-number", in.document_number,
                   "Document number: picks the record in a file of several, or (without --record) the BAC key")
        ->type_name("NUMBER");
    sub.add_option("--date-of-birth", in.date_of_birth, "Without --record: date of birth, YYMMDD or YYYY-MM-DD")
        ->type_name("DATE");
    sub.add_option("--date-of-expiry", in.date_of_expiry, "Without --record: date of expiry, YYMMDD or YYYY-MM-DD")
        ->type_name("DATE");
    sub.add_option("--can", in.can,
                   "Card access number for PACE (6 digits; default: the record's card_access_number, else PACE "
                   "with the MRZ data)")
        ->type_name("NUMBER");
}

void apply_inspection_inputs(const InspectionInputs& in, verify::Options& options) {
    options.csca = in.csca;
    if (!in.record_file.empty()) {
        if (!in.date_of_birth.empty() || !in.date_of_expiry.empty())
            throw Error(ErrorKind::Usage, "--date-of-birth and --date-of-expiry come from the record; drop them or --record");
        options.record = choose_record(in.record_file, in.document_number);
    } else {
        if (in.document_number.empty() || in.date_of_birth.empty() || in.date_of_expiry.empty())
            throw Error(ErrorKind::Usage,
                        "give --record FILE, or all of --document-number, --date-of-birth and --date-of-expiry");
        options.mrz_key = verify::MrzKey{in.document_number, in.date_of_birth, in.date_of_expiry};
        verify::mrz_information(*options.mrz_key);  // refuse bad fields before touching the card
    }
    if (!in.can.empty()) {
        if (in.can.size() != 6 || !std::all_of(in.can.begin(), in.can.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw Error(ErrorKind::Usage, "--can: expected the 6 digits of the card access number");
        options.can = SecureBytes(in.can.begin(), in.can.end());
    }
    if (!fs::exists(in.csca)) throw Error(ErrorKind::InvalidInput, fmt::format("CSCA certificate {} not found", in.csca));
}

// Written next to its final name, flushed, then renamed: a reader never sees half a report.
void write_atomically(const fs::path& file, std::string_view text) {
    const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    const fs::path tmp = dir / fmt::format(".{}.tmp-{}", file.filename().string(), to_hex(crypto::random_bytes(4)));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(ErrorKind::InvalidInput, fmt::format("cannot create {}: {}", tmp.string(), std::strerror(errno)));
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        throw Error(ErrorKind::InvalidInput, fmt::format("cannot write {}: {}", file.string(), why));
    }
}

namespace {


struct VerifyOptions {
    InspectionInputs in;
    std::string report;
    bool require_docket_card = false;
};

int run_verify(const VerifyOptions& o, const GlobalOptions& g) {
    verify::Options options;
    options.require_docket_card = o.require_docket_card;
    apply_inspection_inputs(o.in, options);

    transport::ConnectOptions connect;
    connect.create_missing = false;   // a read-only check never makes a blank card
    CardConnection card = connect_card(o.in.reader, connect, g, o.in.wait);
    std::unique_ptr<transport::CardChannel>& channel = card.channel;
    if (card.plain_trace) options.plain_trace = card.plain_trace;

    const verify::Result result = verify::verify_card(*channel, options);
    std::string report_path;
    if (!o.report.empty()) {
        write_atomically(o.report, verify::render_html(result));
        report_path = fs::absolute(o.report).lexically_normal().string();
    }

    const bool ok = result.ok();
    std::size_t failed = 0, not_applicable = 0;
    for (const auto& c : result.checks) {
        failed += c.passed ? 0 : 1;
        not_applicable += c.applicable ? 0 : 1;
    }
    if (g.json) {
        nlohmann::json checks = nlohmann::json::array();
        for (const auto& c : result.checks)
            checks.push_back({{"id", c.id},
                              {"title", c.title},
                              {"status", std::string(c.status())},
                              {"passed", c.passed},
                              {"detail", c.detail}});
        print_json({{"ok", ok},
                    {"serial", result.serial_hex.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.serial_hex)},
                    {"access_control", result.access_control},
                    {"sessions", result.sessions},
                    {"checks", checks},
                    {"holder", {{"mrz", result.mrz}, {"full_name", result.full_name}}},
                    {"report", report_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(report_path)}});
    } else {
        for (const auto& c : result.checks)
            fmt::print("{}  {}: {}\n", !c.applicable ? "N/A " : c.passed ? "PASS" : "FAIL", c.title, c.detail);
        const std::string serial = result.serial_hex.empty() ? "" : fmt::format(" (card serial {})", result.serial_hex);
        if (ok) {
            if (not_applicable == 0)
                fmt::print("VERIFIED: all {} checks passed{}\n", result.checks.size(), serial);
            else
                fmt::print("VERIFIED: {} checks passed, {} not applicable{}\n", result.checks.size() - not_applicable,
                           not_applicable, serial);
        } else {
            std::string ids;
            for (const auto& c : result.checks)
                if (!c.passed) ids += (ids.empty() ? "" : ", ") + c.id;
            fmt::print("NOT VERIFIED: {} of {} checks failed ({}){}\n", failed, result.checks.size(), ids, serial);
        }
        if (!report_path.empty()) fmt::print("report: {}\n", report_path);
    }
    return ok ? exit_code::ok : exit_code::verification_failed;
}

void register_verify(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto o = std::make_shared<VerifyOptions>();
    CLI::App* sub = app.add_subcommand(
        "verify", "Verify a personalized card: BAC, EF.SOD signature and CSCA chain, data group hashes, Active "
                  "Authentication, locked state and (with --record) every field against the holder record");
    add_inspection_options(*sub, o->in, "Holder record file (.json, .jsonl or .csv): BAC key and expected data");
    sub->add_option("--report", o->report, "Also write a self-contained HTML report to this file")->type_name("FILE");
    sub->add_flag("--require-docket-card", o->require_docket_card,
                  "Fail, rather than report N/A, the lock state of a card that is not a docket applet and the "
                  "Active Authentication of a chip whose EF.SOD lists no DG15");
    add_common_flags(*sub, globals);
    sub->footer(help_footer(
        {"# Check a card against its holder record and keep an HTML report for QA:",
         "docketcard verify --reader 0 --csca /etc/docketcard/csca.pem --record holder.json \\",
         "    --report /tmp/a.html",
         "# Without a record, BAC from the MRZ data:",
         "docketcard verify --reader 0 --csca /etc/docketcard/csca.pem --document-number DC2600001 \\",
         "    --date-of-birth 1986-03-14 --date-of-expiry 2029-01-01"},
        {{exit_code::ok, "every check passed (or is N/A: does not apply to this card)"},
         {exit_code::usage},
         {exit_code::invalid_input, "unusable record or CSCA file"},
         {exit_code::communication},
         {exit_code::card_refused, "BAC or PACE failed (wrong MRZ data or CAN), or the card refuses BAC"},
         {exit_code::verification_failed, "a check failed"},
         {exit_code::wrong_card_state, "the card has no BAC secret (blank), or no eMRTD application"}}));
    sub->callback([o, &globals, &run] { run = [o, &globals] { return run_verify(*o, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_verify);

}  // namespace docketcard::app
