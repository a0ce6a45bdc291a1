// TD1 MRZ formatting (ICAO Doc 9303 Part 3 and Part 5).
#include "docketcard/record/mrz.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "docketcard/util/error.hpp"

namespace docketcard::mrz {
namespace {

[[noreturn]] void invalid(const std::string& msg) { throw Error(ErrorKind::InvalidInput, msg); }

int char_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c == '<') return 0;
    invalid(fmt::format("MRZ: character '{}' is not allowed; use 0-9, A-Z or <", c));
}

bool is_mrz_text(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<')) return false;
    return true;
}

// Decodes one UTF-8 code point at `i`; nullopt on a malformed or overlong sequence.
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int extra = 0;
    char32_t cp = 0;
    if (b0 < 0x80) { ++i; return b0; }
    if ((b0 & 0xE0) == 0xC0) { extra = 1; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { extra = 2; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { extra = 3; cp = b0 & 0x07; }
    else return std::nullopt;
    if (i + static_cast<std::size_t>(extra) >= s.size()) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
        const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

// Doc 9303 Part 3, section 6 (Table of transliterations for Latin-based characters): the
// recommended transliteration of each letter; letters not listed here map to their base letter.
struct Translit {
    char32_t cp;
    const char* mrz;
};
constexpr Translit kSpecial[] = {
    {U'Ä', "AE"}, {U'ä', "AE"}, {U'Å', "AA"}, {U'å', "AA"}, {U'Æ', "AE"}, {U'æ', "AE"},
    {U'Ö', "OE"}, {U'ö', "OE"}, {U'Ø', "OE"}, {U'ø', "OE"}, {U'Ü', "UE"}, {U'ü', "UE"},
    {U'ß', "SS"}, {U'Þ', "TH"}, {U'þ', "TH"}, {U'Ĳ', "IJ"}, {U'ĳ', "IJ"}, {U'Œ', "OE"},
    {U'œ', "OE"}, {U'Ð', "D"},  {U'ð', "D"},  {U'Đ', "D"},  {U'đ', "D"},  {U'Ħ', "H"},
    {U'ħ', "H"},  {U'ı', "I"},  {U'Ŀ', "L"},  {U'ŀ', "L"},  {U'Ł', "L"},  {U'ł', "L"},
    {U'Ŋ', "N"},  {U'ŋ', "N"},  {U'ĸ', "K"},  {U'ŉ', "N"},  {U'Ŧ', "T"},  {U'ŧ', "T"},
    {U'ſ', "S"},  {U'ẞ', "SS"}, {U'Ǆ', "DZ"}, {U'ǅ', "DZ"}, {U'ǆ', "DZ"}, {U'Ǳ', "DZ"},
    {U'ǲ', "DZ"}, {U'ǳ', "DZ"}, {U'Ǉ', "LJ"}, {U'ǈ', "LJ"}, {U'ǉ', "LJ"}, {U'Ǌ', "NJ"},
    {U'ǋ', "NJ"}, {U'ǌ', "NJ"},
};

// Base letters of U+00C0..U+00FF (Latin-1 Supplement); '.' = not a letter handled here.
constexpr std::string_view kLatin1 =
    "AAAAAAACEEEEIIII" "DNOOOOO.OUUUUYTS"   // C0-DF
    "AAAAAAACEEEEIIII" "DNOOOOO.OUUUUYTY";  // E0-FF
// Base letters of U+0100..U+017F (Latin Extended-A); '.' = listed in kSpecial.
constexpr std::string_view kLatinExtA =
    "AAAAAACCCCCCCCDD..EEEEEEEEEEGGGGGGGGHH..IIIIIIIIII..JJKK.LLLLLL....NNNNNN...OOOOOO..RRRRRRSSSSSSSSTTTT..UUUUUUUUUUUUWWYYYZZZZZZS";
static_assert(kLatinExtA.size() == 0x80);
// Base letters of U+0180..U+024F (Latin Extended-B) and U+1E00..U+1EFF (Latin Extended Additional,
// e.g. Vietnamese), derived from the Unicode compatibility decompositions.
constexpr std::string_view kLatinExtB =
    "................................OO.............UU..............."
    ".............AAIIOOUUUUUUUUUU.AAAA....GGKKOOOO..J...GG..NNAA...."
    "AAAAEEEEIIIIOOOORRRRUUUUSSTT..HH......AAEEOOOOOOOOYY............"
    "................";
static_assert(kLatinExtB.size() == 0xD0);
constexpr std::string_view kLatinExtAdditional =
    "AABBBBBBCCDDDDDDDDDDEEEEEEEEEEFFGGHHHHHHHHHHIIIIKKKKKKLLLLLLLLMM"
    "MMMMNNNNNNNNOOOOOOOOPPPPRRRRRRRRSSSSSSSSSSTTTTTTTTUUUUUUUUUUVVVV"
    "WWWWWWWWWWXXXXYYZZZZZZHTWY.S....AAAAAAAAAAAAAAAAAAAAAAAAEEEEEEEE"
    "EEEEEEEEIIIIOOOOOOOOOOOOOOOOOOOOOOOOUUUUUUUUUUUUUUYYYYYYYY......";
static_assert(kLatinExtAdditional.size() == 0x100);

std::optional<std::string> transliterate_letter(char32_t cp) {
    for (const auto& t : kSpecial)
        if (t.cp == cp) return std::string(t.mrz);
    if (cp >= 0xC0 && cp <= 0xFF) {
        const char c = kLatin1[cp - 0xC0];
        if (c != '.') return std::string(1, c);
    }
    if (cp >= 0x100 && cp <= 0x17F) {
        const char c = kLatinExtA[cp - 0x100];
        if (c != '.') return std::string(1, c);
    }
    if (cp >= 0x180 && cp <= 0x24F) {
        const char c = kLatinExtB[cp - 0x180];
        if (c != '.') return std::string(1, c);
    }
    if (cp >= 0x1E00 && cp <= 0x1EFF) {
        const char c = kLatinExtAdditional[cp - 0x1E00];
        if (c != '.') return std::string(1, c);
    }
    return std::nullopt;
}

}  // namespace

char check_digit(std::string_view field) {
    static constexpr int weights[3] = {7, 3, 1};
    int sum = 0;
    for (std::size_t i = 0; i < field.size(); ++i) sum += char_value(field[i]) * weights[i % 3];
    return static_cast<char>('0' + sum % 10);
}

std::string transliterate(std::string_view utf8) {
    std::string out;
    std::size_t i = 0;
    auto filler = [&out] {
        if (!out.empty() && out.back() != '<') out.push_back('<');
    };
    while (i < utf8.size()) {
        const std::size_t at = i;
        const auto cp = next_code_point(utf8, i);
        if (!cp) invalid(fmt::format("name '{}': not valid UTF-8 at byte {}", utf8, at + 1));
        const char32_t c = *cp;
        if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c - 'a' + 'A'));
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out.push_back(static_cast<char>(c));
        else if (c == ' ' || c == '-' || c == '<' || c == 0x2010 || c == 0x2011 || c == 0xA0) filler();
        else if (c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02BC || c == '`' || c == ','
                 || c == '.')
            continue;
        else if (c >= 0x300 && c <= 0x36F) {
            // A combining mark (decomposed input): dropped, except those that make the
            // Part 3 two-letter forms (diaeresis on A/O/U -> AE/OE/UE, ring on A -> AA).
            const char prev = out.empty() ? '\0' : out.back();
            if (c == 0x308 && (prev == 'A' || prev == 'O' || prev == 'U')) out.push_back('E');
            else if (c == 0x30A && prev == 'A') out.push_back('A');
        } else if (auto t = transliterate_letter(c)) out += *t;
        else
            invalid(fmt::format("name '{}': character U+{:04X} cannot be written in the MRZ; use "
                                "Latin letters (with or without diacritics), spaces, hyphens, "
                                "apostrophes, commas or periods",
                                utf8, static_cast<std::uint32_t>(c)));
    }
    while (!out.empty() && out.back() == '<') out.pop_back();
    return out;
}

