// libFuzzer target: the emulated card's journal (docs/sim.md, "Card journal format"),
// applet::detail::replay_journal onto a fixed base image. Each input is replayed twice:
//   as is         (anything but a real journal for this base stops at the header)
//   re-sealed     the input taken as a sequence of record bodies (a 2-byte length each, then
//                 that many bytes or the rest), framed with a header for the base and each
//                 record's chained SHA-256 recomputed, so mutations reach the hunk parser
// Replay must never crash or throw (but for a journal of another format version, which ends in
// Error(InvalidInput) naming the journal); it must stop inside the input, keep the image under
// the card file limit, and what it applies must re-encode: journal_record(previous, image)
// replayed onto the base gives the same image.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "card_journal.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
namespace detail = docketcard::applet::detail;

namespace {

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_card_journal: %s\n", why);
    std::abort();
}

Bytes base_image() {
    Bytes b{'D', 'O', 'C', 'K', 'E', 'T', 'C', 'D', 0x00, 0x01, 0x00, 0x00, 0x00, 0x40};
    for (std::uint8_t i = 0; i < 0x40; ++i) b.push_back(i);
    append(b, crypto::sha256(b));
    return b;
}

void replay(ByteView base, ByteView journal) {
    detail::JournalReplay r;
    try {
        r = detail::replay_journal(base, journal, "fuzz.card.journal");
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::InvalidInput) fail("refused with an error kind other than InvalidInput");
        if (std::string(e.what()).find("fuzz.card.journal") == std::string::npos) fail("error does not name the journal");
        return;
    }
    if (r.image.size() > detail::kMaxCardImage) fail("image over the card file limit");
    if (r.valid_end > journal.size()) fail("valid end past the journal");
    if (!r.bound && (r.records != 0 || r.valid_end != 0)) fail("an unbound journal applied records");
    if (r.bound && r.valid_end < detail::kJournalHeader) fail("a bound journal ends inside its header");
    if (r.records == 0) {
        if (!std::equal(r.image.begin(), r.image.end(), base.begin(), base.end())) fail("no record but a changed image");
        return;
    }
    // The writer's encoding of the net change replays to the same image.
    Bytes chain = crypto::sha256(base);
    Bytes header = detail::journal_header(chain);
    Bytes next;
    const SecureBytes record = detail::journal_record(chain, base, view(r.image), next);
    append(header, view(record));
    const detail::JournalReplay again = detail::replay_journal(base, header, "re-encoded");
    if (again.records != 1 || again.valid_end != header.size()) fail("re-encoded record not applied");
    if (again.image != r.image) fail("re-encoded record gives another image");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Bytes base = base_image();
    const ByteView input(data, size);
    replay(base, input);

    Bytes chain = crypto::sha256(base);
    Bytes sealed = detail::journal_header(chain);
    std::size_t at = 0;
    while (at < size) {
        std::size_t n = size - at >= 2 ? (std::size_t{data[at]} << 8 | data[at + 1]) : 0;
        at += std::min<std::size_t>(2, size - at);
        n = std::min(n, size - at);
        Bytes framed;
        for (int shift = 24; shift >= 0; shift -= 8) framed.push_back(static_cast<std::uint8_t>(n >> shift));
        append(framed, input.subspan(at, n));
        Bytes covered = chain;
        append(covered, framed);
        chain = crypto::sha256(covered);
        append(sealed, framed);
        append(sealed, chain);
        at += n;
    }
    replay(base, sealed);
    return 0;
}
