#include "docketcard/crypto/kdf.hpp"

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::crypto {

SecureBytes bac_seed(std::string_view mrz_information) {
    Bytes h = sha1(ByteView(reinterpret_cast<const std::uint8_t*>(mrz_information.data()), mrz_information.size()));
    SecureBytes seed(h.begin(), h.begin() + 16);
    secure_wipe(h.data(), h.size());
    return seed;
}

SecureBytes icao_kdf_3des(ByteView seed, std::uint32_t counter) {
    SecureBytes input(seed.begin(), seed.end());
    for (int shift = 24; shift >= 0; shift -= 8) input.push_back(static_cast<std::uint8_t>(counter >> shift));
    Bytes h = sha1(view(input));
    SecureBytes key(h.begin(), h.begin() + 16);
    secure_wipe(h.data(), h.size());
    set_des_parity(std::span<std::uint8_t>(key.data(), key.size()));
    return key;
}

SecureBytes scp03_kdf(ByteView key, std::uint8_t constant, std::uint16_t length_bits, ByteView context) {
    if (length_bits % 8 != 0 || length_bits == 0) throw Error(ErrorKind::Internal, "SCP03 KDF length must be whole bytes");
    const std::size_t want = length_bits / 8;
    SecureBytes out;
    for (std::uint8_t i = 1; out.size() < want; ++i) {
        Bytes block(11, 0x00);
        block.push_back(constant);
        block.push_back(0x00);
        put_u16(block, length_bits);
        block.push_back(i);
        append(block, context);
        Bytes mac = aes_cmac(key, block);
        out.insert(out.end(), mac.begin(), mac.end());
        secure_wipe(mac.data(), mac.size());
    }
    out.resize(want);
    return out;
}

SecureBytes diversify_kdf3(ByteView master, std::uint8_t key_id, ByteView kdd) {
    if (master.size() != 16 && master.size() != 24 && master.size() != 32) {
        throw Error(ErrorKind::InvalidInput, fmt::format("SCP03 master key of {} bytes (expected 16, 24 or 32)", master.size()));
    }
    SecureBytes out;
    for (std::uint8_t i = 1; out.size() < master.size(); ++i) {
        Bytes input{i, 0x00, 0x00, 0x00, key_id, 0x00};
        append(input, kdd);
        Bytes mac = aes_cmac(master, input);
        out.insert(out.end(), mac.begin(), mac.end());
        secure_wipe(mac.data(), mac.size());
    }
    out.resize(master.size());
    return out;
}

}  // namespace docketcard::crypto
