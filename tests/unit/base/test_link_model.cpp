// The link model (apdu/link_model.hpp) against hand computations written out here, from the
// profiles' parameters (docs/sim.md, "Link model").
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "docketcard/apdu/link_model.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using apdu::LinkProfile;

TEST_CASE("link model: the builtin profiles' parameters", "[link]") {
    const auto c9600 = LinkProfile::builtin("contact-9600");
    CHECK(c9600.bit_rate == Approx(9600.0));  // 3.5712 MHz / 372
    const auto c312 = LinkProfile::builtin("contact-312k");
    CHECK(c312.bit_rate == Approx(312500.0));  // 5 MHz * 32 / 512
    CHECK(c312.bits_per_byte == 11);
    CHECK(c312.max_information == 254);
    CHECK(c312.block_overhead == 4);
    CHECK(c312.block_gap_s == Approx(22 / 312500.0));
    const auto cl = LinkProfile::builtin("contactless-424k");
    CHECK(cl.bit_rate == Approx(423750.0));  // 13.56 MHz / 32
    CHECK(cl.max_information == 253);
    CHECK(cl.block_overhead == 3);
    CHECK_THROWS_WITH(LinkProfile::builtin("usb"),
                      "unknown link profile 'usb'; the profiles are contact-9600, contact-312k, contactless-424k, "
                      "or the path of a profile file (docs/sim.md)");
}

TEST_CASE("link model: a SELECT on contact-312k, by hand", "[link]") {
    // 00 A4 04 0C 07 A0 00 00 02 47 10 01 (12 bytes) answered 90 00: one block each way,
    // (12 + 4) + (2 + 4) = 22 bytes of 11 etu at 312500 etu/s; two BGTs of 22 etu (before the
    // answer, before the next command); 1 ms in the chip; nothing written.
    const auto c = apdu::command_cost(LinkProfile::builtin("contact-312k"), 12, 2, 0);
    CHECK(c.blocks == 2);
    CHECK(c.line_bytes == 22);
    CHECK(c.transfer_s == Approx(22 * 11 / 312500.0));   // 0.7744 ms
    CHECK(c.gaps_s == Approx(2 * 22 / 312500.0));        // 0.1408 ms
    CHECK(c.turnaround_s == Approx(0.001));
    CHECK(c.write_s == 0);
    CHECK(c.total() == Approx(0.0019152));
}

TEST_CASE("link model: a chained 2100-byte UPDATE BINARY writing 33 pages on contact-312k, by hand", "[link]") {
    // 2100 bytes in ceil(2100 / 254) = 9 I-blocks, 8 of them acknowledged by a 4-byte R-block;
    // the 2-byte answer in 1 block. Line: 2100 + 9*4 + 8*4 + 2 + 4 = 2174 bytes.
    // Gaps: 2*9 + 2*1 - 2 = 18 BGTs. Pages: 33 * 1.5 ms.
    const auto c = apdu::command_cost(LinkProfile::builtin("contact-312k"), 2100, 2, 33);
    CHECK(c.blocks == 9 + 8 + 1);
    CHECK(c.line_bytes == 2174);
    CHECK(c.transfer_s == Approx(2174 * 11 / 312500.0));  // 76.5248 ms
    CHECK(c.gaps_s == Approx(18 * 22 / 312500.0));        // 1.2672 ms
    CHECK(c.write_s == Approx(33 * 0.0015));              // 49.5 ms
    CHECK(c.total() == Approx(0.0765248 + 0.0012672 + 0.001 + 0.0495));
}

