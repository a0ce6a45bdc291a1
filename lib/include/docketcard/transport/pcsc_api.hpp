// The PC/SC calls the transport makes (PC/SC Workgroup specification part 5, as pcsc-lite
// declares them), gathered in one table so that unit tests can put a mock PC/SC service behind a
// real PcscReader (connect settling, reader identity) without pcscd. Production code uses
// system_pcsc(), which forwards to libpcsclite.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <PCSC/winscard.h>

#include "docketcard/transport/reader.hpp"

namespace docketcard::transport {

/// One std::function per SCard* entry point used; same parameters and return codes as winscard.h.
struct PcscApi {
    std::function<LONG(DWORD, LPCVOID, LPCVOID, LPSCARDCONTEXT)> establish_context;
    std::function<LONG(SCARDCONTEXT)> release_context;
    std::function<LONG(SCARDCONTEXT, LPCSTR, LPSTR, LPDWORD)> list_readers;
    std::function<LONG(SCARDCONTEXT, DWORD, SCARD_READERSTATE*, DWORD)> get_status_change;
    std::function<LONG(SCARDCONTEXT, LPCSTR, DWORD, DWORD, LPSCARDHANDLE, LPDWORD)> connect;
    std::function<LONG(SCARDHANDLE, DWORD)> disconnect;
    std::function<LONG(SCARDHANDLE)> begin_transaction;
    std::function<LONG(SCARDHANDLE, DWORD)> end_transaction;
    std::function<LONG(SCARDHANDLE, LPSTR, LPDWORD, LPDWORD, LPDWORD, LPBYTE, LPDWORD)> status;
    std::function<LONG(SCARDHANDLE, const SCARD_IO_REQUEST*, LPCBYTE, DWORD, SCARD_IO_REQUEST*, LPBYTE, LPDWORD)>
        transmit;
    std::function<LONG(SCARDHANDLE, DWORD, LPBYTE, LPDWORD)> get_attrib;
    std::function<LONG(SCARDCONTEXT)> cancel;
};

/// The real PC/SC service (libpcsclite).
std::shared_ptr<const PcscApi> system_pcsc();

/// open_reader() for a PC/SC reader choice (select_reader rules, or "serial:VALUE" matched against
/// each reader's identity) over `api`.
std::unique_ptr<Reader> open_pcsc_reader(std::shared_ptr<const PcscApi> api, const std::string& choice);

/// list_readers() over `api`.
std::vector<ReaderState> list_pcsc_readers(std::shared_ptr<const PcscApi> api);

}  // namespace docketcard::transport
