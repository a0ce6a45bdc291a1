#include "docketcard/batch/batch.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <unistd.h>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "docketcard/crypto/crypto.hpp"
#include "docketcard/journal/pg_journal.hpp"
#include "docketcard/journal/sqlite_journal.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/transport/reader.hpp"
#include "docketcard/transport/sim.hpp"
#include "docketcard/util/error.hpp"
#include "docketcard/verify/verify.hpp"

namespace docketcard::batch {

const char* to_string(EventKind kind) noexcept {
    switch (kind) {
        case EventKind::BatchStarted: return "batch_started";
        case EventKind::WaitingForCard: return "waiting_for_card";
        case EventKind::CardInserted: return "card_inserted";
        case EventKind::CardNotUsable: return "card_not_usable";
        case EventKind::RecordStarted: return "record_started";
        case EventKind::Resumed: return "resumed";
        case EventKind::Progress: return "progress";
        case EventKind::Written: return "written";
        case EventKind::Locked: return "locked";
        case EventKind::Verified: return "verified";
        case EventKind::Rejected: return "rejected";
        case EventKind::Skipped: return "skipped";
        case EventKind::Spoiled: return "spoiled";
        case EventKind::Failed: return "failed";
        case EventKind::RemoveCard: return "remove_card";
        case EventKind::ReaderFailed: return "reader_failed";
        case EventKind::BatchDone: return "batch_done";
    }
    return "unknown";
}

const char* to_string(Outcome outcome) noexcept {
    switch (outcome) {
        case Outcome::Complete: return "complete";
        case Outcome::InvalidRecords: return "invalid_records";
        case Outcome::Incomplete: return "incomplete";
        case Outcome::StrictRefused: return "strict_refused";
        case Outcome::ReaderFailure: return "reader_failure";
        case Outcome::Interrupted: return "interrupted";
    }
    return "unknown";
}

std::string canonical_record(const record::HolderRecord& h) {
    nlohmann::json doc = {
        {"document_number", h.document_number},
        {"document_code", h.document_code},
        {"issuing_state", h.issuing_state},
        {"surname", h.surname},
        {"given_names", h.given_names},
        {"sex", std::string(1, h.sex)},
        {"date_of_birth", h.date_of_birth.iso()},
        {"nationality", h.nationality},
        {"place_of_birth", h.place_of_birth ? nlohmann::json(*h.place_of_birth) : nlohmann::json(nullptr)},
        {"date_of_issue", h.date_of_issue.iso()},
        {"date_of_expiry", h.date_of_expiry.iso()},
        {"photo_sha256", to_hex(crypto::sha256(h.photo))},
        {"a_number", h.a_number},
        {"docket",
         {{"court", h.docket.court},
          {"case_number", h.docket.case_number},
          {"next_hearing", h.docket.next_hearing},
          {"release_type", record::to_string(h.docket.release_type)},
          {"reporting_office", h.docket.reporting_office},
          {"check_in_interval_days", h.docket.check_in_interval_days},
          {"conditions", h.docket.conditions}}},
        {"background_check",
         {{"reference", h.background_check.reference},
          {"cleared_on", h.background_check.cleared_on.iso()},
          {"agency", h.background_check.agency}}},
        // A credential: only its digest goes into the canonical form (and so the journal's digest).
        {"portal_reference_sha256",
         h.portal_reference ? nlohmann::json(to_hex(crypto::sha256(view(*h.portal_reference)))) : nlohmann::json(nullptr)},
    };
    nlohmann::json documents = nlohmann::json::array();
    for (const auto& d : h.documents)
        documents.push_back({{"form", d.form},
                             {"title", d.title},
                             {"number", d.number},
                             {"issued_on", d.issued_on.iso()},
                             {"expires_on", d.expires_on ? nlohmann::json(d.expires_on->iso()) : nlohmann::json(nullptr)},
                             {"issued_by", d.issued_by ? nlohmann::json(*d.issued_by) : nlohmann::json(nullptr)}});
    doc["documents"] = std::move(documents);
    return doc.dump();
}

namespace {

namespace fs = std::filesystem;
using perso::CardState;

/// A card in a reader's hands: its channel and, for sim, its file.
struct CardInHand {
    std::unique_ptr<transport::CardChannel> channel;
    fs::path file;
};

/// One reader as the batch uses it.
class Slot {
public:
    virtual ~Slot() = default;
    virtual const std::string& name() const = 0;
    /// The next blank card (sim: a new file; PC/SC: waits for insertion). Empty when stopped.
    virtual CardInHand next_card(const std::function<bool()>& stopped, const std::function<void(Event)>& emit) = 0;
    /// Releases the card: sim moves a spoiled card file into DIR/spoiled/; PC/SC asks the operator
    /// to remove the card and waits. Returns where the card is now.
    virtual std::string set_aside(CardInHand card, bool spoiled, const std::string& serial,
                                  const std::function<bool()>& stopped, const std::function<void(Event)>& emit) = 0;
    virtual const fs::path* sim_dir() const { return nullptr; }
    /// The cards a sim folder holds now, as (card file, serial), oldest first; files that are not
    /// a readable card are left out. Empty for a PC/SC reader (see present_card()).
    virtual std::vector<std::pair<fs::path, std::string>> cards_held() const { return {}; }
    /// The card in the reader now, without waiting (PC/SC: a card left there when the batch
    /// stopped); empty when there is none, or for a sim folder.
    virtual CardInHand present_card() { return {}; }
    /// The link profile its cards are accounted on (sim:DIR/?link=PROFILE), if any.
    virtual const std::optional<apdu::LinkProfile>& link() const {
        static const std::optional<apdu::LinkProfile> none;
        return none;
    }
};

class SimSlot final : public Slot {
public:
    SimSlot(std::string name, fs::path dir, std::optional<apdu::LinkProfile> link, const BatchOptions& o)
        : name_(std::move(name)), dir_(std::move(dir)), link_(std::move(link)), factory_(dir_), options_(o) {}
    const std::string& name() const override { return name_; }
    const fs::path* sim_dir() const override { return &dir_; }
    const std::optional<apdu::LinkProfile>& link() const override { return link_; }

