// bench_issue: batch issuance throughput on in-process sim: readers (not a test).
//
//   bench_issue [HOLDERS=40] [DIR]
//
// DIR is where the temporary card folders and journal go (default /dev/shm, else /tmp); name a
// folder on a disk to include the cost of the card files' and the journal's fsync.
//
// 1. Cards per minute and host CPU milliseconds per card for 1, 2 and 4 sim:DIR/ readers, each
//    run a fresh batch of HOLDERS holders (the issuable sample holders, repeated with new document
//    numbers) in fresh temporary folders, journal included. For the worker threads it also
//    splits their wall time (from /proc/thread-self/schedstat, read at each event a worker
//    emits) into running, runnable but waiting for a core (other threads or processes hold both
//    cores), and blocked (locks, I/O): a lock that serializes workers shows up as blocked time.
// 2. APDUs and bytes per card on the wire for write, lock and verify, against the minimum for the
//    card's maximum command data: every byte of every EF must cross in UPDATE BINARY data, each
//    command carrying at most (max command data - 8) bytes under SCP03 C-MAC + C-DECRYPTION
//    (GP Amendment D 6.2.4/6.2.6: 8-byte C-MAC, ISO/IEC 9797-1 method 2 padding to 16 bytes).
// 3. Cards per minute with the keys in files against the keys in a SoftHSM2 token, side by side.
// 4. The link model: one card's write, lock and verify projected on each link profile, against
//    the floor of the link for the card's file content.
// Results and the machine they came from are recorded in docs/performance.md.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <stdlib.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "docketcard/apdu/link_model.hpp"
#include "docketcard/batch/batch.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/verify/verify.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = DOCKETCARD_BENCH_SOURCE_DIR;
fs::path g_base = fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";

