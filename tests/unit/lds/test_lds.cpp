// LDS elementary files against hand-checked bytes (ICAO Doc 9303 Part 10; ISO/IEC 19794-5:2005).

#include <catch2/catch.hpp>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

// A 55-byte JPEG skeleton: SOI, APP0 (JFIF), SOF0 (240 x 288, 3 components), SOS, EOI.
Bytes tiny_jpeg() {
    return from_hex("FFD8"
                    "FFE000104A46494600010100000100010000"
                    "FFC0001108012000F003012200021101031101"
                    "FFDA000C03010002110311003F00"
                    "FFD9");
}

record::HolderRecord sample_holder() {
    record::HolderRecord h;
    h.document_number = "D23145890";
    h.document_code = "I";
    h.issuing_state = "UTO";
    h.surname = "ERIKSSON";
    h.given_names = "ANNA MARIA";
    h.sex = 'F';
    h.date_of_birth = {1974, 8, 12};
    h.nationality = "UTO";
    h.place_of_birth = "ZENITH";
    h.date_of_issue = {2025, 3, 1};
    h.date_of_expiry = {2030, 4, 15};
    h.photo = tiny_jpeg();
    h.a_number = "012345678";
    h.docket = {"NYC", "C1", "2025-06-01T09:00:00-04:00", record::ReleaseType::Bond, "NYC", 7, {"a", "b"}};
    h.background_check = {"NSBC-1", {2024, 12, 31}, "National Vetting Center"};
    h.documents = {{"I-220A", "Order", "R1", {2025, 1, 2}, std::nullopt, std::string("ERO")}};
    return h;
}

}  // namespace

TEST_CASE("EF.COM lists exactly the data groups, LDS 1.7 and Unicode 4.0.0", "[lds][com]") {
    CHECK(to_hex(lds::encode_com({1, 2, 11, 12, 13})) ==
          "60175F0104303130375F36063034303030305C05" "61756B6C6D");
    CHECK(to_hex(lds::encode_com({2, 1})) == "60145F0104303130375F36063034303030305C026175");
    CHECK(to_hex(lds::encode_com({1, 2, 11, 12, 13, 14, 15})) ==
          "60195F0104303130375F36063034303030305C0761756B6C6D6E6F");

    // The Part 11 D.4 worked example's EF.COM (LDS 1.6).
    const auto com = lds::decode_com(from_hex("60145F0104303130365F36063034303030305C026175"));
    CHECK(com.lds_version == "0106");
    CHECK(com.unicode_version == "040000");
    CHECK(com.data_groups == std::vector<int>{1, 2});

    CHECK_THROWS_AS(lds::decode_com(from_hex("60145F0104303130365F36063034303030305C026199")), ParseError);
    CHECK_THROWS_AS(lds::decode_com(from_hex("60145F0104303130365F360630343030")), ParseError);
    CHECK_THROWS_AS(lds::decode_com(from_hex("61035C0161")), ParseError);
    CHECK_THROWS_AS(lds::decode_com(from_hex("600A5F36063034303030305C00")), ParseError);
}

TEST_CASE("DG1 holds the 90 characters of the Part 5 sample TD1", "[lds][dg1]") {
    const std::string mrz =
        "I<UTOD231458907<<<<<<<<<<<<<<<"
        "7408122F1204159UTO<<<<<<<<<<<6"
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<";
    const Bytes dg1 = lds::encode_dg1(mrz);
    CHECK(to_hex(dg1) == "615D5F1F5A" + to_hex(to_bytes(mrz)));
    CHECK(dg1.size() == 95);   // 61 5D 5F1F 5A + 90 (61 5B is the 88-character TD3 case)
    CHECK(lds::decode_dg1(dg1) == mrz);

    CHECK_THROWS_AS(lds::encode_dg1(mrz.substr(1)), Error);
    CHECK_THROWS_AS(lds::encode_dg1("i" + mrz.substr(1)), Error);
    Bytes truncated = dg1;
    truncated.pop_back();
    CHECK_THROWS_AS(lds::decode_dg1(truncated), ParseError);
    CHECK_THROWS_AS(lds::decode_dg1(from_hex("61055F1F023C3C")), ParseError);
}

