// verify_card on in-process cards personalized and locked by perso::write_card / lock_card with
// the sample keys (keys-sample/), and the HTML report of the result.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>

#include "docketcard/applet/card.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/sm/bac.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

fs::path source(const std::string& rel) { return fs::path(DOCKETCARD_SOURCE_DIR) / rel; }

const record::HolderRecord& sample_holder() {
    static const auto loaded = record::load_records(source("samples/holders.jsonl"));
    REQUIRE_FALSE(loaded.records.empty());
    return loaded.records.front();
}

const perso::IssuerKeys& keys() {
    static const perso::IssuerKeys k = perso::IssuerKeys::load(source("keys-sample"));
    return k;
}

struct TestCard {
    std::unique_ptr<transport::LinkChannel> channel;
    std::string serial;
};

TestCard make_card(bool lock, std::uint64_t seed) {
    applet::CardOptions o;
    o.random_seed = seed;
    TestCard c{std::make_unique<transport::LinkChannel>(
                   std::make_unique<transport::SimLink>(applet::Card::in_memory(o), "memory card")),
               ""};
    c.serial = perso::write_card(*c.channel, sample_holder(), keys()).serial_hex;
    if (lock) perso::lock_card(*c.channel, keys());
    return c;
}

// Personalizing takes a few hundred APDUs: one locked and one unlocked card for all tests.
TestCard& locked_card() {
    static TestCard c = make_card(true, 11);
    return c;
}
TestCard& unlocked_card() {
    static TestCard c = make_card(false, 12);
    return c;
}

verify::Options options_with(const record::HolderRecord& holder, const char* csca = "keys-sample/csca.pem") {
    verify::Options o;
    o.csca = source(csca);
    o.record = holder;
    o.now = 1767225600;  // 2026-01-01T00:00:00Z
    return o;
}

std::vector<std::string> ids(const verify::Result& r) {
    std::vector<std::string> out;
    for (const auto& c : r.checks) out.push_back(c.id);
    return out;
}

std::vector<std::string> failed(const verify::Result& r) {
    std::vector<std::string> out;
    for (const auto& c : r.checks)
        if (!c.passed) out.push_back(c.id);
    return out;
}

const std::vector<std::string> kCardChecks = {
    "pace",      "com",       "card-access", "chip-authentication",     "dg1-read",   "dg2-read",    "dg11-read",  "dg12-read",  "dg13-read",
    "dg14-read", "dg15-read", "sod-read",   "sod-signature", "ds-chain", "ds-validity", "sod-dg-set",
    "dg1-hash",  "dg2-hash",  "dg11-hash",  "dg12-hash",   "dg13-hash",  "dg14-hash",  "dg15-hash",
    "active-authentication", "locked", "endorsement"};

std::vector<std::string> with_record_checks() {
    auto v = kCardChecks;
    for (const char* id : {"mrz", "names", "dates", "docket", "documents", "background-check", "portal-reference", "photo"})
        v.push_back(id);
    return v;
}

Bytes base64_decode(const std::string& text) {
    Bytes out(text.size());
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n));
    // EVP_DecodeBlock keeps a zero byte for each '=' of padding.
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) out.pop_back();
    return out;
}

}  // namespace

TEST_CASE("a written and locked card verifies: every check passes", "[verify][card]") {
    auto& card = locked_card();
    const auto& holder = sample_holder();
    const auto r = verify::verify_card(*card.channel, options_with(holder));
    INFO([&] {
        std::string s;
        for (const auto& c : r.checks) s += (c.passed ? "PASS " : "FAIL ") + c.id + ": " + c.detail + "\n";
        return s;
    }());
    CHECK(ids(r) == with_record_checks());
    CHECK(failed(r).empty());
    CHECK(r.ok());
    CHECK(r.serial_hex == card.serial);
    CHECK(r.serial_hex.size() == 20);
    CHECK(r.mrz == mrz::make_td1(holder).joined());
    CHECK(r.full_name == "Núñez<<José María");
    CHECK(r.photo == holder.photo);
    CHECK(r.photo_mime == "image/jpeg");
    CHECK(r.photo_width > 0);
    CHECK(r.files.size() == 9);
    CHECK(r.find("locked")->detail == "lifecycle state 0F (LOCKED): read side only");
    CHECK(r.find("sod-dg-set")->detail == "EF.SOD and EF.COM both list DG1, DG2, DG11, DG12, DG13, DG14, DG15");
}

