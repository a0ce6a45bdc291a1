#include "docketcard/tlv/tlv.hpp"

#include <array>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::tlv {

bool Object::constructed() const noexcept {
    return !raw.empty() && (raw[0] & 0x20) != 0;
}

namespace {
std::string tag_hex(Tag tag) { return fmt::format("{:02X}", tag); }
}  // namespace

Object Reader::next() {
    const std::size_t start = pos_;
    auto need = [&](std::size_t n, const char* what) {
        if (data_.size() - pos_ < n) {
            throw ParseError(fmt::format("{}: truncated {} at offset {} (need {} more byte(s), {} left)",
                                         context_, what, pos_, n, data_.size() - pos_));
        }
    };
    need(1, "tag");
    Tag tag = data_[pos_++];
    if ((tag & 0x1F) == 0x1F) {
        // Subsequent tag bytes: bit 8 set means another byte follows (ISO 7816-4 5.2.2.1).
        int extra = 0;
        do {
            need(1, "tag");
            if (++extra > 3) throw ParseError(fmt::format("{}: tag longer than 4 bytes at offset {}", context_, start));
            tag = (tag << 8) | data_[pos_];
        } while ((data_[pos_++] & 0x80) != 0);
    }
    need(1, "length");
    std::size_t length = data_[pos_++];
    if (length & 0x80) {
        const std::size_t count = length & 0x7F;
        if (count == 0 || count > 4) {
            throw ParseError(fmt::format("{}: tag {} has an invalid length byte {:02X} at offset {}", context_,
                                         tag_hex(tag), length, pos_ - 1));
        }
        need(count, "length");
        length = 0;
        for (std::size_t i = 0; i < count; ++i) length = (length << 8) | data_[pos_++];
    }
    if (length > data_.size() - pos_) {
        throw ParseError(fmt::format("{}: tag {} declares {} value bytes at offset {} but only {} remain", context_,
                                     tag_hex(tag), length, pos_, data_.size() - pos_));
    }
    Object obj;
    obj.tag = tag;
    obj.value = data_.subspan(pos_, length);
    pos_ += length;
    obj.raw = data_.subspan(start, pos_ - start);
    return obj;
}

Object Reader::expect(Tag tag) {
    if (empty()) throw ParseError(fmt::format("{}: expected tag {} but the data ended", context_, tag_hex(tag)));
    const std::size_t at = pos_;
    Object obj = next();
    if (obj.tag != tag) {
        throw ParseError(fmt::format("{}: expected tag {} at offset {}, found {}", context_, tag_hex(tag), at,
                                     tag_hex(obj.tag)));
    }
    return obj;
}

std::optional<Tag> Reader::peek_tag() const {
    if (empty()) return std::nullopt;
    Reader copy = *this;
    return copy.next().tag;
}

void Reader::expect_end() const {
    if (!empty()) {
        throw ParseError(fmt::format("{}: {} unexpected byte(s) after the last object at offset {}", context_,
                                     data_.size() - pos_, pos_));
    }
}

Object parse_single(ByteView data, const std::string& context) {
    Reader r(data, context);
    Object obj = r.next();
    r.expect_end();
    return obj;
}

std::optional<Object> find(ByteView children, Tag tag) {
    Reader r(children);
    while (!r.empty()) {
        Object obj = r.next();
        if (obj.tag == tag) return obj;
    }
    return std::nullopt;
}

namespace {

// The tag and length bytes of one TLV, built in place: encoding runs for every file of every
// record, so no temporary vector per element.
class Head {
public:
    void tag(Tag tag) {
        int shift = 24;
        while (shift > 0 && (tag >> shift) == 0) shift -= 8;
        for (; shift >= 0; shift -= 8) push(static_cast<std::uint8_t>(tag >> shift));
    }
    void length(std::size_t length) {
        if (length < 0x80) return push(static_cast<std::uint8_t>(length));
        std::size_t bytes = 0;
        for (std::size_t v = length; v != 0; v >>= 8) ++bytes;
        if (bytes > 4) throw Error(ErrorKind::Internal, "TLV length over 4 bytes");
        push(static_cast<std::uint8_t>(0x80 | bytes));
        for (std::size_t i = bytes; i-- > 0;) push(static_cast<std::uint8_t>(length >> (8 * i)));
    }
    ByteView bytes() const { return {bytes_.data(), size_}; }

private:
    void push(std::uint8_t b) { bytes_[size_++] = b; }
    std::array<std::uint8_t, 9> bytes_{};  // 4 tag bytes, 5 length bytes at the most
    std::size_t size_ = 0;
};

}  // namespace

Bytes encode_length(std::size_t length) {
    Head h;
    h.length(length);
    return Bytes(h.bytes().begin(), h.bytes().end());
}

Bytes encode_tag(Tag tag) {
    Head h;
    h.tag(tag);
    return Bytes(h.bytes().begin(), h.bytes().end());
}

void append(Bytes& out, Tag tag, ByteView value) {
    Head h;
    h.tag(tag);
    h.length(value.size());
    docketcard::append(out, h.bytes());
    docketcard::append(out, value);
}

Bytes encode(Tag tag, ByteView value) {
    Bytes out;
    out.reserve(value.size() + 8);
    append(out, tag, value);
    return out;
}

Bytes encode(Tag tag, std::initializer_list<ByteView> children) {
    std::size_t size = 0;
    for (auto c : children) size += c.size();
    Head h;
    h.tag(tag);
    h.length(size);
    Bytes out;
    out.reserve(h.bytes().size() + size);
    docketcard::append(out, h.bytes());
    for (auto c : children) docketcard::append(out, c);
    return out;
}

}  // namespace docketcard::tlv
