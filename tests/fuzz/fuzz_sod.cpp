// libFuzzer target: pki::parse_sod and pki::verify_sod (against keys-sample/csca.pem) over
// arbitrary bytes. parse_sod may only throw docketcard::Error; verify_sod promises never to throw
// for bad EF.SOD bytes (each problem is a failed check), so any exception from it is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "docketcard/pki/sod.hpp"
#include "docketcard/util/error.hpp"

namespace pki = docketcard::pki;
using docketcard::Bytes;
using docketcard::ByteView;

namespace {
const Bytes& csca_pem() {
    static const Bytes pem = [] {
        std::ifstream in(std::string(DOCKETCARD_SOURCE_DIR) + "/keys-sample/csca.pem", std::ios::binary);
        Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (bytes.empty()) {
            std::fprintf(stderr, "fuzz_sod: cannot read keys-sample/csca.pem\n");
            std::abort();
        }
        return bytes;
    }();
    return pem;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView ef(data, size);
    try {
        const auto sod = pki::parse_sod(ef);
        if (sod.cms_der.size() > size || sod.ds_certificate_der.size() > size) std::abort();
        (void)pki::certificate_subject(sod.ds_certificate_der);
    } catch (const docketcard::Error&) {
    }
    // Data groups as a verifier would supply them: DG1 of the sample holder's length, DG2 empty.
    const std::map<int, Bytes> dgs{{1, Bytes(95, 0x3C)}, {2, Bytes{}}};
    const std::time_t at = 1767225600;   // 2026-01-01T00:00:00Z
    try {
        const auto result = pki::verify_sod(ef, csca_pem(), dgs, at);
        if (result.checks.empty() || (result.sod.has_value() != result.checks.front().passed)) std::abort();
        (void)result.failures();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "verify_sod threw on outside bytes: %s\n", e.what());
        std::abort();
    }
    return 0;
}
