// verify_card on a card that is not ours: a minimal chip written here from ICAO Doc 9303 alone
// (Part 10 LDS files, Part 11 9.7 BAC card side, 9.8 3DES secure messaging), with no docket
// applet commands (GET DATA 66, INTERNAL AUTHENTICATE answer 6D00). It shares no code with the
// applets: only the crypto wrappers, the SmCipher primitives and the LDS/SOD encoders that build
// its files, signed with keys-sample/.

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/sm/bac.hpp"
#include "docketcard/sm/secure_messaging.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

fs::path source(const std::string& rel) { return fs::path(DOCKETCARD_SOURCE_DIR) / rel; }

const record::HolderRecord& holder() {
    static const auto loaded = record::load_records(source("samples/holders.jsonl"));
    REQUIRE_FALSE(loaded.records.empty());
    return loaded.records.front();
}

const Bytes kAid = {0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01};

apdu::ResponseApdu sw(std::uint16_t value, Bytes data = {}) {
    append(data, Bytes{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)});
    return apdu::ResponseApdu::parse(data);
}

// A Doc 9303 chip: SELECT of the eMRTD application, GET CHALLENGE, MUTUAL AUTHENTICATE, then
// SELECT EF and READ BINARY under 3DES secure messaging. Anything else answers 6D00.
class Doc9303Card : public transport::CardChannel {
public:
    Doc9303Card(const std::string& mrz_information, std::map<std::uint16_t, Bytes> files)
        : keys_(sm::BacKeys::from_mrz_information(mrz_information)), files_(std::move(files)) {}

    apdu::ResponseApdu transmit(const apdu::CommandApdu& c) override {
        sent_.push_back(c.encode());
        if (c.cla == 0x00 && c.ins == 0xA4 && c.p1 == 0x04) {
            cipher_.reset();
            selected_ = c.data == kAid;
            return sw(selected_ ? 0x9000 : 0x6A82);
        }
        if (!selected_) return sw(0x6D00);
        if (c.cla == 0x00 && c.ins == 0x84 && c.le == 8) {
            rnd_ic_ = crypto::random_bytes(8);
            return sw(0x9000, rnd_ic_);
        }
        if (c.cla == 0x00 && c.ins == 0x82) return mutual_authenticate(c.data);
        if (c.cla == 0x0C && cipher_) return secure(c);
        return sw(0x6D00);
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "independent Doc 9303 card"; }

    std::vector<Bytes> sent_;

private:
    // Part 11 9.7.4.2, card side: check M.IFD, decrypt S, answer E.IC || M.IC, derive the session.
    apdu::ResponseApdu mutual_authenticate(const Bytes& data) {
        if (data.size() != 40 || rnd_ic_.empty()) return sw(0x6700);
        const ByteView e_ifd(data.data(), 32), m_ifd(data.data() + 32, 8);
        if (!equal_ct(crypto::retail_mac(view(keys_.k_mac), crypto::pad_m2(e_ifd, 8)), m_ifd)) return sw(0x6300);
        const Bytes zero(8, 0);
        const Bytes s = crypto::des3_cbc_decrypt(view(keys_.k_enc), zero, e_ifd);
        const Bytes rnd_ifd(s.begin(), s.begin() + 8), k_ifd(s.begin() + 16, s.end());
        if (!std::equal(rnd_ic_.begin(), rnd_ic_.end(), s.begin() + 8)) return sw(0x6300);
        const Bytes k_ic = crypto::random_bytes(16);
        const Bytes e_ic = crypto::des3_cbc_encrypt(view(keys_.k_enc), zero, concat({rnd_ic_, rnd_ifd, k_ic}));
        Bytes answer = e_ic;
        append(answer, crypto::retail_mac(view(keys_.k_mac), crypto::pad_m2(e_ic, 8)));
        Bytes seed(16);
        for (std::size_t i = 0; i < 16; ++i) seed[i] = k_ifd[i] ^ k_ic[i];
        cipher_.emplace(crypto::icao_kdf_3des(seed, 1), crypto::icao_kdf_3des(seed, 2));
        ssc_ = concat({ByteView(rnd_ic_).subspan(4), ByteView(rnd_ifd).subspan(4)});
        rnd_ic_.clear();
        return sw(0x9000, answer);
    }

    void increment_ssc() {
        for (auto it = ssc_.rbegin(); it != ssc_.rend() && ++*it == 0; ++it) {
        }
    }

