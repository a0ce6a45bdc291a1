#include "docketcard/transport/reader.hpp"

#include <charconv>
#include <mutex>
#include <set>
#include <system_error>

#include <fmt/core.h>

#include "docketcard/transport/sim.hpp"
#include "docketcard/util/error.hpp"
#include "pcsc_internal.hpp"

namespace docketcard::transport {

namespace {

std::string reader_table(const std::vector<std::string>& readers) {
    std::string out;
    for (std::size_t i = 0; i < readers.size(); ++i) out += fmt::format("\n  {}: {}", i, readers[i]);
    return out;
}

bool is_index(std::string_view s) {
    return !s.empty() && s.size() <= 3 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

ReaderSpec parse_reader(std::string_view text) {
    ReaderSpec spec;
    spec.text = std::string(text);
    if (text.substr(0, 4) != "sim:") {
        spec.kind = ReaderSpec::Kind::Pcsc;
        spec.pcsc_choice = std::string(text);
        return spec;
    }
    std::string_view path = text.substr(4);
    if (const auto q = path.rfind("?link="); q != std::string_view::npos) {
        const std::string profile(path.substr(q + 6));
        try {
            spec.link = apdu::LinkProfile::load(profile);
        } catch (const Error& e) {
            throw Error(ErrorKind::Usage, fmt::format("reader '{}': {}", text, e.what()));
        }
        path = path.substr(0, q);
    }
    if (path.empty()) {
        throw Error(ErrorKind::Usage, "reader 'sim:' names no card file: write sim:PATH (a card file) or sim:DIR/ "
                                      "(a folder of cards)");
    }
    spec.kind = path.back() == '/' ? ReaderSpec::Kind::SimDir : ReaderSpec::Kind::SimFile;
    spec.sim_path = std::filesystem::path(std::string(path));
    return spec;
}

std::string select_reader(const std::vector<std::string>& readers, std::string_view choice,
                          const std::vector<std::string>& identities) {
    if (readers.empty()) {
        throw Error(ErrorKind::Communication,
                    "no PC/SC reader is connected. Plug in a reader (or start vpcd with docketcard-sim), or use a "
                    "sim:PATH reader, which needs no PC/SC service.");
    }
    if (choice.substr(0, 7) == "serial:") {
        const std::string_view wanted = choice.substr(7);
        if (wanted.empty()) {
            throw Error(ErrorKind::Usage, "reader 'serial:' names no identity: write serial:VALUE, VALUE as "
                                          "`docketcard readers` shows it");
        }
        std::string table;
        for (std::size_t i = 0; i < readers.size(); ++i) {
            const std::string id = i < identities.size() ? identities[i] : std::string();
            if (id == wanted) return readers[i];
            table += fmt::format("\n  {}: {}  {}", i, readers[i], id.empty() ? "(no identity)" : "serial:" + id);
        }
        throw Error(ErrorKind::Communication,
                    fmt::format("no PC/SC reader has the identity '{}'; the readers are:{}", wanted, table));
    }
    if (choice.empty()) {
        if (readers.size() == 1) return readers.front();
        throw Error(ErrorKind::Usage, fmt::format("{} PC/SC readers are connected; choose one with --reader (a name, "
                                                  "a unique part of a name, or an index):{}",
                                                  readers.size(), reader_table(readers)));
    }
    for (const auto& r : readers) {
        if (r == choice) return r;
    }
    if (is_index(choice)) {
        std::size_t index = 0;
        std::from_chars(choice.data(), choice.data() + choice.size(), index);
        if (index < readers.size()) return readers[index];
        throw Error(ErrorKind::Communication, fmt::format("there is no PC/SC reader with index {}; the readers are:{}",
                                                          index, reader_table(readers)));
    }
    std::vector<std::string> matches;
    for (const auto& r : readers) {
        if (r.find(choice) != std::string::npos) matches.push_back(r);
    }
    if (matches.size() == 1) return matches.front();
    if (matches.empty()) {
        throw Error(ErrorKind::Communication,
                    fmt::format("no PC/SC reader matches '{}'; the readers are:{}", choice, reader_table(readers)));
    }
    throw Error(ErrorKind::Usage, fmt::format("reader '{}' is ambiguous: it matches {} readers; give more of the "
                                              "name or an index:{}",
                                              choice, matches.size(), reader_table(readers)));
}

const char* to_string(ReaderEvent::Kind kind) noexcept {
    switch (kind) {
        case ReaderEvent::Kind::ReaderAdded: return "reader-added";
        case ReaderEvent::Kind::ReaderRemoved: return "reader-removed";
        case ReaderEvent::Kind::CardInserted: return "card-inserted";
        case ReaderEvent::Kind::CardRemoved: return "card-removed";
    }
    return "unknown";
}

namespace {

std::mutex& handed_out_mutex() {
    static std::mutex m;
    return m;
}
std::set<std::filesystem::path>& handed_out() {
    static std::set<std::filesystem::path> s;
    return s;
}

}  // namespace

SimCardFactory::SimCardFactory(std::filesystem::path dir) : dir_(std::move(dir)) {}

std::filesystem::path SimCardFactory::next_card() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
        throw Error(ErrorKind::Communication,
                    fmt::format("cannot create the sim card folder '{}': {}", dir_.string(), ec.message()));
    }
    const std::lock_guard lock(handed_out_mutex());
    for (unsigned n = 1; n < 1000000; ++n) {
        std::filesystem::path p = dir_ / fmt::format("card-{:06}.card", n);
        if (handed_out().count(p) || std::filesystem::exists(p)) continue;
        handed_out().insert(p);
        return p;
    }
    throw Error(ErrorKind::Communication, fmt::format("the sim card folder '{}' is full", dir_.string()));
}

namespace {

/// sim:PATH and sim:DIR/: the card is always "present"; connect() opens the card file.
class SimReader final : public Reader {
public:
    explicit SimReader(ReaderSpec spec) : spec_(std::move(spec)) {
        if (spec_.kind == ReaderSpec::Kind::SimDir) factory_.emplace(spec_.sim_path);
    }

