// Personalization of a Secure Docket Card: the flows behind `docketcard write` and `lock`, over
// the card protocol of docs/card-protocol.md (GlobalPlatform SCP03 wrapping, Amendment D).
//
// Nothing here knows which kind of reader it talks to: it only uses transport::CardChannel.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "docketcard/lds/lds.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/transport/trace.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::perso {

/// Lifecycle of the docket applet as GET DATA tag 80 reports it (docs/card-protocol.md).
enum class CardState : std::uint8_t {
    Blank = 0x01,
    Personalizing = 0x03,
    Personalized = 0x07,
    Locked = 0x0F,
    Blocked = 0x7F,
};
const char* to_string(CardState state) noexcept;

/// What GET DATA card info (`80 CA 00 66`) reports in the clear.
struct CardInfo {
    CardState state = CardState::Blank;
    std::optional<std::string> serial_hex;   ///< absent on a locked card read in the clear
    int scp03_tries_left = 0;
    std::size_t free_bytes = 0;
    std::size_t max_command_data = 255;
    Bytes ticket;   ///< tag 85: the personalization ticket (inside SCP03 only; empty when none)
};

/// Parses the data of a GET DATA card info response: the 66 template of docs/card-protocol.md
/// (ISO/IEC 7816-4 5.2 BER-TLV). Bounds-checked; unknown tags inside the template are skipped.
/// Throws ParseError when the template, tag 80 or a known tag's length is wrong.
CardInfo parse_card_info(ByteView data);

/// Selects the docket application (AID A0000002471001) and reads the card info in the clear.
/// Throws CardError when the card has no docket application.
CardInfo read_card_info(transport::CardChannel& card);

