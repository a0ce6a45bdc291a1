// write_card / lock_card on in-process docket applet cards (docs/card-protocol.md).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/sm/scp03.hpp"
#include "perso_test_util.hpp"
#include "support/replay_channel.hpp"

using namespace perso_test;
using namespace docketcard;
using docketcard::perso::CardState;

namespace {

perso::WriteOptions fixed_time() {
    perso::WriteOptions o;
    o.signing_time = std::chrono::system_clock::from_time_t(1767225600);
    return o;
}

ErrorKind kind_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
        f();
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    FAIL("no error thrown");
    return ErrorKind::Internal;
}

}  // namespace

TEST_CASE("read_card_info parses the 66 template (replay)", "[perso]") {
    testing::ReplayChannel card({
        {"00A4040C07A0000002471001", "9000"},
        {"80CA006600", "661A800107810A00112233445566778899820105830212348402080090 00"},
    });
    const auto info = perso::read_card_info(card);
    card.done();
    CHECK(info.state == CardState::Personalized);
    CHECK(info.serial_hex == std::optional<std::string>("00112233445566778899"));
    CHECK(info.scp03_tries_left == 5);
    CHECK(info.free_bytes == 0x1234);
    CHECK(info.max_command_data == 0x0800);
    CHECK(info.ticket.empty());
}

TEST_CASE("parse_card_info refuses malformed templates", "[perso]") {
    CHECK_THROWS_AS(perso::parse_card_info(from_hex("6503800101")), ParseError);       // wrong template
    CHECK_THROWS_AS(perso::parse_card_info(from_hex("6603820105")), ParseError);       // no state
    CHECK_THROWS_AS(perso::parse_card_info(from_hex("660480020107")), ParseError);     // state of 2 bytes
    CHECK_THROWS_AS(perso::parse_card_info(from_hex("6603800155")), ParseError);       // unknown state
    CHECK_THROWS_AS(perso::parse_card_info(from_hex("660580010783")), ParseError);     // truncated
    CHECK(perso::parse_card_info(from_hex("66068001039F0100")).state == CardState::Personalizing);  // unknown tag skipped
}

TEST_CASE("read_card_info on a card without the docket applet", "[perso]") {
    testing::ReplayChannel card({{"00A4040C07A0000002471001", "6A82"}});
    std::string msg;
    CHECK(kind_of([&] { perso::read_card_info(card); }, &msg) == ErrorKind::WrongCardState);
    CHECK(msg.find("6A82") != std::string::npos);
}

TEST_CASE("write on a locked card sends exactly SELECT and GET DATA (replay)", "[perso]") {
    testing::ReplayChannel card({
        {"00A4040C07A0000002471001", "9000"},
        {"80CA006600", "660E80010F82010583020000840208009000"},
    });
    std::string msg;
    CHECK(kind_of([&] { perso::write_card(card, holder(), keys()); }, &msg) == ErrorKind::WrongCardState);
    CHECK(msg == "the card is locked; it cannot be written again; set it aside");
    CHECK(card.sent().size() == 2);
    card.done();
}

TEST_CASE("write and lock on a foreign eMRTD (GET DATA 66 unknown) say it is not a docket card", "[perso]") {
    for (const char* sw : {"6A88", "6D00", "6A82", "6A86", "6E00"}) {
        INFO("GET DATA answered " << sw);
        for (const bool lock : {false, true}) {
            testing::ReplayChannel card({
                {"00A4040C07A0000002471001", "9000"},
                {"80CA006600", sw},
            });
            std::string msg;
            const auto kind = lock ? kind_of([&] { perso::lock_card(card, keys()); }, &msg)
                                   : kind_of([&] { perso::write_card(card, holder(), keys()); }, &msg);
            CHECK(kind == ErrorKind::WrongCardState);
            CHECK(msg.find(std::string("GET DATA card info (80 CA 00 66) refused by the card: ") + sw) == 0);
            CHECK(msg.find("it is not a Secure Docket Card; set it aside") != std::string::npos);
            CHECK(msg.find("again") == std::string::npos);
            card.done();
        }
    }
}

TEST_CASE("ticket binds document number and data", "[perso]") {
    const auto a = perso::personalization_ticket(holder(0));
    CHECK(a.size() == 9 + 1 + 16);
    CHECK(to_hex(ByteView(a).first(10)) == "4443323630303030311F");  // "DC2600001" 1F
    CHECK(perso::personalization_ticket(holder(0)) == a);
    auto changed = holder(0);
    changed.docket.case_number = "LOS-2026-000732";
    CHECK(perso::personalization_ticket(changed) != a);
    CHECK(perso::ticket_document_number(a) == std::optional<std::string>("DC2600001"));
    CHECK_FALSE(perso::ticket_document_number(from_hex("0102")));
}

