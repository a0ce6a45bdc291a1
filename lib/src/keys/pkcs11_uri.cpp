#include "docketcard/keys/pkcs11_uri.hpp"

#include <cctype>
#include <string>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"

namespace docketcard::keys {

namespace {

constexpr std::size_t kMaxUri = 4096;

bool unreserved(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

// RFC 7512 2.3: pk11-p-res-avail and pk11-q-res-avail (the query also allows / ? |).
bool allowed(char c, bool query) {
    if (unreserved(c)) return true;
    switch (c) {
        case ':': case '[': case ']': case '@': case '!': case '$': case '\'': case '(': case ')':
        case '*': case '+': case ',': case '=': case '&':
            return c != '&' || !query;  // '&' separates query attributes, inside a path value it is allowed
        case '/': case '?': case '|': return query;
        default: return false;
    }
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

struct Parser {
    const std::string& origin;

    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError(fmt::format("{}: PKCS#11 URI: {} (RFC 7512; example: "
                                     "pkcs11:token=docket-site;object=document-signer;type=private)",
                                     origin, what));
    }

    Bytes decode(std::string_view value, std::string_view name, bool query) const {
        Bytes out;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const char c = value[i];
            if (c == '%') {
                if (i + 2 >= value.size()) {
                    fail(fmt::format("attribute '{}': '%' must be followed by two hex digits", name));
                }
                const int hi = hex_digit(value[i + 1]);
                const int lo = hex_digit(value[i + 2]);
                if (hi < 0 || lo < 0) fail(fmt::format("attribute '{}': '%' must be followed by two hex digits", name));
                out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
                i += 2;
            } else if (allowed(c, query)) {
                out.push_back(static_cast<std::uint8_t>(c));
            } else {
                fail(fmt::format("attribute '{}': character {} must be percent-encoded",
                                 name, std::isprint(static_cast<unsigned char>(c)) ? fmt::format("'{}'", c)
                                                                                   : fmt::format("0x{:02X}", static_cast<unsigned char>(c))));
            }
        }
        return out;
    }

    std::string decode_text(std::string_view value, std::string_view name, bool query) const {
        const Bytes b = decode(value, name, query);
        for (auto ch : b) {
            if (ch == 0) fail(fmt::format("attribute '{}' holds a NUL byte", name));
        }
        return std::string(b.begin(), b.end());
    }
};

template <class T>
void set_once(std::optional<T>& slot, T value, std::string_view name, const Parser& p) {
    if (slot) p.fail(fmt::format("attribute '{}' given twice", name));
    slot = std::move(value);
}

}  // namespace

const char* to_string(ObjectType type) noexcept {
    switch (type) {
        case ObjectType::Public: return "public";
        case ObjectType::Private: return "private";
        case ObjectType::Certificate: return "cert";
        case ObjectType::SecretKey: return "secret-key";
        case ObjectType::Data: return "data";
    }
    return "?";
}

bool is_pkcs11_uri(std::string_view text) noexcept {
    constexpr std::string_view scheme = "pkcs11:";
    if (text.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != scheme[i]) return false;
    }
    return true;
}

std::string Pkcs11Uri::describe() const { return text; }

