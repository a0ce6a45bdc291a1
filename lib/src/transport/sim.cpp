#include "docketcard/transport/sim.hpp"

#include <fmt/core.h>

#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::transport {

Capabilities capabilities_from_atr(ByteView atr) {
    Capabilities caps;
    if (parse_atr(atr).extended_length) {
        caps.extended_length = true;
        caps.max_command_data = 65535;
        caps.max_response_data = 65536;
    }
    return caps;
}

SimLink::SimLink(std::unique_ptr<applet::Card> card, std::string description,
                 std::optional<apdu::LinkProfile> link)
    : card_(std::move(card)), description_(std::move(description)) {
    if (link) projection_ = LinkProjection{std::move(*link), {}};
    if (!card_) throw Error(ErrorKind::Internal, "SimLink without a card");
    atr_ = card_->atr();
    caps_ = capabilities_from_atr(atr_);
}

Bytes SimLink::exchange(ByteView command) {
    try {
        Bytes response = card_->process(command);
        if (projection_) {
            projection_->account.add(projection_->profile, command.size(), response.size(),
                                     card_->pages_written_by_last_command(projection_->profile.page_size));
        }
        return response;
    } catch (const applet::CardTorn&) {
        std::string what = "a command";
        try {
            what = command_name(apdu::CommandApdu::parse(command));
        } catch (const Error&) {
        }
        throw Error(ErrorKind::Communication,
                    fmt::format("card removed from the reader (torn) during {} on {}. Put the card back and run "
                                "the command again; the card applies each command completely or not at all.",
                                what, description_));
    }
}

std::string projection_summary(const LinkProjection& p) {
    return p.account.summary(p.profile.name);
}

std::unique_ptr<LinkChannel> open_sim_channel(const std::filesystem::path& path, applet::CardOptions options,
                                              std::optional<apdu::LinkProfile> link) {
    auto card = applet::Card::open(path, std::move(options));
    return std::make_unique<LinkChannel>(
        std::make_unique<SimLink>(std::move(card), "sim:" + path.string(), std::move(link)));
}

}  // namespace docketcard::transport
