// libFuzzer target: the terminal side of PACE (sm::perform_pace) over a scripted chip. The input
// is the chip's answers, each a 2-byte big-endian length and that many bytes (data || SW), handed
// out in order: MSE:Set AT, then the four GENERAL AUTHENTICATE steps. The dynamic authentication
// data (7C {80 | 82 | 84 | 86}) and the points in it come from outside and must be bounds- and
// curve-checked; anything but a docketcard::Error escaping is a bug.
#include <cstddef>
#include <cstdint>
#include <deque>

#include "docketcard/sm/pace.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;

namespace {

class ScriptedChip : public transport::CardChannel {
public:
    explicit ScriptedChip(ByteView in) {
        std::size_t at = 0;
        while (at + 2 <= in.size()) {
            const std::size_t n = (static_cast<std::size_t>(in[at]) << 8) | in[at + 1];
            at += 2;
            const std::size_t take = n < in.size() - at ? n : in.size() - at;
            answers_.emplace_back(in.begin() + static_cast<std::ptrdiff_t>(at),
                                  in.begin() + static_cast<std::ptrdiff_t>(at + take));
            at += take;
        }
    }
    apdu::ResponseApdu transmit(const apdu::CommandApdu&) override {
        if (answers_.empty()) return apdu::ResponseApdu::parse(Bytes{0x6F, 0x00});
        const Bytes a = std::move(answers_.front());
        answers_.pop_front();
        return apdu::ResponseApdu::parse(a);
    }
    transport::Capabilities capabilities() const override { return {}; }
    Bytes atr() const override { return {}; }
    std::string description() const override { return "fuzz chip"; }

private:
    std::deque<Bytes> answers_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ScriptedChip chip(ByteView(data, size));
    std::uint8_t counter = 1;
    const crypto::RandomSource random = [&counter](std::span<std::uint8_t> out) {
        for (auto& b : out) b = counter++;
    };
    try {
        (void)sm::perform_pace(chip, {}, crypto::pace::PasswordKind::Can, "123456", random);
    } catch (const Error&) {
    }
    return 0;
}
