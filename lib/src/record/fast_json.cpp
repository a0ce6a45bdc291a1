// The JSON of record files read by simdjson, into the nlohmann::json document the validator
// reads (docs/records.md, docs/dependencies.md). nlohmann's parser stays the reference: whenever
// simdjson refuses a text, or reads a number nlohmann would read another way, parse_json_fast
// declines and the caller parses with nlohmann, so the records accepted, the values read and every
// syntax error message are the same as with nlohmann alone (tests/unit/record/test_fast_json.cpp,
// and the record_json fuzz target compares both on every input).
#include <simdjson.h>

#include "internal.hpp"

namespace docketcard::record::detail {

namespace {

using nlohmann::json;

// simdjson's DOM element as nlohmann's parser would have built it (RFC 8259 values):
//  - an object keeps the last of repeated keys (as nlohmann's std::map does);
//  - an integer is number_unsigned when not negative and number_integer when negative, as
//    nlohmann reads them ("-0" becomes 0, equal to nlohmann's signed 0: the validator reads values,
//    not the sign of zero); integers beyond 64 bits make simdjson fail (NUMBER_ERROR, BIGINT_ERROR),
//    where nlohmann reads a float: declined before we get here;
//  - a number with a fraction or exponent is a double, correctly rounded by both.
json convert(simdjson::dom::element e) {
    using Type = simdjson::dom::element_type;
    switch (e.type()) {
    case Type::OBJECT: {
        json out(json::value_t::object);
        auto& members = out.get_ref<json::object_t&>();
        for (auto [key, value] : simdjson::dom::object(e)) members.insert_or_assign(std::string(key), convert(value));
        return out;
    }
    case Type::ARRAY: {
        json out(json::value_t::array);
        auto& items = out.get_ref<json::array_t&>();
        for (simdjson::dom::element value : simdjson::dom::array(e)) items.push_back(convert(value));
        return out;
    }
    case Type::STRING: return json(std::string(std::string_view(e)));   // may hold U+0000: by length
    case Type::INT64: {
        const auto v = std::int64_t(e);
        return v >= 0 ? json(static_cast<std::uint64_t>(v)) : json(v);
    }
    case Type::UINT64: return json(std::uint64_t(e));
    case Type::DOUBLE: return json(double(e));
    case Type::BOOL: return json(bool(e));
    case Type::NULL_VALUE: return json(nullptr);
    }
    return json(nullptr);
}

}  // namespace

std::optional<json> parse_json_fast(std::string_view text) {
    // One parser a thread: it keeps its buffers from one record to the next.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    // realloc_if_needed: simdjson reads up to SIMDJSON_PADDING bytes past the end, so it copies
    // the text into its own padded buffer; a record is a few kilobytes.
    if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) return std::nullopt;
    return convert(root);
}

}  // namespace docketcard::record::detail
