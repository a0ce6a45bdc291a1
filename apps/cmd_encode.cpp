// `docketcard encode`: validate holder records and write, for each valid holder, the exact bytes
// of every LDS elementary file (ICAO Doc 9303 Part 10) with its signed EF.SOD, without a card.
//
// Each holder's folder OUT/<document_number>/ appears atomically: files are written into a
// temporary folder next to it, made durable a group of holders at a time (Publisher), then
// renamed (or atomically exchanged with an older folder of the same name), so an interrupted run
// or a power loss never leaves a half-written folder.

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <ctime>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/compile.h>
#include <fmt/core.h>

#include "cli.hpp"
#include "docketcard/crypto/crypto.hpp"
#include "docketcard/keys/key_set.hpp"
#include "docketcard/lds/lds.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/record/mrz.hpp"
#include "docketcard/record/record.hpp"
#include "docketcard/util/error.hpp"

namespace docketcard::app {

namespace {

namespace fs = std::filesystem;

// One encode thread a core, at least one, at most 16.
unsigned default_jobs() {
    const unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1U : std::min(cores, 16U);
}

struct EncodeOptions {
    std::string record_file;
    std::string keys_dir;
    std::string out_dir;
    std::string aa_public_key;
    std::string issuing_authority = std::string(lds::default_issuing_authority);
    std::string document_code = "ID";
    bool plan = false;
    unsigned jobs = default_jobs();
};

struct FileInfo {
    std::string name;
    std::size_t size = 0;
    std::string sha256;
};

struct Encoded {
    std::string document_number;
    fs::path dir;
    std::vector<FileInfo> files;
};

Bytes read_binary(const fs::path& file, const char* what) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("cannot read {} {}", what, file.string()));
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Writes `data` to `name` in the folder `dir_fd` (a new file; made durable by Publisher::flush).
void write_file_at(int dir_fd, const fs::path& dir, const std::string& name, ByteView data) {
    const int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(ErrorKind::InvalidInput, fmt::format("cannot create {}", (dir / name).string()));
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) {
            ::close(fd);
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot write {}", (dir / name).string()));
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw Error(ErrorKind::InvalidInput, fmt::format("cannot write {}", (dir / name).string()));
}

std::string file_label(std::uint16_t fid) {
    if (fid == lds::fid_com) return "COM";
    if (fid == lds::fid_sod) return "SOD";
    return lds::file_name(fid);
}

std::string utc(std::time_t t) {
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

// One holder encoded into its temporary folder, not yet published.
struct Prepared {
    fs::path tmp;           // the temporary folder
    std::string tmp_name;   // its name in the output folder
    Encoded holder;
};

// Moves the finished temporary folder to its final name in the output folder `out_fd`; an
// existing folder of that name is exchanged atomically (renameat2 RENAME_EXCHANGE) and then
// removed. Names relative to the folder's descriptor: no path walk from the root per holder.
void publish(int out_fd, const Prepared& done) {
    const char* final_name = done.holder.document_number.c_str();
    if (::renameat(out_fd, done.tmp_name.c_str(), out_fd, final_name) == 0) return;
    const fs::path& final_dir = done.holder.dir;
    if (errno != ENOTEMPTY && errno != EEXIST)
        throw Error(ErrorKind::InvalidInput, fmt::format("cannot create {}: {}", final_dir.string(), std::strerror(errno)));
    if (::renameat2(out_fd, done.tmp_name.c_str(), out_fd, final_name, RENAME_EXCHANGE) != 0)
        throw Error(ErrorKind::InvalidInput, fmt::format("cannot replace {}: {}", final_dir.string(), std::strerror(errno)));
    fs::remove_all(done.tmp);
}

// Holders' folders are made durable a group at a time instead of with an fsync per file (eight
// or nine per holder): each holder's files go into its temporary folder unsynced; when a group is
// full (and at the end), one syncfs(2) makes every file and folder of the output file system
// durable, then each temporary folder is renamed to its final name and the output folder is
// fsynced. A crash at any point leaves each holder's folder either absent (its temporary
// folder, hidden, may remain) or complete, never half-written: a folder is only renamed into
// place after its content is on the disk.

class Publisher {
public:
    using Published = std::function<void(const Encoded&)>;
    Publisher(const fs::path& out, Published published) : out_(out), published_(std::move(published)) {
        fd_ = ::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd_ < 0) throw Error(ErrorKind::InvalidInput, fmt::format("cannot open {}: {}", out.string(), std::strerror(errno)));
    }
    Publisher(const Publisher&) = delete;
    Publisher& operator=(const Publisher&) = delete;
    ~Publisher() {
        // Only after an error: folders not published are removed, as a rejected holder's are.
        for (const auto& p : pending_) {
            std::error_code ec;
            fs::remove_all(p.tmp, ec);
        }
        ::close(fd_);
    }
    /// The output folder, open: encode_one makes its temporary folders relative to it.
    int dir_fd() const noexcept { return fd_; }
    /// `done.tmp` is complete; it becomes `done.holder.dir` at the next flush, which then reports it.
    void add(Prepared done) {
        pending_.push_back(std::move(done));
        if (pending_.size() >= kGroup) flush();
    }
    void flush() {
        if (pending_.empty()) return;
        if (::syncfs(fd_) != 0)
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot flush {}: {}", out_.string(), std::strerror(errno)));
        std::vector<Encoded> done;
        while (!pending_.empty()) {
            publish(fd_, pending_.front());
            done.push_back(std::move(pending_.front().holder));
            pending_.pop_front();
        }
        if (::fsync(fd_) != 0)
            throw Error(ErrorKind::InvalidInput, fmt::format("cannot flush {}: {}", out_.string(), std::strerror(errno)));
        for (const auto& holder : done) published_(holder);
    }

private:
    static constexpr std::size_t kGroup = 64;
    fs::path out_;
    Published published_;
    int fd_ = -1;
    std::deque<Prepared> pending_;
};

// The temporary folders' names: `.<document number>.tmp-<run>-<n>`, with a random run tag made
// once (a leftover folder of an interrupted run never collides) and a counter (two records of one
// document number in one input each get their own).
class TempNames {
public:
    TempNames() : run_(to_hex(crypto::random_bytes(4))) {}
    std::string next(const std::string& document_number) {
        return fmt::format(FMT_COMPILE(".{}.tmp-{}-{}"), document_number, run_,
                           counter_.fetch_add(1, std::memory_order_relaxed));
    }

private:
    std::string run_;
    std::atomic<std::uint64_t> counter_{0};
};

// Encodes one holder into a temporary folder of `out_dir` (published later, in input order, by
// the Publisher). Touches nothing shared but the signer and `names`: runs on any EncodePool thread.
Prepared encode_one(const record::HolderRecord& holder, const pki::DocumentSigner& signer,
                    const lds::EncodeOptions& options, const fs::path& out_dir, int out_fd, TempNames& names,
                    const perso::IssuerKeys* plan_keys) {
    lds::Lds files = lds::encode_holder(holder, options);
    // Each file's SHA-256 once: the summary lists it and the LDSSecurityObject holds the DGs'.
    std::map<std::uint16_t, Bytes> hashes;
    std::map<int, Bytes> dg_hashes;
    for (int dg : files.data_groups()) {
        Bytes h = crypto::sha256(files.get(lds::dg_file_id(dg)));
        dg_hashes.emplace(dg, h);
        hashes.emplace(lds::dg_file_id(dg), std::move(h));
    }
    hashes.emplace(lds::fid_com, crypto::sha256(files.get(lds::fid_com)));
    pki::SignOptions sign;
    sign.signing_time = std::time(nullptr);
    files.set(lds::fid_sod, pki::sign_sod_from_hashes(dg_hashes, signer, sign));
    hashes.emplace(lds::fid_sod, crypto::sha256(files.get(lds::fid_sod)));
    const std::string mrz = lds::decode_dg1(files.get(lds::dg_file_id(1)));   // the TD1 encode_holder made

    Encoded result{holder.document_number, out_dir / holder.document_number, {}};
    std::string tmp_name = names.next(holder.document_number);
    const fs::path tmp = out_dir / tmp_name;
    if (::mkdirat(out_fd, tmp_name.c_str(), 0755) != 0) {
        const std::error_code ec(errno, std::generic_category());
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("cannot write in the output folder {}: {}", out_dir.string(), path_error(out_dir, ec)));
    }
    const int dir_fd = ::openat(out_fd, tmp_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    try {
        if (dir_fd < 0) throw Error(ErrorKind::InvalidInput, fmt::format("cannot open {}", tmp.string()));
        std::string summary;
        summary.reserve(1024);
        auto out = std::back_inserter(summary);
        // Compiled format strings (FMT_COMPILE): parsed once at build time, not for every holder.
        fmt::format_to(out, FMT_COMPILE("docketcard encode: document {}\n\nMRZ (TD1):\n"), holder.document_number);
        for (std::size_t at = 0; at < mrz.size(); at += 30)
            fmt::format_to(out, FMT_COMPILE("  {}\n"), std::string_view(mrz).substr(at, 30));
        summary += "\nfiles:\n";
        // Files in card order: EF.COM, DGs ascending, EF.SOD.
        std::vector<std::uint16_t> order{lds::fid_com};
        for (int dg : files.data_groups()) order.push_back(lds::dg_file_id(dg));
        order.push_back(lds::fid_sod);
        for (std::uint16_t fid : order) {
            const Bytes& bytes = files.get(fid);
            FileInfo info{file_label(fid) + ".bin", bytes.size(), to_hex(hashes.at(fid))};
            write_file_at(dir_fd, tmp, info.name, bytes);
            fmt::format_to(out, FMT_COMPILE("  {:<9} {:>6} bytes  sha256 {}\n"), info.name, info.size, info.sha256);
            result.files.push_back(std::move(info));
        }
        fmt::format_to(out, FMT_COMPILE("\nsigner: {}\nsigning time: {}\n"), signer.subject, utc(*sign.signing_time));
        if (plan_keys != nullptr) {
            const std::string plan = perso::render_plan(holder, *plan_keys);
            write_file_at(dir_fd, tmp, "plan.apdu", to_bytes(plan));
            result.files.push_back({"plan.apdu", plan.size(), to_hex(crypto::sha256(to_bytes(plan)))});
            summary += "\npersonalization plan: plan.apdu (one APDU per line, secrets redacted)\n";
        }
        write_file_at(dir_fd, tmp, "summary.txt", to_bytes(summary));
        ::close(dir_fd);
    } catch (...) {
        if (dir_fd >= 0) ::close(dir_fd);
        std::error_code ec;
        fs::remove_all(tmp, ec);
        throw;
    }
    return {tmp, std::move(tmp_name), std::move(result)};
}

// What encode_one made of one record: its prepared folder, or the error it threw.
struct Outcome {
    std::optional<Prepared> prepared;
    std::exception_ptr error;
};

// Records handed to the encode threads together: one hand-over (queue lock, wake-up, result) for
// several records instead of one each, which cost 4% of the CPU with one record a job.
class Batch {
public:
    static constexpr std::size_t kSize = 8;
    std::vector<record::HolderRecord> records;
    bool submitted = false;

