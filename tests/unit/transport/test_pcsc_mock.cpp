// A real PcscReader over a mock PC/SC service (PcscApi): connect settling after a card insertion
// or swap, and reader identity for --reader serial:VALUE.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <deque>
#include <map>

#include <PCSC/reader.h>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/transport/pcsc_api.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using namespace docketcard::transport;

namespace {

// One mock pcscd with the readers it lists. Every connect (shared or exclusive) takes the next
// scripted code (SCARD_S_SUCCESS once the script is used up); SCARD_SHARE_DIRECT connects always
// succeed. Every transmit takes the next scripted code.
struct MockPcsc {
    std::vector<std::string> readers{"Mock Reader 00 00"};
    std::map<std::string, std::string> serials;   // reader -> SCARD_ATTR_VENDOR_IFD_SERIAL_NO
    std::deque<LONG> connect_codes;
    std::deque<LONG> transmit_codes;
    int connects = 0, transmits = 0, disconnects = 0, handles_open = 0;
    std::map<SCARDHANDLE, std::string> handle_reader;
    SCARDHANDLE next_handle = 100;

    std::shared_ptr<const PcscApi> api() {
        auto a = std::make_shared<PcscApi>();
        a->establish_context = [](DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT ctx) { *ctx = 1; return LONG(SCARD_S_SUCCESS); };
        a->release_context = [](SCARDCONTEXT) { return LONG(SCARD_S_SUCCESS); };
        a->list_readers = [this](SCARDCONTEXT, LPCSTR, LPSTR buf, LPDWORD len) {
            std::string multi;
            for (const auto& r : readers) multi += r + '\0';
            multi += '\0';
            if (buf) std::memcpy(buf, multi.data(), std::min<std::size_t>(*len, multi.size()));
            *len = static_cast<DWORD>(multi.size());
            return LONG(SCARD_S_SUCCESS);
        };
        a->get_status_change = [](SCARDCONTEXT, DWORD, SCARD_READERSTATE* s, DWORD n) {
            for (DWORD i = 0; i < n; ++i) s[i].dwEventState = SCARD_STATE_PRESENT | SCARD_STATE_CHANGED;
            return LONG(SCARD_S_SUCCESS);
        };
        a->connect = [this](SCARDCONTEXT, LPCSTR reader, DWORD share, DWORD, LPSCARDHANDLE h, LPDWORD proto) {
            if (share != SCARD_SHARE_DIRECT) {
                ++connects;
                if (!connect_codes.empty()) {
                    const LONG rv = connect_codes.front();
                    connect_codes.pop_front();
                    if (rv != SCARD_S_SUCCESS) return rv;
                }
            }
            *h = next_handle++;
            *proto = share == SCARD_SHARE_DIRECT ? 0 : SCARD_PROTOCOL_T1;
            handle_reader[*h] = reader;
            ++handles_open;
            return LONG(SCARD_S_SUCCESS);
        };
        a->disconnect = [this](SCARDHANDLE, DWORD) { ++disconnects; --handles_open; return LONG(SCARD_S_SUCCESS); };
        a->begin_transaction = [](SCARDHANDLE) { return LONG(SCARD_S_SUCCESS); };
        a->end_transaction = [](SCARDHANDLE, DWORD) { return LONG(SCARD_S_SUCCESS); };
        a->status = [](SCARDHANDLE, LPSTR, LPDWORD, LPDWORD, LPDWORD, LPBYTE atr, LPDWORD atr_len) {
            const BYTE fixed[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
            std::memcpy(atr, fixed, sizeof fixed);
            *atr_len = sizeof fixed;
            return LONG(SCARD_S_SUCCESS);
        };
        a->transmit = [this](SCARDHANDLE, const SCARD_IO_REQUEST*, LPCBYTE, DWORD, SCARD_IO_REQUEST*, LPBYTE rx,
                             LPDWORD rx_len) {
            ++transmits;
            if (!transmit_codes.empty()) {
                const LONG rv = transmit_codes.front();
                transmit_codes.pop_front();
                if (rv != SCARD_S_SUCCESS) return rv;
            }
            rx[0] = 0x90;
            rx[1] = 0x00;
            *rx_len = 2;
            return LONG(SCARD_S_SUCCESS);
        };
        a->get_attrib = [this](SCARDHANDLE h, DWORD attr, LPBYTE buf, LPDWORD len) {
            const auto it = serials.find(handle_reader[h]);
            if (attr != SCARD_ATTR_VENDOR_IFD_SERIAL_NO || it == serials.end()) return LONG(SCARD_E_UNSUPPORTED_FEATURE);
            std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
            *len = static_cast<DWORD>(it->second.size() + 1);
            return LONG(SCARD_S_SUCCESS);
        };
        a->cancel = [](SCARDCONTEXT) { return LONG(SCARD_S_SUCCESS); };
        return a;
    }
};

const apdu::CommandApdu select_mf = apdu::CommandApdu::parse(from_hex("00A4000C023F00"));

}  // namespace

TEST_CASE("PC/SC connect rides out the settling window after an insertion, with each attempt traced",
          "[transport][pcsc][settle]") {
    MockPcsc pcsc;
    pcsc.connect_codes = {SCARD_E_NO_SMARTCARD, SCARD_W_UNPOWERED_CARD, SCARD_W_RESET_CARD, SCARD_W_REMOVED_CARD};
    auto reader = open_pcsc_reader(pcsc.api(), "Mock");
    std::vector<std::string> trace;
    ConnectOptions options;
    options.trace = [&](const std::string& line) { trace.push_back(line); };
    const auto t0 = std::chrono::steady_clock::now();
    auto channel = reader->connect(options);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(pcsc.connects == 5);
    CHECK(took >= std::chrono::milliseconds(400));
    REQUIRE(trace.size() == 5);
    CHECK(trace[0] == "connect: attempt 1 to reader 'Mock Reader 00 00' failed: SCARD_E_NO_SMARTCARD; trying again in 100 ms");
    CHECK(trace[1] == "connect: attempt 2 to reader 'Mock Reader 00 00' failed: SCARD_W_UNPOWERED_CARD; trying again in 100 ms");
    CHECK(trace[2] == "connect: attempt 3 to reader 'Mock Reader 00 00' failed: SCARD_W_RESET_CARD; trying again in 100 ms");
    CHECK(trace[3] == "connect: attempt 4 to reader 'Mock Reader 00 00' failed: SCARD_W_REMOVED_CARD; trying again in 100 ms");
    CHECK(trace[4].rfind("connect: reader 'Mock Reader 00 00' connected on attempt 5 after ", 0) == 0);
    CHECK(channel->transmit(select_mf).sw.value() == 0x9000);
    CHECK(pcsc.transmits == 1);
}

TEST_CASE("PC/SC connect gives up after the settle time and reports the last code", "[transport][pcsc][settle]") {
    MockPcsc pcsc;
    pcsc.connect_codes = std::deque<LONG>(50, SCARD_E_NO_SMARTCARD);
    auto reader = open_pcsc_reader(pcsc.api(), "0");
    ConnectOptions options;
    options.settle_time = std::chrono::milliseconds(350);
    try {
        reader->connect(options);
        FAIL("connect succeeded");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Communication);
        CHECK(std::string(e.what()) ==
              "connecting to the card in reader 'Mock Reader 00 00' failed: SCARD_E_NO_SMARTCARD (there is no card in "
              "the reader). Put a card on the reader and run the command again.");
    }
    CHECK(pcsc.connects == 4);   // at 0, 100, 200, 300 ms; a fifth would end after 350 ms
    CHECK(pcsc.handles_open == 0);
}

