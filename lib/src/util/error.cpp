#include "docketcard/util/error.hpp"

namespace docketcard {

const char* to_string(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Usage: return "usage";
        case ErrorKind::InvalidInput: return "invalid input";
        case ErrorKind::Communication: return "communication";
        case ErrorKind::CardRefused: return "card refused";
        case ErrorKind::VerificationFailed: return "verification failed";
        case ErrorKind::WrongCardState: return "wrong card state";
        case ErrorKind::Journal: return "journal";
        case ErrorKind::Internal: return "internal";
    }
    return "internal";
}

}  // namespace docketcard
