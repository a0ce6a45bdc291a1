// `docketcard read`: reads a Secure Docket Card as an ICAO Doc 9303 inspection system would
// (Basic Access Control, passive authentication of EF.SOD against the CSCA, Active
// Authentication; Part 11 9.7, 5.1 and 6.1) and shows what the holder carries: the identity data,
// the docket and the release documents the card stands in for. `--json` is one document an agency
// system or the document portal can ingest (docs/cli.md, docs/read.schema.json); `--out DIR` also
// writes the photo. A card that fails authentication is still shown, flagged, with exit 6.

#include <memory>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

namespace docketcard::app {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct ReadOptions {
    InspectionInputs in;
    std::string out_dir;
};

// A TD1 field of DG1 without its filler (Doc 9303 Part 5, 4.2.2: line 1 positions 1-30, line 2
// 31-60, line 3 61-90).
std::string td1_field(const std::string& mrz, std::size_t at, std::size_t size) {
    if (mrz.size() != 90) return {};
    std::string s = mrz.substr(at, size);
    while (!s.empty() && s.back() == '<') s.pop_back();
    return s;
}

json optional_text(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

// A release document as the record writes it: absent optional fields are left out, so that the
// list compares equal to the record's `documents`.
json document_json(const record::ReleaseDocument& d) {
    json j = {{"form", d.form}, {"title", d.title}, {"number", d.number}, {"issued_on", d.issued_on.iso()}};
    if (d.expires_on) j["expires_on"] = d.expires_on->iso();
    if (d.issued_by) j["issued_by"] = *d.issued_by;
    return j;
}

// The checks that make a card authentic for an inspection system: everything but the lock state,
// which is the issuer's concern (verify checks it).
bool authentic(const verify::Result& r) {
    bool any = false;
    for (const auto& c : r.checks) {
        if (c.id == "locked") continue;
        any = true;
        if (!c.passed) return false;
    }
    return any;
}

json read_json(const verify::Result& r, bool is_authentic, const std::string& photo_file) {
    const std::string& mrz = r.mrz;
    json holder = {
        {"document_code", td1_field(mrz, 0, 2)},
        {"issuing_state", td1_field(mrz, 2, 3)},
        {"document_number", td1_field(mrz, 5, 9)},
        {"date_of_birth", td1_field(mrz, 30, 6)},
        {"sex", td1_field(mrz, 37, 1).empty() ? "X" : td1_field(mrz, 37, 1)},
        {"date_of_expiry", td1_field(mrz, 38, 6)},
        {"nationality", td1_field(mrz, 45, 3)},
        {"full_name", r.full_name},
        {"mrz", mrz},
    };
    if (r.dg12) {
        holder["issuing_authority"] = r.dg12->issuing_authority;
        const auto& d = r.dg12->date_of_issue;
        holder["date_of_issue"] = d.size() == 8 ? d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) : d;
        holder["endorsement"] = optional_text(r.dg12->endorsements);
    }
    json docket = nullptr, documents = json::array(), check = nullptr, portal = nullptr;
    if (r.docket) {
        const auto& d = *r.docket;
        docket = {{"format_version", d.version},
                  {"a_number", d.a_number},
                  {"court", d.docket.court},
                  {"case_number", d.docket.case_number},
                  {"next_hearing", d.docket.next_hearing},
                  {"release_type", record::to_string(d.docket.release_type)},
                  {"reporting_office", d.docket.reporting_office},
                  {"check_in_interval_days", d.docket.check_in_interval_days},
                  {"conditions", d.docket.conditions}};
        for (const auto& doc : d.documents) documents.push_back(document_json(doc));
        if (d.version >= 2)
            check = {{"reference", d.background_check_reference}, {"cleared_on", d.background_check_cleared_on.iso()}};
        if (d.portal_reference) portal = std::string(d.portal_reference->begin(), d.portal_reference->end());
    }
    json checks = json::array();
    for (const auto& c : r.checks)
        checks.push_back({{"id", c.id}, {"status", std::string(c.status())}, {"detail", c.detail}});
    json photo = nullptr;
    if (!r.photo.empty())
        photo = {{"mime", r.photo_mime},
                 {"width", r.photo_width},
                 {"height", r.photo_height},
                 {"bytes", r.photo.size()},
                 {"sha256", to_hex(crypto::sha256(r.photo))},
                 {"file", photo_file.empty() ? json(nullptr) : json(photo_file)}};
    return {{"ok", is_authentic},
            {"authentic", is_authentic},
            {"serial", r.serial_hex.empty() ? json(nullptr) : json(r.serial_hex)},
            {"access_control", r.access_control},
            {"holder", holder},
            {"docket", docket},
            {"background_check", check},
            {"documents", documents},
            {"portal_reference", portal},
            {"photo", photo},
            {"checks", checks}};
}

void print_text(const verify::Result& r, bool is_authentic, const std::string& photo_file) {
    const std::string number = td1_field(r.mrz, 5, 9);
    fmt::print("Secure Docket Card {}{}\n", number.empty() ? "(no readable MRZ)" : number,
               r.serial_hex.empty() ? "" : fmt::format(" (card serial {})", r.serial_hex));
    std::size_t width = 0;
    for (const auto& [label, value] : r.holder) width = std::max(width, label.size());
    for (const auto& [label, value] : r.holder)
        fmt::print("  {:<{}}  {}\n", label, width, label == "Portal reference" && value != "none"
                                                       ? "on the card (shown with --json)" : value);
    if (!photo_file.empty()) fmt::print("  {:<{}}  {}\n", "Photo", width, photo_file);
    std::string failed;
    for (const auto& c : r.checks)
        if (c.id != "locked" && !c.passed) failed += (failed.empty() ? "" : ", ") + c.id;
    if (is_authentic)
        fmt::print("AUTHENTIC: passive and active authentication passed ({} checks)\n", r.checks.size());
    else
        fmt::print("NOT AUTHENTIC: {} failed; do not rely on the data above\n", failed.empty() ? "no check ran" : failed);
}

int run_read(const ReadOptions& o, const GlobalOptions& g) {
    verify::Options options;
    options.require_locked = false;   // an inspection system reads; the lock state is the issuer's check
    // With --record only the BAC key is taken from the record (its dates may have unknown parts,
    // which the record's MRZ writes as <): `read` shows what the card holds; comparing it with the
    // record is `verify --record`, so the record checks are dropped below.
    apply_inspection_inputs(o.in, options);
    if (!o.out_dir.empty() && !fs::is_directory(o.out_dir))
        throw Error(ErrorKind::InvalidInput, fmt::format("--out {}: not a folder; expected an existing folder", o.out_dir));

    transport::ConnectOptions connect;
    connect.create_missing = false;
    CardConnection card = connect_card(o.in.reader, connect, g, o.in.wait);
    if (card.plain_trace) options.plain_trace = card.plain_trace;
    verify::Result result = verify::verify_card(*card.channel, options);
    if (options.record) {
        // The record gave the BAC key only: its comparisons are verify's.
        std::erase_if(result.checks, [](const verify::Check& c) {
            for (const char* id : {"mrz", "names", "dates", "docket", "documents", "background-check",
                                   "portal-reference", "photo"})
                if (c.id == id) return true;
            return false;
        });
    }
    const bool is_authentic = authentic(result);

    std::string photo_file;
    if (!o.out_dir.empty() && !result.photo.empty()) {
        const std::string number = td1_field(result.mrz, 5, 9);
        const fs::path file = fs::path(o.out_dir) / fmt::format("{}.{}", number.empty() ? "photo" : number,
                                                                result.photo_mime == "image/jpeg" ? "jpg" : "jp2");
        write_atomically(file, std::string_view(reinterpret_cast<const char*>(result.photo.data()), result.photo.size()));
        photo_file = fs::absolute(file).lexically_normal().string();
    }
    if (g.json)
        print_json(read_json(result, is_authentic, photo_file));
    else
        print_text(result, is_authentic, photo_file);
    return is_authentic ? exit_code::ok : exit_code::verification_failed;
}

void register_read(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto o = std::make_shared<ReadOptions>();
    CLI::App* sub = app.add_subcommand(
        "read", "Read a card as an inspection system would (BAC, passive and active authentication) and show the "
                "holder's data, docket and release documents");
    add_inspection_options(*sub, o->in, "Holder record file: the BAC key (the card's data is shown, not compared)");
    sub->add_option("--out", o->out_dir, "Also write the photo to this folder as DOCUMENT_NUMBER.jpg (or .jp2)")->type_name("DIR");
    add_common_flags(*sub, globals);
    sub->footer(help_footer(
        {"# Read a card as an inspection system would and show the papers it stands in for:",
         "docketcard read --reader 0 --csca /etc/docketcard/csca.pem --document-number DC2600001 \\",
         "    --date-of-birth 1986-03-14 --date-of-expiry 2029-01-01",
         "# The same as one JSON document for an agency system, with the photo written to a folder:",
         "docketcard read --reader 0 --csca /etc/docketcard/csca.pem --record holder.json --json \\",
         "    --out /tmp/photos"},
        {{exit_code::ok, "the card is authentic (passive and active authentication passed)"},
         {exit_code::usage},
         {exit_code::invalid_input, "unusable record, CSCA file or --out folder"},
         {exit_code::communication},
         {exit_code::card_refused, "BAC or PACE failed (wrong MRZ data or CAN), or the card refuses BAC"},
         {exit_code::verification_failed, "the card is shown but failed authentication: do not rely on it"},
         {exit_code::wrong_card_state, "the card has no BAC secret (blank), or no eMRTD application"}}));
    sub->callback([o, &globals, &run] { run = [o, &globals] { return run_read(*o, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_read);

}  // namespace docketcard::app
