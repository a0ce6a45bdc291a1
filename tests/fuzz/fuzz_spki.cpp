// libFuzzer target: the Active Authentication public key path (ICAO Doc 9303 Part 11 6.1: DG15
// holds the key as a DER SubjectPublicKeyInfo, RFC 5280 4.1.2.7; GENERATE AA KEY answers the
// uncompressed point under 7F49 86). Over the same arbitrary bytes: lds::decode_dg15 and, on what
// it returns, crypto::spki_to_point; spki_to_point and verify_sha256_plain (fixed message and
// signature) on the bytes as an SPKI; point_to_spki_p256 on the bytes as a point. Malformed input
// must end in ParseError (InvalidInput), never a crash or another error kind; an accepted point or
// key must convert back and forth to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

[[noreturn]] void fail(const char* why, ByteView input) {
    std::fprintf(stderr, "fuzz_spki: %s: %s\n", why, to_hex(input).c_str());
    std::abort();
}

template <typename F>
void guarded(ByteView input, F&& f) {
    try {
        f();
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::InvalidInput) {
            std::fprintf(stderr, "fuzz_spki: %s\n", e.what());
            fail("refused with an error kind other than InvalidInput", input);
        }
    }
}

void spki_checks(ByteView spki) {
    guarded(spki, [&] {
        const Bytes point = crypto::spki_to_point(spki);
        if (point.size() == 65 && point[0] == 0x04) {
            // A P-256 point rebuilds an SPKI whose point is the same; another curve's point of
            // the same size may be refused as not on P-256.
            Bytes again;
            try {
                again = crypto::spki_to_point(crypto::point_to_spki_p256(point));
            } catch (const ParseError&) {
                return;
            }
            if (again != point) fail("point -> SPKI -> point changed the point", spki);
        }
    });
    static const Bytes message(32, 0x5A);
    static const Bytes signature = [] {
        Bytes s(64, 0x00);
        s[31] = 0x01;
        s[63] = 0x01;
        return s;
    }();
    guarded(spki, [&] { (void)crypto::verify_sha256_plain(spki, message, signature); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(data, size);
    guarded(input, [&] {
        const Bytes spki = lds::decode_dg15(input);
        if (spki.size() > size) fail("DG15 content longer than the file", input);
        if (lds::decode_dg15(lds::encode_dg15(spki)) != spki) fail("DG15 does not round-trip", input);
        spki_checks(spki);
    });
    spki_checks(input);
    guarded(input, [&] {
        const Bytes spki = crypto::point_to_spki_p256(input);
        if (crypto::spki_to_point(spki) != Bytes(input.begin(), input.end())) fail("point does not round-trip", input);
    });
    return 0;
}
