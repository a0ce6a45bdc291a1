// libFuzzer target: tlv::Reader over arbitrary bytes, descending into constructed objects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace {
void walk(docketcard::ByteView data, int depth) {
    docketcard::tlv::Reader reader(data, "fuzz");
    while (!reader.empty()) {
        const auto peeked = reader.peek_tag();
        const auto obj = reader.next();
        // The views must lie inside the input, the value inside the raw encoding.
        if (!peeked || *peeked != obj.tag) std::abort();
        if (obj.raw.data() < data.data() || obj.raw.data() + obj.raw.size() > data.data() + data.size())
            std::abort();
        if (obj.value.data() < obj.raw.data() ||
            obj.value.data() + obj.value.size() != obj.raw.data() + obj.raw.size())
            std::abort();
        if (obj.constructed() && depth < 16) {
            (void)docketcard::tlv::find(obj.value, 0x5F1F);
            walk(obj.value, depth + 1);
        }
        // Re-encoding the object in DER must parse back to the same tag and value.
        const auto again = docketcard::tlv::encode(obj.tag, obj.value);
        const auto back = docketcard::tlv::parse_single(again);
        if (back.tag != obj.tag || back.value.size() != obj.value.size()) std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        walk(docketcard::ByteView(data, size), 0);
    } catch (const docketcard::Error&) {
        // Malformed input must end in a ParseError, never in a crash.
    }
    return 0;
}