/// The issuer's keys from a keys folder (keys-sample/ layout): SCP03 master keys
/// (scp03-master.txt) and the Document Signer (document-signer.pem, document-signer.key), or
/// the files and PKCS#11 token objects its keys.toml names (keys::load_key_set, docs/keys.md).
/// Secrets are wiped when the object is destroyed.
class IssuerKeys {
public:
    /// Throws Error(InvalidInput) naming the file, line and field of any problem; token errors as
    /// keys::load_key_set documents them.
    static IssuerKeys load(const std::filesystem::path& dir);
    IssuerKeys(IssuerKeys&&) noexcept;
    IssuerKeys& operator=(IssuerKeys&&) noexcept;
    ~IssuerKeys();
    struct Impl;
    const Impl& impl() const { return *impl_; }

private:
    explicit IssuerKeys(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

/// What IssuerKeys holds: the SCP03 master key set (GP Amendment D 4.1.1) and the Document
/// Signer (Doc 9303 Part 12, 7.1.1) that signs EF.SOD.
struct IssuerKeys::Impl {
    std::filesystem::path dir;
    std::shared_ptr<const sm::Scp03MasterKeys> scp03;  ///< file or PKCS#11 token (keys::load_key_set)
    pki::DocumentSigner signer;
};

/// The personalization ticket that binds a card to one holder's data (PUT DATA 68,
/// docs/card-protocol.md): ASCII document number || 1F || the first 16 bytes of SHA-256 over
/// DG1 || DG2 || DG11 || DG12 || DG13 as encoded for this holder (Doc 9303 Part 10, 4.7).
/// The same holder with the same data always gives the same ticket.
Bytes personalization_ticket(const record::HolderRecord& holder);

/// The document number a ticket names (the bytes before 1F), or nullopt when the ticket does not
/// have the form personalization_ticket() makes.
std::optional<std::string> ticket_document_number(ByteView ticket);

/// Progress of a write, for progress bars: bytes of file content written so far of the total.
struct Progress {
    std::string step;          ///< "opening secure channel", "writing DG2", "generating AA key", ...
    std::size_t done = 0;
    std::size_t total = 0;
};

/// How inspection systems may open the card (Doc 9303 Part 11 4.2, docs/card-protocol.md "PACE").
enum class AccessControl {
    Bac,         ///< BAC only, no EF.CardAccess: a card as issued before PACE
    BacAndPace,  ///< EF.CardAccess with PACE (CAN and MRZ); BAC kept for legacy readers (default)
    PaceOnly,    ///< as BacAndPace, and the card refuses BAC (6982)
};

struct WriteOptions {
    std::function<void(const Progress&)> on_progress;
    /// EF.CardAccess, the CAN (from the record) and whether BAC stays available.
    AccessControl access = AccessControl::BacAndPace;
    /// Signing time of EF.SOD (tests); now when unset.
    std::optional<std::chrono::system_clock::time_point> signing_time;
    /// When set, the plain commands and responses inside SCP03 are traced (-vv, TraceLevel::Plain;
    /// secret-bearing commands stay redacted by the trace itself).
    std::optional<transport::TraceOptions> trace_plain;
    /// DG13 layout version of the card: 2 (documents, background check, endorsement in DG12), or
    /// 1 to make a card as issued before version 2 (tests of the verifier's backward reading).
    std::uint8_t docket_format_version = lds::docket_format_version;
};

/// What a write did.
struct WriteResult {
    std::string serial_hex;
    bool resumed = false;                       ///< an incomplete card of the same holder was finished
    std::size_t apdus = 0;                      ///< command APDUs sent on the wire
    std::size_t bytes_sent = 0;                 ///< command APDU bytes sent on the wire
    std::map<std::uint16_t, Bytes> files;       ///< every EF written, by file id (EF.SOD included)
    std::string document_number;
    bool already_complete = false;              ///< the card already held this holder's complete data: nothing written
    CardState state = CardState::Personalized;  ///< the card's state at the end
};

/// Personalizes a blank card (or finishes an incomplete one personalized for the same holder):
/// opens SCP03, sets the ticket, creates and writes every file, sets the BAC secret, has the chip
/// generate its Active Authentication key, writes DG14, DG15 and EF.SOD, reads back and compares
/// hashes, and marks the card complete. Leaves it PERSONALIZED and unlocked.
/// Refuses (Error WrongCardState, no data on the card changed; opening SCP03 does advance the
/// card's persistent sequence counter) a card that is locked, blocked, or holds
/// another holder's data, with a message saying what the card holds.
WriteResult write_card(transport::CardChannel& card, const record::HolderRecord& holder, const IssuerKeys& keys,
                       const WriteOptions& options = {});

/// Locks a completely personalized card (irreversible). Error(WrongCardState) otherwise.
void lock_card(transport::CardChannel& card, const IssuerKeys& keys);

/// Options of render_plan: the plain data sizes of one wrapped command and response. The default
/// is what an SCP03 session at security level 33 carries in one extended-length APDU to a card
/// that takes 2048 bytes (docs/card-protocol.md): 2048 - 8 (C-MAC) rounded down to whole AES
/// blocks, less one padding byte (GP Amendment D 6.2.4, 6.2.6). Over short APDUs it is 239.
struct PlanOptions {
    std::size_t max_command_data = 2031;
    std::size_t max_response_data = 2031;
    AccessControl access = AccessControl::BacAndPace;   ///< as WriteOptions::access
};

/// The command sequence write_card sends to a blank card for `holder`, as a readable script
/// (`docketcard encode --plan`): one plain APDU (before SCP03 wrapping, GP Amendment D 6.2) per
/// line in hex, each after a `#` comment line, short or extended length exactly as
/// CommandApdu::encode() sends it (ISO/IEC 7816-4 5.1). Secrets and the ticket are redacted
/// (`<BAC secret redacted>`, `<ticket: ... redacted>`, `<host challenge>`, `<host cryptogram>`);
/// the steps that depend on the chip's Active Authentication key (DG15 and EF.SOD content,
/// EF.SOD size) are placeholders. write_card and render_plan walk the same step list.
std::string render_plan(const record::HolderRecord& holder, const IssuerKeys& keys, const PlanOptions& options = {});

}  // namespace docketcard::perso
