// Holder records: reading JSON / JSON Lines / CSV and validating every field (docs/records.md).
#include "docketcard/record/record.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "docketcard/record/csv.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::record {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Small value types

std::string Date::yymmdd() const {
    std::string out = fmt::format("{:02d}", year % 100);
    out += month == 0 ? "<<" : fmt::format("{:02d}", month);
    out += day == 0 ? "<<" : fmt::format("{:02d}", day);
    return out;
}

std::string Date::yyyymmdd() const { return fmt::format("{:04d}{:02d}{:02d}", year, month, day); }

std::string Date::iso() const {
    return fmt::format("{:04d}-{}-{}", year, month == 0 ? "XX" : fmt::format("{:02d}", month),
                       day == 0 ? "XX" : fmt::format("{:02d}", day));
}

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

std::string Problem::to_string() const {
    if (field.empty()) return fmt::format("{}:{}: {}", file, line, message);
    return fmt::format("{}:{}: {}: {}", file, line, field, message);
}

Date today_utc() {
    const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::chrono::year_month_day ymd{now};
    return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

std::optional<RecordFormat> format_from_extension(const std::filesystem::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".json") return RecordFormat::Json;
    if (ext == ".jsonl" || ext == ".ndjson") return RecordFormat::JsonLines;
    if (ext == ".csv") return RecordFormat::Csv;
    return std::nullopt;
}

