#include "docketcard/auth/active_auth.hpp"

#include <fmt/core.h>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::auth {

ActiveAuthResult verify_active_authentication(transport::CardChannel& sm, ByteView dg15, ByteView challenge) {
    if (challenge.size() != 8) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("Active Authentication: challenge of {} bytes, 8 expected", challenge.size()));
    }
    ByteView spki = dg15;
    if (!dg15.empty() && dg15[0] == 0x6F) spki = tlv::parse_single(dg15, "DG15").value;
    const Bytes point = crypto::spki_to_point(spki);  // ParseError unless a P-256 key
    const std::size_t signature_size = point.size() - 1;

    const auto answer = sm.transmit(apdu::CommandApdu(0x00, 0x88, 0x00, 0x00, Bytes(challenge.begin(), challenge.end()), 256));
    if (!answer.ok()) {
        throw CardError(ErrorKind::CardRefused,
                        fmt::format("Active Authentication: INTERNAL AUTHENTICATE refused with {}", answer.sw.describe()),
                        answer.sw.value());
    }
    ActiveAuthResult result;
    result.challenge.assign(challenge.begin(), challenge.end());
    result.signature = answer.data;
    if (answer.data.size() != signature_size) {
        result.detail = fmt::format("the chip answered {} bytes; a plain ECDSA P-256 signature has {}",
                                    answer.data.size(), signature_size);
        return result;
    }
    result.valid = crypto::verify_sha256_plain(spki, challenge, answer.data);
    result.detail = result.valid ? "the chip's signature of the challenge verifies with the DG15 public key"
                                 : "the chip's signature of the challenge does not verify with the DG15 public key";
    return result;
}

ActiveAuthResult verify_active_authentication(transport::CardChannel& sm, ByteView dg15, const crypto::RandomSource& random) {
    Bytes challenge(8);
    random(challenge);
    return verify_active_authentication(sm, dg15, challenge);
}

}  // namespace docketcard::auth
