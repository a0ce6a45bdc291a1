// Injectable randomness for the terminal side of the protocols: BAC's RND.IFD and K.IFD
// (ICAO Doc 9303 Part 11 9.7.4), the SCP03 host challenge (GP Amendment D 7.1.1) and the Active
// Authentication challenge (Part 11 6.1). Production code uses system_random(); tests inject
// fixed bytes to reproduce the published worked examples.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "docketcard/util/bytes.hpp"

namespace docketcard::crypto {

/// Fills the given buffer with random bytes. Called once per value, in protocol order.
using RandomSource = std::function<void(std::span<std::uint8_t>)>;

/// OpenSSL's CSPRNG (RAND_bytes).
RandomSource system_random();

/// Deterministic source for tests and vectors only: hands out `bytes` in order and throws
/// Error(Internal) when asked for more than it holds.
RandomSource sequence_random(Bytes bytes);

}  // namespace docketcard::crypto
