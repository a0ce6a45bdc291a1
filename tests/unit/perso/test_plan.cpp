// render_plan: the script of `docketcard encode --plan`, built from the same step list as
// write_card.
#include <algorithm>
#include <sstream>

#include <catch2/catch.hpp>

#include "docketcard/util/error.hpp"
#include "perso_test_util.hpp"

using namespace perso_test;
using namespace docketcard;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

TEST_CASE("render_plan: golden first commands for the sample holder", "[perso][plan]") {
    const auto lines = lines_of(perso::render_plan(holder(0), keys()));
    const std::vector<std::string> golden{
        "# docketcard personalization plan for document DC2600001",
        "# Plain APDUs (CLA INS P1 P2 [Lc data] [Le], hex) in the order write_card sends them, before SCP03",
        "# wrapping (security level 33: C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION; CLA becomes 84).",
        "",
        "# SELECT the docket application (AID A0000002471001)",
        "00 A4 04 0C 07 A0000002471001",
        "# GET DATA card info in the clear: a LOCKED or BLOCKED card is refused here, before SCP03",
        "80 CA 00 66 00",
        "# INITIALIZE UPDATE, key set KVN 30: the card answers its serial (KDD), challenge and cryptogram",
        "80 50 30 00 08 <host challenge> 00",
        "# EXTERNAL AUTHENTICATE, security level 33 (never retried)",
        "84 82 33 00 10 <host cryptogram> <C-MAC>",
        "# GET DATA card info inside SCP03: the ticket (tag 85) decides new card, resume or refusal",
        "80 CA 00 66 00",
        "# PUT DATA ticket: \"DC2600001\" || 1F || SHA-256(DG1 DG2 DG11 DG12 DG13)[0..16] (skipped when resuming)",
        "80 DA 00 68 1A <ticket: document number + data digest, 26 bytes, redacted>",
        "# CREATE FILE EF.COM (011E), 27 bytes (on 6A89 exists: DELETE FILE, then CREATE FILE again)",
        "00 E0 00 00 06 6304001B011E",
        "# SELECT EF.COM (011E)",
        "00 A4 02 0C 02 011E",
        "# UPDATE BINARY EF.COM (011E), offset 0000, 27 bytes",
        "00 D6 00 00 1B 60195F0104303130375F36063034303030305C0761756B6C6D6E6F",
        "# CREATE FILE EF.CardAccess (011C), 22 bytes (on 6A89 exists: DELETE FILE, then CREATE FILE again)",
        "00 E0 00 00 06 63040016011C",
        "# SELECT EF.CardAccess (011C)",
        "00 A4 02 0C 02 011C",
        "# UPDATE BINARY EF.CardAccess (011C), offset 0000, 22 bytes",
        "00 D6 00 00 16 31143012060A04007F0007020204020202010202010D",
        "# CREATE FILE DG1 (0101), 95 bytes (on 6A89 exists: DELETE FILE, then CREATE FILE again)",
        "00 E0 00 00 06 6304005F0101",
        "# SELECT DG1 (0101)",
        "00 A4 02 0C 02 0101",
    };
    REQUIRE(lines.size() > golden.size());
    for (std::size_t i = 0; i < golden.size(); ++i) {
        INFO("line " << i + 1);
        CHECK(lines[i] == golden[i]);
    }
    const std::string plan = perso::render_plan(holder(0), keys());
    CHECK(plan.find("80 DA 00 62 1D <BAC secret redacted>\n") != std::string::npos);
    CHECK(plan.find("80 47 80 00 00\n") != std::string::npos);
    CHECK(plan.find("00 E0 00 00 06 6304005D010F\n") != std::string::npos);   // DG15, 93 bytes
    CHECK(plan.find("00 E0 00 00 06 6304 <size> 011D\n") != std::string::npos);
    CHECK(plan.find("80 DA 00 65 06 <CAN redacted>\n") != std::string::npos);
    CHECK(plan.find("137911") == std::string::npos);       // the CAN of the sample holder
    CHECK(plan.find("313337393131") == std::string::npos);
    const std::string complete = "80 DA 00 69 B4 <10 x (FID, SHA-256[0..15]): EF.COM (011E) EF.CardAccess (011C) DG1 (0101) DG2 (0102) "
                                 "DG11 (010B) DG12 (010C) DG13 (010D) DG14 (010E) DG15 (010F) EF.SOD (011D)>\n";
    CHECK(plan.substr(plan.size() - complete.size()) == complete);
    CHECK(plan.find("READ BINARY") == std::string::npos);  // no read-back: the card checks the digests
    // The BAC secret (document number, birth and expiry dates) never appears.
    CHECK(plan.find("0409444332363030303031") == std::string::npos);
    // Nor does the personalization ticket (redacted as the -vv trace redacts it, docs/cli.md).
    const Bytes ticket = perso::personalization_ticket(holder(0));
    REQUIRE(to_hex(ticket) == "4443323630303030311F8A6B857A79832EFFCC323CD253E9E84A");
    CHECK(plan.find(to_hex(ticket)) == std::string::npos);
    CHECK(plan.find(to_hex(ByteView(ticket).subspan(10))) == std::string::npos);
}

