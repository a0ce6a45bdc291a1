#include "steps.hpp"

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/security_infos.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::perso::detail {

using apdu::CommandApdu;

const std::vector<int>& sod_data_groups() {
    static const std::vector<int> dgs{1, 2, 11, 12, 13, 14, 15};
    return dgs;
}

std::string file_label(std::uint16_t fid) { return fmt::format("{} ({:04X})", lds::file_name(fid), fid); }

namespace {

Bytes fid_bytes(std::uint16_t fid) {
    Bytes b;
    put_u16(b, fid);
    return b;
}

// JMRTD layout of the BAC secret: 62 { 04 docno (padded to 9 with <), 04 YYMMDD birth,
// 04 YYMMDD expiry }, taken from the MRZ itself so the chip's BAC keys match the printed MRZ.
SecureBytes bac_secret_for(const record::HolderRecord& holder) {
    const auto td1 = mrz::make_td1(holder);
    std::string info = td1.bac_information();
    struct Wipe {
        std::string& s;
        ~Wipe() { secure_wipe(s.data(), s.size()); }
    } wipe{info};
    if (info.size() != 24) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("document {}: the document number is longer than 9 characters; the card's BAC secret "
                                "takes at most 9",
                                holder.document_number));
    }
    const std::string_view docno(info.data(), 9), birth(info.data() + 10, 6), expiry(info.data() + 17, 6);
    Bytes inner;
    tlv::append(inner, 0x04, ByteView(reinterpret_cast<const std::uint8_t*>(docno.data()), docno.size()));
    tlv::append(inner, 0x04, ByteView(reinterpret_cast<const std::uint8_t*>(birth.data()), birth.size()));
    tlv::append(inner, 0x04, ByteView(reinterpret_cast<const std::uint8_t*>(expiry.data()), expiry.size()));
    Bytes outer = tlv::encode(0x62, inner);
    SecureBytes secret = secure_copy(outer);
    secure_wipe(inner.data(), inner.size());
    secure_wipe(outer.data(), outer.size());
    return secret;
}

std::string advice(apdu::StatusWord sw) {
    switch (sw.value()) {
        case 0x6A84:
            return "the card has no room left for this holder's files (96 KiB for all files); check the photo "
                   "size, or set the card aside";
        case 0x6985:
            return "the card's state does not allow this command; run the same command again to see what the card "
                   "holds";
        case 0x6982:
        case 0x6988:
            return "the card did not accept the secure channel; run the same command again";
        case 0x6581: return "the card reports a memory failure; set it aside";
        case 0x6A82: return "the card lacks this file; run the same write command again to rewrite it";
        case 0x6D00:
        case 0x6E00:
            return "this is not a Secure Docket Card with the docket applet (contract v1); set it aside";
        default: return "run the same command again; if it fails again, set the card aside";
    }
}

}  // namespace

[[noreturn]] void refuse(const std::string& operation, apdu::StatusWord sw) {
    const ErrorKind kind = sw == apdu::sw::conditions_not_satisfied ? ErrorKind::WrongCardState : ErrorKind::CardRefused;
    throw CardError(kind, fmt::format("{} refused by the card: {}; {}", operation, sw.describe(), advice(sw)), sw.value());
}

const apdu::ResponseApdu& expect_ok(const apdu::ResponseApdu& r, const std::string& operation) {
    if (!r.ok()) refuse(operation, r.sw);
    return r;
}

CardInfo card_info_of(const apdu::ResponseApdu& r) {
    if (iso7816::means_not_supported(r.sw.value())) {
        throw CardError(ErrorKind::WrongCardState,
                        fmt::format("GET DATA card info (80 CA 00 66) refused by the card: {}; the card has an eMRTD "
                                    "application but not the docket applet's personalization interface: it is not a "
                                    "Secure Docket Card; set it aside",
                                    r.sw.describe()),
                        r.sw.value());
    }
    expect_ok(r, "GET DATA card info (80 CA 00 66)");
    return parse_card_info(r.data);
}

namespace {
// The ticket of docs/card-protocol.md over already encoded data groups.
Bytes ticket_of(const record::HolderRecord& holder, const lds::Lds& encoded) {
    Bytes hashed;
    for (int dg : {1, 2, 11, 12, 13}) append(hashed, encoded.get(lds::dg_file_id(dg)));
    const Bytes digest = crypto::sha256(hashed);
    Bytes ticket = to_bytes(holder.document_number);
    ticket.push_back(0x1F);
    ticket.insert(ticket.end(), digest.begin(), digest.begin() + 16);
    return ticket;
}
}  // namespace