    std::vector<std::pair<fs::path, std::string>> cards_held() const override {
        std::vector<std::pair<fs::path, std::string>> cards;
        if (!fs::is_directory(dir_)) return cards;
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir_))
            if (entry.is_regular_file() && entry.path().extension() == ".card") files.push_back(entry.path());
        std::sort(files.begin(), files.end(), [](const fs::path& x, const fs::path& y) {
            std::error_code ex, ey;
            const auto tx = fs::last_write_time(x, ex), ty = fs::last_write_time(y, ey);
            return tx != ty ? tx < ty : x < y;
        });
        for (const auto& file : files) {
            try {
                cards.emplace_back(file, applet::Card::open(file)->serial_hex());
            } catch (const Error&) {
                // not a card file this batch can use; leave it
            }
        }
        return cards;
    }

    CardInHand next_card(const std::function<bool()>&, const std::function<void(Event)>&) override {
        fs::path file = factory_.next_card();
        applet::CardOptions card_options;
        if (options_.sim_card_options) card_options = options_.sim_card_options(name_, made_++);
        return {transport::open_sim_channel(file, std::move(card_options), link_), file};
    }

    std::string set_aside(CardInHand card, bool spoiled, const std::string&, const std::function<bool()>&,
                          const std::function<void(Event)>&) override {
        card.channel.reset();  // closes the card file before it moves
        if (!spoiled) return card.file.string();
        const fs::path dest_dir = dir_ / "spoiled";
        fs::create_directories(dest_dir);
        const fs::path dest = dest_dir / card.file.filename();
        fs::rename(card.file, dest);
        return dest.string();
    }

private:
    std::string name_;
    fs::path dir_;
    std::optional<apdu::LinkProfile> link_;
    transport::SimCardFactory factory_;
    const BatchOptions& options_;
    std::size_t made_ = 0;
};

class PcscSlot final : public Slot {
public:
    PcscSlot(std::string name, std::unique_ptr<transport::Reader> reader, std::chrono::milliseconds poll)
        : name_(std::move(name)), reader_(std::move(reader)), poll_(poll) {}
    const std::string& name() const override { return name_; }

    CardInHand next_card(const std::function<bool()>& stopped, const std::function<void(Event)>& emit) override {
        Event e;
        e.kind = EventKind::WaitingForCard;
        e.reader = name_;
        e.detail = fmt::format("insert a blank card in reader '{}'", reader_->name());
        emit(e);
        for (;;) {
            if (stopped()) return {};
            if (reader_->wait_for_card(poll_) == transport::WaitResult::Ready) break;
        }
        transport::ConnectOptions co;
        co.exclusive = true;
        return {reader_->connect(co), {}};
    }

    CardInHand present_card() override {
        if (reader_->wait_for_card(std::chrono::milliseconds(0)) != transport::WaitResult::Ready) return {};
        transport::ConnectOptions co;
        co.exclusive = true;
        return {reader_->connect(co), {}};
    }

    std::string set_aside(CardInHand card, bool spoiled, const std::string& serial,
                          const std::function<bool()>& stopped, const std::function<void(Event)>& emit) override {
        card.channel.reset();
        Event e;
        e.kind = EventKind::RemoveCard;
        e.reader = name_;
        e.serial = serial;
        e.detail = spoiled ? fmt::format("remove card {} from reader '{}' and put it on the SPOILED pile (destroy it)",
                                         serial.empty() ? "?" : serial, reader_->name())
                           : fmt::format("remove the card from reader '{}'", reader_->name());
        emit(e);
        while (!stopped()) {
            if (reader_->wait_for_removal(poll_) == transport::WaitResult::Ready) break;
        }
        return spoiled ? fmt::format("spoiled pile (card {} from reader '{}')", serial, reader_->name())
                       : reader_->name();
    }

private:
    std::string name_;
    std::unique_ptr<transport::Reader> reader_;
    std::chrono::milliseconds poll_;
};

// A valid input record, by where it is: the records are streamed from their files, not held
// (a photo is about 10 kB); Runner::holder_of() reads one again when a card is made for it.
// Up to N characters held in place: an Item is kept for every record of a batch, so it holds no
// heap string (peak memory stays within 2x of a ten-record batch at 100,000 records; bench/).
template <std::size_t N>
class InlineText {
public:
    InlineText() = default;
    explicit InlineText(std::string_view text) {
        if (text.size() > N)
            throw Error(ErrorKind::Internal, fmt::format("'{}' is longer than the {} characters a record allows", text, N));
        std::copy(text.begin(), text.end(), chars_.begin());
        size_ = static_cast<std::uint8_t>(text.size());
    }
    std::string_view view() const { return {chars_.data(), size_}; }
    std::string str() const { return std::string(view()); }

private:
    static_assert(N <= 255);
    std::array<char, N> chars_{};
    std::uint8_t size_ = 0;
};

// A valid record of the batch: where to read it again, and what the journal is told of it. 64
// bytes, held in place (no heap string).
struct Item {
    std::array<std::uint8_t, 32> digest{};  // journal::record_digest of canonical_record(), raw
    std::uint64_t source_offset = 0;
    int source_line = 0;
    std::uint32_t input = 0;                // index of its file in BatchOptions::inputs
    InlineText<record::max_document_number_length> document_number;
    std::uint8_t check_size = 0;            // its background check reference: in Runner::check_refs_
    std::uint32_t check_at = 0;

    std::string digest_hex() const { return to_hex(ByteView(digest.data(), digest.size())); }
};
static_assert(sizeof(Item) <= 64);

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "station";
    return buf;
}

void write_atomically(const fs::path& file, const std::string& text) {
    const fs::path tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw Error(ErrorKind::InvalidInput, fmt::format("cannot write {}", tmp.string()));
    }
    fs::rename(tmp, file);
}

class Runner {
public:
    explicit Runner(const BatchOptions& o) : o_(o) {}

