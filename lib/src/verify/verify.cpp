#include "docketcard/verify/verify.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/core.h>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/auth/active_auth.hpp"
#include "docketcard/sm/bac.hpp"
#include "docketcard/sm/pace.hpp"
#include "docketcard/sm/chip_auth.hpp"
#include "docketcard/lds/security_infos.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::verify {

namespace {

// Errors that mean "this step failed, go on with the next": anything but a lost card.
bool recoverable(const Error& e) { return e.kind() != ErrorKind::Communication; }

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string dg_list(const std::vector<int>& dgs) {
    std::string out;
    for (int dg : dgs) out += (out.empty() ? "DG" : ", DG") + std::to_string(dg);
    return out.empty() ? "no data groups" : out;
}

// What was read from one file: its bytes, or why it could not be read. `sm_error` is set when
// an attempt ended the secure messaging session (Part 11 9.8), even when the file was read again
// after re-establishing access control: it fails the file's read check either way.
struct FileRead {
    std::optional<Bytes> bytes;
    std::string error;
    std::string sm_error;
    std::string failed_command;   // the command that failed ("READ BINARY at offset 224")
};

// Passes commands on and remembers the last one, so that an error of secure messaging, whose
// message cannot know it, names the command it ended.
class LastCommand final : public transport::CardChannel {
public:
    explicit LastCommand(transport::CardChannel& inner) : inner_(inner) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        last_ = transport::command_name(command);
        if (command.ins == 0xB0) last_ += fmt::format(" at offset {}", (command.p1 << 8) | command.p2);
        return inner_.transmit(command);
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }
    const transport::LinkProjection* link_projection() const override { return inner_.link_projection(); }
    const std::string& last() const noexcept { return last_; }

private:
    transport::CardChannel& inner_;
    std::string last_;
};

FileRead read_file(transport::CardChannel& sm, std::uint16_t fid) {
    FileRead r;
    LastCommand channel(sm);
    try {
        r.bytes = iso7816::read_ef(channel, fid);
    } catch (const Error& e) {
        if (!recoverable(e)) throw;
        r.error = e.what();
        r.failed_command = channel.last();
    }
    return r;
}

const char* state_name(std::uint8_t state) {
    switch (state) {
        case 0x01: return "BLANK";
        case 0x03: return "PERSONALIZING";
        case 0x07: return "PERSONALIZED";
        case 0x0F: return "LOCKED";
        case 0x7F: return "BLOCKED";
    }
    return "unknown";
}

std::string mrz_difference(const std::string& card, const std::string& expected) {
    if (card.size() != expected.size())
        return fmt::format("DG1 holds {} MRZ characters, the record gives {}", card.size(), expected.size());
    std::string out;
    for (const auto& f : mrz::ParsedTd1::layout()) {
        const auto a = card.substr(f.offset, f.length), b = expected.substr(f.offset, f.length);
        if (a != b) out += fmt::format("{}{}: card {}, record {}", out.empty() ? "" : "; ", f.name, in_quotes(a), in_quotes(b));
    }
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + in_quotes(items[i]);
    return out + "]";
}

class Verifier {
public:
    Verifier(transport::CardChannel& card, const Options& options) : card_(card), options_(options) {}
    Verifier(const Verifier&) = delete;
    Verifier& operator=(const Verifier&) = delete;
    ~Verifier() { secure_wipe(mrz_info_.data(), mrz_info_.size()); }

    Result run();

private:
    void add(std::string id, std::string title, bool passed, std::string detail) {
        result_.checks.push_back({std::move(id), std::move(title), passed, std::move(detail)});
    }
    // A check that does not apply to this card; with require_docket_card it fails instead, unless
    // a docket card may lack it too (Chip Authentication: cards issued before PACE have none).
    void not_applicable(std::string id, std::string title, std::string detail, bool docket_cards_have_it = true) {
        if (options_.require_docket_card && docket_cards_have_it) {
            add(std::move(id), std::move(title), false, detail + "; a docket card is required");
            return;
        }
        result_.checks.push_back({std::move(id), std::move(title), true, std::move(detail), false});
    }
    const Bytes* file(std::uint16_t fid) const {
        auto it = result_.files.find(fid);
        return it == result_.files.end() ? nullptr : &it->second;
    }
    std::string unreadable(int dg) const {
        auto it = dg_errors_.find(dg);
        return fmt::format("DG{} could not be read{}", dg, it == dg_errors_.end() ? "" : ": " + it->second);
    }

    void establish_session();
    void chip_authenticate(const sm::ChipAuthKey& key);
    bool reestablish();
    bool session_live();
    sm::SecureChannel& secure() { return ca_sm_ ? *ca_sm_ : *ac_sm_; }
    transport::CardChannel& session() {
        return traced_ ? static_cast<transport::CardChannel&>(*traced_) : secure();
    }
    std::string session_name() const {
        return result_.access_control + (ca_key_ ? " and Chip Authentication" : "");
    }
    FileRead read(std::uint16_t fid);
    // What a file's read check says first when an SM error ended the session on it and the file
    // was read again ("...: "), or "" when it was read at once.
    std::string read_again(const FileRead& read) const {
        if (read.sm_error.empty()) return "";
        return fmt::format("{}; access control re-established ({}) and the file read again: ", read.sm_error,
                           session_name());
    }

    void check_data_group(int dg, const FileRead& read);
    void check_sod(const FileRead& sod_read, const Bytes& csca);
    void check_active_authentication();
    void check_locked();
    std::optional<lds::SecurityInfos> read_card_access();
    void check_card_access(const std::optional<lds::SecurityInfos>& card_access,
                           const std::optional<lds::SecurityInfos>& dg14);
    void check_record(const record::HolderRecord& holder);
    void check_release_documents(const record::HolderRecord& holder);
    void check_endorsement();
    void holder_summary();