struct Temp {
    fs::path path;
    Temp() {
        std::string t = (g_base / "dc-bench-XXXXXX").string();
        const char* made = ::mkdtemp(t.data());
        if (made == nullptr) throw std::runtime_error("cannot create a temporary folder in " + g_base.string());
        path = made;
    }
    ~Temp() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// This thread's time on a core and time runnable but waiting for one, in seconds (schedstat).
struct SchedStat {
    double run = 0, runnable = 0;
};

SchedStat thread_schedstat() {
    std::ifstream in("/proc/thread-self/schedstat");
    unsigned long long run_ns = 0, wait_ns = 0;
    if (!(in >> run_ns >> wait_ns)) return {};
    return {static_cast<double>(run_ns) / 1e9, static_cast<double>(wait_ns) / 1e9};
}

/// Per worker thread: its latest schedstat and when it last emitted an event.
class WorkerClock {
public:
    void started() { start_ = std::chrono::steady_clock::now(); }
    void sample() {
        const auto now = std::chrono::steady_clock::now();
        const auto s = thread_schedstat();
        const std::lock_guard lock(mutex_);
        auto& w = workers_[std::this_thread::get_id()];
        w.stat = s;
        w.last = now;
    }
    /// Sums over the workers: running, runnable-waiting, blocked (the rest of each worker's life).
    SchedStat totals(double& blocked) const {
        SchedStat t;
        blocked = 0;
        for (const auto& [id, w] : workers_) {
            t.run += w.stat.run;
            t.runnable += w.stat.runnable;
            const double life = std::chrono::duration<double>(w.last - start_).count();
            blocked += std::max(0.0, life - w.stat.run - w.stat.runnable);
        }
        return t;
    }

private:
    struct Worker {
        SchedStat stat;
        std::chrono::steady_clock::time_point last;
    };
    std::mutex mutex_;
    std::map<std::thread::id, Worker> workers_;
    std::chrono::steady_clock::time_point start_;
};

std::string loadavg() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

/// `count` holders: the sample holders a card can take (full dates), repeated with new numbers.
fs::path write_holders(const fs::path& file, std::size_t count) {
    std::ifstream in(kSource / "samples/holders.jsonl");
    std::vector<nlohmann::json> base;
    std::string line;
    while (std::getline(in, line)) {
        auto doc = nlohmann::json::parse(line);
        if (doc["date_of_birth"].get<std::string>().find('X') != std::string::npos) continue;
        doc["photo"] = (kSource / "samples" / doc["photo"].get<std::string>()).string();
        base.push_back(doc);
    }
    std::ofstream out(file);
    for (std::size_t i = 0; i < count; ++i) {
        auto doc = base[i % base.size()];
        doc["document_number"] = fmt::format("BN{:07}", i + 1);
        out << doc.dump() << "\n";
    }
    return file;
}

record::LoadOptions load_options() {
    record::LoadOptions lo;
    lo.today = record::Date{2026, 11, 1};
    return lo;
}

/// Counts what crosses the link (below every SM layer and the GET RESPONSE loop: real APDUs).
class CountingLink final : public transport::ApduLink {
public:
    explicit CountingLink(std::unique_ptr<transport::ApduLink> inner) : inner_(std::move(inner)) {}
    Bytes exchange(ByteView command) override {
        ++apdus;
        bytes_out += command.size();
        Bytes r = inner_->exchange(command);
        bytes_in += r.size();
        return r;
    }
    transport::Capabilities capabilities() const override { return inner_->capabilities(); }
    Bytes atr() const override { return inner_->atr(); }
    std::string description() const override { return inner_->description(); }
    std::size_t apdus = 0, bytes_out = 0, bytes_in = 0;
    void reset() { apdus = bytes_out = bytes_in = 0; }

private:
    std::unique_ptr<transport::ApduLink> inner_;
};

void throughput(std::size_t holders) {
    fmt::print("throughput: {} holders per batch, fresh folders and journal each run, in {}; load average before: {}\n",
               holders, g_base.string(), loadavg());
    fmt::print("{:>8} {:>8} {:>10} {:>12} {:>10} | {:>13} {:>15} {:>13} {:>7}\n", "readers", "wall s", "cards/min",
               "CPU ms/card", "cores used", "workers run s", "runnable-wait s", "blocked s", "issued");
    for (int readers : {1, 2, 4}) {
        Temp dir;
        WorkerClock clock;
        batch::BatchOptions o;
        o.inputs = {write_holders(dir.path / "holders.jsonl", holders)};
        for (int i = 0; i < readers; ++i) o.readers.push_back(fmt::format("sim:{}/r{}/", dir.path.string(), i));
        o.keys_dir = kSource / "keys-sample";
        o.csca = kSource / "keys-sample/csca.pem";
        o.journal_path = dir.path / "journal.db";
        o.station = "bench";
        o.load_options = load_options();
        o.on_event = [&clock](const batch::Event& e) {
            if (e.kind == batch::EventKind::BatchStarted)
                clock.started();
            else if (!e.reader.empty())
                clock.sample();
        };
        const double cpu0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = batch::run_batch(o);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpu_seconds() - cpu0;
        double blocked = 0;
        const auto w = clock.totals(blocked);
        fmt::print("{:>8} {:>8.2f} {:>10.1f} {:>12.1f} {:>10.2f} | {:>13.2f} {:>15.2f} {:>13.2f} {:>7}\n", readers, wall,
                   static_cast<double>(r.issued) / wall * 60.0, cpu * 1000.0 / static_cast<double>(r.issued),
                   cpu / wall, w.run, w.runnable, blocked, r.issued);
    }
}

/// One batch of `holders` on `readers` sim:DIR/ readers with the keys of `keys_dir`: cards/min.
double cards_per_minute(std::size_t holders, int readers, const fs::path& keys_dir) {
    Temp dir;
    batch::BatchOptions o;
    o.inputs = {write_holders(dir.path / "holders.jsonl", holders)};
    for (int i = 0; i < readers; ++i) o.readers.push_back(fmt::format("sim:{}/r{}/", dir.path.string(), i));
    o.keys_dir = keys_dir;
    o.csca = kSource / "keys-sample/csca.pem";
    o.journal_path = dir.path / "journal.db";
    o.station = "bench";
    o.load_options = load_options();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = batch::run_batch(o);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r.issued != holders) throw std::runtime_error(fmt::format("{} of {} holders issued", r.issued, holders));
    return static_cast<double>(r.issued) / wall * 60.0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2.0;
}