TEST_CASE("PC/SC connect does not retry other failures", "[transport][pcsc][settle]") {
    MockPcsc pcsc;
    pcsc.connect_codes = {SCARD_E_SHARING_VIOLATION};
    auto reader = open_pcsc_reader(pcsc.api(), "Mock Reader 00 00");
    CHECK_THROWS_WITH(reader->connect({}), Catch::Contains("SCARD_E_SHARING_VIOLATION"));
    CHECK(pcsc.connects == 1);
}

TEST_CASE("PC/SC: nothing is retried once a command went to the card", "[transport][pcsc][settle]") {
    MockPcsc pcsc;
    auto reader = open_pcsc_reader(pcsc.api(), "Mock");
    auto channel = reader->connect({});
    CHECK(channel->transmit(select_mf).sw.value() == 0x9000);
    pcsc.transmit_codes = {SCARD_W_RESET_CARD, SCARD_S_SUCCESS};
    CHECK_THROWS_WITH(channel->transmit(select_mf),
                      "sending SELECT to the card in reader 'Mock Reader 00 00' failed: SCARD_W_RESET_CARD (the card "
                      "was removed or reset, so its state is lost). Put the card back on the reader and run the same "
                      "command again.");
    CHECK(pcsc.transmits == 2);
    CHECK(pcsc.connects == 1);
}

TEST_CASE("PC/SC reader identity: listed, and selected with serial:VALUE", "[transport][pcsc][serial]") {
    MockPcsc pcsc;
    pcsc.readers = {"ACS ACR39U ICC Reader 00 00", "ACS ACR39U ICC Reader 01 00", "Virtual PCD 00 00"};
    pcsc.serials = {{"ACS ACR39U ICC Reader 00 00", "RR474-0012"}, {"ACS ACR39U ICC Reader 01 00", "RR474-0099"}};
    const auto list = list_pcsc_readers(pcsc.api());
    REQUIRE(list.size() == 3);
    CHECK(list[0].identity == "RR474-0012");
    CHECK(list[1].identity == "RR474-0099");
    CHECK(list[2].identity.empty());
    CHECK(pcsc.handles_open == 0);

    CHECK(open_pcsc_reader(pcsc.api(), "serial:RR474-0099")->name() == "ACS ACR39U ICC Reader 01 00");
    CHECK(open_pcsc_reader(pcsc.api(), "serial:RR474-0012")->name() == "ACS ACR39U ICC Reader 00 00");
    try {
        open_pcsc_reader(pcsc.api(), "serial:RR474-0");
        FAIL("a prefix of a serial selected a reader");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::Communication);
        CHECK(std::string(e.what()) ==
              "no PC/SC reader has the identity 'RR474-0'; the readers are:\n"
              "  0: ACS ACR39U ICC Reader 00 00  serial:RR474-0012\n"
              "  1: ACS ACR39U ICC Reader 01 00  serial:RR474-0099\n"
              "  2: Virtual PCD 00 00  (no identity)");
    }
}
