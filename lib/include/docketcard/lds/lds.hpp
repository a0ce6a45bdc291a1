// The Logical Data Structure of the Secure Docket Card (ICAO Doc 9303 Part 10): encoders that
// return the exact bytes of each elementary file (tag and length included) and bounds-checked
// decoders used by verification. Every decoder throws ParseError naming the file and the field.
//
//   EF.COM 011E  tag 60  LDS version, Unicode version, tag list        (Part 10, 4.6.1)
//   DG1    0101  tag 61  TD1 MRZ, 90 characters                         (Part 10, 4.7.1)
//   DG2    0102  tag 75  face: ISO/IEC 19794-5:2005 record in a BIT     (Part 10, 4.7.2)
//   DG11   010B  tag 6B  full name, place of birth                      (Part 10, 4.7.11)
//   DG12   010C  tag 6C  issuing authority, date of issue               (Part 10, 4.7.12)
//   DG13   010D  tag 6D  docket data (docs/docket-data.md)              (Part 10, 4.7.13)
//   DG14   010E  tag 6E  SecurityInfos: ActiveAuthenticationInfo        (Part 11, 6.1 / 9.2)
//   DG15   010F  tag 6F  Active Authentication public key (SPKI)        (Part 10, 4.7.15)
//   EF.SOD 011D  tag 77  Document Security Object (lib/pki)             (Part 10, 4.6.2)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "docketcard/record/record.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::lds {

/// File identifiers of LDS1 (Doc 9303 Part 10, 4.1 table 35).
inline constexpr std::uint16_t fid_com = 0x011E;
inline constexpr std::uint16_t fid_sod = 0x011D;
/// File identifier of data group `dg` (1..16): 0x0100 + dg. Throws Error(Internal) outside 1..16.
std::uint16_t dg_file_id(int dg);
/// Tag of data group `dg` (1..16), Part 10 4.6.1 table 36 (DG1 61, DG2 75, ... DG16 70).
tlv::Tag dg_tag(int dg);
/// Data group number of a DG tag; nullopt when `tag` is not a DG tag.
std::optional<int> dg_number_for_tag(tlv::Tag tag);
/// Short name of a file id: "EF.COM", "EF.SOD", "DG1".. ; "file XXXX" otherwise.
std::string file_name(std::uint16_t fid);

// ---- EF.COM --------------------------------------------------------------------------------

/// EF.COM (Part 10, 4.6.1): 60 { 5F01 "0107" (LDS 1.7), 5F36 "040000" (Unicode 4.0.0),
/// 5C tag list of `data_groups` in ascending order }. Throws Error(Internal) on a DG outside 1..16.
Bytes encode_com(const std::vector<int>& data_groups);

/// Content of EF.COM.
struct Com {
    std::string lds_version;       ///< "0107"
    std::string unicode_version;   ///< "040000"
    std::vector<int> data_groups;  ///< from the tag list, in file order
};
/// Parses EF.COM; throws ParseError on any structural problem or an unknown tag in the list.
Com decode_com(ByteView ef);

// ---- DG1 -----------------------------------------------------------------------------------

/// DG1 (Part 10, 4.7.1): 61 5B 5F1F 5A <the 90 MRZ characters of a TD1>. Throws Error
/// (InvalidInput) unless `mrz90` is exactly 90 characters of 0-9 A-Z <.
Bytes encode_dg1(std::string_view mrz90);
/// The MRZ characters of DG1 (90 for a TD1; 72/88 accepted for other formats).
std::string decode_dg1(ByteView ef);

// ---- DG2 -----------------------------------------------------------------------------------

/// Image encodings allowed in an ISO/IEC 19794-5:2005 face record (5.7.2 image data type).
enum class ImageFormat : std::uint8_t { Jpeg = 0, Jpeg2000 = 1 };

/// What the DG2 encoder needs to know about a photo.
struct ImageProperties {
    ImageFormat format = ImageFormat::Jpeg;
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    int components = 0;   ///< colour components (1 grey, 3 colour); 0 when unknown
};

