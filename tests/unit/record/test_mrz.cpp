// TD1 MRZ: check digits, transliteration, truncation, and the Doc 9303 Part 5 sample card
// (vectors from shared/reference/icao-9303-vectors.md, copied as constants).
#include <catch2/catch.hpp>

#include "docketcard/record/mrz.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using docketcard::record::Date;

TEST_CASE("check_digit follows Doc 9303 Part 3 4.9", "[mrz]") {
    CHECK(mrz::check_digit("D23145890") == '7');
    CHECK(mrz::check_digit("740812") == '2');
    CHECK(mrz::check_digit("120415") == '9');
    CHECK(mrz::check_digit("L898902C<") == '3');
    CHECK(mrz::check_digit("") == '0');
    CHECK(mrz::check_digit("<<<<<<") == '0');
    CHECK(mrz::check_digit("85<<<<") == '1');
    CHECK_THROWS_AS(mrz::check_digit("ab"), Error);
}

TEST_CASE("the Part 5 sample card comes out exactly", "[mrz]") {
    mrz::Td1Fields f;
    f.document_code = "I";
    f.issuing_state = "UTO";
    f.document_number = "D23145890";
    f.date_of_birth = Date{1974, 8, 12};
    f.sex = 'F';
    f.date_of_expiry = Date{2012, 4, 15};
    f.nationality = "UTO";
    f.primary_identifier = "Eriksson";
    f.secondary_identifier = "Anna Maria";
    const auto td = mrz::make_td1(f);
    CHECK(td.lines[0] == "I<UTOD231458907<<<<<<<<<<<<<<<");
    CHECK(td.lines[1] == "7408122F1204159UTO<<<<<<<<<<<6");
    CHECK(td.lines[2] == "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
    CHECK(td.joined().size() == 90);
    CHECK(td.bac_information() == "D23145890774081221204159");
}

TEST_CASE("ParsedTd1 names every field of the Part 5 sample card", "[mrz]") {
    const std::string chars =
        "I<UTOD231458907<<<<<<<<<<<<<<<" "7408122F1204159UTO<<<<<<<<<<<6" "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    const auto td = mrz::ParsedTd1::parse(chars);
    REQUIRE(td);
    CHECK(td->document_code == "I<");
    CHECK(td->issuing_state == "UTO");
    CHECK(td->document_number == "D23145890");
    CHECK(td->document_number_check == "7");
    CHECK(td->optional_data_1 == std::string(15, '<'));
    CHECK(td->date_of_birth == "740812");
    CHECK(td->date_of_birth_check == "2");
    CHECK(td->sex == "F");
    CHECK(td->date_of_expiry == "120415");
    CHECK(td->date_of_expiry_check == "9");
    CHECK(td->nationality == "UTO");
    CHECK(td->optional_data_2 == std::string(11, '<'));
    CHECK(td->composite_check == "6");
    CHECK(td->name == "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
    CHECK(mrz::without_filler(td->document_code) == "I");
    // The layout tiles the 90 characters without gap or overlap.
    std::size_t next = 0;
    for (const auto& f : mrz::ParsedTd1::layout()) {
        CHECK(f.offset == next);
        next = f.offset + f.length;
    }
    CHECK(next == 90);
    CHECK_FALSE(mrz::ParsedTd1::parse(chars.substr(0, 89)));
    CHECK_FALSE(mrz::ParsedTd1::parse(chars + "<"));
}

TEST_CASE("a document number longer than 9 continues in optional data (Part 11 D.2)", "[mrz]") {
    mrz::Td1Fields f;
    f.issuing_state = "UTO";
    f.document_number = "D23145890734";
    f.date_of_birth = Date{1934, 7, 12};
    f.sex = 'M';
    f.date_of_expiry = Date{1995, 7, 12};
    f.nationality = "UTO";
    f.primary_identifier = "STEVENSON";
    f.secondary_identifier = "PETER JOHN";
    const auto td = mrz::make_td1(f);
    CHECK(td.lines[0] == "I<UTOD23145890<7349<<<<<<<<<<<");
    CHECK(td.lines[1] == "3407127M9507122UTO<<<<<<<<<<<2");
    CHECK(td.lines[2] == "STEVENSON<<PETER<JOHN<<<<<<<<<");
    CHECK(td.bac_information() == "D23145890734934071279507122");
}

TEST_CASE("make_td1 of a holder: A-number in optional data 1, X sex, unknown birth month and day",
          "[mrz]") {
    record::HolderRecord h;
    h.document_code = "ID";
    h.issuing_state = "USA";
    h.document_number = "DC0000001";
    h.a_number = "012345678";
    h.date_of_birth = Date{1985, 0, 0};
    h.sex = 'X';
    h.date_of_expiry = Date{2031, 3, 1};
    h.nationality = "XXA";
    h.surname = "Núñez";
    h.given_names = "José María";
    const auto td = mrz::make_td1(h);
    CHECK(td.lines[0] == "IDUSADC00000018012345678<<<<<<");
    CHECK(td.lines[1] == "85<<<<1<3103016XXA<<<<<<<<<<<2");
    CHECK(td.lines[2] == "NUNEZ<<JOSE<MARIA<<<<<<<<<<<<<");
    CHECK(td.bac_information() == "DC0000001885<<<<13103016");
}

TEST_CASE("unknown date parts are written as <<", "[mrz]") {
    CHECK(Date{1980, 0, 0}.yymmdd() == "80<<<<");
    CHECK(Date{1980, 5, 0}.yymmdd() == "8005<<");
    CHECK(Date{1980, 5, 0}.iso() == "1980-05-XX");
    CHECK(Date{1980, 5, 0}.yyyymmdd() == "19800500");
    CHECK(Date{2001, 12, 31}.yymmdd() == "011231");
}

TEST_CASE("transliterate follows Doc 9303 Part 3 section 6", "[mrz]") {
    using T = std::pair<const char*, const char*>;
    auto [in, out] = GENERATE(values<T>({
        {"Nuñez", "NUNEZ"},
        {"Müller", "MUELLER"},
        {"Ångström", "AANGSTROEM"},
        {"Ærø", "AEROE"},
        {"Straße", "STRASSE"},
        {"Þórsdóttir", "THORSDOTTIR"},
        {"Ĳsselmeer", "IJSSELMEER"},
        {"Œuvray", "OEUVRAY"},
        {"Łukasz", "LUKASZ"},
        {"Đorđević", "DORDEVIC"},
        {"Ștefănescu", "STEFANESCU"},
        {"Çelik", "CELIK"},
        {"O'Brien", "OBRIEN"},
        {"O’Brien", "OBRIEN"},
        {"Smith-Jones", "SMITH<JONES"},
        {"Anna  Maria", "ANNA<MARIA"},
        {"Dr. King, Jr.", "DR<KING<JR"},
        {" van der Berg ", "VAN<DER<BERG"},
        {"José 2", "JOSE<2"},
        {"Nguyễn Thị", "NGUYEN<THI"},
        {"Mu\xCC\x88ller", "MUELLER"},
        {"Nun\xCC\x83" "ez", "NUNEZ"},
        {"ǅuro", "DZURO"},
    }));
    CAPTURE(in);
    CHECK(mrz::transliterate(in) == out);
}

TEST_CASE("transliterate refuses what it cannot write", "[mrz]") {
    CHECK_THROWS_WITH(mrz::transliterate("Иван"),
                      Catch::Contains("character U+0418 cannot be written in the MRZ"));
    CHECK_THROWS_WITH(mrz::transliterate("a\xC3"), Catch::Contains("not valid UTF-8 at byte 2"));
    CHECK_THROWS_WITH(mrz::transliterate("a\xC0\x80"), Catch::Contains("not valid UTF-8"));
    CHECK_THROWS_AS(mrz::transliterate("x@y"), Error);
}

TEST_CASE("names are truncated per Part 3 4.6: secondary first, then primary", "[mrz]") {
    // Fits exactly: 30 characters.
    CHECK(mrz::name_field("ABCDEFGHIJKLMNOPQRST", "ABCDEFGH", 30) ==
          "ABCDEFGHIJKLMNOPQRST<<ABCDEFGH");
    // Secondary identifiers cut from their end.
    CHECK(mrz::name_field("Wolfeschlegel", "Hubert Blaine Maximilian", 30) ==
          "WOLFESCHLEGEL<<HUBERT<BLAINE<M");
    // The primary identifier leaves room for at least one secondary character.
    CHECK(mrz::name_field("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "Zoe", 30) ==
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<ZO");
    CHECK(mrz::name_field("Papadopoulou-Konstantinopoulou", "Eleni", 30) ==
          "PAPADOPOULOU<KONSTANTINOPOU<<E");
    // Only a primary identifier: cut at the width, no filler pair.
    CHECK(mrz::name_field("Papadopoulou-Konstantinopoulou-X", "", 30) ==
          "PAPADOPOULOU<KONSTANTINOPOULOU");
    CHECK(mrz::name_field("Madonna", "", 30) == "MADONNA<<<<<<<<<<<<<<<<<<<<<<<");
    // A cut that ends on a separator leaves it as filler.
    CHECK(mrz::name_field("ABCDEFGHIJKLMNOPQRSTUVWXY", "AB CDE", 30) ==
          "ABCDEFGHIJKLMNOPQRSTUVWXY<<AB<");
}

TEST_CASE("make_td1 refuses fields that do not fit", "[mrz]") {
    mrz::Td1Fields f;
    f.issuing_state = "UTO";
    f.document_number = "D23145890";
    f.nationality = "UTO";
    f.date_of_birth = Date{1974, 8, 12};
    f.date_of_expiry = Date{2012, 4, 15};
    f.primary_identifier = "X";
    f.optional_data_1 = "1234567890123456";
    CHECK_THROWS_AS(mrz::make_td1(f), Error);
    f.optional_data_1 = "abc";
    CHECK_THROWS_AS(mrz::make_td1(f), Error);
    f.optional_data_1 = "";
    f.sex = 'Q';
    CHECK_THROWS_AS(mrz::make_td1(f), Error);
}