TEST_CASE("Image dimensions come from JPEG SOFn, JP2 ihdr and J2K SIZ", "[lds][image]") {
    const auto jpeg = lds::probe_image(tiny_jpeg());
    CHECK(jpeg.format == lds::ImageFormat::Jpeg);
    CHECK(jpeg.width == 240);
    CHECK(jpeg.height == 288);
    CHECK(jpeg.components == 3);

    // Progressive (SOF2) after a DQT-like segment and fill bytes.
    const auto progressive = lds::probe_image(from_hex("FFD8FFDB0004AABBFFFFC2000B080064004B0101110000FFD9"));
    CHECK(progressive.width == 75);
    CHECK(progressive.height == 100);
    CHECK(progressive.components == 1);

    // JP2: signature, ftyp, jp2h { ihdr height 400 width 300 nc 3 }.
    const Bytes jp2 = from_hex("0000000C6A5020200D0A870A"
                               "00000014667479706A703220000000006A703220"
                               "0000002D6A703268"
                               "00000016696864720000019000000" "12C000307070000"
                               "0000000F636F6C720100000000001000");
    const auto j = lds::probe_image(jp2);
    CHECK(j.format == lds::ImageFormat::Jpeg2000);
    CHECK(j.width == 300);
    CHECK(j.height == 400);

    // Raw codestream: SOC, SIZ with Xsiz 330 Ysiz 420, offsets 10/20.
    const Bytes j2k = from_hex("FF4FFF510029" "0000" "0000014A" "000001A4" "0000000A" "00000014"
                               "0000014A" "000001A4" "00000000" "00000000" "0003" "070101070101070101");
    const auto k = lds::probe_image(j2k);
    CHECK(k.width == 320);
    CHECK(k.height == 400);

    // Malformed images.
    const Bytes whole = tiny_jpeg();
    CHECK_THROWS_AS(lds::probe_image(Bytes(whole.begin(), whole.begin() + 28)), ParseError);   // cut in SOF0
    CHECK_THROWS_AS(lds::probe_image(from_hex("FFD8FFDA0002FFD9")), ParseError);                // no SOF
    CHECK_THROWS_AS(lds::probe_image(from_hex("FFD8FFE0FFFF00")), ParseError);                  // segment past end
    CHECK_THROWS_AS(lds::probe_image(from_hex("FFD8FFC0000B080000004B0101110000")), ParseError);  // height 0
    CHECK_THROWS_AS(lds::probe_image(from_hex("89504E470D0A1A0A")), ParseError);                // PNG
    CHECK_THROWS_AS(lds::probe_image(Bytes{}), ParseError);
    CHECK_THROWS_AS(lds::probe_image(from_hex("0000000C6A5020200D0A870A000000FF6A703268")), ParseError);
    CHECK_THROWS_AS(lds::probe_image(from_hex("FF4FFF510029000000")), ParseError);
}

TEST_CASE("DG2 wraps an ISO/IEC 19794-5:2005 face record in a biometric information template", "[lds][dg2]") {
    const Bytes jpeg = tiny_jpeg();
    REQUIRE(jpeg.size() == 55);
    const Bytes dg2 = lds::encode_dg2(jpeg, 'F');
    const std::string header =
        "758182" "7F617F" "020101" "7F6079"
        "A10F" "80020101" "810102" "87020101" "88020008"
        "5F2E65"
        "46414300" "30313000" "00000065" "0001"                               // record header
        "00000057" "0000" "02" "00" "00" "000000" "0000" "000000" "000000"   // facial information
        "01" "00" "00F0" "0120" "01" "01" "0000" "0000";                     // image information
    CHECK(to_hex(dg2) == header + to_hex(jpeg));

    const auto face = lds::decode_dg2(dg2);
    CHECK(face.format == lds::ImageFormat::Jpeg);
    CHECK(face.width == 240);
    CHECK(face.height == 288);
    CHECK(face.gender == 2);
    CHECK(face.face_image_type == 1);
    CHECK(face.image == jpeg);

    CHECK(lds::gender_code('M') == 1);
    CHECK(lds::gender_code('F') == 2);
    CHECK(lds::gender_code('X') == 0);

    SECTION("malformed DG2 is refused") {
        Bytes bad = dg2;
        bad[30] = 'X';   // 'FAC' -> 'XAC'
        CHECK_THROWS_AS(lds::decode_dg2(bad), ParseError);
        bad = dg2;
        bad[37] = 0x66;   // record length 0x65 -> 0x66
        CHECK_THROWS_AS(lds::decode_dg2(bad), ParseError);
        bad = dg2;
        bad[26] = 0x09;   // format type 0008 -> 0009
        CHECK_THROWS_AS(lds::decode_dg2(bad), ParseError);
        bad = dg2;
        bad.pop_back();
        CHECK_THROWS_AS(lds::decode_dg2(bad), ParseError);
        CHECK_THROWS_AS(lds::decode_dg2(from_hex("7500")), ParseError);
    }
    CHECK_THROWS_AS(lds::encode_dg2(from_hex("00010203"), 'M'), ParseError);
}