    BatchResult run();

private:
    bool stopped() const { return fatal_flag_.load() || (o_.stop && o_.stop->load()); }
    void emit(Event e) {
        const std::lock_guard lock(event_mutex_);
        if (o_.on_event) o_.on_event(e);
    }
    void load_inputs();
    void open_readers();
    void register_records();
    void resume();
    [[noreturn]] void stop_on_fatal();
    void build_queue();
    void worker(Slot& slot);
    /// Busy: another station holds the record (shared journal); the worker tries it again later.
    enum class Handled { Done, Busy };
    Handled issue_record(Slot& slot, const Item& item);
    /// The record is not issued in this run (counted failed, a Failed event saying why); the
    /// worker goes on with the next. Takes mutex_: not to be called holding it.
    Handled record_failed(Event e, std::string why);
    /// Sim card files of this run's folders whose serial no attempt knows, per reader name.
    using UnknownCards = std::map<std::string, std::vector<std::pair<fs::path, std::string>>>;
    UnknownCards account_sim_cards();
    record::HolderRecord holder_of(const Item& item) const;
    /// FILE:LINE of an item's record.
    std::string source_of(const Item& item) const {
        return fmt::format("{}:{}", o_.inputs[item.input].string(), item.source_line);
    }
    void finish(CardInHand& card, const Item& item, const record::HolderRecord& holder, journal::Attempt a,
                CardState state, Event base,
                std::chrono::steady_clock::time_point started);
    void spoil(Slot* slot, CardInHand card, const journal::Attempt& a, const std::string& reason, Event base);
    /// The valid record of a document number (nullptr for none); after load_inputs().
    const Item* item_for(std::string_view doc) const {
        const auto it = std::lower_bound(by_doc_.begin(), by_doc_.end(), doc, [this](std::uint32_t i, std::string_view d) {
            return items_[i].document_number.view() < d;
        });
        return it != by_doc_.end() && items_[*it].document_number.view() == doc ? &items_[*it] : nullptr;
    }
    void refuse_duplicates(std::vector<std::pair<std::uint32_t, record::Rejected>>& refused);

    const BatchOptions& o_;
    std::optional<perso::IssuerKeys> keys_;
    std::unique_ptr<journal::Journal> journal_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::deque<Item> items_;             // in input order; a deque does not double its memory to grow
    std::vector<std::uint32_t> by_doc_;  // indices of items_, sorted by document number
    std::deque<char> check_refs_;        // the items' background check references, end to end
    std::vector<record::Rejected> rejected_;
    std::deque<std::size_t> queue_;
    std::map<std::string, int> attempts_run_;
    std::set<std::string> finished_in_resume_;
    fs::path reports_;
    BatchResult res_;

    std::mutex mutex_;         // journal_, queue_, attempts_run_, res_
    std::mutex event_mutex_;   // on_event calls
    std::atomic<bool> fatal_flag_{false};
    std::exception_ptr fatal_;
    std::size_t failed_readers_ = 0;
    std::size_t busy_in_row_ = 0;  // records found Busy one after the other (shared journal)
};

void Runner::load_inputs() {
    if (o_.inputs.empty()) throw Error(ErrorKind::Usage, "no input record file given");
    std::vector<std::pair<std::uint32_t, record::Rejected>> refused;  // with the index of its file
    for (std::uint32_t input = 0; input < o_.inputs.size(); ++input) {
        const auto valid = [&](record::HolderRecord&& rec) {
            const std::string& check = rec.background_check.reference;
            if (check.size() > record::max_check_reference_length || check_refs_.size() > UINT32_MAX - check.size())
                throw Error(ErrorKind::Internal, "background check references beyond what a batch holds");
            Item item{{}, rec.source_offset, rec.source_line, input,
                      InlineText<record::max_document_number_length>(rec.document_number),
                      static_cast<std::uint8_t>(check.size()), static_cast<std::uint32_t>(check_refs_.size())};
            check_refs_.insert(check_refs_.end(), check.begin(), check.end());
            const Bytes digest = from_hex(journal::record_digest(to_bytes(canonical_record(rec))));
            std::copy(digest.begin(), digest.end(), item.digest.begin());
            items_.push_back(item);
        };
        record::read_records(o_.inputs[input], o_.load_options,
                             {valid, [&](record::Rejected&& rej) { refused.emplace_back(input, std::move(rej)); }});
    }
    refuse_duplicates(refused);
    // Refusals in input order, whichever pass found them.
    std::stable_sort(refused.begin(), refused.end(), [](const auto& a, const auto& b) {
        return std::pair(a.first, a.second.line) < std::pair(b.first, b.second.line);
    });
    for (auto& [input, rej] : refused) rejected_.push_back(std::move(rej));
    res_.valid = items_.size();
    res_.rejected = rejected_.size();
    res_.rejected_records = rejected_;
    for (const auto& rej : rejected_) {
        Event e;
        e.kind = EventKind::Rejected;
        e.document_number = rej.document_number;
        std::string lines;
        for (const auto& p : rej.problems) lines += (lines.empty() ? "" : "\n") + p.to_string();
        e.detail = lines;
        emit(e);
    }
}

// One card per document number: a later record of a number already seen is refused, naming the
// first. Leaves by_doc_ sorted for item_for().
void Runner::refuse_duplicates(std::vector<std::pair<std::uint32_t, record::Rejected>>& refused) {
    const auto sort_by_doc = [this] {
        by_doc_.resize(items_.size());
        for (std::uint32_t i = 0; i < by_doc_.size(); ++i) by_doc_[i] = i;
        // Stable: of equal numbers, the first in input order comes first.
        std::stable_sort(by_doc_.begin(), by_doc_.end(), [this](std::uint32_t a, std::uint32_t b) {
            return items_[a].document_number.view() < items_[b].document_number.view();
        });
    };
    sort_by_doc();
    std::vector<bool> again(items_.size(), false);
    bool any = false;
    for (std::size_t k = 1; k < by_doc_.size(); ++k) {
        const Item& first = items_[by_doc_[k - 1]];
        const Item& later = items_[by_doc_[k]];
        if (first.document_number.view() != later.document_number.view()) continue;
        // `first` may itself be a refused repeat: name the first of the run.
        std::size_t f = k - 1;
        while (again[by_doc_[f]]) --f;
        again[by_doc_[k]] = any = true;
        record::Rejected dup;
        dup.file = o_.inputs[later.input].string();
        dup.line = later.source_line;
        dup.document_number = later.document_number.str();
        dup.problems.push_back({dup.file, dup.line, "document_number",
                                fmt::format("{} appears again (first at {}); one card per document number: the "
                                            "later record is refused",
                                            dup.document_number, source_of(items_[by_doc_[f]]))});
        refused.emplace_back(later.input, std::move(dup));
    }
    if (!any) return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < items_.size(); ++i)
        if (!again[i]) items_[kept++] = items_[i];
    items_.resize(kept);
    sort_by_doc();
}

