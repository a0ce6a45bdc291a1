#include "docketcard/sm/bac.hpp"

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

using apdu::CommandApdu;

namespace {

constexpr const char* kMrzMismatch =
    "BAC failed: the MRZ data (document number, date of birth, date of expiry) does not match the card";

// Wipes a plain buffer that held secret material before it is released.
struct WipeOnExit {
    Bytes& b;
    ~WipeOnExit() { secure_wipe(b.data(), b.size()); }
};

}  // namespace

BacKeys BacKeys::from_mrz_information(std::string_view mrz_information) {
    if (mrz_information.size() < 24) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("BAC: the MRZ information has {} characters; document number, date of birth and "
                                "date of expiry with their check digits make at least 24",
                                mrz_information.size()));
    }
    for (char c : mrz_information) {
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '<')) {
            throw Error(ErrorKind::InvalidInput,
                        "BAC: the MRZ information may only hold the characters 0-9, A-Z and <");
        }
    }
    const SecureBytes seed = crypto::bac_seed(mrz_information);
    return BacKeys{crypto::icao_kdf_3des(view(seed), 1), crypto::icao_kdf_3des(view(seed), 2)};
}

BacSession perform_bac(transport::CardChannel& card, const BacKeys& keys, const crypto::RandomSource& random) {
    const auto challenge = card.transmit(CommandApdu::get_challenge(8));
    if (!challenge.ok()) {
        const bool no_secret = challenge.sw == apdu::sw::conditions_not_satisfied;
        throw CardError(no_secret ? ErrorKind::WrongCardState : ErrorKind::CardRefused,
                        fmt::format("BAC: GET CHALLENGE refused with {}{}", challenge.sw.describe(),
                                    no_secret ? "; the card has no BAC secret (not personalized?)"
                                    : challenge.sw == apdu::sw::security_status_not_satisfied
                                        ? "; the card refuses BAC: it takes PACE only"
                                        : ""),
                        challenge.sw.value());
    }
    if (challenge.data.size() != 8) {
        throw ParseError(fmt::format("BAC: GET CHALLENGE returned {} bytes, RND.IC has 8", challenge.data.size()));
    }
    const Bytes& rnd_ic = challenge.data;

    Bytes rnd_ifd(8);
    SecureBytes k_ifd(16);
    random(rnd_ifd);
    random(std::span<std::uint8_t>(k_ifd.data(), k_ifd.size()));

    SecureBytes s;
    append(s, rnd_ifd);
    append(s, rnd_ic);
    append(s, view(k_ifd));
    const Bytes e_ifd = crypto::des3_cbc_encrypt(view(keys.k_enc), Bytes(8, 0), view(s));
    const Bytes m_ifd = crypto::retail_mac(view(keys.k_mac), crypto::pad_m2(e_ifd, 8));

    const auto answer = card.transmit(CommandApdu(0x00, 0x82, 0x00, 0x00, concat({e_ifd, m_ifd}), 40));
    if (!answer.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("{} (MUTUAL AUTHENTICATE answered {})", kMrzMismatch, answer.sw.describe()),
                        answer.sw.value());
    }
    if (answer.data.size() != 40) {
        throw ParseError(fmt::format("BAC: MUTUAL AUTHENTICATE returned {} bytes, E.IC || M.IC has 40",
                                     answer.data.size()));
    }
    const ByteView e_ic = ByteView(answer.data).subspan(0, 32);
    const ByteView m_ic = ByteView(answer.data).subspan(32, 8);
    if (!equal_ct(crypto::retail_mac(view(keys.k_mac), crypto::pad_m2(e_ic, 8)), m_ic)) {
        throw CardError(ErrorKind::CardRefused,
                        "BAC failed: the card's answer to MUTUAL AUTHENTICATE does not verify (M.IC); the card "
                        "may not be genuine",
                        answer.sw.value());
    }
    Bytes r = crypto::des3_cbc_decrypt(view(keys.k_enc), Bytes(8, 0), e_ic);
    WipeOnExit wipe_r{r};
    const ByteView rv(r);
    if (!equal_ct(rv.subspan(0, 8), rnd_ic) || !equal_ct(rv.subspan(8, 8), rnd_ifd)) {
        throw CardError(ErrorKind::CardRefused,
                        "BAC failed: the card's answer to MUTUAL AUTHENTICATE does not carry our challenges "
                        "(RND.IC, RND.IFD); the card may not be genuine",
                        answer.sw.value());
    }

    SecureBytes seed(16);
    for (std::size_t i = 0; i < 16; ++i) seed[i] = static_cast<std::uint8_t>(k_ifd[i] ^ rv[16 + i]);
    BacSession session;
    session.ks_enc = crypto::icao_kdf_3des(view(seed), 1);
    session.ks_mac = crypto::icao_kdf_3des(view(seed), 2);
    session.ssc = concat({ByteView(rnd_ic).subspan(4, 4), ByteView(rnd_ifd).subspan(4, 4)});
    return session;
}

SecureChannel open_bac_channel(transport::CardChannel& card, BacSession session) {
    auto cipher = std::make_unique<Des3SmCipher>(std::move(session.ks_enc), std::move(session.ks_mac));
    return SecureChannel(card, SecureMessaging(std::move(cipher), std::move(session.ssc)));
}

SecureChannel establish_bac(transport::CardChannel& card, std::string_view mrz_information,
                            const crypto::RandomSource& random) {
    const BacKeys keys = BacKeys::from_mrz_information(mrz_information);
    return open_bac_channel(card, perform_bac(card, keys, random));
}

}  // namespace docketcard::sm