std::string name_field(std::string_view surname, std::string_view given_names, std::size_t width) {
    std::string primary = transliterate(surname);
    std::string secondary = transliterate(given_names);
    std::string full = secondary.empty() ? primary : primary + "<<" + secondary;
    if (full.size() > width) {
        if (secondary.empty()) {
            full = primary.substr(0, width);
        } else if (primary.size() + 3 <= width) {
            full.resize(width);  // cut the secondary identifiers from their end
        } else {
            full = primary.substr(0, width - 3) + "<<" + secondary.substr(0, 1);
        }
    }
    full.resize(width, '<');
    return full;
}

std::string Td1::joined() const { return lines[0] + lines[1] + lines[2]; }

std::string Td1::bac_information() const {
    const std::string& l1 = lines[0];
    const std::string& l2 = lines[1];
    std::string doc;
    if (l1.size() != 30 || l2.size() != 30) invalid("TD1: lines must be 30 characters");
    if (l1[14] == '<') {
        // Long document number (Part 11, D.2): the rest and its check digit start optional data 1.
        const std::size_t end = l1.find('<', 15);
        if (end == std::string::npos || end < 17) invalid("TD1: malformed long document number");
        doc = l1.substr(5, 9) + l1.substr(15, end - 15);
    } else {
        doc = l1.substr(5, 10);
    }
    return doc + l2.substr(0, 7) + l2.substr(8, 7);
}