    void start(std::future<std::vector<Outcome>> work) {
        work_ = std::move(work);
        submitted = true;
    }
    /// The outcome of records[index], waiting for the batch if needed; each index taken once.
    Outcome take(std::size_t index) {
        if (!done_) done_ = work_.get();
        return std::exchange((*done_)[index], Outcome{});
    }
    /// After a fatal error: waits for a submitted batch and removes the temporary folders of the
    /// outcomes not taken.
    void discard() noexcept {
        try {
            if (submitted && !done_) done_ = work_.get();
        } catch (...) {
            return;   // the pool dropped the job: it made nothing
        }
        if (!done_) return;
        for (std::size_t i = 0; i < done_->size(); ++i) {
            const Outcome left = take(i);
            std::error_code ec;
            if (left.prepared) fs::remove_all(left.prepared->tmp, ec);
        }
    }

private:
    std::future<std::vector<Outcome>> work_;
    std::optional<std::vector<Outcome>> done_;
};

// A fixed set of threads running encode jobs; each submit() gives the job's future, so the caller
// takes results in the order it submitted them. Jobs still queued when the pool is destroyed are
// dropped (their futures report a broken promise); running ones finish first.
class EncodePool {
public:
    using Job = std::packaged_task<std::vector<Outcome>()>;
    explicit EncodePool(unsigned threads) {
        for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
    }
    EncodePool(const EncodePool&) = delete;
    EncodePool& operator=(const EncodePool&) = delete;
    ~EncodePool() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
            queue_.clear();
        }
        ready_.notify_all();
        for (auto& t : threads_) t.join();
    }

    template <typename F>
    std::future<std::vector<Outcome>> submit(F&& job) {
        Job task(std::forward<F>(job));
        auto result = task.get_future();
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(task));
        }
        ready_.notify_one();
        return result;
    }

