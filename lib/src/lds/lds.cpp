// Encoders and decoders of the LDS elementary files (ICAO Doc 9303 Part 10).

#include "docketcard/lds/lds.hpp"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/core.h>

#include "docketcard/record/mrz.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::lds {

namespace {

constexpr std::array<tlv::Tag, 16> kDgTags = {0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
                                              0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70};

std::string as_string(ByteView v) { return std::string(v.begin(), v.end()); }

// Parses a whole EF that must be exactly one object with `tag`.
tlv::Object outer(ByteView ef, tlv::Tag tag, const std::string& name) {
    const tlv::Object o = tlv::parse_single(ef, name);
    if (o.tag != tag) throw ParseError(fmt::format("{}: outer tag is {:X}, expected {:X}", name, o.tag, tag));
    return o;
}

tlv::Object required(ByteView children, tlv::Tag tag, const std::string& where) {
    auto o = tlv::find(children, tag);
    if (!o) throw ParseError(fmt::format("{}: required data object {:X} is missing", where, tag));
    return *o;
}

Bytes tag_list(std::initializer_list<tlv::Tag> tags) {
    Bytes list;
    for (tlv::Tag t : tags) append(list, tlv::encode_tag(t));
    return tlv::encode(0x5C, list);
}

}  // namespace

std::uint16_t dg_file_id(int dg) {
    if (dg < 1 || dg > 16) throw Error(ErrorKind::Internal, fmt::format("data group {} does not exist", dg));
    return static_cast<std::uint16_t>(0x0100 + dg);
}

tlv::Tag dg_tag(int dg) {
    if (dg < 1 || dg > 16) throw Error(ErrorKind::Internal, fmt::format("data group {} does not exist", dg));
    return kDgTags[static_cast<std::size_t>(dg - 1)];
}

std::optional<int> dg_number_for_tag(tlv::Tag tag) {
    for (std::size_t i = 0; i < kDgTags.size(); ++i)
        if (kDgTags[i] == tag) return static_cast<int>(i + 1);
    return std::nullopt;
}

std::string file_name(std::uint16_t fid) {
    if (fid == fid_com) return "EF.COM";
    if (fid == fid_sod) return "EF.SOD";
    if (fid == 0x011C) return "EF.CardAccess";
    if (fid > 0x0100 && fid <= 0x0110) return fmt::format("DG{}", fid - 0x0100);
    return fmt::format("file {:04X}", fid);
}

// ---- EF.COM

Bytes encode_com(const std::vector<int>& data_groups) {
    std::vector<int> sorted = data_groups;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    Bytes list;
    for (int dg : sorted) list.push_back(static_cast<std::uint8_t>(dg_tag(dg)));
    return tlv::encode(0x60, {tlv::encode(0x5F01, to_bytes("0107")), tlv::encode(0x5F36, to_bytes("040000")),
                              tlv::encode(0x5C, list)});
}

Com decode_com(ByteView ef) {
    const auto o = outer(ef, 0x60, "EF.COM");
    Com com;
    com.lds_version = as_string(required(o.value, 0x5F01, "EF.COM").value);
    com.unicode_version = as_string(required(o.value, 0x5F36, "EF.COM").value);
    if (com.lds_version.size() != 4) throw ParseError("EF.COM: LDS version (5F01) is not 4 characters");
    if (com.unicode_version.size() != 6) throw ParseError("EF.COM: Unicode version (5F36) is not 6 characters");
    for (std::uint8_t t : required(o.value, 0x5C, "EF.COM").value) {
        const auto dg = dg_number_for_tag(t);
        if (!dg) throw ParseError(fmt::format("EF.COM: tag list holds {:02X}, which is not a data group tag", t));
        com.data_groups.push_back(*dg);
    }
    return com;
}

// ---- DG1

Bytes encode_dg1(std::string_view mrz90) {
    if (mrz90.size() != 90)
        throw Error(ErrorKind::InvalidInput, fmt::format("DG1: a TD1 MRZ has 90 characters, got {}", mrz90.size()));
    for (char ch : mrz90)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '<'))
            throw Error(ErrorKind::InvalidInput, fmt::format("DG1: MRZ character '{}' is not 0-9, A-Z or <", ch));
    return tlv::encode(0x61, {tlv::encode(0x5F1F, to_bytes(mrz90))});
}

