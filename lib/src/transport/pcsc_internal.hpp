// Private to lib/src/transport: the PC/SC reader behind open_reader().
#pragma once

#include <memory>
#include <string>

#include "docketcard/transport/reader.hpp"

namespace docketcard::transport::detail {

/// Connects to pcscd and selects the reader for `choice` (select_reader rules).
std::unique_ptr<Reader> open_pcsc_reader(const std::string& choice);

}  // namespace docketcard::transport::detail
