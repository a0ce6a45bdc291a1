#include "docketcard/apdu/link_model.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::apdu {

namespace {

std::size_t blocks_for(std::size_t bytes, std::size_t max_information) {
    return bytes == 0 ? 1 : (bytes + max_information - 1) / max_information;
}

// The chip of every builtin profile: 1 ms to process a command and answer (an assumption for a
// current secure controller running simple file commands; crypto commands take longer), and
// EEPROM pages of 64 bytes at 1.5 ms each (erase + program; smart-card EEPROM datasheets give
// 1 to 3 ms per page). docs/sim.md, "Link model".
LinkProfile with_chip(LinkProfile p) {
    p.command_turnaround_s = 0.001;
    p.page_size = 64;
    p.page_write_s = 0.0015;
    return p;
}

LinkProfile contact(const std::string& name, double etu_per_second) {
    LinkProfile p;
    p.name = name;
    p.bit_rate = etu_per_second;
    p.bits_per_byte = 11;          // ISO/IEC 7816-3 11.2: CGT = 11 etu per character (N = 0)
    p.max_information = 254;       // IFSC announced by our ATR (TA3 = FE), IFSD the same
    p.block_overhead = 4;          // NAD PCB LEN + LRC (11.3.1)
    p.ack_block = 4;               // R-block: prologue + LRC, no information field
    p.block_gap_s = 22 / etu_per_second;  // BGT = 22 etu (11.2)
    return with_chip(p);
}

}  // namespace

LinkProfile LinkProfile::builtin(const std::string& name) {
    // ISO/IEC 7816-3 7.1: etu = F / (D * f). Default F = 372, D = 1 at f = 3.5712 MHz: 9600 etu/s.
    if (name == "contact-9600") return contact(name, 3.5712e6 / 372);
    // TA1 = 96 after PPS: Fi = 512 (fmax 5 MHz), Di = 32, at f = 5 MHz: 312500 etu/s.
    if (name == "contact-312k") return contact(name, 5e6 * 32 / 512);
    if (name == "contactless-424k") {
        LinkProfile p;
        p.name = name;
        p.bit_rate = 13.56e6 / 32;     // ISO/IEC 14443-2: fc / 32 = 423.75 kbit/s
        p.bits_per_byte = 9;           // ISO/IEC 14443-3 Type A: 8 data bits + odd parity
        p.max_information = 256 - 3;   // FSC = 256 (FSCI 8) minus PCB and CRC_A (14443-4 7.1)
        p.block_overhead = 3;          // PCB + CRC_A
        p.ack_block = 3;               // R(ACK): PCB + CRC_A
        p.block_gap_s = 1172 / 13.56e6;  // minimum frame delay time, 1172/fc (14443-3 6.2.1.1)
        return with_chip(p);
    }
    throw Error(ErrorKind::InvalidInput,
                fmt::format("unknown link profile '{}'; the profiles are contact-9600, contact-312k, "
                            "contactless-424k, or the path of a profile file (docs/sim.md)",
                            name));
}

LinkProfile LinkProfile::load(const std::string& name_or_file) {
    if (name_or_file.find('/') == std::string::npos && name_or_file.find('.') == std::string::npos)
        return builtin(name_or_file);
    std::ifstream in(name_or_file);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("cannot read the link profile file {}", name_or_file));
    LinkProfile p;
    p.name = std::filesystem::path(name_or_file).stem().string();
    const std::map<std::string, double*> reals{{"bit_rate", &p.bit_rate},
                                               {"bits_per_byte", &p.bits_per_byte},
                                               {"block_gap_s", &p.block_gap_s},
                                               {"command_turnaround_s", &p.command_turnaround_s},
                                               {"page_write_s", &p.page_write_s}};
    const std::map<std::string, std::size_t*> counts{{"max_information", &p.max_information},
                                                     {"block_overhead", &p.block_overhead},
                                                     {"ack_block", &p.ack_block},
                                                     {"page_size", &p.page_size}};
    std::string line;
    int number = 0;
    std::map<std::string, bool> seen;
    while (std::getline(in, line)) {
        ++number;
        const auto hash = line.find('#');
        if (hash != std::string::npos) line.erase(hash);
        const auto trim = [](std::string s) {
            const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
            return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
        };
        line = trim(line);
        if (line.empty()) continue;
        const auto eq = line.find('=');
        const std::string where = fmt::format("{}:{}", name_or_file, number);
        if (eq == std::string::npos)
            throw Error(ErrorKind::InvalidInput, fmt::format("{}: '{}' is not 'key = value'", where, line));
        const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
        if (key == "name") {
            p.name = value;
            continue;
        }
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        const bool number_ok = !value.empty() && end && *end == '\0' && errno == 0 && v >= 0;
        if (auto r = reals.find(key); r != reals.end()) {
            if (!number_ok)
                throw Error(ErrorKind::InvalidInput,
                            fmt::format("{}: {}: '{}' is not a number; a non-negative decimal is accepted", where, key, value));
            *r->second = v;
        } else if (auto c = counts.find(key); c != counts.end()) {
            if (!number_ok || v != static_cast<double>(static_cast<std::size_t>(v)))
                throw Error(ErrorKind::InvalidInput,
                            fmt::format("{}: {}: '{}' is not a whole number of bytes", where, key, value));
            *c->second = static_cast<std::size_t>(v);
        } else {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: unknown key '{}'; the keys are name, bit_rate, bits_per_byte, "
                                    "max_information, block_overhead, ack_block, block_gap_s, "
                                    "command_turnaround_s, page_size, page_write_s",
                                    where, key));
        }
        seen[key] = true;
    }
    for (const char* required : {"bit_rate", "bits_per_byte", "max_information"})
        if (!seen.count(required))
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: {} is missing; a profile needs at least bit_rate, bits_per_byte and "
                                    "max_information",
                                    name_or_file, required));
    if (p.bit_rate <= 0 || p.bits_per_byte <= 0 || p.max_information == 0)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: bit_rate, bits_per_byte and max_information must be above 0", name_or_file));
    return p;
}

