// Dimensions of JPEG and JPEG 2000 photos, for the 19794-5 image information block.

#include <fmt/core.h>

#include "docketcard/lds/lds.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::lds {

namespace {

class Cursor {
public:
    Cursor(ByteView data, const char* what) : data_(data), what_(what) {}
    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return data_.size() - pos_; }
    void need(std::size_t n, const char* field) const {
        if (remaining() < n)
            throw ParseError(fmt::format("{} is truncated: {} needs {} bytes at offset {}, {} left", what_,
                                         field, n, pos_, remaining()));
    }
    std::uint8_t u8(const char* field) {
        need(1, field);
        return data_[pos_++];
    }
    std::uint16_t u16(const char* field) {
        need(2, field);
        const auto v = get_u16(data_, pos_);
        pos_ += 2;
        return v;
    }
    std::uint32_t u32(const char* field) {
        need(4, field);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
        pos_ += 4;
        return v;
    }
    std::uint64_t u64(const char* field) {
        const std::uint64_t hi = u32(field);
        return (hi << 32) | u32(field);
    }
    void skip(std::size_t n, const char* field) {
        need(n, field);
        pos_ += n;
    }

private:
    ByteView data_;
    const char* what_;
    std::size_t pos_ = 0;
};

std::uint16_t dimension(std::uint64_t v, const char* format, const char* name) {
    if (v == 0 || v > 0xFFFF)
        throw ParseError(fmt::format("{} image {} {} is outside 1..65535 (ISO/IEC 19794-5 stores 2 bytes)",
                                     format, name, v));
    return static_cast<std::uint16_t>(v);
}

bool is_sof(std::uint8_t marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

ImageProperties probe_jpeg(ByteView image) {
    Cursor c(image, "JPEG image");
    c.skip(2, "SOI");
    for (;;) {
        if (c.u8("marker") != 0xFF) throw ParseError(fmt::format("JPEG image: no marker at offset {}", c.pos() - 1));
        std::uint8_t marker = c.u8("marker");
        while (marker == 0xFF) marker = c.u8("marker");
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;   // no length field
        if (marker == 0xD9 || marker == 0xDA)
            throw ParseError("JPEG image has no frame header (SOFn) before its scan data");
        const std::uint16_t length = c.u16("segment length");
        if (length < 2) throw ParseError(fmt::format("JPEG image: segment FF{:02X} has length {}", marker, length));
        if (is_sof(marker)) {
            c.need(length - 2, "frame header");
            if (length < 8) throw ParseError("JPEG image: frame header shorter than 8 bytes");
            c.u8("sample precision");
            const std::uint16_t height = c.u16("height");
            const std::uint16_t width = c.u16("width");
            const int components = c.u8("components");
            return {ImageFormat::Jpeg, dimension(width, "JPEG", "width"), dimension(height, "JPEG", "height"),
                    components};
        }
        c.skip(length - 2u, "segment");
    }
}

ImageProperties from_siz(ByteView codestream) {
    Cursor c(codestream, "JPEG 2000 codestream");
    if (c.u16("SOC") != 0xFF4F) throw ParseError("JPEG 2000 codestream does not start with SOC (FF4F)");
    if (c.u16("SIZ") != 0xFF51) throw ParseError("JPEG 2000 codestream: SIZ (FF51) does not follow SOC");
    c.u16("Lsiz");
    c.u16("Rsiz");
    const std::uint32_t xsiz = c.u32("Xsiz");
    const std::uint32_t ysiz = c.u32("Ysiz");
    const std::uint32_t xo = c.u32("XOsiz");
    const std::uint32_t yo = c.u32("YOsiz");
    c.skip(16, "tile sizes");
    const int components = c.u16("Csiz");
    if (xo >= xsiz || yo >= ysiz) throw ParseError("JPEG 2000 codestream: image offset beyond image size");
    return {ImageFormat::Jpeg2000, dimension(xsiz - xo, "JPEG 2000", "width"),
            dimension(ysiz - yo, "JPEG 2000", "height"), components};
}

// Walks the boxes of `data` (ISO/IEC 15444-1 I.4) and returns the payload of the first of type `type`.
std::optional<ByteView> find_box(ByteView data, std::uint32_t type) {
    Cursor c(data, "JP2 file");
    while (c.remaining() > 0) {
        const std::size_t start = c.pos();
        std::uint64_t length = c.u32("box length");
        const std::uint32_t box_type = c.u32("box type");
        std::size_t header = 8;
        if (length == 1) {
            length = c.u64("extended box length");
            header = 16;
        } else if (length == 0) {
            length = data.size() - start;
        }
        if (length < header || length > data.size() - start)
            throw ParseError(fmt::format("JP2 file: box at offset {} has length {} beyond the file", start, length));
        if (box_type == type) return data.subspan(start + header, static_cast<std::size_t>(length) - header);
        c.skip(static_cast<std::size_t>(length) - header, "box");
    }
    return std::nullopt;
}

ImageProperties probe_jp2(ByteView image) {
    const auto jp2h = find_box(image, 0x6A703268);   // 'jp2h'
    if (!jp2h) throw ParseError("JP2 file has no header box (jp2h)");
    const auto ihdr = find_box(*jp2h, 0x69686472);   // 'ihdr'
    if (!ihdr) throw ParseError("JP2 file has no image header box (ihdr)");
    Cursor c(*ihdr, "JP2 ihdr box");
    const std::uint32_t height = c.u32("HEIGHT");
    const std::uint32_t width = c.u32("WIDTH");
    const int components = c.u16("NC");
    return {ImageFormat::Jpeg2000, dimension(width, "JPEG 2000", "width"), dimension(height, "JPEG 2000", "height"),
            components};
}

}  // namespace

ImageProperties probe_image(ByteView image) {
    static const std::uint8_t jp2_signature[12] = {0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A};
    if (image.size() >= 2 && image[0] == 0xFF && image[1] == 0xD8) return probe_jpeg(image);
    if (image.size() >= 12 && std::equal(image.begin(), image.begin() + 12, jp2_signature)) return probe_jp2(image);
    if (image.size() >= 2 && image[0] == 0xFF && image[1] == 0x4F) return from_siz(image);
    throw ParseError("photo is neither JPEG (FFD8), JP2 (signature box) nor a JPEG 2000 codestream (FF4F)");
}

}  // namespace docketcard::lds