    transport::CardChannel& card_;
    const Options& options_;
    crypto::RandomSource random_;
    Result result_;
    std::string mrz_info_;   // the BAC key and PACE password: wiped by ~Verifier
    std::optional<lds::SecurityInfos> card_access_;
    const lds::PaceInfo* pace_info_ = nullptr;   // in card_access_
    std::optional<sm::ChipAuthKey> ca_key_;      // set once Chip Authentication succeeded
    std::optional<sm::SecureChannel> ac_sm_;     // PACE or BAC
    std::optional<sm::SecureChannel> ca_sm_;     // after Chip Authentication
    std::optional<transport::TracingChannel> traced_;
    std::string sm_error_on_;                    // what the last SM error ended the session on
    std::optional<std::string> reauth_failure_;  // set: re-establishing failed, nothing more is sent
    std::vector<int> com_dgs_;
    std::optional<lds::Com> com_;
    std::map<int, std::string> dg_errors_;   // DG -> why it is not usable
    std::optional<std::string> mrz_;
    std::optional<mrz::ParsedTd1> td1_;   // DG1 as a TD1 MRZ, parsed once
    std::optional<lds::Dg11> dg11_;
    std::optional<lds::Dg12> dg12_;
    std::optional<lds::DocketData> dg13_;
    std::optional<lds::FaceImage> dg2_;
    std::optional<Bytes> dg15_spki_;
    std::optional<std::vector<int>> sod_dgs_;   // the DGs EF.SOD lists, once it parsed
};

void Verifier::check_data_group(int dg, const FileRead& read) {
    const std::string id = fmt::format("dg{}-read", dg);
    const std::string title = fmt::format("DG{} read", dg);
    if (!read.bytes) {
        dg_errors_[dg] = read.error;
        add(id, title, false, read.error);
        return;
    }
    const std::string again = read_again(read);
    const Bytes& ef = *read.bytes;
    result_.files[lds::dg_file_id(dg)] = ef;
    std::string what;
    try {
        switch (dg) {
            case 1:
                mrz_ = lds::decode_dg1(ef);
                td1_ = mrz::ParsedTd1::parse(*mrz_);
                result_.mrz = *mrz_;
                what = "MRZ of " + std::to_string(mrz_->size()) + " characters";
                break;
            case 2: {
                dg2_ = lds::decode_dg2(ef);
                const bool jpeg = dg2_->format == lds::ImageFormat::Jpeg;
                result_.photo = dg2_->image;
                result_.photo_mime = jpeg ? "image/jpeg" : "image/jp2";
                result_.photo_width = dg2_->width;
                result_.photo_height = dg2_->height;
                what = fmt::format("{} face image {}x{}, {} bytes", jpeg ? "JPEG" : "JPEG 2000", dg2_->width,
                                   dg2_->height, dg2_->image.size());
                break;
            }
            case 11:
                dg11_ = lds::decode_dg11(ef);
                result_.full_name = dg11_->full_name;
                what = "full name";
                break;
            case 12:
                dg12_ = lds::decode_dg12(ef);
                what = "issuing authority and date of issue";
                break;
            case 13:
                dg13_ = lds::decode_dg13(ef);
                what = "docket data";
                break;
            case 15:
                dg15_spki_ = lds::decode_dg15(ef);
                what = "Active Authentication public key";
                break;
            default:
                (void)tlv::parse_single(ef, lds::file_name(lds::dg_file_id(dg)));
                what = "one data object";
                break;
        }
    } catch (const Error& e) {
        dg_errors_[dg] = fmt::format("read {} bytes but they are malformed: {}", ef.size(), e.what());
        add(id, title, false, dg_errors_[dg]);
        return;
    }
    add(id, title, again.empty(), fmt::format("{}{} bytes: {}", again, ef.size(), what));
}

