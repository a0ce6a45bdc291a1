// read_ef: SELECT then READ BINARY by TLV header and chunks (ISO/IEC 7816-4 11.2.3,
// ICAO Doc 9303 Part 11 D.4).
#include <catch2/catch.hpp>

#include <fmt/core.h>

#include "docketcard/sm/bac.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/util/error.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using testing::ReplayChannel;

namespace {

Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 13 + 5);
    return b;
}

std::string slice(const Bytes& b, std::size_t from, std::size_t n) { return to_hex(ByteView(b).subspan(from, n)); }

}  // namespace

TEST_CASE("read_ef reads EF.COM through BAC secure messaging exactly as Doc 9303 Part 11 D.4", "[read][sm]") {
    ReplayChannel card({
        {"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
        {"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
        {"0CB000040D9701128E082EA28A70F3C7B53500",
         "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
    });
    auto sm = sm::open_bac_channel(card, sm::BacSession{secure_from_hex("979EC13B1CBFE9DCD01AB0FED307EAE5"),
                                                        secure_from_hex("F1CB1F1FB5ADF208806B89DC579DC1F8"),
                                                        from_hex("887022120C06C226")});
    CHECK(to_hex(iso7816::read_ef(sm, 0x011E)) == "60145F0104303130365F36063034303030305C026175");
    card.done();
}

TEST_CASE("read_ef reads in chunks of 0xDF on short-length channels", "[read]") {
    Bytes file = from_hex("758201F0");  // DG2, 496-byte value, 500 bytes in all
    append(file, pattern(496));
    ReplayChannel card({
        {"00A4020C020102", "9000"},
        {"00B0000004", slice(file, 0, 4) + "9000"},
        {"00B00004DF", slice(file, 4, 0xDF) + "9000"},
        {"00B000E3DF", slice(file, 0xE3, 0xDF) + "9000"},
        {"00B001C232", slice(file, 0x1C2, 0x32) + "9000"},
    });
    CHECK(iso7816::read_ef(card, 0x0102) == file);
    card.done();
}

TEST_CASE("read_ef uses extended length when the channel has it", "[read]") {
    Bytes file = from_hex("758201F0");
    append(file, pattern(496));
    ReplayChannel card({{"00A4020C020102", "9000"},
                        {"00B0000004", slice(file, 0, 4) + "9000"},
                        {"00B0000400" "01F0", slice(file, 4, 496) + "9000"}},
                       transport::Capabilities{true, 2048, 2048});
    CHECK(iso7816::read_ef(card, 0x0102) == file);
    card.done();
}

TEST_CASE("read_ef goes past offset 7FFF with READ BINARY B1 and DO54", "[read]") {
    Bytes file = from_hex("778280FC");  // 0x8100 bytes in all
    append(file, pattern(0x80FC));
    ReplayChannel card({{"00A4020C02011D", "9000"},
                        {"00B0000004", slice(file, 0, 4) + "9000"},
                        {"00B00004007FFC", slice(file, 4, 0x7FFC) + "9000"},
                        {"00B10000000004540280000104", "53820100" + slice(file, 0x8000, 0x100) + "9000"}},
                       transport::Capabilities{true, 0x7FFC, 0x7FFC});
    CHECK(iso7816::read_ef(card, 0x011D) == file);
    card.done();
}

TEST_CASE("read_ef handles files shorter than the first read and end-of-file status words", "[read]") {
    ReplayChannel tiny({{"00A4020C020101", "9000"}, {"00B0000004", "6100" "6282"}});
    CHECK(to_hex(iso7816::read_ef(tiny, 0x0101)) == "6100");
    tiny.done();

    ReplayChannel exact({{"00A4020C020101", "9000"}, {"00B0000004", "6102AABB9000"}});
    CHECK(to_hex(iso7816::read_ef(exact, 0x0101)) == "6102AABB");

    Bytes dg = from_hex("7F61820100");  // two-byte tag and 82 length: 5 header bytes
    append(dg, pattern(0x100));
    ReplayChannel two_byte_tag({{"00A4020C020101", "9000"},
                                {"00B0000004", slice(dg, 0, 4) + "9000"},
                                {"00B0000404", slice(dg, 4, 4) + "9000"},
                                {"00B00008DF", slice(dg, 8, 0xDF) + "9000"},
                                {"00B000E71E", slice(dg, 0xE7, 0x1E) + "9000"}});
    CHECK(iso7816::read_ef(two_byte_tag, 0x0101) == dg);
    two_byte_tag.done();
}

TEST_CASE("read_ef refuses truncated files and unknown EFs", "[read]") {
    ReplayChannel short_read({{"00A4020C02011E", "9000"},
                              {"00B0000004", "60145F019000"},
                              {"00B0000412", "04303130" "6282"}});
    CHECK_THROWS_WITH(iso7816::read_ef(short_read, 0x011E),
                      "EF 011E: the file ends after 8 bytes but its header announces 22");

    ReplayChannel beyond({{"00A4020C02011E", "9000"}, {"00B0000004", "60145F019000"}, {"00B0000412", "6B00"}});
    CHECK_THROWS_AS(iso7816::read_ef(beyond, 0x011E), ParseError);

    ReplayChannel missing({{"00A4020C02010F", "6A82"}});
    try {
        iso7816::read_ef(missing, 0x010F);
        FAIL("no error");
    } catch (const CardError& e) {
        CHECK(e.status_word() == 0x6A82);
        CHECK_THAT(e.what(), Catch::Contains("no such file"));
    }

    ReplayChannel too_long({{"00A4020C02011E", "9000"}, {"00B0000004", "60145F0104309000"}});
    CHECK_THROWS_AS(iso7816::read_ef(too_long, 0x011E), ParseError);
}