TEST_CASE("write personalizes a blank card; BAC reads back the same files", "[perso]") {
    auto card = memory_card();
    std::vector<std::string> steps;
    auto options = fixed_time();
    std::size_t last_done = 0, last_total = 0;
    options.on_progress = [&](const perso::Progress& p) {
        if (steps.empty() || steps.back() != p.step) steps.push_back(p.step);
        CHECK(p.done >= last_done);
        CHECK(p.done <= p.total);
        last_done = p.done;
        last_total = p.total;
    };
    const auto result = perso::write_card(*card, holder(), keys(), options);
    CHECK(result.state == CardState::Personalized);
    CHECK_FALSE(result.resumed);
    CHECK_FALSE(result.already_complete);
    CHECK(result.serial_hex.size() == 20);
    CHECK(result.document_number == "DC2600001");
    CHECK(result.files.size() == 10);   // with EF.CardAccess
    std::size_t total = 0;
    for (const auto& [fid, bytes] : result.files) total += bytes.size();
    CHECK(last_done == total);
    CHECK(last_total == total);
    CHECK(steps.front() == "selecting the docket application");
    CHECK(std::find(steps.begin(), steps.end(), "writing DG2") != steps.end());
    CHECK(std::find(steps.begin(), steps.end(), "generating AA key") != steps.end());
    CHECK(steps.back() == "done");
    // Every command is counted; with extended length a file of up to 2031 bytes takes one
    // UPDATE BINARY, so this card needs far fewer commands than short APDUs would.
    CHECK(result.apdus > 20);
    CHECK(result.apdus < 70);
    CHECK(result.bytes_sent > total);

    const auto info = perso::read_card_info(*card);
    CHECK(info.state == CardState::Personalized);
    CHECK(info.serial_hex == result.serial_hex);
    const auto files = read_with_bac(*card, holder());
    CHECK(files == result.files);
    const auto com = lds::decode_com(files.at(0x011E));
    CHECK(com.data_groups == std::vector<int>{1, 2, 11, 12, 13, 14, 15});
    CHECK(lds::decode_dg1(files.at(0x0101)) == mrz::make_td1(holder()).joined());
}

TEST_CASE("write on a complete card of the same holder changes nothing", "[perso]") {
    auto card = memory_card();
    const auto first = perso::write_card(*card, holder(), keys(), fixed_time());
    const auto again = perso::write_card(*card, holder(), keys(), fixed_time());
    CHECK(again.already_complete);
    CHECK(again.resumed);
    CHECK(again.state == CardState::Personalized);
    CHECK(again.files == first.files);
    CHECK(again.apdus < first.apdus);
    CHECK(perso::read_card_info(*card).state == CardState::Personalized);
}

TEST_CASE("write for another holder on a complete card is refused", "[perso]") {
    auto card = memory_card();
    perso::write_card(*card, holder(0), keys(), fixed_time());
    std::string msg;
    CHECK(kind_of([&] { perso::write_card(*card, holder(1), keys(), fixed_time()); }, &msg) == ErrorKind::WrongCardState);
    // Opening SCP03 advanced the card's persistent sequence counter: only its data is unchanged.
    CHECK(msg == "the card holds a complete personalization for document DC2600001; it cannot be written for "
                 "document DC2600002; no data on the card was changed; set the card aside");
    CHECK(msg.find("Nothing was changed") == std::string::npos);
    read_with_bac(*card, holder(0));
}

TEST_CASE("write on a locked card is refused and the card file is unchanged", "[perso]") {
    TempDir dir;
    const auto path = dir.path / "card.bin";
    {
        auto card = transport::open_sim_channel(path);
        perso::write_card(*card, holder(), keys(), fixed_time());
        perso::lock_card(*card, keys());
        CHECK(perso::read_card_info(*card).state == CardState::Locked);
        CHECK_FALSE(perso::read_card_info(*card).serial_hex);
    }
    const Bytes before = file_bytes(path);
    {
        auto card = transport::open_sim_channel(path);
        std::string msg;
        CHECK(kind_of([&] { perso::write_card(*card, holder(), keys()); }, &msg) == ErrorKind::WrongCardState);
        CHECK(msg == "the card is locked; it cannot be written again; set it aside");
        CHECK(kind_of([&] { perso::lock_card(*card, keys()); }, &msg) == ErrorKind::WrongCardState);
        CHECK(msg == "the card is already locked; nothing to do");
    }
    CHECK(file_bytes(path) == before);
}