/// 3. Keys in files against keys in a SoftHSM2 token (keys-sample/provision-softhsm.sh in a
///    private SOFTHSM2_CONF): the same batch alternately with each, ROUNDS times, medians and
///    their ratio. Per card the token makes one ECDSA signature (EF.SOD) and the KDF3 blocks of
///    the card's three SCP03 keys (C_Sign CKM_AES_CMAC), for the write and again for the lock.
void keys_file_vs_token(std::size_t holders) {
    constexpr int rounds = 5;
    Temp site;
    const std::string cmd = (kSource / "keys-sample/provision-softhsm.sh").string() + " " + site.path.string() +
                            " >/dev/null";
    if (std::system(cmd.c_str()) != 0) {
        fmt::print("keys: skipped (keys-sample/provision-softhsm.sh failed: is softhsm2 installed?)\n");
        return;
    }
    setenv("SOFTHSM2_CONF", (site.path / "softhsm2.conf").c_str(), 1);
    fmt::print("keys: {} holders per batch, 1 and 2 readers, file keys and SoftHSM2 alternately, {} rounds; "
               "load average before: {}\n",
               holders, rounds, loadavg());
    fmt::print("{:>8} {:>18} {:>18} {:>12}\n", "readers", "file cards/min", "token cards/min", "token/file");
    for (int readers : {1, 2}) {
        std::vector<double> file, token;
        for (int i = 0; i < rounds; ++i) {
            file.push_back(cards_per_minute(holders, readers, kSource / "keys-sample"));
            token.push_back(cards_per_minute(holders, readers, site.path));
        }
        const double f = median(file), t = median(token);
        fmt::print("{:>8} {:>18.1f} {:>18.1f} {:>12.2f}\n", readers, f, t, t / f);
    }
    fmt::print("  (medians; load average after: {})\n", loadavg());
}

/// The floor of a link for `content` bytes of file content: the bytes cross once in full blocks
/// (every block's framing and every chained block's acknowledgement, two block gaps a block),
/// and the chip programs ceil(content / page) pages. No command headers, no secure messaging, no
/// chip turnaround, no read-back: no personalization can be faster on that link.
double link_floor(const apdu::LinkProfile& p, std::size_t content) {
    const std::size_t blocks = (content + p.max_information - 1) / p.max_information;
    const std::size_t line = content + blocks * p.block_overhead + (blocks - 1) * p.ack_block;
    const std::size_t pages = (content + p.page_size - 1) / p.page_size;
    return static_cast<double>(line) * p.bits_per_byte / p.bit_rate + 2.0 * static_cast<double>(blocks) * p.block_gap_s +
           static_cast<double>(pages) * p.page_write_s;
}

/// 4. The write, lock and verify of one card projected on each link profile against that
///    link's floor for the card's content.
void link_profiles() {
    Temp dir;
    const auto loaded = record::load_records(write_holders(dir.path / "one.jsonl", 1), load_options());
    const auto& holder = loaded.records.at(0);
    const auto keys = perso::IssuerKeys::load(kSource / "keys-sample");
    fmt::print("\nlink model (docs/sim.md): one card, projected card time per step and the floor of the link for "
               "its file content\n");
    fmt::print("{:>17} {:>9} {:>9} {:>9} {:>10} {:>8} {:>12} {:>10}\n", "profile", "write s", "lock s", "verify s",
               "floor s", "pages", "write/floor", "host ms");
    for (const char* name : {"contact-9600", "contact-312k", "contactless-424k"}) {
        const auto profile = apdu::LinkProfile::builtin(name);
        auto channel = transport::open_sim_channel(dir.path / fmt::format("{}.card", name), {}, profile);
        const auto& account = channel->link_projection()->account;
        perso::read_card_info(*channel);
        const double before = account.cost.total();
        const auto t0 = std::chrono::steady_clock::now();
        const auto written = perso::write_card(*channel, holder, keys);
        const double host_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        const double write_s = account.cost.total() - before;
        const auto pages = account.pages_written;
        const double l0 = account.cost.total();
        perso::lock_card(*channel, keys);
        const double lock_s = account.cost.total() - l0;
        verify::Options vo;
        vo.csca = kSource / "keys-sample/csca.pem";
        vo.record = holder;
        const double v0 = account.cost.total();
        verify::verify_card(*channel, vo);
        const double verify_s = account.cost.total() - v0;
        std::size_t content = 0;
        for (const auto& [fid, bytes] : written.files) content += bytes.size();
        const double floor = link_floor(profile, content);
        fmt::print("{:>17} {:>9.3f} {:>9.3f} {:>9.3f} {:>10.3f} {:>8} {:>12.2f} {:>10.1f}\n", name, write_s, lock_s,
                   verify_s, floor, pages, write_s / floor, host_ms);
    }
}