namespace {

// ---------------------------------------------------------------------------------------------
// The schema

constexpr const char* kFields[] = {
    "document_number", "document_code", "issuing_state",  "surname",        "given_names",
    "sex",             "date_of_birth", "nationality",    "place_of_birth", "date_of_issue",
    "date_of_expiry",  "photo",         "a_number",       "card_access_number", "docket"};
constexpr const char* kDocketFields[] = {"court",          "case_number",      "next_hearing",
                                         "release_type",   "reporting_office", "check_in_interval_days",
                                         "conditions"};
constexpr std::size_t kMaxText = 100;
constexpr std::size_t kMaxConditions = 20;
constexpr std::size_t kMaxConditionText = 200;
constexpr int kMaxInterval = 365;

template <class Range>
std::string join_names(const Range& r) {
    std::string out;
    for (const char* n : r) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

std::string release_type_list() {
    std::string out;
    for (const auto& r : kReleaseNames) {
        if (!out.empty()) out += ", ";
        out += r.name;
    }
    return out;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = b;
        if (b < 0x80) { ++i; continue; }
        if ((b & 0xE0) == 0xC0) { extra = 1; cp = b & 0x1Fu; }
        else if ((b & 0xF0) == 0xE0) { extra = 2; cp = b & 0x0Fu; }
        else if ((b & 0xF8) == 0xF0) { extra = 3; cp = b & 0x07u; }
        else return false;
        if (i + extra >= s.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

// A value shown in a message: quoted, control characters escaped, cut after 40 characters.
std::string shown(std::string_view s) {
    std::string out = "\"";
    std::size_t count = 0;
    for (char c : s) {
        if (++count > 40) {
            out += "...";
            break;
        }
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7F) {
            out += fmt::format("\\x{:02X}", u);
        } else {
            out += c;
        }
    }
    return out + "\"";
}

const char* type_name(const json& v) {
    switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "true/false";
    case json::value_t::number_float: return "a number with a fraction";
    default: return "a number";
    }
}

int days_in_month(int y, int m) {
    static constexpr int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

int compare(const Date& a, const Date& b) {
    if (a.year != b.year) return a.year < b.year ? -1 : 1;
    if (a.month != b.month) return a.month < b.month ? -1 : 1;
    if (a.day != b.day) return a.day < b.day ? -1 : 1;
    return 0;
}

// Parses YYYY-MM-DD; with allow_unknown, also YYYY-MM-XX and YYYY-XX-XX (Doc 9303 Part 3, 4.6).
std::optional<Date> parse_date(std::string_view s, bool allow_unknown) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    const auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
    if (!all_digits(y)) return std::nullopt;
    Date date{to_int(y), 0, 0};
    if (date.year < 1900 || date.year > 2099) return std::nullopt;
    const bool m_unknown = m == "XX" || m == "xx";
    const bool d_unknown = d == "XX" || d == "xx";
    if ((m_unknown || d_unknown) && !allow_unknown) return std::nullopt;
    if (m_unknown) return d_unknown ? std::optional<Date>(date) : std::nullopt;
    if (!all_digits(m)) return std::nullopt;
    date.month = to_int(m);
    if (date.month < 1 || date.month > 12) return std::nullopt;
    if (d_unknown) return date;
    if (!all_digits(d)) return std::nullopt;
    date.day = to_int(d);
    if (date.day < 1 || date.day > days_in_month(date.year, date.month)) return std::nullopt;
    return date;
}

// ISO 8601 date-time with a UTC offset: YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM).
bool valid_date_time(std::string_view s) {
    if (s.size() < 17) return false;
    if (!parse_date(s.substr(0, 10), false) || (s[10] != 'T' && s[10] != 't')) return false;
    auto two = [&](std::size_t at, int max) {
        const auto p = s.substr(at, 2);
        return at + 2 <= s.size() && all_digits(p) && p.size() == 2 && to_int(p) <= max;
    };
    if (!two(11, 23) || s[13] != ':' || !two(14, 59)) return false;
    std::size_t k = 16;
    if (k < s.size() && s[k] == ':') {
        if (!two(17, 59)) return false;
        k = 19;
    }
    const auto zone = s.substr(k);
    if (zone == "Z" || zone == "z") return true;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') return false;
    return two(k + 1, 14) && two(k + 4, 59);
}

enum class PhotoKind { Jpeg, Jp2, J2k, Other };

PhotoKind photo_kind(ByteView b) {
    static constexpr std::uint8_t jp2[] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50,
                                           0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
    if (b.size() >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return PhotoKind::Jpeg;
    if (b.size() >= sizeof jp2 && std::equal(std::begin(jp2), std::end(jp2), b.begin()))
        return PhotoKind::Jp2;
    if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0x4F && b[2] == 0xFF && b[3] == 0x51)
        return PhotoKind::J2k;
    return PhotoKind::Other;
}

// ---------------------------------------------------------------------------------------------
// Validation of one record given as a JSON object

class Validator {
public:
    Validator(const std::string& file, int line, const std::filesystem::path& base_dir,
              const LoadOptions& options, bool text_values)
        : file_(file), line_(line), base_dir_(base_dir), options_(options), text_values_(text_values) {}

    void add(const std::string& field, const std::string& message) {
        problems_.push_back(Problem{file_, line_, field, message});
    }
    std::vector<Problem>& problems() { return problems_; }

    HolderRecord check(const json& obj) {
        HolderRecord r;
        r.source_file = file_;
        r.source_line = line_;
        if (!obj.is_object()) {
            add("", fmt::format("the record is {}, not an object; write one JSON object per record",
                                type_name(obj)));
            return r;
        }
        unknown_fields(obj, kFields, "", "accepted fields");

        if (auto v = text(obj, "document_number", true, "1-9 characters A-Z 0-9")) {
            r.document_number = *v;
            if (v->empty() || v->size() > 9 || !mrz_chars(*v))
                add("document_number", fmt::format("{} is not a document number; expected 1-9 "
                                                   "characters A-Z 0-9", shown(*v)));
        }
        r.document_code = options_.default_document_code;
        if (auto v = text(obj, "document_code", false, "1-2 letters A-Z, the first A, C or I")) {
            r.document_code = *v;
            const bool ok = !v->empty() && v->size() <= 2 && mrz_chars(*v) &&
                            ((*v)[0] == 'A' || (*v)[0] == 'C' || (*v)[0] == 'I') &&
                            (v->size() == 1 || ((*v)[1] >= 'A' && (*v)[1] <= 'Z'));
            if (!ok)
                add("document_code", fmt::format("{} is not a document code; expected 1-2 letters "
                                                 "A-Z, the first A, C or I (e.g. ID)", shown(*v)));
        }
        if (auto v = text(obj, "issuing_state", false, "an ICAO 3-letter code such as USA"))
            r.issuing_state = country("issuing_state", *v);
        if (auto v = text(obj, "surname", true, "the holder's surname (UTF-8)")) {
            r.surname = *v;
            name("surname", *v, true);
        }
        if (auto v = text(obj, "given_names", false, "the holder's given names (UTF-8)")) {
            r.given_names = *v;
            name("given_names", *v, false);
        }
        if (auto v = text(obj, "sex", true, "F, M or X")) {
            if (*v == "F" || *v == "M" || *v == "X")
                r.sex = (*v)[0];
            else
                add("sex", fmt::format("{} is not a sex marker; expected F, M or X", shown(*v)));
        }
        const Date today = options_.today.value_or(today_utc());
        constexpr const char* kDobForms = "YYYY-MM-DD, or YYYY-MM-XX / YYYY-XX-XX when the day or "
                                          "month is unknown";
        if (auto v = text(obj, "date_of_birth", true, kDobForms)) {
            if (auto d = parse_date(*v, true)) {
                r.date_of_birth = *d;
                if (compare(*d, today) > 0)
                    add("date_of_birth", fmt::format("{} is in the future; expected a date not after "
                                                     "today ({})", *v, today.iso()));
            } else {
                add("date_of_birth",
                    fmt::format("{} is not a date; expected {} (years 1900-2099)", shown(*v), kDobForms));
            }
        }
        if (auto v = text(obj, "nationality", true, "an ICAO 3-letter code such as MEX or XXA"))
            r.nationality = country("nationality", *v);
        if (auto v = text(obj, "place_of_birth", false, "a place name (UTF-8)")) {
            if (v->empty() || v->size() > kMaxText)
                add("place_of_birth", fmt::format("has {} bytes; expected 1-{} bytes of text, or no "
                                                  "place_of_birth field", v->size(), kMaxText));
            else
                r.place_of_birth = *v;
        }
        const auto issue = full_date(obj, "date_of_issue");
        const auto expiry = full_date(obj, "date_of_expiry");
        if (issue) {
            r.date_of_issue = *issue;
            if (compare(*issue, today) > 0)
                add("date_of_issue", fmt::format("{} is in the future; expected a date not after "
                                                 "today ({})", issue->iso(), today.iso()));
        }
        if (expiry) {
            r.date_of_expiry = *expiry;
            if (issue && compare(*expiry, *issue) <= 0)
                add("date_of_expiry", fmt::format("{} is not after date_of_issue {}; expected a "
                                                  "date after the date of issue",
                                                  expiry->iso(), issue->iso()));
        }
        if (auto v = text(obj, "photo", true, "the path of a JPEG or JPEG 2000 file")) photo(*v, r);
        if (auto v = text(obj, "a_number", true, "A followed by 8 or 9 digits, e.g. A123456789")) {
            const std::string_view s = *v;
            if (s.size() >= 9 && s.size() <= 10 && s[0] == 'A' && all_digits(s.substr(1)))
                r.a_number = std::string(10 - s.size(), '0') + std::string(s.substr(1));
            else
                add("a_number", fmt::format("{} is not an A-number; expected A followed by 8 or 9 "
                                            "digits, e.g. A123456789", shown(s)));
        }
        if (obj.contains("card_access_number") && !obj["card_access_number"].is_null()) {
            const json& v = obj["card_access_number"];
            // A secret: the value is never repeated in a message.
            if (!v.is_string())
                add("card_access_number", fmt::format("is {}, not a string; expected 6 digits in "
                                                      "quotes (the value is not shown)", type_name(v)));
            else if (const auto& s = v.get_ref<const std::string&>(); s.size() != 6 || !all_digits(s))
                add("card_access_number", "is not 6 digits; expected exactly 6 digits 0-9 (the value "
                                          "is not shown)");
            else
                r.card_access_number = SecureBytes(s.begin(), s.end());
        }
        docket(obj, r.docket);
        return r;
    }

private:
    static bool mrz_chars(std::string_view s) {
        return std::all_of(s.begin(), s.end(),
                           [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
    }

    template <class Range>
    void unknown_fields(const json& obj, const Range& accepted, const std::string& prefix,
                        const char* what) {
        for (const auto& item : obj.items()) {
            const bool known = std::any_of(std::begin(accepted), std::end(accepted),
                                           [&](const char* n) { return item.key() == n; });
            if (!known)
                add(prefix + item.key(),
                    fmt::format("unknown field; {}: {}", what, join_names(accepted)));
        }
    }

    // A string member; reports a missing required member or a wrong type. An optional member
    // given as "" is absent, as an empty CSV cell is (case-management exports write "" for
    // unknown values); a required one given as "" is returned for its check to refuse.
    std::optional<std::string> text(const json& obj, const char* key, bool required,
                                    const char* accepted, const std::string& prefix = "") {
        const std::string field = prefix + key;
        if (!obj.contains(key) || obj[key].is_null() ||
            (!required && obj[key].is_string() && obj[key].get_ref<const std::string&>().empty())) {
            if (required) add(field, fmt::format("missing; expected {}", accepted));
            return std::nullopt;
        }
        const json& v = obj[key];
        if (!v.is_string()) {
            add(field, fmt::format("is {}, not a string; expected {}", type_name(v), accepted));
            return std::nullopt;
        }
        return v.get<std::string>();
    }

    std::string country(const char* field, const std::string& v) {
        std::string code = v;
        if (code == "D") code = "D<<";
        if (code.size() != 3 || !is_icao_code(code))
            add(field, fmt::format("{} is not an ICAO country code; expected a 3-letter code of Doc "
                                   "9303 Part 3 (e.g. USA, MEX, D, XXA stateless, XXB refugee, XXX "
                                   "unspecified; docs/records.md lists them)", shown(v)));
        return code;
    }

    void name(const char* field, const std::string& v, bool required) {
        if (v.size() > kMaxText) {
            add(field, fmt::format("has {} bytes; expected at most {}", v.size(), kMaxText));
            return;
        }
        try {
            const std::string t = mrz::transliterate(v);
            if (t.empty() && (required || !v.empty()))
                add(field, fmt::format("{} has no letters; expected a name in Latin letters", shown(v)));
        } catch (const Error& e) {
            std::string msg = e.what();
            if (const auto at = msg.find("': "); at != std::string::npos) msg = msg.substr(at + 3);
            add(field, fmt::format("{}: {}", shown(v), msg));
        }
    }

    std::optional<Date> full_date(const json& obj, const char* field) {
        auto v = text(obj, field, true, "YYYY-MM-DD");
        if (!v) return std::nullopt;
        auto d = parse_date(*v, false);
        if (!d)
            add(field, fmt::format("{} is not a date; expected YYYY-MM-DD (a complete date, years "
                                   "1900-2099)", shown(*v)));
        return d;
    }

    void photo(const std::string& v, HolderRecord& r) {
        if (v.empty()) {
            add("photo", "is empty; expected the path of a JPEG or JPEG 2000 file");
            return;
        }
        std::filesystem::path p(v);
        if (p.is_relative()) p = base_dir_ / p;
        r.photo_path = p;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec)) {
            add("photo", fmt::format("{} does not exist or is not a file; expected the path of a JPEG "
                                     "or JPEG 2000 file, relative to the record file", p.string()));
            return;
        }
        const auto size = std::filesystem::file_size(p, ec);
        if (ec) {
            add("photo", fmt::format("{} cannot be read ({}); expected a readable file", p.string(),
                                     ec.message()));
            return;
        }
        if (size < options_.min_photo_bytes || size > options_.max_photo_bytes) {
            add("photo", fmt::format("{} has {} bytes; expected {}-{} bytes", p.string(), size,
                                     options_.min_photo_bytes, options_.max_photo_bytes));
            return;
        }
        std::ifstream in(p, std::ios::binary);
        Bytes bytes(static_cast<std::size_t>(size));
        if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
            add("photo", fmt::format("{} cannot be read; expected a readable file", p.string()));
            return;
        }
        if (photo_kind(bytes) == PhotoKind::Other) {
            add("photo", fmt::format("{} is neither JPEG nor JPEG 2000; expected a JPEG (starting "
                                     "FF D8 FF) or JPEG 2000 file (JP2 signature box or FF 4F FF 51 "
                                     "codestream)", p.string()));
            return;
        }
        r.photo = std::move(bytes);
    }

    std::optional<int> whole_number(const json& obj, const char* key, const std::string& field,
                                    const char* accepted) {
        if (!obj.contains(key) || obj[key].is_null()) {
            add(field, fmt::format("missing; expected {}", accepted));
            return std::nullopt;
        }
        const json& v = obj[key];
        if (text_values_ && v.is_string()) {
            const auto& s = v.get_ref<const std::string&>();
            if (all_digits(s) && s.size() <= 6) return to_int(s);
            add(field, fmt::format("{} is not a whole number; expected {}", shown(s), accepted));
            return std::nullopt;
        }
        if (v.is_number_integer()) {
            if (v.is_number_unsigned() ? v.get<std::uint64_t>() > 1000000u
                                       : (v.get<std::int64_t>() > 1000000 || v.get<std::int64_t>() < -1000000)) {
                add(field, fmt::format("{} is out of range; expected {}", v.dump(), accepted));
                return std::nullopt;
            }
            return static_cast<int>(v.get<std::int64_t>());
        }
        add(field, fmt::format("is {}, not a whole number; expected {}", type_name(v), accepted));
        return std::nullopt;
    }

    void docket_text(const json& d, const char* key, std::size_t max, std::string& out) {
        const std::string accepted = fmt::format("1-{} characters of text", max);
        if (auto v = text(d, key, true, accepted.c_str(), "docket.")) {
            if (v->empty() || v->size() > max)
                add(std::string("docket.") + key,
                    fmt::format("has {} bytes; expected {}", v->size(), accepted));
            else
                out = *v;
        }
    }

    void docket(const json& obj, Docket& out) {
        if (!obj.contains("docket") || obj["docket"].is_null()) {
            add("docket", fmt::format("missing; expected an object with the fields {}",
                                      join_names(kDocketFields)));
            return;
        }
        const json& d = obj["docket"];
        if (!d.is_object()) {
            add("docket", fmt::format("is {}, not an object; expected an object with the fields {}",
                                      type_name(d), join_names(kDocketFields)));
            return;
        }
        unknown_fields(d, kDocketFields, "docket.", "accepted docket fields");
        docket_text(d, "court", 32, out.court);
        docket_text(d, "case_number", 32, out.case_number);
        constexpr const char* kWhen = "an ISO 8601 date-time with offset, e.g. 2026-12-03T09:30:00-05:00";
        if (auto v = text(d, "next_hearing", true, kWhen, "docket.")) {
            if (valid_date_time(*v))
                out.next_hearing = *v;
            else
                add("docket.next_hearing", fmt::format("{} is not a date-time with offset; expected {}",
                                                       shown(*v), kWhen));
        }
        const std::string types = release_type_list();
        if (auto v = text(d, "release_type", true, types.c_str(), "docket.")) {
            if (auto t = parse_release_type(*v))
                out.release_type = *t;
            else
                add("docket.release_type",
                    fmt::format("{} is not a release type; expected one of {}", shown(*v), types));
        }
        docket_text(d, "reporting_office", 64, out.reporting_office);
        const std::string interval = fmt::format("a whole number of days 1-{}", kMaxInterval);
        if (auto n = whole_number(d, "check_in_interval_days", "docket.check_in_interval_days",
                                  interval.c_str())) {
            if (*n < 1 || *n > kMaxInterval)
                add("docket.check_in_interval_days", fmt::format("{} is out of range; expected {}", *n, interval));
            else
                out.check_in_interval_days = *n;
        }
        conditions(d, out.conditions);
    }

    void conditions(const json& d, std::vector<std::string>& out) {
        const std::string accepted = fmt::format(
            "a list of at most {} texts of 1-{} bytes each", kMaxConditions, kMaxConditionText);
        if (!d.contains("conditions") || d["conditions"].is_null()) return;
        const json& c = d["conditions"];
        if (!c.is_array()) {
            add("docket.conditions", fmt::format("is {}, not a list; expected {}", type_name(c), accepted));
            return;
        }
        if (c.size() > kMaxConditions) {
            add("docket.conditions", fmt::format("has {} entries; expected {}", c.size(), accepted));
            return;
        }
        for (std::size_t i = 0; i < c.size(); ++i) {
            const std::string field = fmt::format("docket.conditions[{}]", i);
            if (!c[i].is_string()) {
                add(field, fmt::format("is {}, not a string; expected {}", type_name(c[i]), accepted));
                continue;
            }
            const auto& s = c[i].get_ref<const std::string&>();
            if (s.empty() || s.size() > kMaxConditionText)
                add(field, fmt::format("has {} bytes; expected {}", s.size(), accepted));
            else
                out.push_back(s);
        }
    }

    const std::string& file_;
    int line_;
    const std::filesystem::path& base_dir_;
    const LoadOptions& options_;
    bool text_values_;
    std::vector<Problem> problems_;
};

// ---------------------------------------------------------------------------------------------
// Formats

struct Loader {
    const std::string& file;
    const std::filesystem::path& base_dir;
    const LoadOptions& options;
    LoadResult result;
    std::map<std::string, int> numbers;  // document number -> line of its first record

