// The one place where PC/SC (pcsc-lite, PC/SC Workgroup specification part 5) return codes become
// docketcard errors. Every SCard* call in the transport goes through check_pcsc().
#pragma once

#include <string>
#include <string_view>

#include "docketcard/util/error.hpp"

namespace docketcard::transport {

/// What the PC/SC specification (part 5, "SCARD_*" return codes) says about one return code.
struct PcscCodeInfo {
    const char* name;      ///< "SCARD_W_REMOVED_CARD", or "unknown PC/SC code" when not in the table
    const char* meaning;   ///< "the card was removed from the reader"
    const char* advice;    ///< what the operator can do; may be empty
    ErrorKind kind;        ///< the error kind the CLI maps to an exit code
};

/// Looks `code` (a PC/SC LONG return code) up in the one table.
PcscCodeInfo pcsc_code_info(long code) noexcept;

/// The error for a failed PC/SC call: "<operation> failed: <NAME> (<meaning>). <advice>", with the
/// kind from the table (Communication for reader, card and service failures; Internal for misuse
/// of the API). `operation` names what was being done ("connecting to reader 'X'").
Error pcsc_error(std::string_view operation, long code);

/// Throws pcsc_error(operation, code) unless `code` is SCARD_S_SUCCESS.
void check_pcsc(std::string_view operation, long code);

}  // namespace docketcard::transport
