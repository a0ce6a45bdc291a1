// GlobalPlatform SCP03 host side (Card Specification 2.3 Amendment D), as the docket applet's
// personalization side uses it (docs/card-protocol.md).
//
//   host                                           card
//   INITIALIZE UPDATE 80 50 KVN 00 08 hostchal 00 -->
//                 <-- KDD(10) KVN 03 i cardchal(8) cardcrypt(8) [seq(3)]
//   static keys = KDF3(master, KDD)  (skipped with open_with_static_keys)
//   S-ENC/S-MAC/S-RMAC = KDF(static, 04/06/07, hostchal||cardchal)      (6.2.1)
//   verify card cryptogram (KDF(S-MAC, 00)): on mismatch stop here, nothing counted
//   EXTERNAL AUTHENTICATE 84 82 SL 00 10 hostcrypt C-MAC -->             (7.1.2)
//                 <-- 9000 | 6300 (a failure the card counts; 5 block it for good)
//
//   each later command                           (6.2.4 C-MAC, 6.2.6 C-DECRYPTION)
//     counter += 1; data -> pad 80.. -> AES-CBC(S-ENC, IV = AES(S-ENC, counter))
//     C-MAC = CMAC(S-MAC, chain || 84 INS P1 P2 Lc' || data); chain = C-MAC; send first 8 bytes
//   each 9000 response                           (6.2.5 R-MAC, 6.2.7 R-ENCRYPTION)
//     check R-MAC = CMAC(S-RMAC, chain || data || 9000); decrypt with IV = AES(S-ENC, 80||counter)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/crypto/random.hpp"
#include "docketcard/transport/channel.hpp"

namespace docketcard::sm {

/// Security level bits of EXTERNAL AUTHENTICATE P1 (GP Amendment D 7.1.2.1 table 7-3).
namespace scp03_level {
inline constexpr std::uint8_t c_mac = 0x01;
inline constexpr std::uint8_t c_decryption = 0x02;
inline constexpr std::uint8_t r_mac = 0x10;
inline constexpr std::uint8_t r_encryption = 0x20;
/// C-MAC, C-DECRYPTION, R-MAC and R-ENCRYPTION: the default of docketcard.
inline constexpr std::uint8_t all = 0x33;
}  // namespace scp03_level

/// What the card told about itself in its INITIALIZE UPDATE response (GP Amendment D 7.1.1.4).
struct Scp03CardInfo {
    Bytes kdd;                                  ///< key diversification data (10 bytes): the card serial
    std::uint8_t kvn = 0;                       ///< key version number of the key set used
    std::uint8_t i = 0;                         ///< SCP03 "i" parameter (10 pseudo-random challenge, 20 R-MAC, 40 R-ENC)
    Bytes card_challenge;                       ///< 8 bytes
    std::optional<std::uint32_t> sequence_counter;  ///< present when i has bit 10
};

/// An open SCP03 secure channel, itself a transport::CardChannel: transmit() takes plain commands
/// (CLA 00 or 80), wraps them (CLA 84, C-MAC always, data encrypted when the level has
/// C-DECRYPTION) and unwraps the responses (R-MAC checked, data decrypted per the level).
/// Data longer than one wrapped command carries is sent as a chain (ISO/IEC 7816-4 5.1.1.1): each
/// block wrapped on its own, CLA 94 on all but the last (docs/card-protocol.md).
/// Error status words (anything but 9000) carry no R-MAC and are returned unchanged for the
/// caller to judge. The inner channel is not owned and must outlive the session.
class Scp03Session final : public transport::CardChannel {
public:
    /// Opens the channel with the issuer's master keys: INITIALIZE UPDATE with `master.kvn`, KDF3
    /// diversification with the card's KDD, card cryptogram check, EXTERNAL AUTHENTICATE at
    /// `security_level` (01, 03, 11, 13, 31 or 33). `host_challenge` is asked for 8 bytes once.
    ///
    /// Never retries. Throws CardError(CardRefused):
    ///  - when the card cryptogram does not verify (the card's keys are not these master keys);
    ///    EXTERNAL AUTHENTICATE is then not sent, so no failure is counted on the card;
    ///  - when EXTERNAL AUTHENTICATE answers 6300: the card counted a failed authentication
    ///    (5 consecutive ones block personalization for good);
    ///  - when INITIALIZE UPDATE is refused (6A88: no key set with this KVN).
    /// CardError(WrongCardState) when the card answers 6983 (personalization blocked) or does not
    /// support the requested level; ParseError on a malformed INITIALIZE UPDATE response.
    static Scp03Session open(transport::CardChannel& card, const Scp03Keys& master,
                             std::uint8_t security_level = scp03_level::all,
                             const crypto::RandomSource& host_challenge = crypto::system_random());

