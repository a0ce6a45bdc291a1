// SCP03 host side against the published GP Amendment D vector (pySim, values copied from
// ../shared/reference/globalplatform-scp03.md), refusal paths, and round trips through a small
// card-side model written from the same reference (C-DECRYPTION, R-MAC, R-ENCRYPTION, chaining).
#include <catch2/catch.hpp>

#include <fstream>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/util/error.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;
using apdu::CommandApdu;
using apdu::ResponseApdu;
using testing::ReplayChannel;

namespace {

const char* const kHostChallenge = "B13E5F938FC108C4";
const char* const kInitializeUpdate = "8050300008B13E5F938FC108C400";
const char* const kIuResponse = "000000000000000000003003703EB51047495B249F66C484C1D2EF1948000002";
const char* const kExternalAuthenticate = "84821100107D5F5826A993EBC89EEA24957FA0B3CE";
const char* const kSMac = "8B2635556E987A6B84F43D9FFC197D3F";
const char* const kSRmac = "3F6B2CE3B3ABD9A99BD4453AFA54CC7B";

sm::Scp03Keys vector_keys() {
    return sm::Scp03Keys{0x30, secure_from_hex("000102030405060708090A0B0C0D0E0F"),
                         secure_from_hex("101112131415161718191A1B1C1D1E1F"),
                         secure_from_hex("202122232425262728292A2B2C2D2E2F")};
}

Bytes cmac(const char* key_hex, ByteView data) { return crypto::aes_cmac(from_hex(key_hex), data); }

// A card-side model of docs/card-protocol.md's SCP03, from the formulas of the reference.
class Scp03Card : public transport::CardChannel {
public:
    Scp03Card(SecureBytes enc, SecureBytes mac, Bytes kdd) : enc_(std::move(enc)), mac_(std::move(mac)), kdd_(std::move(kdd)) {}

    ResponseApdu transmit(const CommandApdu& c) override {
        if (c.ins == 0x50) {
            const Bytes card_chal = from_hex("0102030405060708");
            ctx_ = concat({c.data, card_chal});
            const auto bits = static_cast<std::uint16_t>(enc_.size() * 8);
            s_enc_ = crypto::scp03_kdf(view(enc_), 0x04, bits, ctx_);
            s_mac_ = crypto::scp03_kdf(view(mac_), 0x06, bits, ctx_);
            s_rmac_ = crypto::scp03_kdf(view(mac_), 0x07, bits, ctx_);
            const auto crypt = crypto::scp03_kdf(view(s_mac_), 0x00, 64, ctx_);
            return {concat({kdd_, from_hex("300370"), card_chal, view(crypt), from_hex("00002A")}),
                    apdu::StatusWord(0x9000)};
        }
        if (c.ins == 0x82) {
            const auto host = crypto::scp03_kdf(view(s_mac_), 0x01, 64, ctx_);
            chain_ = crypto::aes_cmac(view(s_mac_), concat({Bytes(16, 0), Bytes{c.cla, c.ins, c.p1, c.p2, 0x10},
                                                             ByteView(c.data).subspan(0, 8)}));
            if (!equal_ct(ByteView(c.data).subspan(0, 8), view(host)) ||
                !equal_ct(ByteView(c.data).subspan(8), ByteView(chain_).subspan(0, 8))) {
                ++failures;
                return {{}, apdu::StatusWord(0x6300)};
            }
            level_ = c.p1;
            return {{}, apdu::StatusWord(0x9000)};
        }
        ++counter_;
        REQUIRE((c.cla == 0x84 || c.cla == 0x94));
        REQUIRE(c.data.size() >= 8);
        const ByteView body = ByteView(c.data).subspan(0, c.data.size() - 8);
        chain_ = crypto::aes_cmac(
            view(s_mac_), concat({chain_, Bytes{c.cla, c.ins, c.p1, c.p2, static_cast<std::uint8_t>(c.data.size())}, body}));
        if (!equal_ct(ByteView(chain_).subspan(0, 8), ByteView(c.data).subspan(c.data.size() - 8))) {
            return {{}, apdu::StatusWord(0x6982)};
        }
        Bytes plain(body.begin(), body.end());
        if ((level_ & 0x02) && !plain.empty()) {
            const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), counter_block(0x00));
            plain = crypto::unpad_m2(crypto::aes_cbc_decrypt(view(s_enc_), iv, plain));
        }
        received.push_back(CommandApdu(c.cla, c.ins, c.p1, c.p2, plain, c.le));
        Bytes answer;
        if (c.ins == 0xB0) {
            for (std::size_t i = 0; i < c.le.value_or(0); ++i) answer.push_back(static_cast<std::uint8_t>(i));
        }
        if (c.ins == 0xE0) return {{}, apdu::StatusWord(0x6A89)};
        if ((level_ & 0x20) && !answer.empty()) {
            const Bytes iv = crypto::aes_ecb_encrypt(view(s_enc_), counter_block(0x80));
            answer = crypto::aes_cbc_encrypt(view(s_enc_), iv, crypto::pad_m2(answer, 16));
        }
        if (level_ & 0x10) {
            const Bytes rmac = crypto::aes_cmac(view(s_rmac_), concat({chain_, answer, from_hex("9000")}));
            append(answer, ByteView(rmac).subspan(0, 8));
            if (corrupt_next_rmac) {
                answer.back() ^= 0x01;
                corrupt_next_rmac = false;
            }
        }
        return {answer, apdu::StatusWord(0x9000)};
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "scp03 model"; }

    std::vector<CommandApdu> received;  // plain commands after the handshake
    int failures = 0;
    bool corrupt_next_rmac = false;

