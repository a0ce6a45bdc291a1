// libFuzzer target: lds::parse_security_infos, the parser of EF.CardAccess (read in the clear,
// before any authentication: the most exposed parser of the terminal), and lds::parse_dg14 (the
// same SecurityInfos with Chip Authentication keys, read before EF.SOD has vouched for them).
// What parses must describe only what the bytes hold; anything but a docketcard::Error escaping is
// a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "docketcard/lds/security_infos.hpp"
#include "docketcard/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto infos = docketcard::lds::parse_security_infos(docketcard::ByteView(data, size), "EF.CardAccess");
        if (infos.pace.size() + infos.other_oids.size() > size / 4) std::abort();   // each needs 30 L 06 L x
        for (const auto& p : infos.pace) {
            if (p.usable()) (void)p.domain();
            if (p.version < 0 || (p.parameter_id && *p.parameter_id < 0)) std::abort();
        }
    } catch (const docketcard::Error&) {
    }
    try {
        // DG14: the same SET inside 6E, with ChipAuthenticationInfo and ChipAuthenticationPublicKeyInfo.
        const auto dg14 = docketcard::lds::parse_dg14(docketcard::ByteView(data, size));
        for (const auto& k : dg14.chip_auth_keys)
            if (k.public_point.size() > size) std::abort();
    } catch (const docketcard::Error&) {
    }
    return 0;
}