/// Reads format and dimensions from a JPEG (SOFn segment, ITU-T T.81 B.2.2), a JP2 file
/// (ihdr box in jp2h, ISO/IEC 15444-1 I.5.3.1) or a raw J2K codestream (SIZ marker, A.5.1).
/// Bounds-checked; throws ParseError on a malformed or unsupported image, or a dimension above
/// 65535 (19794-5 stores two bytes).
ImageProperties probe_image(ByteView image);

/// ISO/IEC 19794-5 5.5.3 gender code for a record sex: 'M' -> 1, 'F' -> 2, 'X' -> 0
/// (unspecified; 0xFF "unknown" is never written because 'X' is a stated value, not a gap).
std::uint8_t gender_code(char sex) noexcept;

/// DG2 (Part 10, 4.7.2): 75 { 7F61 { 02 01 01, 7F60 { A1 { 80 0101, 81 02, 87 0101, 88 0008 },
/// 5F2E <ISO/IEC 19794-5:2005 face record> } } }. The face record holds one full-frontal image
/// with no feature points; width/height/colour space come from probe_image. Throws ParseError
/// when the image cannot be read.
Bytes encode_dg2(ByteView image, char sex);

/// ISO/IEC 19794-5:2005 face record (5.4 header, 5.5 facial information, 5.7 image information).
Bytes encode_face_record(ByteView image, char sex);

/// The face image found in DG2.
struct FaceImage {
    ImageFormat format = ImageFormat::Jpeg;
    std::uint16_t width = 0;
    std::uint16_t height = 0;
    std::uint8_t gender = 0;
    std::uint8_t face_image_type = 0;
    Bytes image;   ///< the JPEG / JPEG 2000 bytes
};
/// Parses DG2 down to the first face image; checks format owner 0101 / type 0008 and every
/// length of the 19794-5 record. Throws ParseError.
FaceImage decode_dg2(ByteView ef);

// ---- DG11, DG12 ----------------------------------------------------------------------------

/// DG11 (Part 10, 4.7.11): 6B { 5C tag list, 5F0E full name "SURNAME<<GIVEN NAMES" in UTF-8,
/// 5F11 place of birth when present }.
Bytes encode_dg11(const record::HolderRecord& holder);
/// The content of DG11 as decode_dg11 reads it.
struct Dg11 {
    std::string full_name;
    std::optional<std::string> place_of_birth;
};
/// Reads DG11 (Part 10, 4.7.11), bounds-checked; throws ParseError on malformed bytes.
Dg11 decode_dg11(ByteView ef);
/// "SURNAME<<GIVEN NAMES" (only the surname when there are no given names), as in DG11 5F0E.
std::string dg11_full_name(const record::HolderRecord& holder);

/// Issuing authority written in DG12 unless EncodeOptions says otherwise.
inline constexpr std::string_view default_issuing_authority = "U.S. DEPARTMENT OF HOMELAND SECURITY";

/// The "endorsements and observations" every Secure Docket Card carries in DG12 (tag 5F1B), so
/// that any ICAO inspection system shows what the card is not.
inline constexpr std::string_view card_endorsement = "NOT A FEDERAL ID. FOR DHS USE ONLY.";

/// DG12 (Part 10, 4.7.12): 6C { 5C 5F19 5F26 [5F1B], 5F19 issuing authority (UTF-8), 5F26 date of
/// issue YYYYMMDD, 5F1B endorsements and observations (UTF-8) when given }, in the order of the
/// Part 10 table.
Bytes encode_dg12(std::string_view issuing_authority, const record::Date& date_of_issue,
                  std::optional<std::string_view> endorsements = std::nullopt);
/// The content of DG12 as decode_dg12 reads it.
struct Dg12 {
    std::string issuing_authority;
    std::string date_of_issue;   ///< YYYYMMDD as stored
    std::optional<std::string> endorsements;   ///< 5F1B
};
/// Reads DG12 (Part 10, 4.7.12), bounds-checked; throws ParseError on malformed bytes.
Dg12 decode_dg12(ByteView ef);

// ---- DG13 ----------------------------------------------------------------------------------

/// Version of the DG13 docket layout written by encode_dg13 by default (docs/docket-data.md).
/// Version 1 (docket only) is still read, and written when asked (cards issued before v2).
inline constexpr std::uint8_t docket_format_version = 2;