private:
    Bytes counter_block(std::uint8_t first) const {
        Bytes b(16, 0);
        b[0] = first;
        for (int i = 0; i < 8; ++i) b[15 - i] = static_cast<std::uint8_t>(counter_ >> (8 * i));
        return b;
    }
    SecureBytes enc_, mac_;
    Bytes kdd_;
    Bytes ctx_;
    SecureBytes s_enc_, s_mac_, s_rmac_;
    Bytes chain_;
    std::uint8_t level_ = 0;
    std::uint64_t counter_ = 0;
};

std::string master_file() {
    return "# test\n"
           "kvn=30\n"
           "enc = 7124F7D7777924AA0DE548FB63F5DBB117DF31AFB9F386C5D6CB82DFFD1AC3E6\n"
           "mac=2C14B86AE2ACD2A5F2B67D38E513F7C133733B223399688A72D1F220B7BF43E2\n"
           "\n"
           "dek=A4D93042BF156BAC97F613D2B63BBFD02F452744DF8FE9D1397D5DBC05E3BA13\n";
}

}  // namespace

TEST_CASE("SCP03 opens with the published GP Amendment D vector and wraps the next command", "[scp03]") {
    // The card's R-MAC for the 9000 answer to STORE DATA, computed from the vector's keys: the MAC
    // chaining value is the full C-MAC of STORE DATA, itself chained from EXTERNAL AUTHENTICATE's.
    const Bytes ea_chain = cmac(kSMac, from_hex("00000000000000000000000000000000" "8482110010" "7D5F5826A993EBC8"));
    REQUIRE(to_hex(ByteView(ea_chain).subspan(0, 8)) == "9EEA24957FA0B3CE");
    const Bytes sd_chain = cmac(kSMac, concat({ea_chain, from_hex("84E291000E" "BF3E035C015A")}));
    REQUIRE(to_hex(ByteView(sd_chain).subspan(0, 8)) == "558D036518A28297");
    const Bytes rmac = cmac(kSRmac, concat({sd_chain, from_hex("9000")}));

    ReplayChannel card({{kInitializeUpdate, std::string(kIuResponse) + "9000"},
                        {kExternalAuthenticate, "9000"},
                        {"84E291000EBF3E035C015A558D036518A2829700", to_hex(ByteView(rmac).subspan(0, 8)) + "9000"}});
    auto session = sm::Scp03Session::open_with_static_keys(card, vector_keys(), 0x11,
                                                           crypto::sequence_random(from_hex(kHostChallenge)));
    CHECK(to_hex(session.card_info().kdd) == "00000000000000000000");
    CHECK(session.card_info().kvn == 0x30);
    CHECK(session.card_info().i == 0x70);
    CHECK(to_hex(session.card_info().card_challenge) == "3EB51047495B249F");
    CHECK(session.card_info().sequence_counter == 2u);

    const auto r = session.transmit(CommandApdu::parse(from_hex("80E2910006BF3E035C015A00")));
    CHECK(r.sw.value() == 0x9000);
    CHECK(r.data.empty());
    card.done();
}

