// Internal to the record area: what the record files share (dates, release type names, text
// helpers for messages, the validator of one record). Not installed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "docketcard/record/record.hpp"

namespace docketcard::record::detail {

// dates.cpp
bool all_digits(std::string_view s);
int to_int(std::string_view s);
int compare(const Date& a, const Date& b);
// Parses YYYY-MM-DD; with allow_unknown, also YYYY-MM-XX and YYYY-XX-XX (Doc 9303 Part 3, 4.6).
std::optional<Date> parse_date(std::string_view s, bool allow_unknown);
// ISO 8601 date-time with a UTC offset: YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM).
bool valid_date_time(std::string_view s);

// fast_json.cpp
// `text` (one JSON value) as nlohmann::json::parse reads it, by simdjson; std::nullopt when
// simdjson refuses it (a syntax error, or a number beyond 64 bits), for nlohmann to parse: its
// result or its error message is then the answer.
std::optional<nlohmann::json> parse_json_fast(std::string_view text);

// release_types.cpp
// Every release type name, comma separated, for messages.
std::string release_type_list();

// validator.cpp
bool valid_utf8(std::string_view s);
// A value shown in a message: quoted, control characters escaped, cut after 40 characters.
std::string shown(std::string_view s);

// Validation of one record given as a JSON object.
class Validator {
public:
    Validator(const std::string& file, int line, const std::filesystem::path& base_dir,
              const LoadOptions& options, bool text_values);

    void add(const std::string& field, const std::string& message);
    std::vector<Problem>& problems() { return problems_; }

    HolderRecord check(const nlohmann::json& obj);

private:
    static bool mrz_chars(std::string_view s);
    template <class Range>
    void unknown_fields(const nlohmann::json& obj, const Range& accepted, const std::string& prefix,
                        const char* what);
    // A string member; reports a missing required member or a wrong type. An optional member
    // given as "" is absent, as an empty CSV cell is (case-management exports write "" for
    // unknown values); a required one given as "" is returned for its check to refuse.
    std::optional<std::string> text(const nlohmann::json& obj, const char* key, bool required,
                                    const char* accepted, const std::string& prefix = "");
    std::string country(const char* field, const std::string& v);
    void name(const char* field, const std::string& v, bool required);
    std::optional<Date> full_date(const nlohmann::json& obj, const char* field, bool required,
                                  const std::string& prefix = "");
    // A text of 1-max bytes; reports missing (when required), a wrong type or a wrong length.
    std::optional<std::string> bounded_text(const nlohmann::json& obj, const char* key, bool required,
                                            std::size_t max, const std::string& prefix);
    const nlohmann::json* object(const nlohmann::json& obj, const char* key, const std::string& accepted);
    void background_check(const nlohmann::json& obj, const std::optional<Date>& date_of_issue,
                          const Date& today, BackgroundCheck& out);
    static bool form_number(std::string_view s);
    void documents(const nlohmann::json& obj, const Date& today, std::vector<ReleaseDocument>& out);
    void portal_reference(const nlohmann::json& obj, HolderRecord& r);
    void photo(const std::string& v, HolderRecord& r);
    std::optional<int> whole_number(const nlohmann::json& obj, const char* key,
                                    const std::string& field, const char* accepted);
    void docket_text(const nlohmann::json& d, const char* key, std::size_t max, std::string& out);
    void docket(const nlohmann::json& obj, Docket& out);
    void conditions(const nlohmann::json& d, std::vector<std::string>& out);

    const std::string& file_;
    int line_;
    const std::filesystem::path& base_dir_;
    const LoadOptions& options_;
    bool text_values_;
    std::vector<Problem> problems_;
};

}  // namespace docketcard::record::detail
