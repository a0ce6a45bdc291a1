// The SCP03 session-key derivation (GP Amendment D 6.2.1) is written twice on purpose: once on the
// host (lib/src/sm/scp03.cpp, Scp03Session::open_impl) and once on the card
// (applets/src/applet.cpp, DocketApplet::initialize_update), so that the emulated card stays an
// independent implementation that catches a host-side mistake instead of sharing it. Both are
// pinned here to the same published vector rows (shared/reference/globalplatform-scp03.md).
#include <catch2/catch.hpp>

#include "docketcard/applet/card.hpp"
#include "docketcard/crypto/random.hpp"
#include "docketcard/sm/scp03.hpp"
#include "support/replay_channel.hpp"

using namespace docketcard;

namespace {

struct Row {
    const char* source;
    const char* k_enc;
    const char* k_mac;
    const char* k_dek;
    std::uint8_t kvn;
    const char* host_challenge;
    const char* card_challenge;
    std::uint32_t counter_before;
    const char* initialize_update;       // command
    const char* initialize_update_resp;  // KDD || key info || card challenge || card cryptogram || counter
    const char* external_authenticate;   // host cryptogram || C-MAC, security level 11
};

const Row kRows[] = {
    {"pySim unit tests, AES-128 (GP Amendment D 6.2.1)", "000102030405060708090A0B0C0D0E0F",
     "101112131415161718191A1B1C1D1E1F", "202122232425262728292A2B2C2D2E2F", 0x30, "B13E5F938FC108C4",
     "3EB51047495B249F", 1, "8050300008B13E5F938FC108C400",
     "000000000000000000003003703EB51047495B249F66C484C1D2EF1948000002",
     "84821100107D5F5826A993EBC89EEA24957FA0B3CE"},
};

}  // namespace

TEST_CASE("SCP03 session keys: host side and card side give the same published vector", "[scp03][vector]") {
    for (const Row& row : kRows) {
        INFO(row.source);
        SECTION(std::string("host side: ") + row.source) {
            testing::ReplayChannel card({{row.initialize_update, std::string(row.initialize_update_resp) + "9000"},
                                         {row.external_authenticate, "9000"}});
            const sm::Scp03Keys keys{row.kvn, secure_from_hex(row.k_enc), secure_from_hex(row.k_mac), secure_from_hex(row.k_dek)};
            auto session = sm::Scp03Session::open_with_static_keys(card, keys, 0x11,
                                                                   crypto::sequence_random(from_hex(row.host_challenge)));
            CHECK(to_hex(session.card_info().card_challenge) == row.card_challenge);
            card.done();
        }
        SECTION(std::string("card side: ") + row.source) {
            applet::CardOptions o;
            o.test.serial = from_hex(std::string(row.initialize_update_resp).substr(0, 20));
            o.test.static_keys = applet::Scp03StaticKeys{row.kvn, secure_from_hex(row.k_enc), secure_from_hex(row.k_mac),
                                                         secure_from_hex(row.k_dek)};
            o.test.sequence_counter = row.counter_before;
            o.test.card_challenge = from_hex(row.card_challenge);
            o.test.any_security_level = true;
            auto card = applet::Card::in_memory(o);
            CHECK(to_hex(card->process(from_hex(row.initialize_update))) == std::string(row.initialize_update_resp) + "9000");
            CHECK(to_hex(card->process(from_hex(row.external_authenticate))) == "9000");
        }
    }
}