void per_card() {
    Temp dir;
    const auto loaded = record::load_records(write_holders(dir.path / "one.jsonl", 1), load_options());
    const auto& holder = loaded.records.at(0);
    const auto keys = perso::IssuerKeys::load(kSource / "keys-sample");
    auto sim = std::make_unique<transport::SimLink>(applet::Card::open(dir.path / "bench.card"), "bench");
    auto counting = std::make_unique<CountingLink>(std::move(sim));
    CountingLink* link = counting.get();
    transport::LinkChannel channel(std::move(counting));

    const auto info = perso::read_card_info(channel);
    link->reset();
    const double c0 = cpu_seconds();
    const auto written = perso::write_card(channel, holder, keys);
    const double c1 = cpu_seconds();
    const std::size_t write_apdus = link->apdus, write_out = link->bytes_out, write_in = link->bytes_in;
    link->reset();
    perso::lock_card(channel, keys);
    const std::size_t lock_apdus = link->apdus, lock_out = link->bytes_out;
    link->reset();
    const double c2 = cpu_seconds();
    verify::Options vo;
    vo.csca = kSource / "keys-sample/csca.pem";
    vo.record = holder;
    const auto result = verify::verify_card(channel, vo);
    const double c3 = cpu_seconds();
    const std::size_t verify_apdus = link->apdus, verify_out = link->bytes_out, verify_in = link->bytes_in;

    std::size_t content = 0, min_apdus = 0, min_apdus_raw = 0;
    const std::size_t max_data = info.max_command_data;
    const std::size_t sm_payload = ((max_data - 8) / 16) * 16 - 1;  // C-MAC 8 bytes, padding method 2
    for (const auto& [fid, bytes] : written.files) {
        content += bytes.size();
        min_apdus += (bytes.size() + sm_payload - 1) / sm_payload;
        min_apdus_raw += (bytes.size() + max_data - 1) / max_data;
    }
    fmt::print("\nper card (holder {}, {} EFs, {} bytes of file content; verify {}):\n", holder.document_number,
               written.files.size(), content, result.ok() ? "ok" : "FAILED");
    fmt::print("  card max command data {} bytes (GET DATA 66 tag 84); SCP03 payload per command {} bytes\n",
               max_data, sm_payload);
    fmt::print("  write : {:>4} APDUs, {:>6} bytes out, {:>6} bytes in (perso reports {} APDUs, {} bytes)\n",
               write_apdus, write_out, write_in, written.apdus, written.bytes_sent);
    fmt::print("  lock  : {:>4} APDUs, {:>6} bytes out\n", lock_apdus, lock_out);
    fmt::print("  verify: {:>4} APDUs, {:>6} bytes out, {:>6} bytes in\n", verify_apdus, verify_out, verify_in);
    fmt::print("  minimum UPDATE BINARY commands for the file content: {} under SCP03 ({} without SM); "
               "the write used {} APDUs in all ({} beyond that minimum: session, file creation, keys, COMPLETE with "
               "every file's digest; nothing is read back)\n",
               min_apdus, min_apdus_raw, write_apdus, write_apdus - min_apdus);
    fmt::print("  bytes: {} of content must cross; the write sent {} ({:.2f}x)\n", content, write_out,
               static_cast<double>(write_out) / static_cast<double>(content));
    fmt::print("  host CPU: write {:.1f} ms, verify {:.1f} ms\n", (c1 - c0) * 1000.0, (c3 - c2) * 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::size_t holders = argc > 1 ? std::stoul(argv[1]) : 40;
        if (argc > 2) g_base = argv[2];
        throughput(holders);
        per_card();
        keys_file_vs_token(std::min<std::size_t>(holders, 20));
        link_profiles();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_issue: %s\n", e.what());
        return 1;
    }
    return 0;
}
