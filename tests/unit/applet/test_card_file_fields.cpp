// Regressions (found by tests/fuzz/fuzz_card_file.cpp): a card file with a repeated field or with
// static keys that are not AES keys of one length was accepted; docs/sim.md allows each field but
// E1 once and keys of 16, 24 or 32 bytes.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "docketcard/applet/card.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

Bytes card_file(ByteView payload) {
    Bytes image{'D', 'O', 'C', 'K', 'E', 'T', 'C', 'D', 0x00, 0x01};
    const auto n = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) image.push_back(static_cast<std::uint8_t>(n >> shift));
    append(image, payload);
    append(image, crypto::sha256(image));
    return image;
}

Bytes fields(std::size_t enc_len, std::size_t mac_len, std::size_t dek_len) {
    return concat({tlv::encode(0xC1, Bytes(10, 0x11)), tlv::encode(0xC2, Bytes{0x30}),
                   tlv::encode(0xC3, Bytes(enc_len, 0x01)), tlv::encode(0xC4, Bytes(mac_len, 0x02)),
                   tlv::encode(0xC5, Bytes(dek_len, 0x03)), tlv::encode(0xC6, Bytes{0x01}),
                   tlv::encode(0xC7, Bytes{0, 0, 0}), tlv::encode(0xC8, Bytes{0})});
}

std::string open_error(ByteView payload) {
    const auto path = std::filesystem::temp_directory_path() / "docketcard-unit-card-file-fields.card";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        const Bytes image = card_file(payload);
        out.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
    }
    std::string message;
    try {
        (void)applet::Card::open(path);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
        message = e.what();
    }
    std::filesystem::remove(path);
    return message;
}

}  // namespace

TEST_CASE("a card file with valid fields opens", "[applet][card-file]") {
    CHECK(open_error(fields(16, 16, 16)).empty());
    CHECK(open_error(fields(32, 32, 32)).empty());
}

TEST_CASE("a card file with a repeated field is refused", "[applet][card-file]") {
    const std::string m = open_error(concat({fields(16, 16, 16), tlv::encode(0xC6, Bytes{0x07})}));
    CHECK_THAT(m, Catch::Contains("is corrupt or not a card file: field C6 appears twice"));
}

TEST_CASE("a card file whose static keys are not AES keys of one length is refused", "[applet][card-file]") {
    const std::string why = "the static keys are not three AES keys (16, 24 or 32 bytes) of one length";
    CHECK_THAT(open_error(fields(5, 5, 5)), Catch::Contains(why));
    CHECK_THAT(open_error(fields(0, 16, 16)), Catch::Contains(why));
    CHECK_THAT(open_error(fields(16, 32, 16)), Catch::Contains(why));
    CHECK_THAT(open_error(fields(16, 16, 24)), Catch::Contains(why));
}