LinkCost command_cost(const LinkProfile& link, std::size_t command_bytes, std::size_t response_bytes,
                      std::size_t pages_written) {
    // k blocks carry the command, j blocks the response; every block but the last of each
    // direction is acknowledged. The line changes direction after each block, and once more
    // before the next command: 2k + 2j - 2 gaps.
    const std::size_t k = blocks_for(command_bytes, link.max_information);
    const std::size_t j = blocks_for(response_bytes, link.max_information);
    LinkCost c;
    c.blocks = k + (k - 1) + j + (j - 1);
    c.line_bytes = command_bytes + k * link.block_overhead + (k - 1) * link.ack_block + response_bytes +
                   j * link.block_overhead + (j - 1) * link.ack_block;
    c.transfer_s = static_cast<double>(c.line_bytes) * link.bits_per_byte / link.bit_rate;
    c.gaps_s = static_cast<double>(2 * k + 2 * j - 2) * link.block_gap_s;
    c.turnaround_s = link.command_turnaround_s;
    c.write_s = static_cast<double>(pages_written) * link.page_write_s;
    return c;
}

void LinkAccount::add(const LinkProfile& link, std::size_t command_bytes, std::size_t response_bytes,
                      std::size_t pages) {
    const LinkCost c = command_cost(link, command_bytes, response_bytes, pages);
    ++commands;
    bytes_out += command_bytes;
    bytes_in += response_bytes;
    pages_written += pages;
    cost.blocks += c.blocks;
    cost.line_bytes += c.line_bytes;
    cost.transfer_s += c.transfer_s;
    cost.gaps_s += c.gaps_s;
    cost.turnaround_s += c.turnaround_s;
    cost.write_s += c.write_s;
}

std::string LinkAccount::summary(const std::string& profile_name) const {
    return fmt::format("projected card time on {}: {:.3f} s for {} commands (transfer {:.3f} s, block gaps {:.3f} s, "
                       "chip {:.3f} s, {} page writes {:.3f} s)",
                       profile_name, cost.total(), commands, cost.transfer_s, cost.gaps_s, cost.turnaround_s,
                       pages_written, cost.write_s);
}

LinkAccount& LinkAccount::operator+=(const LinkAccount& o) noexcept {
    commands += o.commands;
    bytes_out += o.bytes_out;
    bytes_in += o.bytes_in;
    pages_written += o.pages_written;
    cost.blocks += o.cost.blocks;
    cost.line_bytes += o.cost.line_bytes;
    cost.transfer_s += o.cost.transfer_s;
    cost.gaps_s += o.cost.gaps_s;
    cost.turnaround_s += o.cost.turnaround_s;
    cost.write_s += o.cost.write_s;
    return *this;
}

LinkAccount LinkAccount::since(const LinkAccount& e) const noexcept {
    LinkAccount d;
    d.commands = commands - e.commands;
    d.bytes_out = bytes_out - e.bytes_out;
    d.bytes_in = bytes_in - e.bytes_in;
    d.pages_written = pages_written - e.pages_written;
    d.cost.blocks = cost.blocks - e.cost.blocks;
    d.cost.line_bytes = cost.line_bytes - e.cost.line_bytes;
    d.cost.transfer_s = cost.transfer_s - e.cost.transfer_s;
    d.cost.gaps_s = cost.gaps_s - e.cost.gaps_s;
    d.cost.turnaround_s = cost.turnaround_s - e.cost.turnaround_s;
    d.cost.write_s = cost.write_s - e.cost.write_s;
    return d;
}

}  // namespace docketcard::apdu