Pkcs11Uri parse_pkcs11_uri(std::string_view text, const std::string& origin) {
    Parser p{origin};
    if (text.size() > kMaxUri) {
        throw ParseError(fmt::format("{}: PKCS#11 URI of {} characters; at most {} are accepted", origin, text.size(), kMaxUri));
    }
    if (!is_pkcs11_uri(text)) p.fail("does not start with 'pkcs11:'");
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) {
            throw ParseError(fmt::format("{}: PKCS#11 URI: contains a space or a non-printable or non-ASCII character "
                                         "(percent-encode it, RFC 7512 2.3)",
                                         origin));
        }
    }
    Pkcs11Uri u;
    u.text = std::string(text);
    std::string_view rest = text.substr(7);
    const auto q = rest.find('?');
    const std::string_view path = rest.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1);

    auto split = [&](std::string_view part, char sep, bool is_query, auto&& each) {
        while (!part.empty()) {
            const auto end = part.find(sep);
            const std::string_view attr = part.substr(0, end);
            part = end == std::string_view::npos ? std::string_view{} : part.substr(end + 1);
            if (attr.empty()) p.fail(fmt::format("empty attribute (two '{}' in a row or a trailing '{}')", sep, sep));
            const auto eq = attr.find('=');
            if (eq == std::string_view::npos || eq == 0) {
                p.fail(fmt::format("'{}' is not name=value", attr.substr(0, std::min<std::size_t>(attr.size(), 40))));
            }
            const std::string_view name = attr.substr(0, eq);
            for (char c : name) {
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
                    p.fail(fmt::format("attribute name '{}' has characters other than letters, digits and '-'",
                                       name.substr(0, std::min<std::size_t>(name.size(), 40))));
                }
            }
            each(name, attr.substr(eq + 1), is_query);
        }
    };

    split(path, ';', false, [&](std::string_view name, std::string_view value, bool) {
        auto text_attr = [&](std::optional<std::string>& slot) { set_once(slot, p.decode_text(value, name, false), name, p); };
        if (name == "token") text_attr(u.token);
        else if (name == "manufacturer") text_attr(u.manufacturer);
        else if (name == "serial") text_attr(u.serial);
        else if (name == "model") text_attr(u.model);
        else if (name == "library-manufacturer") text_attr(u.library_manufacturer);
        else if (name == "library-description") text_attr(u.library_description);
        else if (name == "library-version") text_attr(u.library_version);
        else if (name == "slot-description") text_attr(u.slot_description);
        else if (name == "slot-manufacturer") text_attr(u.slot_manufacturer);
        else if (name == "object") text_attr(u.object);
        else if (name == "id") set_once(u.id, p.decode(value, name, false), name, p);
        else if (name == "slot-id") {
            const std::string v = p.decode_text(value, name, false);
            if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos) {
                p.fail("attribute 'slot-id' must be a decimal number");
            }
            set_once(u.slot_id, std::stoul(v), name, p);
        } else if (name == "type") {
            const std::string v = p.decode_text(value, name, false);
            ObjectType t = ObjectType::Data;
            if (v == "public") t = ObjectType::Public;
            else if (v == "private") t = ObjectType::Private;
            else if (v == "cert") t = ObjectType::Certificate;
            else if (v == "secret-key") t = ObjectType::SecretKey;
            else if (v == "data") t = ObjectType::Data;
            else p.fail("attribute 'type' must be public, private, cert, secret-key or data");
            set_once(u.type, t, name, p);
        } else if (name.substr(0, 2) == "x-") {
            p.decode(value, name, false);  // vendor attribute: checked, ignored
        } else {
            p.fail(fmt::format("unknown path attribute '{}' (token, manufacturer, serial, model, library-manufacturer, "
                               "library-description, library-version, slot-description, slot-manufacturer, slot-id, "
                               "object, id, type)",
                               name.substr(0, std::min<std::size_t>(name.size(), 40))));
        }
    });
    split(query, '&', true, [&](std::string_view name, std::string_view value, bool) {
        if (name == "pin-value") {
            p.fail("pin-value is refused: a PIN never goes into a URI, a file of settings or a command line; use "
                   "pin-source=file:PATH, $DOCKETCARD_PKCS11_PIN or the terminal prompt");
        } else if (name == "module-path") {
            set_once(u.module_path, p.decode_text(value, name, true), name, p);
            if (u.module_path->empty() || u.module_path->front() != '/') p.fail("attribute 'module-path' must be an absolute path");
        } else if (name == "pin-source") {
            set_once(u.pin_source, p.decode_text(value, name, true), name, p);
            if (u.pin_source->rfind("file:", 0) != 0 || u.pin_source->size() == 5) {
                p.fail("attribute 'pin-source' must be file:PATH (a file holding the PIN)");
            }
        } else if (name == "module-name") {
            p.fail("module-name is not supported: name the module with module-path=/path/to/module.so or pkcs11_module "
                   "in keys.toml");
        } else if (name.substr(0, 2) == "x-") {
            p.decode(value, name, true);
        } else {
            p.fail(fmt::format("unknown query attribute '{}' (module-path, pin-source)",
                               name.substr(0, std::min<std::size_t>(name.size(), 40))));
        }
    });
    return u;
}

}  // namespace docketcard::keys
