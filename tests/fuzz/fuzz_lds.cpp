// libFuzzer target: every LDS decoder of lds.hpp (EF.COM, DG1, DG2 with the image probe, DG11,
// DG12, DG13, DG15) over the same arbitrary bytes. Each decoder checks the outer tag first, so a
// real file reaches its own decoder deeply and the others stop early. What decodes must re-encode
// into bytes the decoder reads back the same way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "docketcard/lds/lds.hpp"
#include "docketcard/util/error.hpp"

namespace lds = docketcard::lds;
using docketcard::ByteView;

namespace {
template <typename F>
void guarded(F&& f) {
    try {
        f();
    } catch (const docketcard::Error&) {
        // Malformed input must end in a docketcard::Error, never in a crash or another exception.
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView ef(data, size);
    guarded([&] {
        const auto com = lds::decode_com(ef);
        for (int dg : com.data_groups)
            if (dg < 1 || dg > 16) std::abort();
        const auto again = lds::decode_com(lds::encode_com(com.data_groups));
        if (again.data_groups.size() > com.data_groups.size()) std::abort();
    });
    guarded([&] {
        const auto mrz = lds::decode_dg1(ef);
        if (mrz.size() != 90 && mrz.size() != 72 && mrz.size() != 88) std::abort();
        if (mrz.size() == 90 && lds::decode_dg1(lds::encode_dg1(mrz)) != mrz) std::abort();
    });
    guarded([&] {
        const auto face = lds::decode_dg2(ef);
        if (face.image.size() > size) std::abort();
        const auto props = lds::probe_image(face.image);
        (void)props;
    });
    guarded([&] { (void)lds::probe_image(ef); });
    guarded([&] {
        const auto dg11 = lds::decode_dg11(ef);
        if (dg11.full_name.size() > size) std::abort();
    });
    guarded([&] {
        const auto dg12 = lds::decode_dg12(ef);
        if (dg12.issuing_authority.size() + dg12.date_of_issue.size() + (dg12.endorsements ? dg12.endorsements->size() : 0) > size)
            std::abort();
    });
    guarded([&] {
        const auto dg13 = lds::decode_dg13(ef);
        const auto again = lds::decode_dg13(lds::encode_dg13(dg13));
        if (again.a_number != dg13.a_number || again.docket.case_number != dg13.docket.case_number ||
            again.docket.conditions != dg13.docket.conditions ||
            again.docket.check_in_interval_days != dg13.docket.check_in_interval_days ||
            again.version != dg13.version || again.documents != dg13.documents ||
            again.background_check_reference != dg13.background_check_reference ||
            again.portal_reference != dg13.portal_reference || dg13.documents.size() > 16)
            std::abort();
    });
    guarded([&] {
        const auto spki = lds::decode_dg15(ef);
        if (spki.size() > size) std::abort();
    });
    if (size >= 2) (void)lds::file_name(static_cast<std::uint16_t>(data[0] << 8 | data[1]));
    return 0;
}
