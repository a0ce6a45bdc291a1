// The whole encode path over the sample records: records -> LDS -> EF.SOD -> verification, and
// every decoder gives back what the record says.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "docketcard/lds/lds.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

TEST_CASE("Sample holders encode, sign and verify; decoders return the record", "[lds][pki][samples]") {
    const fs::path root(DOCKETCARD_SOURCE_DIR);
    record::LoadOptions options;
    options.today = record::Date{2026, 6, 1};
    const auto loaded = record::load_records(root / "samples" / "holders.jsonl", options);
    REQUIRE_FALSE(loaded.records.empty());
    const auto signer = pki::load_document_signer(root / "keys-sample");
    std::ifstream csca_in(root / "keys-sample" / "csca.pem");
    const Bytes csca((std::istreambuf_iterator<char>(csca_in)), {});

    for (const auto& holder : loaded.records) {
        INFO(holder.document_number);
        auto files = lds::encode_holder(holder);
        files.set(lds::fid_sod, pki::sign_sod(files.data_group_bytes(), signer));

        const auto v = pki::verify_sod(files.get(lds::fid_sod), csca, files.data_group_bytes(), 1767225600);
        INFO(v.failures());
        CHECK(v.ok());

        CHECK(lds::decode_com(files.get(lds::fid_com)).data_groups == std::vector<int>{1, 2, 11, 12, 13});
        CHECK(lds::decode_dg1(files.get(0x0101)) == mrz::make_td1(holder).joined());
        const auto face = lds::decode_dg2(files.get(0x0102));
        CHECK(face.image == holder.photo);
        CHECK(face.gender == lds::gender_code(holder.sex));
        const auto dg11 = lds::decode_dg11(files.get(0x010B));
        CHECK(dg11.full_name == lds::dg11_full_name(holder));
        CHECK(dg11.place_of_birth == holder.place_of_birth);
        CHECK(lds::decode_dg12(files.get(0x010C)).date_of_issue == holder.date_of_issue.yyyymmdd());
        const auto dg13 = lds::decode_dg13(files.get(0x010D));
        CHECK(dg13.a_number == holder.a_number);
        CHECK(dg13.docket.court == holder.docket.court);
        CHECK(dg13.docket.case_number == holder.docket.case_number);
        CHECK(dg13.docket.next_hearing == holder.docket.next_hearing);
        CHECK(dg13.docket.release_type == holder.docket.release_type);
        CHECK(dg13.docket.reporting_office == holder.docket.reporting_office);
        CHECK(dg13.docket.check_in_interval_days == holder.docket.check_in_interval_days);
        CHECK(dg13.docket.conditions == holder.docket.conditions);
    }
}