TEST_CASE("DG11 and DG12 hold name, place of birth, issuing authority and date of issue", "[lds][dg11][dg12]") {
    auto holder = sample_holder();
    const Bytes dg11 = lds::encode_dg11(holder);
    CHECK(to_hex(dg11) == "6B265C045F0E5F11"
                          "5F0E144552494B53534F4E3C3C414E4E41204D41524941"
                          "5F11065A454E495448");
    const auto d11 = lds::decode_dg11(dg11);
    CHECK(d11.full_name == "ERIKSSON<<ANNA MARIA");
    CHECK(d11.place_of_birth == std::optional<std::string>("ZENITH"));

    holder.place_of_birth.reset();
    holder.given_names.clear();
    CHECK(to_hex(lds::encode_dg11(holder)) == "6B0F5C025F0E5F0E084552494B53534F4E");
    CHECK_FALSE(lds::decode_dg11(lds::encode_dg11(holder)).place_of_birth);

    const Bytes dg12 = lds::encode_dg12("DHS", {2025, 3, 1});
    CHECK(to_hex(dg12) == "6C175C045F195F265F19034448535F26083230323530333031");
    const auto d12 = lds::decode_dg12(dg12);
    CHECK(d12.issuing_authority == "DHS");
    CHECK(d12.date_of_issue == "20250301");

    CHECK_THROWS_AS(lds::decode_dg11(from_hex("6B055F0E024142")), ParseError);   // no tag list
    CHECK_THROWS_AS(lds::decode_dg12(from_hex("6C0D5C045F195F265F260332303235")), ParseError);
}

TEST_CASE("DG13 docket data: exact bytes, round trip, refusals", "[lds][dg13]") {
    const auto holder = sample_holder();
    lds::DocketData data;
    data.a_number = holder.a_number;
    data.docket = holder.docket;
    data.version = 1;   // the layout of cards issued before version 2, still written on request
    const Bytes dg13 = lds::encode_dg13(data);
    const std::string expected =
        "6D44"
        "800101"
        "8109303132333435363738"
        "82034E5943"
        "83024331"
        "8419323032352D30362D30315430393A30303A30302D30343A3030"
        "850103"
        "86034E5943"
        "87020007"
        "880161"
        "880162";
    CHECK(to_hex(dg13) == expected);

    const auto back = lds::decode_dg13(dg13);
    CHECK(back.a_number == "012345678");
    CHECK(back.docket.court == "NYC");
    CHECK(back.docket.case_number == "C1");
    CHECK(back.docket.next_hearing == "2025-06-01T09:00:00-04:00");
    CHECK(back.docket.release_type == record::ReleaseType::Bond);
    CHECK(back.docket.reporting_office == "NYC");
    CHECK(back.docket.check_in_interval_days == 7);
    CHECK(back.docket.conditions == std::vector<std::string>{"a", "b"});

    SECTION("every release type survives") {
        for (auto t : record::all_release_types()) {
            auto d = data;
            d.docket.release_type = t;
            d.docket.conditions.clear();
            d.docket.check_in_interval_days = 65535;
            const auto r = lds::decode_dg13(lds::encode_dg13(d));
            CHECK(r.docket.release_type == t);
            CHECK(r.docket.check_in_interval_days == 65535);
            CHECK(r.docket.conditions.empty());
        }
    }
    SECTION("refusals") {
        auto d = data;
        d.docket.check_in_interval_days = 65536;
        CHECK_THROWS_AS(lds::encode_dg13(d), Error);
        Bytes bad = dg13;
        bad[4] = 0x03;   // version 3
        CHECK_THROWS_WITH(lds::decode_dg13(bad), "DG13: docket format version 03 is not supported (expected 01 or 02)");
        bad[4] = 0x02;   // version 2 without its background check
        CHECK_THROWS_WITH(lds::decode_dg13(bad), "DG13: required field 8A is missing");
        bad = dg13;
        bad[54] = 0x07;   // release type 07
        CHECK_THROWS_AS(lds::decode_dg13(bad), ParseError);
        bad = dg13;
        bad[52] = 0x89;   // 85 -> unknown tag 89
        CHECK_THROWS_AS(lds::decode_dg13(bad), ParseError);
        CHECK_THROWS_AS(lds::decode_dg13(from_hex("6D03800101")), ParseError);               // fields missing
        CHECK_THROWS_AS(lds::decode_dg13(from_hex("6D0A8001018102303181023031")), ParseError);  // duplicate
        CHECK_THROWS_AS(lds::decode_dg13(from_hex("6D0581023031")), ParseError);             // no version first
        CHECK_THROWS_AS(lds::decode_dg13(from_hex("6D0580010181")), ParseError);             // truncated
    }
}