TEST_CASE("link model: a 298-byte READ BINARY answer on contact-9600 and a SELECT contactless, by hand", "[link]") {
    // READ BINARY 00 B0 00 00 00 (5 bytes) answered by 298 data bytes + SW (300 bytes): the
    // answer takes 2 I-blocks and one R-block from the terminal: 5 + 4 + 300 + 2*4 + 4 = 321 bytes
    // at 11 etu and 9600 etu/s; 2*1 + 2*2 - 2 = 4 BGTs.
    const auto r = apdu::command_cost(LinkProfile::builtin("contact-9600"), 5, 300, 0);
    CHECK(r.line_bytes == 321);
    CHECK(r.blocks == 1 + 2 + 1);
    CHECK(r.total() == Approx(321 * 11 / 9600.0 + 4 * 22 / 9600.0 + 0.001));  // 377.979 ms

    // The SELECT of the contact case on ISO/IEC 14443 at fc/32: (12 + 3) + (2 + 3) = 20 bytes of
    // 9 bits at 423750 bit/s; two frame delay times of 1172/fc.
    const auto s = apdu::command_cost(LinkProfile::builtin("contactless-424k"), 12, 2, 0);
    CHECK(s.line_bytes == 20);
    CHECK(s.total() == Approx(20 * 9 / 423750.0 + 2 * 1172 / 13.56e6 + 0.001));  // 1.5976 ms
}

TEST_CASE("link model: an account sums its commands", "[link]") {
    const auto p = LinkProfile::builtin("contact-312k");
    apdu::LinkAccount a;
    a.add(p, 12, 2, 0);
    a.add(p, 2100, 2, 33);
    CHECK(a.commands == 2);
    CHECK(a.bytes_out == 2112);
    CHECK(a.bytes_in == 4);
    CHECK(a.pages_written == 33);
    CHECK(a.cost.line_bytes == 22 + 2174);
    CHECK(a.cost.total() == Approx(0.0019152 + 0.128292));

    // The part after a snapshot, and two accounts added (a batch's cards).
    apdu::LinkAccount first;
    first.add(p, 12, 2, 0);
    const apdu::LinkAccount second = a.since(first);
    CHECK(second.commands == 1);
    CHECK(second.bytes_out == 2100);
    CHECK(second.pages_written == 33);
    CHECK(second.cost.line_bytes == 2174);
    CHECK(second.cost.total() == Approx(0.128292));
    apdu::LinkAccount both = first;
    both += second;
    CHECK(both.commands == a.commands);
    CHECK(both.bytes_in == a.bytes_in);
    CHECK(both.cost.blocks == a.cost.blocks);
    CHECK(both.cost.total() == Approx(a.cost.total()));
}

TEST_CASE("link model: a profile file, and its errors naming file, line and key", "[link]") {
    const auto dir = std::filesystem::temp_directory_path() / "docketcard-link-test";
    std::filesystem::create_directories(dir);
    const auto file = (dir / "slow-reader.link").string();
    {
        std::ofstream out(file);
        out << "# a reader that stays at 38400 etu/s\n"
               "bit_rate = 38400\nbits_per_byte = 11\nmax_information = 32   # IFSC default\n"
               "block_overhead = 4\nack_block = 4\nblock_gap_s = 0.000573\n";
    }
    const auto p = LinkProfile::load(file);
    CHECK(p.name == "slow-reader");
    CHECK(p.bit_rate == 38400);
    CHECK(p.max_information == 32);
    CHECK(p.command_turnaround_s == 0);
    // 100 bytes in ceil(100/32) = 4 blocks: 100 + 4*4 + 3*4 + 2 + 4 = 134 bytes; 2*4 + 2 - 2 = 8 gaps.
    CHECK(apdu::command_cost(p, 100, 2, 0).total() == Approx(134 * 11 / 38400.0 + 8 * 0.000573));
    {
        std::ofstream out(file);
        out << "bit_rate = 38400\nbits_per_byte = 11\nmax_informaton = 32\n";
    }
    CHECK_THROWS_WITH(LinkProfile::load(file),
                      file + ":3: unknown key 'max_informaton'; the keys are name, bit_rate, bits_per_byte, "
                             "max_information, block_overhead, ack_block, block_gap_s, command_turnaround_s, "
                             "page_size, page_write_s");
    {
        std::ofstream out(file);
        out << "bit_rate = fast\n";
    }
    CHECK_THROWS_WITH(LinkProfile::load(file),
                      file + ":1: bit_rate: 'fast' is not a number; a non-negative decimal is accepted");
    {
        std::ofstream out(file);
        out << "bit_rate = 9600\n";
    }
    CHECK_THROWS_WITH(LinkProfile::load(file),
                      file + ": bits_per_byte is missing; a profile needs at least bit_rate, bits_per_byte and "
                             "max_information");
    std::filesystem::remove_all(dir);
}
