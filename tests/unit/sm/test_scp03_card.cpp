// The host side of SCP03 against the emulated card (applets/): two implementations written from
// GP Amendment D must agree, in short and in extended length.
#include <catch2/catch.hpp>

#include "docketcard/applet/card.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using apdu::CommandApdu;

namespace {

// A channel straight into an in-process card that counts what crosses the wire.
class CardWire final : public transport::CardChannel {
public:
    // A fixed serial and card randomness: the wrong-K-ENC cases below decrypt under a wrong key,
    // and a random card would now and then (about 1 in 256) give well-formed padding by chance.
    explicit CardWire(bool extended) : card_(applet::Card::in_memory(fixed_card())), extended_(extended) {}
    static applet::CardOptions fixed_card() {
        applet::CardOptions o;
        o.random_seed = 20261202;
        o.test.serial = from_hex("0A1B2C3D4E5F60718293");
        return o;
    }
    apdu::ResponseApdu transmit(const CommandApdu& c) override {
        const Bytes raw = c.encode();
        ++apdus;
        if (c.ins == 0x82) ++external_authenticates;
        largest = std::max(largest, raw.size());
        return apdu::ResponseApdu::parse(card_->process(raw));
    }
    transport::Capabilities capabilities() const override {
        return extended_ ? transport::Capabilities{true, 65535, 65536} : transport::Capabilities{};
    }
    Bytes atr() const override { return card_->atr(); }
    std::string description() const override { return "in-memory card"; }

    std::size_t apdus = 0;
    std::size_t largest = 0;
    std::size_t external_authenticates = 0;

private:
    std::unique_ptr<applet::Card> card_;
    bool extended_;
};

const sm::Scp03Keys& sample_master() {
    static const sm::Scp03Keys keys = sm::load_scp03_master_keys(std::string(DOCKETCARD_SOURCE_DIR) + "/keys-sample");
    return keys;
}

// The sample master keys with another K-ENC (K-MAC and K-DEK right).
sm::Scp03Keys wrong_enc_master() {
    const auto& right = sample_master();
    sm::Scp03Keys k;
    k.kvn = right.kvn;
    k.enc = secure_from_hex("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
    k.mac = right.mac;
    k.dek = right.dek;
    return k;
}

}  // namespace

TEST_CASE("SCP03 host and emulated card agree; extended length carries 2000 bytes in one command",
          "[scp03][card]") {
    const bool extended = GENERATE(false, true);
    CardWire wire(extended);
    REQUIRE(wire.transmit(CommandApdu::select_aid(from_hex("A0000002471001"))).sw == apdu::sw::ok);
    auto s = sm::Scp03Session::open(wire, sample_master());
    s.use_extended_length(2048, 2048);
    CHECK(s.capabilities().extended_length == extended);
    CHECK(s.capabilities().max_command_data == (extended ? 2031u : 239u));

    CHECK(s.transmit(CommandApdu(0x80, 0xDA, 0x00, 0x68, to_bytes("TEST-TICKET"))).sw == apdu::sw::ok);
    CHECK(s.transmit(CommandApdu(0x80, 0xE0, 0x00, 0x00, from_hex("630407D00102"))).sw == apdu::sw::ok);
    CHECK(s.transmit(CommandApdu::select_ef(0x0102)).sw == apdu::sw::ok);

    Bytes content(2000);
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * 7);
    const std::size_t before = wire.apdus;
    CHECK(s.transmit(CommandApdu::update_binary(0, content)).sw == apdu::sw::ok);
    // 2000 bytes: one extended command, or a chain of ceil(2000 / 239) = 9 short ones.
    CHECK(wire.apdus - before == (extended ? 1u : 9u));

    const std::size_t chunk = s.capabilities().max_response_data;
    CHECK(chunk == (extended ? 2031u : 239u));
    Bytes back;
    while (back.size() < content.size()) {
        const std::size_t n = std::min(chunk, content.size() - back.size());
        const auto r = s.transmit(CommandApdu::read_binary(static_cast<std::uint16_t>(back.size()), n));
        INFO("extended " << extended << " SW " << r.sw.describe());
        REQUIRE(r.sw == apdu::sw::ok);
        append(back, r.data);
    }
    CHECK(back == content);
    CHECK((wire.largest > 261) == extended);
}

// K-ENC plays no part in the cryptograms (both come from S-MAC), so a wrong K-ENC opens the
// channel; the card then encrypts with its own S-ENC. The host must say which key is wrong.
TEST_CASE("SCP03 with a wrong K-ENC: the first encrypted response fails as CardRefused naming K-ENC",
          "[scp03][card]") {
    CardWire wire(true);
    REQUIRE(wire.transmit(CommandApdu::select_aid(from_hex("A0000002471001"))).sw == apdu::sw::ok);
    auto s = sm::Scp03Session::open(wire, wrong_enc_master(), sm::scp03_level::all,
                                    crypto::sequence_random(from_hex("0102030405060708")));
    // GET DATA card info: no command data; the card answers 9000 with an R-MAC that verifies
    // (K-MAC is right) and data encrypted under its S-ENC.
    try {
        s.transmit(CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256));
        FAIL("a response encrypted under another S-ENC was accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x9000);
        CHECK(std::string(e.what()) ==
              "SCP03: the card's first encrypted response carries a valid R-MAC but does not decrypt (malformed "
              "padding): the ENC master key (K-ENC) does not match this card's key set (the MAC key does); the "
              "session has ended");
    }
    CHECK(s.ended());
    CHECK(wire.external_authenticates == 1);
}

TEST_CASE("SCP03 with a wrong K-ENC: the first encrypted command is refused, CardRefused naming K-ENC",
          "[scp03][card]") {
    CardWire wire(false);
    REQUIRE(wire.transmit(CommandApdu::select_aid(from_hex("A0000002471001"))).sw == apdu::sw::ok);
    auto s = sm::Scp03Session::open(wire, wrong_enc_master(), sm::scp03_level::all,
                                    crypto::sequence_random(from_hex("0102030405060708")));
    // PUT DATA ticket: the card cannot decrypt the data (padding), ends its session and answers 6982.
    try {
        s.transmit(CommandApdu(0x80, 0xDA, 0x00, 0x68, to_bytes("TEST-TICKET")));
        FAIL("a command encrypted under another S-ENC was accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6982);
        CHECK(std::string(e.what()).rfind("SCP03: the card refused the first encrypted command (6982", 0) == 0);
        CHECK(std::string(e.what()).find("the ENC master key (K-ENC) does not match this card's key set") !=
              std::string::npos);
    }
    CHECK(s.ended());
    CHECK(wire.external_authenticates == 1);
    // With the right keys the same card works: nothing was counted against it.
    auto good = sm::Scp03Session::open(wire, sample_master());
    CHECK(good.transmit(CommandApdu(0x80, 0xDA, 0x00, 0x68, to_bytes("TEST-TICKET"))).sw == apdu::sw::ok);
}
