// The replaying test transport of tests/unit/support/replay_channel.hpp.
#include <catch2/catch.hpp>

#include "docketcard/crypto/random.hpp"
#include "docketcard/util/error.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using apdu::CommandApdu;
using testing::ReplayChannel;
using testing::ReplayMismatch;

TEST_CASE("replay channel returns the recorded responses in order", "[replay]") {
    ReplayChannel card({{"0084000008", "4608F919887022129000"}, {"00A4020C02011E", "6A82"}});
    const auto r1 = card.transmit(CommandApdu::get_challenge(8));
    CHECK(to_hex(r1.data) == "4608F91988702212");
    CHECK(r1.sw.value() == 0x9000);
    CHECK_FALSE(card.all_consumed());
    CHECK_THROWS_AS(card.done(), ReplayMismatch);
    const auto r2 = card.transmit(CommandApdu::select_ef(0x011E));
    CHECK(r2.data.empty());
    CHECK(r2.sw.value() == 0x6A82);
    CHECK_NOTHROW(card.done());
}

TEST_CASE("replay channel names the step and both commands on a mismatch", "[replay]") {
    ReplayChannel card({{"0084000008", "4608F919887022129000"}, {"00 a4 02 0c 02 01 1e", "9000"}});
    card.transmit(CommandApdu::get_challenge(8));
    try {
        card.transmit(CommandApdu::select_ef(0x0101));
        FAIL("no mismatch reported");
    } catch (const ReplayMismatch& e) {
        const std::string what = e.what();
        CHECK(what.find("step 2 of 2") != std::string::npos);
        CHECK(what.find("00A4020C02011E") != std::string::npos);
        CHECK(what.find("00A4020C020101") != std::string::npos);
    }
}

TEST_CASE("replay channel refuses commands past the recording", "[replay]") {
    ReplayChannel card({});
    CHECK_THROWS_WITH(card.transmit(CommandApdu::get_challenge(8)),
                      Catch::Contains("unexpected command #1 0084000008"));
}

TEST_CASE("sequence_random hands out its bytes in order and then refuses", "[random]") {
    auto rnd = crypto::sequence_random(from_hex("0102030405"));
    Bytes a(2), b(3), c(1);
    rnd(a);
    rnd(b);
    CHECK(to_hex(a) == "0102");
    CHECK(to_hex(b) == "030405");
    CHECK_THROWS_AS(rnd(c), Error);
}
