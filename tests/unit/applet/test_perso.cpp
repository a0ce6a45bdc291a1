// Personalization commands, lifecycle, limits, chaining, extended length and tearing
// (docs/card-protocol.md, "Personalization side" and "Lifecycle").
#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace dc_test;

namespace {

const std::string kMrzInfo = "L898902C<369080619406236";

Bytes filled(std::size_t n, std::uint8_t seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

apdu::CommandApdu cmd(std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, Bytes data = {}, std::optional<std::size_t> le = {}) {
    return apdu::CommandApdu(0x80, ins, p1, p2, std::move(data), le);
}

Bytes create_body(std::uint16_t size, std::uint16_t fid) {
    Bytes b{0x63, 0x04};
    put_u16(b, size);
    put_u16(b, fid);
    return b;
}

// COMPLETE's data (docs/card-protocol.md): per file, FID || SHA-256(content)[0..15].
Bytes complete_body(const std::vector<std::pair<std::uint16_t, Bytes>>& files) {
    Bytes b;
    for (const auto& [fid, content] : files) {
        put_u16(b, fid);
        const Bytes d = crypto::sha256(content);
        b.insert(b.end(), d.begin(), d.begin() + 16);
    }
    return b;
}

const Bytes kCom = from_hex("60145F0104303130365F36063034303030305C026175");

// A minimal host-side personalization: every command through SCP03, UPDATE BINARY of EF.SOD as
// a chain (CLA 94), COMPLETE at the end. Returns after COMPLETE.
void personalize(Card& card) {
    auto scp = scp_for(card);
    if (scp.open() != 0x9000) throw std::runtime_error("SCP03 open");
    auto must = [&](const apdu::CommandApdu& c) {
        const auto r = scp.send(c);
        if (!r.ok()) throw std::runtime_error("refused: " + r.sw.hex());
    };
    must(cmd(0xDA, 0x00, 0x68, to_bytes("TICKET-1")));
    must(cmd(0xDA, 0x00, 0x62, from_hex(bac_secret_hex("L898902C<", "690806", "940623"))));
    must(cmd(0xE0, 0, 0, create_body(22, 0x011E)));
    must(cmd(0xA4, 0x02, 0x0C, from_hex("011E")));
    must(cmd(0xD6, 0, 0, from_hex("60145F0104303130365F36063034303030305C026175")));
    must(cmd(0xE0, 0, 0, create_body(93, 0x0101)));
    must(cmd(0xA4, 0x02, 0x0C, from_hex("0101")));
    must(cmd(0xD6, 0, 0, filled(93, 1)));
    must(cmd(0xE0, 0, 0, create_body(400, 0x011D)));
    must(cmd(0xA4, 0x02, 0x0C, from_hex("011D")));
    for (const auto& part : apdu::CommandApdu(0x80, 0xD6, 0, 0, filled(400, 9)).chain(200)) must(part);
    must(cmd(0x47, 0x80, 0x00));
    must(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, kCom}, {0x0101, filled(93, 1)}, {0x011D, filled(400, 9)}})));
}

}  // namespace