void Runner::open_readers() {
    if (o_.readers.empty()) throw Error(ErrorKind::Usage, "no reader given: name at least one --reader");
    std::set<std::string> names;
    std::set<fs::path> dirs;
    for (const auto& text : o_.readers) {
        auto spec = transport::parse_reader(text);
        if (!names.insert(spec.text).second)
            throw Error(ErrorKind::Usage, fmt::format("reader '{}' is named twice", spec.text));
        if (spec.kind == transport::ReaderSpec::Kind::SimFile)
            throw Error(ErrorKind::Usage, fmt::format("reader '{}' is one card file; a batch needs a folder of "
                                                      "cards: write sim:DIR/ (ending in /)",
                                                      spec.text));
        if (spec.kind == transport::ReaderSpec::Kind::SimDir) {
            const fs::path dir = fs::weakly_canonical(spec.sim_path);
            if (!dirs.insert(dir).second)
                throw Error(ErrorKind::Usage, fmt::format("sim folder '{}' is named twice", dir.string()));
            slots_.push_back(std::make_unique<SimSlot>(spec.text, dir, spec.link, o_));
        } else {
            slots_.push_back(std::make_unique<PcscSlot>(spec.text, transport::open_reader(spec), o_.poll));
        }
    }
}

void Runner::register_records() {
    for (const auto& item : items_) {
        journal::RecordEntry e;
        e.document_number = item.document_number.str();
        e.source = source_of(item);
        e.digest = item.digest_hex();
        const auto check = check_refs_.begin() + item.check_at;
        e.background_check.assign(check, check + item.check_size);
        journal_->register_record(e);
    }
    for (const auto& rej : rejected_) {
        journal::RecordEntry e;
        // A rejected duplicate (or a rejected record naming a valid one's number) must not
        // overwrite the valid record: it is keyed by its source position instead.
        if (!item_for(rej.document_number)) e.document_number = rej.document_number;
        e.source = fmt::format("{}:{}", rej.file, rej.line);
        for (const auto& p : rej.problems) e.problems.push_back(p.to_string());
        if (e.problems.empty()) e.problems.push_back(e.source + ": invalid record");
        e.digest = journal::record_digest(to_bytes("rejected\n" + e.source + "\n" + rej.document_number));
        journal_->register_record(e);
    }
}

// A card file left in a sim folder of this run whose attempts are all spoiled (e.g. taken over by
// another station after this one lost its lease, or killed between journaling and moving it) is
// moved into DIR/spoiled/, so no spoiled card stays among the good ones. Card files whose serial
// no attempt knows (the batch was killed after making the card, before journaling its serial) are
// returned: resume() gives each to the attempt of its reader that never got a serial.
Runner::UnknownCards Runner::account_sim_cards() {
    UnknownCards unknown;
    for (auto& slot : slots_) {
        // Oldest first, so the newest unknown card of a reader is the last of its list.
        for (const auto& [file, serial] : slot->cards_held()) {
            const auto attempts = journal_->attempts_by_serial(from_hex(serial));
            if (attempts.empty()) {
                unknown[slot->name()].emplace_back(file, serial);
                continue;
            }
            if (std::any_of(attempts.begin(), attempts.end(), [](const journal::Attempt& a) {
                    return a.state != journal::State::Spoiled;
                }))
                continue;
            const auto& a = attempts.back();
            CardInHand card{nullptr, file};
            const auto location = slot->set_aside(std::move(card), true, serial, [] { return false; }, [](Event) {});
            Event e;
            e.kind = EventKind::Spoiled;
            e.reader = slot->name();
            e.document_number = a.document_number;
            e.serial = serial;
            e.attempt = a.id;
            e.card_location = location;
            e.detail = fmt::format("attempt {} was spoiled while its card was still here ({}); the card was set aside",
                                   a.id, a.error.value_or("no reason recorded"));
            emit(e);
            ++res_.spoiled;
            res_.spoiled_locations.push_back(location);
        }
    }
    return unknown;
}

