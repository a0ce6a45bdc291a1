// Readers: the one entry point through which the application finds a card, whatever kind of reader
// holds it. A reader is named on the command line (docs/cli.md, "Reader names"):
//
//   "Virtual PCD 00 00"   a PC/SC reader by exact name, unique substring or index ("0", "1", ...)
//   "serial:VALUE"        the PC/SC reader whose identity (ReaderState::identity) is VALUE
//   ""                    the only PC/SC reader (an error when there are none or several)
//   "sim:PATH"            the in-process emulated card stored in PATH (a new blank card when missing,
//                         unless ConnectOptions::create_missing is false); its folder must exist
//   "sim:DIR/"            a folder of emulated cards: every connect() inserts a new blank card
//                         DIR/card-NNNNNN.card (batch issuance on the emulator)
//   "sim:...?link=PROFILE" either sim: reader, its commands accounted on a physical link model
//                         (contact-9600, contact-312k, contactless-424k or a profile file;
//                         docs/sim.md "Link model"): CardChannel::link_projection()
//
// parse_reader() + open_reader() give a Reader; Reader::connect() gives a CardChannel. Nothing
// above this header knows whether pcscd is involved.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docketcard/apdu/link_model.hpp"
#include "docketcard/transport/channel.hpp"

namespace docketcard::transport {

/// A parsed reader name.
struct ReaderSpec {
    enum class Kind { Pcsc, SimFile, SimDir };
    Kind kind = Kind::Pcsc;
    std::string pcsc_choice;           ///< Pcsc: exact name, substring or index; empty: the only reader
    std::filesystem::path sim_path;    ///< SimFile: the card file; SimDir: the folder
    /// sim: readers: `?link=PROFILE` after the path, the link its cards are accounted on.
    std::optional<apdu::LinkProfile> link;
    /// The name as the operator wrote it, for messages.
    std::string text;
};

/// Parses a reader name. "sim:" with nothing after it throws Error(Usage).
ReaderSpec parse_reader(std::string_view text);

/// Chooses one PC/SC reader name from `readers` (in PC/SC list order) for `choice`: an exact
/// name first, then a decimal index, then a unique substring. "serial:VALUE" instead matches
/// VALUE exactly against `identities` (same order as `readers`; empty entries have none).
/// Throws Error(Communication) when there is no reader or no reader matches, and Error(Usage)
/// when the choice is ambiguous (or empty while several readers exist); both messages list the
/// readers with their indexes (and identities for serial:).
std::string select_reader(const std::vector<std::string>& readers, std::string_view choice,
                          const std::vector<std::string>& identities = {});

/// One reader as listed.
struct ReaderState {
    std::string name;
    bool card_present = false;
    bool in_use = false;    ///< another program holds the card exclusively (PC/SC SCARD_STATE_EXCLUSIVE)
    Bytes atr;              ///< empty when no card (or unknown)
    /// The reader's stable identity, for --reader serial:VALUE: its serial number
    /// (SCARD_ATTR_VENDOR_IFD_SERIAL_NO) when the driver gives one, else "usb:" and the USB port
    /// path of the device ("usb:1-1.2", from SCARD_ATTR_CHANNEL_ID and sysfs); empty when neither
    /// is known (vpcd, sim:, a reader another program holds exclusively).
    std::string identity;
};

/// The outcome of a wait.
enum class WaitResult { Ready, Timeout, Cancelled };

/// How to connect to a card.
struct ConnectOptions {
    /// SCARD_SHARE_EXCLUSIVE: no other program may talk to the card while connected (used for
    /// personalization); otherwise shared, but every connection holds a PC/SC transaction.
    bool exclusive = false;
    enum class Protocol { Any, T1, T0 } protocol = Protocol::Any;
    /// sim: readers only. True (write, issue): a missing sim:PATH card file is created as a new
    /// blank card, and sim:DIR/ inserts a new blank card. False (read-only commands such as
    /// verify): a missing card file is Error(Communication, "no card: ..."), and sim:DIR/ is
    /// Error(Usage), since it only ever holds a new blank card.
    bool create_missing = true;
    /// PC/SC: how long connect() keeps trying while the reader answers as it does just after a
    /// card was inserted or swapped (SCARD_E_NO_SMARTCARD, SCARD_W_UNPOWERED_CARD,
    /// SCARD_W_RESET_CARD, SCARD_W_REMOVED_CARD), one attempt every 100 ms. Only the connection
    /// is tried again, never a command.
    std::chrono::milliseconds settle_time{2000};
    /// Receives one line per connection attempt that failed (for the -v trace); may be empty.
    std::function<void(const std::string&)> trace;
};

/// A card reader (PC/SC or sim:).
class Reader {
public:
    virtual ~Reader() = default;
    /// The reader's name ("Virtual PCD 00 00", "sim:/tmp/a.card").
    virtual std::string name() const = 0;
    /// Current state (card presence and ATR).
    virtual ReaderState state() = 0;
    /// Waits until a card is present (PC/SC SCardGetStatusChange); nullopt waits forever.
    virtual WaitResult wait_for_card(std::optional<std::chrono::milliseconds> timeout) = 0;
    /// Waits until the reader is empty.
    virtual WaitResult wait_for_removal(std::optional<std::chrono::milliseconds> timeout) = 0;
    /// Connects to the card (T=1 preferred) and, for PC/SC, begins a transaction that lasts until
    /// the channel is destroyed. Throws Error(Communication) when there is no card, and for
    /// sim:PATH Error(InvalidInput) naming the folder of PATH when that folder does not exist.
    virtual std::unique_ptr<CardChannel> connect(const ConnectOptions& options = {}) = 0;
    /// Makes a pending wait return Cancelled. Safe to call from another thread (SCardCancel).
    virtual void cancel() = 0;
};

/// Opens the reader named by `spec`. For PC/SC this connects to the service (Error(Communication)
/// naming SCARD_E_NO_SERVICE when pcscd is not running) and selects the reader.
std::unique_ptr<Reader> open_reader(const ReaderSpec& spec);

/// Lists every PC/SC reader with card presence and ATR (SCardListReaders + SCardGetStatusChange).
/// No reader is an empty list, not an error.
std::vector<ReaderState> list_readers();

/// A change seen by ReaderMonitor.
struct ReaderEvent {
    enum class Kind { ReaderAdded, ReaderRemoved, CardInserted, CardRemoved };
    Kind kind;
    std::string reader;
    Bytes atr;   ///< CardInserted only
};

/// "reader-added", "reader-removed", "card-inserted", "card-removed".
const char* to_string(ReaderEvent::Kind kind) noexcept;

/// Watches every PC/SC reader for card insertion and removal and readers coming and going
/// (SCardGetStatusChange with the "\\?PnP?\Notification" pseudo reader).
class ReaderMonitor {
public:
    ReaderMonitor();
    ~ReaderMonitor();
    ReaderMonitor(const ReaderMonitor&) = delete;
    ReaderMonitor& operator=(const ReaderMonitor&) = delete;
    /// The readers as first seen.
    std::vector<ReaderState> initial() const;
    /// Waits for the next changes; an empty result means timeout. Returns nullopt when cancelled.
    std::optional<std::vector<ReaderEvent>> wait(std::optional<std::chrono::milliseconds> timeout);
    /// Makes a pending wait() return nullopt; thread-safe.
    void cancel();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The emulated cards of a sim:DIR/ reader: each next_card() names a new card file in the folder
/// (DIR/card-000001.card, ...), never one that exists or was handed out before in this process.
class SimCardFactory {
public:
    explicit SimCardFactory(std::filesystem::path dir);
    /// Creates the folder when missing and returns the path for the next new card.
    std::filesystem::path next_card();
    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    std::filesystem::path dir_;
};

}  // namespace docketcard::transport
