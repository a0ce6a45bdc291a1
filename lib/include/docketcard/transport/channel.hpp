// The one interface through which protocol code talks to a card. Implemented by the PC/SC
// transport, the in-process `sim:` card, and the replaying transport of the unit tests, so that
// nothing above it knows which kind of reader it talks to.
#pragma once

#include <cstddef>
#include <string>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/apdu/link_model.hpp"

namespace docketcard::transport {

/// What a channel can carry in one command (reader and card capabilities combined).
struct Capabilities {
    bool extended_length = false;   ///< Lc up to 65535 and Le up to 65536 in one command
    std::size_t max_command_data = 255;
    std::size_t max_response_data = 256;
};

/// A connection to one card.
///
/// transmit() handles 61xx (GET RESPONSE loop) and 6Cxx (resend once with the right Le) itself and
/// returns the final response; it never decides that a status word is fatal: the caller does.
/// It throws Error(Communication) when the card or reader is gone.
/// What a modelled link projects for the commands sent so far (a `sim:PATH?link=PROFILE`
/// reader; apdu/link_model.hpp, docs/sim.md "Link model").
struct LinkProjection {
    apdu::LinkProfile profile;
    apdu::LinkAccount account;
};

class CardChannel {
public:
    virtual ~CardChannel() = default;
    /// Sends one command and returns the card's final response (ISO/IEC 7816-4 5.1, 5.3.4).
    virtual apdu::ResponseApdu transmit(const apdu::CommandApdu& command) = 0;
    /// What one command and one response can carry on this channel.
    virtual Capabilities capabilities() const = 0;
    /// Answer to reset of the card.
    virtual Bytes atr() const = 0;
    /// A short description for messages ("reader 'Virtual PCD 00 00'", "sim:/tmp/a.card").
    virtual std::string description() const = 0;
    /// The link model's projection when the channel has one (sim: readers with ?link=), else
    /// nullptr. Channels that wrap another one pass it on.
    virtual const LinkProjection* link_projection() const { return nullptr; }
};

}  // namespace docketcard::transport