TEST_CASE("Full personalization: BLANK -> PERSONALIZING -> PERSONALIZED -> LOCKED", "[applet][perso]") {
    applet::CardOptions o;
    o.random_seed = 1;
    auto card = Card::in_memory(o);
    CHECK(state_of(*card) == 0x01);
    personalize(*card);
    CHECK(state_of(*card) == 0x07);

    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    // Read-back, including the chained EF.SOD, with extended Le.
    CHECK(scp.send(cmd(0xA4, 0x02, 0x0C, from_hex("011D"))).sw.value() == 0x9000);
    const auto sod = scp.send(cmd(0xB0, 0, 0, {}, 400));
    CHECK(sod.sw.value() == 0x9000);
    CHECK(sod.data == filled(400, 9));
    // GET DATA inside SCP03 carries the ticket; free bytes = 98304 - 515 saturate at FFFF.
    const auto info = scp.send("80CA006600");
    CHECK(to_hex(info.data) == "6624800107810A" + card->serial_hex() + "820105" "8302FFFF" "84020800" "8508" +
                                   to_hex(to_bytes("TICKET-1")));
    // Same ticket again: 9000; another: 6985.
    CHECK(scp.send(cmd(0xDA, 0x00, 0x68, to_bytes("TICKET-1"))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x68, to_bytes("TICKET-2"))).sw.value() == 0x6985);
    // A write in PERSONALIZED returns to PERSONALIZING; COMPLETE again; LOCK.
    CHECK(scp.send(cmd(0xD6, 0, 0, Bytes{0x01})).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xDA, 0xDE, 0xAD)).sw.value() == 0x6985);  // LOCK needs PERSONALIZED
    Bytes rewritten = filled(400, 9);
    rewritten[0] = 0x01;
    const Bytes done = complete_body({{0x011E, kCom}, {0x0101, filled(93, 1)}, {0x011D, rewritten}});
    CHECK(scp.send(cmd(0xDA, 0x00, 0x69, done)).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x69, done)).sw.value() == 0x6985);  // only from PERSONALIZING
    CHECK(scp.send(cmd(0xDA, 0xDE, 0xAD)).sw.value() == 0x9000);
    CHECK(state_of(*card) == 0x0F);

    // LOCKED: no serial in the clear, every personalization refused, read side still works.
    CHECK(tx(*card, "80CA006600") == "660E80010F820105" "8302FFFF" "840208009000");
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(10, 0x0102))).sw.value() == 0x6985);
    CHECK(tx(*card, "00E000000663040100010102") == "6985");
    CHECK(tx(*card, "80500000080102030405060708" "00") == "6985");
    CHECK(scp.open() == 0x6985);
    BacHost bac(*card);
    REQUIRE(bac.open(kMrzInfo) == 0x9000);
    CHECK(bac.send("00A4020C02011E").sw.value() == 0x9000);
    CHECK(to_hex(bac.send("00B0000016").data) == "60145F0104303130365F36063034303030305C026175");
}

TEST_CASE("Personalization refusals and limits", "[applet][perso]") {
    auto card = Card::in_memory();
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    // BLANK: nothing but the ticket.
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(10, 0x0101))).sw.value() == 0x6985);
    CHECK(scp.send(cmd(0x47, 0x80, 0x00)).sw.value() == 0x6985);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, kCom}}))).sw.value() == 0x6985);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x68, Bytes(65, 0x41))).sw.value() == 0x6700);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x68, to_bytes("T"))).sw.value() == 0x9000);
    CHECK(state_of(*card) == 0x03);
    REQUIRE(scp.open() == 0x9000);  // GET DATA in the clear does not end the session, but be explicit

    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(10, 0x0111))).sw.value() == 0x6A80);  // not LDS
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0, 0x0101))).sw.value() == 0x6A80);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x8000, 0x0101))).sw.value() == 0x6A80);
    CHECK(scp.send(cmd(0xE0, 0, 0, from_hex("620401000101"))).sw.value() == 0x6A80);
    CHECK(scp.send(cmd(0xD6, 0, 0, Bytes{1})).sw.value() == 0x6986);  // no EF selected
    CHECK(scp.send(cmd(0xA4, 0x02, 0x0C, from_hex("0101"))).sw.value() == 0x6A82);
    CHECK(scp.send(cmd(0xE4, 0, 0, from_hex("0101"))).sw.value() == 0x6A82);
    CHECK(scp.send(cmd(0x47, 0x81, 0x00)).sw.value() == 0x6A88);   // no AA key yet
    CHECK(scp.send(cmd(0x47, 0x83, 0x00)).sw.value() == 0x6A88);   // no CA key yet
    CHECK(scp.send(cmd(0x47, 0x84, 0x00)).sw.value() == 0x6A86);
    CHECK(scp.send(cmd(0xDA, 0x01, 0x02, Bytes{1})).sw.value() == 0x6A86);
    CHECK(scp.send(cmd(0x99, 0, 0)).sw.value() == 0x6D00);
    CHECK(scp.send(cmd(0xDA, 0x00, 0x62, from_hex("6203040141"))).sw.value() == 0x6A80);

    // Budget: 3 x 7FFF = 98301 bytes, 3 left.
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x7FFF, 0x0102))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x7FFF, 0x0102))).sw.value() == 0x6A89);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x7FFF, 0x0103))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x7FFF, 0x0104))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(4, 0x0105))).sw.value() == 0x6A84);
    CHECK(to_hex(scp.send("80CA006600").data).find("83020003") != std::string::npos);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(3, 0x0105))).sw.value() == 0x9000);

    // UPDATE BINARY bounds, extended length (2000 bytes in one command).
    CHECK(scp.send(cmd(0xA4, 0x02, 0x0C, from_hex("0102"))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xD6, 0x7F, 0xFF, Bytes{1})).sw.value() == 0x6B00);
    CHECK(scp.send(cmd(0xD6, 0x7F, 0xFE, Bytes{1, 2})).sw.value() == 0x6700);
    CHECK(scp.send(cmd(0xD6, 0x00, 0x00, filled(2000, 3))).sw.value() == 0x9000);
    const auto back = scp.send(cmd(0xB0, 0x00, 0x00, {}, 2000));
    CHECK(back.sw.value() == 0x9000);
    CHECK(back.data == filled(2000, 3));
    // Half-written files prevent COMPLETE.
    CHECK(scp.send(cmd(0xDA, 0x00, 0x69, complete_body({{0x0102, filled(2000, 3)}}))).sw.value() == 0x6985);
    // DELETE frees the budget.
    CHECK(scp.send(cmd(0xE4, 0, 0, from_hex("0103"))).sw.value() == 0x9000);
    CHECK(scp.send(cmd(0xE0, 0, 0, create_body(0x7FFF, 0x0106))).sw.value() == 0x9000);
}

