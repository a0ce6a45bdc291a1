// The in-process `sim:` reader: an emulated Secure Docket Card (applets/, docketcard::applet)
// reached without pcscd. Its channel is the same LinkChannel as PC/SC's, so 61xx/6Cxx handling and
// length checks follow the same code path.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "docketcard/applet/card.hpp"
#include "docketcard/transport/link.hpp"

namespace docketcard::transport {

/// ApduLink over applet::Card::process. A torn card (applet::CardTorn) becomes
/// Error(Communication, "card removed from the reader (torn) during <command> ...").
/// Capabilities come from the card's ATR (ISO/IEC 7816-4 8.1.1.2.7); the link itself has no size
/// limit beyond the extended-length maximum. With a link profile, every exchange is also accounted
/// as the physical link would carry it (apdu/link_model.hpp): link_projection().
class SimLink final : public ApduLink {
public:
    SimLink(std::unique_ptr<applet::Card> card, std::string description,
            std::optional<apdu::LinkProfile> link = std::nullopt);
    Bytes exchange(ByteView command) override;
    Capabilities capabilities() const override { return caps_; }
    Bytes atr() const override { return atr_; }
    std::string description() const override { return description_; }
    applet::Card& card() noexcept { return *card_; }
    const LinkProjection* link_projection() const override { return projection_ ? &*projection_ : nullptr; }

private:
    std::optional<LinkProjection> projection_;
    std::unique_ptr<applet::Card> card_;
    std::string description_;
    Bytes atr_;
    Capabilities caps_;
};

/// Opens (or creates) the card file `path` and returns a channel to it, described as "sim:PATH",
/// accounted on `link` when one is given.
std::unique_ptr<LinkChannel> open_sim_channel(const std::filesystem::path& path, applet::CardOptions options = {},
                                              std::optional<apdu::LinkProfile> link = std::nullopt);

/// One line for operators: "projected card time on contact-312k: 1.234 s for 60 commands (transfer
/// 0.701 s, block gaps 0.012 s, chip 0.060 s, 140 page writes 0.210 s)".
std::string projection_summary(const LinkProjection& projection);

/// Capabilities of a link whose reader carries any length, given the card's ATR: extended length
/// (65535/65536) when the ATR announces it, short (255/256) otherwise.
Capabilities capabilities_from_atr(ByteView atr);

}  // namespace docketcard::transport
