// libFuzzer target: the JSON and JSON Lines record loaders over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    docketcard::record::LoadOptions options;
    options.today = docketcard::record::Date{2026, 11, 26};
    for (auto format : {docketcard::record::RecordFormat::Json, docketcard::record::RecordFormat::JsonLines}) {
        try {
            const auto result =
                docketcard::record::parse_records(text, format, "fuzz.jsonl", "/nonexistent-fuzz-dir", options);
            for (const auto& rejected : result.rejected) {
                if (rejected.problems.empty()) std::abort();
                for (const auto& p : rejected.problems) (void)p.to_string();
            }
        } catch (const docketcard::Error&) {
        }
    }
    return 0;
}
