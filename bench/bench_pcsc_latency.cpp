// bench_pcsc_latency: milliseconds per command through pcscd (not a test).
//
//   bench_pcsc_latency READER [COMMANDS=200]
//
// Connects to the PC/SC reader whose name contains READER (SCardConnect, T=1), sends COMMANDS
// SELECT commands of the eMRTD application (ISO/IEC 7816-4 SELECT by DF name, P2=0C: no response
// data; Doc 9303-10 4.2) one after the other with SCardTransmit, and prints the median, 10th and
// 90th percentile and mean of the round trip of each, in milliseconds. Every answer must be 9000
// (otherwise it stops with exit 1: a figure for failing commands means nothing).
// bench/pcsc_latency.sh runs it against docketcard-sim behind a private pcscd + vpcd, with and
// without TCP_QUICKACK; results in docs/performance.md.

#include <winscard.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

int fail(const char* what, LONG rc) {
    std::fprintf(stderr, "bench_pcsc_latency: %s: %s\n", what, pcsc_stringify_error(rc));
    return 1;
}

double percentile(const std::vector<double>& sorted, double p) {
    const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_pcsc_latency READER [COMMANDS=200]\n");
        return 2;
    }
    const std::string wanted = argv[1];
    const long n = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 200;
    if (n <= 0) {
        std::fprintf(stderr, "bench_pcsc_latency: COMMANDS must be a positive number\n");
        return 2;
    }

    SCARDCONTEXT ctx = 0;
    if (const LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx); rc != SCARD_S_SUCCESS)
        return fail("SCardEstablishContext", rc);
    DWORD len = 0;
    if (const LONG rc = SCardListReaders(ctx, nullptr, nullptr, &len); rc != SCARD_S_SUCCESS) return fail("SCardListReaders", rc);
    std::string names(len, '\0');
    if (const LONG rc = SCardListReaders(ctx, nullptr, names.data(), &len); rc != SCARD_S_SUCCESS)
        return fail("SCardListReaders", rc);
    std::string reader;
    for (const char* p = names.c_str(); *p; p += std::char_traits<char>::length(p) + 1) {
        if (std::string(p).find(wanted) != std::string::npos) {
            reader = p;
            break;
        }
    }
    if (reader.empty()) {
        std::fprintf(stderr, "bench_pcsc_latency: no reader name contains '%s'\n", wanted.c_str());
        return 1;
    }

    SCARDHANDLE card = 0;
    DWORD proto = 0;
    if (const LONG rc = SCardConnect(ctx, reader.c_str(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0, &card, &proto);
        rc != SCARD_S_SUCCESS)
        return fail("SCardConnect", rc);
    const SCARD_IO_REQUEST* pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;

    const unsigned char select[] = {0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};
    std::vector<double> ms;
    ms.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) {
        unsigned char resp[258];
        DWORD resp_len = sizeof resp;
        const auto t0 = std::chrono::steady_clock::now();
        const LONG rc = SCardTransmit(card, pci, select, sizeof select, nullptr, resp, &resp_len);
        const auto t1 = std::chrono::steady_clock::now();
        if (rc != SCARD_S_SUCCESS) return fail("SCardTransmit", rc);
        if (resp_len != 2 || resp[0] != 0x90 || resp[1] != 0x00) {
            std::fprintf(stderr, "bench_pcsc_latency: SELECT %ld answered %u bytes, not 9000\n", i + 1, static_cast<unsigned>(resp_len));
            return 1;
        }
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);

    double sum = 0;
    for (const double v : ms) sum += v;
    std::sort(ms.begin(), ms.end());
    std::printf("%ld SELECTs through pcscd to '%s': median %.3f ms, p10 %.3f, p90 %.3f, mean %.3f ms/command\n", n,
                reader.c_str(), percentile(ms, 0.5), percentile(ms, 0.1), percentile(ms, 0.9), sum / static_cast<double>(n));
    return 0;
}
