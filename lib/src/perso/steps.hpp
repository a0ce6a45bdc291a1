// The one personalization step list (docs/card-protocol.md), shared by write_card, which executes
// it, and render_plan, which prints it, so the two cannot drift apart. Internal to lib/perso.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::perso::detail {

/// Application identifier of the docket applet (Doc 9303 Part 10, 3.1).
/// SCP03 security level used for personalization: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION.
inline constexpr std::uint8_t kSecurityLevel = 0x33;

enum class StepKind {
    SelectApplication,   ///< SELECT A0000002471001
    ReadCardInfo,        ///< GET DATA 66 in the clear: refuse locked/blocked cards before SCP03
    OpenSecureChannel,   ///< INITIALIZE UPDATE + EXTERNAL AUTHENTICATE
    ReadTicket,          ///< GET DATA 66 inside SCP03 (tag 85)
    PutTicket,           ///< PUT DATA 68 (BLANK -> PERSONALIZING)
    WriteFile,           ///< CREATE FILE, SELECT, UPDATE BINARY in chunks
    PutBacSecret,        ///< PUT DATA 62
    PutPaceSecrets,      ///< PUT DATA 65 (the CAN, when the record has one) and 67 (PACE only)
    GenerateCaKey,       ///< GENERATE CA KEY (PACE cards); DG14 follows from its answer
    GenerateAaKey,       ///< GENERATE AA KEY; DG15 and EF.SOD follow from its answer
    Complete,            ///< PUT DATA 69 with every file's digest: the card checks its files
};

struct Step {
    StepKind kind;
    std::uint16_t fid = 0;   ///< WriteFile only
};

/// Everything known about a holder's card before talking to it.
struct Prepared {
    std::string document_number;
    lds::Lds files;                  ///< EF.COM, DG1, DG2, DG11, DG12, DG13, DG14 (AA-independent)
    Bytes ticket;
    SecureBytes bac_secret;          ///< PUT DATA 62 data field: a secret
    AccessControl access = AccessControl::BacAndPace;
    std::optional<SecureBytes> can;  ///< PUT DATA 65: the card access number, a secret
    std::vector<Step> steps;
    std::vector<std::uint16_t> all_files;   ///< the files of a complete card, in writing order
};

/// Encodes the holder's AA-independent files, the ticket, the BAC secret and the step list.
/// Throws Error(InvalidInput) when the holder cannot be written (before any card access).
Prepared prepare(const record::HolderRecord& holder, std::uint8_t docket_format_version = lds::docket_format_version,
                 AccessControl access = AccessControl::BacAndPace);

/// Data groups covered by EF.SOD, in order.
const std::vector<int>& sod_data_groups();

/// "EF.COM (011E)", "DG2 (0102)".
std::string file_label(std::uint16_t fid);

// Plain commands (before SCP03 wrapping). CLA 00 for ISO/IEC 7816-4 commands, 80 for the
// proprietary ones; the SCP03 session turns both into 84.
apdu::CommandApdu select_application();
apdu::CommandApdu get_card_info();
apdu::CommandApdu put_ticket(ByteView ticket);
apdu::CommandApdu create_file(std::uint16_t fid, std::size_t size);
apdu::CommandApdu delete_file(std::uint16_t fid);
apdu::CommandApdu select_file(std::uint16_t fid);
apdu::CommandApdu update_binary(std::uint16_t offset, ByteView data);
apdu::CommandApdu read_binary(std::uint16_t offset, std::size_t le);
apdu::CommandApdu put_bac_secret(ByteView secret);
/// PUT DATA 65, the 6-digit card access number (docs/card-protocol.md, "PACE").
apdu::CommandApdu put_can(ByteView can);
/// PUT DATA 67: 00 BAC and PACE, 01 PACE only.
apdu::CommandApdu put_access(bool pace_only);
apdu::CommandApdu generate_aa_key();
/// GENERATE CA KEY (docs/card-protocol.md, "Chip Authentication"): 80 47 82 00, Le 00.
apdu::CommandApdu generate_ca_key();
/// READ CA PUBLIC KEY: 80 47 83 00, Le 00.
apdu::CommandApdu read_ca_public_key();
apdu::CommandApdu read_aa_public_key();
/// COMPLETE (docs/card-protocol.md): for each of `fids` in order, the FID and the first 16 bytes of
/// the SHA-256 of the file's content in `files`. The card answers 6A80 unless they name exactly
/// the files it holds with exactly these digests, and stays PERSONALIZING.
apdu::CommandApdu complete(const lds::Lds& files, const std::vector<std::uint16_t>& fids);
apdu::CommandApdu lock();

/// A status word the operation cannot accept: throws CardError naming the operation, the status
/// word, its meaning and what the operator can do. 6985 is WrongCardState, the rest CardRefused.
[[noreturn]] void refuse(const std::string& operation, apdu::StatusWord sw);
/// Returns `r` when 9000, otherwise refuse().
const apdu::ResponseApdu& expect_ok(const apdu::ResponseApdu& r, const std::string& operation);

/// The card info of a GET DATA 66 answer (parse_card_info). A card that does not know the
/// command (iso7816::means_not_supported: another vendor's eMRTD) is CardError(WrongCardState,
/// exit 7) saying it is not a Secure Docket Card; any other refusal goes to refuse().
CardInfo card_info_of(const apdu::ResponseApdu& r);

/// Counts command APDUs and their encoded bytes on the way to `inner` (the raw link, below any
/// secure messaging). A response too short to hold a status word means the card is gone (vpcd
/// hands pcscd an empty answer when the card is pulled mid-command): Error(Communication).
class CountingChannel final : public transport::CardChannel {
public:
    explicit CountingChannel(transport::CardChannel& inner) : inner_(inner) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        ++apdus;
        bytes += command.encode().size();
        try {
            return inner_.transmit(command);
        } catch (const ParseError& e) {
            throw Error(ErrorKind::Communication,
                        std::string("the card gave no valid answer (") + e.what() + "): it was removed or lost power");
        }
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }
    std::size_t apdus = 0;
    std::size_t bytes = 0;

private:
    transport::CardChannel& inner_;
};

}  // namespace docketcard::perso::detail
