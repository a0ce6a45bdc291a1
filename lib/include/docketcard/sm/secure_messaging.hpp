// ICAO Doc 9303 Part 11 9.8 secure messaging (the ISO/IEC 7816-4 clause 10 profile used after BAC),
// split in the two halves OpenSC's sm-iso uses: the cipher (SmCipher: 3DES today, room for AES)
// and the generic wrap/unwrap logic (SecureMessaging). SecureChannel puts both behind the
// transport::CardChannel interface so higher layers send plain APDUs.
//
//   command  CLA INS P1 P2 [data] [Le]
//              |  SSC += 1
//              |  data -> pad -> SmCipher::encrypt -> DO87 = 87 L 01 || cryptogram   (even INS)
//              |                                      DO85 = 85 L cryptogram        (odd INS)
//              |  Le   -> DO97 = 97 01 Le  (97 02 HH LL when Le > 256)
//              |  DO8E = 8E 08 SmCipher::mac(pad(SSC || pad(CLA|0C INS P1 P2) || DO87 || DO97))
//              v
//            CLA|0C INS P1 P2 Lc DO87 DO97 DO8E 00        (Le 0000 when extended length)
//
//   response [DO87|DO85] DO99 DO8E SW
//              |  SSC += 1
//              |  check DO8E = mac(pad(SSC || DO87 || DO99)), then DO99 = SW
//              |  DO87 -> SmCipher::decrypt -> unpad
//              v
//            data SW (from DO99)
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::sm {

/// The cipher half of secure messaging: encryption of padded data and the 8-byte MAC of padded
/// input. The SSC is passed in for ciphers whose IV depends on it (AES, Part 11 9.8.6.2).
class SmCipher {
public:
    virtual ~SmCipher() = default;
    /// Cipher block size: 8 for 3DES, 16 for AES. Padding (ISO/IEC 9797-1 method 2) uses it.
    virtual std::size_t block_size() const noexcept = 0;
    /// Size of the send sequence counter: 8 for 3DES, 16 for AES.
    virtual std::size_t ssc_size() const noexcept = 0;
    /// Encrypts data already padded to block_size().
    virtual Bytes encrypt(ByteView ssc, ByteView padded) const = 0;
    /// Decrypts a cryptogram (a multiple of block_size()); the result is still padded.
    virtual Bytes decrypt(ByteView ssc, ByteView cryptogram) const = 0;
    /// The 8-byte cryptographic checksum of input already padded to block_size().
    virtual Bytes mac(ByteView padded) const = 0;
};

/// Two-key 3DES secure messaging after BAC (Doc 9303 Part 11 9.8.6.1): 3DES-CBC with an IV of
/// zero, ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC"), 8-byte SSC.
class Des3SmCipher final : public SmCipher {
public:
    /// Session keys KSenc and KSmac (16 bytes each, Part 11 9.7.1).
    Des3SmCipher(SecureBytes ks_enc, SecureBytes ks_mac);
    std::size_t block_size() const noexcept override { return 8; }
    std::size_t ssc_size() const noexcept override { return 8; }
    Bytes encrypt(ByteView ssc, ByteView padded) const override;
    Bytes decrypt(ByteView ssc, ByteView cryptogram) const override;
    Bytes mac(ByteView padded) const override;

private:
    SecureBytes ks_enc_;
    SecureBytes ks_mac_;
};

/// AES secure messaging after PACE or Chip Authentication (Doc 9303 Part 11 9.8.6.2): AES-CBC
/// with IV = E(KSenc, SSC), AES-CMAC truncated to 8 bytes, 16-byte SSC (zero after PACE, 9.8.2).
class AesSmCipher final : public SmCipher {
public:
    /// Session keys KSenc and KSmac of 16, 24 or 32 bytes (Part 11 9.7.1).
    AesSmCipher(SecureBytes ks_enc, SecureBytes ks_mac);
    std::size_t block_size() const noexcept override { return 16; }
    std::size_t ssc_size() const noexcept override { return 16; }
    Bytes encrypt(ByteView ssc, ByteView padded) const override;
    Bytes decrypt(ByteView ssc, ByteView cryptogram) const override;
    Bytes mac(ByteView padded) const override;

private:
    SecureBytes ks_enc_;
    SecureBytes ks_mac_;
};

/// The generic wrap/unwrap logic of Doc 9303 Part 11 9.8.4-9.8.5 over any SmCipher, with its send
/// sequence counter. After a response that does not verify the object is "ended": protect()
/// throws Error(WrongCardState), since card and terminal no longer agree on the SSC.
class SecureMessaging {
public:
    /// `ssc`: the initial send sequence counter (Part 11 9.8.2), ssc_size() bytes.
    SecureMessaging(std::unique_ptr<SmCipher> cipher, Bytes ssc);

    /// Protects a plain command (Part 11 9.8.4): increments the SSC, builds DO87/DO85 (data),
    /// DO97 (Le) and DO8E (MAC), CLA | 0C, Le 00 (or 0000 when extended length is needed).
    apdu::CommandApdu protect(const apdu::CommandApdu& plain);

    /// Unprotects the answer to the last protected command (Part 11 9.8.5): increments the SSC,
    /// verifies DO8E over DO87/DO85 || DO99, takes the status word from DO99 and decrypts the data.
    /// A plain error status word without data objects is returned as it is, except 6987/6988
    /// (the card rejected our secure messaging), which end the session.
    /// Throws CardError(CardRefused) on a bad MAC or a status word the MAC does not cover, and
    /// ParseError on missing, repeated or malformed data objects; both end the session.
    apdu::ResponseApdu unprotect(const apdu::ResponseApdu& response);

    /// The current send sequence counter.
    ByteView ssc() const noexcept { return ssc_; }
    const SmCipher& cipher() const noexcept { return *cipher_; }
    bool ended() const noexcept { return ended_; }

    /// Largest plain data field whose protected form fits a `limit`-byte response data field
    /// (DO87 of a padded cryptogram + DO99 + DO8E).
    std::size_t max_plain_response(std::size_t limit) const noexcept;
    /// Largest plain command data field whose protected form (with DO97) fits `limit` bytes.
    std::size_t max_plain_command(std::size_t limit) const noexcept;

private:
    void increment_ssc() noexcept;
    [[noreturn]] void fail_parse(const std::string& message);

    std::unique_ptr<SmCipher> cipher_;
    Bytes ssc_;
    bool ended_ = false;
};

/// A transport::CardChannel that protects every command and unprotects every response with
/// Doc 9303 Part 11 9.8 secure messaging over an inner channel (not owned: it must outlive this).
/// Obtained from establish_bac() (bac.hpp); higher layers transmit plain APDUs through it.
class SecureChannel final : public transport::CardChannel {
public:
    SecureChannel(transport::CardChannel& inner, SecureMessaging messaging);

    /// Protects, sends, unprotects (see SecureMessaging). Throws Error(WrongCardState) once the
    /// session has ended, and Error(InvalidInput) for a command too long for the inner channel.
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override;
    /// The inner channel's capabilities minus the secure messaging overhead (plain sizes).
    transport::Capabilities capabilities() const override;
    Bytes atr() const override;
    std::string description() const override;

    SecureMessaging& messaging() noexcept { return sm_; }
    const SecureMessaging& messaging() const noexcept { return sm_; }

private:
    transport::CardChannel* inner_;
    SecureMessaging sm_;
};

}  // namespace docketcard::sm