// Every in-progress attempt is finished or spoiled before anything new is claimed.
void Runner::resume() {
    auto unknown = account_sim_cards();
    // Whatever is left of `unknown` at the end is a card no attempt can own: set aside, said so.
    struct Leftovers {
        Runner& r;
        UnknownCards& cards;
        ~Leftovers() {
            for (auto& [reader, files] : cards)
                for (auto& [file, serial] : files) {
                    auto it = std::find_if(r.slots_.begin(), r.slots_.end(),
                                           [&](const auto& s) { return s->name() == reader; });
                    if (it == r.slots_.end()) continue;
                    std::string location;
                    try {
                        location = (*it)->set_aside(CardInHand{nullptr, file}, true, serial, [] { return false; },
                                                    [](Event) {});
                    } catch (const std::exception&) {
                        continue;
                    }
                    Event e;
                    e.kind = EventKind::CardNotUsable;
                    e.reader = reader;
                    e.serial = serial;
                    e.card_location = location;
                    e.detail = fmt::format("card {} ({}) is in no journal attempt; it was set aside: destroy it",
                                           serial, file.string());
                    r.emit(e);
                }
        }
    } leftovers{*this, unknown};
    const auto in_progress = journal_->in_progress_attempts();
    if (in_progress.empty()) return;
    std::map<std::string, std::pair<fs::path, Slot*>> cards;  // serial -> sim card file
    for (auto& slot : slots_) {
        for (const auto& [file, serial] : slot->cards_held()) cards[serial] = {file, slot.get()};
    }
    for (const auto& a : in_progress) {
        const Item* item = item_for(a.document_number);
        const auto status = journal_->record(a.document_number);
        const std::string digest = item ? item->digest_hex() : (status ? status->digest : a.record_digest);
        Event base;
        base.document_number = a.document_number;
        base.serial = a.card_serial.value_or("");
        base.attempt = a.id;
        base.reader = a.reader;
        const auto found = a.card_serial ? cards.find(*a.card_serial) : cards.end();
        auto spoil_found_or_not = [&](const std::string& reason) {
            CardInHand card;
            Slot* slot = nullptr;
            if (found != cards.end()) {
                card.file = found->second.first;
                slot = found->second.second;
            }
            spoil(slot, std::move(card), a, reason, base);
        };
        switch (journal::resume_step(a, digest)) {
            case journal::ResumeStep::SpoilUnread: {
                // The card this attempt was made for, if its file is here without a journaled
                // serial: the newest such card of the attempt's reader (by modification time).
                // Its serial is journaled, then the card is set aside with the attempt.
                auto it = unknown.find(a.reader);
                auto slot_it = std::find_if(slots_.begin(), slots_.end(),
                                            [&](const auto& s) { return s->name() == a.reader; });
                if (it != unknown.end() && !it->second.empty() && slot_it != slots_.end()) {
                    auto [file, serial] = it->second.back();
                    it->second.pop_back();
                    journal::Attempt with_serial = a;
                    {
                        const std::lock_guard lock(mutex_);
                        with_serial = journal_->set_card_serial(a.id, from_hex(serial));
                    }
                    base.serial = serial;
                    spoil(slot_it->get(), CardInHand{nullptr, file}, with_serial,
                          fmt::format("interrupted before the card serial was read; card {} ({}), made for this "
                                      "attempt, was found on resume and set aside",
                                      serial, file.filename().string()),
                          base);
                    continue;
                }
                // A PC/SC reader of this run with a card in it that no attempt knows: the card of
                // this attempt, left at the encoder. Its serial is journaled and the operator is
                // asked to put it on the spoiled pile.
                if (slot_it != slots_.end() && !(*slot_it)->sim_dir()) {
                    CardInHand card;
                    std::optional<std::string> serial;
                    try {
                        card = (*slot_it)->present_card();
                        if (card.channel) serial = perso::read_card_info(*card.channel).serial_hex;
                    } catch (const Error&) {
                        card = {};
                    }
                    if (card.channel && serial && journal_->attempts_by_serial(from_hex(*serial)).empty()) {
                        journal::Attempt with_serial = a;
                        {
                            const std::lock_guard lock(mutex_);
                            with_serial = journal_->set_card_serial(a.id, from_hex(*serial));
                        }
                        base.serial = *serial;
                        spoil(slot_it->get(), std::move(card), with_serial,
                              fmt::format("interrupted before the card serial was read; card {}, left in reader {}, "
                                          "was found on resume: put it on the spoiled pile",
                                          *serial, a.reader),
                              base);
                        continue;
                    }
                }
                spoil_found_or_not("interrupted before the card serial was read");
                continue;
            }
            case journal::ResumeStep::SpoilOutdated:
                spoil_found_or_not("the record changed since this card was begun; a card with outdated data is "
                                   "never locked");
                continue;
            case journal::ResumeStep::IdentifyCard: break;
        }
        if (!item) {
            spoil_found_or_not("the record is not in this run's input, so its card cannot be finished");
            continue;
        }
        if (found == cards.end()) {
            spoil_found_or_not(fmt::format("card {} was in progress when the batch stopped and was not presented on "
                                           "resume; destroy it if found",
                                           *a.card_serial));
            continue;
        }
        ++attempts_run_[a.document_number];
        CardInHand card{nullptr, found->second.first};
        Slot* slot = found->second.second;
        base.reader = slot->name();
        base.card_location = card.file.string();
        base.attempt_number = attempts_run_[a.document_number];
        try {
            const auto started = std::chrono::steady_clock::now();
            card.channel = transport::open_sim_channel(card.file, {}, slot->link());
            const auto info = perso::read_card_info(*card.channel);
            Event e = base;
            e.kind = EventKind::Resumed;
            e.detail = fmt::format("finishing attempt {} ({}); the card is {}", a.id, journal::to_string(a.state),
                                   perso::to_string(info.state));
            emit(e);
            finish(card, *item, holder_of(*item), a, info.state, base, started);
            card.channel.reset();
            finished_in_resume_.insert(a.document_number);
        } catch (const Error& err) {
            if (err.kind() == ErrorKind::Journal) throw;
            spoil(slot, std::move(card), a, err.what(), base);
            if (dynamic_cast<const KeySourceError*>(&err)) throw;
        }
    }
}

void Runner::build_queue() {
    for (std::size_t i = 0; i < items_.size(); ++i) {
        const std::string doc = items_[i].document_number.str();
        if (finished_in_resume_.count(doc)) continue;  // already counted as issued
        const auto status = journal_->record(doc);
        if (status && status->state == journal::State::Verified && !o_.reissue) {
            ++res_.skipped;
            Event e;
            e.kind = EventKind::Skipped;
            e.document_number = doc;
            e.serial = status->live_attempt ? status->live_attempt->card_serial.value_or("") : "";
            e.detail = "already issued (verified) in an earlier run";
            emit(e);
            continue;
        }
        queue_.push_back(i);
    }
}

void Runner::spoil(Slot* slot, CardInHand card, const journal::Attempt& a, const std::string& reason, Event base) {
    std::string location = card.file.string();
    std::exception_ptr reader_failure;
    if (slot) {
        try {
            location = slot->set_aside(std::move(card), true, a.card_serial.value_or(""), [this] { return stopped(); },
                                       [this](Event e) { emit(std::move(e)); });
        } catch (...) {
            reader_failure = std::current_exception();
        }
    } else {
        card.channel.reset();
    }
    {
        const std::lock_guard lock(mutex_);
        journal_->mark_spoiled(a.id, reason);
        ++res_.spoiled;
        res_.spoiled_locations.push_back(location.empty() ? fmt::format("card {} (attempt {})",
                                                                        a.card_serial.value_or("?"), a.id)
                                                          : location);
    }
    base.kind = EventKind::Spoiled;
    base.detail = reason;
    base.card_location = location;
    emit(base);
    if (reader_failure) std::rethrow_exception(reader_failure);
}

// The record of `item`, read again from its file; Error(InvalidInput) naming it when the file no
// longer holds that record as it was when the batch started (its digest differs).
record::HolderRecord Runner::holder_of(const Item& item) const {
    const fs::path& file = o_.inputs[item.input];
    auto holder = record::read_record_at(file, item.source_offset, item.source_line, o_.load_options);
    if (holder.document_number != item.document_number.view() ||
        journal::record_digest(to_bytes(canonical_record(holder))) != item.digest_hex())
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("{}:{}: the record of {} changed after the batch read it (or its photo did); run the "
                                "batch again to issue what the file holds now",
                                file.string(), item.source_line, item.document_number.view()));
    return holder;
}

