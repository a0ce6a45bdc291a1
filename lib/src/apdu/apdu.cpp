#include "docketcard/apdu/apdu.hpp"

#include <algorithm>
#include <array>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::apdu {

namespace {

struct SwMeaning {
    std::uint16_t sw;
    std::uint16_t mask;  // 0xFFFF exact, 0xFF00 any SW2
    const char* meaning;
};

// The one table of status word meanings (ISO/IEC 7816-4 5.6, GlobalPlatform 2.3 11.1.3).
constexpr std::array<SwMeaning, 38> table{{
    {0x9000, 0xFFFF, "success"},
    {0x6100, 0xFF00, "more response data available"},
    {0x6281, 0xFFFF, "part of returned data may be corrupted"},
    {0x6282, 0xFFFF, "end of file reached before reading the expected length"},
    {0x6283, 0xFFFF, "selected file deactivated"},
    {0x6300, 0xFFFF, "authentication failed"},
    {0x63C0, 0xFFF0, "verification failed, counter gives the remaining tries"},
    {0x6400, 0xFFFF, "execution error, memory unchanged"},
    {0x6581, 0xFFFF, "memory failure"},
    {0x6700, 0xFFFF, "wrong length"},
    {0x6881, 0xFFFF, "logical channel not supported"},
    {0x6882, 0xFFFF, "secure messaging not supported"},
    {0x6883, 0xFFFF, "last command of the chain expected"},
    {0x6884, 0xFFFF, "command chaining not supported"},
    {0x6981, 0xFFFF, "command incompatible with file structure"},
    {0x6982, 0xFFFF, "security status not satisfied"},
    {0x6983, 0xFFFF, "authentication method blocked"},
    {0x6984, 0xFFFF, "reference data not usable"},
    {0x6985, 0xFFFF, "conditions of use not satisfied"},
    {0x6986, 0xFFFF, "command not allowed (no current EF)"},
    {0x6987, 0xFFFF, "expected secure messaging data objects missing"},
    {0x6988, 0xFFFF, "incorrect secure messaging data objects"},
    {0x6A80, 0xFFFF, "incorrect parameters in the command data field"},
    {0x6A81, 0xFFFF, "function not supported"},
    {0x6A82, 0xFFFF, "file or application not found"},
    {0x6A84, 0xFFFF, "not enough memory space in the file"},
    {0x6A86, 0xFFFF, "incorrect parameters P1-P2"},
    {0x6A88, 0xFFFF, "referenced data or reference data not found"},
    {0x6A89, 0xFFFF, "file already exists"},
    {0x6B00, 0xFFFF, "wrong parameters P1-P2 (offset outside the EF)"},
    {0x6C00, 0xFF00, "wrong Le field; SW2 gives the exact length"},
    {0x6D00, 0xFFFF, "instruction code not supported or invalid"},
    {0x6E00, 0xFFFF, "class not supported"},
    {0x6F00, 0xFFFF, "no precise diagnosis"},
    {0x6200, 0xFF00, "warning: state of non-volatile memory unchanged"},
    {0x6300, 0xFF00, "warning: state of non-volatile memory changed"},
    {0x6500, 0xFF00, "execution error: state of non-volatile memory changed"},
    {0x6900, 0xFF00, "command not allowed"},
}};

}  // namespace

std::string StatusWord::hex() const { return fmt::format("{:04X}", value_); }

std::string StatusWord::meaning() const {
    for (const auto& e : table) {
        if ((value_ & e.mask) == e.sw) return e.meaning;
    }
    return "unknown status word";
}

std::string StatusWord::describe() const { return fmt::format("{} ({})", hex(), meaning()); }

CommandApdu::CommandApdu(std::uint8_t cla_, std::uint8_t ins_, std::uint8_t p1_, std::uint8_t p2_, Bytes data_,
                         std::optional<std::size_t> le_)
    : cla(cla_), ins(ins_), p1(p1_), p2(p2_), data(std::move(data_)), le(le_) {
    if (data.size() > 65535) throw Error(ErrorKind::Internal, "command data longer than 65535 bytes");
    if (le && *le > 65536) throw Error(ErrorKind::Internal, "Le over 65536");
}

CommandApdu CommandApdu::select_aid(ByteView aid) {
    return CommandApdu(0x00, 0xA4, 0x04, 0x0C, Bytes(aid.begin(), aid.end()));
}

CommandApdu CommandApdu::select_ef(std::uint16_t fid) {
    Bytes d;
    put_u16(d, fid);
    return CommandApdu(0x00, 0xA4, 0x02, 0x0C, std::move(d));
}

CommandApdu CommandApdu::read_binary(std::uint16_t offset, std::size_t le) {
    if (offset > 0x7FFF) throw Error(ErrorKind::Internal, "READ BINARY offset over 7FFF");
    return CommandApdu(0x00, 0xB0, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset), {},
                       le);
}

CommandApdu CommandApdu::update_binary(std::uint16_t offset, Bytes data) {
    if (offset > 0x7FFF) throw Error(ErrorKind::Internal, "UPDATE BINARY offset over 7FFF");
    return CommandApdu(0x00, 0xD6, static_cast<std::uint8_t>(offset >> 8), static_cast<std::uint8_t>(offset),
                       std::move(data));
}