    void finish(Validator& v, HolderRecord&& r) {
        if (!r.document_number.empty()) {
            auto [it, fresh] = numbers.emplace(r.document_number, r.source_line);
            if (!fresh)
                v.add("document_number",
                      fmt::format("{} is also the document number of the record on line {}; expected "
                                  "a different number for each card", shown(r.document_number), it->second));
        }
        if (v.problems().empty()) {
            result.records.push_back(std::move(r));
        } else {
            result.rejected.push_back(
                Rejected{r.source_file, r.source_line, r.document_number, std::move(v.problems())});
        }
    }

    void add_json(const json& obj, int line, bool text_values = false,
                  std::vector<Problem> early = {}) {
        Validator v(file, line, base_dir, options, text_values);
        auto r = v.check(obj);
        auto& p = v.problems();
        p.insert(p.begin(), early.begin(), early.end());
        finish(v, std::move(r));
    }

    void syntax_error(int line, const std::string& what) {
        Validator v(file, line, base_dir, options, false);
        v.add("", what);
        HolderRecord r;
        r.source_file = file;
        r.source_line = line;
        finish(v, std::move(r));
    }
};

int line_of_offset(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string json_error(const json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...".
    std::string msg = e.what();
    if (const auto at = msg.find("] "); at != std::string::npos) msg = msg.substr(at + 2);
    return "not valid JSON (" + msg + "); expected one JSON object";
}

void load_json(std::string_view text, Loader& l) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return;  // an empty file has no records
    const int line = line_of_offset(text, first);
    try {
        l.add_json(json::parse(text.begin(), text.end()), line);
    } catch (const json::parse_error& e) {
        l.syntax_error(line_of_offset(text, e.byte == 0 ? 0 : e.byte - 1), json_error(e));
    }
}

void load_json_lines(std::string_view text, Loader& l) {
    int line = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        ++line;
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view one = text.substr(start, end - start);
        start = end + 1;
        if (one.find_first_not_of(" \t\r") == std::string_view::npos) {
            if (end == text.size()) break;
            continue;
        }
        try {
            l.add_json(json::parse(one.begin(), one.end()), line);
        } catch (const json::parse_error& e) {
            l.syntax_error(line, json_error(e));
        }
        if (end == text.size()) break;
    }
}

