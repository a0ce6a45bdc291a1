#include "applet.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/crypto/kdf.hpp"
#include "docketcard/tlv/tlv.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::applet::detail {

namespace sw = apdu::sw;
using apdu::CommandApdu;
using apdu::StatusWord;

namespace {

Response status(StatusWord s) { return {{}, s}; }
Response ok(Bytes data = {}) { return {std::move(data), sw::ok}; }

bool known_ins(std::uint8_t ins) {
    switch (ins) {
        case 0xA4: case 0xB0: case 0xB1: case 0xCA: case 0x84: case 0x82: case 0x88:
        case 0x50: case 0xE0: case 0xE4: case 0xD6: case 0xDA: case 0x47: case 0x22: case 0x86:
            return true;
        default:
            return false;
    }
}

bool personalization_ins(std::uint8_t ins) {
    return ins == 0xE0 || ins == 0xE4 || ins == 0xD6 || ins == 0xDA || ins == 0x47;
}

bool sealed(const PersistentState& st) {
    return st.state == Lifecycle::Locked || st.state == Lifecycle::Blocked;
}

bool writable(const PersistentState& st) {
    return st.state == Lifecycle::Personalizing || st.state == Lifecycle::Personalized;
}

// Any personalization write makes the card's content "not known complete" again.
void touched(PersistentState& st) {
    if (st.state == Lifecycle::Personalized) st.state = Lifecycle::Personalizing;
}

bool lds_fid(std::uint16_t fid) {
    return (fid >= 0x0101 && fid <= 0x0110) || fid == 0x011C || fid == 0x011D || fid == 0x011E;
}

// The send sequence counter as a big-endian unsigned integer of its own width (Part 11 9.8.2).
void increment(Bytes& ssc) {
    for (auto it = ssc.rbegin(); it != ssc.rend(); ++it)
        if (++*it != 0) break;
}

Bytes counter_block(std::uint64_t counter, bool response) {
    Bytes b(8, 0x00);
    for (int shift = 56; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(counter >> shift));
    if (response) b[0] = 0x80;
    return b;
}

Bytes counter3(std::uint32_t c) {
    return {static_cast<std::uint8_t>(c >> 16), static_cast<std::uint8_t>(c >> 8), static_cast<std::uint8_t>(c)};
}

// ICAO Doc 9303 Part 3, 4.9.
char check_digit(const std::string& s) {
    static constexpr int weights[] = {7, 3, 1};
    int sum = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char ch = s[i];
        int v = 0;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'A' && ch <= 'Z') v = ch - 'A' + 10;
        sum += v * weights[i % 3];
    }
    return static_cast<char>('0' + sum % 10);
}

bool mrz_chars(ByteView v) {
    return std::all_of(v.begin(), v.end(), [](std::uint8_t ch) {
        return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || ch == '<';
    });
}

// A YYMMDD date of the MRZ: digits, with `<<` for an unknown month or day (Doc 9303 Part 3 4.6).
bool mrz_date(ByteView v) {
    return std::all_of(v.begin(), v.end(), [](std::uint8_t ch) { return (ch >= '0' && ch <= '9') || ch == '<'; });
}

// 0 < d < n, the order of P-256 (SEC 2 2.4.2).
bool valid_p256_scalar(ByteView d) {
    static const Bytes n = from_hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    if (std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; })) return false;
    return std::lexicographical_compare(d.begin(), d.end(), n.begin(), n.end());
}

std::size_t requested(const CommandApdu& c) { return std::min<std::size_t>(c.le.value_or(0), kMaxData); }

}  // namespace

void DocketApplet::reset() {
    end_sessions();
    chain_.reset();
}

void DocketApplet::end_sessions() {
    bac_.reset();
    pace_.reset();
    ca_selected_ = false;
    next_sm_.reset();
    rnd_ic_.reset();
    scp_.reset();
    selected_ef_.reset();
    chain_.reset();
}

Bytes DocketApplet::process(ByteView raw, PersistentState& st) {
    CommandApdu c;
    try {
        c = CommandApdu::parse(raw);
    } catch (const ParseError&) {
        return apdu::ResponseApdu{{}, sw::wrong_length}.encode();
    }
    Response r;
    if (c.data.size() > kMaxData) {
        r = status(sw::wrong_length);
    } else if ((c.cla & 0x03) != 0) {
        r = status(sw::cla_not_supported);  // no logical channels
    } else {
        switch (c.cla & ~0x10) {
            case 0x00:
            case 0x80: r = plain(c, st); break;
            case 0x0C: r = sm_protected(c, st); break;
            case 0x84: r = scp_protected(raw, c, st); break;
            default: r = status(sw::cla_not_supported); break;
        }
    }
    return apdu::ResponseApdu{std::move(r.data), r.sw}.encode();
}

// ---- plain commands -------------------------------------------------------------------------