    // Part 11 9.8.4 / 9.8.5, card side: check DO8E, decrypt DO87, run the plain command, protect
    // the answer. Errors are answered plain (no data objects), as many chips do.
    apdu::ResponseApdu secure(const apdu::CommandApdu& c) {
        increment_ssc();
        Bytes do87, do97, do8e;
        try {
            tlv::Reader r(c.data);
            while (!r.empty()) {
                const auto o = r.next();
                const Bytes whole = tlv::encode(o.tag, o.value);
                if (o.tag == 0x87) do87 = whole;
                else if (o.tag == 0x97) do97 = whole;
                else if (o.tag == 0x8E) do8e.assign(o.value.begin(), o.value.end());
                else return drop(0x6988);
            }
        } catch (const Error&) {
            return drop(0x6988);
        }
        Bytes mac_input = ssc_;
        append(mac_input, crypto::pad_m2(Bytes{c.cla, c.ins, c.p1, c.p2}, 8));
        append(mac_input, do87);
        append(mac_input, do97);
        if (do8e.size() != 8 || !equal_ct(cipher_->mac(crypto::pad_m2(mac_input, 8)), do8e)) return drop(0x6988);
        Bytes plain;
        if (!do87.empty()) {
            const auto o = tlv::parse_single(do87);
            plain = crypto::unpad_m2(cipher_->decrypt(ssc_, ByteView(o.value).subspan(1)));
        }
        std::size_t le = 0;
        if (!do97.empty()) {
            const auto v = tlv::parse_single(do97).value;
            le = v.size() == 1 ? (v[0] == 0 ? 256 : v[0]) : 0;
        }

        // The response counts in the SSC whether or not it is protected (as the terminal counts it).
        increment_ssc();
        apdu::ResponseApdu answer;
        if (c.ins == 0xA4 && c.p1 == 0x02 && plain.size() == 2) {
            const std::uint16_t fid = static_cast<std::uint16_t>(plain[0] << 8 | plain[1]);
            if (!files_.count(fid)) return sw(0x6A82);
            current_ = fid;
            answer = sw(0x9000);
        } else if (c.ins == 0xB0 && current_) {
            const Bytes& ef = files_.at(*current_);
            const std::size_t offset = static_cast<std::size_t>(c.p1 << 8 | c.p2);
            if (offset > ef.size()) return sw(0x6B00);
            const std::size_t n = std::min(le, ef.size() - offset);
            answer = sw(0x9000, Bytes(ef.begin() + offset, ef.begin() + offset + n));
        } else {
            // GET DATA, INTERNAL AUTHENTICATE and everything else: not supported.
            return sw(0x6D00);
        }

        Bytes body;
        if (!answer.data.empty()) {
            Bytes value = {0x01};
            append(value, cipher_->encrypt(ssc_, crypto::pad_m2(answer.data, 8)));
            append(body, tlv::encode(0x87, value));
        }
        append(body, tlv::encode(0x99, Bytes{0x90, 0x00}));
        Bytes mac_in = ssc_;
        append(mac_in, body);
        append(body, tlv::encode(0x8E, cipher_->mac(crypto::pad_m2(mac_in, 8))));
        return sw(0x9000, body);
    }

    apdu::ResponseApdu drop(std::uint16_t value) {
        cipher_.reset();
        return sw(value);
    }

    sm::BacKeys keys_;
    std::map<std::uint16_t, Bytes> files_;
    bool selected_ = false;
    Bytes rnd_ic_;
    std::optional<sm::Des3SmCipher> cipher_;
    Bytes ssc_;
    std::optional<std::uint16_t> current_;
};

// EF.COM, DG1, DG2, DG11, DG12, DG13 of the sample holder and an EF.SOD over them (plus
// `extra` data groups that are signed but, unless `store_extra`, not on the chip).
std::map<std::uint16_t, Bytes> card_files(const std::map<int, Bytes>& extra = {}, bool store_extra = false) {
    auto lds = lds::encode_holder(holder());
    auto signed_dgs = lds.data_group_bytes();
    for (const auto& [dg, bytes] : extra) {
        signed_dgs[dg] = bytes;
        if (store_extra) lds.set(lds::dg_file_id(dg), bytes);
    }
    if (store_extra) lds.set(lds::fid_com, lds::encode_com(lds.data_groups()));
    pki::SignOptions so;
    so.signing_time = 1767225600;
    lds.set(lds::fid_sod, pki::sign_sod(signed_dgs, pki::load_document_signer(source("keys-sample")), so));
    return lds.files;
}

verify::Options options() {
    verify::Options o;
    o.csca = source("keys-sample/csca.pem");
    o.record = holder();
    o.now = 1767225600;  // 2026-01-01T00:00:00Z
    return o;
}

std::vector<std::string> failed(const verify::Result& r) {
    std::vector<std::string> out;
    for (const auto& c : r.checks)
        if (!c.passed) out.push_back(c.id);
    return out;
}

