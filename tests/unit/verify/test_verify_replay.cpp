// verify_card against an independent Doc 9303 implementation: the exact BAC and secure messaging
// exchange of ICAO Doc 9303 Part 11 Appendix D (D.3 BAC, D.4 SELECT EF.COM / READ BINARY), replayed
// byte for byte. Values from /work/shared/reference/icao-9303-vectors.md.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "docketcard/record/mrz.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using docketcard::testing::ReplayChannel;

namespace {

const std::string kCsca = std::string(DOCKETCARD_SOURCE_DIR) + "/keys-sample/csca.pem";

// RND.IFD then K.IFD of Appendix D.3, in the order BAC asks for them.
constexpr const char* kRndIfd = "781723860C06C226";
constexpr const char* kKIfd = "0B795240CB7049B01C19B33E32804F0B";
constexpr const char* kEfCom = "60145F0104303130365F36063034303030305C026175";

std::vector<ReplayChannel::Step> appendix_d_steps() {
    return {
        // SELECT of the eMRTD application (before D.3; answered in the clear).
        {"00A4040C07A0000002471001", "9000"},
        // SELECT EF.CardAccess in the clear: the Appendix D chip has none (Part 11 4.2: BAC follows).
        {"00A4020C02011C", "6A82"},
        // D.3 GET CHALLENGE and MUTUAL AUTHENTICATE.
        {"0084000008", "4608F919887022129000"},
        {"0082000028"
         "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
         "5F1448EEA8AD90A7"
         "28",
         "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F"
         "2F2D235D074D7449"
         "9000"},
        // D.4 SELECT EF.COM, READ BINARY 4 bytes, READ BINARY the remaining 0x12 bytes.
        {"0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800", "990290008E08FA855A5D4C50A8ED9000"},
        {"0CB000000D9701048E08ED6705417E96BA5500", "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"},
        {"0CB000040D9701128E082EA28A70F3C7B53500",
         "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"},
    };
}

// The Appendix D card: the recorded exchange byte for byte, then (the example ends there) a plain
// 6A82 "file not found" for every further command, which secure messaging passes through as it is.
class AppendixDCard : public transport::CardChannel {
public:
    AppendixDCard() : replay_(appendix_d_steps()) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        if (!replay_.all_consumed()) return replay_.transmit(command);
        after_.push_back(to_hex(command.encode()));
        return apdu::ResponseApdu::parse(from_hex("6A82"));
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "Doc 9303 Part 11 Appendix D"; }

    ReplayChannel replay_;
    std::vector<std::string> after_;
};

verify::Options appendix_d_options() {
    verify::Options o;
    o.csca = kCsca;
    o.mrz_key = verify::MrzKey{"L898902C", "690806", "940623"};
    o.random = crypto::sequence_random(from_hex(std::string(kRndIfd) + kKIfd));
    return o;
}

std::vector<std::string> ids(const verify::Result& r) {
    std::vector<std::string> out;
    for (const auto& c : r.checks) out.push_back(c.id);
    return out;
}

}  // namespace

TEST_CASE("MRZ information from the three fields (Part 11 D.2, Part 3 4.9)", "[verify]") {
    CHECK(verify::mrz_information({"L898902C", "690806", "940623"}) == "L898902C<369080619406236");
    CHECK(verify::mrz_information({"D23145890", "740812", "120415"}) == "D23145890774081221204159");
    CHECK(verify::mrz_information({"d23145890", "1974-08-12", "2012-04-15"}) == "D23145890774081221204159");
    // A document number longer than 9 characters is used whole (D.2, TD1 example).
    CHECK(verify::mrz_information({"D23145890734", "340712", "950712"}) == "D23145890734934071279507122");
}

TEST_CASE("MRZ fields are validated without echoing them", "[verify]") {
    auto message = [](const verify::MrzKey& k) {
        try {
            verify::mrz_information(k);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::InvalidInput);
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message({"L898-902C", "690806", "940623"}) == "document number: expected 1 or more characters A-Z 0-9");
    CHECK(message({"", "690806", "940623"}) == "document number: expected 1 or more characters A-Z 0-9");
    CHECK(message({"L898902C", "69-08-06", "940623"}) == "date of birth: expected a date as YYMMDD or YYYY-MM-DD");
    CHECK(message({"L898902C", "690806", "941323"}) == "date of expiry: month or day out of range");
    CHECK(mrz::yymmdd_from_input("2029-01-01", "x") == "290101");
}