/// The DG13 content: the holder's A-number and docket (version 1), the release documents, the
/// background check and the portal reference (version 2).
struct DocketData {
    std::string a_number;
    record::Docket docket;
    std::vector<record::ReleaseDocument> documents;   ///< v2
    std::string background_check_reference;           ///< v2
    record::Date background_check_cleared_on;         ///< v2
    std::optional<SecureBytes> portal_reference;      ///< v2, optional; a credential
    std::uint8_t version = docket_format_version;     ///< 1 or 2
};
/// The DG13 content of a holder: the record's A-number, docket, documents, background-check
/// reference and date (not the agency), portal reference.
DocketData docket_data(const record::HolderRecord& holder);
/// DG13 (Part 10, 4.7.13, "optional details", layout chosen by the issuer), docs/docket-data.md:
/// 6D { 80 version, 81 A-number, 82 court, 83 case number, 84 next hearing, 85 release type,
/// 86 reporting office, 87 check-in interval (2 bytes), 88 condition (repeated) } and, in version
/// 2, A9 document (repeated; 80 form, 81 title, 82 number, 83 issued, [84 expires], [85 issued
/// by]), 8A background-check reference, 8B cleared on, [8C portal reference]. Throws
/// Error(InvalidInput) when a value does not fit (interval outside 0..65535, version not 1/2).
Bytes encode_dg13(const DocketData& data);
/// Parses DG13 version 1 or 2; throws ParseError on another version, a missing/duplicated/unknown
/// field, a bad release type code, a bad date or a malformed length.
DocketData decode_dg13(ByteView ef);

// ---- DG14, DG15 ----------------------------------------------------------------------------

/// DG14 (Part 10, 4.7.14; Part 11, 6.1 and 9.2): 6E { SET { ActiveAuthenticationInfo {
/// id-icao-mrtd-security-aaProtocolObject 2.23.136.1.1.5, version 1, ecdsa-with-SHA256
/// 1.2.840.10045.4.3.2 } } } in DER.
Bytes encode_dg14_aa_ecdsa_sha256();
/// DG15 (Part 10, 4.7.15): 6F { DER SubjectPublicKeyInfo }. Throws ParseError unless `spki` is
/// a well-formed DER SEQUENCE.
Bytes encode_dg15(ByteView spki);
/// The SubjectPublicKeyInfo bytes held by DG15.
Bytes decode_dg15(ByteView ef);

// ---- the whole LDS -------------------------------------------------------------------------

/// Every elementary file of one card, by file id (EF.COM 011E, DGn 0100+n, EF.SOD 011D).
class Lds {
public:
    std::map<std::uint16_t, Bytes> files;

    /// Stores (or replaces) a file.
    void set(std::uint16_t fid, Bytes bytes) { files[fid] = std::move(bytes); }
    bool has(std::uint16_t fid) const { return files.count(fid) != 0; }
    /// The bytes of a file; throws Error(Internal) when it is absent.
    const Bytes& get(std::uint16_t fid) const;
    /// The data groups present, ascending, as numbers (1..16).
    std::vector<int> data_groups() const;
    /// DG number -> bytes, the input of the Document Security Object.
    std::map<int, Bytes> data_group_bytes() const;
};

/// Options of encode_holder.
struct EncodeOptions {
    std::string issuing_authority = std::string(default_issuing_authority);
    /// When set (DER SubjectPublicKeyInfo of the card's AA key), DG14 and DG15 are added.
    std::optional<Bytes> aa_public_key_spki;
    /// DG13 layout: 2 (documents, background check, portal reference; DG12 carries the
    /// endorsement), or 1 to make a card as issued before version 2.
    std::uint8_t docket_format_version = lds::docket_format_version;
};

/// Builds EF.COM, DG1 (MRZ from mrz::make_td1), DG2, DG11, DG12, DG13 (and DG14/DG15 when the
/// AA key is given) for one validated holder; EF.COM lists exactly the DGs produced. EF.SOD is
/// added by pki::sign_sod.
Lds encode_holder(const record::HolderRecord& holder, const EncodeOptions& options = {});

}  // namespace docketcard::lds