void Verifier::check_sod(const FileRead& sod_read, const Bytes& csca) {
    std::map<int, Bytes> dgs;
    for (int dg = 1; dg <= 16; ++dg)
        if (const Bytes* b = file(lds::dg_file_id(dg))) dgs[dg] = *b;

    std::optional<pki::SodVerification> v;
    std::string sod_problem;
    if (!sod_read.bytes) {
        sod_problem = "EF.SOD could not be read: " + sod_read.error;
        add("sod-read", "EF.SOD read and parsed", false, sod_problem);
    } else {
        result_.files[lds::fid_sod] = *sod_read.bytes;
        v = pki::verify_sod(*sod_read.bytes, csca, dgs, options_.now.value_or(std::time(nullptr)));
        const auto& structure = v->checks.front();
        add("sod-read", "EF.SOD read and parsed", structure.passed && sod_read.sm_error.empty(),
            fmt::format("{}{} bytes: {}", read_again(sod_read),
                        sod_read.bytes->size(), structure.message));
        if (!structure.passed) sod_problem = "EF.SOD is malformed";
    }
    auto from_pki = [&](const std::string& pki_name, std::string id, std::string title) {
        if (v)
            for (const auto& c : v->checks)
                if (c.name == pki_name) return add(std::move(id), std::move(title), c.passed, c.message);
        add(std::move(id), std::move(title), false, sod_problem);
    };
    from_pki("sod.signature", "sod-signature", "EF.SOD signature by the Document Signer");
    from_pki("ds.chain", "ds-chain", "Document Signer certificate chains to the CSCA");
    from_pki("ds.validity", "ds-validity", "Document Signer and CSCA certificates valid now");

    // sod-dg-set
    if (v && v->sod) {
        std::vector<int> in_sod;
        for (const auto& [dg, _] : v->sod->hashes) in_sod.push_back(dg);
        sod_dgs_ = in_sod;
        std::vector<int> in_com = com_dgs_;
        std::sort(in_com.begin(), in_com.end());
        if (!com_) {
            add("sod-dg-set", "EF.SOD covers exactly the data groups of EF.COM", false,
                "EF.COM could not be read; EF.SOD lists " + dg_list(in_sod));
        } else if (in_sod == in_com) {
            add("sod-dg-set", "EF.SOD covers exactly the data groups of EF.COM", true,
                "EF.SOD and EF.COM both list " + dg_list(in_sod));
        } else {
            add("sod-dg-set", "EF.SOD covers exactly the data groups of EF.COM", false,
                "EF.SOD lists " + dg_list(in_sod) + " but EF.COM lists " + dg_list(in_com));
        }
    } else {
        add("sod-dg-set", "EF.SOD covers exactly the data groups of EF.COM", false, sod_problem);
    }

    // dg<N>-hash: from the SOD verification, or one failure per DG read when there is none.
    if (v && v->sod) {
        for (const auto& c : v->checks) {
            if (c.name.size() > 5 && c.name.compare(c.name.size() - 5, 5, ".hash") == 0) {
                const std::string dg = c.name.substr(2, c.name.size() - 7);
                add("dg" + dg + "-hash", "DG" + dg + " hash matches EF.SOD", c.passed, c.message);
            }
        }
    } else {
        for (const auto& [dg, _] : dgs)
            add(fmt::format("dg{}-hash", dg), fmt::format("DG{} hash matches EF.SOD", dg), false, sod_problem);
    }
}

void Verifier::check_active_authentication() {
    const char* title = "Active Authentication (the chip holds the DG15 private key)";
    // Only the signed EF.SOD says whether the issuer gave the chip an AA key: an unsigned EF.COM
    // without DG15 could hide a cloned chip.
    if (!sod_dgs_) {
        add("active-authentication", title, false,
            "EF.SOD could not be read or parsed, so whether the chip must perform Active Authentication is unknown");
        return;
    }
    if (std::find(sod_dgs_->begin(), sod_dgs_->end(), 15) == sod_dgs_->end()) {
        not_applicable("active-authentication", title,
                       "EF.SOD lists no DG15: the issuer did not give this chip Active Authentication");
        return;
    }
    if (!dg15_spki_) {
        add("active-authentication", title, false, "EF.SOD lists DG15 but " + unreadable(15));
        return;
    }
    if (!session_live()) return add("active-authentication", title, false, "not performed: " + *reauth_failure_);
    try {
        const auto aa = auth::verify_active_authentication(session(), *dg15_spki_, random_);
        add("active-authentication", title, aa.valid,
            aa.valid ? fmt::format("INTERNAL AUTHENTICATE with the fresh challenge {}: the signature verifies with the DG15 key",
                                   to_hex(aa.challenge))
                     : fmt::format("challenge {}: {}", to_hex(aa.challenge), aa.detail));
    } catch (const Error& e) {
        if (!recoverable(e)) throw;
        if (secure().messaging().ended()) sm_error_on_ = "INTERNAL AUTHENTICATE";
        add("active-authentication", title, false, e.what());
    }
}

void Verifier::check_locked() {
    const char* title = "Card locked";
    if (!session_live()) return add("locked", title, false, "not read: " + *reauth_failure_);
    try {
        const auto r = session().transmit(apdu::CommandApdu(0x00, 0xCA, 0x00, 0x66, {}, 256));
        const std::uint16_t sw = r.sw.value();
        if (iso7816::means_not_supported(sw)) {
            not_applicable("locked", title,
                           fmt::format("the card is not a docket applet: its lock state cannot be read (GET DATA 66 "
                                       "answered {:04X})",
                                       sw));
            return;
        }
        if (!r.ok()) {
            add("locked", title, false, "GET DATA card info refused with " + r.sw.describe());
            return;
        }
        const auto info = tlv::parse_single(r.data, "GET DATA card info");
        if (info.tag != 0x66) throw ParseError(fmt::format("GET DATA card info: tag {:X}, 66 expected", info.tag));
        const auto state = tlv::find(info.value, 0x80);
        if (!state || state->value.size() != 1) throw ParseError("GET DATA card info: no one-byte state (tag 80)");
        if (const auto serial = tlv::find(info.value, 0x81)) result_.serial_hex = to_hex(serial->value);
        const std::uint8_t s = state->value[0];
        const bool locked = s == 0x0F;
        const std::string detail = fmt::format("lifecycle state {:02X} ({})", s, state_name(s));
        if (locked) {
            add("locked", title, true, detail + ": read side only");
        } else if (!options_.require_locked) {
            add("locked", title, true, detail + ": not locked, accepted because locking is not required");
        } else {
            add("locked", title, false, detail + ": the card must be LOCKED (0F); run `docketcard lock`");
        }
    } catch (const Error& e) {
        if (!recoverable(e)) throw;
        add("locked", title, false, e.what());
    }
}