void Runner::finish(CardInHand& card, const Item& item, const record::HolderRecord& holder, journal::Attempt a,
                    CardState state, Event base,
                    std::chrono::steady_clock::time_point started) {
    auto& ch = *card.channel;
    // The link model's account of this card, snapshotted after each step (empty without a profile).
    const transport::LinkProjection* projection = ch.link_projection();
    const auto account = [projection] { return projection ? projection->account : apdu::LinkAccount{}; };
    apdu::LinkAccount after_write, after_lock;
    auto journal_call = [this](auto&& f) {
        const std::lock_guard lock(mutex_);
        return f();
    };
    after_write = account();
    if (a.state == journal::State::Writing) {
        if (state == CardState::Blank || state == CardState::Personalizing) {
            perso::WriteOptions wo;
            wo.on_progress = [&](const perso::Progress& p) {
                Event e = base;
                e.kind = EventKind::Progress;
                e.detail = p.step;
                e.done = p.done;
                e.total = p.total;
                emit(e);
            };
            perso::write_card(ch, holder, *keys_, wo);
            state = CardState::Personalized;
        }
        if (state != CardState::Personalized && state != CardState::Locked)
            throw Error(ErrorKind::WrongCardState,
                        fmt::format("the card is {}; it cannot be finished", perso::to_string(state)));
        after_write = account();
        a = journal_call([&] { return journal_->mark_written(a.id); });
        Event e = base;
        e.kind = EventKind::Written;
        emit(e);
    }
    after_lock = account();
    if (a.state == journal::State::Written) {
        if (state != CardState::Locked) perso::lock_card(ch, *keys_);
        after_lock = account();
        a = journal_call([&] { return journal_->mark_locked(a.id); });
        Event e = base;
        e.kind = EventKind::Locked;
        emit(e);
    }
    verify::Options vo;
    vo.csca = o_.csca;
    vo.record = holder;
    const auto result = verify::verify_card(ch, vo);
    const std::string serial = a.card_serial.value_or(result.serial_hex);
    const fs::path report = reports_ / fmt::format("{}-{}.html", item.document_number.view(), serial);
    write_atomically(report, verify::render_html(result));
    base.report = report.string();
    if (!result.ok()) {
        std::string failed;
        for (const auto& c : result.checks)
            if (!c.passed) failed += (failed.empty() ? "" : "; ") + c.id + ": " + c.detail;
        throw Error(ErrorKind::VerificationFailed, "verification failed: " + failed);
    }
    const apdu::LinkAccount after_verify = account();
    const double host_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    journal_call([&] {
        journal_->mark_verified(a.id);
        ++res_.issued;
        if (projection) {
            auto it = std::find_if(res_.links.begin(), res_.links.end(),
                                   [&](const LinkTotals& t) { return t.profile == projection->profile.name; });
            if (it == res_.links.end()) {
                LinkTotals fresh;
                fresh.profile = projection->profile.name;
                it = res_.links.insert(res_.links.end(), std::move(fresh));
            }
            ++it->cards;
            it->write += after_write;
            it->lock += after_lock.since(after_write);
            it->verify += after_verify.since(after_lock);
            it->host_seconds += host_s;
        }
        return 0;
    });
    Event e = base;
    e.kind = EventKind::Verified;
    emit(e);
}

Runner::Handled Runner::record_failed(Event e, std::string why) {
    {
        const std::lock_guard lock(mutex_);
        ++res_.failed;
    }
    e.kind = EventKind::Failed;
    e.detail = std::move(why);
    emit(e);
    return Handled::Done;
}

