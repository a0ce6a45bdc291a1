// `docketcard write`: personalizes one card for one holder (docs/card-protocol.md), or finishes a
// card left incomplete for the same holder. Result on stdout, progress on stderr.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <unistd.h>

#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::app {

namespace {

struct WriteOptions {
    std::string reader;
    std::optional<int> wait;   ///< --wait SECONDS
    std::string record_file;
    std::string keys_dir;
    std::string document_number;
    std::string document_code = "ID";   ///< of records without a document_code field
    std::string access = "bac-pace";    ///< --access
};

std::string problems_of(const record::Rejected& r) {
    std::string out;
    for (const auto& p : r.problems) out += "\n  " + p.to_string();
    return out;
}

// The one holder this write is for: the only record of the file, or the one named.
record::HolderRecord choose_holder(const WriteOptions& o) {
    record::LoadOptions load;
    if (!o.document_code.empty()) load.default_document_code = o.document_code;
    auto loaded = record::load_records(o.record_file, load);
    if (!o.document_number.empty()) {
        for (auto& h : loaded.records)
            if (h.document_number == o.document_number) return std::move(h);
        for (const auto& r : loaded.rejected) {
            if (r.document_number == o.document_number) {
                throw Error(ErrorKind::InvalidInput,
                            fmt::format("the record of document {} in {} is invalid:{}", o.document_number,
                                        o.record_file, problems_of(r)));
            }
        }
        throw Error(ErrorKind::Usage, fmt::format("{} holds no record with document number {}", o.record_file,
                                                  o.document_number));
    }
    const std::size_t n = loaded.records.size() + loaded.rejected.size();
    if (n == 0) throw Error(ErrorKind::InvalidInput, fmt::format("{} holds no holder record", o.record_file));
    if (n > 1) {
        throw Error(ErrorKind::Usage, fmt::format("{} holds {} holder records; choose one with --document-number",
                                                  o.record_file, n));
    }
    if (!loaded.rejected.empty()) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("the record in {} is invalid:{}", o.record_file, problems_of(loaded.rejected.front())));
    }
    return std::move(loaded.records.front());
}

std::string file_key(std::uint16_t fid) {
    if (fid == lds::fid_com) return "COM";
    if (fid == lds::fid_sod) return "SOD";
    return lds::file_name(fid);
}

// One progress line on stderr: rewritten in place on a terminal, one line per step otherwise.
class ProgressPrinter {
public:
    ProgressPrinter() : tty_(::isatty(STDERR_FILENO) == 1) {}
    void operator()(const perso::Progress& p) {
        if (tty_) {
            fmt::print(stderr, "\r\033[K{} {}/{} bytes", p.step, p.done, p.total);
            if (p.step == "done") fmt::print(stderr, "\n");
        } else if (p.step != last_) {
            fmt::print(stderr, "docketcard: {} ({}/{} bytes)\n", p.step, p.done, p.total);
        }
        last_ = p.step;
    }
    void finish() {
        if (tty_ && !last_.empty() && last_ != "done") fmt::print(stderr, "\n");
    }

private:
    bool tty_;
    std::string last_;
};