std::string decode_dg1(ByteView ef) {
    const auto o = outer(ef, 0x61, "DG1");
    const std::string mrz = as_string(required(o.value, 0x5F1F, "DG1").value);
    if (mrz.size() != 90 && mrz.size() != 72 && mrz.size() != 88)
        throw ParseError(fmt::format("DG1: MRZ (5F1F) has {} characters; expected 90 (TD1), 72 or 88", mrz.size()));
    for (char ch : mrz)
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '<'))
            throw ParseError("DG1: MRZ holds a character outside 0-9 A-Z <");
    return mrz;
}

// ---- DG2

std::uint8_t gender_code(char sex) noexcept {
    switch (sex) {
        case 'M': return 0x01;
        case 'F': return 0x02;
        default: return 0x00;
    }
}

Bytes encode_face_record(ByteView image, char sex) {
    const ImageProperties props = probe_image(image);
    constexpr std::size_t header_size = 14, facial_info_size = 20, image_info_size = 12;
    const std::size_t facial_data_length = facial_info_size + image_info_size + image.size();
    const std::size_t record_length = header_size + facial_data_length;
    if (record_length > 0xFFFFFFFFu) throw Error(ErrorKind::InvalidInput, "DG2: photo too large");
    auto put_u32 = [](Bytes& out, std::size_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
    };
    Bytes r;
    r.reserve(record_length);
    // Facial record header (19794-5 5.4).
    r.insert(r.end(), {'F', 'A', 'C', 0x00, '0', '1', '0', 0x00});   // "FAC\0", version "010\0"
    put_u32(r, record_length);
    put_u16(r, 1);   // number of facial images
    // Facial information block (5.5).
    put_u32(r, facial_data_length);
    put_u16(r, 0);                    // feature points
    r.push_back(gender_code(sex));
    r.push_back(0x00);                // eye colour: unspecified
    r.push_back(0x00);                // hair colour: unspecified
    r.insert(r.end(), {0x00, 0x00, 0x00});   // feature mask: none specified
    put_u16(r, 0);                    // expression: unspecified
    r.insert(r.end(), {0x00, 0x00, 0x00});   // pose angles yaw, pitch, roll: unspecified
    r.insert(r.end(), {0x00, 0x00, 0x00});   // pose angle uncertainty
    // Image information (5.7).
    r.push_back(0x01);   // face image type: full frontal
    r.push_back(static_cast<std::uint8_t>(props.format));
    put_u16(r, props.width);
    put_u16(r, props.height);
    r.push_back(props.components == 3 ? 0x01 : props.components == 1 ? 0x03 : 0x00);   // colour space
    r.push_back(0x01);   // source type: static photograph, unknown source
    put_u16(r, 0);       // device type: unspecified
    put_u16(r, 0);       // quality: unspecified
    append(r, image);
    return r;
}

Bytes encode_dg2(ByteView image, char sex) {
    const Bytes header = tlv::encode(0xA1, {tlv::encode(0x80, Bytes{0x01, 0x01}), tlv::encode(0x81, Bytes{0x02}),
                                            tlv::encode(0x87, Bytes{0x01, 0x01}), tlv::encode(0x88, Bytes{0x00, 0x08})});
    const Bytes count = tlv::encode(0x02, Bytes{0x01});
    const Bytes face = encode_face_record(image, sex);
    // 75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E face } } }: the heads are made from the lengths
    // inside out and the face record (nearly all of DG2) is copied once, not once a level.
    const Bytes face_head = concat({tlv::encode_tag(0x5F2E), tlv::encode_length(face.size())});
    const std::size_t bit_size = header.size() + face_head.size() + face.size();
    const Bytes bit_head = concat({tlv::encode_tag(0x7F60), tlv::encode_length(bit_size)});
    const std::size_t group_size = count.size() + bit_head.size() + bit_size;
    const Bytes group_head = concat({tlv::encode_tag(0x7F61), tlv::encode_length(group_size)});
    const Bytes dg_head = concat({tlv::encode_tag(0x75), tlv::encode_length(group_head.size() + group_size)});
    return concat({dg_head, group_head, count, bit_head, header, face_head, face});
}

