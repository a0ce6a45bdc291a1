#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

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

namespace {

struct Failure {
    ErrorKind kind;
    std::string message;
};

Failure connect_failure(const std::string& reader_name, bool create_missing) {
    auto reader = open_reader(parse_reader(reader_name));
    ConnectOptions o;
    o.create_missing = create_missing;
    try {
        reader->connect(o);
    } catch (const Error& e) {
        return {e.kind(), e.what()};
    }
    FAIL("connect did not throw");
    return {ErrorKind::Internal, ""};
}

}  // namespace

TEST_CASE("sim:PATH without create_missing: a missing card file is 'no card', nothing is created",
          "[transport][sim]") {
    TempDir dir;
    const auto file = dir.path / "none.card";
    const auto f = connect_failure("sim:" + file.string(), false);
    CHECK(f.kind == ErrorKind::Communication);
    CHECK(f.message == "no card: sim card file " + file.string() + " does not exist");
    CHECK_FALSE(std::filesystem::exists(file));
    CHECK(std::filesystem::is_empty(dir.path));   // no lock file either

    // The default still creates a blank card (write, issue), which create_missing=false then opens.
    auto reader = open_reader(parse_reader("sim:" + file.string()));
    { CHECK(reader->connect()->transmit(apdu::CommandApdu::select_aid(aid)).ok()); }
    CHECK(std::filesystem::exists(file));
    ConnectOptions read_only;
    read_only.create_missing = false;
    CHECK(reader->connect(read_only)->transmit(apdu::CommandApdu::select_aid(aid)).ok());
}

TEST_CASE("sim:PATH in a missing folder is invalid input naming the folder", "[transport][sim]") {
    TempDir dir;
    const auto folder = dir.path / "nonexistent-dir";
    const auto file = folder / "x.card";
    for (bool create : {true, false}) {
        const auto f = connect_failure("sim:" + file.string(), create);
        CHECK(f.kind == ErrorKind::InvalidInput);
        CHECK(f.message == "the folder " + folder.string() + " of the sim card file " + file.string() + " does not exist");
    }
    CHECK_FALSE(std::filesystem::exists(folder));
    // A file where the folder should be.
    { std::ofstream(dir.path / "plain").put('x'); }
    const auto f = connect_failure("sim:" + (dir.path / "plain" / "x.card").string(), true);
    CHECK(f.kind == ErrorKind::InvalidInput);
    CHECK(f.message == "the folder " + (dir.path / "plain").string() + " of the sim card file " +
                           (dir.path / "plain" / "x.card").string() + " is not a folder");
}

TEST_CASE("sim:DIR/ without create_missing is a usage error and creates nothing", "[transport][sim]") {
    TempDir dir;
    const auto folder = dir.path / "cards";
    const auto f = connect_failure("sim:" + folder.string() + "/", false);
    CHECK(f.kind == ErrorKind::Usage);
    CHECK(f.message.find("inserts a new blank card on every connection") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(folder));
}

TEST_CASE("sim:PATH?link=PROFILE accounts each exchange on the link model", "[transport][sim][link]") {
    TempDir dir;
    const std::string path = (dir.path / "l.card").string();
    const ReaderSpec spec = parse_reader("sim:" + path + "?link=contact-312k");
    CHECK(spec.kind == ReaderSpec::Kind::SimFile);
    CHECK(spec.sim_path == path);
    REQUIRE(spec.link);
    CHECK(spec.link->name == "contact-312k");
    auto channel = open_reader(spec)->connect();
    REQUIRE(channel->link_projection() != nullptr);
    // SELECT by AID, 12 bytes, answered 90 00 and writing nothing: the hand computation of
    // tests/unit/base/test_link_model.cpp, 1.9152 ms.
    REQUIRE(to_hex(channel->transmit(apdu::CommandApdu::select_aid(aid)).encode()) == "9000");
    const auto& a = channel->link_projection()->account;
    CHECK(a.commands == 1);
    CHECK(a.bytes_out == 12);
    CHECK(a.bytes_in == 2);
    CHECK(a.pages_written == 0);
    CHECK(a.cost.total() == Approx(0.0019152));
    CHECK(projection_summary(*channel->link_projection()) ==
          "projected card time on contact-312k: 0.002 s for 1 commands (transfer 0.001 s, block gaps 0.000 s, chip "
          "0.001 s, 0 page writes 0.000 s)");

    // A folder reader takes the profile too; a reader without one has no projection.
    channel.reset();  // releases the card file
    CHECK(parse_reader("sim:" + dir.path.string() + "/?link=contactless-424k").kind == ReaderSpec::Kind::SimDir);
    CHECK(parse_reader("sim:" + dir.path.string() + "/?link=contactless-424k").sim_path == dir.path.string() + "/");
    CHECK(open_reader(parse_reader("sim:" + path))->connect()->link_projection() == nullptr);
    CHECK_THROWS_WITH(parse_reader("sim:" + path + "?link=usb"),
                      "reader 'sim:" + path + "?link=usb': unknown link profile 'usb'; the profiles are contact-9600, "
                      "contact-312k, contactless-424k, or the path of a profile file (docs/sim.md)");
}