Response DocketApplet::plain(const CommandApdu& c, PersistentState& st) {
    if (!known_ins(c.ins)) return status(sw::ins_not_supported);
    // GENERAL AUTHENTICATE steps 1-3 of PACE are sent with the chaining bit (Part 11 4.4.4.2).
    if ((c.cla & 0x10) != 0 && c.ins != 0x86) {
        if (personalization_ins(c.ins)) return status(sealed(st) ? sw::conditions_not_satisfied : sw::security_status_not_satisfied);
        return status(sw::chaining_not_supported);
    }
    switch (c.ins) {
        case 0xA4:
            if (c.p1 == 0x04) return select_application(c);
            if (c.p1 != 0x02) return status(sw::incorrect_p1p2);
            [[fallthrough]];
        case 0xB0:
        case 0xB1:
        case 0x88:
            // Doc 9303 Part 11 9.8: a plain command inside a session aborts the session.
            if (bac_) {
                end_sessions();
                return status(sw::sm_data_objects_incorrect);
            }
            // EF.CardAccess is read in the clear (Part 11 9.2.11, Part 10 3.11.2): before PACE the
            // terminal learns from it which PACE the chip offers.
            if (!scp_ && c.ins == 0xA4 && c.p2 == 0x0C && c.data.size() == 2 && get_u16(c.data, 0) == 0x011C)
                return select_ef(c, st);
            if (!scp_ && (c.ins == 0xB0 || c.ins == 0xB1) && selected_ef_ == 0x011C) return read_binary(c, st);
            return status(sw::security_status_not_satisfied);
        case 0x22: return mse_set_at(c, st);
        case 0x86: return general_authenticate(c, st);
        case 0xCA: return get_card_info(c, st, st.state != Lifecycle::Locked, false);
        case 0x84: return get_challenge(c, st);
        case 0x82: return mutual_authenticate(c, st);
        case 0x50: return initialize_update(c, st);
        default:
            // Personalization is only accepted inside SCP03 (and never once sealed).
            return status(sealed(st) ? sw::conditions_not_satisfied : sw::security_status_not_satisfied);
    }
}

Response DocketApplet::select_application(const CommandApdu& c) {
    if (c.p2 != 0x0C && c.p2 != 0x00) return status(sw::incorrect_p1p2);
    // SELECT by DF name without a name: this card has no implicit application (docs/card-protocol.md).
    if (c.data.empty()) return status(sw::wrong_length);
    end_sessions();
    if (!std::equal(c.data.begin(), c.data.end(), std::begin(emrtd_aid), std::end(emrtd_aid)) || c.data.size() != sizeof emrtd_aid) {
        return status(sw::file_not_found);
    }
    return ok();
}

// GET DATA 66 (ISO/IEC 7816-4 11.4.3): no command data (6700 otherwise); never more than Le bytes
// in the answer: an Le shorter than the template is answered 6Cxx with xx its exact length
// (ISO/IEC 7816-4 5.1.3), and the terminal asks again.
Response DocketApplet::get_card_info(const CommandApdu& c, const PersistentState& st, bool with_serial,
                                     bool with_ticket) const {
    if (c.p1 != 0x00 || c.p2 != 0x66) return status(sw::incorrect_p1p2);
    if (!c.data.empty()) return status(sw::wrong_length);
    Response r = card_info(st, with_serial, with_ticket);
    if (c.le && *c.le < r.data.size()) return status(StatusWord(static_cast<std::uint16_t>(0x6C00 | r.data.size())));
    return r;
}

Response DocketApplet::card_info(const PersistentState& st, bool with_serial, bool with_ticket) const {
    Bytes body;
    tlv::append(body, 0x80, Bytes{static_cast<std::uint8_t>(st.state)});
    if (with_serial) tlv::append(body, 0x81, st.serial);
    tlv::append(body, 0x82, Bytes{static_cast<std::uint8_t>(st.scp_failures >= 5 ? 0 : 5 - st.scp_failures)});
    // Two bytes by contract: the blank budget (98304) does not fit, so the value saturates.
    const std::size_t free_bytes = std::min<std::size_t>(kStorageBudget - st.used_bytes(), 0xFFFF);
    Bytes fb, mx;
    put_u16(fb, static_cast<std::uint16_t>(free_bytes));
    put_u16(mx, static_cast<std::uint16_t>(kMaxData));
    tlv::append(body, 0x83, fb);
    tlv::append(body, 0x84, mx);
    if (with_ticket && !st.ticket.empty()) tlv::append(body, 0x85, st.ticket);
    return ok(tlv::encode(0x66, body));
}

// ---- BAC (Doc 9303 Part 11 9.7, Appendix D.3) -----------------------------------------------

Response DocketApplet::get_challenge(const CommandApdu& c, const PersistentState& st) {
    if (c.p1 != 0 || c.p2 != 0) return status(sw::incorrect_p1p2);
    if (!c.data.empty() || c.le != 8) return status(sw::wrong_length);
    if (st.bac_seed.empty()) return status(sw::conditions_not_satisfied);
    // A PACE-only card refuses BAC (docs/card-protocol.md, "PACE").
    if (st.pace_only) return status(sw::security_status_not_satisfied);
    bac_.reset();
    scp_.reset();
    selected_ef_.reset();
    const SecureBytes rnd = random_.bytes(8);
    rnd_ic_ = Bytes(rnd.begin(), rnd.end());
    return ok(*rnd_ic_);
}

