#include "docketcard/perso/perso.hpp"
#include "docketcard/iso7816/files.hpp"

#include <fmt/core.h>

#include "docketcard/keys/key_set.hpp"
#include "docketcard/sm/scp03.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"
#include "steps.hpp"

namespace docketcard::perso {

const char* to_string(CardState state) noexcept {
    switch (state) {
        case CardState::Blank: return "BLANK";
        case CardState::Personalizing: return "PERSONALIZING";
        case CardState::Personalized: return "PERSONALIZED";
        case CardState::Locked: return "LOCKED";
        case CardState::Blocked: return "BLOCKED";
    }
    return "UNKNOWN";
}

CardInfo parse_card_info(ByteView data) {
    const tlv::Object outer = tlv::parse_single(data, "card info (GET DATA 66)");
    if (outer.tag != 0x66) throw ParseError(fmt::format("card info: expected template 66, got tag {:X}", outer.tag));
    CardInfo info;
    bool have_state = false;
    auto need = [](const tlv::Object& o, std::size_t min, std::size_t max, const char* what) {
        if (o.value.size() < min || o.value.size() > max) {
            throw ParseError(fmt::format("card info: tag {:02X} ({}) has {} bytes; {} expected", o.tag, what,
                                         o.value.size(), min == max ? std::to_string(min) : fmt::format("{}..{}", min, max)));
        }
    };
    tlv::Reader r(outer.value, "card info (GET DATA 66)");
    while (!r.empty()) {
        const tlv::Object o = r.next();
        switch (o.tag) {
            case 0x80: {
                need(o, 1, 1, "state");
                const std::uint8_t v = o.value[0];
                if (v != 0x01 && v != 0x03 && v != 0x07 && v != 0x0F && v != 0x7F) {
                    throw ParseError(fmt::format("card info: unknown lifecycle state {:02X}", v));
                }
                info.state = static_cast<CardState>(v);
                have_state = true;
                break;
            }
            case 0x81:
                need(o, 1, 32, "serial");
                info.serial_hex = to_hex(o.value);
                break;
            case 0x82:
                need(o, 1, 1, "SCP03 tries left");
                info.scp03_tries_left = o.value[0];
                break;
            case 0x83:
                need(o, 2, 2, "free bytes");
                info.free_bytes = get_u16(o.value, 0);
                break;
            case 0x84:
                need(o, 2, 2, "max command data");
                info.max_command_data = get_u16(o.value, 0);
                if (info.max_command_data == 0) throw ParseError("card info: max command data (tag 84) is 0");
                break;
            case 0x85:
                need(o, 1, 64, "ticket");
                info.ticket.assign(o.value.begin(), o.value.end());
                break;
            default: break;  // later contract versions may add tags
        }
    }
    if (!have_state) throw ParseError("card info: the lifecycle state (tag 80) is missing");
    return info;
}

CardInfo read_card_info(transport::CardChannel& card) {
    iso7816::select_application(card);
    return detail::card_info_of(card.transmit(detail::get_card_info()));
}

IssuerKeys::IssuerKeys(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IssuerKeys::IssuerKeys(IssuerKeys&&) noexcept = default;
IssuerKeys& IssuerKeys::operator=(IssuerKeys&&) noexcept = default;
IssuerKeys::~IssuerKeys() = default;

IssuerKeys IssuerKeys::load(const std::filesystem::path& dir) {
    if (!std::filesystem::is_directory(dir)) {
        throw Error(ErrorKind::InvalidInput, fmt::format("keys folder {} does not exist or is not a folder", dir.string()));
    }
    keys::KeySet set = keys::load_key_set(dir);
    auto impl = std::make_unique<Impl>(Impl{dir, std::move(set.scp03), std::move(set.document_signer)});
    return IssuerKeys(std::move(impl));
}

namespace {

std::string state_refusal(const CardInfo& info, const char* action) {
    switch (info.state) {
        case CardState::Locked: return "the card is locked; it cannot be written again; set it aside";
        case CardState::Blocked:
            return "the card blocked personalization for good after 5 failed secure channel authentications "
                   "(state BLOCKED); set it aside";
        default: return fmt::format("the card is in state {}; it cannot be {}", to_string(info.state), action);
    }
}

}  // namespace

void lock_card(transport::CardChannel& card, const IssuerKeys& keys) {
    const CardInfo info = read_card_info(card);
    switch (info.state) {
        case CardState::Personalized: break;
        case CardState::Locked:
            throw Error(ErrorKind::WrongCardState, "the card is already locked; nothing to do");
        case CardState::Blocked: throw Error(ErrorKind::WrongCardState, state_refusal(info, "locked"));
        case CardState::Blank:
            throw Error(ErrorKind::WrongCardState, "the card is blank (state BLANK): run write first");
        case CardState::Personalizing:
            throw Error(ErrorKind::WrongCardState,
                        "the card is not completely personalized (state PERSONALIZING): run write first");
    }
    {
        auto session = sm::Scp03Session::open(card, *keys.impl().scp03, detail::kSecurityLevel);
        detail::expect_ok(session.transmit(detail::lock()), "LOCK (80 DA DE AD)");
    }
    const CardInfo after = read_card_info(card);
    if (after.state != CardState::Locked) {
        throw Error(ErrorKind::VerificationFailed,
                    fmt::format("LOCK was accepted but the card now reports state {} instead of LOCKED; set it aside",
                                to_string(after.state)));
    }
}

}  // namespace docketcard::perso