private:
    void work() {
        for (;;) {
            Job task;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return stop_ || !queue_.empty(); });
                if (queue_.empty()) return;
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> queue_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

// The Document Signer's key behind a mutex: a key outside this process (a PKCS#11 token session)
// signs one digest at a time, whichever EncodePool thread asks.
class SerializedSigner final : public pki::DigestSigner {
public:
    explicit SerializedSigner(std::shared_ptr<const pki::DigestSigner> inner) : inner_(std::move(inner)) {}
    Bytes sign_digest(ByteView digest) const override {
        std::lock_guard lock(mutex_);
        return inner_->sign_digest(digest);
    }
    std::string origin() const override { return inner_->origin(); }
    bool check_each_signature() const override { return inner_->check_each_signature(); }
    bool concurrent() const override { return true; }   // the mutex makes it so

private:
    std::shared_ptr<const pki::DigestSigner> inner_;
    mutable std::mutex mutex_;
};

// `text` with `prefix` before every line but the first (to nest a dump(2) inside another).
std::string indented(const std::string& text, const std::string& prefix) {
    std::string out;
    for (char c : text) {
        out.push_back(c);
        if (c == '\n') out += prefix;
    }
    return out;
}

// encode's report, printed as holders are published (a table line, or one element of the JSON
// document's "encoded" array, each), so that nothing in it grows with the number of holders but
// the list of rejected records. The JSON document is the one print_json() would print of the
// whole: {"encoded": [...], "ok": ..., "rejected": [...]}, indented by 2.
class EncodeReport {
public:
    explicit EncodeReport(bool json) : json_(json) {
        if (!json_) fmt::print("{:<12} {:>5} {:>8}  {}\n", "DOCUMENT", "FILES", "BYTES", "FOLDER");
    }