TEST_CASE("COMPLETE requires EF.COM, EF.SOD, DG1, full files, BAC secret and AA key", "[applet][perso]") {
    auto card = Card::in_memory();
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    auto sw = [&](const apdu::CommandApdu& c) { return scp.send(c).sw.value(); };
    REQUIRE(sw(cmd(0xDA, 0x00, 0x68, to_bytes("T"))) == 0x9000);
    for (std::uint16_t fid : {std::uint16_t{0x011E}, std::uint16_t{0x011D}}) {
        REQUIRE(sw(cmd(0xE0, 0, 0, create_body(4, fid))) == 0x9000);
        Bytes f;
        put_u16(f, fid);
        REQUIRE(sw(cmd(0xA4, 0x02, 0x0C, f)) == 0x9000);
        REQUIRE(sw(cmd(0xD6, 0, 0, Bytes{1, 2, 3, 4})) == 0x9000);
    }
    REQUIRE(sw(cmd(0xDA, 0x00, 0x62, from_hex(bac_secret_hex("L898902C<", "690806", "940623")))) == 0x9000);
    REQUIRE(sw(cmd(0x47, 0x80, 0x00)) == 0x9000);
    const Bytes four{1, 2, 3, 4};
    const Bytes all = complete_body({{0x011E, four}, {0x011D, four}, {0x0101, four}});
    CHECK(sw(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, four}, {0x011D, four}}))) == 0x6985);  // DG1 missing
    REQUIRE(sw(cmd(0xE0, 0, 0, create_body(4, 0x0101))) == 0x9000);
    REQUIRE(sw(cmd(0xA4, 0x02, 0x0C, from_hex("0101"))) == 0x9000);
    REQUIRE(sw(cmd(0xD6, 0, 2, Bytes{3, 4})) == 0x9000);  // written out of order
    CHECK(sw(cmd(0xDA, 0x00, 0x69, all)) == 0x6985);
    REQUIRE(sw(cmd(0xD6, 0, 0, Bytes{1, 2})) == 0x9000);

    // The digests must name exactly the card's files, once each, with the digests of their
    // content; otherwise 6A80 and the card stays PERSONALIZING. Without data, or with a partial
    // entry: 6700.
    CHECK(sw(cmd(0xDA, 0x00, 0x69)) == 0x6700);
    CHECK(sw(cmd(0xDA, 0x00, 0x69, Bytes(all.begin(), all.end() - 1))) == 0x6700);
    CHECK(sw(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, four}, {0x011D, four}, {0x0101, Bytes{1, 2, 3, 5}}}))) ==
          0x6A80);  // DG1 on the card is not what the terminal wrote
    CHECK(sw(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, four}, {0x011D, four}}))) == 0x6A80);  // DG1 not named
    CHECK(sw(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, four}, {0x011D, four}, {0x011E, four}}))) ==
          0x6A80);  // named twice
    CHECK(sw(cmd(0xDA, 0x00, 0x69, complete_body({{0x011E, four}, {0x011D, four}, {0x0102, four}}))) ==
          0x6A80);  // a file the card does not hold
    CHECK(state_of(*card) == 0x03);
    CHECK(sw(cmd(0xDA, 0x00, 0x69, all)) == 0x9000);
    CHECK(state_of(*card) == 0x07);
    // A new AA key is a write: back to PERSONALIZING.
    CHECK(sw(cmd(0x47, 0x80, 0x00)) == 0x9000);
    CHECK(state_of(*card) == 0x03);
}

