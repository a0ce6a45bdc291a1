// libFuzzer target: the RFC 4180 reader and the CSV record loader over arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "docketcard/record/csv.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto rows = docketcard::record::csv::parse(text);
        int last = 0;
        for (const auto& row : rows) {
            if (row.line <= last || row.fields.empty()) std::abort();
            last = row.line;
        }
    } catch (const docketcard::Error&) {
    }
    docketcard::record::LoadOptions options;
    options.today = docketcard::record::Date{2026, 11, 26};
    try {
        const auto result = docketcard::record::parse_records(
            text, docketcard::record::RecordFormat::Csv, "fuzz.csv", "/nonexistent-fuzz-dir", options);
        for (const auto& rejected : result.rejected) {
            if (rejected.problems.empty()) std::abort();
            for (const auto& p : rejected.problems) (void)p.to_string();
        }
    } catch (const docketcard::Error&) {
    }
    return 0;
}