// CSV: one column per field; docket fields as docket.<name>; docket.conditions separated by `|`;
// an empty cell is an absent field.
void load_csv(std::string_view text, Loader& l) {
    std::vector<csv::Row> rows;
    try {
        rows = csv::parse(text);
    } catch (const ParseError& e) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: CSV {}", l.file, e.what()));
    }
    if (rows.empty()) return;
    const csv::Row& header = rows.front();
    std::set<std::string> seen;
    for (const auto& name : header.fields) {
        if (name.empty())
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header has an empty column name; expected field "
                                    "names such as document_number, docket.court",
                                    l.file, header.line));
        if (!seen.insert(name).second)
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}:{}: CSV header names the column {} twice; expected each "
                                    "field once", l.file, header.line, shown(name)));
    }
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const csv::Row& row = rows[r];
        std::vector<Problem> early;
        if (row.fields.size() != header.fields.size())
            early.push_back(Problem{l.file, row.line, "",
                                    fmt::format("has {} fields, the header has {}; expected one "
                                                "value per column (quote values with commas)",
                                                row.fields.size(), header.fields.size())});
        json obj = json::object();
        const std::size_t n = std::min(row.fields.size(), header.fields.size());
        for (std::size_t c = 0; c < n; ++c) {
            const std::string& name = header.fields[c];
            const std::string& cell = row.fields[c];
            if (cell.empty()) continue;
            if (!valid_utf8(cell)) {
                early.push_back(Problem{l.file, row.line, name, "is not valid UTF-8; expected UTF-8 text"});
                continue;
            }
            if (name.rfind("docket.", 0) == 0) {
                const std::string sub = name.substr(7);
                if (!obj.contains("docket") || !obj["docket"].is_object()) obj["docket"] = json::object();
                if (sub == "conditions") {
                    json list = json::array();
                    std::size_t s = 0;
                    for (;;) {
                        const auto bar = cell.find('|', s);
                        list.push_back(cell.substr(s, bar == std::string::npos ? std::string::npos : bar - s));
                        if (bar == std::string::npos) break;
                        s = bar + 1;
                    }
                    obj["docket"][sub] = std::move(list);
                } else {
                    obj["docket"][sub] = cell;
                }
            } else if (name == "docket") {
                early.push_back(Problem{l.file, row.line, "docket",
                                        "unknown column; expected docket fields as columns "
                                        "docket.court, docket.case_number, ..."});
            } else {
                obj[name] = cell;
            }
        }
        l.add_json(obj, row.line, true, std::move(early));
    }
}

}  // namespace

LoadResult parse_records(std::string_view text, RecordFormat format, const std::string& file_name,
                         const std::filesystem::path& base_dir, const LoadOptions& options) {
    Loader l{file_name, base_dir, options, {}, {}};
    switch (format) {
    case RecordFormat::Json: load_json(text, l); break;
    case RecordFormat::JsonLines: load_json_lines(text, l); break;
    case RecordFormat::Csv: load_csv(text, l); break;
    }
    return std::move(l.result);
}

LoadResult load_records(const std::filesystem::path& file, const LoadOptions& options) {
    const auto format = format_from_extension(file);
    if (!format)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: unknown record file type {}; expected .json, .jsonl or .csv",
                                file.string(), shown(file.extension().string())));
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: cannot open the record file", file.string()));
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad())
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot read the record file", file.string()));
    const std::string text = buf.str();
    return parse_records(text, *format, file.string(), file.parent_path(), options);
}

}  // namespace docketcard::record