TEST_CASE("a docket card is held to locked and AA: nothing is N/A", "[verify][card]") {
    auto o = options_with(sample_holder());
    const auto r = verify::verify_card(*locked_card().channel, o);
    for (const auto& c : r.checks) CHECK(c.status() == "pass");
    o.require_docket_card = true;
    CHECK(verify::verify_card(*locked_card().channel, o).ok());
    // An unlocked docket card still fails `locked`: its card-info template makes it a docket card.
    const auto u = verify::verify_card(*unlocked_card().channel, options_with(sample_holder()));
    CHECK(u.find("locked")->status() == "fail");
    CHECK(u.find("active-authentication")->status() == "pass");
}

TEST_CASE("Active Authentication uses a fresh challenge every time", "[verify][card]") {
    auto& card = locked_card();
    auto o = options_with(sample_holder());
    o.record.reset();
    o.mrz_key = verify::MrzKey{sample_holder().document_number, sample_holder().date_of_birth.iso(),
                               sample_holder().date_of_expiry.iso()};
    const auto a = verify::verify_card(*card.channel, o);
    const auto b = verify::verify_card(*card.channel, o);
    CHECK(ids(a) == kCardChecks);   // no record: only the card's own checks
    CHECK(a.ok());
    CHECK(b.ok());
    const auto& da = a.find("active-authentication")->detail;
    const auto& db = b.find("active-authentication")->detail;
    CHECK(da.rfind("INTERNAL AUTHENTICATE with the fresh challenge ", 0) == 0);
    CHECK(da != db);
}

TEST_CASE("verification against another CSCA fails ds-chain only", "[verify][card]") {
    const auto r = verify::verify_card(*locked_card().channel, options_with(sample_holder(), "keys-sample/other-csca.pem"));
    CHECK(ids(r) == with_record_checks());
    CHECK(failed(r) == std::vector<std::string>{"ds-chain"});
    CHECK_FALSE(r.ok());
    CHECK(r.find("sod-signature")->passed);
}

TEST_CASE("an unlocked card fails `locked` unless locking is not required", "[verify][card]") {
    auto o = options_with(sample_holder());
    const auto r = verify::verify_card(*unlocked_card().channel, o);
    CHECK(failed(r) == std::vector<std::string>{"locked"});
    CHECK(r.find("locked")->detail ==
          "lifecycle state 07 (PERSONALIZED): the card must be LOCKED (0F); run `docketcard lock`");
    o.require_locked = false;
    const auto relaxed = verify::verify_card(*unlocked_card().channel, o);
    CHECK(relaxed.ok());
}

TEST_CASE("a record with another docket court fails `docket`, naming docket.court", "[verify][card]") {
    auto holder = sample_holder();
    REQUIRE(holder.docket.court == "LOS");
    holder.docket.court = "NYC";
    holder.docket.check_in_interval_days += 7;
    const auto r = verify::verify_card(*locked_card().channel, options_with(holder));
    CHECK(failed(r) == std::vector<std::string>{"docket"});
    CHECK(r.find("docket")->detail ==
          "docket.court: card \"LOS\", record \"NYC\"; docket.check_in_interval_days: card 7, record 14");
}

TEST_CASE("record differences name the field and both values", "[verify][card]") {
    auto holder = sample_holder();
    holder.given_names = "José";
    holder.place_of_birth = "Puebla, Mexico";
    holder.photo.back() ^= 0x01;
    holder.date_of_issue.day = 2;
    const auto r = verify::verify_card(*locked_card().channel, options_with(holder));
    CHECK(failed(r) == std::vector<std::string>{"mrz", "names", "dates", "photo"});
    CHECK(r.find("mrz")->detail.rfind("name: card \"NUNEZ<<JOSE<MARIA", 0) == 0);
    CHECK(r.find("names")->detail ==
          "full name: card \"Núñez<<José María\", record \"Núñez<<José\"; place of birth: card \"Oaxaca, Mexico\", "
          "record \"Puebla, Mexico\"");
    CHECK(r.find("dates")->detail == "date of issue: card \"20250101\", record \"20250102\"");
    CHECK(r.find("photo")->detail.find("SHA-256") != std::string::npos);
}