Response DocketApplet::mutual_authenticate(const CommandApdu& c, const PersistentState& st) {
    if (c.p1 != 0 || c.p2 != 0) return status(sw::incorrect_p1p2);
    if (c.data.size() != 40) return status(sw::wrong_length);
    if (st.pace_only) return status(sw::security_status_not_satisfied);
    if (!rnd_ic_ || st.bac_seed.empty()) return status(sw::conditions_not_satisfied);
    const Bytes rnd_ic = *rnd_ic_;
    rnd_ic_.reset();  // one attempt per challenge
    const SecureBytes k_enc = crypto::icao_kdf_3des(view(st.bac_seed), 1);
    const SecureBytes k_mac = crypto::icao_kdf_3des(view(st.bac_seed), 2);
    const ByteView e_ifd = ByteView(c.data).first(32);
    const ByteView m_ifd = ByteView(c.data).subspan(32);
    if (!equal_ct(crypto::retail_mac(view(k_mac), crypto::pad_m2(e_ifd, 8)), m_ifd)) return status(sw::auth_failed);
    Bytes s = crypto::des3_cbc_decrypt(view(k_enc), Bytes(8, 0), e_ifd);
    const ByteView sv(s);
    if (!equal_ct(sv.subspan(8, 8), rnd_ic)) {
        secure_wipe(s.data(), s.size());
        return status(sw::auth_failed);
    }
    const SecureBytes k_ic = random_.bytes(16);
    SecureBytes r = secure_copy(rnd_ic);
    append(r, sv.first(8));
    append(r, view(k_ic));
    const Bytes e_ic = crypto::des3_cbc_encrypt(view(k_enc), Bytes(8, 0), view(r));
    const Bytes m_ic = crypto::retail_mac(view(k_mac), crypto::pad_m2(e_ic, 8));
    SecureBytes seed(16);
    for (std::size_t i = 0; i < 16; ++i) seed[i] = static_cast<std::uint8_t>(sv[16 + i] ^ k_ic[i]);
    SmSession session;
    session.ks_enc = crypto::icao_kdf_3des(view(seed), 1);
    session.ks_mac = crypto::icao_kdf_3des(view(seed), 2);
    session.ssc = concat({ByteView(rnd_ic).subspan(4, 4), sv.subspan(4, 4)});
    secure_wipe(s.data(), s.size());
    bac_ = std::move(session);
    return ok(concat({e_ic, m_ic}));
}

namespace {

// Part 11 9.8.6.1 (3DES: retail MAC, IV zero) and 9.8.6.2 (AES: CMAC truncated to 8 bytes,
// IV = E(KSenc, SSC)). Written here, apart from lib/sm, so the card does not share the host's code.
Bytes sm_mac(bool aes, ByteView ks_mac, ByteView input) {
    if (!aes) return crypto::retail_mac(ks_mac, crypto::pad_m2(input, 8));
    const Bytes full = crypto::aes_cmac(ks_mac, crypto::pad_m2(input, 16));
    return Bytes(full.begin(), full.begin() + 8);
}

Bytes sm_encrypt(bool aes, ByteView ks_enc, ByteView ssc, ByteView plain) {
    if (!aes) return crypto::des3_cbc_encrypt(ks_enc, Bytes(8, 0), crypto::pad_m2(plain, 8));
    return crypto::aes_cbc_encrypt(ks_enc, crypto::aes_ecb_encrypt(ks_enc, ssc), crypto::pad_m2(plain, 16));
}

Bytes sm_decrypt(bool aes, ByteView ks_enc, ByteView ssc, ByteView cryptogram) {
    if (!aes) return crypto::unpad_m2(crypto::des3_cbc_decrypt(ks_enc, Bytes(8, 0), cryptogram));
    return crypto::unpad_m2(crypto::aes_cbc_decrypt(ks_enc, crypto::aes_ecb_encrypt(ks_enc, ssc), cryptogram));
}

}  // namespace