void Verifier::check_record(const record::HolderRecord& holder) {
    // mrz
    {
        const char* title = "MRZ (DG1) matches the record";
        std::string expected;
        try {
            expected = mrz::make_td1(holder).joined();
        } catch (const Error& e) {
            add("mrz", title, false, std::string("the record gives no MRZ: ") + e.what());
            expected.clear();
        }
        if (!expected.empty()) {
            if (!mrz_) add("mrz", title, false, unreadable(1));
            else if (*mrz_ == expected) add("mrz", title, true, "the 90 MRZ characters are those of the record");
            else add("mrz", title, false, mrz_difference(*mrz_, expected));
        }
    }
    // names
    {
        const char* title = "Names (DG11) match the record";
        if (!dg11_) {
            add("names", title, false, unreadable(11));
        } else {
            std::string diff;
            const std::string name = lds::dg11_full_name(holder);
            if (dg11_->full_name != name)
                diff += fmt::format("full name: card {}, record {}", in_quotes(dg11_->full_name), in_quotes(name));
            if (dg11_->place_of_birth != holder.place_of_birth) {
                diff += fmt::format("{}place of birth: card {}, record {}", diff.empty() ? "" : "; ",
                                    dg11_->place_of_birth ? in_quotes(*dg11_->place_of_birth) : "absent",
                                    holder.place_of_birth ? in_quotes(*holder.place_of_birth) : "absent");
            }
            add("names", title, diff.empty(), diff.empty() ? "full name " + in_quotes(name) : diff);
        }
    }
    // dates
    {
        const char* title = "Dates (DG1, DG12) match the record";
        std::string diff;
        std::vector<std::string> missing;
        if (!dg12_) {
            missing.push_back(unreadable(12));
        } else if (dg12_->date_of_issue != holder.date_of_issue.yyyymmdd()) {
            diff += fmt::format("date of issue: card {}, record {}", in_quotes(dg12_->date_of_issue),
                                in_quotes(holder.date_of_issue.yyyymmdd()));
        }
        if (!td1_) {
            missing.push_back(mrz_ ? "DG1 is not a TD1 MRZ" : unreadable(1));
        } else {
            const auto& birth = td1_->date_of_birth;
            const auto& expiry = td1_->date_of_expiry;
            if (birth != holder.date_of_birth.yymmdd())
                diff += fmt::format("{}date of birth: card {}, record {}", diff.empty() ? "" : "; ", in_quotes(birth),
                                    in_quotes(holder.date_of_birth.yymmdd()));
            if (expiry != holder.date_of_expiry.yymmdd())
                diff += fmt::format("{}date of expiry: card {}, record {}", diff.empty() ? "" : "; ", in_quotes(expiry),
                                    in_quotes(holder.date_of_expiry.yymmdd()));
        }
        for (const auto& m : missing) diff += (diff.empty() ? "" : "; ") + m;
        add("dates", title, diff.empty(),
            diff.empty() ? fmt::format("date of birth {}, date of issue {}, date of expiry {}", holder.date_of_birth.iso(),
                                       holder.date_of_issue.iso(), holder.date_of_expiry.iso())
                         : diff);
    }
    // docket
    {
        const char* title = "Docket data (DG13) matches the record";
        if (!dg13_) {
            add("docket", title, false, unreadable(13));
        } else {
            const auto& c = *dg13_;
            const auto& r = holder.docket;
            std::vector<std::string> diffs;
            auto cmp = [&](const char* field, const std::string& card, const std::string& rec) {
                if (card != rec) diffs.push_back(fmt::format("{}: card {}, record {}", field, in_quotes(card), in_quotes(rec)));
            };
            cmp("a_number", c.a_number, holder.a_number);
            cmp("docket.court", c.docket.court, r.court);
            cmp("docket.case_number", c.docket.case_number, r.case_number);
            cmp("docket.next_hearing", c.docket.next_hearing, r.next_hearing);
            cmp("docket.release_type", record::to_string(c.docket.release_type), record::to_string(r.release_type));
            cmp("docket.reporting_office", c.docket.reporting_office, r.reporting_office);
            if (c.docket.check_in_interval_days != r.check_in_interval_days)
                diffs.push_back(fmt::format("docket.check_in_interval_days: card {}, record {}",
                                            c.docket.check_in_interval_days, r.check_in_interval_days));
            if (c.docket.conditions != r.conditions)
                diffs.push_back(fmt::format("docket.conditions: card {}, record {}", join(c.docket.conditions),
                                            join(r.conditions)));
            std::string detail;
            for (const auto& d : diffs) detail += (detail.empty() ? "" : "; ") + d;
            add("docket", title, diffs.empty(),
                diffs.empty() ? fmt::format("A-number, court {}, case {} and every docket field match", in_quotes(r.court),
                                            in_quotes(r.case_number))
                              : detail);
        }
    }
    check_release_documents(holder);
    // photo
    {
        const char* title = "Photo (DG2) is the record's photo";
        if (!dg2_) {
            add("photo", title, false, unreadable(2));
        } else if (dg2_->image == holder.photo) {
            add("photo", title, true, fmt::format("the {} image bytes are those of {}", dg2_->image.size(),
                                                  holder.photo_path.filename().string()));
        } else {
            add("photo", title, false,
                fmt::format("card image {} bytes (SHA-256 {}), record photo {} {} bytes (SHA-256 {})",
                            dg2_->image.size(), to_hex(crypto::sha256(dg2_->image)).substr(0, 16),
                            holder.photo_path.filename().string(), holder.photo.size(),
                            to_hex(crypto::sha256(holder.photo)).substr(0, 16)));
        }
    }
}

std::string document_text(const record::ReleaseDocument& d) {
    std::string out = fmt::format("{} {}, no. {}, issued {}", d.form, d.title, d.number, d.issued_on.iso());
    if (d.expires_on) out += ", expires " + d.expires_on->iso();
    if (d.issued_by) out += ", by " + *d.issued_by;
    return out;
}