TEST_CASE("DG13 version 2: documents, background check, portal reference; exact bytes of docs/docket-data.md",
          "[lds][dg13]") {
    auto holder = sample_holder();
    holder.documents = {{"I-220A", "Order", "R1", {2025, 1, 2}, std::nullopt, std::string("ERO")},
                        {"G-56", "Call-In", "C2", {2025, 1, 3}, record::Date{2025, 7, 3}, std::nullopt}};
    holder.background_check = {"NSBC-1", {2024, 12, 31}, "National Vetting Center"};
    holder.portal_reference = SecureBytes{'P', 'o', 'r', 't', 'a', 'l', '1', '2', '3'};
    const Bytes dg13 = lds::encode_dg13(lds::docket_data(holder));
    const std::string v1_objects =
        "810930313233343536373882034E5943830243318419323032352D30362D30315430393A30303A30302D30343A3030"
        "85010386034E594387020007880161880162";
    CHECK(to_hex(dg13) == "6D81AE" "800102" + v1_objects +
                              "A922" "8006492D32323041" "81054F72646572" "82025231" "83083230323530313032"
                              "850345524F"
                              "A927" "8004472D3536" "810743616C6C2D496E" "82024332" "83083230323530313033"
                              "84083230323530373033"
                              "8A064E5342432D31" "8B083230323431323331" "8C09506F7274616C313233");
    // The agency stays in the journal: it is not on the chip.
    CHECK(to_hex(dg13).find(to_hex(to_bytes("National"))) == std::string::npos);

    const auto back = lds::decode_dg13(dg13);
    CHECK(back.version == 2);
    CHECK(back.a_number == "012345678");
    CHECK(back.docket.conditions == std::vector<std::string>{"a", "b"});
    CHECK(back.documents == holder.documents);
    CHECK(back.background_check_reference == "NSBC-1");
    CHECK(back.background_check_cleared_on == record::Date{2024, 12, 31});
    CHECK(back.portal_reference == holder.portal_reference);

    SECTION("no portal reference: no 8C") {
        holder.portal_reference.reset();
        const Bytes without = lds::encode_dg13(lds::docket_data(holder));
        CHECK(without.size() == dg13.size() - 11);
        CHECK_FALSE(lds::decode_dg13(without).portal_reference);
    }
    SECTION("refusals") {
        auto hex = to_hex(dg13);
        auto refused = [](const std::string& h) { return lds::decode_dg13(from_hex(h)); };
        // v2 objects in a version 1 file
        std::string v1 = hex;
        v1.replace(10, 2, "01");
        CHECK_THROWS_WITH(refused(v1), "DG13: field A9 (document) is not part of format version 1");
        // a document without its number (82 02 5231 -> 8F 02 5231: unknown tag)
        std::string bad = hex;
        bad.replace(bad.find("82025231"), 2, "8F");
        CHECK_THROWS_WITH(refused(bad), "DG13 document 1: unknown field tag 8F");
        // a date that is no calendar date: 2025-01-02 -> 2025-02-30
        bad = hex;
        bad.replace(bad.find("3230323530313032"), 16, "3230323530323330");
        CHECK_THROWS_WITH(refused(bad), "DG13: DG13 document 1 date of issue (83) 20250230 is not a calendar date");
        // cleared-on not digits
        bad = hex;
        bad.replace(bad.find("8B083230323431323331"), 20, "8B08323032343132335A");
        CHECK_THROWS_WITH(refused(bad), "DG13: background check date (8B) is not 8 digits YYYYMMDD");
        // the background-check date twice
        std::string twice = "800102" + v1_objects + "8A064E5342432D31" "8B083230323431323331" "8B083230323431323331";
        CHECK_THROWS_WITH(refused("6D" + to_hex(tlv::encode_length(twice.size() / 2)) + twice),
                          "DG13: field 8B appears twice");
        // 17 documents
        std::string many = "800102" + v1_objects;
        for (int i = 0; i < 17; ++i) many += "A9188006492D32323041810141820152" "83083230323530313032";
        many += "8A064E5342432D31" "8B083230323431323331";
        CHECK_THROWS_WITH(refused("6D" + to_hex(tlv::encode_length(many.size() / 2)) + many),
                          "DG13: more than 16 documents");
    }
}

