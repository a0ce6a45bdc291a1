// Release types: the snake_case names written in records (docs/records.md).
#include <string>

#include "docketcard/record/record.hpp"
#include "internal.hpp"

namespace docketcard::record {

namespace {
struct ReleaseName {
    ReleaseType type;
    const char* name;
};
constexpr ReleaseName kReleaseNames[] = {
    {ReleaseType::Parole, "parole"},
    {ReleaseType::Recognizance, "recognizance"},
    {ReleaseType::Bond, "bond"},
    {ReleaseType::AlternativesToDetention, "alternatives_to_detention"},
    {ReleaseType::OrderOfSupervision, "order_of_supervision"},
    {ReleaseType::ConditionalParole, "conditional_parole"},
};
}  // namespace

const char* to_string(ReleaseType t) noexcept {
    for (const auto& r : kReleaseNames)
        if (r.type == t) return r.name;
    return "unknown";
}

std::optional<ReleaseType> parse_release_type(std::string_view name) noexcept {
    for (const auto& r : kReleaseNames)
        if (name == r.name) return r.type;
    return std::nullopt;
}

const std::vector<ReleaseType>& all_release_types() {
    static const std::vector<ReleaseType> all = [] {
        std::vector<ReleaseType> v;
        for (const auto& r : kReleaseNames) v.push_back(r.type);
        return v;
    }();
    return all;
}

namespace detail {

std::string release_type_list() {
    std::string out;
    for (const auto& r : kReleaseNames) {
        if (!out.empty()) out += ", ";
        out += r.name;
    }
    return out;
}

}  // namespace detail
}  // namespace docketcard::record
