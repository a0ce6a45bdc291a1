// libFuzzer target: the card side as a parser of outside bytes. A new in-memory card (fixed
// random seed, so a recorded valid exchange replays exactly) gets a sequence of command APDUs cut
// from the input:
//   byte 0      flags: 01 open an SCP03 session (host library, sample master keys, level 33)
//               first and send each APDU that parses through it, wrapped; 02 then allow extended
//               length in the session
//   then        records of a 2-byte header and the APDU bytes: header bit 8000 resets the card
//               before the command, the low 15 bits are the APDU length (the last may be cut short)
// The card must answer every command with data || SW1 SW2, never throw and never answer 6F00 (its
// "internal failure", which would mean an exception escaped the applet's own checks).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>

#include "docketcard/applet/card.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

constexpr std::uint64_t kSeed = 0x5EED;

Bytes checked_process(applet::Card& card, ByteView command) {
    Bytes response;
    try {
        response = card.process(command);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "card threw on %s: %s\n", to_hex(command).c_str(), e.what());
        std::abort();
    }
    if (response.size() < 2) {
        std::fprintf(stderr, "card answered %s without a status word\n", to_hex(command).c_str());
        std::abort();
    }
    const std::uint16_t sw = static_cast<std::uint16_t>(response[response.size() - 2] << 8 | response.back());
    if (sw == 0x6F00) {
        std::fprintf(stderr, "card answered 6F00 (internal failure) to %s\n", to_hex(command).c_str());
        std::abort();
    }
    if ((sw & 0xF000) != 0x9000 && (sw & 0xF000) != 0x6000) {
        std::fprintf(stderr, "card answered %04X, not a status word, to %s\n", sw, to_hex(command).c_str());
        std::abort();
    }
    return response;
}

/// The card as the host library sees it: every exchange goes through checked_process.
class CardAdapter final : public transport::CardChannel {
public:
    explicit CardAdapter(applet::Card& card) : card_(card) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        return apdu::ResponseApdu::parse(checked_process(card_, command.encode()));
    }
    transport::Capabilities capabilities() const override { return {true, 2048, 2048}; }
    Bytes atr() const override { return card_.atr(); }
    std::string description() const override { return "fuzz card"; }

private:
    applet::Card& card_;
};

sm::Scp03Keys sample_master_keys() {
    const auto f = applet::FactoryKeys::sample();
    sm::Scp03Keys k;
    k.kvn = f.kvn;
    k.enc = f.master_enc;
    k.mac = f.master_mac;
    k.dek = f.master_dek;
    return k;
}

crypto::RandomSource fixed_random() {
    return [](std::span<std::uint8_t> out) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(0x11 * (i + 1));
    };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    applet::CardOptions options;
    options.random_seed = kSeed;
    auto card = applet::Card::in_memory(std::move(options));
    CardAdapter adapter(*card);
    const std::uint8_t flags = data[0];

    std::optional<sm::Scp03Session> session;
    if (flags & 0x01) {
        try {
            session.emplace(sm::Scp03Session::open(adapter, sample_master_keys(), sm::scp03_level::all, fixed_random()));
            if (flags & 0x02) session->use_extended_length(2048, 2048);
        } catch (const Error& e) {
            std::fprintf(stderr, "SCP03 does not open on a new card: %s\n", e.what());
            std::abort();
        }
    }

    ByteView rest(data + 1, size - 1);
    while (!rest.empty()) {
        std::size_t header = static_cast<std::size_t>(rest[0]) << 8;
        if (rest.size() > 1) header |= rest[1];
        rest = rest.subspan(std::min<std::size_t>(2, rest.size()));
        const std::size_t n = std::min(header & 0x7FFF, rest.size());
        const ByteView command = rest.first(n);
        rest = rest.subspan(n);
        if (header & 0x8000) card->reset();

        bool sent = false;
        if (session && !session->ended()) {
            try {
                const auto plain = apdu::CommandApdu::parse(command);
                (void)session->transmit(plain);
                sent = true;
            } catch (const Error&) {
                // Not a command the host wraps, or a refused answer: fine, the raw bytes go out below.
            }
        }
        if (!sent) (void)checked_process(*card, command);
    }
    return 0;
}
