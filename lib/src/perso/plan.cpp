// render_plan: prints the step list of steps.hpp as the command script write_card would send.
#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/util/error.hpp"
#include "steps.hpp"

namespace docketcard::perso {

namespace {

using namespace detail;
using apdu::CommandApdu;

std::string header(const CommandApdu& c) { return fmt::format("{:02X} {:02X} {:02X} {:02X}", c.cla, c.ins, c.p1, c.p2); }

// Bytes in hex, one space between bytes: "00 07 EF".
std::string spaced_hex(ByteView b) {
    std::string out;
    for (std::uint8_t x : b) out += (out.empty() ? "" : " ") + fmt::format("{:02X}", x);
    return out;
}

// The fields of a command exactly as CommandApdu::encode() sends it: short, or extended when
// Lc > 255 or Le > 256 (Lc 00 HH LL; Le HH LL after data, 00 HH LL without). Lc and Le are
// spaced byte by byte like the header; the data field is one hex run.
struct Fields {
    std::string header, lc, data, le;
};

Fields fields_of(const CommandApdu& c) {
    const Bytes raw = c.encode();
    const bool ext = c.needs_extended();
    const std::size_t lc_len = c.data.empty() ? 0 : (ext ? 3 : 1);
    const std::size_t le_len = !c.le ? 0 : (!ext ? 1 : (c.data.empty() ? 3 : 2));
    if (4 + lc_len + c.data.size() + le_len != raw.size()) {
        throw Error(ErrorKind::Internal, "plan: the APDU fields do not add up to its encoding");
    }
    const ByteView all(raw);
    Fields f;
    f.header = header(c);
    f.lc = spaced_hex(all.subspan(4, lc_len));
    f.data = to_hex(all.subspan(4 + lc_len, c.data.size()));
    f.le = spaced_hex(all.subspan(4 + lc_len + c.data.size(), le_len));
    return f;
}

// CLA INS P1 P2 [Lc data] [Le], a space between the fields.
std::string apdu_line(const CommandApdu& c) {
    const Fields f = fields_of(c);
    std::string line = f.header;
    for (const std::string* part : {&f.lc, &f.data, &f.le})
        if (!part->empty()) line += " " + *part;
    return line;
}

class PlanWriter {
public:
    PlanWriter(const Prepared& p, const IssuerKeys& keys, const PlanOptions& o) : p_(p), keys_(keys), o_(o) {}

    std::string render() {
        comment(fmt::format("docketcard personalization plan for document {}", p_.document_number));
        comment("Plain APDUs (CLA INS P1 P2 [Lc data] [Le], hex) in the order write_card sends them, before SCP03");
        comment(fmt::format("wrapping (security level {:02X}: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION; CLA becomes 84).",
                            kSecurityLevel));
        out_ += "\n";
        for (const Step& s : p_.steps) step(s);
        return out_;
    }

private:
    void comment(const std::string& text) { out_ += "# " + text + "\n"; }
    void line(const std::string& text) { out_ += text + "\n"; }

    bool known(std::uint16_t fid) const { return p_.files.has(fid); }