TEST_CASE("SCP03 refuses a wrong card cryptogram without sending EXTERNAL AUTHENTICATE", "[scp03]") {
    std::string response = kIuResponse;
    response[50] = response[50] == '0' ? '1' : '0';  // inside the card cryptogram
    ReplayChannel card({{kInitializeUpdate, response + "9000"}});
    try {
        sm::Scp03Session::open_with_static_keys(card, vector_keys(), 0x11, crypto::sequence_random(from_hex(kHostChallenge)));
        FAIL("wrong cryptogram accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK_THAT(e.what(), Catch::Contains("do not match these master keys"));
        CHECK_THAT(e.what(), Catch::Contains("Nothing was sent that counts a failed authentication"));
    }
    CHECK(card.sent().size() == 1);
    card.done();
}

TEST_CASE("SCP03 reports 6300 on EXTERNAL AUTHENTICATE once and never retries", "[scp03]") {
    ReplayChannel card({{kInitializeUpdate, std::string(kIuResponse) + "9000"}, {kExternalAuthenticate, "6300"}});
    try {
        sm::Scp03Session::open_with_static_keys(card, vector_keys(), 0x11, crypto::sequence_random(from_hex(kHostChallenge)));
        FAIL("6300 accepted");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x6300);
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("counted a failed authentication"));
        CHECK_THAT(what, Catch::Contains("never retries"));
        CHECK_THAT(what, Catch::Contains("after 5 consecutive failures"));
        CHECK_THAT(what, Catch::Contains("KVN (30)"));
    }
    REQUIRE(card.sent().size() == 2);
    CHECK(card.sent()[1] == kExternalAuthenticate);
    card.done();
}

TEST_CASE("SCP03 refusals of INITIALIZE UPDATE", "[scp03]") {
    auto refuse = [](const char* sw, ErrorKind kind) {
        ReplayChannel card({{kInitializeUpdate, sw}});
        try {
            sm::Scp03Session::open_with_static_keys(card, vector_keys(), 0x11,
                                                    crypto::sequence_random(from_hex(kHostChallenge)));
            FAIL("accepted");
        } catch (const CardError& e) {
            CHECK(e.kind() == kind);
        }
    };
    refuse("6A88", ErrorKind::CardRefused);
    refuse("6983", ErrorKind::WrongCardState);
    ReplayChannel truncated({{kInitializeUpdate, std::string(kIuResponse, 60) + "9000"}});
    CHECK_THROWS_AS(sm::Scp03Session::open_with_static_keys(truncated, vector_keys(), 0x11,
                                                            crypto::sequence_random(from_hex(kHostChallenge))),
                    ParseError);
    ReplayChannel none({});
    CHECK_THROWS_AS(sm::Scp03Session::open_with_static_keys(none, vector_keys(), 0x02), Error);
}

TEST_CASE("SCP03 master keys file: parsed, and errors name file, line and field only", "[scp03][keys]") {
    const auto keys = sm::parse_scp03_master_keys(master_file(), "k/scp03-master.txt");
    CHECK(keys.kvn == 0x30);
    CHECK(to_hex(view(keys.enc)) == "7124F7D7777924AA0DE548FB63F5DBB117DF31AFB9F386C5D6CB82DFFD1AC3E6");
    CHECK(keys.mac.size() == 32);
    CHECK(keys.dek.size() == 32);

    auto error_of = [](const std::string& text) -> std::string {
        try {
            sm::parse_scp03_master_keys(text, "k/scp03-master.txt");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::InvalidInput);
            return e.what();
        }
        return "no error";
    };
    CHECK(error_of("kvn=30\nenc=0011\n") == "k/scp03-master.txt, line 2: field 'enc' is 2 bytes; an AES key has 16, 24 or 32");
    CHECK(error_of("kvn=30\nenc=00112233445566778899AABBCCDDEEFG\n").find("line 2: field 'enc': invalid hex") != std::string::npos);
    CHECK(error_of("kvn=30\nfoo=1\n") == "k/scp03-master.txt, line 2: unknown field 'foo' (fields: kvn, enc, mac, dek)");
    CHECK(error_of("kvn=30\nkvn=31\n") == "k/scp03-master.txt, line 2: field 'kvn' given twice");
    CHECK(error_of("kvn=30\n") == "k/scp03-master.txt: field 'enc' is missing");
    CHECK(error_of("enc\n") == "k/scp03-master.txt, line 1: expected field=value (fields: kvn, enc, mac, dek)");
    CHECK(error_of("kvn=30\nenc=000102030405060708090A0B0C0D0E0F\nmac=000102030405060708090A0B0C0D0E0F\n"
                   "dek=000102030405060708090A0B0C0D0E0F0001020304050607\n")
              .find("same length") != std::string::npos);
    const std::string secret_error = error_of("kvn=30\nenc=7124F7D7777924AA0DE548FB63F5DBB117DF31AF\n");
    CHECK(secret_error.find("7124") == std::string::npos);
}

