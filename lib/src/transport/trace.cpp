#include "docketcard/transport/trace.hpp"

#include <cstdio>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::transport {

namespace {

bool secret_ins(std::uint8_t ins) noexcept {
    switch (ins) {
        case 0xDA: case 0xDB:  // PUT DATA: BAC secret, personalization ticket
        case 0x50:             // INITIALIZE UPDATE: host challenge, card cryptogram
        case 0x82:             // EXTERNAL / MUTUAL AUTHENTICATE: cryptograms
        case 0x86: case 0x87:  // GENERAL AUTHENTICATE
        case 0x20: case 0x24: case 0x2C:  // VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER
        case 0xD8: case 0xE2:  // PUT KEY, STORE DATA
            return true;
        default: return false;
    }
}

// ISO/IEC 7816-4 5.4.1: b4-b3 of an interindustry CLA (0x0X, 0x1X) and GP's proprietary 0x84/0x94
// signal secure messaging.
bool sm_cla(std::uint8_t cla) noexcept { return (cla & 0x0C) != 0 && (cla & 0x40) == 0; }

std::string stamp(std::chrono::milliseconds elapsed, TraceLevel level) {
    return fmt::format("[{:>6} ms] {:<5}", elapsed.count(), level == TraceLevel::Wire ? "wire" : "plain");
}

std::string data_field(ByteView data, bool redacted) {
    if (redacted) return fmt::format("<{} bytes redacted>", data.size());
    return to_hex(data);
}

}  // namespace

bool trace_redacts(const apdu::CommandApdu& command, TraceLevel level) noexcept {
    if (secret_ins(command.ins)) return true;
    return level == TraceLevel::Wire && sm_cla(command.cla);
}

std::string command_name(const apdu::CommandApdu& c) {
    switch (c.ins) {
        case 0xA4: return "SELECT";
        case 0xB0: case 0xB1: return "READ BINARY";
        case 0xD6: case 0xD7: return "UPDATE BINARY";
        case 0xDA: case 0xDB: return "PUT DATA";
        case 0xCA: case 0xCB: return "GET DATA";
        case 0xC0: return "GET RESPONSE";
        case 0x84: return "GET CHALLENGE";
        case 0x82: return (c.cla & 0x80) ? "EXTERNAL AUTHENTICATE" : "MUTUAL AUTHENTICATE";
        case 0x88: return "INTERNAL AUTHENTICATE";
        case 0x50: return "INITIALIZE UPDATE";
        case 0xE0: return "CREATE FILE";
        case 0xE4: return "DELETE FILE";
        case 0x47: return "GENERATE KEY";
        case 0x22: return "MANAGE SECURITY ENVIRONMENT";
        case 0x86: case 0x87: return "GENERAL AUTHENTICATE";
        default: return fmt::format("INS {:02X}", c.ins);
    }
}

std::string format_trace_command(const apdu::CommandApdu& c, TraceLevel level, std::chrono::milliseconds elapsed,
                                 bool redact_data) {
    std::string line = fmt::format("{} > {:02X} {:02X} {:02X} {:02X}", stamp(elapsed, level), c.cla, c.ins, c.p1, c.p2);
    if (!c.data.empty()) {
        line += fmt::format(" Lc={} {}", c.data.size(), data_field(c.data, redact_data || trace_redacts(c, level)));
    }
    if (c.le) line += fmt::format(" Le={}", *c.le);
    return line;
}

std::string format_trace_response(const apdu::CommandApdu& c, const apdu::ResponseApdu& r, TraceLevel level,
                                  std::chrono::milliseconds elapsed, bool redact_data) {
    std::string line = fmt::format("{} <", stamp(elapsed, level));
    if (!r.data.empty()) line += " " + data_field(r.data, redact_data || trace_redacts(c, level));
    line += " " + r.sw.describe();
    return line;
}

std::function<void(const std::string&)> stderr_trace_sink() {
    return [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
}

TracingChannel::TracingChannel(std::unique_ptr<CardChannel> inner, TraceOptions options)
    : owned_(std::move(inner)), inner_(owned_.get()), options_(std::move(options)) {
    init();
}

TracingChannel::TracingChannel(CardChannel& inner, TraceOptions options)
    : inner_(&inner), options_(std::move(options)) {
    init();
}

void TracingChannel::init() {
    if (!inner_) throw Error(ErrorKind::Internal, "TracingChannel without a channel");
    if (!options_.sink) options_.sink = stderr_trace_sink();
    if (!options_.clock) {
        const auto start = std::chrono::steady_clock::now();
        options_.clock = [start] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        };
    }
}

bool TracingChannel::touches_credential_file(const apdu::CommandApdu& c) {
    const bool binary = c.ins == 0xB0 || c.ins == 0xB1 || c.ins == 0xD6 || c.ins == 0xD7;
    if (c.ins == 0xA4 && (c.p1 == 0x00 || c.p1 == 0x02) && c.data.size() == 2) {
        current_ef_ = get_u16(c.data, 0);   // SELECT by file identifier
    } else if (c.ins == 0xA4) {
        current_ef_.reset();                // by name or path: an application or DF, not a file we track
    } else if (c.ins == 0xE0) {
        // CREATE FILE leaves the new file selected: its FCP holds 83 02 <file identifier>.
        current_ef_.reset();
        for (std::size_t i = 0; i + 3 < c.data.size(); ++i)
            if (c.data[i] == 0x83 && c.data[i + 1] == 0x02) {
                current_ef_ = get_u16(c.data, i + 2);
                break;
            }
    } else if (binary && (c.ins == 0xB0 || c.ins == 0xD6) && (c.p1 & 0x80)) {
        current_ef_ = static_cast<std::uint16_t>(0x0100 | (c.p1 & 0x1F));   // short EF identifier
    } else if (binary && (c.ins == 0xB1 || c.ins == 0xD7) && (c.p1 != 0 || c.p2 != 0)) {
        current_ef_ = static_cast<std::uint16_t>((c.p1 << 8) | c.p2);       // odd INS: file identifier
    }
    if (!binary || !current_ef_) return false;
    for (std::uint16_t fid : credential_files)
        if (*current_ef_ == fid) return true;
    return false;
}

apdu::ResponseApdu TracingChannel::transmit(const apdu::CommandApdu& command) {
    const bool credential = touches_credential_file(command);
    options_.sink(format_trace_command(command, options_.level, options_.clock(), credential));
    apdu::ResponseApdu r;
    try {
        r = inner_->transmit(command);
    } catch (const std::exception& e) {
        options_.sink(fmt::format("{} ! {}", stamp(options_.clock(), options_.level), e.what()));
        throw;
    }
    options_.sink(format_trace_response(command, r, options_.level, options_.clock(), credential));
    return r;
}

std::unique_ptr<CardChannel> trace_wire(std::unique_ptr<CardChannel> channel, int verbosity) {
    if (verbosity < 1) return channel;
    TraceOptions o;
    o.level = TraceLevel::Wire;
    return std::make_unique<TracingChannel>(std::move(channel), std::move(o));
}

std::unique_ptr<CardChannel> trace_plain(CardChannel& sm_channel, int verbosity) {
    if (verbosity < 2) return nullptr;
    TraceOptions o;
    o.level = TraceLevel::Plain;
    return std::make_unique<TracingChannel>(sm_channel, std::move(o));
}

}  // namespace docketcard::transport