TEST_CASE("documents, background check and portal reference are compared; the portal reference never shown",
          "[verify][card]") {
    auto holder = sample_holder();
    REQUIRE(holder.documents.size() == 1);
    REQUIRE(holder.portal_reference);
    const auto good = verify::verify_card(*locked_card().channel, options_with(holder));
    CHECK(good.find("documents")->detail == "1 documents, each form, title, number and date as in the record");
    CHECK(good.find("background-check")->detail == "reference \"NSBC-2025-004099\", cleared on 2024-12-27");
    CHECK(good.find("portal-reference")->detail == "the card's is the record's (value not shown)");
    CHECK(good.find("endorsement")->detail == "\"NOT A FEDERAL ID. FOR DHS USE ONLY.\"");
    REQUIRE(good.docket);
    CHECK(good.docket->documents == holder.documents);

    holder.documents[0].number = "LOS001-02";
    holder.documents.push_back(holder.documents[0]);
    holder.background_check.cleared_on.day = 28;
    holder.portal_reference = SecureBytes{'X', 'Y', 'Z', '1', '2', '3', '4', '5'};
    const auto r = verify::verify_card(*locked_card().channel, options_with(holder));
    CHECK(failed(r) == std::vector<std::string>{"documents", "background-check", "portal-reference"});
    CHECK(r.find("documents")->detail ==
          "the card holds 1 documents, the record 2; documents[0]: card \"I-94 Arrival/Departure Record, no. "
          "LOS001-01, issued 2024-12-29, by ICE ERO LOS\", record \"I-94 Arrival/Departure Record, no. LOS001-02, "
          "issued 2024-12-29, by ICE ERO LOS\"");
    CHECK(r.find("background-check")->detail == "cleared on: card 2024-12-27, record 2024-12-28");
    CHECK(r.find("portal-reference")->detail == "the card's differs from the record's (values not shown)");
    for (const auto& c : r.checks) CHECK(c.detail.find("XYZ1") == std::string::npos);
    for (const auto& [label, value] : r.holder) CHECK(value.find("DKT01") == std::string::npos);
    holder.portal_reference.reset();
    CHECK(verify::verify_card(*locked_card().channel, options_with(holder)).find("portal-reference")->detail ==
          "the card has one, the record has none (values not shown)");
}

TEST_CASE("a card of DG13 format version 1 still verifies; the version 2 checks are N/A", "[verify][card]") {
    applet::CardOptions co;
    co.random_seed = 21;
    auto channel = std::make_unique<transport::LinkChannel>(
        std::make_unique<transport::SimLink>(applet::Card::in_memory(co), "memory card"));
    perso::WriteOptions wo;
    wo.docket_format_version = 1;
    perso::write_card(*channel, sample_holder(), keys(), wo);
    perso::lock_card(*channel, keys());
    const auto r = verify::verify_card(*channel, options_with(sample_holder()));
    CHECK(ids(r) == with_record_checks());
    CHECK(failed(r).empty());
    CHECK(r.ok());
    for (const char* id : {"documents", "background-check", "portal-reference", "endorsement"}) {
        CAPTURE(id);
        CHECK_FALSE(r.find(id)->applicable);
    }
    CHECK(r.find("documents")->detail == "DG13 is format version 1, which carries no release documents");
    CHECK(r.find("endorsement")->detail == "DG12 has no endorsement (5F1B): a card of DG13 format version 1");
    REQUIRE(r.docket);
    CHECK(r.docket->version == 1);
    // A site that requires a docket card of the current format fails them.
    auto strict = options_with(sample_holder());
    strict.require_docket_card = true;
    CHECK(failed(verify::verify_card(*channel, strict)) ==
          std::vector<std::string>{"endorsement", "documents", "background-check", "portal-reference"});
}

TEST_CASE("wrong MRZ data is a PACE error (CardRefused) on a card with EF.CardAccess", "[verify][card]") {
    auto o = options_with(sample_holder());
    o.record.reset();
    o.mrz_key = verify::MrzKey{sample_holder().document_number, "1986-03-15", sample_holder().date_of_expiry.iso()};
    try {
        verify::verify_card(*locked_card().channel, o);
        FAIL("no error");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(std::string(e.what()) == "PACE failed: the MRZ data does not match the card");
        CHECK(e.status_word() == 0x6300);
    }
    // The card is still usable afterwards.
    CHECK(verify::verify_card(*locked_card().channel, options_with(sample_holder())).ok());
}