    /// As open(), with the master keys wherever they are kept (a PKCS#11 token: the card's static
    /// keys come out of master.card_keys(KDD) and are wiped when the channel is open).
    static Scp03Session open(transport::CardChannel& card, const Scp03MasterKeys& master,
                             std::uint8_t security_level = scp03_level::all,
                             const crypto::RandomSource& host_challenge = crypto::system_random());

    /// As open(), with the card's static keys given directly (already diversified, or a card
    /// without diversification such as the published GP test vectors).
    static Scp03Session open_with_static_keys(transport::CardChannel& card, const Scp03Keys& static_keys,
                                              std::uint8_t security_level = scp03_level::all,
                                              const crypto::RandomSource& host_challenge = crypto::system_random());

    Scp03Session(Scp03Session&&) noexcept = default;
    Scp03Session& operator=(Scp03Session&&) noexcept = default;

    /// Wraps, sends (chaining long data), unwraps. Throws CardError(CardRefused), and the session
    /// ends, when (GP Amendment D 6.2.5, 6.2.7):
    ///  - an R-MAC does not verify (the response was altered or is not from this card);
    ///  - a response with a valid R-MAC does not decrypt (malformed padding): the card's S-ENC
    ///    differs, i.e. the ENC master key (K-ENC) does not match when no encrypted exchange
    ///    succeeded before (K-ENC plays no part in opening the channel, so open() cannot see it);
    ///  - the card answers 6982 to the first command with encrypted data (it could not decrypt it);
    ///  - a 9000 response is too short for its R-MAC or its encrypted data is not whole AES blocks.
    /// Error(WrongCardState) once the session has ended.
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override;
    /// Plain sizes of one wrapped command / response (longer data is chained): short length
    /// unless use_extended_length() allowed more.
    transport::Capabilities capabilities() const override;

    /// Lets one wrapped command carry up to `card_max_command_data` bytes on the wire (and a
    /// response up to `card_max_response_data`), in extended-length APDUs (ISO/IEC 7816-4 5.1),
    /// when the inner channel supports extended length; the card's own limits come from its
    /// card info (docs/card-protocol.md, GET DATA tag 84). The C-MAC then covers the extended
    /// Lc field as sent (00 HH LL). Without extended length on the inner channel nothing changes.
    void use_extended_length(std::size_t card_max_command_data, std::size_t card_max_response_data);
    Bytes atr() const override;
    std::string description() const override;

    const Scp03CardInfo& card_info() const noexcept { return info_; }
    std::uint8_t security_level() const noexcept { return level_; }
    bool ended() const noexcept { return ended_; }

private:
    Scp03Session() = default;
    static Scp03Session open_impl(transport::CardChannel& card, const Scp03Keys* static_keys,
                                  const Scp03MasterKeys* master, std::uint8_t kvn,
                                  std::uint8_t security_level, const crypto::RandomSource& host_challenge);
    apdu::CommandApdu wrap(const apdu::CommandApdu& plain);
    apdu::ResponseApdu unwrap(const apdu::ResponseApdu& response);
    apdu::ResponseApdu exchange(const apdu::CommandApdu& block);
    std::size_t max_block_data() const noexcept;

    transport::CardChannel* inner_ = nullptr;
    Scp03CardInfo info_;
    std::uint8_t level_ = 0;
    SecureBytes s_enc_, s_mac_, s_rmac_;
    Bytes chain_;                 // MAC chaining value (16 bytes)
    std::uint64_t counter_ = 0;   // encryption counter of the last command
    bool ended_ = false;
    bool enc_confirmed_ = false;  // an encrypted command or response got through: S-ENC agrees
    std::size_t wire_command_max_ = 255;   // Lc' limit of one wrapped command
    std::size_t wire_response_max_ = 256;  // response data limit of one wrapped response
};

}  // namespace docketcard::sm