std::string dump(const verify::Result& r) {
    std::string s;
    for (const auto& c : r.checks) s += std::string(c.status()) + " " + c.id + ": " + c.detail + "\n";
    return s;
}

Bytes some_dg15() { return lds::encode_dg15(crypto::EcPrivateKey::generate_p256().public_key_spki()); }

}  // namespace

TEST_CASE("an independent Doc 9303 card without DG15 verifies: locked and AA are N/A", "[verify][independent]") {
    Doc9303Card card(mrz::make_td1(holder()).bac_information(), card_files());
    const auto r = verify::verify_card(card, options());
    INFO(dump(r));
    CHECK(r.ok());
    CHECK(failed(r).empty());
    std::vector<std::string> na;
    for (const auto& c : r.checks) {
        if (!c.applicable) na.push_back(c.id);
        else CHECK(c.status() == "pass");
    }
    CHECK(na == std::vector<std::string>{"card-access", "chip-authentication", "active-authentication", "locked"});
    // bac com card-access chip-authentication 5*read sod-read 3*pki sod-dg-set 5*hash aa locked
    // endorsement 8*record
    CHECK(r.checks.size() == 30);
    CHECK(r.find("chip-authentication")->detail ==
          "EF.COM lists no DG14: the chip offers no Chip Authentication (Part 11 6.2 is optional)");
    const auto* locked = r.find("locked");
    CHECK(locked->passed);
    CHECK(locked->status() == "n/a");
    CHECK(locked->detail == "the card is not a docket applet: its lock state cannot be read (GET DATA 66 answered 6D00)");
    const auto* aa = r.find("active-authentication");
    CHECK(aa->passed);
    CHECK(aa->detail == "EF.SOD lists no DG15: the issuer did not give this chip Active Authentication");
    CHECK(r.serial_hex.empty());
    // No INTERNAL AUTHENTICATE was sent to a chip without AA; GET DATA 66 went under SM.
    const auto last = apdu::CommandApdu::parse(card.sent_.back());
    CHECK(last.cla == 0x0C);
    CHECK(last.ins == 0xCA);
    CHECK(last.p2 == 0x66);
    for (const auto& cmd : card.sent_) CHECK(cmd.at(1) != 0x88);

    const std::string html = verify::render_html(r);
    CHECK(html.find(">VERIFIED<") != std::string::npos);
    CHECK(html.find("<span class=\"badge na\">N/A</span>") != std::string::npos);
    CHECK(html.find("26 of 30 checks passed, 4 not applicable") != std::string::npos);
}

TEST_CASE("require_docket_card fails an independent card's locked and AA checks", "[verify][independent]") {
    Doc9303Card card(mrz::make_td1(holder()).bac_information(), card_files());
    auto o = options();
    o.require_docket_card = true;
    const auto r = verify::verify_card(card, o);
    CHECK_FALSE(r.ok());
    CHECK(failed(r) == std::vector<std::string>{"active-authentication", "locked"});
    CHECK(r.find("locked")->status() == "fail");
    CHECK(r.find("locked")->detail ==
          "the card is not a docket applet: its lock state cannot be read (GET DATA 66 answered 6D00); a docket card "
          "is required");
}

TEST_CASE("an independent card whose EF.SOD lists DG15 must perform Active Authentication", "[verify][independent]") {
    SECTION("DG15 on the chip, INTERNAL AUTHENTICATE not supported") {
        Doc9303Card card(mrz::make_td1(holder()).bac_information(), card_files({{15, some_dg15()}}, true));
        const auto r = verify::verify_card(card, options());
        INFO(dump(r));
        CHECK_FALSE(r.ok());
        CHECK(failed(r) == std::vector<std::string>{"active-authentication"});
        CHECK(r.find("active-authentication")->applicable);
        CHECK(r.find("active-authentication")->detail.find("6D00") != std::string::npos);
        CHECK(r.find("dg15-hash")->passed);
        CHECK(r.find("locked")->status() == "n/a");
    }
    SECTION("EF.SOD lists DG15, the chip has no DG15 and EF.COM does not list it") {
        Doc9303Card card(mrz::make_td1(holder()).bac_information(), card_files({{15, some_dg15()}}, false));
        const auto r = verify::verify_card(card, options());
        INFO(dump(r));
        CHECK_FALSE(r.ok());
        CHECK(failed(r) == std::vector<std::string>{"dg15-read", "sod-dg-set", "dg15-hash", "active-authentication"});
        CHECK(r.find("active-authentication")->detail.rfind("EF.SOD lists DG15 but DG15 could not be read", 0) == 0);
        CHECK(r.find("sod-dg-set")->detail ==
              "EF.SOD lists DG1, DG2, DG11, DG12, DG13, DG15 but EF.COM lists DG1, DG2, DG11, DG12, DG13");
    }
}