// Doc 9303 Part 11 9.8.4-9.8.6: DO87/DO85 (cryptogram), DO97 (Le), DO8E (MAC) in the command;
// DO87/DO85, DO99 (status), DO8E in the response; SSC incremented before each MAC.
Response DocketApplet::sm_protected(const CommandApdu& c, PersistentState& st) {
    if (!bac_) return status(sw::security_status_not_satisfied);
    if ((c.cla & 0x10) != 0) return status(sw::chaining_not_supported);
    std::optional<tlv::Object> crypt, le_do, mac_do;
    try {
        tlv::Reader r(c.data, "secure messaging command");
        while (!r.empty()) {
            const tlv::Object o = r.next();
            if ((o.tag == 0x87 || o.tag == 0x85) && !crypt && !le_do && !mac_do) crypt = o;
            else if (o.tag == 0x97 && !le_do && !mac_do) le_do = o;
            else if (o.tag == 0x8E && !mac_do && o.value.size() == 8) mac_do = o;
            else throw ParseError("unexpected data object");
        }
    } catch (const ParseError&) {
        end_sessions();
        return status(sw::sm_data_objects_incorrect);
    }
    if (!mac_do) {
        end_sessions();
        return status(sw::sm_data_objects_incorrect);
    }
    SmSession& s = *bac_;
    const std::size_t block = s.aes ? 16 : 8;
    increment(s.ssc);
    Bytes n = s.ssc;
    append(n, crypto::pad_m2(Bytes{c.cla, c.ins, c.p1, c.p2}, block));
    if (crypt) append(n, crypt->raw);
    if (le_do) append(n, le_do->raw);
    if (!equal_ct(sm_mac(s.aes, view(s.ks_mac), n), mac_do->value)) {
        end_sessions();
        return status(sw::sm_data_objects_incorrect);
    }
    CommandApdu inner(0x00, c.ins, c.p1, c.p2);
    try {
        if (crypt) {
            ByteView enc = crypt->value;
            if (crypt->tag == 0x87) {
                if (enc.empty() || enc[0] != 0x01) throw ParseError("padding indicator");
                enc = enc.subspan(1);
            }
            if (enc.empty() || enc.size() % block != 0) throw ParseError("cryptogram length");
            inner.data = sm_decrypt(s.aes, view(s.ks_enc), s.ssc, enc);
        }
        if (le_do) {
            const ByteView v = le_do->value;
            if (v.size() == 1) inner.le = v[0] == 0 ? 256 : v[0];
            else if (v.size() == 2) inner.le = get_u16(v, 0) == 0 ? 65536 : get_u16(v, 0);
            else throw ParseError("DO97 length");
        }
    } catch (const ParseError&) {
        end_sessions();
        return status(sw::sm_data_objects_incorrect);
    }
    const bool odd = (c.ins & 0x01) != 0;
    Response r = bac_inner(inner, st);
    if (!bac_) return r;  // the inner command ended the session
    increment(s.ssc);
    Bytes body;
    if (!r.data.empty()) {
        Bytes crypto_do;
        if (!odd) crypto_do.push_back(0x01);
        append(crypto_do, sm_encrypt(s.aes, view(s.ks_enc), s.ssc, r.data));
        tlv::append(body, odd ? 0x85 : 0x87, crypto_do);
    }
    Bytes swb;
    put_u16(swb, r.sw.value());
    tlv::append(body, 0x99, swb);
    Bytes k = s.ssc;
    append(k, body);
    tlv::append(body, 0x8E, sm_mac(s.aes, view(s.ks_mac), k));
    // Chip Authentication (Part 11 6.2): its answer goes under the old keys, then the new ones apply.
    if (next_sm_) {
        bac_ = std::move(next_sm_);
        next_sm_.reset();
    }
    return {std::move(body), r.sw};
}

Response DocketApplet::bac_inner(const CommandApdu& c, PersistentState& st) {
    switch (c.ins) {
        case 0xA4:
            // After PACE an inspection system selects the eMRTD application under secure
            // messaging (Part 11 4.2); the only application is already selected: the session stays.
            if (c.p1 == 0x04 && c.p2 == 0x0C) {
                if (c.data.size() != sizeof emrtd_aid || !std::equal(c.data.begin(), c.data.end(), std::begin(emrtd_aid)))
                    return status(sw::file_not_found);
                return ok();
            }
            if (c.p1 != 0x02 || c.p2 != 0x0C) return status(sw::incorrect_p1p2);
            return select_ef(c, st);
        case 0xB0:
        case 0xB1: return read_binary(c, st);
        case 0xCA: return get_card_info(c, st, true, false);
        case 0x22: return ca_set_at(c, st);
        case 0x86: return ca_general_authenticate(c, st);
        case 0x88: {
            if (c.p1 != 0 || c.p2 != 0) return status(sw::incorrect_p1p2);
            if (c.data.size() != 8) return status(sw::wrong_length);
            if (st.aa_scalar.empty()) return status(sw::conditions_not_satisfied);
            const auto key = crypto::EcPrivateKey::from_scalar_p256(view(st.aa_scalar));
            return ok(key.sign_sha256_plain(c.data));
        }
        default: return status(known_ins(c.ins) ? sw::conditions_not_satisfied : sw::ins_not_supported);
    }
}

// ---- shared file commands (ISO/IEC 7816-4 11.2.2, 11.3.3) -------------------------------------

Response DocketApplet::select_ef(const CommandApdu& c, const PersistentState& st) {
    if (c.data.size() != 2) return status(sw::wrong_length);
    const std::uint16_t fid = get_u16(c.data, 0);
    if (!st.files.contains(fid)) return status(sw::file_not_found);
    selected_ef_ = fid;
    return ok();
}