TEST_CASE("lock refuses a blank or incomplete card", "[perso]") {
    TempDir dir;
    const auto path = dir.path / "card.bin";
    std::string msg;
    {
        auto card = transport::open_sim_channel(path);
        CHECK(kind_of([&] { perso::lock_card(*card, keys()); }, &msg) == ErrorKind::WrongCardState);
        CHECK(msg == "the card is blank (state BLANK): run write first");
    }
    {
        applet::CardOptions o;
        o.tear_after = 30;
        auto card = transport::open_sim_channel(path, o);
        CHECK(kind_of([&] { perso::write_card(*card, holder(), keys()); }, &msg) == ErrorKind::Communication);
        CHECK(msg.rfind("the card was removed during personalization; it is incomplete (state PERSONALIZING). Put it "
                        "back and run the same write command to finish it, or set it aside.",
                        0) == 0);
    }
    {
        auto card = transport::open_sim_channel(path);
        CHECK(kind_of([&] { perso::lock_card(*card, keys()); }, &msg) == ErrorKind::WrongCardState);
        CHECK(msg == "the card is not completely personalized (state PERSONALIZING): run write first");
        CHECK(perso::read_card_info(*card).state == CardState::Personalizing);
        // Holder B on a card half-written for holder A: refused, no data on the card changed.
        CHECK(kind_of([&] { perso::write_card(*card, holder(1), keys()); }, &msg) == ErrorKind::WrongCardState);
        CHECK(msg.find("the card holds an incomplete personalization for document DC2600001; it cannot be written "
                       "for document DC2600002") == 0);
        // The same holder finishes it, then it can be locked.
        const auto r = perso::write_card(*card, holder(), keys(), fixed_time());
        CHECK(r.resumed);
        CHECK_FALSE(r.already_complete);
        perso::lock_card(*card, keys());
        CHECK(perso::read_card_info(*card).state == CardState::Locked);
        read_with_bac(*card, holder());
    }
}

TEST_CASE("plan chunk size is what an SCP03 session at level 33 carries", "[perso]") {
    auto card = memory_card();
    const auto info = perso::read_card_info(*card);
    CHECK(info.max_command_data == 2048);
    auto session = sm::Scp03Session::open(*card, *keys().impl().scp03, 0x33);
    session.use_extended_length(info.max_command_data, info.max_command_data);
    CHECK(session.capabilities().max_command_data == perso::PlanOptions{}.max_command_data);
    CHECK(session.capabilities().max_response_data == perso::PlanOptions{}.max_response_data);
}

TEST_CASE("IssuerKeys::load names the missing file", "[perso]") {
    TempDir dir;
    std::string msg;
    CHECK(kind_of([&] { perso::IssuerKeys::load(dir.path); }, &msg) == ErrorKind::InvalidInput);
    CHECK(msg.find("scp03-master.txt") != std::string::npos);
    CHECK(kind_of([&] { perso::IssuerKeys::load(dir.path / "none"); }, &msg) == ErrorKind::InvalidInput);
}

TEST_CASE("a holder with unknown birth date parts is written; BAC uses `<<` as the MRZ does", "[perso]") {
    const auto h = holder(8);  // DC2600009, date of birth 1990-XX-XX
    REQUIRE(h.date_of_birth.month == 0);
    REQUIRE(mrz::make_td1(h).bac_information().substr(10, 6) == "90<<<<");
    auto card = memory_card();
    const auto result = perso::write_card(*card, h, keys(), fixed_time());
    CHECK(result.state == CardState::Personalized);
    const auto files = read_with_bac(*card, h);
    CHECK(lds::decode_dg1(files.at(0x0101)) == mrz::make_td1(h).joined());
}

TEST_CASE("write --document-code: a record without document_code gets the default the CLI passes", "[perso]") {
    // What `docketcard write --document-code AC` does: record::LoadOptions::default_document_code.
    record::LoadOptions load;
    load.default_document_code = "AC";
    const auto loaded = record::load_records(source("samples/holder.json"), load);
    REQUIRE(loaded.records.size() == 1);
    const auto& h = loaded.records.front();
    CHECK(h.document_code == "AC");
    auto card = memory_card();
    perso::write_card(*card, h, keys(), fixed_time());
    const auto files = read_with_bac(*card, h);
    CHECK(lds::decode_dg1(files.at(0x0101)).rfind("ACUSADC2600001", 0) == 0);
    // A record with its own document_code keeps it.
    const auto many = record::load_records(source("samples/holders.jsonl"), load);
    std::size_t own = 0;
    for (const auto& r : many.records) own += r.document_code == "IR";
    CHECK(own > 0);
}

