// libFuzzer target: the RFC 7512 PKCS#11 URI parser and the keys.toml parser (lib/keys) over
// arbitrary text. Accepted URIs must round-trip their text; refusals must be ParseError naming the
// origin, and a pin-value must never appear in a message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "docketcard/keys/key_config.hpp"
#include "docketcard/keys/pkcs11_uri.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {
[[noreturn]] void fail(const char* why, const std::string& message) {
    std::fprintf(stderr, "fuzz_pkcs11_uri: %s: %s\n", why, message.c_str());
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const keys::Pkcs11Uri u = keys::parse_pkcs11_uri(text, "fuzz-uri");
        if (u.text != text) fail("accepted URI does not keep its text", u.text);
        if (u.module_path && (u.module_path->empty() || u.module_path->front() != '/')) fail("relative module-path", *u.module_path);
    } catch (const ParseError& e) {
        const std::string m = e.what();
        if (m.rfind("fuzz-uri: ", 0) != 0) fail("message does not start with the origin", m);
        const auto pv = text.find("pin-value=");
        if (pv != std::string_view::npos) {
            std::string_view pin = text.substr(pv + 10);
            pin = pin.substr(0, pin.find('&'));
            if (pin.size() >= 4 && m.find(pin) != std::string::npos) fail("message carries the pin-value", m);
        }
    }
    try {
        keys::parse_key_config(text, "/k", "fuzz-keys.toml");
    } catch (const ParseError& e) {
        if (std::string(e.what()).rfind("fuzz-keys.toml", 0) != 0) fail("keys.toml message does not name the file", e.what());
    }
    return 0;
}