    void step(const Step& s) {
        switch (s.kind) {
            case StepKind::SelectApplication:
                comment("SELECT the docket application (AID A0000002471001)");
                line(apdu_line(select_application()));
                break;
            case StepKind::ReadCardInfo:
                comment("GET DATA card info in the clear: a LOCKED or BLOCKED card is refused here, before SCP03");
                line(apdu_line(get_card_info()));
                break;
            case StepKind::OpenSecureChannel:
                comment(fmt::format("INITIALIZE UPDATE, key set KVN {:02X}: the card answers its serial (KDD), "
                                    "challenge and cryptogram",
                                    keys_.impl().scp03->kvn()));
                line(fmt::format("80 50 {:02X} 00 08 <host challenge> 00", keys_.impl().scp03->kvn()));
                comment(fmt::format("EXTERNAL AUTHENTICATE, security level {:02X} (never retried)", kSecurityLevel));
                line(fmt::format("84 82 {:02X} 00 10 <host cryptogram> <C-MAC>", kSecurityLevel));
                break;
            case StepKind::ReadTicket:
                comment("GET DATA card info inside SCP03: the ticket (tag 85) decides new card, resume or refusal");
                line(apdu_line(get_card_info()));
                break;
            case StepKind::PutTicket:
                comment(fmt::format("PUT DATA ticket: \"{}\" || 1F || SHA-256(DG1 DG2 DG11 DG12 DG13)[0..16] "
                                    "(skipped when resuming)",
                                    p_.document_number));
                // Redacted as the -vv trace redacts it (docs/cli.md): only its length is shown.
                line(fmt::format("{} {} <ticket: document number + data digest, {} bytes, redacted>",
                                 header(put_ticket({})), fields_of(put_ticket(p_.ticket)).lc, p_.ticket.size()));
                break;
            case StepKind::WriteFile: write_file(s.fid); break;
            case StepKind::PutBacSecret:
                comment("PUT DATA BAC secret (document number, date of birth, date of expiry)");
                line(fmt::format("{} {} <BAC secret redacted>", header(put_bac_secret({})),
                                 fields_of(put_bac_secret(Bytes(p_.bac_secret.size()))).lc));
                break;
            case StepKind::PutPaceSecrets:
                if (p_.can) {
                    comment("PUT DATA card access number (PACE, Doc 9303 Part 11 4.4), 6 digits");
                    line(fmt::format("{} 06 <CAN redacted>", header(put_can({}))));
                }
                if (p_.access == AccessControl::PaceOnly) {
                    comment("PUT DATA access control: PACE only (the card refuses BAC with 6982)");
                    line(apdu_line(put_access(true)));
                }
                break;
            case StepKind::GenerateCaKey:
                comment("GENERATE CA KEY: the chip makes its Chip Authentication key pair (brainpoolP256r1) and "
                        "answers 7F49 { 86 point }; DG14 = AA, PACE and CA infos with that point");
                line(apdu_line(generate_ca_key()));
                break;
            case StepKind::GenerateAaKey:
                comment("GENERATE AA KEY: the chip makes its Active Authentication key pair and answers 7F49 { 86 point }");
                line(apdu_line(generate_aa_key()));
                comment("DG15 = the SubjectPublicKeyInfo of that point; EF.SOD = signed over DG1 DG2 DG11 DG12 DG13 "
                        "DG14 DG15");
                break;
            case StepKind::Complete:
                comment("COMPLETE: PERSONALIZING -> PERSONALIZED only when every file on the card has the digest "
                        "given here (FID || first 16 bytes of SHA-256, per file)");
                line(fmt::format("80 DA 00 69 {:02X} <{} x (FID, SHA-256[0..15]): {}>", p_.all_files.size() * 18,
                                 p_.all_files.size(), file_list()));
                break;
        }
    }

    void write_file(std::uint16_t fid) {
        const std::string label = file_label(fid);
        const bool dg15 = fid == lds::dg_file_id(15);
        std::optional<std::size_t> size;
        if (known(fid)) size = p_.files.get(fid).size();
        if (dg15) size = lds::encode_dg15(crypto::EcPrivateKey::generate_p256().public_key_spki()).size();
        if (size) {
            comment(fmt::format("CREATE FILE {}, {} bytes (on 6A89 exists: DELETE FILE, then CREATE FILE again)", label,
                                *size));
            line(apdu_line(create_file(fid, *size)));
        } else {
            comment(fmt::format("CREATE FILE {}, its size known once signed (on 6A89 exists: DELETE FILE, then "
                                "CREATE FILE again)",
                                label));
            line(fmt::format("{} 06 6304 <size> {:04X}", header(create_file(fid, 1)), fid));
        }
        comment("SELECT " + label);
        line(apdu_line(select_file(fid)));
        if (known(fid)) {
            const Bytes& content = p_.files.get(fid);
            for (std::size_t off = 0; off < content.size(); off += o_.max_command_data) {
                const std::size_t n = std::min(o_.max_command_data, content.size() - off);
                comment(fmt::format("UPDATE BINARY {}, offset {:04X}, {} bytes", label, off, n));
                line(apdu_line(update_binary(static_cast<std::uint16_t>(off), ByteView(content).subspan(off, n))));
            }
        } else if (dg15) {
            comment(fmt::format("UPDATE BINARY {}, offset 0000, {} bytes", label, *size));
            line(fmt::format("{} {} <DG15: SubjectPublicKeyInfo of the AA public key from GENERATE AA KEY>",
                             header(update_binary(0, Bytes{0})), fields_of(update_binary(0, Bytes(*size))).lc));
        } else {
            comment(fmt::format("UPDATE BINARY {} in chunks of {} bytes, offsets 0000, {:04X}, ...", label,
                                o_.max_command_data, o_.max_command_data));
            line(fmt::format("00 D6 <offset> <Lc> <EF.SOD signed by \"{}\">", keys_.impl().signer.subject));
        }
    }

    std::string file_list() const {
        std::string out;
        for (std::uint16_t fid : p_.all_files) out += (out.empty() ? "" : " ") + file_label(fid);
        return out;
    }

    const Prepared& p_;
    const IssuerKeys& keys_;
    const PlanOptions& o_;
    std::string out_;
};

}  // namespace

std::string render_plan(const record::HolderRecord& holder, const IssuerKeys& keys, const PlanOptions& options) {
    if (options.max_command_data == 0 || options.max_command_data > 65535 || options.max_response_data == 0 ||
        options.max_response_data > 65536) {
        throw Error(ErrorKind::Usage, "plan chunk sizes must be 1..65535 (command) and 1..65536 (response)");
    }
    const Prepared p = prepare(holder, lds::docket_format_version, options.access);
    return PlanWriter(p, keys, options).render();
}

}  // namespace docketcard::perso
