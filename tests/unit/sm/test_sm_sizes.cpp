// The plain sizes secure messaging can carry within a wire limit (Doc 9303 Part 11 9.8: DO87 of
// padding indicator + data padded to the cipher block, DO97/DO99, DO8E), against a step-by-step
// search over every limit up to the extended maximum.
#include <catch2/catch.hpp>

#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/tlv/tlv.hpp"

using namespace docketcard;

namespace {
std::size_t search(std::size_t limit, std::size_t block) {
    std::size_t best = 0;
    for (std::size_t padded = block;; padded += block) {
        const std::size_t do87 = 1 + tlv::encode_length(padded + 1).size() + padded + 1;
        if (do87 + 14 > limit) break;
        best = padded - 1;
    }
    return best;
}
}  // namespace

TEST_CASE("secure messaging plain sizes match a step-by-step search", "[sm]") {
    sm::SecureMessaging messaging(std::make_unique<sm::Des3SmCipher>(SecureBytes(16, 0x01), SecureBytes(16, 0x02)),
                                  Bytes(8, 0));
    CHECK(messaging.max_plain_command(255) == 231);
    CHECK(messaging.max_plain_response(256) == 231);
    CHECK(messaging.max_plain_command(0) == 0);
    CHECK(messaging.max_plain_command(20) == 0);
    for (std::size_t limit = 0; limit <= 65536; limit += (limit < 2100 ? 1 : 97)) {
        INFO("limit " << limit);
        REQUIRE(messaging.max_plain_command(limit) == search(limit, 8));
    }
    CHECK(messaging.max_plain_command(65535) == search(65535, 8));
}