TEST_CASE("Chained UPDATE BINARY must keep INS/P1/P2; plain chains refused", "[applet][perso][chaining]") {
    auto card = Card::in_memory();
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    REQUIRE(scp.send(cmd(0xDA, 0x00, 0x68, to_bytes("T"))).sw.value() == 0x9000);
    REQUIRE(scp.send(cmd(0xE0, 0, 0, create_body(10, 0x0101))).sw.value() == 0x9000);
    REQUIRE(scp.send(cmd(0xA4, 0x02, 0x0C, from_hex("0101"))).sw.value() == 0x9000);
    CHECK(scp.send(apdu::CommandApdu(0x90, 0xD6, 0, 0, Bytes{1, 2})).sw.value() == 0x9000);
    CHECK(scp.send(apdu::CommandApdu(0x80, 0xD6, 0, 1, Bytes{3})).sw.value() == 0x6883);
    CHECK(scp.send(apdu::CommandApdu(0x90, 0xE0, 0, 0, create_body(4, 0x0102))).sw.value() == 0x6884);
    CHECK(tx(*card, "10D6000001AA") == "6982");
}

TEST_CASE("A bad C-MAC closes the SCP03 session with 6982", "[applet][scp03]") {
    auto card = Card::in_memory();
    auto scp = scp_for(*card);
    REQUIRE(scp.open() == 0x9000);
    Bytes wrapped = scp.wrap(cmd(0xDA, 0x00, 0x68, to_bytes("T")));
    wrapped[wrapped.size() - 1] ^= 0x01;
    CHECK(to_hex(card->process(wrapped)) == "6982");
    CHECK(scp.send(cmd(0xDA, 0x00, 0x68, to_bytes("T"))).sw.value() == 0x6982);
    CHECK(state_of(*card) == 0x01);
}

TEST_CASE("Persistence across close/reopen: files, keys, state, counter", "[applet][file]") {
    TempDir dir;
    const auto path = dir.path / "card.bin";
    applet::CardOptions o;
    o.random_seed = 3;
    {
        auto card = Card::open(path, o);
        personalize(*card);
    }
    auto card = Card::open(path, o);
    CHECK(state_of(*card) == 0x07);
    const std::string iu = tx(*card, "80500000080102030405060708" "00");
    CHECK(iu.substr(58, 6) == "000002");  // one INITIALIZE UPDATE in personalize(), this is the second
    BacHost bac(*card);
    REQUIRE(bac.open(kMrzInfo) == 0x9000);
    CHECK(bac.send("00A4020C020101").sw.value() == 0x9000);
    const auto dg1 = bac.send("00B000005D");
    CHECK(dg1.data == filled(93, 1));
}

TEST_CASE("Tear at every command of a personalization leaves an incomplete, readable card", "[applet][tear]") {
    // Count the commands of a full personalization first.
    std::uint64_t total = 0;
    {
        auto card = Card::in_memory();
        personalize(*card);
        total = card->commands_processed();
    }
    REQUIRE(total > 10);
    for (const auto mode : {applet::TearMode::Applied, applet::TearMode::Lost}) {
        for (std::uint64_t n = 1; n <= total; ++n) {
            INFO("tear after command " << n << " of " << total << (mode == applet::TearMode::Applied ? " (applied)" : " (lost)"));
            TempDir dir;
            const auto path = dir.path / "card.bin";
            applet::CardOptions o;
            o.tear_after = n;
            o.tear_mode = mode;
            {
                auto card = Card::open(path, o);
                CHECK_THROWS_AS(personalize(*card), applet::CardTorn);
                CHECK_THROWS_AS(card->process(from_hex("80CA006600")), applet::CardTorn);
            }
            auto card = Card::open(path);  // not corrupt
            const std::uint8_t state = state_of(*card);
            if (n == total && mode == applet::TearMode::Applied) {
                CHECK(state == 0x07);  // COMPLETE itself was applied: the card is complete
            } else {
                CHECK((state == 0x01 || state == 0x03));
            }
            // The torn card can always be personalized again from where it is.
            auto scp = scp_for(*card);
            CHECK(scp.open() == 0x9000);
        }
    }
}
