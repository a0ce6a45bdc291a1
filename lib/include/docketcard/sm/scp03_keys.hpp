// SCP03 key sets (GlobalPlatform Card Specification 2.3 Amendment D): the issuer's master keys as
// kept in a keys folder, and their per-card diversification (docs/card-protocol.md: each card
// stores only keys diversified with KDF3 and its serial as key diversification data).
//
// Key material lives in SecureBytes (wiped when released) and is never put into a message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "docketcard/util/bytes.hpp"

namespace docketcard::sm {

/// One SCP03 key set: key version number and the three AES keys (16, 24 or 32 bytes each, all the
/// same length), GP Amendment D 4.1.1 (K-ENC, K-MAC, K-DEK).
struct Scp03Keys {
    std::uint8_t kvn = 0;
    SecureBytes enc;
    SecureBytes mac;
    SecureBytes dek;
};

/// The issuer's SCP03 master keys, wherever they are kept: in memory from scp03-master.txt
/// (FileMasterKeys) or in a PKCS#11 token (keys::, KDF3 by C_Sign with CKM_AES_CMAC), so that
/// master keys in a token never reach the host. Only one card's static keys come out.
class Scp03MasterKeys {
public:
    virtual ~Scp03MasterKeys() = default;
    /// Key version number of the set (01..7F).
    virtual std::uint8_t kvn() const = 0;
    /// The static keys of the card with key diversification data `kdd` (diversify_scp03_keys).
    /// Throws Error (Communication when a token went away).
    virtual Scp03Keys card_keys(ByteView kdd) const = 0;
};

/// Master keys held in memory (wiped with this object).
class FileMasterKeys final : public Scp03MasterKeys {
public:
    explicit FileMasterKeys(Scp03Keys keys) : keys_(std::move(keys)) {}
    std::uint8_t kvn() const override { return keys_.kvn; }
    Scp03Keys card_keys(ByteView kdd) const override;
    const Scp03Keys& keys() const noexcept { return keys_; }

private:
    Scp03Keys keys_;
};

/// Name of the master key file inside a keys folder.
inline constexpr const char* kScp03MasterFile = "scp03-master.txt";

/// Parses the text of a master key file. Format, one `field=value` per line:
///
///     # comment
///     kvn=30          (key version number, two hex digits, 01..7F)
///     enc=<hex>       (AES-128/192/256 key)
///     mac=<hex>
///     dek=<hex>
///
/// Blank lines and `#` comments are ignored, spaces around `=` allowed. Throws
/// Error(InvalidInput) naming `origin`, the line and the field (never a key value) for an unknown,
/// repeated or missing field, bad hex, a wrong key length, or keys of different lengths.
Scp03Keys parse_scp03_master_keys(std::string_view text, const std::string& origin);

/// Reads `<keys_dir>/scp03-master.txt` (see parse_scp03_master_keys). The file content is held in
/// wiping storage only. Throws Error(InvalidInput) when the file cannot be read.
Scp03Keys load_scp03_master_keys(const std::filesystem::path& keys_dir);

/// The static keys of one card: KDF3 diversification (crypto::diversify_kdf3) of each master key
/// with the card's key diversification data `kdd` (its 10-byte serial, from INITIALIZE UPDATE)
/// and key ids 1 (ENC), 2 (MAC), 3 (DEK). The KVN is kept.
Scp03Keys diversify_scp03_keys(const Scp03Keys& master, ByteView kdd);

}  // namespace docketcard::sm
