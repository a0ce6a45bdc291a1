// The docket applet: APDU dispatch, BAC and its 3DES secure messaging (ICAO Doc 9303 Part 11
// 9.7, 9.8), the SCP03 secure channel (GP Amendment D) and the personalization commands of
// docs/card-protocol.md. Works on a PersistentState the runtime commits after each command.
//
//        SELECT AID ─────────────► (selected, no session)
//          │  GET CHALLENGE + MUTUAL AUTH            │ INITIALIZE UPDATE + EXTERNAL AUTH
//          ▼                                         ▼
//     BAC session (CLA 0C, SSC)               SCP03 session (CLA 84/94, C-MAC chain, counter)
//     read side: SELECT EF, READ BINARY,      personalization: PUT DATA, CREATE/DELETE FILE,
//     INTERNAL AUTHENTICATE, GET DATA          SELECT EF, UPDATE/READ BINARY, GENERATE AA KEY
//     bad MAC -> 6988, session ends           bad C-MAC -> 6982, session ends
//          ▲
//          │ MSE:Set AT + GENERAL AUTHENTICATE x4 (PACE, Doc 9303 Part 11 4.4; applet_pace.cpp)
//     PACE session: the same read side under AES secure messaging (Part 11 9.8.6.2, SSC 0)
#pragma once

#include <cstdint>
#include <optional>

#include "docketcard/applet/card.hpp"
#include "docketcard/apdu/apdu.hpp"
#include "docketcard/crypto/pace.hpp"
#include "card_random.hpp"
#include "state.hpp"

namespace docketcard::applet::detail {

/// The eMRTD application identifier (Doc 9303 Part 10, 3.1).
using apdu::emrtd_aid;   // the application this card implements (one definition, in apdu.hpp)
/// Largest command data field and response data field (extended length, ISO/IEC 7816-4 5.1).
inline constexpr std::size_t kMaxData = 2048;
/// COMPLETE's command data: one entry per file, its FID (2 bytes) and the first 16 bytes of the
/// SHA-256 of its content (docs/card-protocol.md).
inline constexpr std::size_t kCompleteDigest = 16;
inline constexpr std::size_t kCompleteEntry = 2 + kCompleteDigest;
/// Consecutive wrong CANs before PACE with the CAN is blocked (docs/card-protocol.md, "PACE").
inline constexpr std::uint8_t kCanAttempts = 10;

/// A response before encoding.
struct Response {
    Bytes data;
    apdu::StatusWord sw;
};

/// The applet's volatile state and command handlers.
class DocketApplet {
public:
    DocketApplet(CardRandom& random, const CardTestHooks& hooks) : random_(random), hooks_(hooks) {}
    /// Power-on / reset: drops every session, selection and chain (ISO/IEC 7816-3 cold reset).
    void reset();
    /// Processes one raw command APDU against `state` (which the caller commits afterwards).
    Bytes process(ByteView raw, PersistentState& state);

private:
    /// A Doc 9303 Part 11 9.8 secure messaging session: 3DES after BAC (8-byte SSC), AES after
    /// PACE (16-byte SSC starting at zero, 9.8.6.2).
    struct SmSession {
        bool aes = false;
        SecureBytes ks_enc, ks_mac;
        Bytes ssc;
        crypto::pace::PasswordKind password{};  ///< PACE only: the password it was opened with
    };
    /// A PACE run between MSE:Set AT and the last GENERAL AUTHENTICATE (Part 11 4.4.3).
    struct PaceRun {
        crypto::pace::PasswordKind password{};
        int step = 1;                       ///< the next GENERAL AUTHENTICATE expected, 1..4
        SecureBytes nonce;                  ///< s
        SecureBytes k_pi;
        SecureBytes sk_map, sk_dh;
        Bytes generator;                    ///< the mapped generator
        Bytes pk_map_ifd, pk_dh_ifd, pk_dh_ic;
        SecureBytes ks_enc, ks_mac;
    };
    struct ScpSession {
        SecureBytes s_enc, s_mac, s_rmac;
        Bytes host_challenge, card_challenge;
        bool authenticated = false;
        std::uint8_t level = 0;
        Bytes chaining = Bytes(16, 0x00);
        std::uint64_t counter = 1;
    };
    struct Chain {
        std::uint8_t ins = 0, p1 = 0, p2 = 0;
        Bytes data;
    };

    Response plain(const apdu::CommandApdu& c, PersistentState& st);
    Response sm_protected(const apdu::CommandApdu& c, PersistentState& st);
    Response bac_inner(const apdu::CommandApdu& c, PersistentState& st);
    Response scp_protected(ByteView raw, const apdu::CommandApdu& c, PersistentState& st);
    Response perso(const apdu::CommandApdu& c, PersistentState& st);

    Response select_application(const apdu::CommandApdu& c);
    Response get_challenge(const apdu::CommandApdu& c, const PersistentState& st);
    Response mutual_authenticate(const apdu::CommandApdu& c, const PersistentState& st);
    Response mse_set_at(const apdu::CommandApdu& c, const PersistentState& st);
    Response general_authenticate(const apdu::CommandApdu& c, PersistentState& st);
    Response pace_step(const apdu::CommandApdu& c, ByteView data, PersistentState& st);
    Response ca_set_at(const apdu::CommandApdu& c, const PersistentState& st);
    Response ca_general_authenticate(const apdu::CommandApdu& c, const PersistentState& st);
    Response ca_key(const apdu::CommandApdu& c, PersistentState& st);
    Response initialize_update(const apdu::CommandApdu& c, PersistentState& st);
    Response external_authenticate(const apdu::CommandApdu& c, PersistentState& st);
    Response get_card_info(const apdu::CommandApdu& c, const PersistentState& st, bool with_serial, bool with_ticket) const;
    Response card_info(const PersistentState& st, bool with_serial, bool with_ticket) const;
    Response select_ef(const apdu::CommandApdu& c, const PersistentState& st);
    Response read_binary(const apdu::CommandApdu& c, const PersistentState& st);
    Response put_data(const apdu::CommandApdu& c, PersistentState& st);
    Response create_file(const apdu::CommandApdu& c, PersistentState& st);
    Response delete_file(const apdu::CommandApdu& c, PersistentState& st);
    Response update_binary(const apdu::CommandApdu& c, PersistentState& st);
    Response aa_key(const apdu::CommandApdu& c, PersistentState& st);

    void end_sessions();

    CardRandom& random_;
    const CardTestHooks& hooks_;
    std::optional<SmSession> bac_;   ///< the read-side session, after BAC or PACE
    std::optional<PaceRun> pace_;
    bool ca_selected_ = false;            ///< MSE:Set AT for Chip Authentication accepted
    std::optional<SmSession> next_sm_;    ///< after CA: the session that follows this response
    std::optional<Bytes> rnd_ic_;
    std::optional<ScpSession> scp_;
    std::optional<std::uint16_t> selected_ef_;
    std::optional<Chain> chain_;
};

}  // namespace docketcard::applet::detail
