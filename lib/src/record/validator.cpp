// Validation of one holder record given as a JSON object (docs/records.md).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"
#include "internal.hpp"

namespace docketcard::record {

using nlohmann::json;

std::string Problem::to_string() const {
    if (field.empty()) return fmt::format("{}:{}: {}", file, line, message);
    return fmt::format("{}:{}: {}: {}", file, line, field, message);
}

namespace detail {

namespace {

// ---------------------------------------------------------------------------------------------
// The schema

// string_view: unknown_fields compares every key of every record against these (length first).
constexpr std::string_view kFields[] = {
    "document_number", "document_code", "issuing_state",  "surname",        "given_names",
    "sex",             "date_of_birth", "nationality",    "place_of_birth", "date_of_issue",
    "date_of_expiry",  "photo",         "a_number",       "card_access_number", "docket",
    "background_check", "documents",    "portal_reference"};
constexpr std::string_view kDocketFields[] = {"court",          "case_number",      "next_hearing",
                                         "release_type",   "reporting_office", "check_in_interval_days",
                                         "conditions"};
constexpr std::string_view kBackgroundCheckFields[] = {"reference", "cleared_on", "agency"};
constexpr std::string_view kDocumentFields[] = {"form", "title", "number", "issued_on", "expires_on", "issued_by"};
constexpr std::size_t kMaxText = 100;
constexpr std::size_t kMaxConditions = 20;
constexpr std::size_t kMaxConditionText = 200;
constexpr int kMaxInterval = 365;

template <class Range>
std::string join_names(const Range& r) {
    std::string out;
    for (std::string_view n : r) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

// The value of member `key` of an object, or nullptr when it is absent or null (a null field is
// an absent field). One lookup, without building a key string.
const json* member(const json& obj, const char* key) {
    const auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? nullptr : &*it;
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

}  // namespace

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

// ---------------------------------------------------------------------------------------------
// Validation of one record given as a JSON object
Validator::Validator(const std::string& file, int line, const std::filesystem::path& base_dir,
                     const LoadOptions& options, bool text_values)
    : file_(file), line_(line), base_dir_(base_dir), options_(options), text_values_(text_values) {}

void Validator::add(const std::string& field, const std::string& message) {
    problems_.push_back(Problem{file_, line_, field, message});
}

HolderRecord Validator::check(const json& obj) {
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
        if (v->empty() || v->size() > max_document_number_length || !mrz_chars(*v))
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
    const auto issue = full_date(obj, "date_of_issue", true);
    const auto expiry = full_date(obj, "date_of_expiry", true);
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
    if (const json* cv = member(obj, "card_access_number")) {
        const json& v = *cv;
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
    background_check(obj, issue, today, r.background_check);
    documents(obj, today, r.documents);
    portal_reference(obj, r);
    return r;
}

bool Validator::mrz_chars(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

template <class Range>
void Validator::unknown_fields(const json& obj, const Range& accepted, const std::string& prefix,
                               const char* what) {
    for (const auto& item : obj.items()) {
        const bool known = std::any_of(std::begin(accepted), std::end(accepted),
                                       [&](std::string_view n) { return item.key() == n; });
        if (!known)
            add(prefix + item.key(),
                fmt::format("unknown field; {}: {}", what, join_names(accepted)));
    }
}

std::optional<std::string> Validator::text(const json& obj, const char* key, bool required,
                                           const char* accepted, const std::string& prefix) {
    const json* v = member(obj, key);
    if (!v || (!required && v->is_string() && v->get_ref<const std::string&>().empty())) {
        if (required) add(prefix + key, fmt::format("missing; expected {}", accepted));
        return std::nullopt;
    }
    if (!v->is_string()) {
        add(prefix + key, fmt::format("is {}, not a string; expected {}", type_name(*v), accepted));
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::string Validator::country(const char* field, const std::string& v) {
    std::string code = v;
    if (code == "D") code = "D<<";
    if (code.size() != 3 || !is_icao_code(code))
        add(field, fmt::format("{} is not an ICAO country code; expected a 3-letter code of Doc "
                               "9303 Part 3 (e.g. USA, MEX, D, XXA stateless, XXB refugee, XXX "
                               "unspecified; docs/records.md lists them)", shown(v)));
    return code;
}

void Validator::name(const char* field, const std::string& v, bool required) {
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

std::optional<Date> Validator::full_date(const json& obj, const char* field, bool required,
                                         const std::string& prefix) {
    auto v = text(obj, field, required, "YYYY-MM-DD", prefix);
    if (!v) return std::nullopt;
    auto d = parse_date(*v, false);
    if (!d)
        add(prefix + field, fmt::format("{} is not a date; expected YYYY-MM-DD (a complete date, "
                                        "years 1900-2099)", shown(*v)));
    return d;
}

std::optional<std::string> Validator::bounded_text(const json& obj, const char* key, bool required,
                                                   std::size_t max, const std::string& prefix) {
    // "1-MAX bytes of text", for messages; made without fmt or the heap: every text field of every
    // record comes here.
    char accepted[48] = "1-";
    const auto digits = std::to_chars(accepted + 2, accepted + 24, max).ptr;
    std::memcpy(digits, " bytes of text", sizeof " bytes of text");
    auto v = text(obj, key, required, accepted, prefix);
    if (!v) return std::nullopt;
    if (v->empty() || v->size() > max) {
        add(prefix + key, fmt::format("has {} bytes; expected {}", v->size(), accepted));
        return std::nullopt;
    }
    return v;
}

// A member that must be an object; reports it missing (when required) or of another type.
const json* Validator::object(const json& obj, const char* key, const std::string& accepted) {
    const json* found = member(obj, key);
    if (!found) {
        add(key, fmt::format("missing; expected {}", accepted));
        return nullptr;
    }
    const json& v = *found;
    if (!v.is_object()) {
        add(key, fmt::format("is {}, not an object; expected {}", type_name(v), accepted));
        return nullptr;
    }
    return &v;
}

void Validator::background_check(const json& obj, const std::optional<Date>& date_of_issue,
                                 const Date& today, BackgroundCheck& out) {
    const std::string accepted = fmt::format("an object with the fields {} (the national-security "
                                             "check the card is issued on)",
                                             join_names(kBackgroundCheckFields));
    const json* b = object(obj, "background_check", accepted);
    if (!b) return;
    const std::string prefix = "background_check.";
    unknown_fields(*b, kBackgroundCheckFields, prefix, "accepted background_check fields");
    constexpr const char* kReference = "1-32 characters A-Z a-z 0-9 - / .";
    if (auto v = text(*b, "reference", true, kReference, prefix)) {
        const bool ok = !v->empty() && v->size() <= max_check_reference_length &&
                        std::all_of(v->begin(), v->end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '/' || c == '.';
                        });
        if (ok)
            out.reference = *v;
        else
            add(prefix + "reference",
                fmt::format("{} is not a check reference; expected {}", shown(*v), kReference));
    }
    if (auto d = full_date(*b, "cleared_on", true, prefix)) {
        out.cleared_on = *d;
        if (compare(*d, today) > 0)
            add(prefix + "cleared_on", fmt::format("{} is in the future; expected the date the "
                                                   "check cleared, not after today ({})",
                                                   d->iso(), today.iso()));
        else if (date_of_issue && compare(*d, *date_of_issue) > 0)
            add(prefix + "cleared_on",
                fmt::format("{} is after date_of_issue {}; expected a check cleared on or before "
                            "the date of issue", d->iso(), date_of_issue->iso()));
    }
    if (auto v = bounded_text(*b, "agency", true, 64, prefix)) out.agency = *v;
}

bool Validator::form_number(std::string_view s) {
    // "I-" or "G-", 2-4 digits, an optional letter: I-220A, I-94, G-56.
    if (s.size() < 4 || (s[0] != 'I' && s[0] != 'G') || s[1] != '-') return false;
    std::size_t digits = 0;
    while (2 + digits < s.size() && s[2 + digits] >= '0' && s[2 + digits] <= '9') ++digits;
    const std::size_t rest = s.size() - 2 - digits;
    return digits >= 2 && digits <= 4 && (rest == 0 || (rest == 1 && s.back() >= 'A' && s.back() <= 'Z'));
}

void Validator::documents(const json& obj, const Date& today, std::vector<ReleaseDocument>& out) {
    const json* found = member(obj, "documents");
    const auto accepted = [] {
        return fmt::format("a list of 1-{} documents, each an object with form, title, number, issued_on and "
                           "optional expires_on, issued_by", max_documents);
    };
    if (!found) {
        add("documents", fmt::format("missing; expected {} (the papers this card stands in for)", accepted()));
        return;
    }
    const json& list = *found;
    if (!list.is_array()) {
        add("documents", fmt::format("is {}, not a list; expected {}", type_name(list), accepted()));
        return;
    }
    if (list.empty() || list.size() > max_documents) {
        add("documents", fmt::format("has {} entries; expected {}", list.size(), accepted()));
        return;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        // Named as the input names it: documents[0].form in JSON, documents.1.form in CSV.
        const std::string prefix = text_values_ ? fmt::format("documents.{}.", i + 1)
                                                : fmt::format("documents[{}].", i);
        const json& d = list[i];
        if (!d.is_object()) {
            add(prefix.substr(0, prefix.size() - 1),
                fmt::format("is {}, not an object; expected an object with form, title, number, "
                            "issued_on and optional expires_on, issued_by", type_name(d)));
            continue;
        }
        unknown_fields(d, kDocumentFields, prefix, "accepted document fields");
        ReleaseDocument doc;
        constexpr const char* kForm = "I- or G- followed by 2-4 digits and an optional letter (e.g. I-220A, G-56)";
        if (auto v = text(d, "form", true, kForm, prefix)) {
            if (form_number(*v))
                doc.form = *v;
            else
                add(prefix + "form", fmt::format("{} is not a form number; expected {}", shown(*v), kForm));
        }
        if (auto v = bounded_text(d, "title", true, 80, prefix)) doc.title = *v;
        if (auto v = bounded_text(d, "number", true, 32, prefix)) doc.number = *v;
        const auto issued = full_date(d, "issued_on", true, prefix);
        if (issued) {
            doc.issued_on = *issued;
            if (compare(*issued, today) > 0)
                add(prefix + "issued_on", fmt::format("{} is in the future; expected a date not "
                                                      "after today ({})", issued->iso(), today.iso()));
        }
        if (auto e = full_date(d, "expires_on", false, prefix)) {
            doc.expires_on = *e;
            if (issued && compare(*e, *issued) <= 0)
                add(prefix + "expires_on", fmt::format("{} is not after issued_on {}; expected a "
                                                       "date after the date of issue, or no "
                                                       "expires_on", e->iso(), issued->iso()));
        }
        if (auto v = bounded_text(d, "issued_by", false, 64, prefix)) doc.issued_by = *v;
        out.push_back(std::move(doc));
    }
}

void Validator::portal_reference(const json& obj, HolderRecord& r) {
    const json* found = member(obj, "portal_reference");
    if (!found) return;
    const json& v = *found;
    // A credential: the value is never repeated in a message.
    if (!v.is_string()) {
        add("portal_reference", fmt::format("is {}, not a string; expected 8-32 letters and digits "
                                            "(the value is not shown)", type_name(v)));
        return;
    }
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty()) return;   // "" is absent, as for every optional text field
    const bool ok = s.size() >= 8 && s.size() <= 32 &&
                    std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
    if (!ok) {
        add("portal_reference", fmt::format("has {} characters, not 8-32 letters and digits; expected "
                                            "8-32 characters A-Z a-z 0-9 (the value is not shown)", s.size()));
        return;
    }
    r.portal_reference = SecureBytes(s.begin(), s.end());
}

void Validator::photo(const std::string& v, HolderRecord& r) {
    if (v.empty()) {
        add("photo", "is empty; expected the path of a JPEG or JPEG 2000 file");
        return;
    }
    std::filesystem::path p(v);
    if (p.is_relative()) p = base_dir_ / p;
    r.photo_path = p;
    // One open and one fstat (this runs for every record of a batch); the messages are those of a
    // missing, unreadable, or wrongly sized file.
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        if (fd < 0 && err != ENOENT && err != ENOTDIR && err != ELOOP && err != ENAMETOOLONG) {
            add("photo", fmt::format("{} cannot be read; expected a readable file", p.string()));
            return;
        }
        add("photo", fmt::format("{} does not exist or is not a file; expected the path of a JPEG "
                                 "or JPEG 2000 file, relative to the record file", p.string()));
        return;
    }
    const auto size = static_cast<std::uintmax_t>(st.st_size);
    if (size < options_.min_photo_bytes || size > options_.max_photo_bytes) {
        ::close(fd);
        add("photo", fmt::format("{} has {} bytes; expected {}-{} bytes", p.string(), size,
                                 options_.min_photo_bytes, options_.max_photo_bytes));
        return;
    }
    Bytes bytes(static_cast<std::size_t>(size));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != bytes.size()) {
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

std::optional<int> Validator::whole_number(const json& obj, const char* key,
                                           const std::string& field, const char* accepted) {
    const json* found = member(obj, key);
    if (!found) {
        add(field, fmt::format("missing; expected {}", accepted));
        return std::nullopt;
    }
    const json& v = *found;
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

void Validator::docket_text(const json& d, const char* key, std::size_t max, std::string& out) {
    const std::string accepted = fmt::format("1-{} characters of text", max);
    if (auto v = text(d, key, true, accepted.c_str(), "docket.")) {
        if (v->empty() || v->size() > max)
            add(std::string("docket.") + key,
                fmt::format("has {} bytes; expected {}", v->size(), accepted));
        else
            out = *v;
    }
}

void Validator::docket(const json& obj, Docket& out) {
    const json* found = member(obj, "docket");
    if (!found) {
        add("docket", fmt::format("missing; expected an object with the fields {}",
                                  join_names(kDocketFields)));
        return;
    }
    const json& d = *found;
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

void Validator::conditions(const json& d, std::vector<std::string>& out) {
    const json* found = member(d, "conditions");
    if (!found) return;
    const json& c = *found;
    const std::string accepted = fmt::format(
        "a list of at most {} texts of 1-{} bytes each", kMaxConditions, kMaxConditionText);
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


}  // namespace detail
}  // namespace docketcard::record
