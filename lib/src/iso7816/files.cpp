#include "docketcard/iso7816/files.hpp"

#include <algorithm>
#include <optional>

#include <fmt/core.h>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::iso7816 {

bool means_not_supported(std::uint16_t sw) noexcept {
    return sw == 0x6D00 || sw == 0x6E00 || sw == 0x6A82 || sw == 0x6A86 || sw == 0x6A88;
}

void select_application(transport::CardChannel& card) {
    const auto r = card.transmit(apdu::CommandApdu::select_aid(ByteView(apdu::emrtd_aid, sizeof apdu::emrtd_aid)));
    if (!r.ok())
        throw CardError(ErrorKind::WrongCardState,
                        fmt::format("{}: SELECT of the eMRTD application (AID A0000002471001) answered {}: not a "
                                    "Secure Docket Card, nor an ICAO eMRTD; set it aside",
                                    card.description(), r.sw.describe()),
                        r.sw.value());
}

using apdu::CommandApdu;

namespace {

constexpr std::size_t kMaxEf = 0xFFFFFF;  // 3-byte DO54 offsets

struct Header {
    std::size_t header_size;
    std::size_t value_size;
};

// The TLV header at the start of `b`, or nullopt when `b` is too short to hold all of it.
std::optional<Header> parse_header(ByteView b, std::uint16_t fid) {
    std::size_t at = 0;
    if (b.empty()) return std::nullopt;
    if ((b[at++] & 0x1F) == 0x1F) {
        do {
            if (at >= b.size()) return std::nullopt;
            if (at >= 4) throw ParseError(fmt::format("EF {:04X}: tag longer than 4 bytes", fid));
        } while (b[at++] & 0x80);
    }
    if (at >= b.size()) return std::nullopt;
    const std::uint8_t first = b[at++];
    if (first < 0x80) return Header{at, first};
    const std::size_t n = first & 0x7F;
    if (n == 0 || n > 3) {
        throw ParseError(fmt::format("EF {:04X}: length field {:02X} is not a definite length up to 3 bytes", fid, first));
    }
    if (at + n > b.size()) return std::nullopt;
    std::size_t len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | b[at++];
    return Header{at, len};
}

struct Chunk {
    Bytes data;
    bool end = false;  // the card said the EF ends here (6282 / 6B00)
};

Chunk read_at(transport::CardChannel& card, std::uint16_t fid, std::size_t offset, std::size_t n) {
    CommandApdu cmd;
    const bool odd = offset > 0x7FFF;
    if (!odd) {
        cmd = CommandApdu::read_binary(static_cast<std::uint16_t>(offset), n);
    } else {
        Bytes off;
        if (offset > 0xFFFF) off.push_back(static_cast<std::uint8_t>(offset >> 16));
        put_u16(off, static_cast<std::uint16_t>(offset));
        cmd = CommandApdu(0x00, 0xB1, 0x00, 0x00, tlv::encode(0x54, off), n + 1 + tlv::encode_length(n).size());
    }
    const auto r = card.transmit(cmd);
    Chunk c;
    if (r.sw == apdu::sw::wrong_p1p2) {
        c.end = true;
        return c;
    }
    if (!r.ok() && r.sw != apdu::sw::end_of_file) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("EF {:04X}: READ BINARY at offset {} refused with {}", fid, offset, r.sw.describe()),
                        r.sw.value());
    }
    c.end = r.sw == apdu::sw::end_of_file;
    if (odd) {
        if (!r.data.empty()) {
            const auto obj = tlv::parse_single(r.data, fmt::format("EF {:04X} READ BINARY (B1) answer", fid));
            if (obj.tag != 0x53) throw ParseError(fmt::format("EF {:04X}: READ BINARY (B1) answered tag {:X}, 53 expected", fid, obj.tag));
            c.data.assign(obj.value.begin(), obj.value.end());
        }
    } else {
        c.data = r.data;
    }
    if (c.data.size() > n) {
        throw ParseError(fmt::format("EF {:04X}: READ BINARY at offset {} returned {} bytes, {} asked", fid, offset,
                                     c.data.size(), n));
    }
    return c;
}

}  // namespace

std::size_t read_chunk_size(const transport::Capabilities& caps) noexcept {
    const std::size_t limit = caps.extended_length ? caps.max_response_data : std::min<std::size_t>(caps.max_response_data, 0xDF);
    return std::max<std::size_t>(limit, 8);
}

Bytes read_ef(transport::CardChannel& card, std::uint16_t fid) {
    const auto sel = card.transmit(CommandApdu::select_ef(fid));
    if (!sel.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("EF {:04X}: SELECT refused with {}{}", fid, sel.sw.describe(),
                                    sel.sw == apdu::sw::file_not_found ? "; the card has no such file" : ""),
                        sel.sw.value());
    }
    const std::size_t chunk = read_chunk_size(card.capabilities());

    Bytes content;
    std::optional<Header> header;
    bool end = false;
    while (!header) {
        if (end || content.size() >= 8) {
            throw ParseError(fmt::format("EF {:04X}: the file ends inside its TLV header ({} bytes)", fid, content.size()));
        }
        auto c = read_at(card, fid, content.size(), content.empty() ? 4 : 8 - content.size());
        if (c.data.empty()) end = true;
        end = end || c.end;
        append(content, c.data);
        header = parse_header(content, fid);
    }
    const std::size_t total = header->header_size + header->value_size;
    if (total > kMaxEf) throw ParseError(fmt::format("EF {:04X}: its header announces {} bytes", fid, total));
    if (content.size() > total) content.resize(total);

    while (content.size() < total) {
        if (end) {
            throw ParseError(fmt::format("EF {:04X}: the file ends after {} bytes but its header announces {}", fid,
                                         content.size(), total));
        }
        auto c = read_at(card, fid, content.size(), std::min(chunk, total - content.size()));
        if (c.data.empty()) end = true;
        end = end || c.end;
        append(content, c.data);
    }
    return content;
}

}  // namespace docketcard::iso7816
