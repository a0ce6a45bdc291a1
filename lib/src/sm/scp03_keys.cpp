#include "docketcard/sm/scp03_keys.hpp"

#include <fstream>
#include <iterator>

#include <fmt/core.h>

#include "docketcard/crypto/kdf.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::sm {

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

}  // namespace

Scp03Keys parse_scp03_master_keys(std::string_view text, const std::string& origin) {
    Scp03Keys keys;
    bool have_kvn = false;
    std::size_t line_no = 0;
    auto fail = [&](const std::string& what) -> void {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}, line {}: {}", origin, line_no, what));
    };

    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        const std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;

        const auto eq = line.find('=');
        if (eq == std::string_view::npos) fail("expected field=value (fields: kvn, enc, mac, dek)");
        const std::string field(trim(line.substr(0, eq)));
        const std::string_view value = trim(line.substr(eq + 1));

        if (field == "kvn") {
            if (have_kvn) fail("field 'kvn' given twice");
            Bytes v;
            try {
                v = from_hex(value);
            } catch (const Error&) {
                fail("field 'kvn' is not two hex digits");
            }
            if (v.size() != 1 || v[0] == 0 || v[0] > 0x7F) fail("field 'kvn' must be one byte 01..7F in hex, e.g. kvn=30");
            keys.kvn = v[0];
            have_kvn = true;
            continue;
        }
        SecureBytes* slot = field == "enc" ? &keys.enc : field == "mac" ? &keys.mac : field == "dek" ? &keys.dek : nullptr;
        if (!slot) {
            // A long "field" is most likely key material on the wrong side of '=': never echo it.
            fail(field.size() <= 12 ? fmt::format("unknown field '{}' (fields: kvn, enc, mac, dek)", field)
                                    : fmt::format("unknown field of {} characters before '=' (fields: kvn, enc, mac, "
                                                  "dek; the value goes after '=')",
                                                  field.size()));
        }
        if (!slot->empty()) fail(fmt::format("field '{}' given twice", field));
        try {
            *slot = secure_from_hex(value);
        } catch (const Error& e) {
            fail(fmt::format("field '{}': {}", field, e.what()));
        }
        if (slot->size() != 16 && slot->size() != 24 && slot->size() != 32) {
            fail(fmt::format("field '{}' is {} bytes; an AES key has 16, 24 or 32", field, slot->size()));
        }
    }

    auto missing = [&](const char* field) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: field '{}' is missing", origin, field));
    };
    if (!have_kvn) missing("kvn");
    if (keys.enc.empty()) missing("enc");
    if (keys.mac.empty()) missing("mac");
    if (keys.dek.empty()) missing("dek");
    if (keys.mac.size() != keys.enc.size() || keys.dek.size() != keys.enc.size()) {
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}: fields 'enc', 'mac' and 'dek' must be keys of the same length", origin));
    }
    return keys;
}

Scp03Keys load_scp03_master_keys(const std::filesystem::path& keys_dir) {
    const std::filesystem::path file = keys_dir / kScp03MasterFile;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot open the SCP03 master key file", file.string()));
    }
    SecureBytes content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(ErrorKind::InvalidInput, fmt::format("{}: read error", file.string()));
    return parse_scp03_master_keys(
        std::string_view(reinterpret_cast<const char*>(content.data()), content.size()), file.string());
}

Scp03Keys diversify_scp03_keys(const Scp03Keys& master, ByteView kdd) {
    Scp03Keys out;
    out.kvn = master.kvn;
    out.enc = crypto::diversify_kdf3(view(master.enc), 1, kdd);
    out.mac = crypto::diversify_kdf3(view(master.mac), 2, kdd);
    out.dek = crypto::diversify_kdf3(view(master.dek), 3, kdd);
    return out;
}

Scp03Keys FileMasterKeys::card_keys(ByteView kdd) const { return diversify_scp03_keys(keys_, kdd); }

}  // namespace docketcard::sm