// The DG13 version 2 fields against the record: release documents, background check, portal
// reference (compared, never shown). N/A on a version 1 card, which carries none of them.
void Verifier::check_release_documents(const record::HolderRecord& holder) {
    const char* docs_title = "Release documents (DG13) are the record's";
    const char* check_title = "Background check (DG13) is the record's";
    const char* portal_title = "Portal reference (DG13) is the record's";
    if (!dg13_) {
        for (auto [id, title] : {std::pair{"documents", docs_title}, {"background-check", check_title},
                                 {"portal-reference", portal_title}})
            add(id, title, false, unreadable(13));
        return;
    }
    if (dg13_->version < 2) {
        const auto carries_no = [&](const char* what) {
            return fmt::format("DG13 is format version {}, which carries no {}", dg13_->version, what);
        };
        not_applicable("documents", docs_title, carries_no("release documents"));
        not_applicable("background-check", check_title, carries_no("background check"));
        not_applicable("portal-reference", portal_title, carries_no("portal reference"));
        return;
    }
    const auto& card = dg13_->documents;
    const auto& rec = holder.documents;
    std::vector<std::string> diffs;
    if (card.size() != rec.size())
        diffs.push_back(fmt::format("the card holds {} documents, the record {}", card.size(), rec.size()));
    for (std::size_t i = 0; i < std::min(card.size(), rec.size()); ++i)
        if (card[i] != rec[i])
            diffs.push_back(fmt::format("documents[{}]: card \"{}\", record \"{}\"", i, document_text(card[i]),
                                        document_text(rec[i])));
    std::string detail;
    for (const auto& d : diffs) detail += (detail.empty() ? "" : "; ") + d;
    add("documents", docs_title, diffs.empty(),
        diffs.empty() ? fmt::format("{} documents, each form, title, number and date as in the record", rec.size())
                      : detail);

    const auto& b = holder.background_check;
    std::string check_diff;
    if (dg13_->background_check_reference != b.reference)
        check_diff = fmt::format("reference: card {}, record {}", in_quotes(dg13_->background_check_reference),
                                 in_quotes(b.reference));
    if (dg13_->background_check_cleared_on != b.cleared_on)
        check_diff += fmt::format("{}cleared on: card {}, record {}", check_diff.empty() ? "" : "; ",
                                  dg13_->background_check_cleared_on.iso(), b.cleared_on.iso());
    add("background-check", check_title, check_diff.empty(),
        check_diff.empty() ? fmt::format("reference {}, cleared on {}", in_quotes(b.reference), b.cleared_on.iso())
                           : check_diff);

    // A credential: say whether it matches, never what it is.
    const auto& on_card = dg13_->portal_reference;
    const auto& in_record = holder.portal_reference;
    if (!on_card && !in_record)
        add("portal-reference", portal_title, true, "neither the card nor the record has one");
    else if (!on_card || !in_record)
        add("portal-reference", portal_title, false,
            fmt::format("the {} has one, the {} has none (values not shown)", on_card ? "card" : "record",
                        on_card ? "record" : "card"));
    else if (*on_card != *in_record)
        add("portal-reference", portal_title, false, "the card's differs from the record's (values not shown)");
    else
        add("portal-reference", portal_title, true, "the card's is the record's (value not shown)");
}

// DG12 5F1B must say what the card is not (lds::card_endorsement). A version 1 card (DG13 v1)
// was issued before the endorsement: N/A when it has none.
void Verifier::check_endorsement() {
    const char* title = "Endorsement (DG12) says what the card is not";
    if (!dg12_) {
        if (std::find(com_dgs_.begin(), com_dgs_.end(), 12) != com_dgs_.end()) add("endorsement", title, false, unreadable(12));
        else not_applicable("endorsement", title, "the card has no DG12");
        return;
    }
    const std::string expected(lds::card_endorsement);
    if (dg12_->endorsements == expected) {
        add("endorsement", title, true, in_quotes(expected));
    } else if (!dg12_->endorsements && dg13_ && dg13_->version < 2) {
        not_applicable("endorsement", title, "DG12 has no endorsement (5F1B): a card of DG13 format version 1");
    } else {
        add("endorsement", title, false,
            dg12_->endorsements ? fmt::format("DG12 5F1B is {}, expected {}", in_quotes(*dg12_->endorsements), in_quotes(expected))
                                : fmt::format("DG12 has no endorsement (5F1B); expected {}", in_quotes(expected)));
    }
}

// A YYMMDD date of the MRZ as YYYY-MM-DD, XX for unknown parts (Doc 9303 Part 3, 4.6). The MRZ
// keeps two digits of the year: a date of birth is in the last century when 20YY would be after
// `now`; a date of expiry is always 20YY.
std::string mrz_date_iso(const std::string& yymmdd, bool birth, std::time_t now) {
    if (yymmdd.size() != 6) return yymmdd;
    const auto part = [&](std::size_t at) {
        const std::string p = yymmdd.substr(at, 2);
        return p == "<<" ? std::string("XX") : p;
    };
    if (!std::isdigit(static_cast<unsigned char>(yymmdd[0])) || !std::isdigit(static_cast<unsigned char>(yymmdd[1])))
        return yymmdd;
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int yy = std::stoi(yymmdd.substr(0, 2));
    const int year = birth && 2000 + yy > tm.tm_year + 1900 ? 1900 + yy : 2000 + yy;
    return fmt::format("{}-{}-{}", year, part(2), part(4));
}

