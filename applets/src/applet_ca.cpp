// Chip Authentication on the card side (ICAO Doc 9303 Part 11 6.2, AES: MSE:Set AT + GENERAL
// AUTHENTICATE), inside a PACE or BAC session, with the brainpoolP256r1 key the card generated
// (GENERATE CA KEY, 84 47 82 00). docs/card-protocol.md, "Chip Authentication", is the contract.
#include <algorithm>

#include "applet.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace sw = apdu::sw;
namespace pace = crypto::pace;
using apdu::CommandApdu;

namespace {
Response status(apdu::StatusWord s) { return {{}, s}; }
constexpr pace::Protocol kCa = pace::Protocol::CaEcdhAes128;
constexpr pace::DomainId kCaDomain = pace::DomainId::BrainpoolP256r1;
}  // namespace

Response DocketApplet::ca_set_at(const CommandApdu& c, const PersistentState& st) {
    ca_selected_ = false;
    if (c.p1 != 0x41 || c.p2 != 0xA4) return status(sw::incorrect_p1p2);
    try {
        tlv::Reader r(c.data, "MSE:Set AT");
        const tlv::Object oid = r.expect(0x80);
        if (!r.empty()) {
            const tlv::Object key_id = r.expect(0x84);
            if (key_id.value.size() != 1 || key_id.value[0] != 0x01) return status(sw::reference_not_found);
        }
        r.expect_end();
        const Bytes ours = pace::oid(kCa);
        if (!std::equal(oid.value.begin(), oid.value.end(), ours.begin(), ours.end())) return status(sw::reference_not_found);
    } catch (const ParseError&) {
        return status(sw::wrong_data);
    }
    if (st.ca_scalar.empty()) return status(sw::reference_not_found);
    ca_selected_ = true;
    return {{}, sw::ok};
}

Response DocketApplet::ca_general_authenticate(const CommandApdu& c, const PersistentState& st) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return status(sw::incorrect_p1p2);
    if (!ca_selected_ || st.ca_scalar.empty()) return status(sw::conditions_not_satisfied);
    ca_selected_ = false;
    const pace::Domain& domain = pace::Domain::get(kCaDomain);
    try {
        const tlv::Object outer = tlv::parse_single(c.data, "GENERAL AUTHENTICATE");
        if (outer.tag != 0x7C) return status(sw::wrong_data);
        const tlv::Object pk = tlv::parse_single(outer.value, "dynamic authentication data");
        if (pk.tag != 0x80) return status(sw::wrong_data);
        const SecureBytes k = domain.shared_secret(view(st.ca_scalar), pk.value);
        pace::SessionKeys keys = pace::derive_session_keys(kCa, view(k));
        SmSession next;
        next.aes = true;
        next.ks_enc = std::move(keys.ks_enc);
        next.ks_mac = std::move(keys.ks_mac);
        next.ssc = Bytes(16, 0x00);
        if (bac_) next.password = bac_->password;
        next_sm_ = std::move(next);
    } catch (const ParseError&) {
        return status(sw::wrong_data);
    }
    return {tlv::encode(0x7C, Bytes{}), sw::ok};
}

// GENERATE CA KEY (P1 82) and READ CA PUBLIC KEY (P1 83), as GENERATE / READ AA KEY.
Response DocketApplet::ca_key(const CommandApdu& c, PersistentState& st) {
    if (c.p2 != 0x00) return status(sw::incorrect_p1p2);
    if (!c.data.empty()) return status(sw::wrong_length);
    const pace::Domain& domain = pace::Domain::get(kCaDomain);
    if (c.p1 == 0x82) {
        for (;;) {
            SecureBytes scalar = random_.bytes(domain.field_size());
            if (!domain.valid_scalar(view(scalar))) continue;
            st.ca_scalar = std::move(scalar);
            break;
        }
        if (st.state == Lifecycle::Personalized) st.state = Lifecycle::Personalizing;
    } else if (st.ca_scalar.empty()) {
        return status(sw::reference_not_found);
    }
    return {tlv::encode(0x7F49, tlv::encode(0x86, domain.multiply(domain.generator(), view(st.ca_scalar)))), sw::ok};
}

}  // namespace docketcard::applet::detail
