// Tear safety: the card is torn after every command index of a write, then the same write runs
// again on the reopened card file. Every card must end PERSONALIZED with this holder's data (read
// back with BAC, EF.SOD hashes and signature verified), or be refused with a clear message.
#include <catch2/catch.hpp>

#include "docketcard/util/error.hpp"
#include "perso_test_util.hpp"

using namespace perso_test;
using namespace docketcard;

TEST_CASE("tear at every command of a write, then write again", "[perso][tear]") {
    const auto h = holder(2);
    perso::WriteOptions options;
    options.signing_time = std::chrono::system_clock::from_time_t(1767225600);

    std::size_t total = 0;
    {
        TempDir dir;
        applet::CardOptions o;
        o.random_seed = 7;
        auto card = transport::open_sim_channel(dir.path / "card.bin", o);
        total = perso::write_card(*card, h, keys(), options).apdus;
    }
    REQUIRE(total > 30);  // 38 for this holder: no read-back, COMPLETE carries the digests

    // A "lost" tear at command n leaves the same persistent state as an "applied" tear at n - 1
    // (the card applies each command completely or not at all; session state is volatile), so
    // every index is torn in Applied mode and a few in Lost mode.
    for (const auto mode : {applet::TearMode::Applied, applet::TearMode::Lost}) {
        for (std::size_t n = 1; n <= total; ++n) {
            if (mode == applet::TearMode::Lost && n != 1 && n != 5 && n != total / 2 && n != total) continue;
            INFO("tear after command " << n << " of " << total << (mode == applet::TearMode::Applied ? " (applied)" : " (lost)"));
            TempDir dir;
            const auto path = dir.path / "card.bin";
            {
                applet::CardOptions o;
                o.random_seed = 7;
                o.tear_after = n;
                o.tear_mode = mode;
                auto card = transport::open_sim_channel(path, o);
                try {
                    perso::write_card(*card, h, keys(), options);
                    FAIL("the write did not notice the tear");
                } catch (const Error& e) {
                    REQUIRE(e.kind() == ErrorKind::Communication);
                    const std::string msg = e.what();
                    CHECK(msg.rfind("the card was removed", 0) == 0);
                }
            }
            auto card = transport::open_sim_channel(path);
            try {
                const auto r = perso::write_card(*card, h, keys(), options);
                CHECK(r.state == perso::CardState::Personalized);
            } catch (const Error& e) {
                // Acceptable only as a clear refusal; never a half-written card of two holders.
                CHECK(e.kind() == ErrorKind::WrongCardState);
                FAIL_CHECK("refused: " << e.what());
                continue;
            }
            CHECK(perso::read_card_info(*card).state == perso::CardState::Personalized);
            const auto files = read_with_bac(*card, h);
            CHECK(lds::decode_dg1(files.at(0x0101)) == mrz::make_td1(h).joined());
        }
    }
}