TEST_CASE("render_html: verdict, every check, the photo embedded, all text escaped", "[verify][html]") {
    auto holder = sample_holder();
    holder.docket.court = "<script>alert('court')</script>";
    auto r = verify::verify_card(*locked_card().channel, options_with(holder));
    r.holder.emplace_back("<b>label</b>", "\"><img src=x onerror=alert(1)>");
    const std::string html = verify::render_html(r);

    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find(">NOT VERIFIED<") != std::string::npos);
    CHECK(html.find(">VERIFIED<") == std::string::npos);
    for (const auto& c : r.checks) CHECK(html.find(">" + c.id + "<") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(&#39;court&#39;)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("<img src=x") == std::string::npos);
    CHECK(html.find("&lt;b&gt;label&lt;/b&gt;") != std::string::npos);
    CHECK(html.find(r.serial_hex) != std::string::npos);
    CHECK(html.find("checked at 2026-01-01 00:00:00 UTC") != std::string::npos);
    CHECK(html.find(" &middot; opened with PACE-CAN &middot; ") != std::string::npos);
    // The failed checks by name and reason, not by id.
    CHECK(html.find("<ul class=\"failed\">\n<li><b>Docket data (DG13) matches the record</b>: docket.court: card "
                    "&quot;LOS&quot;, record &quot;&lt;script&gt;") != std::string::npos);
    CHECK(html.find("Failed: docket") == std::string::npos);
    CHECK(html.find("FAIL") != std::string::npos);
    CHECK(html.find("http") == std::string::npos);   // self-contained: no external resource

    const std::string prefix = "<img src=\"data:image/jpeg;base64,";
    const auto at = html.find(prefix);
    REQUIRE(at != std::string::npos);
    const auto start = at + prefix.size();
    const std::string b64 = html.substr(start, html.find('"', start) - start);
    CHECK(base64_decode(b64) == holder.photo);

    auto good = verify::verify_card(*locked_card().channel, options_with(sample_holder()));
    const std::string ok_html = verify::render_html(good);
    // The report shows what the card is for: its documents, the endorsement, the background check.
    CHECK(ok_html.find("<th>Document 1</th><td>I-94 Arrival/Departure Record, no. LOS001-01, issued 2024-12-29, by ICE ERO LOS</td>") !=
          std::string::npos);
    CHECK(ok_html.find("NOT A FEDERAL ID. FOR DHS USE ONLY.") != std::string::npos);
    CHECK(ok_html.find("NSBC-2025-004099, cleared 2024-12-27") != std::string::npos);
    CHECK(ok_html.find("DKT01") == std::string::npos);
    // Dates as YYYY-MM-DD, the A-number as the record writes it.
    CHECK(ok_html.find("<th>Date of birth</th><td>1986-03-14</td>") != std::string::npos);
    CHECK(ok_html.find("<th>Date of expiry</th><td>2029-01-01</td>") != std::string::npos);
    CHECK(ok_html.find("<th>Date of issue</th><td>2025-01-01</td>") != std::string::npos);
    CHECK(ok_html.find("<th>A-number</th><td>A123456789</td>") != std::string::npos);
    CHECK(ok_html.find("YYMMDD") == std::string::npos);
    CHECK(ok_html.find(">VERIFIED<") != std::string::npos);
    CHECK(ok_html.find("NOT VERIFIED") == std::string::npos);
    CHECK(ok_html.find("FAIL") == std::string::npos);
}

TEST_CASE("render_html: JPEG 2000 photos are not shown inline; their size is", "[verify][html]") {
    verify::Result r;
    r.checks.push_back({"bac", "Basic Access Control", true, "ok"});
    r.photo = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50};
    r.photo_mime = "image/jp2";
    r.photo_width = 240;
    r.photo_height = 320;
    const std::string html = verify::render_html(r);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("The chip holds a JPEG 2000 photo (DG2): 240 &times; 320 pixels, 6 bytes.<br>Browsers may not "
                    "display JPEG 2000, so it is not shown here.") != std::string::npos);
    CHECK(html.find("<a download=\"photo.jp2\" href=\"data:image/jp2;base64,AAAADGpQ\">Download the photo "
                    "(photo.jp2)</a>") != std::string::npos);
    CHECK(html.find(">VERIFIED<") != std::string::npos);
}

