// The card's random source: OpenSSL's CSPRNG, or a deterministic generator from a seed (tests),
// with a queue of exact bytes served first (Doc 9303 Part 11 Appendix D replay).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "docketcard/util/bytes.hpp"

namespace docketcard::applet::detail {

/// Random bytes for the card. With a seed, block i of the output is SHA-256(seed (8 bytes BE) ||
/// i (8 bytes BE)), i from 0: reproducible, for tests only.
class CardRandom {
public:
    explicit CardRandom(std::optional<std::uint64_t> seed) : seed_(seed) {}
    /// `n` bytes: first from the queue, then from the generator.
    SecureBytes bytes(std::size_t n);
    /// Queues exact bytes to be returned before any generated ones.
    void queue(ByteView b) { queued_.insert(queued_.end(), b.begin(), b.end()); }

private:
    std::optional<std::uint64_t> seed_;
    std::uint64_t block_ = 0;
    SecureBytes pool_;
    std::deque<std::uint8_t> queued_;
};

}  // namespace docketcard::applet::detail
