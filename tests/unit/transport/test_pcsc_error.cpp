#include <catch2/catch.hpp>

#include <PCSC/winscard.h>

#include "docketcard/transport/pcsc_error.hpp"

using namespace docketcard;
using namespace docketcard::transport;

TEST_CASE("PC/SC codes map to typed errors with name, meaning and advice", "[transport][pcsc]") {
    const Error e = pcsc_error("connecting to the PC/SC service", SCARD_E_NO_SERVICE);
    CHECK(e.kind() == ErrorKind::Communication);
    CHECK(std::string(e.what()) ==
          "connecting to the PC/SC service failed: SCARD_E_NO_SERVICE (the PC/SC service (pcscd) is not running). "
          "Start the PC/SC service with `pcscd` (or `systemctl start pcscd.socket`); a sim:PATH reader needs no "
          "service.");
}

TEST_CASE("card removed, sharing violation, timeout, reader unavailable are Communication", "[transport][pcsc]") {
    struct Case {
        long code;
        const char* piece;
    };
    const Case cases[] = {
        {SCARD_W_REMOVED_CARD, "sending SELECT failed: SCARD_W_REMOVED_CARD (the card was removed from the reader)"},
        {SCARD_E_SHARING_VIOLATION, "SCARD_E_SHARING_VIOLATION (another program is using the reader or the card)"},
        {SCARD_E_TIMEOUT, "SCARD_E_TIMEOUT (the time allowed for the operation ran out)"},
        {SCARD_E_READER_UNAVAILABLE, "SCARD_E_READER_UNAVAILABLE (the reader is unavailable (unplugged or failed))"},
        {SCARD_E_NO_READERS_AVAILABLE, "SCARD_E_NO_READERS_AVAILABLE (no reader is connected)"},
        {SCARD_E_NO_SMARTCARD, "SCARD_E_NO_SMARTCARD (there is no card in the reader)"},
        {SCARD_W_RESET_CARD, "SCARD_W_RESET_CARD (the card was removed or reset"},
    };
    for (const auto& c : cases) {
        const Error e = pcsc_error("sending SELECT", c.code);
        CAPTURE(c.piece);
        CHECK(e.kind() == ErrorKind::Communication);
        CHECK_THAT(e.what(), Catch::Contains(c.piece));
    }
    CHECK_THAT(pcsc_error("x", SCARD_E_SHARING_VIOLATION).what(), Catch::Contains("Close the other program"));
}

TEST_CASE("API misuse maps to Internal; unknown codes show their value", "[transport][pcsc]") {
    CHECK(pcsc_error("x", SCARD_E_INVALID_PARAMETER).kind() == ErrorKind::Internal);
    CHECK(pcsc_error("x", SCARD_E_INSUFFICIENT_BUFFER).kind() == ErrorKind::Internal);
    const Error u = pcsc_error("listing the PC/SC readers", 0x80100099L);
    CHECK(u.kind() == ErrorKind::Communication);
    CHECK_THAT(u.what(), Catch::StartsWith("listing the PC/SC readers failed: unknown PC/SC code 0x80100099 ("));
}

TEST_CASE("check_pcsc throws only on failure", "[transport][pcsc]") {
    CHECK_NOTHROW(check_pcsc("x", SCARD_S_SUCCESS));
    CHECK_THROWS_AS(check_pcsc("x", SCARD_E_NO_SERVICE), Error);
}