int run_write(const WriteOptions& o, const GlobalOptions& g) {
    const auto holder = choose_holder(o);
    const auto keys = perso::IssuerKeys::load(o.keys_dir);

    auto printer = std::make_shared<ProgressPrinter>();
    perso::WriteOptions options;
    options.on_progress = [printer](const perso::Progress& p) { (*printer)(p); };
    options.access = o.access == "bac"         ? perso::AccessControl::Bac
                     : o.access == "pace-only" ? perso::AccessControl::PaceOnly
                                               : perso::AccessControl::BacAndPace;

    transport::ConnectOptions connect;
    connect.exclusive = true;
    CardConnection card = connect_card(o.reader, connect, g, o.wait);
    std::unique_ptr<transport::CardChannel>& channel = card.channel;
    if (card.plain_trace) options.trace_plain = card.plain_trace;
    perso::WriteResult result;
    const auto started = std::chrono::steady_clock::now();
    try {
        result = perso::write_card(*channel, holder, keys, options);
    } catch (...) {
        printer->finish();
        throw;
    }
    printer->finish();
    const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const transport::LinkProjection* link = channel->link_projection();

    if (g.json) {
        nlohmann::json files = nlohmann::json::object();
        for (const auto& [fid, bytes] : result.files)
            files[file_key(fid)] = {{"size", bytes.size()}, {"sha256", to_hex(crypto::sha256(bytes))}};
        print_json({{"ok", true},
                    {"serial", result.serial_hex},
                    {"document_number", result.document_number},
                    {"state", perso::to_string(result.state)},
                    // A card found already complete was checked, not resumed: nothing was written.
                    {"resumed", result.resumed && !result.already_complete},
                    {"already_complete", result.already_complete},
                    {"apdus", result.apdus},
                    {"bytes_sent", result.bytes_sent},
                    {"files", files},
                    {"host_seconds", host_s},
                    {"link", link ? link_json(*link) : nlohmann::json(nullptr)}});
        return exit_code::ok;
    }
    std::size_t total = 0;
    for (const auto& [fid, bytes] : result.files) total += bytes.size();
    if (result.already_complete) {
        fmt::print("card {} already holds the complete personalization of document {}; no data on the card was "
                   "changed (state {})\n",
                   result.serial_hex, result.document_number, perso::to_string(result.state));
    } else {
        fmt::print("card {} personalized for document {}{}: {} files, {} bytes; state {} (not locked)\n",
                   result.serial_hex, result.document_number, result.resumed ? " (finished an incomplete card)" : "",
                   result.files.size(), total, perso::to_string(result.state));
    }
    fmt::print("{} APDUs, {} bytes sent\n", result.apdus, result.bytes_sent);
    if (link) fmt::print("{}; host time {:.3f} s\n", transport::projection_summary(*link), host_s);
    return exit_code::ok;
}

void register_write(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto options = std::make_shared<WriteOptions>();
    CLI::App* sub = app.add_subcommand(
        "write", "Personalize a card for one holder (or finish a card left incomplete for the same holder)");
    add_reader_option(*sub, options->reader);
    add_wait_option(*sub, options->wait);
    // A missing record file or keys folder is invalid input (exit 3), named by the loaders.
    sub->add_option("--record", options->record_file, "Holder record file (.json, .jsonl or .csv)")
        ->type_name("FILE")
        ->required();
    sub->add_option("--keys", options->keys_dir,
                    "Keys folder: scp03-master.txt, document-signer.pem, document-signer.key")
        ->type_name("DIR")
        ->required();
    sub->add_option("--document-number", options->document_number,
                    "The holder to write when the record file holds several")
        ->type_name("NUMBER");
    sub->add_option("--document-code", options->document_code,
                    "Document code (Doc 9303 Part 5) of records without a document_code field (1-2 letters, the "
                    "first A, C or I)")
        ->type_name("CODE")
        ->capture_default_str()
        ->check(document_code_validator());
    sub->add_option("--access", options->access,
                    "How inspection systems open the chip: bac-pace (EF.CardAccess, PACE with the record's CAN or "
                    "the MRZ; BAC kept), pace-only (the card refuses BAC), bac (no PACE, as cards before PACE)")
        ->type_name("NAME")
        ->capture_default_str()
        ->check(CLI::IsMember({"bac-pace", "pace-only", "bac"}).description(""));
    add_common_flags(*sub, globals);
    sub->footer(help_footer(
        {"# Personalize the card in reader 0 (the same command again finishes a card left incomplete):",
         "docketcard write --reader 0 --record holder.json --keys /etc/docketcard/keys",
         "# One holder of a file of several, on an emulated card kept in a file:",
         "docketcard write --reader sim:/tmp/a.card --record holders.jsonl --document-number DC2600001 \\",
         "    --keys /etc/docketcard/keys"},
        {{exit_code::ok, "written, or already complete"},
         {exit_code::usage},
         {exit_code::invalid_input, "invalid record or keys"},
         {exit_code::communication, "also the card removed: run the same command again to finish the card"},
         {exit_code::card_refused, "wrong keys, or the card refused a command"},
         {exit_code::verification_failed, "the card's copy of a file does not match what was written"},
         {exit_code::wrong_card_state, "card locked, blocked or holding another holder's data"}}));
    sub->callback([options, &globals, &run] { run = [options, &globals] { return run_write(*options, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_write);

}  // namespace docketcard::app