FaceImage decode_dg2(ByteView ef) {
    const auto o = outer(ef, 0x75, "DG2");
    const auto group = required(o.value, 0x7F61, "DG2");
    const auto count = required(group.value, 0x02, "DG2 biometric information group template");
    if (count.value.size() != 1 || count.value[0] == 0)
        throw ParseError("DG2: number of biometric instances (02) is not a one-byte count of at least 1");
    const auto bit = required(group.value, 0x7F60, "DG2 biometric information group template");
    const auto header = required(bit.value, 0xA1, "DG2 biometric information template");
    const auto owner = required(header.value, 0x87, "DG2 biometric header template");
    const auto type = required(header.value, 0x88, "DG2 biometric header template");
    if (!std::ranges::equal(owner.value, Bytes{0x01, 0x01}) || !std::ranges::equal(type.value, Bytes{0x00, 0x08}))
        throw ParseError(fmt::format("DG2: format owner/type {}/{} is not ISO/IEC 19794-5 (0101/0008)",
                                     to_hex(owner.value), to_hex(type.value)));
    const ByteView rec = required(bit.value, 0x5F2E, "DG2 biometric information template").value;

    auto u32 = [&](std::size_t at) {
        return (std::uint32_t{rec[at]} << 24) | (std::uint32_t{rec[at + 1]} << 16) | (std::uint32_t{rec[at + 2]} << 8) |
               rec[at + 3];
    };
    if (rec.size() < 14 + 20 + 12) throw ParseError("DG2: face record shorter than its fixed headers (46 bytes)");
    if (!std::equal(rec.begin(), rec.begin() + 4, "FAC\0"))
        throw ParseError("DG2: face record does not start with format identifier 'FAC\\0'");
    if (!std::equal(rec.begin() + 4, rec.begin() + 8, "010\0"))
        throw ParseError("DG2: face record version is not '010' (ISO/IEC 19794-5:2005)");
    if (u32(8) != rec.size())
        throw ParseError(fmt::format("DG2: face record length field {} differs from its size {}", u32(8), rec.size()));
    if (get_u16(rec, 12) == 0) throw ParseError("DG2: face record holds no facial image");
    const std::size_t base = 14;
    const std::size_t data_length = u32(base);
    const std::size_t points = get_u16(rec, base + 4);
    if (data_length > rec.size() - base)
        throw ParseError("DG2: facial record data length runs beyond the face record");
    const std::size_t info = base + 20 + points * 8;
    if (info + 12 > base + data_length) throw ParseError("DG2: feature points and image information overrun the facial record");
    FaceImage face;
    face.gender = rec[base + 6];
    face.face_image_type = rec[info];
    if (rec[info + 1] > 1) throw ParseError(fmt::format("DG2: image data type {} is neither JPEG (0) nor JPEG 2000 (1)", rec[info + 1]));
    face.format = static_cast<ImageFormat>(rec[info + 1]);
    face.width = get_u16(rec, info + 2);
    face.height = get_u16(rec, info + 4);
    face.image.assign(rec.begin() + static_cast<std::ptrdiff_t>(info + 12),
                      rec.begin() + static_cast<std::ptrdiff_t>(base + data_length));
    if (face.image.empty()) throw ParseError("DG2: face record holds no image data");
    return face;
}

// ---- DG11, DG12

std::string dg11_full_name(const record::HolderRecord& holder) {
    if (holder.given_names.empty()) return holder.surname;
    return holder.surname + "<<" + holder.given_names;
}

Bytes encode_dg11(const record::HolderRecord& holder) {
    Bytes body = holder.place_of_birth ? tag_list({0x5F0E, 0x5F11}) : tag_list({0x5F0E});
    tlv::append(body, 0x5F0E, to_bytes(dg11_full_name(holder)));
    if (holder.place_of_birth) tlv::append(body, 0x5F11, to_bytes(*holder.place_of_birth));
    return tlv::encode(0x6B, body);
}

Dg11 decode_dg11(ByteView ef) {
    const auto o = outer(ef, 0x6B, "DG11");
    required(o.value, 0x5C, "DG11");
    Dg11 d;
    d.full_name = as_string(required(o.value, 0x5F0E, "DG11").value);
    if (auto pob = tlv::find(o.value, 0x5F11)) d.place_of_birth = as_string(pob->value);
    return d;
}

