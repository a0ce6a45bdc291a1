#include "card_random.hpp"

#include "docketcard/crypto/crypto.hpp"

namespace docketcard::applet::detail {

SecureBytes CardRandom::bytes(std::size_t n) {
    SecureBytes out;
    out.reserve(n);
    while (out.size() < n && !queued_.empty()) {
        out.push_back(queued_.front());
        queued_.pop_front();
    }
    if (out.size() == n) return out;
    if (!seed_) {
        const std::size_t at = out.size();
        out.resize(n);
        crypto::random_bytes(std::span<std::uint8_t>(out.data() + at, n - at));
        return out;
    }
    while (out.size() < n) {
        if (pool_.empty()) {
            Bytes input;
            for (int shift = 56; shift >= 0; shift -= 8) input.push_back(static_cast<std::uint8_t>(*seed_ >> shift));
            for (int shift = 56; shift >= 0; shift -= 8) input.push_back(static_cast<std::uint8_t>(block_ >> shift));
            ++block_;
            const Bytes h = crypto::sha256(input);
            pool_.assign(h.begin(), h.end());
        }
        out.push_back(pool_.front());
        pool_.erase(pool_.begin());
    }
    return out;
}

}  // namespace docketcard::applet::detail