Response DocketApplet::read_binary(const CommandApdu& c, const PersistentState& st) {
    std::size_t offset = 0;
    if (c.ins == 0xB0) {
        if ((c.p1 & 0x80) != 0) return status(sw::incorrect_p1p2);  // no short EF identifiers
        if (!c.data.empty()) return status(sw::wrong_length);
        offset = static_cast<std::size_t>((c.p1 << 8) | c.p2);
    } else {
        // Odd INS: offset in DO54 (ISO/IEC 7816-4 11.3.3), current EF only.
        if (c.p1 != 0 || c.p2 != 0) return status(sw::incorrect_p1p2);
        try {
            const tlv::Object o = tlv::parse_single(c.data, "READ BINARY offset");
            if (o.tag != 0x54 || o.value.empty() || o.value.size() > 3) return status(sw::wrong_data);
            for (std::uint8_t b : o.value) offset = (offset << 8) | b;
        } catch (const ParseError&) {
            return status(sw::wrong_data);
        }
    }
    if (!c.le) return status(sw::wrong_length);
    if (!selected_ef_) return status(StatusWord(0x6986));
    const auto it = st.files.find(*selected_ef_);
    if (it == st.files.end()) return status(StatusWord(0x6986));
    const Bytes& content = it->second.content;
    if (offset >= content.size()) return status(sw::wrong_p1p2);
    const std::size_t want = requested(c);
    const std::size_t n = std::min(want, content.size() - offset);
    Bytes data(content.begin() + static_cast<std::ptrdiff_t>(offset),
               content.begin() + static_cast<std::ptrdiff_t>(offset + n));
    if (c.ins == 0xB1) data = tlv::encode(0x53, data);
    return {std::move(data), n < want ? sw::end_of_file : sw::ok};
}

// ---- SCP03 (GP Amendment D 6.2, 7.1) ----------------------------------------------------------

Response DocketApplet::initialize_update(const CommandApdu& c, PersistentState& st) {
    if (c.p2 != 0x00) return status(sw::incorrect_p1p2);
    if (c.data.size() != 8) return status(sw::wrong_length);
    if (st.state == Lifecycle::Blocked) return status(sw::auth_method_blocked);
    if (st.state == Lifecycle::Locked) return status(sw::conditions_not_satisfied);
    if (c.p1 != 0x00 && c.p1 != st.kvn) return status(sw::reference_not_found);
    if (st.sequence_counter >= 0xFFFFFF) return status(sw::conditions_not_satisfied);
    bac_.reset();
    rnd_ic_.reset();
    scp_.reset();
    selected_ef_.reset();
    chain_.reset();
    ++st.sequence_counter;
    ScpSession s;
    s.host_challenge = c.data;
    if (hooks_.card_challenge) {
        s.card_challenge = *hooks_.card_challenge;
    } else {
        const SecureBytes cc = crypto::scp03_kdf(view(st.k_enc), crypto::scp03_constant::card_challenge, 64,
                                                 concat({counter3(st.sequence_counter), ByteView(emrtd_aid)}));
        s.card_challenge.assign(cc.begin(), cc.end());
    }
    // GP Amendment D 6.2.1 session keys. The host derives them in its own code
    // (lib/src/sm/scp03.cpp, Scp03Session::open_impl); this card side stays independent on
    // purpose (an emulated card that shared the host's code would share its mistakes). Both are
    // pinned to one vector table in tests/unit/sm/test_scp03_both_sides.cpp.
    const Bytes context = concat({s.host_challenge, s.card_challenge});
    const auto bits = static_cast<std::uint16_t>(st.k_enc.size() * 8);
    s.s_enc = crypto::scp03_kdf(view(st.k_enc), crypto::scp03_constant::s_enc, bits, context);
    s.s_mac = crypto::scp03_kdf(view(st.k_mac), crypto::scp03_constant::s_mac, bits, context);
    s.s_rmac = crypto::scp03_kdf(view(st.k_mac), crypto::scp03_constant::s_rmac, bits, context);
    const SecureBytes card_cryptogram =
        crypto::scp03_kdf(view(s.s_mac), crypto::scp03_constant::card_cryptogram, 64, context);
    Bytes out = st.serial;
    append(out, Bytes{st.kvn, 0x03, 0x70});
    append(out, s.card_challenge);
    append(out, view(card_cryptogram));
    append(out, counter3(st.sequence_counter));
    scp_ = std::move(s);
    return ok(std::move(out));
}

