// libFuzzer target: the JSON and JSON Lines record loaders over arbitrary bytes, and the simdjson
// reader of records against nlohmann's parser (lib/src/record/fast_json.cpp): whenever the fast
// reader gives a document, nlohmann must give the same one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"
#include "internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto fast = docketcard::record::detail::parse_json_fast(text)) {
        nlohmann::json reference;
        try {
            reference = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception&) {
            std::abort();   // the fast reader accepted what nlohmann refuses
        }
        if (*fast != reference || fast->dump() != reference.dump()) std::abort();
    }
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
