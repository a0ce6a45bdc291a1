// libFuzzer target: CommandApdu::parse and ResponseApdu::parse over arbitrary bytes; what parses
// must encode and parse back to the same command.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/util/error.hpp"

using docketcard::apdu::CommandApdu;
using docketcard::apdu::ResponseApdu;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const docketcard::ByteView raw(data, size);
    try {
        const auto cmd = CommandApdu::parse(raw);
        const auto again = CommandApdu::parse(cmd.encode());
        if (again.cla != cmd.cla || again.ins != cmd.ins || again.p1 != cmd.p1 || again.p2 != cmd.p2 ||
            again.data != cmd.data || again.le != cmd.le)
            std::abort();
        if (cmd.data.size() <= 0xFFFF) (void)cmd.chain();
    } catch (const docketcard::Error&) {
    }
    try {
        const auto rsp = ResponseApdu::parse(raw);
        if (rsp.encode() != docketcard::Bytes(raw.begin(), raw.end())) std::abort();
    } catch (const docketcard::Error&) {
    }
    return 0;
}
