// libFuzzer target: the SCP03 master key file parser (sm::parse_scp03_master_keys, text
// `field=value` lines; GP Amendment D 4.1.1 key sets) over arbitrary text. What is accepted must be
// a key version 01..7F and three AES keys of one length. What is refused must be
// Error(InvalidInput) naming the origin and the line or field, and must never carry key material:
// no run of 32 hex digits from the input may appear in the message.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

constexpr std::size_t kRun = 32;

[[noreturn]] void fail(const char* why, const std::string& message) {
    std::fprintf(stderr, "fuzz_keys: %s: %s\n", why, message.c_str());
    std::abort();
}

bool hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Whether any 32 consecutive hex digits of `message` also occur, in the same case, in `input`.
bool leaks(std::string_view message, std::string_view input) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < message.size(); ++i) {
        run = hex(message[i]) ? run + 1 : 0;
        if (run >= kRun && input.find(message.substr(i + 1 - kRun, kRun)) != std::string_view::npos) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const sm::Scp03Keys k = sm::parse_scp03_master_keys(text, "fuzz-keys.txt");
        if (k.kvn == 0 || k.kvn > 0x7F) fail("accepted a key version outside 01..7F", std::to_string(k.kvn));
        const std::size_t n = k.enc.size();
        if ((n != 16 && n != 24 && n != 32) || k.mac.size() != n || k.dek.size() != n)
            fail("accepted keys that are not three AES keys of one length", std::to_string(n));
    } catch (const Error& e) {
        const std::string message = e.what();
        if (e.kind() != ErrorKind::InvalidInput) fail("refused with an error kind other than InvalidInput", message);
        if (message.find("fuzz-keys.txt") == std::string::npos) fail("message does not name the origin", message);
        if (message.find("line ") == std::string::npos && message.find("field") == std::string::npos)
            fail("message names neither a line nor a field", message);
        if (leaks(message, text)) fail("message carries key material", message);
    }
    return 0;
}
