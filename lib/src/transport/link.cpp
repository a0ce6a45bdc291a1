#include "docketcard/transport/link.hpp"

#include <algorithm>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::transport {

namespace {

// A card that keeps answering 61xx would otherwise loop forever; 64 KiB of response data is
// more than any command of this project can return.
constexpr std::size_t max_response_total = 65536 + 256;

std::size_t le_from_sw2(std::uint8_t sw2) { return sw2 == 0 ? 256 : sw2; }

}  // namespace

LinkChannel::LinkChannel(std::unique_ptr<ApduLink> link) : link_(std::move(link)) {
    if (!link_) throw Error(ErrorKind::Internal, "LinkChannel without a link");
}

Capabilities LinkChannel::capabilities() const { return link_->capabilities(); }
Bytes LinkChannel::atr() const { return link_->atr(); }
std::string LinkChannel::description() const { return link_->description(); }

apdu::ResponseApdu LinkChannel::exchange(const apdu::CommandApdu& command) {
    const Capabilities caps = link_->capabilities();
    if (command.needs_extended() && !caps.extended_length) {
        throw Error(ErrorKind::Internal,
                    fmt::format("command INS {:02X} with {} data byte(s) and Le {} needs extended length, which {} "
                                "does not support; it must be chained above secure messaging (transmit_long)",
                                command.ins, command.data.size(), command.le ? std::to_string(*command.le) : "none",
                                link_->description()));
    }
    if (command.data.size() > caps.max_command_data) {
        throw Error(ErrorKind::Internal,
                    fmt::format("command INS {:02X} with {} data byte(s) exceeds the {} byte(s) {} accepts in one "
                                "command; it must be chained above secure messaging (transmit_long)",
                                command.ins, command.data.size(), caps.max_command_data, link_->description()));
    }
    const Bytes raw = link_->exchange(command.encode());
    if (raw.size() < 2) {
        // vpcd and some readers hand back an empty answer when the card leaves mid-command.
        throw Error(ErrorKind::Communication,
                    fmt::format("the card gave no status word to INS {:02X} on {}: it was removed or reset during "
                                "the command",
                                command.ins, link_->description()));
    }
    return apdu::ResponseApdu::parse(raw);
}

apdu::ResponseApdu LinkChannel::transmit(const apdu::CommandApdu& command) {
    apdu::ResponseApdu r = exchange(command);
    if (r.sw.sw1() == 0x6C) {
        apdu::CommandApdu again = command;
        again.le = le_from_sw2(r.sw.sw2());
        r = exchange(again);
    }
    if (r.sw.sw1() != 0x61) return r;

    Bytes data = std::move(r.data);
    while (r.sw.sw1() == 0x61) {
        apdu::CommandApdu get = apdu::CommandApdu::get_response(command.cla, le_from_sw2(r.sw.sw2()));
        r = exchange(get);
        if (r.sw.sw1() == 0x6C) {
            get.le = le_from_sw2(r.sw.sw2());
            r = exchange(get);
        }
        append(data, r.data);
        if (data.size() > max_response_total) {
            throw Error(ErrorKind::Communication,
                        fmt::format("the card in {} keeps answering 61xx (more data) after {} bytes for command INS "
                                    "{:02X}; remove the card and try again",
                                    link_->description(), data.size(), command.ins));
        }
    }
    r.data = std::move(data);
    return r;
}

apdu::ResponseApdu transmit_chained(CardChannel& channel, const apdu::CommandApdu& command, std::size_t max_block) {
    const std::vector<apdu::CommandApdu> blocks = command.chain(max_block);
    for (std::size_t i = 0; i + 1 < blocks.size(); ++i) {
        const apdu::ResponseApdu r = channel.transmit(blocks[i]);
        if (!r.ok()) {
            throw CardError(ErrorKind::CardRefused,
                            fmt::format("the card refused block {} of {} of chained command INS {:02X}: {}", i + 1,
                                        blocks.size(), command.ins, r.sw.describe()),
                            r.sw.value());
        }
    }
    return channel.transmit(blocks.back());
}

apdu::ResponseApdu transmit_long(CardChannel& channel, const apdu::CommandApdu& command, const Capabilities& limits) {
    const bool le_fits = !command.le || *command.le <= (limits.extended_length ? std::min<std::size_t>(limits.max_response_data, 65536) : 256);
    if (!le_fits) {
        throw Error(ErrorKind::Internal, fmt::format("command INS {:02X} asks for Le {} which {} cannot return in one "
                                                     "response; read it in parts",
                                                     command.ins, *command.le, channel.description()));
    }
    const std::size_t block =
        limits.extended_length ? limits.max_command_data : std::min<std::size_t>(255, limits.max_command_data);
    if (command.data.size() <= block) return channel.transmit(command);
    return transmit_chained(channel, command, block);
}

apdu::ResponseApdu transmit_long(CardChannel& channel, const apdu::CommandApdu& command) {
    return transmit_long(channel, command, channel.capabilities());
}

AtrInfo parse_atr(ByteView atr) {
    auto need = [&](std::size_t i) {
        if (i >= atr.size()) throw ParseError(fmt::format("ATR {} is truncated (byte {} missing)", to_hex(atr), i + 1));
    };
    need(1);
    AtrInfo info;
    std::size_t i = 1;
    std::uint8_t y = atr[1] >> 4;
    const std::size_t k = atr[1] & 0x0F;
    bool any_td_protocol = false;
    ++i;
    while (true) {
        for (int bit = 0; bit < 3; ++bit) {  // TA, TB, TC
            if (y & (1 << bit)) ++i;
        }
        if (!(y & 0x08)) break;
        need(i);
        const std::uint8_t td = atr[i++];
        const int t = td & 0x0F;
        any_td_protocol = true;
        if (t == 0) info.t0 = true;
        if (t == 1) info.t1 = true;
        y = td >> 4;
    }
    if (!any_td_protocol) info.t0 = true;
    // The last interface byte (TA, TB or TC without a following TD) or historical byte must be there.
    if (i + k > 2) need(i + k - 1);
    info.historical.assign(atr.begin() + static_cast<std::ptrdiff_t>(std::min(i, atr.size())),
                           atr.begin() + static_cast<std::ptrdiff_t>(std::min(i + k, atr.size())));

    const Bytes& h = info.historical;
    if (h.empty() || (h[0] != 0x00 && h[0] != 0x80)) return info;
    // Category 00 ends with a 3-byte status indicator outside the COMPACT-TLV objects.
    std::size_t end = h.size();
    if (h[0] == 0x00) end = end >= 4 ? end - 3 : 1;
    for (std::size_t p = 1; p < end;) {
        const std::uint8_t tag = h[p] >> 4;
        const std::size_t len = h[p] & 0x0F;
        if (p + 1 + len > end) throw ParseError(fmt::format("ATR historical bytes {}: COMPACT-TLV object at {} overruns", to_hex(h), p));
        if (tag == 0x7 && len >= 3) {
            info.card_capabilities = true;
            info.command_chaining = (h[p + 3] & 0x80) != 0;
            info.extended_length = (h[p + 3] & 0x40) != 0;
        }
        p += 1 + len;
    }
    return info;
}

}  // namespace docketcard::transport