Td1 make_td1(const Td1Fields& f) {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) invalid("TD1: " + what);
    };
    const std::string& code = f.document_code;
    require(!code.empty() && code.size() <= 2 && is_mrz_text(code) && code[0] != '<',
            "document code must be 1-2 characters A-Z");
    std::string state = f.issuing_state, nationality = f.nationality;
    state.resize(3, '<');
    nationality.resize(3, '<');
    require(f.issuing_state.size() <= 3 && is_mrz_text(state), "issuing state must be 3 characters");
    require(f.nationality.size() <= 3 && is_mrz_text(nationality), "nationality must be 3 characters");
    const std::string& number = f.document_number;
    require(!number.empty() && is_mrz_text(number), "document number must be A-Z 0-9");
    require(is_mrz_text(f.optional_data_1) && is_mrz_text(f.optional_data_2),
            "optional data must be 0-9 A-Z <");

    std::string line1 = code;
    line1.resize(2, '<');
    line1 += state;
    std::string optional1;
    if (number.size() <= 9) {
        std::string padded = number;
        padded.resize(9, '<');
        line1 += padded;
        line1 += check_digit(padded);
        optional1 = f.optional_data_1;
    } else {
        line1 += number.substr(0, 9);
        line1 += '<';
        optional1 = number.substr(9) + check_digit(number) + f.optional_data_1;
    }
    require(optional1.size() <= 15, "document number and optional data 1 exceed 15 characters");
    optional1.resize(15, '<');
    line1 += optional1;

    const char sex = f.sex == 'X' ? '<' : f.sex;
    require(sex == 'F' || sex == 'M' || sex == '<', "sex must be F, M or X");
    require(f.optional_data_2.size() <= 11, "optional data 2 exceeds 11 characters");
    const std::string dob = f.date_of_birth.yymmdd();
    const std::string doe = f.date_of_expiry.yymmdd();
    std::string optional2 = f.optional_data_2;
    optional2.resize(11, '<');
    std::string line2 = dob + check_digit(dob) + sex + doe + check_digit(doe) + nationality + optional2;
    const std::string composite =
        line1.substr(5, 25) + line2.substr(0, 7) + line2.substr(8, 7) + line2.substr(18, 11);
    line2 += check_digit(composite);

    Td1 td;
    td.lines = {line1, line2, name_field(f.primary_identifier, f.secondary_identifier, 30)};
    return td;
}