Bytes encode_dg12(std::string_view issuing_authority, const record::Date& date_of_issue,
                  std::optional<std::string_view> endorsements) {
    Bytes body = endorsements ? tag_list({0x5F19, 0x5F26, 0x5F1B}) : tag_list({0x5F19, 0x5F26});
    tlv::append(body, 0x5F19, to_bytes(issuing_authority));
    tlv::append(body, 0x5F26, to_bytes(date_of_issue.yyyymmdd()));
    if (endorsements) tlv::append(body, 0x5F1B, to_bytes(*endorsements));
    return tlv::encode(0x6C, body);
}

Dg12 decode_dg12(ByteView ef) {
    const auto o = outer(ef, 0x6C, "DG12");
    required(o.value, 0x5C, "DG12");
    Dg12 d;
    if (auto a = tlv::find(o.value, 0x5F19)) d.issuing_authority = as_string(a->value);
    if (auto t = tlv::find(o.value, 0x5F26)) {
        d.date_of_issue = as_string(t->value);
        if (d.date_of_issue.size() != 8 ||
            !std::all_of(d.date_of_issue.begin(), d.date_of_issue.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw ParseError("DG12: date of issue (5F26) is not 8 digits YYYYMMDD");
    }
    if (auto e = tlv::find(o.value, 0x5F1B)) d.endorsements = as_string(e->value);
    return d;
}

// ---- DG13

namespace {
enum Dg13Tag : tlv::Tag {
    kVersion = 0x80, kANumber = 0x81, kCourt = 0x82, kCase = 0x83, kHearing = 0x84,
    kRelease = 0x85, kOffice = 0x86, kInterval = 0x87, kCondition = 0x88,
    // version 2
    kDocument = 0xA9, kCheckReference = 0x8A, kClearedOn = 0x8B, kPortal = 0x8C,
};
// Inside a document object (A9).
enum DocumentTag : tlv::Tag {
    kForm = 0x80, kTitle = 0x81, kNumber = 0x82, kIssued = 0x83, kExpires = 0x84, kIssuedBy = 0x85,
};

// YYYYMMDD as stored in DG13 v2 (the LDS "full date" form); a real calendar date.
record::Date full_date(ByteView v, const std::string& what) {
    const std::string s = as_string(v);
    const bool digits = s.size() == 8 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) throw ParseError(fmt::format("DG13: {} is not 8 digits YYYYMMDD", what));
    const record::Date d{std::stoi(s.substr(0, 4)), std::stoi(s.substr(4, 2)), std::stoi(s.substr(6, 2))};
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (d.year % 4 == 0 && d.year % 100 != 0) || d.year % 400 == 0;
    if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > kDays[d.month - 1] ||
        (d.month == 2 && d.day == 29 && !leap))
        throw ParseError(fmt::format("DG13: {} {} is not a calendar date", what, s));
    return d;
}

Bytes encode_document(const record::ReleaseDocument& doc) {
    Bytes body;
    tlv::append(body, kForm, to_bytes(doc.form));
    tlv::append(body, kTitle, to_bytes(doc.title));
    tlv::append(body, kNumber, to_bytes(doc.number));
    tlv::append(body, kIssued, to_bytes(doc.issued_on.yyyymmdd()));
    if (doc.expires_on) tlv::append(body, kExpires, to_bytes(doc.expires_on->yyyymmdd()));
    if (doc.issued_by) tlv::append(body, kIssuedBy, to_bytes(*doc.issued_by));
    return tlv::encode(kDocument, body);
}

record::ReleaseDocument decode_document(ByteView value, std::size_t index) {
    const std::string where = fmt::format("DG13 document {}", index + 1);
    tlv::Reader r(value, where);
    record::ReleaseDocument doc;
    std::set<tlv::Tag> seen;
    while (!r.empty()) {
        const auto obj = r.next();
        if (!seen.insert(obj.tag).second) throw ParseError(fmt::format("{}: field {:X} appears twice", where, obj.tag));
        switch (obj.tag) {
            case kForm: doc.form = as_string(obj.value); break;
            case kTitle: doc.title = as_string(obj.value); break;
            case kNumber: doc.number = as_string(obj.value); break;
            case kIssued: doc.issued_on = full_date(obj.value, where + " date of issue (83)"); break;
            case kExpires: doc.expires_on = full_date(obj.value, where + " date of expiry (84)"); break;
            case kIssuedBy: doc.issued_by = as_string(obj.value); break;
            default: throw ParseError(fmt::format("{}: unknown field tag {:X}", where, obj.tag));
        }
    }
    for (tlv::Tag t : {kForm, kTitle, kNumber, kIssued})
        if (!seen.count(t)) throw ParseError(fmt::format("{}: required field {:X} is missing", where, t));
    return doc;
}
}  // namespace