// The holder data for reports, as the chip holds it (DG1, DG11, DG12, DG13); dates as YYYY-MM-DD
// and the A-number as records write it.
void Verifier::holder_summary() {
    auto& h = result_.holder;
    if (const auto& td1 = td1_) {
        const std::string sex = mrz::without_filler(td1->sex);
        h.emplace_back("Document number", mrz::without_filler(td1->document_number));
        h.emplace_back("Issuing state", mrz::without_filler(td1->issuing_state));
        h.emplace_back("Nationality", mrz::without_filler(td1->nationality));
        h.emplace_back("Sex", sex.empty() ? "X" : sex);
        h.emplace_back("Date of birth", mrz_date_iso(td1->date_of_birth, true, result_.verified_at));
        h.emplace_back("Date of expiry", mrz_date_iso(td1->date_of_expiry, false, result_.verified_at));
    }
    if (dg11_) {
        const auto sep = dg11_->full_name.find("<<");
        if (sep == std::string::npos) {
            h.emplace_back("Full name", dg11_->full_name);
        } else {
            h.emplace_back("Surname", dg11_->full_name.substr(0, sep));
            h.emplace_back("Given names", dg11_->full_name.substr(sep + 2));
        }
        if (dg11_->place_of_birth) h.emplace_back("Place of birth", *dg11_->place_of_birth);
    }
    if (dg12_) {
        const auto& d = dg12_->date_of_issue;
        h.emplace_back("Date of issue",
                       d.size() == 8 ? d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2) : d);
        h.emplace_back("Issuing authority", dg12_->issuing_authority);
        if (dg12_->endorsements) h.emplace_back("Endorsement", *dg12_->endorsements);
    }
    if (dg13_) {
        const auto& d = dg13_->docket;
        h.emplace_back("A-number", "A" + dg13_->a_number);
        h.emplace_back("Immigration court", d.court);
        h.emplace_back("Case number", d.case_number);
        h.emplace_back("Next hearing", d.next_hearing);
        h.emplace_back("Release type", record::to_string(d.release_type));
        h.emplace_back("Reporting office", d.reporting_office);
        h.emplace_back("Check-in interval", fmt::format("{} days", d.check_in_interval_days));
        for (std::size_t i = 0; i < d.conditions.size(); ++i)
            h.emplace_back(fmt::format("Condition {}", i + 1), d.conditions[i]);
        if (dg13_->version >= 2) {
            h.emplace_back("Background check", fmt::format("{}, cleared {}", dg13_->background_check_reference,
                                                           dg13_->background_check_cleared_on.iso()));
            for (std::size_t i = 0; i < dg13_->documents.size(); ++i)
                h.emplace_back(fmt::format("Document {}", i + 1), document_text(dg13_->documents[i]));
            h.emplace_back("Portal reference", dg13_->portal_reference ? "on the card (not shown)" : "none");
        }
    }
}

// EF.CardAccess in the clear (Part 11 9.2.11). Absent or refused: nullopt, and BAC follows
// (Part 11 4.2: a terminal uses PACE when the chip offers it in EF.CardAccess).
std::optional<lds::SecurityInfos> Verifier::read_card_access() {
    Bytes raw;
    try {
        raw = iso7816::read_ef(card_, lds::fid_card_access);
    } catch (const CardError& e) {
        // 6A82 no such file, 6982 a docket card made before PACE, 6D00/6A86 a chip without
        // file selection outside a session: every refusal means the chip offers no EF.CardAccess.
        if (e.kind() == ErrorKind::CardRefused && e.status_word() != 0) return std::nullopt;
        throw;
    }
    try {
        return lds::parse_security_infos(raw, "EF.CardAccess");
    } catch (const ParseError& e) {
        throw CardError(ErrorKind::CardRefused, std::string("EF.CardAccess is malformed: ") + e.what(), 0);
    }
}

// EF.CardAccess is read in the clear and signed by nobody; DG14 (under EF.SOD) repeats its
// PACEInfo, so a terminal sees whether someone in the middle changed what PACE was offered.
void Verifier::check_card_access(const std::optional<lds::SecurityInfos>& card_access,
                                 const std::optional<lds::SecurityInfos>& dg14) {
    const char* title = "EF.CardAccess offers the PACE that the signed DG14 lists";
    if (!card_access) return not_applicable("card-access", title, "the chip has no EF.CardAccess (BAC)", false);
    if (!dg14 || dg14->pace.empty())
        return not_applicable("card-access", title, "DG14 does not repeat the PACEInfo of EF.CardAccess", false);
    auto same = [](const lds::PaceInfo& a, const lds::PaceInfo& b) {
        return a.protocol_oid == b.protocol_oid && a.version == b.version && a.parameter_id == b.parameter_id;
    };
    for (const auto& offered : card_access->pace) {
        if (std::none_of(dg14->pace.begin(), dg14->pace.end(), [&](const lds::PaceInfo& d) { return same(d, offered); }))
            return add("card-access", title, false,
                       fmt::format("EF.CardAccess offers a PACEInfo ({} version {}) that DG14 does not list",
                                   to_hex(offered.protocol_oid), offered.version));
    }
    add("card-access", title, true,
        fmt::format("{} PACEInfo of EF.CardAccess, all in DG14 (whose hash EF.SOD checks below)", card_access->pace.size()));
}

