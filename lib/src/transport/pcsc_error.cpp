#include "docketcard/transport/pcsc_error.hpp"

#include <array>

#include <PCSC/pcsclite.h>
#include <PCSC/winscard.h>
#include <fmt/core.h>

namespace docketcard::transport {

namespace {

struct Entry {
    long code;
    PcscCodeInfo info;
};

constexpr ErrorKind comm = ErrorKind::Communication;
constexpr ErrorKind internal = ErrorKind::Internal;

const char* const restart_service =
    "Start the PC/SC service with `pcscd` (or `systemctl start pcscd.socket`); a sim:PATH reader "
    "needs no service.";
const char* const reinsert = "Put the card back on the reader and run the command again.";
const char* const check_reader = "Check that the reader is plugged in, then run `docketcard readers`.";

// PC/SC Workgroup specification part 5 return codes as pcsc-lite defines them.
const std::array<Entry, 40> table{{
    {SCARD_F_INTERNAL_ERROR, {"SCARD_F_INTERNAL_ERROR", "an internal consistency check of the PC/SC service failed",
                              "Restart pcscd and retry.", comm}},
    {SCARD_E_CANCELLED, {"SCARD_E_CANCELLED", "the wait was cancelled", "", comm}},
    {SCARD_E_INVALID_HANDLE, {"SCARD_E_INVALID_HANDLE", "the PC/SC handle is not valid (the service may have restarted)",
                              "Run the command again.", comm}},
    {SCARD_E_INVALID_PARAMETER, {"SCARD_E_INVALID_PARAMETER", "a parameter of the PC/SC call is invalid",
                                 "This is a docketcard bug; please report it.", internal}},
    {SCARD_E_INVALID_TARGET, {"SCARD_E_INVALID_TARGET", "registry startup information is missing or invalid",
                              "Check the pcscd configuration.", comm}},
    {SCARD_E_NO_MEMORY, {"SCARD_E_NO_MEMORY", "the PC/SC service is out of memory", "Restart pcscd and retry.", comm}},
    {SCARD_F_WAITED_TOO_LONG, {"SCARD_F_WAITED_TOO_LONG", "an internal PC/SC timer expired", "Retry.", comm}},
    {SCARD_E_INSUFFICIENT_BUFFER, {"SCARD_E_INSUFFICIENT_BUFFER", "the receive buffer was too small",
                                   "This is a docketcard bug; please report it.", internal}},
    {SCARD_E_UNKNOWN_READER, {"SCARD_E_UNKNOWN_READER", "the reader name is not known to the PC/SC service",
                              check_reader, comm}},
    {SCARD_E_TIMEOUT, {"SCARD_E_TIMEOUT", "the time allowed for the operation ran out",
                       "Put the card on the reader within the time allowed, or give a longer --timeout.", comm}},
    {SCARD_E_SHARING_VIOLATION, {"SCARD_E_SHARING_VIOLATION",
                                 "another program is using the reader or the card",
                                 "Close the other program (pcsc_scan, a browser, a middleware, another "
                                 "docketcard) and run the command again.", comm}},
    {SCARD_E_NO_SMARTCARD, {"SCARD_E_NO_SMARTCARD", "there is no card in the reader",
                            "Put a card on the reader and run the command again.", comm}},
    {SCARD_E_UNKNOWN_CARD, {"SCARD_E_UNKNOWN_CARD", "the card is not known to the PC/SC service", "", comm}},
    {SCARD_E_CANT_DISPOSE, {"SCARD_E_CANT_DISPOSE", "the card could not be released as requested", "", comm}},
    {SCARD_E_PROTO_MISMATCH, {"SCARD_E_PROTO_MISMATCH",
                              "the card does not speak the requested protocol (T=0 or T=1)",
                              "Check that this is a Secure Docket Card.", comm}},
    {SCARD_E_NOT_READY, {"SCARD_E_NOT_READY", "the reader or card is not ready", "Retry in a moment.", comm}},
    {SCARD_E_INVALID_VALUE, {"SCARD_E_INVALID_VALUE", "a value passed to PC/SC is out of range",
                             "This is a docketcard bug; please report it.", internal}},
    {SCARD_E_SYSTEM_CANCELLED, {"SCARD_E_SYSTEM_CANCELLED", "the operation was cancelled by the system", "", comm}},
    {SCARD_F_COMM_ERROR, {"SCARD_F_COMM_ERROR", "communication with the reader or the PC/SC service failed",
                          check_reader, comm}},
    {SCARD_F_UNKNOWN_ERROR, {"SCARD_F_UNKNOWN_ERROR", "the PC/SC service reported an unknown error",
                             "Restart pcscd and retry.", comm}},
    {SCARD_E_INVALID_ATR, {"SCARD_E_INVALID_ATR", "the card's answer to reset is invalid",
                           "Clean the card contacts or try another card.", comm}},
    {SCARD_E_NOT_TRANSACTED, {"SCARD_E_NOT_TRANSACTED", "the transaction was interrupted",
                              "The card was removed or reset; put it back on the reader and run the same command again.", comm}},
    {SCARD_E_READER_UNAVAILABLE, {"SCARD_E_READER_UNAVAILABLE", "the reader is unavailable (unplugged or failed)",
                                  check_reader, comm}},
    {SCARD_P_SHUTDOWN, {"SCARD_P_SHUTDOWN", "the PC/SC service is shutting down", restart_service, comm}},
    {SCARD_E_PCI_TOO_SMALL, {"SCARD_E_PCI_TOO_SMALL", "the PCI receive buffer was too small",
                             "This is a docketcard bug; please report it.", internal}},
    {SCARD_E_READER_UNSUPPORTED, {"SCARD_E_READER_UNSUPPORTED", "the reader driver does not meet the requirements",
                                  "Use another reader.", comm}},
    {SCARD_E_DUPLICATE_READER, {"SCARD_E_DUPLICATE_READER", "the reader driver did not produce a unique name", "",
                                comm}},
    {SCARD_E_CARD_UNSUPPORTED, {"SCARD_E_CARD_UNSUPPORTED", "the card is not supported by the reader",
                                "Check that this is a Secure Docket Card.", comm}},
    {SCARD_E_NO_SERVICE, {"SCARD_E_NO_SERVICE", "the PC/SC service (pcscd) is not running", restart_service, comm}},
    {SCARD_E_SERVICE_STOPPED, {"SCARD_E_SERVICE_STOPPED", "the PC/SC service (pcscd) stopped", restart_service,
                               comm}},
    // pcsc-lite gives SCARD_E_UNEXPECTED and SCARD_E_UNSUPPORTED_FEATURE the same value and only
    // ever returns the latter.
    {SCARD_E_UNSUPPORTED_FEATURE, {"SCARD_E_UNSUPPORTED_FEATURE", "the reader driver does not support this feature",
                                   "", comm}},
    {SCARD_E_NO_READERS_AVAILABLE, {"SCARD_E_NO_READERS_AVAILABLE", "no reader is connected",
                                    "Plug in a reader (or start vpcd/docketcard-sim), or use a sim:PATH reader.",
                                    comm}},
    {SCARD_E_COMM_DATA_LOST, {"SCARD_E_COMM_DATA_LOST", "data was lost between the reader and the card", reinsert,
                              comm}},
    {SCARD_E_SERVER_TOO_BUSY, {"SCARD_E_SERVER_TOO_BUSY", "the PC/SC service is too busy", "Retry in a moment.",
                               comm}},
    {SCARD_W_UNSUPPORTED_CARD, {"SCARD_W_UNSUPPORTED_CARD", "the reader cannot talk to the card (unsupported ATR)",
                                "Check that this is a Secure Docket Card.", comm}},
    {SCARD_W_UNRESPONSIVE_CARD, {"SCARD_W_UNRESPONSIVE_CARD", "the card does not answer to reset",
                                 "Put the card back correctly, or try another card.", comm}},
    {SCARD_W_UNPOWERED_CARD, {"SCARD_W_UNPOWERED_CARD", "the card is not powered", reinsert, comm}},
    {SCARD_W_RESET_CARD, {"SCARD_W_RESET_CARD", "the card was removed or reset, so its state is lost",
                          "Put the card back on the reader and run the same command again.", comm}},
    {SCARD_W_REMOVED_CARD, {"SCARD_W_REMOVED_CARD", "the card was removed from the reader", reinsert, comm}},
    {SCARD_W_SECURITY_VIOLATION, {"SCARD_W_SECURITY_VIOLATION", "access was denied by a security policy",
                                  "Check the polkit rules of pcscd for this user.", comm}},
}};

}  // namespace

PcscCodeInfo pcsc_code_info(long code) noexcept {
    for (const auto& e : table) {
        if (e.code == code) return e.info;
    }
    return {"unknown PC/SC code", "the PC/SC service returned a code docketcard does not know", "Retry.", comm};
}

Error pcsc_error(std::string_view operation, long code) {
    const PcscCodeInfo info = pcsc_code_info(code);
    std::string name = info.name;
    if (name == "unknown PC/SC code") name = fmt::format("unknown PC/SC code 0x{:08X}", static_cast<unsigned long>(code) & 0xFFFFFFFFUL);
    std::string msg = fmt::format("{} failed: {} ({})", operation, name, info.meaning);
    msg += info.advice[0] != '\0' ? fmt::format(". {}", info.advice) : std::string(".");
    return Error(info.kind, msg);
}

void check_pcsc(std::string_view operation, long code) {
    if (code != SCARD_S_SUCCESS) throw pcsc_error(operation, code);
}

}  // namespace docketcard::transport