DocketData docket_data(const record::HolderRecord& holder) {
    DocketData d;
    d.a_number = holder.a_number;
    d.docket = holder.docket;
    d.documents = holder.documents;
    d.background_check_reference = holder.background_check.reference;
    d.background_check_cleared_on = holder.background_check.cleared_on;
    d.portal_reference = holder.portal_reference;
    return d;
}

Bytes encode_dg13(const DocketData& data) {
    const auto& d = data.docket;
    if (data.version != 1 && data.version != 2)
        throw Error(ErrorKind::InvalidInput, fmt::format("DG13: docket format version {} does not exist (1 or 2)", data.version));
    if (d.check_in_interval_days < 0 || d.check_in_interval_days > 0xFFFF)
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("DG13: check-in interval {} days is outside 0..65535", d.check_in_interval_days));
    Bytes body;
    tlv::append(body, kVersion, Bytes{data.version});
    tlv::append(body, kANumber, to_bytes(data.a_number));
    tlv::append(body, kCourt, to_bytes(d.court));
    tlv::append(body, kCase, to_bytes(d.case_number));
    tlv::append(body, kHearing, to_bytes(d.next_hearing));
    tlv::append(body, kRelease, Bytes{static_cast<std::uint8_t>(d.release_type)});
    tlv::append(body, kOffice, to_bytes(d.reporting_office));
    Bytes interval;
    put_u16(interval, static_cast<std::uint16_t>(d.check_in_interval_days));
    tlv::append(body, kInterval, interval);
    for (const auto& c : d.conditions) tlv::append(body, kCondition, to_bytes(c));
    if (data.version >= 2) {
        for (const auto& doc : data.documents) append(body, encode_document(doc));
        tlv::append(body, kCheckReference, to_bytes(data.background_check_reference));
        tlv::append(body, kClearedOn, to_bytes(data.background_check_cleared_on.yyyymmdd()));
        if (data.portal_reference) tlv::append(body, kPortal, view(*data.portal_reference));
    }
    return tlv::encode(0x6D, body);
}

DocketData decode_dg13(ByteView ef) {
    const auto o = outer(ef, 0x6D, "DG13");
    tlv::Reader r(o.value, "DG13");
    const auto version = r.expect(kVersion);
    if (version.value.size() != 1 || version.value[0] < 1 || version.value[0] > 2)
        throw ParseError(fmt::format("DG13: docket format version {} is not supported (expected 01 or 02)",
                                     to_hex(version.value)));
    DocketData out;
    out.version = version.value[0];
    const bool v2 = out.version == 2;
    std::set<tlv::Tag> seen;
    while (!r.empty()) {
        const auto obj = r.next();
        if (obj.tag != kCondition && obj.tag != kDocument && !seen.insert(obj.tag).second)
            throw ParseError(fmt::format("DG13: field {:X} appears twice", obj.tag));
        switch (obj.tag) {
            case kANumber: out.a_number = as_string(obj.value); break;
            case kCourt: out.docket.court = as_string(obj.value); break;
            case kCase: out.docket.case_number = as_string(obj.value); break;
            case kHearing: out.docket.next_hearing = as_string(obj.value); break;
            case kOffice: out.docket.reporting_office = as_string(obj.value); break;
            case kCondition: out.docket.conditions.push_back(as_string(obj.value)); break;
            case kRelease: {
                if (obj.value.size() != 1 || obj.value[0] < 1 || obj.value[0] > 6)
                    throw ParseError(fmt::format("DG13: release type code {} is not 01..06", to_hex(obj.value)));
                out.docket.release_type = static_cast<record::ReleaseType>(obj.value[0]);
                break;
            }
            case kInterval: {
                if (obj.value.size() != 2) throw ParseError("DG13: check-in interval (87) is not 2 bytes");
                out.docket.check_in_interval_days = get_u16(obj.value, 0);
                break;
            }
            case kDocument:
                if (!v2) throw ParseError("DG13: field A9 (document) is not part of format version 1");
                if (out.documents.size() == record::max_documents)
                    throw ParseError(fmt::format("DG13: more than {} documents", record::max_documents));
                out.documents.push_back(decode_document(obj.value, out.documents.size()));
                break;
            case kCheckReference:
            case kClearedOn:
            case kPortal:
                if (!v2) throw ParseError(fmt::format("DG13: field {:X} is not part of format version 1", obj.tag));
                if (obj.tag == kCheckReference) out.background_check_reference = as_string(obj.value);
                else if (obj.tag == kClearedOn) out.background_check_cleared_on = full_date(obj.value, "background check date (8B)");
                else out.portal_reference = secure_copy(obj.value);
                break;
            default: throw ParseError(fmt::format("DG13: unknown field tag {:X}", obj.tag));
        }
    }
    for (tlv::Tag t : {kANumber, kCourt, kCase, kHearing, kRelease, kOffice, kInterval})
        if (!seen.count(t)) throw ParseError(fmt::format("DG13: required field {:X} is missing", t));
    if (v2)
        for (tlv::Tag t : {kCheckReference, kClearedOn})
            if (!seen.count(t)) throw ParseError(fmt::format("DG13: required field {:X} is missing", t));
    return out;
}

