// libFuzzer target: the emulated card's persistent-state file (docs/sim.md, "Card file format"),
// applet::detail::deserialize. Each input is parsed twice:
//   as is         (a real card file reaches the payload; anything else stops at the header or the
//                  SHA-256 checksum)
//   re-sealed     the header's length and the checksum recomputed, so mutations reach the TLV
//                  payload: an input that starts with the magic keeps its 10-byte magic and version
//                  and its payload (the declared length when it fits, else the rest); any other
//                  input becomes the whole payload of a version 1 file
// Corrupt input must end in docketcard::Error(InvalidInput), never a crash or another exception.
// What is accepted must keep the documented limits and round-trip: serialize(deserialize(x)) is
// accepted again and serializes to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "state.hpp"

using namespace docketcard;
namespace detail = docketcard::applet::detail;

namespace {

constexpr std::uint8_t kMagic[] = {'D', 'O', 'C', 'K', 'E', 'T', 'C', 'D'};
constexpr std::size_t kHeader = 14;

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_card_file: %s\n", why);
    std::abort();
}

bool key_length(std::size_t n) { return n == 16 || n == 24 || n == 32; }

void check_accepted(ByteView image, const detail::PersistentState& s) {
    if (s.serial.size() != 10) fail("accepted a serial that is not 10 bytes");
    if (!key_length(s.k_enc.size()) || s.k_mac.size() != s.k_enc.size() || s.k_dek.size() != s.k_enc.size())
        fail("accepted static keys that are not three AES keys of one length");
    if (!s.bac_seed.empty() && s.bac_seed.size() != 16) fail("accepted a BAC seed that is not 16 bytes");
    if (!s.aa_scalar.empty() && s.aa_scalar.size() != 32) fail("accepted an AA key that is not 32 bytes");
    if (s.sequence_counter > 0xFFFFFF) fail("sequence counter over 3 bytes");
    if (s.used_bytes() > detail::kStorageBudget) fail("accepted files over the storage budget");
    for (const auto& [fid, f] : s.files) {
        if (f.content.empty() || f.content.size() > detail::kMaxFileSize) fail("accepted a file size out of range");
        std::size_t prev_end = 0;
        bool first = true;
        for (const auto& [b, e] : f.written) {
            if (b >= e || e > f.content.size()) fail("written range outside its file");
            if (!first && b <= prev_end) fail("written ranges not sorted and merged");
            prev_end = e;
            first = false;
        }
    }
    // Each payload field but E1 at most once (docs/sim.md).
    try {
        const std::size_t len = image.size() - kHeader - 32;
        tlv::Reader r(image.subspan(kHeader, len), "payload");
        int seen[256] = {};
        while (!r.empty()) {
            const tlv::Object o = r.next();
            if (o.tag != 0xE1 && o.tag < 256 && ++seen[o.tag] > 1) fail("accepted a repeated field");
        }
    } catch (const Error&) {
        fail("accepted a payload that is not BER-TLV");
    }

    const SecureBytes once = detail::serialize(s);
    detail::PersistentState again;
    try {
        again = detail::deserialize(view(once), "re-serialized");
    } catch (const Error& e) {
        std::fprintf(stderr, "re-serialized state refused: %s\n", e.what());
        fail("round trip refused");
    }
    const SecureBytes twice = detail::serialize(again);
    if (once.size() != twice.size() || !std::equal(once.begin(), once.end(), twice.begin()))
        fail("round trip changed the state");
}

void parse(ByteView image) {
    detail::PersistentState s;
    try {
        s = detail::deserialize(image, "fuzz.card");
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::InvalidInput) fail("refused with an error kind other than InvalidInput");
        if (std::string(e.what()).find("fuzz.card") == std::string::npos) fail("error does not name the file");
        return;
    }
    check_accepted(image, s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(data, size);
    parse(input);

    Bytes sealed;
    ByteView payload = input;
    if (size >= kHeader && std::equal(std::begin(kMagic), std::end(kMagic), data)) {
        sealed.assign(data, data + 10);
        const std::size_t declared = std::size_t{data[10]} << 24 | std::size_t{data[11]} << 16 |
                                     std::size_t{data[12]} << 8 | data[13];
        payload = input.subspan(kHeader, std::min(declared, size - kHeader));
    } else {
        sealed.assign(std::begin(kMagic), std::end(kMagic));
        sealed.push_back(0x00);
        sealed.push_back(0x01);
    }
    const auto n = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) sealed.push_back(static_cast<std::uint8_t>(n >> shift));
    append(sealed, payload);
    append(sealed, crypto::sha256(sealed));
    parse(sealed);
    return 0;
}
