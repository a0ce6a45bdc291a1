#include <catch2/catch.hpp>

#include "docketcard/transport/reader.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using namespace docketcard::transport;

namespace {
const std::vector<std::string> readers{"Virtual PCD 00 00", "Virtual PCD 00 01", "ACS ACR39U ICC Reader 00 00"};

ErrorKind kind_of(const std::vector<std::string>& list, const char* choice, std::string& message) {
    try {
        select_reader(list, choice);
    } catch (const Error& e) {
        message = e.what();
        return e.kind();
    }
    FAIL("expected an error");
    return ErrorKind::Internal;
}
}  // namespace

TEST_CASE("select_reader: exact name, index, unique substring", "[transport][select]") {
    CHECK(select_reader(readers, "Virtual PCD 00 01") == "Virtual PCD 00 01");
    CHECK(select_reader(readers, "0") == "Virtual PCD 00 00");
    CHECK(select_reader(readers, "2") == "ACS ACR39U ICC Reader 00 00");
    CHECK(select_reader(readers, "ACR39") == "ACS ACR39U ICC Reader 00 00");
    CHECK(select_reader(readers, "PCD 00 01") == "Virtual PCD 00 01");
    CHECK(select_reader({"Only"}, "") == "Only");
}

TEST_CASE("select_reader: an exact name wins over an index-looking substring", "[transport][select]") {
    CHECK(select_reader({"Reader 1", "1"}, "1") == "1");
}

TEST_CASE("select_reader: ambiguous choice is a usage error listing the readers", "[transport][select]") {
    std::string msg;
    CHECK(kind_of(readers, "Virtual", msg) == ErrorKind::Usage);
    CHECK(msg ==
          "reader 'Virtual' is ambiguous: it matches 2 readers; give more of the name or an index:\n"
          "  0: Virtual PCD 00 00\n  1: Virtual PCD 00 01\n  2: ACS ACR39U ICC Reader 00 00");
    CHECK(kind_of(readers, "", msg) == ErrorKind::Usage);
    CHECK_THAT(msg, Catch::StartsWith("3 PC/SC readers are connected; choose one with --reader"));
}

TEST_CASE("select_reader: absent reader or index is a communication error listing the readers",
          "[transport][select]") {
    std::string msg;
    CHECK(kind_of(readers, "Gemalto", msg) == ErrorKind::Communication);
    CHECK_THAT(msg, Catch::StartsWith("no PC/SC reader matches 'Gemalto'; the readers are:\n  0: Virtual PCD 00 00"));
    CHECK(kind_of(readers, "7", msg) == ErrorKind::Communication);
    CHECK_THAT(msg, Catch::StartsWith("there is no PC/SC reader with index 7"));
    CHECK(kind_of({}, "", msg) == ErrorKind::Communication);
    CHECK_THAT(msg, Catch::StartsWith("no PC/SC reader is connected") && Catch::Contains("sim:PATH"));
}

TEST_CASE("parse_reader: PC/SC names, sim:PATH and sim:DIR/", "[transport][select]") {
    const ReaderSpec p = parse_reader("Virtual PCD 00 00");
    CHECK(p.kind == ReaderSpec::Kind::Pcsc);
    CHECK(p.pcsc_choice == "Virtual PCD 00 00");
    const ReaderSpec f = parse_reader("sim:/tmp/a.card");
    CHECK(f.kind == ReaderSpec::Kind::SimFile);
    CHECK(f.sim_path == "/tmp/a.card");
    const ReaderSpec d = parse_reader("sim:cards/");
    CHECK(d.kind == ReaderSpec::Kind::SimDir);
    CHECK(d.text == "sim:cards/");
    try {
        parse_reader("sim:");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Usage);
    }
}