TEST_CASE("render_plan and write_card send the same commands", "[perso][plan]") {
    const auto h = holder(0);
    std::size_t plan_apdus = 0;
    for (const auto& line : lines_of(perso::render_plan(h, keys())))
        if (!line.empty() && line[0] != '#') ++plan_apdus;
    auto card = memory_card();
    const auto r = perso::write_card(*card, h, keys());
    const std::size_t sod = r.files.at(0x011D).size();
    const std::size_t sod_chunks = (sod + 2030) / 2031;
    // The plan shows EF.SOD's UPDATE BINARY and READ BINARY as one placeholder line each.
    CHECK(r.apdus == plan_apdus - 2 + 2 * sod_chunks);
}

TEST_CASE("render_plan: DG2 goes in extended-length APDUs, as CommandApdu::encode() sends them", "[perso][plan]") {
    const auto lines = lines_of(perso::render_plan(holder(0), keys()));
    auto after = [&](const std::string& comment) {
        const auto it = std::find(lines.begin(), lines.end(), comment);
        REQUIRE(it != lines.end());
        REQUIRE(it + 1 != lines.end());
        return *(it + 1);
    };
    // First UPDATE BINARY of DG2 (6228 bytes): Lc 2031 in the extended form 00 07 EF.
    const std::string first = after("# UPDATE BINARY DG2 (0102), offset 0000, 2031 bytes");
    CHECK(first.rfind("00 D6 00 00 00 07 EF "
                      "758218507F6182184B0201017F60821843A10F8002010181010287020101880200085F2E",
                      0) == 0);
    CHECK(first.size() == 21 + 2 * 2031);
    CHECK(first.substr(first.size() - 19) == "493D8FA75158F6AB5CD");
    // The last chunk, 135 bytes, fits the short form again.
    CHECK(after("# UPDATE BINARY DG2 (0102), offset 17CD, 135 bytes").rfind("00 D6 17 CD 87 844444C203CAACD", 0) == 0);
    // No read-back: COMPLETE carries the files' digests (docs/card-protocol.md).
    CHECK(std::find(lines.begin(), lines.end(), "# SELECT DG2 (0102), READ BINARY") == lines.end());
    // Without the spaces, each line is a valid APDU of the size it announces.
    auto unspaced = [](const std::string& line) {
        std::string hex;
        for (char c : line)
            if (c != ' ') hex.push_back(c);
        return from_hex(hex);
    };
    const auto update = apdu::CommandApdu::parse(unspaced(first));
    CHECK(update.data.size() == 2031);
    CHECK_FALSE(update.le);
}
