// The shape every docketcard subcommand follows. Each cmd_*.cpp defines one subcommand and
// registers it with DOCKETCARD_COMMAND; main.cpp builds the CLI11 app, runs the chosen command and
// maps docketcard::Error kinds to the exit codes documented in docs/cli.md.
//
// Output rules (docs/cli.md): the result goes to stdout (a human summary, or exactly one JSON
// document with --json); progress, prompts, warnings and errors go to stderr.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "docketcard/record/record.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

namespace docketcard::app {

/// Exit codes, one per failure class (docs/cli.md).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 2;
inline constexpr int invalid_input = 3;
inline constexpr int communication = 4;
inline constexpr int card_refused = 5;
inline constexpr int verification_failed = 6;
inline constexpr int wrong_card_state = 7;
inline constexpr int journal = 8;
inline constexpr int batch_incomplete = 9;
inline constexpr int internal = 70;
inline constexpr int interrupted = 130;
}  // namespace exit_code

int exit_code_for(ErrorKind kind) noexcept;

/// One exit code of a command's help footer: the code and, optionally, what it means for that
/// command (the general meaning comes from the one table, exit_code_meaning()).
struct ExitNote {
    int code;
    std::string detail = {};
};

/// The general meaning of an exit code, from the one table that docs/cli.md documents.
const char* exit_code_meaning(int code) noexcept;

/// "Exit codes:" and one line per code, built from the one table.
std::string exit_codes_footer(const std::vector<ExitNote>& codes);

/// The end of every subcommand's --help (and so of its man page, packaging/man/gen-man.sh):
/// "Examples:" with one or two command lines, each after a "# " line saying what it does, then
/// exit_codes_footer(codes). A detail in `codes` never holds ';' (the man page splits on it).
std::string help_footer(const std::vector<std::string>& examples, const std::vector<ExitNote>& codes);

/// Options every subcommand shares.
struct GlobalOptions {
    bool json = false;   ///< one machine-readable result on stdout
    int verbosity = 0;   ///< -v: APDU trace with secrets redacted; -vv: plain data of public files
};

/// A subcommand's body: returns its exit code, or throws docketcard::Error.
using Action = std::function<int()>;

/// Registers one subcommand on `app`; the registrar sets `run` to the action to execute when
/// this subcommand is chosen.
using Registrar = void (*)(CLI::App& app, GlobalOptions& globals, Action& run);

/// Adds a registrar to the global list (called from static initializers only).
bool register_command(Registrar registrar);

/// Adds --json and, for a command that talks to a card (`apdus`), -v to a subcommand, bound to
/// `globals`.
void add_common_flags(CLI::App& sub, GlobalOptions& globals, bool apdus = true);

/// Prints `doc` as the one JSON result on stdout.
void print_json(const nlohmann::json& doc);

/// The link model's projection as JSON (profile, commands, bytes, pages, seconds by cause).
nlohmann::json link_json(const transport::LinkProjection& link);
/// The same object for an account of several commands or cards on the profile named `profile`.
nlohmann::json link_json(const std::string& profile, const apdu::LinkAccount& account);

/// The --document-code option's check: a TD1 document code (ICAO Doc 9303 Part 5, 4.2.2) is 1-2
/// letters A-Z, the first A, C or I. A bad value is a usage error (exit 2) saying what is accepted.
CLI::Validator document_code_validator();

/// --reader NAME for a command that talks to one card: a PC/SC name, a unique part of a name, an
/// index, serial:VALUE or sim:PATH (docs/cli.md, "Reader names"). Required unless set in the
/// config file.
CLI::Option* add_reader_option(CLI::App& sub, std::string& reader);

/// --wait [SECONDS] (30 when given without a number): wait for a card in the reader before
/// running, instead of failing at once on an empty reader.
CLI::Option* add_wait_option(CLI::App& sub, std::optional<int>& wait_seconds);

/// A connection to the card of the reader named on the command line.
struct CardConnection {
    std::unique_ptr<transport::CardChannel> channel;   ///< traced at wire level with -v
    /// With -vv: the trace to put above secure messaging (plain level), on the same clock as the
    /// wire trace so that both interleave in time order.
    std::optional<transport::TraceOptions> plain_trace;
};

/// Opens the reader (PC/SC name, substring, index, serial:VALUE or sim:PATH) and connects to its
/// card. With `wait_seconds`, an empty reader is first waited on (Reader::wait_for_card, the wait
/// `issue` uses; "waiting for a card in 'X' (30 s)" on stderr unless --json) and still empty after
/// that time is Error(Communication). With -v every connection attempt and APDU is traced on
/// stderr, secrets redacted (docs/cli.md).
CardConnection connect_card(const std::string& reader_name, transport::ConnectOptions connect,
                            const GlobalOptions& globals, std::optional<int> wait_seconds = std::nullopt);

/// The one valid record of `record_file` (the one with `document_number` when given). A rejected
/// matching record is Error(InvalidInput) listing its problems; no match or several is an error
/// saying how to choose.
record::HolderRecord choose_record(const std::string& record_file, const std::string& document_number);

/// Why making `path` failed with `ec`, in lower case for the end of a sentence: "permission
/// denied", "/a/b is a file, not a folder" (ENOTDIR names the file in the way).
std::string path_error(const std::filesystem::path& path, const std::error_code& ec);

/// Creates the output folder `dir` (and its parents); Error(InvalidInput) "cannot create the
/// output folder DIR: <reason>" when it cannot be made: the path is the user's, not a bug.
void create_output_folder(const std::filesystem::path& dir);

/// What `verify` and `read` need to read a card as an inspection system would: the reader, an
/// optional wait, the CSCA, and the BAC key from a record (--record [--document-number]) or from
/// the three MRZ fields.
struct InspectionInputs {
    std::string reader;
    std::optional<int> wait;
    std::string csca;
    std::string record_file;
    std::string document_number;
    std::string date_of_birth;
    std::string date_of_expiry;
    std::string can;   ///< PACE card access number (a secret: never printed)
};

/// Adds --reader, --wait, --csca (required), --record (described by `record_help`),
/// --document-number, --date-of-birth and --date-of-expiry, bound to `in`.
void add_inspection_options(CLI::App& sub, InspectionInputs& in, const std::string& record_help);

/// Checks `in` before any card is touched (Error Usage for a missing or contradictory BAC key,
/// InvalidInput for a bad record, MRZ field or missing CSCA file) and sets options.csca and either
/// options.record or options.mrz_key.
void apply_inspection_inputs(const InspectionInputs& in, verify::Options& options);

/// Writes `text` next to `file`, fsyncs it and renames it into place: a reader never sees half a
/// file. Error(InvalidInput) naming the file when it cannot.
void write_atomically(const std::filesystem::path& file, std::string_view text);

}  // namespace docketcard::app

#define DOCKETCARD_COMMAND(registrar) \
    static const bool docketcard_registered_##registrar = ::docketcard::app::register_command(registrar)
