#include "docketcard/journal/journal.hpp"

#include <array>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/util/error.hpp"
#include "stored.hpp"

namespace docketcard::journal {

namespace {
constexpr std::array<std::pair<State, const char*>, 8> state_names{{
    {State::Pending, "pending"},
    {State::Rejected, "rejected"},
    {State::Writing, "writing"},
    {State::Written, "written"},
    {State::Locked, "locked"},
    {State::Verified, "verified"},
    {State::Spoiled, "spoiled"},
    {State::Superseded, "superseded"},
}};
}  // namespace

const char* to_string(State s) noexcept {
    for (const auto& [state, name] : state_names) {
        if (state == s) return name;
    }
    return "unknown";
}

std::optional<State> parse_state(std::string_view name) noexcept {
    for (const auto& [state, n] : state_names) {
        if (name == n) return state;
    }
    return std::nullopt;
}

const std::vector<State>& all_states() {
    static const std::vector<State> states = [] {
        std::vector<State> v;
        for (const auto& entry : state_names) v.push_back(entry.first);
        return v;
    }();
    return states;
}

bool is_in_progress(State s) noexcept {
    return s == State::Writing || s == State::Written || s == State::Locked;
}

bool is_live(State s) noexcept {
    return is_in_progress(s) || s == State::Verified;
}

ResumeStep resume_step(const Attempt& attempt, std::string_view current_record_digest) {
    if (!is_in_progress(attempt.state)) {
        throw Error(ErrorKind::Internal, "attempt " + std::to_string(attempt.id) + " is " + to_string(attempt.state) +
                                             ", not in progress: there is nothing to resume");
    }
    if (!attempt.card_serial) return ResumeStep::SpoilUnread;
    if (attempt.record_digest != current_record_digest) return ResumeStep::SpoilOutdated;
    return ResumeStep::IdentifyCard;
}

Claim Journal::try_claim(std::string_view document_number, std::string_view reader, bool reissue) {
    Claim c;
    if (auto why = claim_refusal(document_number, reissue)) {
        c.reason = *why;
        const auto r = record(document_number);
        c.outcome = r && r->state == State::Verified ? Claim::Outcome::Done : Claim::Outcome::Refused;
        return c;
    }
    c.attempt = claim_record(document_number, reader, reissue);
    c.outcome = Claim::Outcome::Claimed;
    return c;
}

std::string record_digest(ByteView canonical_record) {
    return to_hex(crypto::sha256(canonical_record));
}

namespace detail {

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    std::size_t start = 0;
    while (true) {
        const auto end = text.find('\n', start);
        out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

State stored_state(const std::string& name) {
    auto s = parse_state(name);
    if (!s) throw Error(ErrorKind::Journal, "journal holds an unknown state '" + name + "'");
    return *s;
}

}  // namespace detail

}  // namespace docketcard::journal
