// APDU trace (-v / -vv): a CardChannel decorator that logs every command and response with the
// elapsed milliseconds, with keys and secrets redacted (docs/cli.md, "Trace and redaction").
//
// Two levels, because secure messaging hides the plain data from the wire:
//   TraceLevel::Wire   below the SM layer (-v): what travels to the card. Redacted: the data of
//                      every SM-protected command and its response (CLA with b4/b3 set: 0C, 8C,
//                      84, 94 ...: BAC SM and SCP03), and of the secret-bearing commands below.
//   TraceLevel::Plain  above the SM layer (-vv): the decrypted commands and responses. Secret-bearing
//                      commands stay redacted; everything else (SELECT, READ BINARY of public LDS
//                      files, UPDATE BINARY of LDS files) is shown.
// Secret-bearing commands, redacted at both levels (data in and out; lengths are shown):
//   PUT DATA (DA/DB: BAC secret, ticket), INITIALIZE UPDATE (50), EXTERNAL/MUTUAL AUTHENTICATE (82),
//   GENERAL AUTHENTICATE (86/87), VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C),
//   PUT KEY (D8), STORE DATA (E2).
//
// Line format (one line per APDU):
//   "[    12 ms] wire  > 00 A4 04 0C Lc=7 A0000002471001"
//   "[    13 ms] wire  < 9000 (success)"
//   "[    14 ms] wire  > 84 DA 00 62 Lc=40 <40 bytes redacted>"
//   "[    15 ms] plain < 6F6E... 9000 (success)"          (data first, then the status word)
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "docketcard/transport/channel.hpp"

namespace docketcard::transport {

enum class TraceLevel { Wire, Plain };

/// Whether the trace must hide the data of this command and of its response (see above).
bool trace_redacts(const apdu::CommandApdu& command, TraceLevel level) noexcept;

/// A short name of a command for messages: "SELECT", "READ BINARY", "PUT DATA", "INS 7A".
std::string command_name(const apdu::CommandApdu& command);

/// Formats one trace line (without newline) for a command sent at `elapsed`.
/// `redact_data` also hides the data field (a credential file's content, see TracingChannel).
std::string format_trace_command(const apdu::CommandApdu& command, TraceLevel level, std::chrono::milliseconds elapsed,
                                 bool redact_data = false);
/// Formats one trace line for the response to `command`.
std::string format_trace_response(const apdu::CommandApdu& command, const apdu::ResponseApdu& response,
                                  TraceLevel level, std::chrono::milliseconds elapsed, bool redact_data = false);

/// Options of a TracingChannel. `sink` receives each line (without newline); `clock` returns the
/// elapsed time since the trace began (steady clock by default; tests inject a fixed one).
struct TraceOptions {
    TraceLevel level = TraceLevel::Wire;
    std::function<void(const std::string&)> sink;
    std::function<std::chrono::milliseconds()> clock;
};

/// A sink that writes each line and a newline to stderr.
std::function<void(const std::string&)> stderr_trace_sink();

/// The decorator. Owns `inner` (first constructor) or borrows it (second: `inner` must outlive it).
class TracingChannel final : public CardChannel {
public:
    TracingChannel(std::unique_ptr<CardChannel> inner, TraceOptions options);
    TracingChannel(CardChannel& inner, TraceOptions options);
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override;
    Capabilities capabilities() const override { return inner_->capabilities(); }
    Bytes atr() const override { return inner_->atr(); }
    std::string description() const override { return inner_->description(); }
    const LinkProjection* link_projection() const override { return inner_->link_projection(); }

    /// Files whose content is a credential (DG13 holds the portal reference): the data of READ
    /// BINARY answers and UPDATE BINARY commands on them is redacted at every level.
    static constexpr std::uint16_t credential_files[] = {0x010D};

private:
    void init();
    /// Follows the current EF (SELECT by file identifier, CREATE FILE, short EF identifier or
    /// odd-INS file identifier in READ/UPDATE BINARY; ISO/IEC 7816-4 7.1.1, 7.2.2) and says
    /// whether `command` reads or writes a credential file.
    bool touches_credential_file(const apdu::CommandApdu& command);
    std::optional<std::uint16_t> current_ef_;
    std::unique_ptr<CardChannel> owned_;
    CardChannel* inner_;
    TraceOptions options_;
};

/// What the CLI's -v count asks for: the wire trace from 1 (-v), the plain trace from 2 (-vv).
/// Returns `channel` traced at the wire level to stderr when verbosity >= 1, unchanged otherwise.
std::unique_ptr<CardChannel> trace_wire(std::unique_ptr<CardChannel> channel, int verbosity);
/// Returns `sm_channel` (a secure messaging channel, which must outlive the result) traced at the
/// plain level to stderr when verbosity >= 2, or nullptr when no plain trace is wanted.
std::unique_ptr<CardChannel> trace_plain(CardChannel& sm_channel, int verbosity);

}  // namespace docketcard::transport
