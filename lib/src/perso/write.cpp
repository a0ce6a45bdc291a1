// write_card: executes the step list of steps.hpp against a card (docs/card-protocol.md).
#include <algorithm>
#include <ctime>

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/pace.hpp"
#include "docketcard/lds/security_infos.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "steps.hpp"

namespace docketcard::perso {

namespace {

using namespace detail;
using apdu::CommandApdu;
using apdu::ResponseApdu;

// Where a write stands, for the message when the card goes away.
enum class Phase { Before, Checking, Writing, Completing };

class Writer {
public:
    Writer(transport::CardChannel& card, const IssuerKeys& keys, const WriteOptions& options,
           const record::HolderRecord& holder)
        : keys_(keys), options_(options), prepared_(prepare(holder, options.docket_format_version, options.access)), counter_(card) {}

    WriteResult run() {
        WriteResult r = execute();
        r.apdus = counter_.apdus;
        r.bytes_sent = counter_.bytes;
        return r;
    }
    Phase phase() const noexcept { return phase_; }
    const std::string& document_number() const noexcept { return prepared_.document_number; }

private:
    void progress(const std::string& step) {
        if (options_.on_progress) options_.on_progress(Progress{step, done_, total_});
    }
    transport::CardChannel& scp() { return *scp_; }
    ResponseApdu send(const CommandApdu& c, const std::string& operation) {
        ResponseApdu r = scp().transmit(c);
        expect_ok(r, operation);
        return r;
    }
    WriteResult execute();
    /// The first exchange inside SCP03, so the first to depend on K-ENC (an encrypted response).
    CardInfo read_card_info_inside();
    /// Returns true when the write is over (the card already held this holder's complete data).
    bool judge_ticket(const CardInfo& inside);
    bool card_already_complete();
    void write_file(std::uint16_t fid);
    void generate_aa_key();
    void generate_ca_key();
    void complete();
    std::time_t signing_time() const {
        return std::chrono::system_clock::to_time_t(options_.signing_time.value_or(std::chrono::system_clock::now()));
    }
    static std::map<int, Bytes> sod_inputs(const lds::Lds& files) {
        std::map<int, Bytes> dgs;
        for (int dg : sod_data_groups()) dgs[dg] = files.get(lds::dg_file_id(dg));
        return dgs;
    }