TEST_CASE("html_escape", "[verify][html]") {
    CHECK(verify::html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
    CHECK(verify::html_escape("Núñez") == "Núñez");
}

TEST_CASE("a data group changed after signing fails its hash check", "[verify][card]") {
    // Personalize, then rewrite one byte of DG13 over SCP03 as a forger with the issuer's SCP03
    // keys but not the Document Signer key would, complete the card again and lock it.
    applet::CardOptions o;
    o.random_seed = 13;
    transport::LinkChannel card(std::make_unique<transport::SimLink>(applet::Card::in_memory(o), "memory card"));
    const auto written = perso::write_card(card, sample_holder(), keys());
    const Bytes& dg13 = written.files.at(0x010D);
    const std::string text(dg13.begin(), dg13.end());
    const auto at = text.find("LOS-2026-000731");
    REQUIRE(at != std::string::npos);
    {
        const auto master = sm::load_scp03_master_keys(source("keys-sample"));
        auto session = sm::Scp03Session::open(card, master);
        CHECK(session.transmit(apdu::CommandApdu::select_ef(0x010D)).sw.value() == 0x9000);
        CHECK(session.transmit(apdu::CommandApdu::update_binary(static_cast<std::uint16_t>(at + 14), {'8'})).sw.value() ==
              0x9000);
        // COMPLETE names every file with the digest of what the card now holds (docs/card-protocol.md).
        Bytes digests;
        for (const auto& [fid, content] : written.files) {
            Bytes now = content;
            if (fid == 0x010D) now[at + 14] = '8';
            put_u16(digests, fid);
            const Bytes d = crypto::sha256(now);
            digests.insert(digests.end(), d.begin(), d.begin() + 16);
        }
        CHECK(session.transmit(apdu::CommandApdu(0x80, 0xDA, 0x00, 0x69, digests)).sw.value() == 0x9000);
    }
    perso::lock_card(card, keys());

    const auto r = verify::verify_card(card, options_with(sample_holder()));
    CHECK(failed(r) == std::vector<std::string>{"dg13-hash", "docket"});
    CHECK(r.find("dg13-hash")->detail.rfind("DG13 sha256 ", 0) == 0);
    CHECK(r.find("docket")->detail == "docket.case_number: card \"LOS-2026-000738\", record \"LOS-2026-000731\"");
}

TEST_CASE("verify opens a PACE card with the CAN, else with the MRZ; a card without EF.CardAccess with BAC",
          "[verify][card][pace]") {
    const auto& holder = sample_holder();
    REQUIRE(holder.card_access_number);
    auto& c = locked_card();
    auto r = verify::verify_card(*c.channel, options_with(holder));
    CHECK(r.access_control == "PACE-CAN");
    CHECK(r.find("pace") != nullptr);
    CHECK(r.find("bac") == nullptr);
    CHECK(failed(r).empty());

    auto no_can = options_with(holder);
    no_can.record->card_access_number.reset();
    r = verify::verify_card(*c.channel, no_can);
    CHECK(r.access_control == "PACE-MRZ");
    CHECK(failed(r).empty());

    auto wrong = options_with(holder);
    wrong.can = SecureBytes{'0', '0', '0', '0', '0', '0'};
    try {
        verify::verify_card(*c.channel, wrong);
        FAIL("a wrong CAN verified");
    } catch (const CardError& e) {
        CHECK(e.kind() == ErrorKind::CardRefused);
        CHECK(e.status_word() == 0x63C9);
    }
    CHECK(verify::verify_card(*c.channel, options_with(holder)).access_control == "PACE-CAN");

    for (const auto access : {perso::AccessControl::Bac, perso::AccessControl::PaceOnly}) {
        applet::CardOptions co;
        co.random_seed = 21;
        transport::LinkChannel card(std::make_unique<transport::SimLink>(applet::Card::in_memory(co), "memory card"));
        perso::WriteOptions w;
        w.access = access;
        perso::write_card(card, holder, keys(), w);
        perso::lock_card(card, keys());
        r = verify::verify_card(card, options_with(holder));
        CHECK(failed(r).empty());
        if (access == perso::AccessControl::Bac) {
            CHECK(r.access_control == "BAC");
            CHECK(r.find("bac")->passed);
        } else {
            CHECK(r.access_control == "PACE-CAN");
            iso7816::select_application(card);
            try {
                sm::establish_bac(card, mrz::make_td1(holder).bac_information());
                FAIL("a pace-only card accepted BAC");
            } catch (const CardError& e) {
                CHECK(e.status_word() == 0x6982);
            }
        }
    }
}

namespace {

// Between verify_card and the card: flips one byte of DO'8E in the answer to the n-th READ BINARY
// of one file (once, or in every session with `always`), as a third-party emulation or a bad
// contact would. The wire shows only cryptograms, so the file is followed through the plain trace
// (Options::plain_trace), whose SELECT lines name it. Also counts SELECT of the eMRTD application
// (one per access-control session) and can refuse it after the fault, so re-authentication fails.
class CorruptResponseMac final : public transport::CardChannel {
public:
    CorruptResponseMac(transport::CardChannel& inner, std::uint16_t target, int nth, bool always)
        : inner_(inner), target_(target), nth_(nth), always_(always) {}

    verify::Options traced(verify::Options o) {
        transport::TraceOptions t;
        t.level = transport::TraceLevel::Plain;
        t.sink = [this](const std::string& line) { follow(line); };
        t.clock = [] { return std::chrono::milliseconds(0); };
        o.plain_trace = t;
        return o;
    }

    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        if (c.cla == 0x00 && c.ins == 0xA4 && c.p1 == 0x04) {
            ++application_selects;
            if (refuse_reselect && corrupted > 0) return apdu::ResponseApdu{{}, apdu::StatusWord(0x6A, 0x82)};
        }
        auto r = inner_.transmit(c);
        const bool protected_read = (c.cla & 0x0C) == 0x0C && (c.ins == 0xB0 || c.ins == 0xB1);
        if (protected_read && current_ == target_ && ++reads_ == nth_ && (always_ || corrupted == 0)) {
            REQUIRE(r.data.size() >= 10);
            REQUIRE(r.data[r.data.size() - 10] == 0x8E);   // DO'8E is last (Part 11 9.8.5)
            r.data.back() ^= 0x01;
            ++corrupted;
        }
        return r;
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }

    bool refuse_reselect = false;   ///< answer 6A82 to SELECT of the application once a MAC was corrupted
    int corrupted = 0;
    int application_selects = 0;

private:
    // "[     0 ms] plain > 00 A4 02 0C Lc=2 0102": a new current EF, whose READ BINARYs count from 1.
    void follow(const std::string& line) {
        const std::string select = "plain > 00 A4 02 0C Lc=2 ";
        const auto at = line.find(select);
        if (at == std::string::npos) return;
        current_ = static_cast<std::uint16_t>(std::stoul(line.substr(at + select.size(), 4), nullptr, 16));
        reads_ = 0;
    }

    transport::CardChannel& inner_;
    std::uint16_t target_;
    int nth_;
    bool always_;
    std::optional<std::uint16_t> current_;
    int reads_ = 0;
};

std::string failures(const verify::Result& r) {
    std::string s;
    for (const auto& c : r.checks)
        if (!c.passed) s += c.id + ": " + c.detail + "\n";
    return s;
}

}  // namespace

