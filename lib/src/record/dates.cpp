// Record dates: the Date forms, today's date, and the date / date-time parsers of docs/records.md.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>

#include "docketcard/record/record.hpp"
#include "internal.hpp"

namespace docketcard::record {


namespace {

// `value` (not negative: a date's parts are read from digits) in decimal, zero-padded to `width`
// digits, as fmt's "{:0Nd}" without its format parsing: DG1, DG11, DG12 and DG13 write several
// dates for every record.
void append_padded(std::string& out, int value, int width) {
    char digits[16];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    const auto n = static_cast<int>(end - digits);
    if (n < width) out.append(static_cast<std::size_t>(width - n), '0');
    out.append(digits, end);
}

}  // namespace

std::string Date::yymmdd() const {
    std::string out;
    append_padded(out, year % 100, 2);
    if (month == 0) out += "<<"; else append_padded(out, month, 2);
    if (day == 0) out += "<<"; else append_padded(out, day, 2);
    return out;
}

std::string Date::yyyymmdd() const {
    std::string out;
    append_padded(out, year, 4);
    append_padded(out, month, 2);
    append_padded(out, day, 2);
    return out;
}

std::string Date::iso() const {
    std::string out;
    append_padded(out, year, 4);
    out += '-';
    if (month == 0) out += "XX"; else append_padded(out, month, 2);
    out += '-';
    if (day == 0) out += "XX"; else append_padded(out, day, 2);
    return out;
}

Date today_utc() {
    const auto now = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    const std::chrono::year_month_day ymd{now};
    return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

namespace detail {

namespace {
int days_in_month(int y, int m) {
    static constexpr int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}
}  // namespace

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

}  // namespace detail
}  // namespace docketcard::record