    const IssuerKeys& keys_;
    const WriteOptions& options_;
    Prepared prepared_;
    CountingChannel counter_;
    std::optional<sm::Scp03Session> session_;
    std::unique_ptr<transport::TracingChannel> plain_trace_;
    transport::CardChannel* scp_ = nullptr;
    lds::Lds files_;
    CardInfo info_;
    WriteResult result_;
    Phase phase_ = Phase::Before;
    bool ticket_set_ = false;
    std::size_t chunk_in_ = 0, chunk_out_ = 0;
    std::size_t done_ = 0, total_ = 0;
};

WriteResult Writer::execute() {
    files_ = prepared_.files;
    result_.document_number = prepared_.document_number;
    {
        // Progress total: DG15 has one size for every P-256 key (the curve's generator stands in
        // for the chip's key); EF.SOD is estimated with a placeholder signature of the largest
        // size (no token operation), and corrected when the real one is signed.
        static const Bytes p256_generator = from_hex(
            "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
            "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
        lds::Lds estimate = files_;
        estimate.set(lds::dg_file_id(15), lds::encode_dg15(crypto::point_to_spki_p256(p256_generator)));
        pki::SignOptions size_only;
        size_only.size_estimate = true;
        estimate.set(lds::fid_sod, pki::sign_sod(sod_inputs(estimate), keys_.impl().signer, size_only));
        for (const auto& [fid, bytes] : estimate.files) total_ += bytes.size();
    }

    for (const Step& step : prepared_.steps) {
        switch (step.kind) {
            case StepKind::SelectApplication: {
                progress("selecting the docket application");
                iso7816::select_application(counter_);
                break;
            }
            case StepKind::ReadCardInfo: {
                info_ = card_info_of(counter_.transmit(get_card_info()));
                if (info_.serial_hex) result_.serial_hex = *info_.serial_hex;
                if (info_.state == CardState::Locked) {
                    throw Error(ErrorKind::WrongCardState, "the card is locked; it cannot be written again; set it aside");
                }
                if (info_.state == CardState::Blocked) {
                    throw Error(ErrorKind::WrongCardState,
                                fmt::format("the card {} blocked personalization for good after 5 failed secure channel "
                                            "authentications (state BLOCKED); it cannot be written; set it aside",
                                            result_.serial_hex));
                }
                break;
            }
            case StepKind::OpenSecureChannel: {
                progress("opening secure channel");
                session_.emplace(sm::Scp03Session::open(counter_, *keys_.impl().scp03, kSecurityLevel));
                scp_ = &*session_;
                if (options_.trace_plain) {
                    plain_trace_ = std::make_unique<transport::TracingChannel>(*session_, *options_.trace_plain);
                    scp_ = plain_trace_.get();
                }
                // Extended-length wrapped commands when reader and card allow them: a 20 KB DG2
                // then takes 10 UPDATE BINARY commands instead of 86.
                session_->use_extended_length(info_.max_command_data, info_.max_command_data);
                const auto caps = session_->capabilities();
                chunk_in_ = std::min(caps.max_command_data, info_.max_command_data);
                chunk_out_ = caps.max_response_data;
                if (result_.serial_hex.empty()) result_.serial_hex = to_hex(session_->card_info().kdd);
                break;
            }
            case StepKind::ReadTicket:
                if (judge_ticket(read_card_info_inside())) return result_;
                break;
            case StepKind::PutTicket:
                if (ticket_set_) break;
                phase_ = Phase::Writing;
                progress("setting the personalization ticket");
                send(put_ticket(prepared_.ticket), "PUT DATA ticket (80 DA 00 68)");
                ticket_set_ = true;
                break;
            case StepKind::WriteFile: write_file(step.fid); break;
            case StepKind::PutBacSecret:
                progress("setting the BAC secret");
                send(put_bac_secret(view(prepared_.bac_secret)), "PUT DATA BAC secret (80 DA 00 62)");
                break;
            case StepKind::PutPaceSecrets:
                progress("setting the PACE secrets");
                if (prepared_.can) send(put_can(view(*prepared_.can)), "PUT DATA card access number (80 DA 00 65)");
                if (prepared_.access == AccessControl::PaceOnly)
                    send(put_access(true), "PUT DATA access control: PACE only (80 DA 00 67)");
                break;
            case StepKind::GenerateCaKey: generate_ca_key(); break;
            case StepKind::GenerateAaKey: generate_aa_key(); break;
            case StepKind::Complete: complete(); break;
        }
    }
    result_.state = CardState::Personalized;
    result_.files = files_.files;
    progress("done");
    return result_;
}

CardInfo Writer::read_card_info_inside() {
    try {
        const auto r = send(get_card_info(), "GET DATA card info inside SCP03 (80 CA 00 66)");
        return parse_card_info(r.data);
    } catch (const CardError& e) {
        throw CardError(e.kind(), fmt::format("{}; no data on the card was changed", e.what()), e.status_word());
    } catch (const ParseError& e) {
        // The same card info parsed in the clear a moment ago and its R-MAC verified: what came
        // out of decryption is garbage, so the card's S-ENC differs from ours.
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("the card info read inside the secure channel does not decrypt to a valid "
                                    "template ({}): the ENC master key (K-ENC) does not match this card's key set "
                                    "(the MAC key does); no data on the card was changed",
                                    e.what()),
                        0x9000);
    }
}

bool Writer::judge_ticket(const CardInfo& inside) {
    const bool ours = !inside.ticket.empty() && inside.ticket == prepared_.ticket;
    auto foreign = [&](const char* what) {
        const auto other = ticket_document_number(inside.ticket);
        return Error(ErrorKind::WrongCardState,
                     fmt::format("the card holds {} personalization for {}; it cannot be written for document {}; "
                                 "no data on the card was changed; set the card aside{}",
                                 what, other ? "document " + *other : "another holder (unknown ticket format)",
                                 prepared_.document_number,
                                 other && *other == prepared_.document_number
                                     ? " (same document number, but different holder data: the record changed since "
                                       "this card was written)"
                                     : ""));
    };
    switch (inside.state) {
        case CardState::Blank: return false;
        case CardState::Personalizing:
            if (!ours) throw foreign("an incomplete");
            result_.resumed = true;
            ticket_set_ = true;
            phase_ = Phase::Writing;
            return false;
        case CardState::Personalized:
            if (!ours) throw foreign("a complete");
            result_.resumed = true;
            ticket_set_ = true;
            phase_ = Phase::Checking;
            if (card_already_complete()) {
                result_.already_complete = true;
                result_.state = CardState::Personalized;
                progress("the card already holds this holder's complete data");
                return true;
            }
            phase_ = Phase::Writing;
            return false;
        case CardState::Locked:
        case CardState::Blocked:
            throw Error(ErrorKind::WrongCardState,
                        fmt::format("the card reports state {} inside the secure channel; no data on the card was "
                                    "changed; set it aside",
                                    to_string(inside.state)));
    }
    return false;
}

// A complete card of the same ticket counts as done only when every file reads back as this
// holder's data, DG15 holds the chip's AA key, and EF.SOD verifies over every data group.
bool Writer::card_already_complete() {
    progress("checking the card's existing content");
    lds::Lds on_card;
    for (std::uint16_t fid : prepared_.all_files) {
        try {
            on_card.set(fid, iso7816::read_ef(scp(), fid));
        } catch (const CardError& e) {
            if (e.status_word() == 0x6A82) return false;
            throw;
        } catch (const ParseError&) {
            return false;
        }
    }
    // DG14 of a PACE card depends on the chip's CA key (as DG15 on the AA key): checked below.
    const bool with_ca = prepared_.access != AccessControl::Bac;
    for (const auto& [fid, bytes] : files_.files)
        if (!(with_ca && fid == lds::dg_file_id(14)) && on_card.get(fid) != bytes) return false;
    if (with_ca) {
        const auto ca = scp().transmit(read_ca_public_key());
        if (!ca.ok()) return false;
        try {
            const auto key = tlv::parse_single(ca.data, "CA public key");
            const auto point = tlv::find(key.value, 0x86);
            if (key.tag != 0x7F49 || !point || on_card.get(lds::dg_file_id(14)) != lds::encode_dg14_pace_ca(point->value))
                return false;
        } catch (const ParseError&) {
            return false;
        }
    }
    const auto aa = scp().transmit(read_aa_public_key());
    if (!aa.ok()) return false;
    try {
        const auto key = tlv::parse_single(aa.data, "AA public key");
        const auto point = tlv::find(key.value, 0x86);
        if (key.tag != 0x7F49 || !point) return false;
        if (lds::decode_dg15(on_card.get(lds::dg_file_id(15))) != crypto::point_to_spki_p256(point->value)) return false;
    } catch (const ParseError&) {
        return false;
    }
    std::map<int, Bytes> dgs;
    for (int dg : sod_data_groups()) dgs[dg] = on_card.get(lds::dg_file_id(dg));
    const Bytes& ds_cert = keys_.impl().signer.certificate_der;
    const auto v = pki::verify_sod(on_card.get(lds::fid_sod), ds_cert, dgs, std::time(nullptr));
    if (!v.sod || v.sod->ds_certificate_der != ds_cert || v.sod->hashes.size() != dgs.size()) return false;
    for (const auto& check : v.checks) {
        const bool needed = check.name == "sod.structure" || check.name == "sod.signature" ||
                            (check.name.size() > 5 && check.name.ends_with(".hash"));
        if (needed && !check.passed) return false;
    }
    files_ = on_card;
    result_.files = on_card.files;
    return true;
}

void Writer::write_file(std::uint16_t fid) {
    const Bytes content = files_.get(fid);
    const std::string name = lds::file_name(fid);
    const std::string label = file_label(fid);
    progress("writing " + name);
    auto r = scp().transmit(create_file(fid, content.size()));
    if (r.sw == apdu::sw::file_exists) {
        send(delete_file(fid), "DELETE FILE " + label);
        r = scp().transmit(create_file(fid, content.size()));
    }
    expect_ok(r, fmt::format("CREATE FILE {}, {} bytes", label, content.size()));
    send(select_file(fid), "SELECT " + label);
    for (std::size_t off = 0; off < content.size(); off += chunk_in_) {
        const std::size_t n = std::min(chunk_in_, content.size() - off);
        send(update_binary(static_cast<std::uint16_t>(off), ByteView(content).subspan(off, n)),
             fmt::format("UPDATE BINARY {} at offset {}", label, off));
        done_ += n;
        progress("writing " + name);
    }
}

// The Chip Authentication key pair is made on the chip (Doc 9303 Part 11 6.2); DG14 carries its
// public key with the ChipAuthenticationInfo and the PACEInfo of EF.CardAccess, under EF.SOD.
void Writer::generate_ca_key() {
    progress("generating CA key");
    const auto r = send(detail::generate_ca_key(), "GENERATE CA KEY (80 47 82 00)");
    const auto key = tlv::parse_single(r.data, "GENERATE CA KEY response");
    const auto point = tlv::find(key.value, 0x86);
    if (key.tag != 0x7F49 || !point) {
        throw ParseError("GENERATE CA KEY: the answer is not 7F49 { 86 public point } (docs/card-protocol.md)");
    }
    crypto::pace::Domain::get(crypto::pace::DomainId::BrainpoolP256r1).check_point(point->value);
    files_.set(lds::dg_file_id(14), lds::encode_dg14_pace_ca(point->value));
}

void Writer::generate_aa_key() {
    progress("generating AA key");
    const auto r = send(detail::generate_aa_key(), "GENERATE AA KEY (80 47 80 00)");
    const auto key = tlv::parse_single(r.data, "GENERATE AA KEY response");
    const auto point = tlv::find(key.value, 0x86);
    if (key.tag != 0x7F49 || !point) {
        throw ParseError("GENERATE AA KEY: the answer is not 7F49 { 86 public point } (docs/card-protocol.md)");
    }
    files_.set(lds::dg_file_id(15), lds::encode_dg15(crypto::point_to_spki_p256(point->value)));
    pki::SignOptions sign;
    sign.signing_time = signing_time();
    files_.set(lds::fid_sod, pki::sign_sod(sod_inputs(files_), keys_.impl().signer, sign));
    total_ = done_;
    for (std::uint16_t fid : {lds::dg_file_id(14), lds::dg_file_id(15), lds::fid_sod}) total_ += files_.get(fid).size();
}

// COMPLETE carries the digest of every file as written; the card compares them with what it
// holds (docs/card-protocol.md), so a card whose content differs never becomes PERSONALIZED,
// without reading the files back over the link.
void Writer::complete() {
    phase_ = Phase::Completing;
    progress("marking the card complete");
    const auto r = scp().transmit(detail::complete(files_, prepared_.all_files));
    if (r.sw == apdu::sw::wrong_data) {
        throw CardError(ErrorKind::VerificationFailed,
                        "the card's copy of a file does not match what was written (COMPLETE with the files' "
                        "digests answered 6A80); the card is left incomplete (state PERSONALIZING): run the same "
                        "write command again; if it fails again, set the card aside",
                        r.sw.value());
    }
    expect_ok(r, "COMPLETE (80 DA 00 69)");
}

}  // namespace

WriteResult write_card(transport::CardChannel& card, const record::HolderRecord& holder, const IssuerKeys& keys,
                       const WriteOptions& options) {
    Writer writer(card, keys, options, holder);
    try {
        return writer.run();
    } catch (const CardError&) {
        throw;
    } catch (const KeySourceError& e) {
        // The key token, not the card, stopped answering: say where the card was left.
        throw KeySourceError(fmt::format("{} ({})", e.what(),
                                         writer.phase() == Phase::Before ? "nothing was written to the card"
                                                                         : "the card is left incomplete"));
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Communication) throw;
        switch (writer.phase()) {
            case Phase::Before:
                throw Error(ErrorKind::Communication,
                            fmt::format("the card was removed before anything was written to it ({}). Put it back and "
                                        "run the same write command.",
                                        e.what()));
            case Phase::Checking:
                throw Error(ErrorKind::Communication,
                            fmt::format("the card was removed while its content was being checked; no data on the card "
                                        "was changed ({}). Put it back and run the same write command.",
                                        e.what()));
            case Phase::Writing:
                throw Error(ErrorKind::Communication,
                            fmt::format("the card was removed during personalization; it is incomplete (state "
                                        "PERSONALIZING). Put it back and run the same write command to finish it, or "
                                        "set it aside. ({})",
                                        e.what()));
            case Phase::Completing:
                throw Error(ErrorKind::Communication,
                            fmt::format("the card was removed while it was being marked complete; it may be complete or "
                                        "incomplete. Put it back and run the same write command: it checks the card "
                                        "and finishes it if needed. ({})",
                                        e.what()));
        }
        throw;
    }
}

}  // namespace docketcard::perso