Response DocketApplet::external_authenticate(const CommandApdu& c, PersistentState& st) {
    if (!scp_ || scp_->authenticated) {
        scp_.reset();
        return status(sw::conditions_not_satisfied);
    }
    if (c.p2 != 0x00) return status(sw::incorrect_p1p2);
    const std::uint8_t level = c.p1;
    const bool accepted = hooks_.any_security_level ? (level & ~0x33) == 0 && (level & 0x01) != 0
                                                    : (level == 0x03 || level == 0x13 || level == 0x33);
    if (!accepted) return status(sw::incorrect_p1p2);
    if (c.data.size() != 16) return status(sw::wrong_length);
    ScpSession& s = *scp_;
    const Bytes context = concat({s.host_challenge, s.card_challenge});
    const SecureBytes expected =
        crypto::scp03_kdf(view(s.s_mac), crypto::scp03_constant::host_cryptogram, 64, context);
    Bytes mac_input(16, 0x00);
    append(mac_input, Bytes{c.cla, c.ins, c.p1, c.p2, 0x10});
    append(mac_input, ByteView(c.data).first(8));
    const Bytes mac = crypto::aes_cmac(view(s.s_mac), mac_input);
    const bool good = equal_ct(ByteView(c.data).first(8), view(expected)) &
                      equal_ct(ByteView(c.data).subspan(8), ByteView(mac).first(8));
    if (!good) {
        scp_.reset();
        if (st.scp_failures < 0xFF) ++st.scp_failures;
        if (st.scp_failures >= 5) st.state = Lifecycle::Blocked;
        return status(sw::auth_failed);
    }
    st.scp_failures = 0;
    s.authenticated = true;
    s.level = level;
    s.chaining = mac;
    s.counter = 1;
    return ok();
}

Response DocketApplet::scp_protected(ByteView raw, const CommandApdu& c, PersistentState& st) {
    if (c.ins == 0x82 && (c.cla & 0x10) == 0) return external_authenticate(c, st);
    if (!scp_ || !scp_->authenticated) {
        if (personalization_ins(c.ins) && sealed(st)) return status(sw::conditions_not_satisfied);
        return status(sw::security_status_not_satisfied);
    }
    ScpSession& s = *scp_;
    if (c.data.size() < 8) {
        scp_.reset();
        return status(sw::security_status_not_satisfied);
    }
    const ByteView body = ByteView(c.data).first(c.data.size() - 8);
    const ByteView mac = ByteView(c.data).last(8);
    // The MAC covers the Lc field exactly as sent: one byte, or 00 HH LL in the extended form.
    const bool extended = raw.size() > 5 && raw[4] == 0x00;
    Bytes mac_input = s.chaining;
    append(mac_input, Bytes{c.cla, c.ins, c.p1, c.p2});
    if (extended) {
        mac_input.push_back(0x00);
        put_u16(mac_input, static_cast<std::uint16_t>(c.data.size()));
    } else {
        mac_input.push_back(static_cast<std::uint8_t>(c.data.size()));
    }
    append(mac_input, body);
    const Bytes full = crypto::aes_cmac(view(s.s_mac), mac_input);
    if (!equal_ct(ByteView(full).first(8), mac)) {
        end_sessions();
        return status(sw::security_status_not_satisfied);
    }
    s.chaining = full;
    const std::uint64_t counter = s.counter++;
    CommandApdu inner(static_cast<std::uint8_t>(c.cla & ~0x04 & 0xEF), c.ins, c.p1, c.p2, {}, c.le);
    if ((s.level & 0x02) != 0 && !body.empty()) {
        if (body.size() % 16 != 0) {
            end_sessions();
            return status(sw::security_status_not_satisfied);
        }
        const Bytes iv = crypto::aes_ecb_encrypt(view(s.s_enc), counter_block(counter, false));
        Bytes padded = crypto::aes_cbc_decrypt(view(s.s_enc), iv, body);
        try {
            inner.data = crypto::unpad_m2(padded);
        } catch (const ParseError&) {
            secure_wipe(padded.data(), padded.size());
            end_sessions();
            return status(sw::security_status_not_satisfied);
        }
        secure_wipe(padded.data(), padded.size());
    } else {
        inner.data.assign(body.begin(), body.end());
    }

    Response r;
    const bool more = (c.cla & 0x10) != 0;
    if (more || chain_) {
        // ISO/IEC 7816-4 5.1.1.1 command chaining, for UPDATE BINARY and PUT DATA only.
        if (c.ins != 0xD6 && c.ins != 0xDA) {
            chain_.reset();
            r = status(more ? sw::chaining_not_supported : sw::last_command_expected);
        } else if (chain_ && (chain_->ins != c.ins || chain_->p1 != c.p1 || chain_->p2 != c.p2)) {
            chain_.reset();
            r = status(sw::last_command_expected);
        } else {
            if (!chain_) chain_ = Chain{c.ins, c.p1, c.p2, {}};
            append(chain_->data, inner.data);
            if (chain_->data.size() > kMaxFileSize + 16) {
                chain_.reset();
                r = status(sw::wrong_length);
            } else if (more) {
                r = ok();
            } else {
                inner.data = std::move(chain_->data);
                chain_.reset();
                r = perso(inner, st);
            }
        }
    } else {
        r = perso(inner, st);
    }
    if (!scp_) return r;
    if (!r.sw.ok()) return status(r.sw);  // error responses carry no R-MAC (contract)
    Bytes data = std::move(r.data);
    if ((s.level & 0x20) != 0 && !data.empty()) {
        const Bytes iv = crypto::aes_ecb_encrypt(view(s.s_enc), counter_block(counter, true));
        data = crypto::aes_cbc_encrypt(view(s.s_enc), iv, crypto::pad_m2(data, 16));
    }
    if ((s.level & 0x10) != 0) {
        Bytes rmac_input = s.chaining;
        append(rmac_input, data);
        append(rmac_input, Bytes{r.sw.sw1(), r.sw.sw2()});
        const Bytes rmac = crypto::aes_cmac(view(s.s_rmac), rmac_input);
        append(data, ByteView(rmac).first(8));
    }
    return {std::move(data), r.sw};
}

