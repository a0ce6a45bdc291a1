// The error vocabulary of docketcard. Every failure that reaches a user is a docketcard::Error
// carrying an ErrorKind; apps/main.cpp maps each kind to one documented exit code (docs/cli.md).
// Libraries throw; they never print or exit.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace docketcard {

enum class ErrorKind {
    Usage,                 ///< the command line is wrong (exit 2)
    InvalidInput,          ///< a record, key file or other input is malformed (exit 3)
    Communication,         ///< no reader, card removed, reader timeout, PC/SC failure (exit 4)
    CardRefused,           ///< the card refused a command or authentication failed (exit 5)
    VerificationFailed,    ///< a card was read but one or more checks failed (exit 6)
    WrongCardState,        ///< the card is locked/blocked/blank/foreign for this operation (exit 7)
    Journal,               ///< the batch journal is busy, locked by another batch or corrupt (exit 8)
    Internal,              ///< a bug or an unexpected library failure (exit 70)
};

/// Human name of a kind ("invalid input", ...).
const char* to_string(ErrorKind kind) noexcept;

/// Base of every docketcard exception. `what()` is a complete sentence for the operator.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

/// Malformed outside bytes (TLV, card responses, files): bounds-checked parsers throw this.
class ParseError : public Error {
public:
    explicit ParseError(const std::string& message) : Error(ErrorKind::InvalidInput, message) {}
};

/// The key source stopped answering: a PKCS#11 token was removed or failed (CKR_DEVICE_REMOVED,
/// CKR_TOKEN_NOT_PRESENT, a lost session...). A communication error (exit 4) for the card in
/// progress; a batch stops on it, because no further card can be signed or keyed until the token
/// is back (docs/keys.md).
class KeySourceError : public Error {
public:
    explicit KeySourceError(const std::string& message) : Error(ErrorKind::Communication, message) {}
};

/// A card answered with a status word the operation cannot accept.
class CardError : public Error {
public:
    CardError(ErrorKind kind, const std::string& message, std::uint16_t sw)
        : Error(kind, message), sw_(sw) {}
    std::uint16_t status_word() const noexcept { return sw_; }

private:
    std::uint16_t sw_;
};

}  // namespace docketcard