Prepared prepare(const record::HolderRecord& holder, std::uint8_t docket_format_version, AccessControl access) {
    Prepared p;
    p.document_number = holder.document_number;
    if (holder.document_number.empty() || holder.document_number.size() > 9) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("document number '{}' must have 1 to 9 characters", holder.document_number));
    }
    p.bac_secret = bac_secret_for(holder);
    lds::EncodeOptions encode;
    encode.docket_format_version = docket_format_version;
    lds::Lds encoded = lds::encode_holder(holder, encode);
    for (int dg : {1, 2, 11, 12, 13}) p.files.set(lds::dg_file_id(dg), encoded.get(lds::dg_file_id(dg)));
    p.files.set(lds::fid_com, lds::encode_com(sod_data_groups()));
    p.files.set(lds::dg_file_id(14), lds::encode_dg14_aa_ecdsa_sha256());
    p.access = access;
    const bool pace = access != AccessControl::Bac;
    if (pace) {
        p.files.set(lds::fid_card_access, lds::encode_card_access(crypto::pace::Protocol::PaceEcdhGmAes128,
                                                                  crypto::pace::DomainId::BrainpoolP256r1));
        if (holder.card_access_number) p.can = *holder.card_access_number;
    }
    p.ticket = ticket_of(holder, encoded);

    p.all_files = {lds::fid_com};
    if (pace) p.all_files.push_back(lds::fid_card_access);
    for (int dg : sod_data_groups()) p.all_files.push_back(lds::dg_file_id(dg));
    p.all_files.push_back(lds::fid_sod);

    using K = StepKind;
    p.steps = {{K::SelectApplication}, {K::ReadCardInfo}, {K::OpenSecureChannel}, {K::ReadTicket}, {K::PutTicket}};
    p.steps.push_back({K::WriteFile, lds::fid_com});
    if (pace) p.steps.push_back({K::WriteFile, lds::fid_card_access});
    for (int dg : {1, 2, 11, 12, 13}) p.steps.push_back({K::WriteFile, lds::dg_file_id(dg)});
    p.steps.push_back({K::PutBacSecret});
    if (pace && (p.can || access == AccessControl::PaceOnly)) p.steps.push_back({K::PutPaceSecrets});
    if (pace) p.steps.push_back({K::GenerateCaKey});
    p.steps.push_back({K::GenerateAaKey});
    p.steps.push_back({K::WriteFile, lds::dg_file_id(14)});
    p.steps.push_back({K::WriteFile, lds::dg_file_id(15)});
    p.steps.push_back({K::WriteFile, lds::fid_sod});
    p.steps.push_back({K::Complete});
    return p;
}

CommandApdu select_application() { return CommandApdu::select_aid(ByteView(apdu::emrtd_aid, sizeof apdu::emrtd_aid)); }
CommandApdu get_card_info() { return CommandApdu(0x80, 0xCA, 0x00, 0x66, {}, 256); }
CommandApdu put_ticket(ByteView ticket) { return CommandApdu(0x80, 0xDA, 0x00, 0x68, Bytes(ticket.begin(), ticket.end())); }
CommandApdu create_file(std::uint16_t fid, std::size_t size) {
    Bytes data{0x63, 0x04};
    put_u16(data, static_cast<std::uint16_t>(size));
    put_u16(data, fid);
    return CommandApdu(0x00, 0xE0, 0x00, 0x00, data);
}
CommandApdu delete_file(std::uint16_t fid) { return CommandApdu(0x00, 0xE4, 0x00, 0x00, fid_bytes(fid)); }
CommandApdu select_file(std::uint16_t fid) { return CommandApdu::select_ef(fid); }
CommandApdu update_binary(std::uint16_t offset, ByteView data) {
    return CommandApdu::update_binary(offset, Bytes(data.begin(), data.end()));
}
CommandApdu read_binary(std::uint16_t offset, std::size_t le) { return CommandApdu::read_binary(offset, le); }
CommandApdu generate_ca_key() { return CommandApdu(0x80, 0x47, 0x82, 0x00, {}, 256); }
CommandApdu read_ca_public_key() { return CommandApdu(0x80, 0x47, 0x83, 0x00, {}, 256); }
CommandApdu put_can(ByteView can) { return CommandApdu(0x80, 0xDA, 0x00, 0x65, Bytes(can.begin(), can.end())); }
CommandApdu put_access(bool pace_only) { return CommandApdu(0x80, 0xDA, 0x00, 0x67, Bytes{pace_only ? std::uint8_t{1} : std::uint8_t{0}}); }
CommandApdu put_bac_secret(ByteView secret) { return CommandApdu(0x80, 0xDA, 0x00, 0x62, Bytes(secret.begin(), secret.end())); }
CommandApdu generate_aa_key() { return CommandApdu(0x80, 0x47, 0x80, 0x00, {}, 256); }
CommandApdu read_aa_public_key() { return CommandApdu(0x80, 0x47, 0x81, 0x00, {}, 256); }
CommandApdu complete(const lds::Lds& files, const std::vector<std::uint16_t>& fids) {
    Bytes data;
    for (std::uint16_t fid : fids) {
        put_u16(data, fid);
        const Bytes digest = crypto::sha256(files.get(fid));
        data.insert(data.end(), digest.begin(), digest.begin() + 16);
    }
    return CommandApdu(0x80, 0xDA, 0x00, 0x69, data);
}
CommandApdu lock() { return CommandApdu(0x80, 0xDA, 0xDE, 0xAD); }

}  // namespace docketcard::perso::detail

namespace docketcard::perso {

Bytes personalization_ticket(const record::HolderRecord& holder) {
    return detail::ticket_of(holder, lds::encode_holder(holder));
}

std::optional<std::string> ticket_document_number(ByteView ticket) {
    if (ticket.size() < 18 || ticket.size() > 26) return std::nullopt;
    const std::size_t n = ticket.size() - 17;
    if (ticket[n] != 0x1F) return std::nullopt;
    std::string docno;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = static_cast<char>(ticket[i]);
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
        docno.push_back(c);
    }
    return docno;
}

}  // namespace docketcard::perso
