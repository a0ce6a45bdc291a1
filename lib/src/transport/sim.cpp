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

SimLink::SimLink(std::unique_ptr<applet::Card> card, std::string description)
    : card_(std::move(card)), description_(std::move(description)) {
    if (!card_) throw Error(ErrorKind::Internal, "SimLink without a card");
    atr_ = card_->atr();
    caps_ = capabilities_from_atr(atr_);
}

Bytes SimLink::exchange(ByteView command) {
    try {
        return card_->process(command);
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

std::unique_ptr<LinkChannel> open_sim_channel(const std::filesystem::path& path, applet::CardOptions options) {
    auto card = applet::Card::open(path, std::move(options));
    return std::make_unique<LinkChannel>(std::make_unique<SimLink>(std::move(card), "sim:" + path.string()));
}

}  // namespace docketcard::transport
