// BAC and 3DES secure messaging against the worked example of ICAO Doc 9303 Part 11 Appendix D
// (values from ../shared/reference/icao-9303-vectors.md, copied here as data).
#include <catch2/catch.hpp>

#include "docketcard/sm/bac.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/util/error.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using apdu::CommandApdu;
using testing::ReplayChannel;

namespace {

const char* const kMrzInformation = "L898902C<369080619406236";
const char* const kRndIfd = "781723860C06C226";
const char* const kKIfd = "0B795240CB7049B01C19B33E32804F0B";
const char* const kGetChallenge = "0084000008";
const char* const kRndIc = "4608F91988702212";
const char* const kMutualAuthenticate =
    "0082000028"
    "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
    "5F1448EEA8AD90A7"
    "28";
const char* const kCardAnswer =
    "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
    "2F2D235D074D7449";
const char* const kKsEnc = "979EC13B1CBFE9DCD01AB0FED307EAE5";
const char* const kKsMac = "F1CB1F1FB5ADF208806B89DC579DC1F8";
const char* const kSsc = "887022120C06C226";

crypto::RandomSource appendix_d_random() { return crypto::sequence_random(from_hex(std::string(kRndIfd) + kKIfd)); }

sm::SecureChannel appendix_d_channel(transport::CardChannel& card) {
    sm::BacSession s{secure_from_hex(kKsEnc), secure_from_hex(kKsMac), from_hex(kSsc)};
    return sm::open_bac_channel(card, std::move(s));
}

// Doc 9303 Part 11 D.4: the three protected exchanges reading EF.COM.
const std::vector<ReplayChannel::Step> kD4 = {
    {"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
    {"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
    {"0CB000040D9701128E082EA28A70F3C7B53500",
     "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
};

}  // namespace

TEST_CASE("BAC keys from the MRZ information, Doc 9303 Part 11 D.2", "[bac]") {
    const auto keys = sm::BacKeys::from_mrz_information(kMrzInformation);
    CHECK(to_hex(view(keys.k_enc)) == "AB94FDECF2674FDFB9B391F85D7F76F2");
    CHECK(to_hex(view(keys.k_mac)) == "7962D9ECE03D1ACD4C76089DCE131543");
    CHECK_THROWS_AS(sm::BacKeys::from_mrz_information("L898902C<36908061940623"), Error);
    CHECK_THROWS_AS(sm::BacKeys::from_mrz_information("l898902C<369080619406236"), Error);
}

TEST_CASE("BAC exchange of Doc 9303 Part 11 D.3 gives the published session keys", "[bac]") {
    ReplayChannel card({{kGetChallenge, std::string(kRndIc) + "9000"},
                        {kMutualAuthenticate, std::string(kCardAnswer) + "9000"}});
    const auto keys = sm::BacKeys::from_mrz_information(kMrzInformation);
    const auto session = sm::perform_bac(card, keys, appendix_d_random());
    card.done();
    CHECK(to_hex(view(session.ks_enc)) == kKsEnc);
    CHECK(to_hex(view(session.ks_mac)) == kKsMac);
    CHECK(to_hex(session.ssc) == kSsc);
}

TEST_CASE("BAC then secure messaging reads EF.COM exactly as in D.3 and D.4", "[bac][sm]") {
    std::vector<ReplayChannel::Step> steps{{kGetChallenge, std::string(kRndIc) + "9000"},
                                           {kMutualAuthenticate, std::string(kCardAnswer) + "9000"}};
    steps.insert(steps.end(), kD4.begin(), kD4.end());
    ReplayChannel card(steps);
    auto sm = sm::establish_bac(card, kMrzInformation, appendix_d_random());
    CHECK(to_hex(sm.messaging().ssc()) == kSsc);

    const auto select = sm.transmit(CommandApdu::select_ef(0x011E));
    CHECK(select.sw.value() == 0x9000);
    CHECK(select.data.empty());
    CHECK(to_hex(sm.messaging().ssc()) == "887022120C06C228");
    const auto head = sm.transmit(CommandApdu::read_binary(0, 4));
    CHECK(head.sw.value() == 0x9000);
    CHECK(to_hex(head.data) == "60145F01");
    const auto rest = sm.transmit(CommandApdu::read_binary(4, 0x12));
    CHECK(rest.sw.value() == 0x9000);
    CHECK(to_hex(rest.data) == "04303130365F36063034303030305C026175");
    CHECK(to_hex(sm.messaging().ssc()) == "887022120C06C22C");
    card.done();
}

TEST_CASE("BAC refused by the card names the MRZ data and keeps the status word", "[bac]") {
    ReplayChannel card({{kGetChallenge, std::string(kRndIc) + "9000"}, {kMutualAuthenticate, "6300"}});
    try {
        sm::establish_bac(card, kMrzInformation, appendix_d_random());
        FAIL("BAC accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6300);
        CHECK_THAT(e.what(), Catch::StartsWith("BAC failed: the MRZ data (document number, date of birth, date of "
                                               "expiry) does not match the card"));
        CHECK_THAT(e.what(), !Catch::Contains("L898902C"));
    }
    card.done();
}

TEST_CASE("BAC without a BAC secret on the card is a card state error", "[bac]") {
    ReplayChannel card({{kGetChallenge, "6985"}});
    try {
        sm::establish_bac(card, kMrzInformation, appendix_d_random());
        FAIL("BAC accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::WrongCardState);
        CHECK(e.status_word() == 0x6985);
    }
}

TEST_CASE("BAC rejects a card answer whose M.IC does not verify", "[bac]") {
    std::string answer = kCardAnswer;
    answer.back() = answer.back() == '9' ? '8' : '9';
    ReplayChannel card({{kGetChallenge, std::string(kRndIc) + "9000"}, {kMutualAuthenticate, answer + "9000"}});
    CHECK_THROWS_MATCHES(sm::establish_bac(card, kMrzInformation, appendix_d_random()), CardError,
                         Catch::Matchers::Predicate<CardError>(
                             [](const CardError& e) { return e.kind() == ErrorKind::CardRefused; }));
}

TEST_CASE("BAC rejects a truncated MUTUAL AUTHENTICATE answer", "[bac]") {
    ReplayChannel card(
        {{kGetChallenge, std::string(kRndIc) + "9000"}, {kMutualAuthenticate, std::string(kCardAnswer, 70) + "9000"}});
    CHECK_THROWS_AS(sm::establish_bac(card, kMrzInformation, appendix_d_random()), ParseError);
}

TEST_CASE("secure messaging protects commands as in D.4", "[sm]") {
    sm::SecureMessaging sm(std::make_unique<sm::Des3SmCipher>(secure_from_hex(kKsEnc), secure_from_hex(kKsMac)),
                           from_hex(kSsc));
    CHECK(to_hex(sm.protect(CommandApdu::select_ef(0x011E)).encode()) == kD4[0].command);
    sm.unprotect(apdu::ResponseApdu::parse(from_hex(kD4[0].response)));
    CHECK(to_hex(sm.protect(CommandApdu::read_binary(0, 4)).encode()) == kD4[1].command);
}

TEST_CASE("secure messaging refuses a response whose MAC does not verify and ends the session", "[sm]") {
    std::string bad = kD4[1].response;
    bad[bad.size() - 6] = bad[bad.size() - 6] == '0' ? '1' : '0';  // last MAC byte
    ReplayChannel card({kD4[0], {kD4[1].command, bad}});
    auto sm = appendix_d_channel(card);
    sm.transmit(CommandApdu::select_ef(0x011E));
    try {
        sm.transmit(CommandApdu::read_binary(0, 4));
        FAIL("bad MAC accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK_THAT(e.what(), Catch::Contains("MAC"));
    }
    CHECK(sm.messaging().ended());
    try {
        sm.transmit(CommandApdu::read_binary(4, 0x12));
        FAIL("ended session still used");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::WrongCardState);
    }
    card.done();
}

TEST_CASE("secure messaging refuses responses with missing or altered data objects", "[sm]") {
    auto check_refused = [](const std::string& response) {
        ReplayChannel card({{kD4[0].command, response}});
        auto sm = appendix_d_channel(card);
        CHECK_THROWS_AS(sm.transmit(CommandApdu::select_ef(0x011E)), Error);
        CHECK(sm.messaging().ended());
    };
    check_refused("9000");                            // 9000 without DO99/DO8E
    check_refused("99029000" "9000");                 // no DO8E
    check_refused("8E08FA855A5D4C50A8ED" "9000");     // no DO99
    check_refused("990290008E08FA855A5D4C50A8" "9000");  // truncated DO8E
    check_refused("990290008E08FA855A5D4C50A8ED" "6A82");  // SW differs from DO99
    check_refused("6988");                            // card rejected our SM
}

TEST_CASE("secure messaging passes a plain error status word through", "[sm]") {
    ReplayChannel card({{kD4[0].command, "6A82"}});
    auto sm = appendix_d_channel(card);
    CHECK(sm.transmit(CommandApdu::select_ef(0x011E)).sw.value() == 0x6A82);
    CHECK_FALSE(sm.messaging().ended());
}

TEST_CASE("secure messaging uses a two-byte DO97 and extended length for Le over 256", "[sm]") {
    sm::SecureMessaging sm(std::make_unique<sm::Des3SmCipher>(secure_from_hex(kKsEnc), secure_from_hex(kKsMac)),
                           from_hex(kSsc));
    const auto p = sm.protect(CommandApdu::read_binary(0, 0x400));
    const Bytes raw = p.encode();
    // 0C B0 00 00 | 00 00 0E | 97 02 04 00 | 8E 08 <mac> | 00 00
    REQUIRE(raw.size() == 4 + 3 + 4 + 10 + 2);
    CHECK(to_hex(ByteView(raw).subspan(0, 11)) == "0CB0000000000E97020400");
    CHECK(to_hex(ByteView(raw).subspan(21)) == "0000");
}

TEST_CASE("secure channel capabilities subtract the secure messaging overhead", "[sm]") {
    ReplayChannel short_card({});
    auto sm = appendix_d_channel(short_card);
    CHECK(sm.capabilities().max_response_data == 231);
    CHECK(sm.capabilities().max_command_data == 231);
    ReplayChannel ext_card({}, transport::Capabilities{true, 2048, 2048});
    auto sm2 = appendix_d_channel(ext_card);
    CHECK(sm2.capabilities().extended_length);
    CHECK(sm2.capabilities().max_response_data == 2023);
}