// ---- personalization (docs/card-protocol.md, "Personalization side") -------------------------

Response DocketApplet::perso(const CommandApdu& c, PersistentState& st) {
    if (!known_ins(c.ins)) return status(sw::ins_not_supported);
    if (c.ins == 0xCA) return get_card_info(c, st, true, true);
    if (sealed(st)) return status(sw::conditions_not_satisfied);
    if (c.ins == 0xDA) return put_data(c, st);
    if (!writable(st)) return status(sw::conditions_not_satisfied);
    switch (c.ins) {
        case 0xE0: return create_file(c, st);
        case 0xE4: return delete_file(c, st);
        case 0xA4:
            if (c.p1 != 0x02 || c.p2 != 0x0C) return status(sw::incorrect_p1p2);
            return select_ef(c, st);
        case 0xD6: return update_binary(c, st);
        case 0xB0: return read_binary(c, st);
        case 0x47: return c.p1 == 0x82 || c.p1 == 0x83 ? ca_key(c, st) : aa_key(c, st);
        default: return status(sw::ins_not_supported);
    }
}

Response DocketApplet::put_data(const CommandApdu& c, PersistentState& st) {
    const std::uint16_t p1p2 = static_cast<std::uint16_t>((c.p1 << 8) | c.p2);
    switch (p1p2) {
        case 0x0068:  // ticket
            if (c.data.empty() || c.data.size() > 64) return status(sw::wrong_length);
            if (st.state == Lifecycle::Blank) {
                st.ticket = c.data;
                st.state = Lifecycle::Personalizing;
                return ok();
            }
            return status(st.ticket == c.data ? sw::ok : sw::conditions_not_satisfied);
        case 0x0062: {  // BAC secret, JMRTD layout
            if (!writable(st)) return status(sw::conditions_not_satisfied);
            std::string mrz_info;
            try {
                const tlv::Object outer = tlv::parse_single(c.data, "BAC secret");
                if (outer.tag != 0x62) return status(sw::wrong_data);
                tlv::Reader r(outer.value, "BAC secret");
                const tlv::Object docno = r.expect(0x04);
                const tlv::Object dob = r.expect(0x04);
                const tlv::Object doe = r.expect(0x04);
                r.expect_end();
                if (docno.value.size() < 9 || docno.value.size() > 22 || !mrz_chars(docno.value)) return status(sw::wrong_data);
                if (dob.value.size() != 6 || doe.value.size() != 6 || !mrz_date(dob.value) || !mrz_date(doe.value)) {
                    return status(sw::wrong_data);
                }
                const std::string d(docno.value.begin(), docno.value.end());
                const std::string b(dob.value.begin(), dob.value.end());
                const std::string e(doe.value.begin(), doe.value.end());
                mrz_info = d + check_digit(d) + b + check_digit(b) + e + check_digit(e);
            } catch (const ParseError&) {
                return status(sw::wrong_data);
            }
            st.bac_seed = crypto::bac_seed(mrz_info);
            st.mrz_secret = crypto::pace::password_secret(crypto::pace::PasswordKind::Mrz, mrz_info);
            secure_wipe(mrz_info.data(), mrz_info.size());
            touched(st);
            return ok();
        }
        case 0x0065: {  // PACE card access number: 6 digits (docs/card-protocol.md, "PACE")
            if (!writable(st)) return status(sw::conditions_not_satisfied);
            if (c.data.size() != 6) return status(sw::wrong_length);
            if (!std::all_of(c.data.begin(), c.data.end(), [](std::uint8_t d) { return d >= '0' && d <= '9'; }))
                return status(sw::wrong_data);
            st.can = secure_copy(c.data);
            st.can_failures = 0;
            touched(st);
            return ok();
        }
        case 0x0067:  // access control: 00 BAC and PACE, 01 PACE only
            if (!writable(st)) return status(sw::conditions_not_satisfied);
            if (c.data.size() != 1) return status(sw::wrong_length);
            if (c.data[0] > 0x01) return status(sw::wrong_data);
            st.pace_only = c.data[0] == 0x01;
            touched(st);
            return ok();
        case 0x0069: {  // COMPLETE with the terminal's digest of every file (docs/card-protocol.md)
            if (c.data.empty() || c.data.size() % kCompleteEntry != 0) return status(sw::wrong_length);
            if (st.state != Lifecycle::Personalizing) return status(sw::conditions_not_satisfied);
            for (const std::uint16_t fid : {std::uint16_t{0x011E}, std::uint16_t{0x011D}, std::uint16_t{0x0101}}) {
                if (!st.files.contains(fid)) return status(sw::conditions_not_satisfied);
            }
            for (const auto& [fid, f] : st.files) {
                if (!f.complete()) return status(sw::conditions_not_satisfied);
            }
            if (st.bac_seed.empty() || st.aa_scalar.empty()) return status(sw::conditions_not_satisfied);
            // A PACE-only card without EF.CardAccess could not be read at all.
            if (st.pace_only && !st.files.contains(0x011C)) return status(sw::conditions_not_satisfied);
            // The card is complete only when the terminal names every file it holds, once, with
            // the SHA-256 (first 16 bytes) of what the card holds: a file that differs from what
            // the terminal wrote keeps the card PERSONALIZING.
            if (c.data.size() / kCompleteEntry != st.files.size()) return status(sw::wrong_data);
            std::set<std::uint16_t> named;
            for (std::size_t at = 0; at < c.data.size(); at += kCompleteEntry) {
                const std::uint16_t fid = get_u16(c.data, at);
                const auto f = st.files.find(fid);
                if (f == st.files.end() || !named.insert(fid).second) return status(sw::wrong_data);
                const Bytes digest = crypto::sha256(f->second.content);
                if (!std::equal(digest.begin(), digest.begin() + kCompleteDigest, c.data.begin() + at + 2))
                    return status(sw::wrong_data);
            }
            st.state = Lifecycle::Personalized;
            return ok();
        }
        case 0xDEAD:  // LOCK
            if (!c.data.empty()) return status(sw::wrong_length);
            if (st.state != Lifecycle::Personalized) return status(sw::conditions_not_satisfied);
            st.state = Lifecycle::Locked;
            return ok();
        default: return status(sw::incorrect_p1p2);
    }
}

