// bench_card: one card written through pcscd, against the transport alone (not a test).
//
//   bench_card CARD_READER ECHO_READER CARD_SIM_PID ECHO_SIM_PID
//
// Run by bench/card_bench.sh, once per round, with docketcard-sim behind vpcd in CARD_READER
// (a blank card) and `docketcard-sim --echo` in ECHO_READER. It
//  1. writes the first issuable sample holder on CARD_READER with perso::write_card (keys-sample),
//     recording every command's encoded size and its response's size as the library sees them;
//  2. replays that sequence of sizes on ECHO_READER with plain SCardTransmit calls: each command
//     the same length (CLA 80, INS EE, P1-P2 = the response's data length; the echo card answers
//     that many bytes and 9000 without any card logic), i.e. what pcscd, vpcd and the sockets cost
//     for this exchange by themselves: the transport floor;
//  3. measures the preparation alone (LDS encoding and the EF.SOD signature of the same holder,
//     median of 50) in this process.
// Prints one line of `key=value` figures: wall and CPU milliseconds of the write and the replay,
// the preparation's CPU, each sim's CPU (/proc/PID/schedstat, nanoseconds) during each, and the
// command and byte counts. card_bench.sh takes medians over the rounds and splits the CPU.

#include <winscard.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = DOCKETCARD_BENCH_SOURCE_DIR;

double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double wall_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of process `pid`'s main thread in milliseconds (first field of /proc/PID/schedstat:
// nanoseconds on a CPU). docketcard-sim is single-threaded.
double sim_cpu_ms(const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/schedstat");
    unsigned long long ns = 0;
    if (!(in >> ns)) throw std::runtime_error("cannot read /proc/" + pid + "/schedstat");
    return static_cast<double>(ns) / 1e6;
}

// Passes every command on to `inner` and notes its encoded size and the response's.
class RecordingChannel final : public transport::CardChannel {
public:
    explicit RecordingChannel(transport::CardChannel& inner) : inner_(inner) {}
    apdu::ResponseApdu transmit(const apdu::CommandApdu& command) override {
        auto r = inner_.transmit(command);
        sizes.emplace_back(command.encode().size(), r.data.size() + 2);
        return r;
    }
    transport::Capabilities capabilities() const override { return inner_.capabilities(); }
    Bytes atr() const override { return inner_.atr(); }
    std::string description() const override { return inner_.description(); }

    std::vector<std::pair<std::size_t, std::size_t>> sizes;   // command bytes, response bytes (SW included)

private:
    transport::CardChannel& inner_;
};

record::HolderRecord first_holder() {
    record::LoadOptions options;
    const auto loaded = record::load_records(kSource / "samples/holders.jsonl", options);
    for (const auto& h : loaded.records)
        if (h.date_of_birth.month != 0 && h.date_of_birth.day != 0) return h;
    throw std::runtime_error("no issuable sample holder");
}

// A command of exactly `size` bytes whose echo answer carries `response_data` bytes.
Bytes echo_command(std::size_t size, std::size_t response_data) {
    Bytes c{0x80, 0xEE, static_cast<std::uint8_t>(response_data >> 8), static_cast<std::uint8_t>(response_data)};
    if (size <= 4) return c;
    if (size == 5) {
        c.push_back(0x00);
        return c;
    }
    if (size <= 5 + 255) {   // short Lc
        c.push_back(static_cast<std::uint8_t>(size - 5));
        c.resize(size, 0x00);
        return c;
    }
    const std::size_t n = size - 7;   // extended Lc: 00 HH LL
    c.push_back(0x00);
    c.push_back(static_cast<std::uint8_t>(n >> 8));
    c.push_back(static_cast<std::uint8_t>(n));
    c.resize(size, 0x00);
    return c;
}

int fail(const char* what, LONG rc) {
    std::fprintf(stderr, "bench_card: %s: %s\n", what, pcsc_stringify_error(rc));
    return 1;
}