TEST_CASE("DG12 carries the endorsement NOT A FEDERAL ID in 5F1B; encode_holder v1 and v2", "[lds][dg12]") {
    const Bytes dg12 = lds::encode_dg12("DHS", {2025, 3, 1}, lds::card_endorsement);
    CHECK(to_hex(dg12) == "6C3F" "5C065F195F265F1B" "5F1903444853" "5F26083230323530333031"
                          "5F1B234E4F542041204645444552414C2049442E20464F522044485320555345204F4E4C592E");
    const auto d = lds::decode_dg12(dg12);
    CHECK(d.endorsements == std::optional<std::string>("NOT A FEDERAL ID. FOR DHS USE ONLY."));
    CHECK_FALSE(lds::decode_dg12(lds::encode_dg12("DHS", {2025, 3, 1})).endorsements);

    auto holder = sample_holder();
    holder.documents = {{"I-220A", "Order", "R1", {2025, 1, 2}, std::nullopt, std::nullopt}};
    holder.background_check = {"NSBC-1", {2024, 12, 31}, "NVC"};
    const auto v2 = lds::encode_holder(holder);
    CHECK(lds::decode_dg12(v2.get(lds::dg_file_id(12))).endorsements == std::string(lds::card_endorsement));
    CHECK(lds::decode_dg13(v2.get(lds::dg_file_id(13))).version == 2);
    lds::EncodeOptions old;
    old.docket_format_version = 1;
    const auto v1 = lds::encode_holder(holder, old);
    CHECK(to_hex(v1.get(lds::dg_file_id(12))) == "6C385C045F195F265F19" + to_hex(tlv::encode_length(36)) +
                                                      to_hex(to_bytes(lds::default_issuing_authority)) +
                                                      "5F26083230323530333031");
    CHECK(lds::decode_dg13(v1.get(lds::dg_file_id(13))).version == 1);
    CHECK(lds::decode_dg13(v1.get(lds::dg_file_id(13))).documents.empty());
}

TEST_CASE("DG14 announces ECDSA-SHA256 Active Authentication, DG15 holds the SPKI", "[lds][dg14][dg15]") {
    CHECK(to_hex(lds::encode_dg14_aa_ecdsa_sha256()) ==
          "6E193117301506066781080101050201010608" "2A8648CE3D040302");

    const auto key = crypto::EcPrivateKey::generate_p256();
    const Bytes spki = key.public_key_spki();
    const Bytes dg15 = lds::encode_dg15(spki);
    CHECK(to_hex(dg15) == "6F" + to_hex(tlv::encode_length(spki.size())) + to_hex(spki));
    CHECK(lds::decode_dg15(dg15) == spki);
    CHECK(crypto::spki_to_point(lds::decode_dg15(dg15)) == key.public_point());
    CHECK_THROWS_AS(lds::encode_dg15(from_hex("0401020304")), ParseError);
    CHECK_THROWS_AS(lds::decode_dg15(from_hex("6F03040100")), ParseError);
}

TEST_CASE("encode_holder builds COM and the data groups it lists", "[lds][holder]") {
    const auto holder = sample_holder();
    auto lds1 = lds::encode_holder(holder);
    CHECK(lds1.data_groups() == std::vector<int>{1, 2, 11, 12, 13});
    CHECK(lds::decode_com(lds1.get(lds::fid_com)).data_groups == std::vector<int>{1, 2, 11, 12, 13});
    CHECK(lds::decode_dg1(lds1.get(0x0101)) == mrz::make_td1(holder).joined());
    CHECK(lds::decode_dg2(lds1.get(0x0102)).image == holder.photo);
    CHECK(lds::decode_dg12(lds1.get(0x010C)).issuing_authority == "U.S. DEPARTMENT OF HOMELAND SECURITY");
    CHECK(lds::decode_dg13(lds1.get(0x010D)).a_number == "012345678");
    CHECK_FALSE(lds1.has(lds::fid_sod));
    CHECK_THROWS_AS(lds1.get(lds::fid_sod), Error);

    lds::EncodeOptions options;
    options.aa_public_key_spki = crypto::EcPrivateKey::generate_p256().public_key_spki();
    options.issuing_authority = "DHS";
    auto lds2 = lds::encode_holder(holder, options);
    CHECK(lds::decode_com(lds2.get(lds::fid_com)).data_groups == std::vector<int>{1, 2, 11, 12, 13, 14, 15});
    CHECK(lds::decode_dg15(lds2.get(0x010F)) == *options.aa_public_key_spki);
    CHECK(lds2.data_group_bytes().size() == 7);
    CHECK(lds::file_name(0x010D) == "DG13");
    CHECK(lds::file_name(lds::fid_com) == "EF.COM");
}
