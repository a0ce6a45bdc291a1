// BER-TLV as used by ISO/IEC 7816-4 (clause 5.2, "BER-TLV data objects") and by the LDS of
// ICAO Doc 9303 Part 10 (clause 4.4: tags of one to three bytes, lengths in short or long form).
//
// Parsing goes through a bounds-checked cursor: every read checks the remaining bytes and throws
// ParseError naming what was truncated, so no caller indexes outside bytes by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "docketcard/util/bytes.hpp"

namespace docketcard::tlv {

/// A tag as its bytes read big-endian: 0x61, 0x5F1F, 0x7F61, 0x5F2E, 0xDF01...
using Tag = std::uint32_t;

/// One data object; `value` and `raw` view into the parsed buffer.
struct Object {
    Tag tag = 0;
    ByteView value;   ///< the value field
    ByteView raw;     ///< tag, length and value
    /// True for constructed objects (bit 6 of the first tag byte, ISO 7816-4 5.2.2).
    bool constructed() const noexcept;
};

/// Bounds-checked reader over a sequence of BER-TLV objects.
class Reader {
public:
    explicit Reader(ByteView data, std::string context = "TLV") : data_(data), context_(std::move(context)) {}

    bool empty() const noexcept { return pos_ >= data_.size(); }
    std::size_t offset() const noexcept { return pos_; }
    /// Reads the next object. Throws ParseError on a truncated tag, length or value, a length
    /// over 4 bytes, or the reserved first length byte 0xFF.
    Object next();
    /// Reads the next object and checks its tag; throws ParseError naming both tags otherwise.
    Object expect(Tag tag);
    /// The next object's tag without consuming it, or nullopt at the end.
    std::optional<Tag> peek_tag() const;
    /// Throws ParseError unless every byte was consumed.
    void expect_end() const;

private:
    ByteView data_;
    std::string context_;
    std::size_t pos_ = 0;
};

/// Parses a buffer that must hold exactly one object (nothing after it).
Object parse_single(ByteView data, const std::string& context = "TLV");
/// Finds the first direct child with `tag` inside a constructed value; nullopt when absent.
std::optional<Object> find(ByteView children, Tag tag);

/// Encodes a length in the shortest DER form (ISO 7816-4 5.2.2.2: up to 0x7F in one byte,
/// then 81 xx, 82 xx xx, 83 xx xx xx).
Bytes encode_length(std::size_t length);
/// Encodes a tag (1-4 bytes, as given in `tag`).
Bytes encode_tag(Tag tag);
/// Encodes tag || length || value.
Bytes encode(Tag tag, ByteView value);
/// Encodes a constructed object from already encoded children.
Bytes encode(Tag tag, std::initializer_list<ByteView> children);
/// Appends tag || length || value to `out`.
void append(Bytes& out, Tag tag, ByteView value);

}  // namespace docketcard::tlv