TEST_CASE("verify_card reads a Doc 9303 Appendix D card byte for byte", "[verify][icao]") {
    AppendixDCard card;
    const auto result = verify::verify_card(card, appendix_d_options());
    card.replay_.done();

    // Every recorded step was sent exactly; what followed got 6A82 and became failed checks.
    CHECK(result.files.size() == 1);
    REQUIRE(result.files.count(0x011E) == 1);
    CHECK(to_hex(result.files.at(0x011E)) == kEfCom);
    CHECK(ids(result) == std::vector<std::string>{"bac", "com", "card-access", "chip-authentication", "dg1-read", "dg2-read", "sod-read", "sod-signature",
                                                  "ds-chain", "ds-validity", "sod-dg-set", "active-authentication",
                                                  "locked", "endorsement"});
    // EF.COM lists no DG12: nothing to endorse, N/A.
    CHECK(result.find("endorsement")->status() == "n/a");
    CHECK(result.find("endorsement")->detail == "the card has no DG12");
    CHECK(result.find("bac")->passed);
    const auto* com = result.find("com");
    CHECK(com->passed);
    CHECK(com->detail == "LDS version 0106, Unicode version 040000, lists DG1, DG2");
    for (const char* id : {"dg1-read", "dg2-read", "sod-read", "sod-signature", "active-authentication"})
        CHECK_FALSE(result.find(id)->passed);
    // Without a readable EF.SOD nobody can tell whether the chip owes Active Authentication.
    CHECK(result.find("active-authentication")->status() == "fail");
    CHECK(result.find("active-authentication")->detail ==
          "EF.SOD could not be read or parsed, so whether the chip must perform Active Authentication is unknown");
    // An independent Doc 9303 card has no docket lock state: GET DATA 66 answered 6A82.
    const auto* locked = result.find("locked");
    CHECK(locked->status() == "n/a");
    CHECK(locked->passed);
    CHECK_FALSE(locked->applicable);
    CHECK(locked->detail == "the card is not a docket applet: its lock state cannot be read (GET DATA 66 answered 6A82)");
    CHECK_FALSE(result.ok());
    // After EF.COM: SELECT EF.SOD, DG1 and DG2, then GET DATA card info, all protected (CLA 0C).
    REQUIRE(card.after_.size() == 4);
    for (const auto& cmd : card.after_) CHECK(cmd.substr(0, 2) == "0C");
    CHECK(card.after_[0].substr(0, 8) == "0CA4020C");
    CHECK(card.after_[3].substr(0, 8) == "0CCA0066");
}

TEST_CASE("verify_card: a card refusing MUTUAL AUTHENTICATE is a BAC error (CardRefused)", "[verify]") {
    auto steps = appendix_d_steps();
    steps.resize(4);   // SELECT application, SELECT EF.CardAccess (6A82), GET CHALLENGE, MUTUAL AUTHENTICATE
    steps[3].response = "6300";
    ReplayChannel card(steps);
    try {
        verify::verify_card(card, appendix_d_options());
        FAIL("no error");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6300);
        CHECK(std::string(e.what()).find("BAC failed") != std::string::npos);
    }
    card.done();
}

TEST_CASE("verify_card: no eMRTD application is WrongCardState (exit 7) naming the status word", "[verify]") {
    ReplayChannel card({{"00A4040C07A0000002471001", "6A82"}});
    try {
        verify::verify_card(card, appendix_d_options());
        FAIL("no error");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::WrongCardState);
        CHECK(e.status_word() == 0x6A82);
        CHECK(std::string(e.what()).find(": SELECT of the eMRTD application (AID A0000002471001) answered 6A82") !=
              std::string::npos);
        CHECK(std::string(e.what()).find("not a Secure Docket Card, nor an ICAO eMRTD; set it aside") !=
              std::string::npos);
    }
    card.done();
}

TEST_CASE("verify_card: unusable inputs are refused before any command is sent", "[verify]") {
    ReplayChannel card(std::vector<ReplayChannel::Step>{});
    auto o = appendix_d_options();
    o.csca = std::string(DOCKETCARD_SOURCE_DIR) + "/keys-sample/no-such.pem";
    CHECK_THROWS_AS(verify::verify_card(card, o), Error);
    o = appendix_d_options();
    o.mrz_key.reset();
    try {
        verify::verify_card(card, o);
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
    }
    CHECK(card.sent().empty());
}

TEST_CASE("verify_card: a card that goes away is a Communication error", "[verify]") {
    struct Gone : AppendixDCard {
        apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
            if (replay_.all_consumed()) throw Error(ErrorKind::Communication, "card removed");
            return AppendixDCard::transmit(command);
        }
    } card;
    try {
        verify::verify_card(card, appendix_d_options());
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Communication);
    }
}