Td1 make_td1(const record::HolderRecord& holder) {
    Td1Fields f;
    f.document_code = holder.document_code;
    f.issuing_state = holder.issuing_state;
    f.document_number = holder.document_number;
    f.optional_data_1 = holder.a_number;
    f.date_of_birth = holder.date_of_birth;
    f.sex = holder.sex;
    f.date_of_expiry = holder.date_of_expiry;
    f.nationality = holder.nationality;
    f.primary_identifier = holder.surname;
    f.secondary_identifier = holder.given_names;
    return make_td1(f);
}

const std::array<ParsedTd1::Field, 14>& ParsedTd1::layout() noexcept {
    static const std::array<Field, 14> fields{{
        {"document code", 0, 2, &ParsedTd1::document_code},
        {"issuing state", 2, 3, &ParsedTd1::issuing_state},
        {"document number", 5, 9, &ParsedTd1::document_number},
        {"document number check digit", 14, 1, &ParsedTd1::document_number_check},
        {"optional data 1", 15, 15, &ParsedTd1::optional_data_1},
        {"date of birth", 30, 6, &ParsedTd1::date_of_birth},
        {"date of birth check digit", 36, 1, &ParsedTd1::date_of_birth_check},
        {"sex", 37, 1, &ParsedTd1::sex},
        {"date of expiry", 38, 6, &ParsedTd1::date_of_expiry},
        {"date of expiry check digit", 44, 1, &ParsedTd1::date_of_expiry_check},
        {"nationality", 45, 3, &ParsedTd1::nationality},
        {"optional data 2", 48, 11, &ParsedTd1::optional_data_2},
        {"composite check digit", 59, 1, &ParsedTd1::composite_check},
        {"name", 60, 30, &ParsedTd1::name},
    }};
    return fields;
}

std::optional<ParsedTd1> ParsedTd1::parse(std::string_view chars) {
    if (chars.size() != 90) return std::nullopt;
    ParsedTd1 out;
    for (const auto& f : layout()) out.*f.member = std::string(chars.substr(f.offset, f.length));
    return out;
}

std::string without_filler(std::string_view field) {
    while (!field.empty() && field.back() == '<') field.remove_suffix(1);
    return std::string(field);
}

std::string yymmdd_from_input(std::string_view date, std::string_view field) {
    auto digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    };
    std::string out;
    if (date.size() == 6 && digits(date)) {
        out = std::string(date);
    } else if (date.size() == 10 && date[4] == '-' && date[7] == '-' && digits(date.substr(0, 4)) &&
               digits(date.substr(5, 2)) && digits(date.substr(8, 2))) {
        out = std::string(date.substr(2, 2)) + std::string(date.substr(5, 2)) + std::string(date.substr(8, 2));
    } else {
        invalid(fmt::format("{}: expected a date as YYMMDD or YYYY-MM-DD", field));
    }
    const int month = std::stoi(out.substr(2, 2)), day = std::stoi(out.substr(4, 2));
    if (month < 1 || month > 12 || day < 1 || day > 31) invalid(fmt::format("{}: month or day out of range", field));
    return out;
}

std::string mrz_information(std::string_view document_number, std::string_view date_of_birth,
                            std::string_view date_of_expiry) {
    std::string number;
    for (char c : document_number) number += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (number.empty() || !is_mrz_text(number)) invalid("document number: expected 1 or more characters A-Z 0-9");
    if (number.size() < 9) number.append(9 - number.size(), '<');
    const std::string birth = yymmdd_from_input(date_of_birth, "date of birth");
    const std::string expiry = yymmdd_from_input(date_of_expiry, "date of expiry");
    return number + check_digit(number) + birth + check_digit(birth) + expiry + check_digit(expiry);
}

}  // namespace docketcard::mrz
