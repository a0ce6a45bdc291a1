// The card runtime: ATR, dispatch, card file persistence, locking and corruption detection.
#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>

#include "docketcard/util/error.hpp"
#include "helpers.hpp"

using namespace dc_test;

TEST_CASE("FactoryKeys::sample equals keys-sample/scp03-master.txt", "[applet][keys]") {
    const auto file = applet::FactoryKeys::from_file(std::filesystem::path(DOCKETCARD_SOURCE_DIR) / "keys-sample/scp03-master.txt");
    const auto sample = applet::FactoryKeys::sample();
    CHECK(file.kvn == 0x30);
    CHECK(sample.kvn == file.kvn);
    CHECK(to_hex(view(sample.master_enc)) == to_hex(view(file.master_enc)));
    CHECK(to_hex(view(sample.master_mac)) == to_hex(view(file.master_mac)));
    CHECK(to_hex(view(sample.master_dek)) == to_hex(view(file.master_dek)));
    CHECK(file.master_enc.size() == 32);
}

TEST_CASE("ATR is T=1 with extended length announced and a correct TCK (ISO 7816-3 8.2, 7816-4 8.1.1.2.7)", "[applet][atr]") {
    auto card = Card::in_memory();
    const Bytes atr = card->atr();
    CHECK(to_hex(atr) == "3B858131FE4580738021C0" + to_hex(Bytes{atr.back()}));
    std::uint8_t x = 0;
    for (std::size_t i = 1; i < atr.size(); ++i) x ^= atr[i];
    CHECK(x == 0);
    CHECK((atr[atr.size() - 2] & 0x40) != 0);
}

TEST_CASE("Blank card answers SELECT and GET DATA", "[applet][blank]") {
    applet::CardOptions o;
    o.random_seed = 7;
    auto card = Card::in_memory(o);
    CHECK(card->serial_hex().size() == 20);
    CHECK(tx(*card, "00A4040C07A0000002471001") == "9000");
    CHECK(tx(*card, "80CA006600") == "661A800101810A" + card->serial_hex() + "820105" "8302FFFF" "84020800" "9000");
    CHECK(tx(*card, "00A4040C07A0000002471002") == "6A82");
    CHECK(card->commands_processed() == 3);
}

TEST_CASE("Malformed GET DATA and SELECT: 6700 for stray or missing data, 6Cxx for a short Le", "[applet][dispatch]") {
    applet::CardOptions o;
    o.random_seed = 7;
    auto card = Card::in_memory(o);
    // Each row: command, the exact answer (ISO/IEC 7816-4 5.1.3, 11.4.3; docs/card-protocol.md).
    const std::pair<const char*, const char*> table[] = {
        {"80CA006601AA00", "6700"},   // GET DATA card info with command data
        {"80CA00660100", "6700"},
        {"80CA006601", "6C1C"},       // Le = 1: the template is 28 bytes, never more than Le
        {"80CA00661B", "6C1C"},       // Le = 27: one byte short
        {"00A4040C", "6700"},         // SELECT by DF name without a name
        {"00A40400", "6700"},
        {"00A4040C00", "6700"},
        {"80CA006700", "6A86"},       // another tag
        {"80CA016600", "6A86"},
    };
    for (const auto& [command, answer] : table) {
        CAPTURE(command);
        CHECK(tx(*card, command) == answer);
    }
    CHECK(tx(*card, "80CA00661C").substr(0, 4) == "661A");   // the exact length is served
    CHECK(tx(*card, "00A4040C07A0000002471001") == "9000");  // and the card is unharmed
}

TEST_CASE("Dispatch refusals: 6700, 6D00, 6E00, 6A86, 6982, 6985", "[applet][dispatch]") {
    auto card = Card::in_memory();
    CHECK(tx(*card, "00A4") == "6700");                  // malformed header
    CHECK(tx(*card, "00A4040C07A000000247") == "6700");  // Lc longer than data
    CHECK(tx(*card, "00FE000000") == "6D00");
    CHECK(tx(*card, "A0A4040C07A0000002471001") == "6E00");
    CHECK(tx(*card, "80CA006700") == "6A86");
    CHECK(tx(*card, "00A4020C02011E") == "6982");  // SELECT EF without BAC
    CHECK(tx(*card, "00B0000004") == "6982");
    CHECK(tx(*card, "00E000000663040100011E") == "6982");  // plain CREATE FILE
    CHECK(tx(*card, "00DA00680401020304") == "6982");      // plain PUT DATA
    CHECK(tx(*card, "0084000008") == "6985");              // no BAC secret yet
    CHECK(tx(*card, "84E000000E0102030405060708090A0B0C0D0E") == "6982");  // SCP03 not open
    CHECK(tx(*card, "8050000009010203040506070809") == "6700");
    CHECK(tx(*card, "8050000108010203040506070800") == "6A86");
    CHECK(tx(*card, "8050310008010203040506070800") == "6A88");
    // Extended Lc over the 2048-byte limit.
    Bytes big = from_hex("84D60000000801");
    big.resize(7 + 0x0801, 0xAA);
    CHECK(to_hex(card->process(big)) == "6700");
}

TEST_CASE("Card file: created 0600, same file same card, locked, corruption refused", "[applet][file]") {
    TempDir dir;
    const auto path = dir.path / "card.bin";
    std::string serial;
    {
        auto card = Card::open(path);
        serial = card->serial_hex();
        struct stat st {};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        CHECK_THROWS_AS(Card::open(path), Error);
        try {
            Card::open(path);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Communication);
        }
        auto scp = scp_for(*card);
        REQUIRE(scp.open() == 0x9000);
        CHECK(scp.send("80DA00680454494B31").sw.value() == 0x9000);
    }
    {
        auto card = Card::open(path);
        CHECK(card->serial_hex() == serial);
        CHECK(state_of(*card) == 0x03);
    }
    // Flip one byte anywhere: the checksum catches it.
    std::vector<char> image;
    {
        std::ifstream in(path, std::ios::binary);
        image.assign(std::istreambuf_iterator<char>(in), {});
    }
    for (std::size_t at : {std::size_t{0}, std::size_t{20}, image.size() / 2, image.size() - 1}) {
        auto bad = image;
        bad[at] = static_cast<char>(bad[at] ^ 0x01);
        {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
            out.write(bad.data(), static_cast<std::streamsize>(bad.size()));
        }
        try {
            Card::open(path);
            FAIL("corrupt card file accepted (byte " << at << ")");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::InvalidInput);
        }
    }
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(image.data(), static_cast<std::streamsize>(image.size() - 5));
    }
    CHECK_THROWS_AS(Card::open(path), Error);
}
