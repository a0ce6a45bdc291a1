// A transport::CardChannel that replays a recorded exchange, for unit tests of protocol code.
//
// Built from a list of steps (expected command hex, response hex). Each transmit() encodes the
// command (ISO/IEC 7816-4 5.1, short form when possible), compares it with the next expected one
// and returns the recorded response. A mismatch or an extra command throws ReplayMismatch naming
// the step number and both hex strings, so Catch2 reports exactly where the exchange diverged.
// done() throws when steps remain unconsumed. No global state: one object per test.
//
//     docketcard::testing::ReplayChannel card({
//         {"0084000008", "4608F919887022129000"},
//     });
//     ... protocol code talks to `card` ...
//     card.done();
#pragma once

#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "docketcard/apdu/apdu.hpp"
#include "docketcard/transport/channel.hpp"
#include "docketcard/util/bytes.hpp"

namespace docketcard::testing {

/// Thrown by ReplayChannel. Deliberately not a docketcard::Error, so library code that handles
/// card errors never swallows a test failure.
class ReplayMismatch : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

class ReplayChannel : public transport::CardChannel {
public:
    /// One recorded exchange: the command the protocol code must send, the card's answer
    /// (data || SW1 SW2). Hex may contain spaces and lower case.
    struct Step {
        std::string command;
        std::string response;
    };

    explicit ReplayChannel(std::vector<Step> steps, transport::Capabilities caps = {}, Bytes atr = {},
                           std::string description = "replay")
        : steps_(std::move(steps)), caps_(caps), atr_(std::move(atr)), description_(std::move(description)) {
        for (auto& s : steps_) {
            s.command = to_hex(from_hex(s.command));
            s.response = to_hex(from_hex(s.response));
        }
    }
    /// Brace form `ReplayChannel card({{"cmd", "rsp"}, ...})` (also with a single step).
    ReplayChannel(std::initializer_list<Step> steps, transport::Capabilities caps = {})
        : ReplayChannel(std::vector<Step>(steps), caps) {}

    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        const std::string sent = to_hex(command.encode());
        sent_.push_back(sent);
        if (next_ >= steps_.size()) {
            throw ReplayMismatch("replay: unexpected command #" + std::to_string(next_ + 1) + " " + sent +
                                 ": all " + std::to_string(steps_.size()) + " recorded step(s) were already used");
        }
        const Step& step = steps_[next_];
        if (sent != step.command) {
            throw ReplayMismatch("replay: step " + std::to_string(next_ + 1) + " of " +
                                 std::to_string(steps_.size()) + ": expected command\n  " + step.command +
                                 "\nbut got\n  " + sent);
        }
        ++next_;
        return apdu::ResponseApdu::parse(from_hex(step.response));
    }

    transport::Capabilities capabilities() const override { return caps_; }
    Bytes atr() const override { return atr_; }
    std::string description() const override { return description_; }

    /// Number of steps consumed so far.
    std::size_t consumed() const noexcept { return next_; }
    /// True when every recorded step was used.
    bool all_consumed() const noexcept { return next_ == steps_.size(); }
    /// Every command sent, as hex, in order (also the unexpected ones).
    const std::vector<std::string>& sent() const noexcept { return sent_; }

    /// Throws ReplayMismatch naming the first unused step when the exchange is not complete.
    void done() const {
        if (all_consumed()) return;
        throw ReplayMismatch("replay: only " + std::to_string(next_) + " of " + std::to_string(steps_.size()) +
                             " step(s) were used; step " + std::to_string(next_ + 1) + " expected command " +
                             steps_[next_].command);
    }

private:
    std::vector<Step> steps_;
    transport::Capabilities caps_;
    Bytes atr_;
    std::string description_;
    std::size_t next_ = 0;
    std::vector<std::string> sent_;
};

}  // namespace docketcard::testing