    std::string name() const override { return spec_.text; }

    ReaderState state() override {
        ReaderState s;
        s.name = spec_.text;
        // A card file that does not exist is no card (verify and read say so); write makes a
        // blank card there. sim:DIR/ always has one: every connection inserts a new blank card.
        s.card_present = spec_.kind != ReaderSpec::Kind::SimFile || std::filesystem::exists(spec_.sim_path);
        if (!s.card_present) return s;
        if (spec_.kind == ReaderSpec::Kind::SimFile) {
            try {
                s.atr = applet::Card::open(spec_.sim_path)->atr();
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::Communication) throw;
                s.in_use = true;  // another process holds the card file
            }
        } else {
            s.atr = applet::Card::in_memory()->atr();
        }
        return s;
    }

    WaitResult wait_for_card(std::optional<std::chrono::milliseconds>) override { return WaitResult::Ready; }
    WaitResult wait_for_removal(std::optional<std::chrono::milliseconds>) override { return WaitResult::Ready; }

    std::unique_ptr<CardChannel> connect(const ConnectOptions& options) override {
        if (factory_) {
            if (!options.create_missing) {
                throw Error(ErrorKind::Usage,
                            fmt::format("reader {} inserts a new blank card on every connection; name one card file "
                                        "(sim:{}card-000001.card) to read an existing card",
                                        spec_.text, spec_.sim_path.string()));
            }
            return open_sim_channel(factory_->next_card(), {}, spec_.link);
        }
        const std::filesystem::path& path = spec_.sim_path;
        const std::filesystem::path folder = path.parent_path();
        std::error_code ec;
        if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
            const bool exists = std::filesystem::exists(folder, ec);
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("the folder {} of the sim card file {} {}", folder.string(), path.string(),
                                    exists ? "is not a folder" : "does not exist"));
        }
        if (!options.create_missing && !std::filesystem::exists(path, ec)) {
            throw Error(ErrorKind::Communication,
                        fmt::format("no card: sim card file {} does not exist", path.string()));
        }
        return open_sim_channel(path, {}, spec_.link);
    }

    void cancel() override {}

private:
    ReaderSpec spec_;
    std::optional<SimCardFactory> factory_;
};

}  // namespace

std::unique_ptr<Reader> open_reader(const ReaderSpec& spec) {
    if (spec.kind == ReaderSpec::Kind::Pcsc) return detail::open_pcsc_reader(spec.pcsc_choice);
    return std::make_unique<SimReader>(spec);
}

}  // namespace docketcard::transport
