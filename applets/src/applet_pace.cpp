// PACE on the card side (ICAO Doc 9303 Part 11 4.4, commands 4.4.4): MSE:Set AT, then GENERAL
// AUTHENTICATE in four steps with the generic mapping on brainpoolP256r1, then AES secure
// messaging (9.8.6.2) with the session keys. docs/card-protocol.md, "PACE", is the contract.
//
//   MSE:Set AT   00 22 C1 A4  80 OID  83 01 {01 MRZ | 02 CAN}  [84 01 0D]
//   GA step 1    10 86 00 00  7C 00                     -> 7C 12 80 10 z = E(Kπ, s)
//   GA step 2    10 86 00 00  7C 43 81 41 PK_Map,IFD    -> 7C 43 82 41 PK_Map,IC
//   GA step 3    10 86 00 00  7C 43 83 41 PK_DH,IFD     -> 7C 43 84 41 PK_DH,IC
//   GA step 4    00 86 00 00  7C 0A 85 08 T_IFD         -> 7C 0A 86 08 T_IC, or 63Cx / 6300
#include <algorithm>

#include "applet.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace sw = apdu::sw;
namespace pace = crypto::pace;
using apdu::CommandApdu;

namespace {

constexpr pace::Protocol kProtocol = pace::Protocol::PaceEcdhGmAes128;
constexpr pace::DomainId kDomain = pace::DomainId::BrainpoolP256r1;

Response status(apdu::StatusWord s) { return {{}, s}; }

Response dynamic_data(tlv::Tag tag, ByteView value) { return {tlv::encode(0x7C, tlv::encode(tag, value)), sw::ok}; }

}  // namespace

// Part 11 4.4.4.1 (MSE:Set AT for PACE) and 9.6.1 (password references 01 MRZ, 02 CAN).
Response DocketApplet::mse_set_at(const CommandApdu& c, const PersistentState& st) {
    if (c.p1 != 0xC1 || c.p2 != 0xA4) return status(sw::incorrect_p1p2);
    if (c.le) return status(sw::wrong_length);
    end_sessions();
    std::optional<tlv::Object> oid, ref, param;
    try {
        tlv::Reader r(c.data, "MSE:Set AT");
        while (!r.empty()) {
            const tlv::Object o = r.next();
            std::optional<tlv::Object>* slot = o.tag == 0x80 ? &oid : o.tag == 0x83 ? &ref : o.tag == 0x84 ? &param : nullptr;
            if (slot == nullptr) continue;  // 7F4C (CHAT) and others: not ours, ignored
            if (*slot) return status(sw::wrong_data);
            *slot = o;
        }
    } catch (const ParseError&) {
        return status(sw::wrong_data);
    }
    if (!oid || !ref) return status(sw::wrong_data);
    const Bytes ours = pace::oid(kProtocol);
    if (!std::equal(oid->value.begin(), oid->value.end(), ours.begin(), ours.end())) return status(sw::reference_not_found);
    if (param && (param->value.size() != 1 || param->value[0] != static_cast<std::uint8_t>(kDomain)))
        return status(sw::reference_not_found);
    if (ref->value.size() != 1) return status(sw::wrong_data);
    PaceRun run;
    if (ref->value[0] == static_cast<std::uint8_t>(pace::PasswordKind::Mrz)) {
        if (st.mrz_secret.empty()) return status(sw::reference_not_found);
        run.password = pace::PasswordKind::Mrz;
        run.k_pi = pace::kdf_aes(view(st.mrz_secret), 3, pace::key_length(kProtocol));
    } else if (ref->value[0] == static_cast<std::uint8_t>(pace::PasswordKind::Can)) {
        if (st.can.empty()) return status(sw::reference_not_found);
        if (st.can_failures >= kCanAttempts) return status(sw::auth_method_blocked);
        run.password = pace::PasswordKind::Can;
        run.k_pi = pace::kdf_aes(view(st.can), 3, pace::key_length(kProtocol));
    } else {
        return status(sw::reference_not_found);
    }
    pace_ = std::move(run);
    return {{}, sw::ok};
}

Response DocketApplet::general_authenticate(const CommandApdu& c, PersistentState& st) {
    if (c.p1 != 0x00 || c.p2 != 0x00) return status(sw::incorrect_p1p2);
    if (!pace_) return status(sw::conditions_not_satisfied);
    // Steps 1-3 are chained (CLA 10), the last one is not (Part 11 4.4.4.2).
    const bool last = (c.cla & 0x10) == 0;
    if (last != (pace_->step == 4)) {
        pace_.reset();
        return status(sw::conditions_not_satisfied);
    }
    Bytes data;
    try {
        const tlv::Object outer = tlv::parse_single(c.data, "GENERAL AUTHENTICATE dynamic authentication data");
        if (outer.tag != 0x7C) throw ParseError("not 7C");
        data.assign(outer.value.begin(), outer.value.end());
    } catch (const ParseError&) {
        pace_.reset();
        return status(sw::wrong_data);
    }
    try {
        Response r = pace_step(c, data, st);
        if (!r.sw.ok() && r.sw.sw1() != 0x63) pace_.reset();
        return r;
    } catch (const ParseError&) {
        // A public key that is not a point of the curve (Part 11 4.4.3.3: the chip checks it).
        pace_.reset();
        return status(sw::wrong_data);
    }
}