Runner::Handled Runner::issue_record(Slot& slot, const Item& item) {
    const std::string doc = item.document_number.str();
    Event record_event;
    record_event.reader = slot.name();
    record_event.document_number = doc;
    // Read before any claim or card. A record that changed in its file is not issued in this run
    // (a record problem, not a reader's): the others go on, and the batch ends incomplete.
    std::optional<record::HolderRecord> loaded;
    try {
        loaded = holder_of(item);
    } catch (const Error& err) {
        if (err.kind() != ErrorKind::InvalidInput) throw;
        return record_failed(record_event, err.what());
    }
    const record::HolderRecord& holder = *loaded;
    // The claim is journaled before the card's first command (a shared journal: before a card is
    // even taken, so a record another station holds costs no card) and held over cards that turn
    // out unusable; released (spoiled, no card used) when the batch stops first.
    const bool shared = journal_->shared();
    std::optional<journal::Attempt> held;
    const auto release = [&] {
        if (!held) return;
        const std::lock_guard lock(mutex_);
        journal_->mark_spoiled(held->id, "the batch stopped before a usable card was found for this attempt; no "
                                         "card holds its data");
        held.reset();
    };
    for (;;) {
        if (!held) {
            bool exhausted = false;
            {
                const std::lock_guard lock(mutex_);
                exhausted = attempts_run_[doc] >= o_.max_attempts;
            }
            if (exhausted)
                return record_failed(record_event, fmt::format("failed on {} cards in this run; run the batch "
                                                               "again to retry",
                                                               o_.max_attempts));
        }
        if (stopped()) {
            release();
            return Handled::Done;
        }
        if (shared && !held) {
            journal::Claim c;
            {
                const std::lock_guard lock(mutex_);
                c = journal_->try_claim(doc, slot.name(), o_.reissue);
                if (c.outcome == journal::Claim::Outcome::Claimed) ++attempts_run_[doc];
                if (c.outcome == journal::Claim::Outcome::Done) ++res_.skipped;
            }
            if (c.taken_over) {
                Event e;
                e.kind = EventKind::Spoiled;
                e.reader = c.taken_over->reader;
                e.document_number = doc;
                e.serial = c.taken_over->card_serial.value_or("");
                e.attempt = c.taken_over->id;
                e.detail = c.taken_over->error.value_or("taken over");
                emit(e);
            }
            switch (c.outcome) {
                case journal::Claim::Outcome::Claimed: held = c.attempt; break;
                case journal::Claim::Outcome::Busy: return Handled::Busy;
                case journal::Claim::Outcome::Done: {
                    Event e = record_event;
                    e.kind = EventKind::Skipped;
                    e.detail = c.reason;
                    std::optional<journal::RecordStatus> status;
                    {
                        const std::lock_guard lock(mutex_);
                        status = journal_->record(doc);
                    }
                    if (status && status->live_attempt && status->live_attempt->state == journal::State::Verified) {
                        const auto& v = *status->live_attempt;
                        e.serial = v.card_serial.value_or("");
                        e.attempt = v.id;
                        e.detail = fmt::format("already issued: verified on card {} by station {} (attempt {}, {})",
                                               v.card_serial.value_or("?"), v.station, v.id,
                                               v.finished_at.value_or("?"));
                    }
                    emit(e);
                    return Handled::Done;
                }
                case journal::Claim::Outcome::Refused: {
                    // E.g. another station's input holds this document number as an invalid
                    // record: this one is not issued here, and the others go on.
                    return record_failed(record_event, c.reason);
                }
            }
        }
        const auto emitter = [this](Event e) { emit(std::move(e)); };
        const auto is_stopped = [this] { return stopped(); };
        CardInHand card;
        try {
            card = slot.next_card(is_stopped, emitter);  // reader failures propagate
        } catch (...) {
            release();
            throw;
        }
        if (!card.channel) {
            release();
            return Handled::Done;
        }
        if (!held) {
            // The card is journaled (an attempt without a serial yet) before its first command, so
            // a kill from here on leaves an attempt that the next run accounts the card to.
            const std::lock_guard lock(mutex_);
            try {
                held = journal_->claim_record(doc, slot.name(), o_.reissue);
            } catch (...) {
                card.channel.reset();
                throw;
            }
            ++attempts_run_[doc];
        }
        const auto started = std::chrono::steady_clock::now();
        Event base;
        base.reader = slot.name();
        base.document_number = doc;
        base.card_location = card.file.string();
        perso::CardInfo info;
        try {
            info = perso::read_card_info(*card.channel);
        } catch (const Error& err) {
            Event e = base;
            e.kind = EventKind::CardNotUsable;
            e.detail = fmt::format("the card cannot be read: {}", err.what());
            emit(e);
            slot.set_aside(std::move(card), false, "", is_stopped, emitter);
            continue;
        }
        base.serial = info.serial_hex.value_or("");
        {
            Event e = base;
            e.kind = EventKind::CardInserted;
            e.detail = perso::to_string(info.state);
            emit(e);
        }
        std::optional<journal::Attempt> attempt;
        std::string unusable;
        if (info.state != CardState::Blank || !info.serial_hex) {
            unusable = fmt::format("the card is {}, not blank", perso::to_string(info.state));
        } else {
            const std::lock_guard lock(mutex_);
            const auto used = journal_->attempts_by_serial(from_hex(*info.serial_hex));
            if (!used.empty()) {
                unusable = fmt::format("card {} was used before (attempt {}, {}); it must not be reused",
                                       *info.serial_hex, used.back().id, journal::to_string(used.back().state));
            } else {
                attempt = journal_->set_card_serial(held->id, from_hex(*info.serial_hex));
                held.reset();
            }
        }
        if (!attempt) {
            Event e = base;
            e.kind = EventKind::CardNotUsable;
            e.detail = unusable;
            emit(e);
            slot.set_aside(std::move(card), false, base.serial, is_stopped, emitter);
            continue;
        }
        base.attempt = attempt->id;
        base.attempt_number = attempts_run_[doc];
        {
            Event e = base;
            e.kind = EventKind::RecordStarted;
            emit(e);
        }
        try {
            finish(card, item, holder, *attempt, info.state, base, started);
        } catch (const KeySourceError& err) {
            // The token is gone: this card cannot be finished and no other card could be; set it
            // aside and stop the batch (worker()).
            spoil(&slot, std::move(card), *attempt, err.what(), base);
            throw;
        } catch (const Error& err) {
            if (err.kind() == ErrorKind::Journal) throw;
            spoil(&slot, std::move(card), *attempt, err.what(), base);
            // InvalidInput from the write, other than a malformed card response (ParseError), is
            // about the record: another card would fail the same way.
            if (err.kind() == ErrorKind::InvalidInput && dynamic_cast<const ParseError*>(&err) == nullptr)
                return record_failed(base, fmt::format("the record cannot be written: {}", err.what()));
            continue;
        } catch (const std::exception& err) {
            spoil(&slot, std::move(card), *attempt, err.what(), base);
            continue;
        }
        slot.set_aside(std::move(card), false, base.serial, is_stopped, emitter);
        return Handled::Done;
    }
}

void Runner::worker(Slot& slot) {
    try {
        while (!stopped()) {
            std::size_t index = 0;
            {
                const std::lock_guard lock(mutex_);
                if (queue_.empty()) break;
                index = queue_.front();
                queue_.pop_front();
                journal_->check_lease();
            }
            const auto handled = issue_record(slot, items_[index]);
            bool wait = false;
            {
                const std::lock_guard lock(mutex_);
                if (handled == Handled::Busy) {
                    // Another station makes it: ask again later (it is verified then, or its lease
                    // expired and this station takes it over).
                    queue_.push_back(index);
                    wait = ++busy_in_row_ >= queue_.size();
                } else {
                    busy_in_row_ = 0;
                }
            }
            if (wait) std::this_thread::sleep_for(o_.poll);
        }
    } catch (const Error& err) {
        if (err.kind() == ErrorKind::Journal || err.kind() == ErrorKind::Internal ||
            dynamic_cast<const KeySourceError*>(&err)) {
            const std::lock_guard lock(mutex_);
            if (!fatal_) fatal_ = std::current_exception();
            fatal_flag_ = true;
            return;
        }
        {
            const std::lock_guard lock(mutex_);
            ++failed_readers_;
            res_.reader_errors.push_back(fmt::format("{}: {}", slot.name(), err.what()));
        }
        Event e;
        e.kind = EventKind::ReaderFailed;
        e.reader = slot.name();
        e.detail = err.what();
        emit(e);
    } catch (const std::exception& err) {
        const std::lock_guard lock(mutex_);
        if (!fatal_) fatal_ = std::current_exception();
        fatal_flag_ = true;
    }
}