// Replays `sizes` on the reader whose name contains `reader`; wall and CPU milliseconds.
int replay(const std::string& reader, const std::vector<std::pair<std::size_t, std::size_t>>& sizes, double& wall,
           double& cpu) {
    SCARDCONTEXT ctx = 0;
    LONG rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
    if (rc != SCARD_S_SUCCESS) return fail("SCardEstablishContext", rc);
    DWORD len = 0;
    rc = SCardListReaders(ctx, nullptr, nullptr, &len);
    if (rc != SCARD_S_SUCCESS) return fail("SCardListReaders", rc);
    std::string names(len, '\0');
    rc = SCardListReaders(ctx, nullptr, names.data(), &len);
    if (rc != SCARD_S_SUCCESS) return fail("SCardListReaders", rc);
    std::string chosen;
    for (std::size_t at = 0; at < names.size() && names[at] != '\0'; at += std::string(names.c_str() + at).size() + 1)
        if (std::string(names.c_str() + at).find(reader) != std::string::npos) chosen = names.c_str() + at;
    if (chosen.empty()) return fail(("no reader named like " + reader).c_str(), SCARD_E_UNKNOWN_READER);
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    rc = SCardConnect(ctx, chosen.c_str(), SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T1, &card, &protocol);
    if (rc != SCARD_S_SUCCESS) return fail("SCardConnect", rc);
    std::vector<Bytes> commands;
    for (const auto& [c, r] : sizes) commands.push_back(echo_command(c, r - 2));
    std::vector<std::uint8_t> answer(65538);
    const double w0 = wall_ms(), c0 = cpu_ms();
    for (std::size_t i = 0; i < commands.size(); ++i) {
        DWORD got = static_cast<DWORD>(answer.size());
        rc = SCardTransmit(card, SCARD_PCI_T1, commands[i].data(), static_cast<DWORD>(commands[i].size()), nullptr,
                           answer.data(), &got);
        if (rc != SCARD_S_SUCCESS) return fail("SCardTransmit", rc);
        if (got != sizes[i].second || answer[got - 2] != 0x90) {
            std::fprintf(stderr, "bench_card: echo answer %zu: %lu bytes, expected %zu\n", i, static_cast<unsigned long>(got),
                         sizes[i].second);
            return 1;
        }
    }
    wall = wall_ms() - w0;
    cpu = cpu_ms() - c0;
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(ctx);
    return 0;
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc != 5) {
        std::fprintf(stderr, "usage: bench_card CARD_READER ECHO_READER CARD_SIM_PID ECHO_SIM_PID\n");
        return 2;
    }
    const std::string card_reader = argv[1], echo_reader = argv[2], card_pid = argv[3], echo_pid = argv[4];
    const auto holder = first_holder();
    const auto keys = perso::IssuerKeys::load(kSource / "keys-sample");

    // 3. The preparation alone: encode the holder's files and sign an EF.SOD over them.
    const auto signer = pki::load_document_signer(kSource / "keys-sample");
    std::vector<double> prep;
    for (int i = 0; i < 50; ++i) {
        const double c0 = cpu_ms();
        const lds::Lds files = lds::encode_holder(holder);
        std::map<int, Bytes> hashes;
        for (int dg : files.data_groups()) hashes.emplace(dg, crypto::sha256(files.get(lds::dg_file_id(dg))));
        const Bytes sod = pki::sign_sod_from_hashes(hashes, signer);
        prep.push_back(cpu_ms() - c0);
        if (sod.empty()) return 1;
    }
    std::sort(prep.begin(), prep.end());

    // 1. The write through pcscd.
    const auto reader = transport::open_reader(transport::parse_reader(card_reader));
    transport::ConnectOptions connect;
    connect.exclusive = true;
    auto channel = reader->connect(connect);
    RecordingChannel recording(*channel);
    const double sim0 = sim_cpu_ms(card_pid), w0 = wall_ms(), c0 = cpu_ms();
    const auto result = perso::write_card(recording, holder, keys);
    const double write_wall = wall_ms() - w0, write_cpu = cpu_ms() - c0, card_cpu = sim_cpu_ms(card_pid) - sim0;
    channel.reset();

    // 2. The same sizes on the echo card.
    double replay_wall = 0, replay_cpu = 0;
    const double e0 = sim_cpu_ms(echo_pid);
    if (replay(echo_reader, recording.sizes, replay_wall, replay_cpu) != 0) return 1;
    const double echo_cpu = sim_cpu_ms(echo_pid) - e0;

    std::size_t out = 0, in = 0;
    for (const auto& [c, r] : recording.sizes) {
        out += c;
        in += r;
    }
    fmt::print("commands={} bytes_out={} bytes_in={} wire_apdus={} write_wall={:.2f} write_cpu={:.2f} "
               "card_cpu={:.2f} replay_wall={:.2f} replay_cpu={:.2f} echo_cpu={:.2f} prep_cpu={:.3f} serial={}\n",
               recording.sizes.size(), out, in, result.apdus, write_wall, write_cpu, card_cpu, replay_wall, replay_cpu,
               echo_cpu, prep[prep.size() / 2], result.serial_hex);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_card: %s\n", e.what());
    return 1;
}