Response DocketApplet::pace_step(const CommandApdu& c, ByteView data, PersistentState& st) {
    (void)c;
    PaceRun& run = *pace_;
    const pace::Domain& domain = pace::Domain::get(kDomain);
    auto expect = [&](tlv::Tag tag) -> Bytes {
        const tlv::Object o = tlv::parse_single(data, "dynamic authentication data");
        if (o.tag != tag) throw ParseError("unexpected dynamic authentication data object");
        return Bytes(o.value.begin(), o.value.end());
    };
    auto new_scalar = [&]() {
        for (;;) {
            SecureBytes d = random_.bytes(domain.field_size());
            if (domain.valid_scalar(view(d))) return d;
        }
    };
    switch (run.step) {
        case 1: {  // encrypted nonce (Part 11 4.4.3.1)
            if (!data.empty()) return status(sw::wrong_data);
            run.nonce = random_.bytes(16);
            const Bytes z = pace::encrypt_nonce(view(run.k_pi), view(run.nonce));
            run.step = 2;
            return dynamic_data(0x80, z);
        }
        case 2: {  // generic mapping (4.4.3.3.1)
            run.pk_map_ifd = expect(0x81);
            domain.check_point(run.pk_map_ifd);
            run.sk_map = new_scalar();
            const Bytes pk_map_ic = domain.multiply(domain.generator(), view(run.sk_map));
            const Bytes h = domain.multiply(run.pk_map_ifd, view(run.sk_map));
            run.generator = domain.map_generic(view(run.nonce), h);
            secure_wipe(run.sk_map.data(), run.sk_map.size());
            run.step = 3;
            return dynamic_data(0x82, pk_map_ic);
        }
        case 3: {  // key agreement on the mapped generator (4.4.3.3.2)
            run.pk_dh_ifd = expect(0x83);
            domain.check_point(run.pk_dh_ifd);
            // The terminal's ephemeral key must not repeat its mapping key (Part 11 4.4.3.3.2).
            if (run.pk_dh_ifd == run.pk_map_ifd) return status(sw::wrong_data);
            run.sk_dh = new_scalar();
            run.pk_dh_ic = domain.multiply(run.generator, view(run.sk_dh));
            if (run.pk_dh_ic == run.pk_dh_ifd) return status(sw::wrong_data);
            const SecureBytes k = domain.shared_secret(view(run.sk_dh), run.pk_dh_ifd);
            pace::SessionKeys keys = pace::derive_session_keys(kProtocol, view(k));
            run.ks_enc = std::move(keys.ks_enc);
            run.ks_mac = std::move(keys.ks_mac);
            run.step = 4;
            return dynamic_data(0x84, run.pk_dh_ic);
        }
        default: {  // mutual authentication (4.4.3.4)
            const Bytes t_ifd = expect(0x85);
            const Bytes expected = pace::authentication_token(view(run.ks_mac), kProtocol, run.pk_dh_ic);
            if (t_ifd.size() != expected.size() || !equal_ct(t_ifd, expected)) {
                // A wrong password shows here and only here. The CAN has a persistent counter
                // (docs/card-protocol.md): 63Cx, x = attempts left; the MRZ is not counted (6300).
                const pace::PasswordKind kind = run.password;
                pace_.reset();
                if (kind != pace::PasswordKind::Can) return status(sw::auth_failed);
                if (st.can_failures < kCanAttempts) ++st.can_failures;
                return status(apdu::StatusWord(0x63, static_cast<std::uint8_t>(0xC0 | (kCanAttempts - st.can_failures))));
            }
            const Bytes t_ic = pace::authentication_token(view(run.ks_mac), kProtocol, run.pk_dh_ifd);
            st.can_failures = 0;  // the CAN or the (stronger) MRZ was right
            SmSession s;
            s.aes = true;
            s.ks_enc = std::move(run.ks_enc);
            s.ks_mac = std::move(run.ks_mac);
            s.ssc = Bytes(16, 0x00);  // Part 11 9.8.2: zero after PACE
            s.password = run.password;
            pace_.reset();
            bac_ = std::move(s);
            return dynamic_data(0x86, t_ic);
        }
    }
}

}  // namespace docketcard::applet::detail