    void published(const Encoded& e) {
        if (json_) {
            nlohmann::json files = nlohmann::json::object();
            for (const auto& f : e.files) files[f.name] = {{"size", f.size}, {"sha256", f.sha256}};
            const nlohmann::json one{{"document_number", e.document_number}, {"dir", e.dir.string()}, {"files", files}};
            fmt::print("{}    {}", encoded_ == 0 ? "{\n  \"encoded\": [\n" : ",\n", indented(one.dump(2), "    "));
        } else {
            std::size_t total = 0;
            for (const auto& f : e.files) total += f.size;
            fmt::print("{:<12} {:>5} {:>8}  {}\n", e.document_number, e.files.size(), total, e.dir.string());
        }
        ++encoded_;
    }

    void rejected(record::Rejected r) {
        for (const auto& p : r.problems) fmt::print(stderr, "{}\n", p.to_string());
        rejected_.push_back(std::move(r));
    }

    int finish() {
        const bool ok = rejected_.empty();
        if (json_) {
            nlohmann::json rejected = nlohmann::json::array();
            for (const auto& r : rejected_) {
                nlohmann::json problems = nlohmann::json::array();
                for (const auto& p : r.problems)
                    problems.push_back({{"field", p.field}, {"message", p.message}, {"line", p.line}});
                rejected.push_back(
                    {{"file", r.file}, {"line", r.line}, {"document_number", r.document_number}, {"problems", problems}});
            }
            fmt::print("{}  \"ok\": {},\n  \"rejected\": {}\n}}\n", encoded_ == 0 ? "{\n  \"encoded\": [],\n" : "\n  ],\n",
                       ok, indented(rejected.dump(2), "  "));
        } else {
            fmt::print("encoded {} of {} records; {} rejected{}\n", encoded_, encoded_ + rejected_.size(),
                       rejected_.size(), ok ? "" : " (problems on stderr)");
        }
        std::fflush(stdout);
        return ok ? exit_code::ok : exit_code::invalid_input;
    }

private:
    bool json_;
    std::size_t encoded_ = 0;
    std::vector<record::Rejected> rejected_;
};

