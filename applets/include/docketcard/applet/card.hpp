// An emulated Secure Docket Card: the card runtime with the docket applet and its persistent
// memory in one card file and its journal, `<card file>.journal` (docs/sim.md, "Persistence").
// Used by docketcard-sim behind vpcd and, in-process, by the terminal library's `sim:PATH` reader
// and by tests. Depends on docketcard::base only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet {

/// The factory ("pre-personalization") keys a blank card is made with: the SCP03 master keys from
/// which the card derives and stores its own diversified keys (GP Amendment D; KDF3).
struct FactoryKeys {
    std::uint8_t kvn = 0x30;
    SecureBytes master_enc, master_mac, master_dek;
    /// The sample master keys of keys-sample/scp03-master.txt (never for production cards).
    static FactoryKeys sample();
    /// Reads a master key file in the format of keys-sample/scp03-master.txt (`kvn=`, `enc=`,
    /// `mac=`, `dek=` lines of hex, `#` comments). Throws Error(InvalidInput) naming the file.
    static FactoryKeys from_file(const std::filesystem::path& file);
};

/// The static SCP03 keys a card stores (GP Amendment D 6.1): normally the KDF3 diversification of
/// the factory masters; tests may impose them (CardTestHooks::static_keys).
struct Scp03StaticKeys {
    std::uint8_t kvn = 0x30;
    SecureBytes enc, mac, dek;
};

/// Test-only settings that make a new card reproduce published vectors. docketcard-sim never sets
/// them. Each one applies only when a new card is made, except card_challenge and
/// any_security_level which apply for the life of the Card object.
struct CardTestHooks {
    std::optional<Bytes> serial;                  ///< 10 bytes instead of a random serial (KDD)
    std::optional<Scp03StaticKeys> static_keys;   ///< stored as is instead of diversified keys
    std::optional<std::uint32_t> sequence_counter;///< initial SCP03 sequence counter (< 0xFFFFFF)
    /// Card challenge returned by every INITIALIZE UPDATE instead of the pseudo-random one.
    std::optional<Bytes> card_challenge;
    /// Accept any EXTERNAL AUTHENTICATE security level (e.g. 11, C-MAC + R-MAC, of the
    /// Amendment D vector) instead of only 03, 13, 33.
    bool any_security_level = false;
    /// A failing memory cell: the byte at this (FID, offset) is stored inverted whenever an
    /// UPDATE BINARY writes it, as a worn EEPROM page would (the write still answers 9000).
    std::optional<std::pair<std::uint16_t, std::size_t>> bad_cell;
};

/// What happens to the command at the tear point (CardOptions::tear_after).
enum class TearMode {
    Applied,  ///< the N-th command is committed to persistent memory, its response is lost
    Lost,     ///< the N-th command leaves persistent memory untouched
};

/// How a card is opened.
struct CardOptions {
    FactoryKeys factory = FactoryKeys::sample();   ///< used only when a new blank card is made
    std::optional<std::uint64_t> random_seed;       ///< deterministic card randomness (tests only)
    /// Tear the card after this many command APDUs: the N-th command is either applied completely
    /// or not at all, then the card reports itself removed (process() throws CardTorn).
    std::optional<std::uint64_t> tear_after;
    TearMode tear_mode = TearMode::Applied;   ///< fate of the N-th command at the tear point
    CardTestHooks test;                        ///< test-only settings (see CardTestHooks)
};

/// Thrown by Card::process when the card has been torn out of the reader (tear_after reached).
struct CardTorn : std::runtime_error {
    CardTorn() : std::runtime_error("card torn from the reader") {}
};

/// One card. Not thread-safe; one Card object per card file at a time (the file is locked).
class Card {
public:
    /// Opens the card stored in `file` (with the commands its journal holds), creating a new blank
    /// card with a fresh random serial when the file does not exist. Throws
    /// docketcard::Error(InvalidInput) on a corrupt or foreign file and Error(Communication) when
    /// another process holds the card file. Destroying the Card compacts the journal into the file.
    static std::unique_ptr<Card> open(const std::filesystem::path& file, CardOptions options = {});
    /// A card that lives in memory only (unit tests).
    static std::unique_ptr<Card> in_memory(CardOptions options = {});
    virtual ~Card() = default;

    /// Answer to reset (ISO/IEC 7816-3), announcing T=1 and extended length support.
    virtual Bytes atr() const = 0;
    /// Power on/reset: clears every volatile session state.
    virtual void reset() = 0;
    /// Processes one command APDU, returns the response APDU (data || SW1 SW2). Throws CardTorn
    /// after the tear point.
    virtual Bytes process(ByteView command) = 0;
    /// The 10-byte card serial, upper-case hex.
    virtual std::string serial_hex() const = 0;
    /// Number of command APDUs processed since open().
    virtual std::uint64_t commands_processed() const = 0;
    /// Pages of `page_size` bytes of persistent memory the last command changed (the page writes
    /// of the link model, link_model.hpp); 0 when it changed nothing.
    virtual std::size_t pages_written_by_last_command(std::size_t page_size) const = 0;
    /// Test hook: the next random bytes the card draws (GET CHALLENGE's RND.IC, MUTUAL
    /// AUTHENTICATE's K.IC, ...) are taken from `bytes` first, in order, before the card's own
    /// random source (Doc 9303 Part 11 Appendix D replay).
    virtual void queue_random(ByteView bytes) = 0;
};

}  // namespace docketcard::applet
