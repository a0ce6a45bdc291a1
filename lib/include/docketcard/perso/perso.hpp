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

#include "docketcard/record/record.hpp"
#include "docketcard/transport/channel.hpp"
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
};

/// Selects the docket application (AID A0000002471001) and reads the card info in the clear.
/// Throws CardError when the card has no docket application.
CardInfo read_card_info(transport::CardChannel& card);

/// The issuer's keys from a keys folder (keys-sample/ layout): SCP03 master keys
/// (scp03-master.txt) and the Document Signer (document-signer.pem, document-signer.key).
/// Secrets are wiped when the object is destroyed.
class IssuerKeys {
public:
    /// Throws Error(InvalidInput) naming the file, line and field of any problem.
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

/// Progress of a write, for progress bars: bytes of file content written so far of the total.
struct Progress {
    std::string step;          ///< "opening secure channel", "writing DG2", "generating AA key", ...
    std::size_t done = 0;
    std::size_t total = 0;
};

struct WriteOptions {
    std::function<void(const Progress&)> on_progress;
    /// Signing time of EF.SOD (tests); now when unset.
    std::optional<std::chrono::system_clock::time_point> signing_time;
};

/// What a write did.
struct WriteResult {
    std::string serial_hex;
    bool resumed = false;                       ///< an incomplete card of the same holder was finished
    std::size_t apdus = 0;                      ///< command APDUs sent on the wire
    std::size_t bytes_sent = 0;                 ///< command APDU bytes sent on the wire
    std::map<std::uint16_t, Bytes> files;       ///< every EF written, by file id (EF.SOD included)
};

/// Personalizes a blank card (or finishes an incomplete one personalized for the same holder):
/// opens SCP03, sets the ticket, creates and writes every file, sets the BAC secret, has the chip
/// generate its Active Authentication key, writes DG14, DG15 and EF.SOD, reads back and compares
/// hashes, and marks the card complete. Leaves it PERSONALIZED and unlocked.
/// Refuses (Error WrongCardState, nothing changed) a card that is locked, blocked, or holds
/// another holder's data, with a message saying what the card holds.
WriteResult write_card(transport::CardChannel& card, const record::HolderRecord& holder, const IssuerKeys& keys,
                       const WriteOptions& options = {});

/// Locks a completely personalized card (irreversible). Error(WrongCardState) otherwise.
void lock_card(transport::CardChannel& card, const IssuerKeys& keys);

}  // namespace docketcard::perso