TEST_CASE("one bad response MAC fails that file's read once; access control is re-established and every other check "
          "passes",
          "[verify][card][sm-error]") {
    CorruptResponseMac card(*locked_card().channel, 0x0102, 2, false);   // DG2, its second READ BINARY
    const auto r = verify::verify_card(card, card.traced(options_with(sample_holder())));
    INFO(failures(r));
    CHECK(card.corrupted == 1);
    CHECK_FALSE(r.ok());
    CHECK(ids(r) == with_record_checks());   // no check twice: the second session adds none
    CHECK(failed(r) == std::vector<std::string>{"dg2-read"});
    CHECK(r.find("dg2-read")->detail.rfind(
              "READ BINARY at offset 4 of DG2 failed: secure messaging: the MAC of the card's response (DO8E) does not "
              "verify; the response was altered or does not come from the authenticated card, and the secure session "
              "has ended; access control re-established (PACE-CAN and Chip Authentication) and the file read again: ",
              0) == 0);
    // What the second read gave is checked as usual.
    CHECK(r.find("dg2-hash")->passed);
    CHECK(r.find("photo")->passed);
    CHECK(r.photo == sample_holder().photo);
    CHECK(r.sessions == 2);
    CHECK(card.application_selects == 2);
    CHECK(r.access_control == "PACE-CAN");
}