// The secure messaging session: PACE (Part 11 4.4) with the CAN or the MRZ information, or BAC
// (9.7), then Chip Authentication (6.2) with the DG14 key once the first session has performed it.
// Called at the start and to re-establish access control after an SM error: the chip aborts
// secure messaging on one (Part 11 9.8), so without a new session every later command
// fails. Only the first session adds the pace or bac check.
void Verifier::establish_session() {
    const bool first = result_.sessions == 0;
    traced_.reset();
    ca_sm_.reset();
    ac_sm_.reset();
    // SELECT also ends a session the chip may still hold (when our MAC check failed, not its own).
    if (!first) iso7816::select_application(card_);
    if (pace_info_) {
        std::optional<SecureBytes> can = options_.can;
        if (!can && options_.record && options_.record->card_access_number) can = options_.record->card_access_number;
        const auto kind = can ? crypto::pace::PasswordKind::Can : crypto::pace::PasswordKind::Mrz;
        const std::string_view password =
            can ? std::string_view(reinterpret_cast<const char*>(can->data()), can->size()) : std::string_view(mrz_info_);
        try {
            ac_sm_.emplace(sm::establish_pace(card_, {*pace_info_->protocol, pace_info_->domain()}, kind, password, random_));
        } catch (const ParseError& e) {
            throw CardError(ErrorKind::CardRefused, std::string("PACE failed: the card's answer is malformed: ") + e.what(), 0);
        }
        if (first) {
            result_.access_control = can ? "PACE-CAN" : "PACE-MRZ";
            add("pace", can ? "PACE with the card access number" : "PACE with the MRZ data", true,
                fmt::format("MSE:Set AT and GENERAL AUTHENTICATE (generic mapping, {}) succeeded; secure messaging "
                            "established (AES-{})",
                            pace_info_->domain() == crypto::pace::DomainId::BrainpoolP256r1 ? "brainpoolP256r1"
                                                                                             : "NIST P-256",
                            crypto::pace::key_length(*pace_info_->protocol) * 8));
        }
    } else {
        try {
            ac_sm_.emplace(sm::establish_bac(card_, mrz_info_, random_));
        } catch (const ParseError& e) {
            throw CardError(ErrorKind::CardRefused, std::string("BAC failed: the card's answer is malformed: ") + e.what(), 0);
        }
        if (first) {
            result_.access_control = "BAC";
            add("bac", "Basic Access Control with the MRZ data", true,
                "GET CHALLENGE and MUTUAL AUTHENTICATE succeeded; secure messaging established (3DES)");
        }
    }
    ++result_.sessions;
    if (options_.plain_trace) traced_.emplace(*ac_sm_, *options_.plain_trace);
    if (ca_key_) chip_authenticate(*ca_key_);
}

// Chip Authentication inside the open session; every later command runs under the new keys.
// Throws CardError or ParseError (perform_chip_authentication) when it fails.
void Verifier::chip_authenticate(const sm::ChipAuthKey& key) {
    ca_sm_.emplace(sm::perform_chip_authentication(session(), card_, key, random_));
    traced_.reset();
    if (options_.plain_trace) traced_.emplace(*ca_sm_, *options_.plain_trace);
    ca_key_ = key;
}

// A new session after an SM error; false, and reauth_failure_ says why, when that fails too.
bool Verifier::reestablish() {
    try {
        establish_session();
        return true;
    } catch (const Error& e) {
        if (!recoverable(e)) throw;
        reauth_failure_ = fmt::format("access control could not be re-established after the secure messaging error on {}: {}",
                                      sm_error_on_.empty() ? "an earlier command" : sm_error_on_, e.what());
        return false;
    }
}

// Whether commands can be sent: a session an SM error of an earlier step ended is re-established
// first; never again once re-establishing failed.
bool Verifier::session_live() {
    if (reauth_failure_) return false;
    return !secure().messaging().ended() || reestablish();
}

// One EF under secure messaging. When the attempt ends the session (a response MAC that does not
// verify, a missing DO'8E, 6987/6988 from the card), access control is re-established and the
// file read once more; sm_error keeps the first error for the file's check.
FileRead Verifier::read(std::uint16_t fid) {
    if (!session_live()) return {std::nullopt, "not read: " + *reauth_failure_, "", ""};
    FileRead r = read_file(session(), fid);
    if (r.bytes || !secure().messaging().ended()) return r;
    const std::string name = lds::file_name(fid);
    sm_error_on_ = name;
    r.sm_error = fmt::format("{} of {} failed: {}", r.failed_command, name, r.error);
    if (!reestablish()) {
        r.error = r.sm_error + "; " + *reauth_failure_;
        return r;
    }
    FileRead again = read_file(session(), fid);
    if (again.bytes) {
        r.bytes = std::move(again.bytes);
        r.error.clear();
        return r;
    }
    r.error = fmt::format("{}; access control re-established ({}), but {} of {} failed again: {}; {} is unreadable",
                          r.sm_error, session_name(), again.failed_command, name, again.error, name);
    return r;
}