// ---- DG14, DG15

Bytes encode_dg14_aa_ecdsa_sha256() {
    const Bytes aa_protocol = from_hex("0606678108010105");          // 2.23.136.1.1.5
    const Bytes version = from_hex("020101");
    const Bytes ecdsa_sha256 = from_hex("06082A8648CE3D040302");      // 1.2.840.10045.4.3.2
    const Bytes info = tlv::encode(0x30, {aa_protocol, version, ecdsa_sha256});
    return tlv::encode(0x6E, {tlv::encode(0x31, info)});
}

Bytes encode_dg15(ByteView spki) {
    const auto o = tlv::parse_single(spki, "AA public key");
    if (o.tag != 0x30) throw ParseError("AA public key is not a DER SubjectPublicKeyInfo (SEQUENCE)");
    return tlv::encode(0x6F, spki);
}

Bytes decode_dg15(ByteView ef) {
    const auto o = outer(ef, 0x6F, "DG15");
    const auto spki = tlv::parse_single(o.value, "DG15 SubjectPublicKeyInfo");
    if (spki.tag != 0x30) throw ParseError("DG15 does not hold a SubjectPublicKeyInfo SEQUENCE");
    return Bytes(o.value.begin(), o.value.end());
}

// ---- Lds

const Bytes& Lds::get(std::uint16_t fid) const {
    auto it = files.find(fid);
    if (it == files.end()) throw Error(ErrorKind::Internal, fmt::format("{} is not part of this LDS", file_name(fid)));
    return it->second;
}

std::vector<int> Lds::data_groups() const {
    std::vector<int> out;
    for (const auto& [fid, bytes] : files)
        if (fid > 0x0100 && fid <= 0x0110) out.push_back(fid - 0x0100);
    return out;
}

std::map<int, Bytes> Lds::data_group_bytes() const {
    std::map<int, Bytes> out;
    for (const auto& [fid, bytes] : files)
        if (fid > 0x0100 && fid <= 0x0110) out[fid - 0x0100] = bytes;
    return out;
}

Lds encode_holder(const record::HolderRecord& holder, const EncodeOptions& options) {
    Lds lds;
    lds.set(dg_file_id(1), encode_dg1(mrz::make_td1(holder).joined()));
    lds.set(dg_file_id(2), encode_dg2(holder.photo, holder.sex));
    lds.set(dg_file_id(11), encode_dg11(holder));
    const bool v2 = options.docket_format_version >= 2;
    lds.set(dg_file_id(12), encode_dg12(options.issuing_authority, holder.date_of_issue,
                                        v2 ? std::optional<std::string_view>(card_endorsement) : std::nullopt));
    DocketData docket = docket_data(holder);
    docket.version = options.docket_format_version;
    lds.set(dg_file_id(13), encode_dg13(docket));
    if (options.aa_public_key_spki) {
        lds.set(dg_file_id(14), encode_dg14_aa_ecdsa_sha256());
        lds.set(dg_file_id(15), encode_dg15(*options.aa_public_key_spki));
    }
    lds.set(fid_com, encode_com(lds.data_groups()));
    return lds;
}

}  // namespace docketcard::lds