int run_encode(const EncodeOptions& o, const GlobalOptions& g) {
    if (!fs::is_directory(o.keys_dir))
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("keys folder {} does not exist or is not a folder; it must hold "
                                "document-signer.pem and document-signer.key{}",
                                o.keys_dir, o.plan ? " (and scp03-master.txt for --plan)" : ""));
    const auto signer = keys::load_key_set(o.keys_dir, {.document_signer = true, .scp03 = false}).document_signer;
    lds::EncodeOptions lds_options;
    lds_options.issuing_authority = o.issuing_authority;
    if (!o.aa_public_key.empty()) {
        Bytes spki = read_binary(o.aa_public_key, "AA public key");
        try {
            crypto::spki_to_point(spki);
        } catch (const Error& e) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{} is not a DER P-256 SubjectPublicKeyInfo: {}", o.aa_public_key, e.what()));
        }
        lds_options.aa_public_key_spki = std::move(spki);
    }
    std::optional<perso::IssuerKeys> plan_keys;
    if (o.plan) plan_keys.emplace(perso::IssuerKeys::load(o.keys_dir));
    record::LoadOptions load_options;
    load_options.default_document_code = o.document_code;

    // Records are read one at a time (record::read_records) and encoded on o.jobs threads in
    // batches of Batch::kSize, at most two batches a thread in flight; each record is published
    // and reported in input order. Memory does not grow with the input. The output folder is made
    // when the first record is read, so an unusable record file leaves no folder behind. --plan
    // renders on one thread (its SCP03 derivations may use a token session).
    const unsigned jobs = o.plan ? 1U : o.jobs;
    pki::DocumentSigner shared_signer = signer;
    if (jobs > 1 && !signer.key->concurrent()) shared_signer.key = std::make_shared<SerializedSigner>(signer.key);
    std::optional<EncodeReport> report;
    std::optional<Publisher> publisher;
    auto start = [&] {
        if (publisher) return;
        create_output_folder(o.out_dir);
        report.emplace(g.json);
        publisher.emplace(o.out_dir, [&report](const Encoded& e) { report->published(e); });
    };
    // One record in input order: rejected by the loader, or records[index] of a batch.
    struct Slot {
        std::optional<record::Rejected> rejected;
        std::shared_ptr<Batch> batch;
        std::size_t index = 0;
    };
    std::deque<Slot> in_flight;
    std::shared_ptr<Batch> filling;
    TempNames temp_names;
    EncodePool pool(jobs);
    const auto submit = [&] {
        if (!filling) return;
        filling->start(pool.submit([&, batch = filling, out_fd = publisher->dir_fd()] {
            std::vector<Outcome> out(batch->records.size());
            for (std::size_t i = 0; i < batch->records.size(); ++i) {
                try {
                    out[i].prepared = encode_one(batch->records[i], shared_signer, lds_options, o.out_dir, out_fd,
                                                 temp_names, plan_keys ? &*plan_keys : nullptr);
                } catch (...) {
                    out[i].error = std::current_exception();
                }
            }
            return out;
        }));
        filling.reset();
    };
    const auto settle_front = [&] {
        Slot slot = std::move(in_flight.front());
        in_flight.pop_front();
        if (slot.rejected) return report->rejected(std::move(*slot.rejected));
        if (!slot.batch->submitted) submit();
        Outcome outcome = slot.batch->take(slot.index);
        try {
            if (outcome.error) std::rethrow_exception(outcome.error);
            publisher->add(std::move(*outcome.prepared));
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::InvalidInput) throw;
            // The batch is done (take waited for it): its record may be read here.
            const record::HolderRecord& h = slot.batch->records[slot.index];
            report->rejected({h.source_file, h.source_line, h.document_number,
                              {{h.source_file, h.source_line, "", e.what()}}});
        }
    };
    try {
        record::read_records(
            o.record_file, load_options,
            {[&](record::HolderRecord&& holder) {
                 start();
                 if (!filling) filling = std::make_shared<Batch>();
                 in_flight.push_back(Slot{std::nullopt, filling, filling->records.size()});
                 filling->records.push_back(std::move(holder));
                 if (filling->records.size() == Batch::kSize) submit();
                 if (in_flight.size() > 2 * Batch::kSize * jobs) settle_front();
             },
             [&](record::Rejected&& r) {
                 start();
                 in_flight.push_back(Slot{std::move(r), {}, 0});
             }});
        start();
        submit();
        while (!in_flight.empty()) settle_front();
    } catch (...) {
        // A fatal error: wait for what is running and remove its temporary folders.
        for (auto& slot : in_flight)
            if (slot.batch) slot.batch->discard();
        throw;
    }
    publisher->flush();
    return report->finish();
}