TEST_CASE("a bad MAC in any file fails only that file's read check", "[verify][card][sm-error]") {
    const auto [fid, id] = GENERATE(table<std::uint16_t, std::string>(
        {{0x011E, "com"}, {0x010E, "dg14-read"}, {0x011D, "sod-read"}, {0x0101, "dg1-read"}, {0x010F, "dg15-read"}}));
    CorruptResponseMac card(*locked_card().channel, fid, 1, false);
    const auto r = verify::verify_card(card, card.traced(options_with(sample_holder())));
    INFO(id << "\n" << failures(r));
    CHECK(card.corrupted == 1);
    CHECK(ids(r) == with_record_checks());
    CHECK(failed(r) == std::vector<std::string>{id});
    CHECK(r.find(id)->detail.find("secure messaging: the MAC of the card's response (DO8E) does not verify") !=
          std::string::npos);
    CHECK(r.sessions == 2);
    CHECK(card.application_selects == 2);
}

TEST_CASE("a file whose every response MAC is bad is unreadable after one retry; the other files still verify",
          "[verify][card][sm-error]") {
    CorruptResponseMac card(*locked_card().channel, 0x0102, 2, true);
    const auto r = verify::verify_card(card, card.traced(options_with(sample_holder())));
    INFO(failures(r));
    CHECK(card.corrupted == 2);   // the first read and its one retry
    CHECK(ids(r) == with_record_checks());
    CHECK(failed(r) == std::vector<std::string>{"dg2-read", "dg2-hash", "photo"});
    const auto& detail = r.find("dg2-read")->detail;
    CHECK(detail.rfind("READ BINARY at offset 4 of DG2 failed: secure messaging: the MAC of the card's response", 0) == 0);
    CHECK(detail.find("; access control re-established (PACE-CAN and Chip Authentication), but READ BINARY at offset 4 "
                      "of DG2 failed again: secure messaging: the MAC") != std::string::npos);
    CHECK(detail.ends_with("; DG2 is unreadable"));
    // Once for the retry, once more for the next file (DG11): never a loop.
    CHECK(r.sessions == 3);
    CHECK(card.application_selects == 3);
    CHECK(r.find("dg11-read")->passed);
    CHECK(r.find("active-authentication")->passed);
    CHECK(r.find("locked")->passed);
}

TEST_CASE("when re-establishing access control fails, no more is sent and the later checks say why",
          "[verify][card][sm-error]") {
    CorruptResponseMac card(*locked_card().channel, 0x0102, 2, false);
    card.refuse_reselect = true;
    const auto r = verify::verify_card(card, card.traced(options_with(sample_holder())));
    INFO(failures(r));
    CHECK(ids(r) == with_record_checks());
    CHECK(r.sessions == 1);
    CHECK(card.application_selects == 2);   // the first and the one refused: no retry of the retry
    const std::string why = "access control could not be re-established after the secure messaging error on DG2: ";
    CHECK(r.find("dg2-read")->detail.find("; " + why) != std::string::npos);
    for (const char* id : {"dg11-read", "dg12-read", "dg13-read", "dg15-read"})
        CHECK(r.find(id)->detail.rfind("not read: " + why, 0) == 0);
    CHECK(r.find("active-authentication")->detail.find(why) != std::string::npos);
    CHECK(r.find("locked")->detail.rfind("not read: " + why, 0) == 0);
    // What was read before the error still verifies.
    CHECK(r.find("dg1-read")->passed);
    CHECK(r.find("dg14-read")->passed);
    CHECK(r.find("sod-signature")->passed);
    CHECK(r.find("dg1-hash")->passed);
    CHECK(r.find("mrz")->passed);
    CHECK_FALSE(r.ok());
}
