#include <catch2/catch.hpp>

#include <filesystem>

#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using namespace docketcard::transport;

namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        path = std::filesystem::temp_directory_path() /
               ("docketcard-transport-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    static int& counter() {
        static int c = 0;
        return c;
    }
};

const Bytes aid = from_hex("A0000002471001");

}  // namespace

TEST_CASE("sim: reader round trip: SELECT the docket application answers exactly 9000", "[transport][sim]") {
    TempDir dir;
    auto reader = open_reader(parse_reader("sim:" + (dir.path / "a.card").string()));
    CHECK(reader->wait_for_card(std::chrono::milliseconds(0)) == WaitResult::Ready);
    auto channel = reader->connect();
    CHECK(channel->description() == "sim:" + (dir.path / "a.card").string());
    const apdu::ResponseApdu r = channel->transmit(apdu::CommandApdu::select_aid(aid));
    CHECK(to_hex(r.encode()) == "9000");
    CHECK(std::filesystem::exists(dir.path / "a.card"));
    // The card announces extended length in its ATR (docs/card-protocol.md).
    CHECK(channel->capabilities().extended_length);
    CHECK(parse_atr(channel->atr()).extended_length);
}

TEST_CASE("sim: GET DATA card info of a new card reports BLANK", "[transport][sim]") {
    auto channel = std::make_unique<LinkChannel>(std::make_unique<SimLink>(applet::Card::in_memory(), "sim:memory"));
    REQUIRE(channel->transmit(apdu::CommandApdu::select_aid(aid)).ok());
    const apdu::ResponseApdu r = channel->transmit(apdu::CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256));
    CHECK(r.sw.value() == 0x9000);
    REQUIRE(r.data.size() >= 5);
    CHECK(r.data[0] == 0x66);
    CHECK(to_hex(ByteView(r.data).subspan(2, 3)) == "800101");
}

TEST_CASE("sim: a torn card is a communication error naming the command", "[transport][sim]") {
    applet::CardOptions options;
    options.tear_after = 1;
    auto channel =
        std::make_unique<LinkChannel>(std::make_unique<SimLink>(applet::Card::in_memory(options), "sim:memory"));
    try {
        channel->transmit(apdu::CommandApdu::select_aid(aid));
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Communication);
        CHECK_THAT(e.what(), Catch::StartsWith("card removed from the reader (torn) during SELECT on sim:memory."));
    }
}

TEST_CASE("sim:DIR/ gives a new card file at every connect", "[transport][sim]") {
    TempDir dir;
    auto reader = open_reader(parse_reader("sim:" + dir.path.string() + "/"));
    {
        auto c1 = reader->connect();
        CHECK(c1->transmit(apdu::CommandApdu::select_aid(aid)).ok());
    }
    auto c2 = reader->connect();
    CHECK(c2->description() == "sim:" + (dir.path / "card-000002.card").string());
    CHECK(std::filesystem::exists(dir.path / "card-000001.card"));
}
