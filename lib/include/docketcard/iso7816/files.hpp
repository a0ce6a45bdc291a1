// Reading a transparent elementary file (ISO/IEC 7816-4 11.2.3 READ BINARY) the way an inspection
// system reads LDS files (ICAO Doc 9303 Part 10 clause 4, worked example Part 11 D.4): SELECT the EF, read its TLV
// header to learn the length, then read the rest in chunks sized by the channel's capabilities.
// Works through any transport::CardChannel: a BAC SecureChannel, an Scp03Session (read-back) or
// a plain channel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::iso7816 {

/// Largest READ BINARY Le used on `caps`: at most 0xDF without extended length (the common
/// inspection-system limit, which fits 3DES secure messaging in short APDUs), otherwise the
/// channel's max_response_data.
std::size_t read_chunk_size(const transport::Capabilities& caps) noexcept;

/// SELECT of the eMRTD application by its AID (apdu::emrtd_aid; ISO/IEC 7816-4 11.2.2, Doc 9303
/// Part 10 3.1). A card that refuses it is not a Secure Docket Card, nor any ICAO eMRTD:
/// CardError(WrongCardState, exit 7) naming the status word, the same in every command.
void select_application(transport::CardChannel& card);

/// True for the status words with which a card says it has no such instruction or data object
/// (ISO/IEC 7816-4 5.6: 6D00 instruction, 6E00 class not supported; 6A82 file, 6A88 referenced
/// data not found; 6A86 incorrect P1-P2): what another vendor's eMRTD answers to the docket
/// applet's proprietary GET DATA 66 (docs/card-protocol.md). Used by write, lock and verify alike.
bool means_not_supported(std::uint16_t sw) noexcept;

/// Selects EF `fid` under the current application (00 A4 02 0C) and returns its whole content:
/// one BER-TLV object (header + value). The first READ BINARY asks for 4 bytes (enough for a
/// one-byte tag and a length up to 82 HH LL; more is read when needed), then the rest follows in
/// chunks of read_chunk_size(). Offsets up to 7FFF use READ BINARY B0; beyond, B1 with an offset
/// DO54 and the data in DO53 (ISO/IEC 7816-4 11.2.3).
/// 6282 (end of file) and 6B00 (offset beyond the EF) mark the end of the EF: if that comes before
/// the length its header announces, ParseError. Throws CardError(CardRefused) when SELECT or READ
/// BINARY is refused (status_word() 6A82: the card has no such file), ParseError on a malformed
/// header or a response longer than asked.
Bytes read_ef(transport::CardChannel& card, std::uint16_t fid);

}  // namespace docketcard::iso7816
