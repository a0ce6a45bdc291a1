// libFuzzer target: the ATR parser (ISO/IEC 7816-3 8.2, historical bytes ISO/IEC 7816-4 8.1.1),
// transport::parse_atr, and capabilities_from_atr built on it, over arbitrary bytes. A small model
// of the interface-byte walk says how long the ATR must be: a shorter one must be refused with
// ParseError (InvalidInput); an accepted one must yield exactly the K historical bytes that follow
// the interface bytes, and capabilities that agree with the parsed card capabilities.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "docketcard/transport/link.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

[[noreturn]] void fail(const char* why, ByteView atr) {
    std::fprintf(stderr, "fuzz_atr: %s: %s\n", why, to_hex(atr).c_str());
    std::abort();
}

// Offset of the first historical byte, or nothing when the interface bytes run past the end.
std::optional<std::size_t> historical_offset(ByteView atr) {
    if (atr.size() < 2) return std::nullopt;
    std::size_t i = 2;
    unsigned y = atr[1] >> 4;
    while (true) {
        i += static_cast<std::size_t>(std::popcount(y & 0x7u));
        if (!(y & 0x8u)) break;
        if (i >= atr.size()) return std::nullopt;
        y = atr[i++] >> 4;
    }
    return i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView atr(data, size);
    const auto hist = historical_offset(atr);
    const std::size_t k = size >= 2 ? (data[1] & 0x0F) : 0;
    const bool complete = hist && *hist + k <= size;

    std::optional<transport::AtrInfo> info;
    try {
        info = transport::parse_atr(atr);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::InvalidInput) fail("refused with an error kind other than InvalidInput", atr);
    }
    if (info) {
        if (!complete) fail("accepted a truncated ATR", atr);
        const ByteView expected = atr.subspan(*hist, k);
        if (info->historical.size() != k || !std::equal(expected.begin(), expected.end(), info->historical.begin()))
            fail("historical bytes are not the K bytes after the interface bytes", atr);
        if ((info->command_chaining || info->extended_length) && !info->card_capabilities)
            fail("software functions without a card capabilities object", atr);
    }

    try {
        const transport::Capabilities caps = transport::capabilities_from_atr(atr);
        if (!info) fail("capabilities_from_atr accepted what parse_atr refused", atr);
        if (caps.extended_length != info->extended_length) fail("capabilities disagree with the ATR", atr);
        if (caps.extended_length ? caps.max_command_data != 65535 || caps.max_response_data != 65536
                                 : caps.max_command_data > 255 || caps.max_response_data > 256)
            fail("capabilities outside the short or extended limits", atr);
    } catch (const Error& e) {
        if (info) fail("capabilities_from_atr refused what parse_atr accepted", atr);
        if (e.kind() != ErrorKind::InvalidInput) fail("refused with an error kind other than InvalidInput", atr);
    }
    return 0;
}
