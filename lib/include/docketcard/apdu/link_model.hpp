// A model of the physical link between a terminal and a card: how long a card would take for a
// sequence of command APDUs, from the bytes each one carries, the block framing of the transport
// protocol, the line speed, the chip's turnaround and its persistent-memory page writes
// (docs/sim.md, "Link model"). The emulated card only accounts the time; nothing sleeps.
//
// Transport framing:
// - contact, T=1 (ISO/IEC 7816-3 11.3): a block is prologue (NAD, PCB, LEN: 3 bytes), up to IFSC
//   (card-bound) or IFSD (terminal-bound) information bytes, and an LRC epilogue (1 byte). A
//   longer APDU is chained (11.6.2): the receiver acknowledges every block but the last with an
//   R-block (4 bytes). Each character takes 11 etu (10 etu of start, data, parity bits plus the
//   character guard time, CGT = 11 etu for N = 0, 11.2); between two blocks sent in opposite
//   directions at least the block guard time, BGT = 22 etu (11.2).
// - contactless, ISO/IEC 14443-4 (7.1): a frame is PCB (1 byte), up to FSC - 3 information bytes
//   and CRC (2 bytes); chaining acknowledged by R(ACK) frames of 3 bytes; each byte takes 9 bits
//   at the bit rate (ISO/IEC 14443-3 Type A: 8 data bits and an odd parity bit); between frames
//   at least the frame delay time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

namespace docketcard::apdu {

/// The parameters of a link (docs/sim.md, "Link model", gives each one's source).
struct LinkProfile {
    std::string name;
    double bit_rate = 0;                 ///< bits (etu) per second on the line
    double bits_per_byte = 0;            ///< line bits a byte costs (T=1: 11 etu; 14443 Type A: 9)
    std::size_t max_information = 0;     ///< information bytes per block (IFSC/IFSD; FSC - 3)
    std::size_t block_overhead = 0;      ///< framing bytes per block (T=1: 4; 14443-4: 3)
    std::size_t ack_block = 0;           ///< bytes of the block acknowledging a chained block
    double block_gap_s = 0;              ///< minimum time between blocks in opposite directions
    double command_turnaround_s = 0;     ///< chip processing per command, before its answer
    std::size_t page_size = 0;           ///< persistent-memory page, bytes
    double page_write_s = 0;             ///< erase + program time of one page

    /// `contact-9600`, `contact-312k` or `contactless-424k`. Throws Error(InvalidInput) on another
    /// name, listing those.
    static LinkProfile builtin(const std::string& name);
    /// A builtin name, or a profile file: `key = value` lines (`#` comments) with every field
    /// above by its name (`name` optional: the file's stem). Throws Error(InvalidInput) naming the
    /// file, line and key on anything else.
    static LinkProfile load(const std::string& name_or_file);
};

/// The time one command costs on a link, split by cause.
struct LinkCost {
    std::size_t blocks = 0;        ///< blocks (frames) on the line, acknowledgements included
    std::size_t line_bytes = 0;    ///< bytes on the line, framing and acknowledgements included
    double transfer_s = 0;         ///< line_bytes at the line speed
    double gaps_s = 0;             ///< block guard / frame delay times
    double turnaround_s = 0;       ///< the chip's processing
    double write_s = 0;            ///< persistent-memory page writes
    double total() const noexcept { return transfer_s + gaps_s + turnaround_s + write_s; }
};

/// The cost of one command of `command_bytes` (the whole command APDU) answered by
/// `response_bytes` (data and SW1 SW2), during which the chip wrote `pages_written` pages.
LinkCost command_cost(const LinkProfile& link, std::size_t command_bytes, std::size_t response_bytes,
                      std::size_t pages_written);

/// Accumulated cost of a sequence of commands.
struct LinkAccount {
    std::uint64_t commands = 0;
    std::uint64_t bytes_out = 0;   ///< APDU bytes terminal -> card
    std::uint64_t bytes_in = 0;    ///< APDU bytes card -> terminal
    std::uint64_t pages_written = 0;
    LinkCost cost;
    void add(const LinkProfile& link, std::size_t command_bytes, std::size_t response_bytes, std::size_t pages);
    /// One line for operators: "projected card time on contact-312k: 0.989 s for 60 commands
    /// (transfer 0.674 s, block gaps 0.017 s, chip 0.060 s, 159 page writes 0.239 s)".
    std::string summary(const std::string& profile_name) const;
    /// Adds another account's commands (the cards of a batch).
    LinkAccount& operator+=(const LinkAccount& other) noexcept;
    /// The commands accounted since `earlier`, a copy of this account taken before them.
    LinkAccount since(const LinkAccount& earlier) const noexcept;
};

}  // namespace docketcard::apdu