/// Ends the run on a fatal error. A journal or internal error propagates as it is (the batch stays
/// open in the journal, as after a crash, and the next run resumes it). A key source that stopped
/// answering ends the batch as failed, with what the operator does next.
void Runner::stop_on_fatal() {
    try {
        std::rethrow_exception(fatal_);
    } catch (const KeySourceError& err) {
        journal_->end_batch(journal::BatchOutcome::Failed);
        throw KeySourceError(fmt::format("the batch stopped: {}. The card in progress was set aside as spoiled "
                                         "(see the journal); no other card was touched. Reconnect the token and run "
                                         "the same command again to resume",
                                         err.what()));
    }
}

BatchResult Runner::run() {
    const auto started = std::chrono::steady_clock::now();
    if (o_.max_attempts < 1) throw Error(ErrorKind::Usage, "--max-attempts must be at least 1");
    const bool shared = journal::is_journal_uri(o_.journal_path.string());
    if (shared) {
        // Usage errors first: a password in the URI is refused before anything is read.
        journal::check_journal_uri(o_.journal_path.string());
        if (!o_.reports_dir)
            throw Error(ErrorKind::Usage, "with a PostgreSQL journal, name the folder of the QA reports with "
                                          "--reports DIR (the default JOURNAL.reports needs a journal file)");
        if (o_.lease_seconds < 1 || o_.lease_seconds > 3600)
            throw Error(ErrorKind::Usage, fmt::format("--lease-seconds must be 1 to 3600, not {}", o_.lease_seconds));
    }
    load_inputs();
    if (o_.strict && !rejected_.empty()) {
        res_.outcome = Outcome::StrictRefused;
        Event e;
        e.kind = EventKind::BatchDone;
        e.detail = to_string(res_.outcome);
        emit(e);
        return res_;
    }
    if (!fs::is_directory(o_.keys_dir))
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("keys folder {} does not exist or is not a folder; it must hold scp03-master.txt, "
                                "document-signer.pem and document-signer.key",
                                o_.keys_dir.string()));
    keys_.emplace(perso::IssuerKeys::load(o_.keys_dir));
    if (!fs::is_regular_file(o_.csca))
        throw Error(ErrorKind::InvalidInput, fmt::format("CSCA certificate {} not found", o_.csca.string()));
    pki::load_certificate(o_.csca);  // a malformed CSCA is refused now, not on every card
    // Everything the command line names is checked before the journal is created or locked: a
    // refused run leaves no journal behind. Opening a reader selects it (PC/SC: service and
    // reader name) but touches no card: a second batch is still refused before any card.
    open_readers();
    reports_ = o_.reports_dir ? *o_.reports_dir : fs::path(o_.journal_path.string() + ".reports");
    if (fs::exists(reports_) && !fs::is_directory(reports_))
        throw Error(ErrorKind::InvalidInput,
                    fmt::format("the reports folder {} exists and is not a folder", reports_.string()));
    if (!shared) {
        const fs::path folder = o_.journal_path.has_parent_path() ? o_.journal_path.parent_path() : fs::path(".");
        std::error_code ec;
        if (!fs::is_directory(folder, ec))
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("the folder {} of the journal {} {}; create it, or name a journal in an existing "
                                    "folder",
                                    folder.string(), o_.journal_path.string(),
                                    fs::exists(folder, ec) ? "is not a folder" : "does not exist"));
    }
    journal::BatchStart start;
    start.station = o_.station.empty() ? host_name() : o_.station;
    for (const auto& in : o_.inputs) start.input += (start.input.empty() ? "" : " ") + in.string();
    if (shared) {
        journal::PgOptions po;
        po.lease_seconds = o_.lease_seconds;
        journal_ = journal::open_pg_journal(o_.journal_path.string(), start, po);
    } else {
        journal_ = journal::open_sqlite_journal(o_.journal_path, start);
    }
    fs::create_directories(reports_);

    register_records();
    try {
        resume();
    } catch (const KeySourceError&) {
        fatal_ = std::current_exception();
        stop_on_fatal();
    }
    build_queue();
    {
        Event e;
        e.kind = EventKind::BatchStarted;
        e.total = res_.valid;
        e.done = res_.skipped + res_.issued + res_.failed;
        e.detail = fmt::format("{} reader{}, {} record{} to issue", slots_.size(), slots_.size() == 1 ? "" : "s",
                               queue_.size(), queue_.size() == 1 ? "" : "s");
        emit(e);
    }

    std::vector<std::thread> threads;
    for (auto& slot : slots_) threads.emplace_back([this, s = slot.get()] { worker(*s); });
    for (auto& t : threads) t.join();
    if (fatal_) stop_on_fatal();

    res_.not_done = res_.valid - std::min(res_.valid, res_.issued + res_.skipped + res_.failed);
    if (res_.not_done > 0 && o_.stop && o_.stop->load())
        res_.outcome = Outcome::Interrupted;
    else if (res_.not_done > 0 && failed_readers_ > 0)
        res_.outcome = Outcome::ReaderFailure;
    else if (res_.not_done > 0 || res_.failed > 0)
        res_.outcome = Outcome::Incomplete;
    else if (res_.rejected > 0)
        res_.outcome = Outcome::InvalidRecords;
    else
        res_.outcome = Outcome::Complete;
    for (const auto& a : journal_->attempts())
        if (a.state == journal::State::Superseded && a.superseded_by) {
            const auto by = journal_->attempt(*a.superseded_by);
            if (by && by->batch_id == journal_->current_batch()->id) ++res_.superseded;
        }
    res_.journal_summary = journal_->summary();
    journal_->end_batch(res_.outcome == Outcome::Complete       ? journal::BatchOutcome::Complete
                        : res_.outcome == Outcome::ReaderFailure ? journal::BatchOutcome::Failed
                                                                 : journal::BatchOutcome::Incomplete);
    res_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    Event e;
    e.kind = EventKind::BatchDone;
    e.detail = to_string(res_.outcome);
    emit(e);
    return res_;
}

}  // namespace

BatchResult run_batch(const BatchOptions& options) {
    Runner runner(options);
    return runner.run();
}

}  // namespace docketcard::batch
