#include "docketcard/crypto/random.hpp"

#include <algorithm>
#include <memory>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::crypto {

RandomSource system_random() {
    return [](std::span<std::uint8_t> out) { crypto::random_bytes(out); };
}

RandomSource sequence_random(Bytes bytes) {
    struct State {
        Bytes data;
        std::size_t at = 0;
    };
    auto state = std::make_shared<State>(State{std::move(bytes), 0});
    return [state](std::span<std::uint8_t> out) {
        if (state->data.size() - state->at < out.size()) {
            throw Error(ErrorKind::Internal, "sequence_random: the test random source ran out of bytes");
        }
        std::copy_n(state->data.begin() + static_cast<std::ptrdiff_t>(state->at), out.size(), out.begin());
        state->at += out.size();
    };
}

}  // namespace docketcard::crypto
