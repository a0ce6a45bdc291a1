// A scripted ApduLink for transport tests: each step expects one exact command and answers one
// response; an unexpected command fails with the step number.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <fmt/core.h>

#include "docketcard/transport/link.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::transport::test {

class ScriptedLink final : public ApduLink {
public:
    struct Step {
        std::string command_hex;
        std::string response_hex;
    };
    ScriptedLink(std::vector<Step> steps, Capabilities caps = {}) : steps_(std::move(steps)), caps_(caps) {}

    Bytes exchange(ByteView command) override {
        if (next_ >= steps_.size()) {
            throw Error(ErrorKind::Internal, fmt::format("step {}: unexpected extra command {}", next_ + 1, to_hex(command)));
        }
        const Step& s = steps_[next_];
        if (to_hex(command) != to_hex(from_hex(s.command_hex))) {
            throw Error(ErrorKind::Internal, fmt::format("step {}: expected command {}, got {}", next_ + 1,
                                                         to_hex(from_hex(s.command_hex)), to_hex(command)));
        }
        ++next_;
        return from_hex(s.response_hex);
    }
    Capabilities capabilities() const override { return caps_; }
    Bytes atr() const override { return from_hex("3B8080018181"); }
    std::string description() const override { return "scripted link"; }
    bool done() const { return next_ == steps_.size(); }

private:
    std::vector<Step> steps_;
    std::size_t next_ = 0;
    Capabilities caps_;
};

/// A LinkChannel over a ScriptedLink, keeping a pointer to the link to check completion.
using Steps = std::vector<ScriptedLink::Step>;

struct ScriptedChannel {
    explicit ScriptedChannel(std::vector<ScriptedLink::Step> steps, Capabilities caps = {}) {
        auto l = std::make_unique<ScriptedLink>(std::move(steps), caps);
        link = l.get();
        channel = std::make_unique<LinkChannel>(std::move(l));
    }
    ScriptedLink* link;
    std::unique_ptr<LinkChannel> channel;
};

inline Capabilities extended_caps() {
    Capabilities c;
    c.extended_length = true;
    c.max_command_data = 65535;
    c.max_response_data = 65536;
    return c;
}

}  // namespace docketcard::transport::test
