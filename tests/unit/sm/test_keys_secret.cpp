// A key file with key material on the wrong side of '=' must not put the key into the error
// message (found by tests/fuzz/fuzz_keys.cpp).
#include <catch2/catch.hpp>

#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

TEST_CASE("an unknown key-file field that may be key material is never echoed", "[scp03][keys]") {
    const std::string key = "7124F7D7777924AA0DE548FB63F5DBB117DF31AFB9F386C5D6CB82DFFD1AC3E6";
    for (const std::string& text : {"kvn=30\n" + key + "=enc\n", "kvn=30\nenc " + key.substr(0, 32) + " = x\n"}) {
        try {
            sm::parse_scp03_master_keys(text, "k/scp03-master.txt");
            FAIL("accepted");
        } catch (const Error& e) {
            const std::string msg = e.what();
            CHECK(e.kind() == ErrorKind::InvalidInput);
            CHECK(msg.find(key.substr(0, 16)) == std::string::npos);
            CHECK(msg.rfind("k/scp03-master.txt, line 2: unknown field of ", 0) == 0);
        }
    }
}