TEST_CASE("SCP03 master keys load from the sample keys folder", "[scp03][keys]") {
    const auto keys = sm::load_scp03_master_keys(std::string(DOCKETCARD_SOURCE_DIR) + "/keys-sample");
    CHECK(keys.kvn == 0x30);
    CHECK(to_hex(view(keys.mac)) == "2C14B86AE2ACD2A5F2B67D38E513F7C133733B223399688A72D1F220B7BF43E2");
    CHECK_THROWS_WITH(sm::load_scp03_master_keys("/nonexistent-docketcard"),
                      Catch::Contains("/nonexistent-docketcard/scp03-master.txt: cannot open"));
}

TEST_CASE("SCP03 diversifies the master keys with KDF3 and the card's KDD", "[scp03][keys]") {
    sm::Scp03Keys master{0x30,
                         secure_from_hex("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD"),
                         secure_from_hex("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD"),
                         secure_from_hex("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD")};
    const auto card = sm::diversify_scp03_keys(master, from_hex("D9B1DE5D0362DEDCE4FB"));
    CHECK(to_hex(view(card.enc)) == "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781");
    CHECK(to_hex(view(card.mac)) != to_hex(view(card.enc)));
    CHECK(card.kvn == 0x30);
}

TEST_CASE("SCP03 round trip at level 33 with master keys: C-DECRYPTION, R-MAC, R-ENCRYPTION, chaining", "[scp03]") {
    const auto master = sm::parse_scp03_master_keys(master_file(), "test");
    const Bytes kdd = from_hex("11223344556677889900");
    const auto card_keys = sm::diversify_scp03_keys(master, kdd);
    Scp03Card card(card_keys.enc, card_keys.mac, kdd);

    auto session = sm::Scp03Session::open(card, master);
    CHECK(session.security_level() == 0x33);
    CHECK(session.card_info().sequence_counter == 0x2Au);
    CHECK(card.failures == 0);

    // A command with data, a command without data, a read with encrypted response data.
    CHECK(session.transmit(CommandApdu(0x80, 0xDA, 0x00, 0x68, from_hex("0102030405"))).sw.value() == 0x9000);
    CHECK(session.transmit(CommandApdu(0x80, 0xDA, 0x00, 0x69)).sw.value() == 0x9000);
    const auto read = session.transmit(CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 0x20));
    CHECK(read.sw.value() == 0x9000);
    CHECK(to_hex(read.data) == "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    // 600 bytes of data: three blocks of at most 239 bytes, CLA 94 94 84.
    Bytes big(600);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
    CHECK(session.transmit(CommandApdu(0x00, 0xD6, 0x00, 0x00, big)).sw.value() == 0x9000);
    // An error status word comes back unchanged, without R-MAC.
    CHECK(session.transmit(CommandApdu(0x80, 0xE0, 0x00, 0x00, from_hex("630402000101"))).sw.value() == 0x6A89);

    REQUIRE(card.received.size() == 7);
    CHECK(to_hex(card.received[0].data) == "0102030405");
    CHECK(card.received[1].data.empty());
    CHECK(card.received[3].cla == 0x94);
    CHECK(card.received[3].data.size() == 239);
    CHECK(card.received[4].cla == 0x94);
    CHECK(card.received[5].cla == 0x84);
    CHECK(concat({card.received[3].data, card.received[4].data, card.received[5].data}) == big);
    CHECK(session.capabilities().max_command_data == 239);
    CHECK(session.capabilities().max_response_data == 239);
}

TEST_CASE("SCP03 round trip at level 13 sends data in the clear with C-MAC, and a bad R-MAC ends the session",
          "[scp03]") {
    const auto keys = vector_keys();
    Scp03Card card(keys.enc, keys.mac, from_hex("00000000000000000000"));
    auto session = sm::Scp03Session::open_with_static_keys(card, keys, 0x13);
    const auto read = session.transmit(CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 4));
    CHECK(to_hex(read.data) == "00010203");
    card.corrupt_next_rmac = true;
    CHECK_THROWS_AS(session.transmit(CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 4)), CardError);
    CHECK(session.ended());
    CHECK_THROWS_AS(session.transmit(CommandApdu(0x00, 0xB0, 0x00, 0x00, {}, 4)), Error);
}

TEST_CASE("SCP03 master keys that do not match the card are refused before EXTERNAL AUTHENTICATE", "[scp03]") {
    const auto master = sm::parse_scp03_master_keys(master_file(), "test");
    const auto keys = vector_keys();
    Scp03Card card(keys.enc, keys.mac, from_hex("11223344556677889900"));
    CHECK_THROWS_AS(sm::Scp03Session::open(card, master), CardError);
    CHECK(card.failures == 0);
}
