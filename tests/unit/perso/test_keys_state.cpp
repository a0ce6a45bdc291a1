// write_card / lock_card when the keys do not fit the card: a wrong ENC master key (the channel
// opens, the first encrypted exchange fails) and a card BLOCKED by 5 failed authentications.
#include <fstream>

#include <catch2/catch.hpp>

#include "docketcard/sm/scp03.hpp"
#include "docketcard/util/error.hpp"
#include "perso_test_util.hpp"

using namespace perso_test;
using namespace docketcard;
using docketcard::perso::CardState;

namespace {

// Records the INS byte of every command on the way to the card.
class InsLog final : public transport::CardChannel {
public:
    explicit InsLog(transport::CardChannel& inner) : inner_(inner) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        ins.push_back(c.ins);
        return inner_.transmit(c);
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }
    std::size_t count(std::uint8_t i) const { return static_cast<std::size_t>(std::count(ins.begin(), ins.end(), i)); }
    std::vector<std::uint8_t> ins;

private:
    transport::CardChannel& inner_;
};

// Flips one bit of the host cryptogram of EXTERNAL AUTHENTICATE: the card counts a failure.
class SpoilExternalAuthenticate final : public transport::CardChannel {
public:
    explicit SpoilExternalAuthenticate(transport::CardChannel& inner) : inner_(inner) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        if (c.ins != 0x82) return inner_.transmit(c);
        apdu::CommandApdu bad = c;
        bad.data[0] ^= 0x01;
        return inner_.transmit(bad);
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }

private:
    transport::CardChannel& inner_;
};

// A copy of keys-sample whose scp03-master.txt has another enc= key (the MAC key stays right).
perso::IssuerKeys keys_with_wrong_enc(const TempDir& dir) {
    for (const char* f : {"document-signer.pem", "document-signer.key"})
        fs::copy_file(source("keys-sample") / f, dir.path / f);
    std::ifstream in(source("keys-sample/scp03-master.txt"));
    std::ofstream out(dir.path / "scp03-master.txt");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("enc=", 0) == 0) line = "enc=00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF";
        out << line << "\n";
    }
    out.close();
    return perso::IssuerKeys::load(dir.path);
}

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    FAIL("no error thrown");
    return ErrorKind::Internal;
}

}  // namespace

TEST_CASE("write with a wrong ENC master key: CardRefused naming K-ENC, one EXTERNAL AUTHENTICATE",
          "[perso][keys]") {
    TempDir dir;
    const auto wrong = keys_with_wrong_enc(dir);
    auto card = memory_card();
    InsLog log(*card);
    std::string msg;
    CHECK(kind_of([&] { perso::write_card(log, holder(), wrong); }, &msg) == ErrorKind::CardRefused);
    INFO(msg);
    CHECK(msg.find("the ENC master key (K-ENC) does not match this card's key set") != std::string::npos);
    CHECK(msg.find("no data on the card was changed") != std::string::npos);
    CHECK(log.count(0x82) == 1);   // EXTERNAL AUTHENTICATE, never retried
    CHECK(log.count(0x50) == 1);   // INITIALIZE UPDATE
    CHECK(log.count(0xDA) == 0);   // no PUT DATA reached the card
    const auto info = perso::read_card_info(*card);
    CHECK(info.state == CardState::Blank);
    CHECK(info.scp03_tries_left == 5);   // the MAC key is right: no failure counted
    // The right keys then write the card.
    CHECK(perso::write_card(*card, holder(), keys()).state == CardState::Personalized);
}

TEST_CASE("write and lock refuse a BLOCKED card after SELECT and GET DATA", "[perso][keys]") {
    auto card = memory_card();
    REQUIRE(perso::read_card_info(*card).state == CardState::Blank);
    // A wrong MAC key cannot block a card: its card cryptogram does not verify, so the host stops
    // before EXTERNAL AUTHENTICATE and the card counts nothing.
    const auto sample = sm::load_scp03_master_keys(source("keys-sample"));
    sm::Scp03Keys wrong_mac;
    wrong_mac.kvn = sample.kvn;
    wrong_mac.enc = sample.enc;
    wrong_mac.mac = secure_from_hex("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF");
    wrong_mac.dek = sample.dek;
    for (int i = 0; i < 6; ++i) CHECK_THROWS_AS(sm::Scp03Session::open(*card, wrong_mac), CardError);
    CHECK(perso::read_card_info(*card).scp03_tries_left == 5);
    // A host cryptogram spoiled on the way is what the card counts.
    SpoilExternalAuthenticate spoil(*card);
    for (int i = 0; i < 5; ++i) {
        INFO("attempt " << i + 1);
        try {
            sm::Scp03Session::open(spoil, *keys().impl().scp03);
            FAIL("EXTERNAL AUTHENTICATE with a wrong host cryptogram was accepted");
        } catch (const CardError& e) {
            CHECK(e.kind() == ErrorKind::CardRefused);
            CHECK(e.status_word() == 0x6300);
        }
    }
    const auto info = perso::read_card_info(*card);
    REQUIRE(info.state == CardState::Blocked);
    CHECK(info.scp03_tries_left == 0);

    InsLog log(*card);
    std::string msg;
    CHECK(kind_of([&] { perso::write_card(log, holder(), keys()); }, &msg) == ErrorKind::WrongCardState);
    CHECK(msg == "the card " + *info.serial_hex +
                     " blocked personalization for good after 5 failed secure channel authentications (state "
                     "BLOCKED); it cannot be written; set it aside");
    CHECK(log.ins == std::vector<std::uint8_t>{0xA4, 0xCA});

    log.ins.clear();
    CHECK(kind_of([&] { perso::lock_card(log, keys()); }, &msg) == ErrorKind::WrongCardState);
    CHECK(msg == "the card blocked personalization for good after 5 failed secure channel authentications (state "
                 "BLOCKED); set it aside");
    CHECK(log.ins == std::vector<std::uint8_t>{0xA4, 0xCA});
}