CommandApdu CommandApdu::get_challenge(std::size_t le) { return CommandApdu(0x00, 0x84, 0x00, 0x00, {}, le); }

CommandApdu CommandApdu::get_response(std::uint8_t cla, std::size_t le) {
    return CommandApdu(static_cast<std::uint8_t>(cla & 0x03), 0xC0, 0x00, 0x00, {}, le);
}

bool CommandApdu::needs_extended() const noexcept { return data.size() > 255 || (le && *le > 256); }

Bytes CommandApdu::encode(bool force_extended) const {
    const bool ext = force_extended || needs_extended();
    Bytes out{cla, ins, p1, p2};
    if (!ext) {
        if (!data.empty()) {
            out.push_back(static_cast<std::uint8_t>(data.size()));
            append(out, data);
        }
        if (le) out.push_back(static_cast<std::uint8_t>(*le == 256 ? 0 : *le));
        return out;
    }
    // Extended: Lc as 00 HH LL; Le as 00 HH LL without data, HH LL after data (7816-4 5.1).
    if (!data.empty()) {
        out.push_back(0x00);
        put_u16(out, static_cast<std::uint16_t>(data.size()));
        append(out, data);
    }
    if (le) {
        if (data.empty()) out.push_back(0x00);
        put_u16(out, static_cast<std::uint16_t>(*le == 65536 ? 0 : *le));
    }
    return out;
}

CommandApdu CommandApdu::parse(ByteView raw) {
    if (raw.size() < 4) throw ParseError(fmt::format("command APDU of {} byte(s): a header needs 4", raw.size()));
    CommandApdu c;
    c.cla = raw[0];
    c.ins = raw[1];
    c.p1 = raw[2];
    c.p2 = raw[3];
    const ByteView body = raw.subspan(4);
    if (body.empty()) return c;  // case 1
    if (body.size() == 1) {      // case 2S
        c.le = body[0] == 0 ? 256 : body[0];
        return c;
    }
    if (body[0] != 0x00) {  // short Lc
        const std::size_t lc = body[0];
        if (body.size() == 1 + lc) {  // case 3S
            c.data.assign(body.begin() + 1, body.end());
            return c;
        }
        if (body.size() == 2 + lc) {  // case 4S
            c.data.assign(body.begin() + 1, body.begin() + 1 + static_cast<std::ptrdiff_t>(lc));
            c.le = body.back() == 0 ? 256 : body.back();
            return c;
        }
        throw ParseError(fmt::format("command APDU: Lc {} does not match {} body byte(s)", lc, body.size()));
    }
    // Extended forms start with 00.
    if (body.size() == 3) {  // case 2E
        const std::size_t le = get_u16(body, 1);
        c.le = le == 0 ? 65536 : le;
        return c;
    }
    if (body.size() < 3) throw ParseError("command APDU: truncated extended length field");
    const std::size_t lc = get_u16(body, 1);
    if (lc == 0) throw ParseError("command APDU: extended Lc of zero");
    if (body.size() == 3 + lc) {  // case 3E
        c.data.assign(body.begin() + 3, body.end());
        return c;
    }
    if (body.size() == 5 + lc) {  // case 4E
        c.data.assign(body.begin() + 3, body.begin() + 3 + static_cast<std::ptrdiff_t>(lc));
        const std::size_t le = get_u16(body, 3 + lc);
        c.le = le == 0 ? 65536 : le;
        return c;
    }
    throw ParseError(fmt::format("command APDU: extended Lc {} does not match {} body byte(s)", lc, body.size()));
}

std::vector<CommandApdu> CommandApdu::chain(std::size_t max_data) const {
    if (max_data == 0) throw Error(ErrorKind::Internal, "chain block size of zero");
    std::vector<CommandApdu> out;
    if (data.size() <= max_data) {
        out.push_back(*this);
        return out;
    }
    for (std::size_t off = 0; off < data.size(); off += max_data) {
        const std::size_t n = std::min(max_data, data.size() - off);
        const bool last = off + n == data.size();
        CommandApdu part(last ? cla : static_cast<std::uint8_t>(cla | 0x10), ins, p1, p2,
                         Bytes(data.begin() + static_cast<std::ptrdiff_t>(off),
                               data.begin() + static_cast<std::ptrdiff_t>(off + n)),
                         last ? le : std::nullopt);
        out.push_back(std::move(part));
    }
    return out;
}

Bytes ResponseApdu::encode() const {
    Bytes out = data;
    out.push_back(sw.sw1());
    out.push_back(sw.sw2());
    return out;
}

ResponseApdu ResponseApdu::parse(ByteView raw) {
    if (raw.size() < 2) {
        throw ParseError(fmt::format("response APDU of {} byte(s): a status word needs 2", raw.size()));
    }
    ResponseApdu r;
    r.data.assign(raw.begin(), raw.end() - 2);
    r.sw = StatusWord(raw[raw.size() - 2], raw[raw.size() - 1]);
    return r;
}

}  // namespace docketcard::apdu
