// Shared helpers of the perso unit tests: sample holders and keys, in-process cards through the
// transport's sim link, and a BAC read-back of a personalized card.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "docketcard/applet/card.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/sm/bac.hpp"
#include "docketcard/iso7816/files.hpp"
#include "docketcard/transport/sim.hpp"

namespace perso_test {

using namespace docketcard;
namespace fs = std::filesystem;

inline fs::path source(const std::string& rel) { return fs::path(DOCKETCARD_SOURCE_DIR) / rel; }

/// Holder `index` (0-based) of samples/holders.jsonl; 0 is samples/holder.json's holder.
inline record::HolderRecord holder(std::size_t index = 0) {
    static const auto loaded = record::load_records(source("samples/holders.jsonl"));
    REQUIRE(index < loaded.records.size());
    return loaded.records[index];
}

inline const perso::IssuerKeys& keys() {
    static const perso::IssuerKeys k = perso::IssuerKeys::load(source("keys-sample"));
    return k;
}

/// A channel to an in-memory card.
inline std::unique_ptr<transport::LinkChannel> memory_card(std::uint64_t seed = 1) {
    applet::CardOptions o;
    o.random_seed = seed;
    return std::make_unique<transport::LinkChannel>(
        std::make_unique<transport::SimLink>(applet::Card::in_memory(o), "memory card"));
}

inline Bytes file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

/// A temporary folder (in /dev/shm when present: card files fsync every command).
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/dc-perso-XXXXXX");
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// Reads every file of the card with BAC (as an inspection system would) and checks the EF.SOD
/// signature and the hashes of all data groups against the sample CSCA.
inline std::map<std::uint16_t, Bytes> read_with_bac(transport::CardChannel& card, const record::HolderRecord& h) {
    const auto info = perso::read_card_info(card);  // also selects the application
    (void)info;
    auto sm = sm::establish_bac(card, mrz::make_td1(h).bac_information());
    std::map<std::uint16_t, Bytes> files;
    for (std::uint16_t fid : {std::uint16_t{0x011E}, std::uint16_t{0x0101}, std::uint16_t{0x0102},
                              std::uint16_t{0x010B}, std::uint16_t{0x010C}, std::uint16_t{0x010D},
                              std::uint16_t{0x010E}, std::uint16_t{0x010F}, std::uint16_t{0x011D}}) {
        files[fid] = iso7816::read_ef(sm, fid);
    }
    // EF.CardAccess is read in the clear, outside any session (Doc 9303 Part 11 9.2.11).
    iso7816::select_application(card);
    try {
        files[0x011C] = iso7816::read_ef(card, 0x011C);
    } catch (const CardError&) {
        // a card written with AccessControl::Bac has none
    }
    std::map<int, Bytes> dgs;
    for (int dg : {1, 2, 11, 12, 13, 14, 15}) dgs[dg] = files.at(lds::dg_file_id(dg));
    const Bytes csca = file_bytes(source("keys-sample/csca.pem"));
    const auto v = pki::verify_sod(files.at(0x011D), csca, dgs, 1767225600 /* 2026-01-01 */);
    INFO(v.failures());
    CHECK(v.ok());
    return files;
}

}  // namespace perso_test
