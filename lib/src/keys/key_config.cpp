#include "docketcard/keys/key_config.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::keys {

namespace {

constexpr std::size_t kMaxConfig = 64 * 1024;

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

constexpr const char* kNames =
    "pkcs11_module, document_signer_key, document_signer_certificate, scp03_master, scp03_kvn, scp03_enc, "
    "scp03_mac, scp03_dek";

}  // namespace

KeyConfig parse_key_config(std::string_view text, const std::filesystem::path& dir, const std::string& origin) {
    if (text.size() > kMaxConfig) {
        throw ParseError(fmt::format("{}: {} bytes; a keys.toml has at most {}", origin, text.size(), kMaxConfig));
    }
    KeyConfig c;
    c.dir = dir;
    c.document_signer_key = dir / "document-signer.key";
    c.document_signer_certificate = dir / "document-signer.pem";
    c.scp03_master_file = dir / "scp03-master.txt";
    std::set<std::string> seen;
    std::size_t line_no = 0;
    auto fail = [&](const std::string& what) -> void {
        throw ParseError(fmt::format("{}, line {}: {}", origin, line_no, what));
    };

    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.front() == '[') fail("tables ([...]) are not used in keys.toml: write name = \"value\" lines");
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) fail(fmt::format("expected name = \"value\" (names: {})", kNames));
        const std::string name(trim(line.substr(0, eq)));
        if (name.size() > 40 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos ||
            name.empty()) {
            fail(fmt::format("a name is lower-case letters, digits and '_' (names: {})", kNames));
        }
        std::string_view rest = trim(line.substr(eq + 1));
        if (rest.empty() || (rest.front() != '"' && rest.front() != '\'')) {
            fail(fmt::format("field '{}': the value must be a quoted string, e.g. {} = \"...\"", name, name));
        }
        const char quote = rest.front();
        std::string value;
        std::size_t i = 1;
        bool closed = false;
        for (; i < rest.size(); ++i) {
            const char ch = rest[i];
            if (ch == quote) {
                closed = true;
                ++i;
                break;
            }
            if (quote == '"' && ch == '\\') {
                if (i + 1 >= rest.size()) break;
                const char e = rest[++i];
                if (e == '"' || e == '\\') value.push_back(e);
                else if (e == 't') value.push_back('\t');
                else fail(fmt::format("field '{}': escape \\{} is not accepted (only \\\" \\\\ \\t)", name, e));
                continue;
            }
            if (static_cast<unsigned char>(ch) < 0x20) fail(fmt::format("field '{}': control character in the string", name));
            value.push_back(ch);
        }
        if (!closed) fail(fmt::format("field '{}': the string is not closed with {}", name, quote));
        const std::string_view after = trim(rest.substr(i));
        if (!after.empty() && after.front() != '#') fail(fmt::format("field '{}': text after the closing quote", name));
        if (!seen.insert(name).second) fail(fmt::format("field '{}' given twice", name));

        const std::string where = fmt::format("{}, line {}, field '{}'", origin, line_no, name);
        auto location = [&]() -> KeyLocation {
            if (is_pkcs11_uri(value)) return parse_pkcs11_uri(value, where);
            if (value.empty()) fail(fmt::format("field '{}' is empty: give a file name or a pkcs11: URI", name));
            std::filesystem::path p(value);
            return p.is_absolute() ? p : dir / p;
        };
        auto uri = [&]() -> Pkcs11Uri {
            if (!is_pkcs11_uri(value)) fail(fmt::format("field '{}' must be a pkcs11: URI of a secret-key object", name));
            Pkcs11Uri u = parse_pkcs11_uri(value, where);
            if (u.type && *u.type != ObjectType::SecretKey) fail(fmt::format("field '{}': the URI's type must be secret-key", name));
            return u;
        };
        if (name == "pkcs11_module") {
            if (value.empty() || value.front() != '/') fail("field 'pkcs11_module' must be the absolute path of a PKCS#11 module (.so)");
            c.pkcs11_module = value;
        } else if (name == "document_signer_key") {
            c.document_signer_key = location();
        } else if (name == "document_signer_certificate") {
            c.document_signer_certificate = location();
        } else if (name == "scp03_master") {
            if (is_pkcs11_uri(value)) {
                fail("field 'scp03_master' is the key file; for keys in a token use scp03_kvn, scp03_enc, scp03_mac and scp03_dek");
            }
            const KeyLocation l = location();
            c.scp03_master_file = std::get<std::filesystem::path>(l);
        } else if (name == "scp03_kvn") {
            if (value.size() != 2 || value.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
                fail("field 'scp03_kvn' must be two hex digits 01..7F, e.g. \"30\"");
            }
            const auto v = static_cast<std::uint8_t>(std::stoul(value, nullptr, 16));
            if (v == 0 || v > 0x7F) fail("field 'scp03_kvn' must be two hex digits 01..7F, e.g. \"30\"");
            c.scp03_kvn = v;
        } else if (name == "scp03_enc") {
            c.scp03_enc = uri();
        } else if (name == "scp03_mac") {
            c.scp03_mac = uri();
        } else if (name == "scp03_dek") {
            c.scp03_dek = uri();
        } else {
            fail(fmt::format("unknown field '{}' (names: {})", name, kNames));
        }
    }
    const bool any = c.scp03_enc || c.scp03_mac || c.scp03_dek;
    const bool all = c.scp03_enc && c.scp03_mac && c.scp03_dek && c.scp03_kvn;
    if ((any || c.scp03_kvn) && !all) {
        throw ParseError(fmt::format("{}: scp03_kvn, scp03_enc, scp03_mac and scp03_dek go together (SCP03 master keys "
                                     "in a token); give all four or none",
                                     origin));
    }
    if (any && seen.count("scp03_master")) {
        throw ParseError(fmt::format("{}: scp03_master (key file) and scp03_enc/mac/dek (token) exclude each other", origin));
    }
    return c;
}

KeyConfig load_key_config(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error(ErrorKind::InvalidInput, fmt::format("keys folder {} does not exist or is not a folder", dir.string()));
    }
    const auto file = dir / kKeyConfigFile;
    if (!std::filesystem::exists(file)) return parse_key_config("", dir, file.string());
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot read the key role file", file.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_key_config(ss.str(), dir, file.string());
}

}  // namespace docketcard::keys
