// The low-level link to a card and the one implementation of CardChannel on top of it.
//
// Layering of a card connection (docs/architecture.md):
//
//   perso / verify                       plain logical commands, any length
//     |  transmit_long / transmit_chained  splits a long command: extended length or chaining
//     |  SM layer (BAC SM, SCP03)          wraps each APDU it is given (lib/sm)
//     |  TracingChannel (-v)               logs, secrets redacted (trace.hpp)
//     |  LinkChannel                       61xx GET RESPONSE loop and 6Cxx resend, once, here
//     |  ApduLink: PcscLink | SimLink      one raw exchange: bytes out, bytes in
//   card
//
// Chaining is decided ABOVE the secure messaging layer: SM wraps (and MACs) every block of a chain
// on its own (ICAO Doc 9303 Part 11 9.8; GP Amendment D 6.2.4: CLA 94 in a chain), so the SM layer
// must see the blocks. LinkChannel therefore never chains: it sends a command in the short form, or
// in the extended form when the command needs it and the link supports it, and otherwise throws.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "docketcard/transport/channel.hpp"

namespace docketcard::transport {

/// One raw exchange with a card: a complete command APDU out, the response APDU (data || SW1 SW2)
/// in, exactly as the reader passes them (the T=1 APDU transport of ISO/IEC 7816-3 11, or an
/// in-process card). Implementations throw Error(Communication) when the card or reader is gone.
class ApduLink {
public:
    virtual ~ApduLink() = default;
    /// Sends one encoded command APDU and returns the raw response bytes.
    virtual Bytes exchange(ByteView command) = 0;
    /// What the reader and card together can carry (extended length, maximum sizes).
    virtual Capabilities capabilities() const = 0;
    /// Answer to reset of the card (ISO/IEC 7816-3 8).
    virtual Bytes atr() const = 0;
    /// A short description for messages ("reader 'Virtual PCD 00 00'").
    virtual std::string description() const = 0;
    /// The link model's projection, when this link has one (SimLink with a profile).
    virtual const LinkProjection* link_projection() const { return nullptr; }
};

/// CardChannel over an ApduLink: handles 61xx by GET RESPONSE (ISO/IEC 7816-4 5.3.4, 7.6.1; the
/// T=0 case of ISO/IEC 7816-3 12.2) until the card stops answering 61xx, concatenating the data,
/// and 6Cxx by resending the same command once with Le = xx (ISO/IEC 7816-4 5.6). It returns the
/// final response and never judges a status word. A command that does not fit the link (Lc or Le
/// beyond the short form when the link has no extended length, or beyond the capabilities) throws
/// Error(Internal): split it with transmit_long() above any secure messaging layer.
class LinkChannel final : public CardChannel {
public:
    explicit LinkChannel(std::unique_ptr<ApduLink> link);
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override;
    Capabilities capabilities() const override;
    Bytes atr() const override;
    std::string description() const override;
    const LinkProjection* link_projection() const override { return link_->link_projection(); }
    ApduLink& link() noexcept { return *link_; }

private:
    apdu::ResponseApdu exchange(const apdu::CommandApdu& command);
    std::unique_ptr<ApduLink> link_;
};

/// Sends `command` as a chain of blocks of at most `max_block` data bytes (ISO/IEC 7816-4
/// 5.1.1.1: CLA bit 0x10 on all but the last block), through any channel, including a secure
/// messaging channel that wraps each block. Every intermediate block must answer 9000; otherwise a
/// CardError(CardRefused) names the block and the status word. Returns the last block's response.
/// A command that fits in one block is sent as is.
apdu::ResponseApdu transmit_chained(CardChannel& channel, const apdu::CommandApdu& command, std::size_t max_block);

/// Sends one logical command whatever its length: as is when it fits `limits`
/// (max_command_data, and the short form unless extended_length), otherwise chained in blocks of
/// limits.max_command_data bytes (at most 255 without extended length). `limits` is normally channel.capabilities(),
/// narrowed by what the application reports about itself (e.g. the card's GET DATA tag 84).
apdu::ResponseApdu transmit_long(CardChannel& channel, const apdu::CommandApdu& command, const Capabilities& limits);
/// transmit_long with channel.capabilities().
apdu::ResponseApdu transmit_long(CardChannel& channel, const apdu::CommandApdu& command);

/// What an ATR (ISO/IEC 7816-3 8.2) says about the card's APDU capabilities.
struct AtrInfo {
    Bytes historical;              ///< the historical bytes (ISO/IEC 7816-4 8.1.1)
    bool t0 = false, t1 = false;   ///< protocols offered (T=0 assumed when no TD byte names one)
    bool card_capabilities = false;  ///< a card capabilities object (tag 7) is present
    bool command_chaining = false;   ///< third software function byte, b8 (ISO/IEC 7816-4 8.1.1.2.7)
    bool extended_length = false;    ///< third software function byte, b7
};

/// Parses an ATR: interface bytes, then the COMPACT-TLV historical bytes (category indicator 00 or
/// 80, ISO/IEC 7816-4 8.1.1.1) for the card capabilities. Throws ParseError on a truncated ATR; an
/// unknown historical-bytes category gives an AtrInfo without capabilities.
AtrInfo parse_atr(ByteView atr);

}  // namespace docketcard::transport