Result Verifier::run() {
    result_.verified_at = options_.now.value_or(std::time(nullptr));
    result_.card_description = card_.description();
    random_ = options_.random ? options_.random : crypto::system_random();

    // Inputs first: nothing is sent to the card when they are unusable.
    const Bytes csca = pki::load_certificate(options_.csca);
    if (options_.record) {
        mrz_info_ = mrz::make_td1(*options_.record).bac_information();
    } else if (options_.mrz_key) {
        mrz_info_ = mrz_information(*options_.mrz_key);
    } else {
        throw Error(ErrorKind::InvalidInput,
                    "no MRZ data for BAC: give a holder record, or the document number, date of birth and date of expiry");
    }

    iso7816::select_application(card_);
    card_access_ = read_card_access();
    pace_info_ = card_access_ ? card_access_->usable_pace() : nullptr;
    if (card_access_ && !pace_info_) {
        throw CardError(ErrorKind::CardRefused,
                        "EF.CardAccess offers no PACE that docketcard speaks (id-PACE-ECDH-GM-AES-CBC-CMAC-128/-256 "
                        "version 2 on brainpoolP256r1 or NIST P-256); not falling back to BAC",
                        0);
    }
    establish_session();

    // EF.COM
    const FileRead com_read = read(lds::fid_com);
    const char* com_title = "EF.COM read and lists DG1";
    if (!com_read.bytes) {
        add("com", com_title, false, "EF.COM could not be read: " + com_read.error);
    } else {
        result_.files[lds::fid_com] = *com_read.bytes;
        const std::string again = read_again(com_read);
        try {
            com_ = lds::decode_com(*com_read.bytes);
            com_dgs_ = com_->data_groups;
            const bool has_dg1 = std::find(com_dgs_.begin(), com_dgs_.end(), 1) != com_dgs_.end();
            add("com", com_title, has_dg1 && again.empty(),
                fmt::format("{}LDS version {}, Unicode version {}, lists {}{}", again, com_->lds_version,
                            com_->unicode_version, dg_list(com_dgs_), has_dg1 ? "" : ": DG1 (the MRZ) is missing"));
        } catch (const Error& e) {
            add("com", com_title, false, again + "EF.COM is malformed: " + e.what());
        }
    }


    // Chip Authentication (Part 11 6.2) when DG14 offers it: EF.COM, DG14, then CA, and every
    // other file under the new keys, so the first of them (EF.SOD) also proves the chip holds the
    // private key. A chip whose EF.COM lists no DG14 gets no CA (N/A), as Appendix D's.
    std::optional<FileRead> dg14_read;   // read once, before CA, and checked with the other DGs
    std::optional<lds::SecurityInfos> dg14_infos;
    std::optional<std::string> ca_failure;   // set: CA was tried and failed
    std::optional<std::string> ca_na;        // set: CA does not apply
    if (std::find(com_dgs_.begin(), com_dgs_.end(), 14) == com_dgs_.end()) {
        ca_na = "EF.COM lists no DG14: the chip offers no Chip Authentication (Part 11 6.2 is optional)";
    } else if (dg14_read = read(lds::dg_file_id(14)); !dg14_read->bytes) {
        ca_failure = "DG14 could not be read: " + dg14_read->error;
    } else {
        std::optional<lds::SecurityInfos>& infos = dg14_infos;
        try {
            infos = lds::parse_dg14(*dg14_read->bytes);
        } catch (const ParseError& e) {
            ca_failure = std::string("DG14 is malformed: ") + e.what();
        }
        if (infos && !infos->offers_chip_auth()) ca_na = "DG14 offers no Chip Authentication (Part 11 6.2 is optional)";
        if (infos && infos->offers_chip_auth()) {
            const lds::ChipAuthInfo& info = infos->chip_auth.front();
            if (!info.protocol || info.version != 1 || infos->chip_auth_keys.empty()) {
                ca_failure = "DG14 offers a Chip Authentication docketcard does not speak (id-CA-ECDH-AES-CBC-CMAC, "
                             "version 1, an id-PK-ECDH key on brainpoolP256r1 or NIST P-256)";
            } else if (!session_live()) {
                ca_failure = "not performed: " + *reauth_failure_;
            } else {
                const lds::ChipAuthPublicKey& k = infos->chip_auth_keys.front();
                try {
                    chip_authenticate({*info.protocol, k.domain, k.public_point, info.key_id});
                } catch (const CardError& e) {
                    ca_failure = e.what();
                } catch (const ParseError& e) {
                    ca_failure = e.what();
                }
            }
        }
    }

    // EF.SOD
    const FileRead sod_read = read(lds::fid_sod);
    check_card_access(card_access_, dg14_infos);
    const char* ca_title = "Chip Authentication with the DG14 key (restarts secure messaging)";
    if (ca_na) {
        not_applicable("chip-authentication", ca_title, *ca_na, false);
    } else if (ca_failure) {
        add("chip-authentication", ca_title, false, *ca_failure);
    } else {
        add("chip-authentication", ca_title, sod_read.bytes.has_value(),
            sod_read.bytes ? "MSE:Set AT and GENERAL AUTHENTICATE succeeded and the chip answered under the new keys "
                             "(AES secure messaging): it holds the private key of DG14"
                           : "the chip did not answer under the keys agreed with the DG14 key: " + sod_read.error);
    }
    // EF.COM is not signed: also read what EF.SOD lists, so a DG15 missing from EF.COM is noticed.
    std::vector<int> to_read = com_dgs_;
    if (sod_read.bytes) {
        try {
            for (const auto& [dg, _] : pki::parse_sod(*sod_read.bytes).hashes) to_read.push_back(dg);
        } catch (const Error&) {
        }
    }
    std::set<int> seen;
    for (int dg : to_read) {
        if (dg < 1 || dg > 16 || !seen.insert(dg).second) continue;
        check_data_group(dg, dg == 14 && dg14_read ? *dg14_read : read(lds::dg_file_id(dg)));
    }

    check_sod(sod_read, csca);
    check_active_authentication();
    check_locked();
    check_endorsement();
    if (options_.record) check_record(*options_.record);

    holder_summary();
    result_.docket = dg13_;
    result_.dg12 = dg12_;
    return std::move(result_);
}

}  // namespace

bool Result::ok() const noexcept {
    return !checks.empty() && std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.passed; });
}

const Check* Result::find(std::string_view id) const noexcept {
    for (const auto& c : checks)
        if (c.id == id) return &c;
    return nullptr;
}

std::string mrz_information(const MrzKey& key) {
    return mrz::mrz_information(key.document_number, key.date_of_birth, key.date_of_expiry);
}

Result verify_card(transport::CardChannel& card, const Options& options) {
    return Verifier(card, options).run();
}

}  // namespace docketcard::verify