void register_encode(CLI::App& app, GlobalOptions& globals, Action& run) {
    auto options = std::make_shared<EncodeOptions>();
    CLI::App* sub = app.add_subcommand(
        "encode", "Validate holder records and write each holder's LDS files (EF.COM, DG1-DG13, EF.SOD) to a folder");
    // Missing or unreadable files are invalid input (exit 3), reported by the loaders with the
    // file named, not CLI11 usage errors.
    sub->add_option("--record", options->record_file, "Holder record file (.json, .jsonl or .csv)")
        ->type_name("FILE")
        ->required();
    sub->add_option("--keys", options->keys_dir,
                    "Keys folder: document-signer.pem and document-signer.key (and scp03-master.txt, the SCP03 keys, "
                    "for --plan)")
        ->type_name("DIR")
        ->required();
    sub->add_option("--out", options->out_dir, "Output folder; one sub-folder per holder (document number)")
        ->type_name("DIR")
        ->required();
    sub->add_option("--aa-public-key", options->aa_public_key,
                    "DER SubjectPublicKeyInfo of the card's Active Authentication key: adds DG14 and DG15")
        ->type_name("FILE");
    sub->add_option("--issuing-authority", options->issuing_authority, "Issuing authority written in DG12")
        ->capture_default_str();
    sub->add_option("--document-code", options->document_code,
                    "Document code of records without a document_code field (1-2 letters, the first A, C or I)")
        ->type_name("CODE")
        ->capture_default_str()
        ->check(document_code_validator());
    sub->add_flag("--plan", options->plan,
                  "Also write plan.apdu: the personalization command sequence for a card, one APDU per line, "
                  "secrets redacted (needs scp03-master.txt in --keys)");
    sub->add_option("--jobs", options->jobs,
                    "Encode on N threads (records are still written and listed in input order; "
                    "default: one a core, at most 16)")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1U, 64U).description(""));
    add_common_flags(*sub, globals, /*apdus=*/false);   // encode talks to no card
    sub->footer(help_footer(
        {"# Write each holder's LDS files under /tmp/lds, one folder per document number:",
         "docketcard encode --record holders.jsonl --keys /etc/docketcard/keys --out /tmp/lds",
         "# One holder, also with the personalization plan (the keys folder needs the SCP03 keys):",
         "docketcard encode --record holder.json --keys /etc/docketcard/keys --out /tmp/lds --plan"},
        {{exit_code::ok, "every record was encoded"},
         {exit_code::usage},
         {exit_code::invalid_input, "a record was rejected (the valid ones are still written), or an unusable record "
                                    "file, keys folder, AA key or output folder"}}));
    sub->callback([options, &globals, &run] { run = [options, &globals] { return run_encode(*options, globals); }; });
}

}  // namespace

DOCKETCARD_COMMAND(register_encode);

}  // namespace docketcard::app