TEST_CASE("a file the card stores wrongly keeps the card PERSONALIZING: COMPLETE checks every digest", "[perso]") {
    // A failing cell in DG2 (the photo) at offset 100: the UPDATE BINARY answers 9000, the card
    // holds a different byte. No read-back crosses the link; COMPLETE's digests catch it.
    applet::CardOptions o;
    o.random_seed = 3;
    o.test.bad_cell = std::make_pair(std::uint16_t{0x0102}, std::size_t{100});
    transport::LinkChannel card(std::make_unique<transport::SimLink>(applet::Card::in_memory(o), "memory card"));
    try {
        perso::write_card(card, holder(), keys(), fixed_time());
        FAIL("a card holding a wrong byte was completed");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::VerificationFailed);
        CHECK(e.status_word() == 0x6A80);
        CHECK(std::string(e.what()) ==
              "the card's copy of a file does not match what was written (COMPLETE with the files' digests answered "
              "6A80); the card is left incomplete (state PERSONALIZING): run the same write command again; if it "
              "fails again, set the card aside");
    }
    CHECK(perso::read_card_info(card).state == CardState::Personalizing);
    // The same write again rewrites the files and fails the same way: the cell is bad for good.
    CHECK_THROWS_AS(perso::write_card(card, holder(), keys(), fixed_time()), CardError);
    CHECK(perso::read_card_info(card).state == CardState::Personalizing);
    CHECK_THROWS_AS(perso::lock_card(card, keys()), Error);
}

TEST_CASE("the write reads nothing back: read commands carry under 10% of the bytes written", "[perso]") {
    auto card = memory_card(5);
    const auto result = perso::write_card(*card, holder(), keys(), fixed_time());
    std::size_t content = 0;
    for (const auto& [fid, bytes] : result.files) content += bytes.size();
    // Every command of the write is SELECT, GET DATA, SCP03, CREATE FILE, UPDATE BINARY, PUT DATA,
    // GENERATE AA KEY or COMPLETE: 44 commands (39 before PACE, then CREATE FILE, SELECT and UPDATE
    // BINARY of EF.CardAccess, PUT DATA of the CAN and GENERATE CA KEY), none of them READ BINARY.
    CHECK(result.apdus == 44);
    CHECK(result.bytes_sent > content);
    CHECK(result.bytes_sent < content + content / 5);
}

TEST_CASE("the largest holder fits the card: 16 documents, 20 conditions, a 25 KB photo", "[perso][budget]") {
    auto h = holder(5);   // DC2600006, the sample holder with 16 documents
    REQUIRE(h.documents.size() == record::max_documents);
    // Every document and condition at its longest.
    for (std::size_t i = 0; i < h.documents.size(); ++i) {
        auto& d = h.documents[i];
        d.form = "I-220A";
        d.title = std::string(80, 'T');
        d.number = std::string(30, 'N') + fmt::format("{:02d}", i);
        d.expires_on = record::Date{2031, 1, 1};
        d.issued_by = std::string(64, 'B');
    }
    h.docket.conditions.assign(20, std::string(200, 'C'));
    h.portal_reference = SecureBytes(32, 'P');
    // A 25,000-byte JPEG: the sample photo with a comment segment (T.81 B.2.4.5) after SOI.
    const Bytes jpeg = file_bytes(source("samples/photos/holder-06.jpg"));
    const std::size_t pad = 25000 - jpeg.size() - 4;
    Bytes big(jpeg.begin(), jpeg.begin() + 2);
    append(big, Bytes{0xFF, 0xFE, static_cast<std::uint8_t>((pad + 2) >> 8), static_cast<std::uint8_t>(pad + 2)});
    big.resize(big.size() + pad, 'x');
    append(big, ByteView(jpeg).subspan(2));
    REQUIRE(big.size() == 25000);
    h.photo = big;

    auto card = memory_card();
    const auto result = perso::write_card(*card, h, keys(), fixed_time());
    CHECK(result.state == CardState::Personalized);
    std::size_t total = 0;
    for (const auto& [fid, bytes] : result.files) total += bytes.size();
    CHECK(total > 25000 + 3200 + 4000);
    CHECK(total < 96 * 1024);
    const auto files = read_with_bac(*card, h);
    const auto dg13 = lds::decode_dg13(files.at(0x010D));
    CHECK(dg13.documents == h.documents);
    CHECK(dg13.portal_reference == h.portal_reference);
    CHECK(lds::decode_dg2(files.at(0x0102)).image == big);
}