Response DocketApplet::create_file(const CommandApdu& c, PersistentState& st) {
    if (c.data.size() != 6 || c.data[0] != 0x63 || c.data[1] != 0x04) return status(sw::wrong_data);
    const std::uint16_t size = get_u16(c.data, 2);
    const std::uint16_t fid = get_u16(c.data, 4);
    if (!lds_fid(fid) || size == 0 || size > kMaxFileSize) return status(sw::wrong_data);
    if (st.files.contains(fid)) return status(sw::file_exists);
    if (st.used_bytes() + size > kStorageBudget) return status(sw::not_enough_memory);
    ElementaryFile f;
    f.content.assign(size, 0x00);
    st.files.emplace(fid, std::move(f));
    touched(st);
    return ok();
}

Response DocketApplet::delete_file(const CommandApdu& c, PersistentState& st) {
    if (c.data.size() != 2) return status(sw::wrong_length);
    const std::uint16_t fid = get_u16(c.data, 0);
    if (st.files.erase(fid) == 0) return status(sw::file_not_found);
    if (selected_ef_ == fid) selected_ef_.reset();
    touched(st);
    return ok();
}

Response DocketApplet::update_binary(const CommandApdu& c, PersistentState& st) {
    if ((c.p1 & 0x80) != 0) return status(sw::incorrect_p1p2);
    if (c.data.empty()) return status(sw::wrong_length);
    if (!selected_ef_) return status(StatusWord(0x6986));
    auto it = st.files.find(*selected_ef_);
    if (it == st.files.end()) return status(StatusWord(0x6986));
    ElementaryFile& f = it->second;
    const std::size_t offset = static_cast<std::size_t>((c.p1 << 8) | c.p2);
    if (offset >= f.content.size()) return status(sw::wrong_p1p2);
    if (offset + c.data.size() > f.content.size()) return status(sw::wrong_length);
    std::copy(c.data.begin(), c.data.end(), f.content.begin() + static_cast<std::ptrdiff_t>(offset));
    if (hooks_.bad_cell && hooks_.bad_cell->first == *selected_ef_ && hooks_.bad_cell->second >= offset &&
        hooks_.bad_cell->second < offset + c.data.size())
        f.content[hooks_.bad_cell->second] ^= 0xFF;
    f.mark_written(offset, c.data.size());
    touched(st);
    return ok();
}

Response DocketApplet::aa_key(const CommandApdu& c, PersistentState& st) {
    if (c.p2 != 0x00 || (c.p1 != 0x80 && c.p1 != 0x81)) return status(sw::incorrect_p1p2);
    if (!c.data.empty()) return status(sw::wrong_length);
    if (c.p1 == 0x80) {
        // Generated from the card's own random source so a seeded test card is reproducible.
        for (;;) {
            SecureBytes scalar = random_.bytes(32);
            if (!valid_p256_scalar(view(scalar))) continue;
            st.aa_scalar = std::move(scalar);
            break;
        }
        touched(st);
    } else if (st.aa_scalar.empty()) {
        return status(sw::reference_not_found);
    }
    const auto key = crypto::EcPrivateKey::from_scalar_p256(view(st.aa_scalar));
    return ok(tlv::encode(0x7F49, tlv::encode(0x86, key.public_point())));
}

}  // namespace docketcard::applet::detail
