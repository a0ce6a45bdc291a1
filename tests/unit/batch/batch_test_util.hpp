// Shared helpers of the batch tests: temporary folders, sample inputs with absolute photo paths,
// batch options over sim:DIR/ readers, and a scan of the card files a batch left behind.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "docketcard/applet/card.hpp"
#include "docketcard/batch/batch.hpp"
#include "docketcard/journal/sqlite_journal.hpp"
#include "docketcard/perso/perso.hpp"
#include "docketcard/transport/sim.hpp"

namespace batch_test {

using namespace docketcard;
namespace fs = std::filesystem;

inline fs::path source(const std::string& rel) { return fs::path(DOCKETCARD_SOURCE_DIR) / rel; }

/// A temporary folder (in /dev/shm when present: card files and the journal fsync often).
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/dc-batch-XXXXXX");
        path = ::mkdtemp(tmpl.data());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path operator/(const std::string& name) const { return path / name; }
};

/// Lines of a samples/*.jsonl file with photo paths made absolute (so the copy works anywhere).
inline std::vector<std::string> sample_lines(const std::string& file, std::size_t count = 1000) {
    std::ifstream in(source("samples/" + file));
    std::vector<std::string> lines;
    std::string line;
    while (lines.size() < count && std::getline(in, line)) {
        if (line.empty()) continue;
        try {
            auto doc = nlohmann::json::parse(line);
            if (doc.is_object() && doc.contains("photo") && doc["photo"].is_string()) {
                doc["photo"] = (source("samples") / doc["photo"].get<std::string>()).string();
                line = doc.dump();
            }
        } catch (const nlohmann::json::exception&) {
            // a broken line stays as it is (invalid.jsonl has one on purpose)
        }
        lines.push_back(line);
    }
    return lines;
}

inline fs::path write_input(const fs::path& file, const std::vector<std::string>& lines) {
    std::ofstream out(file);
    for (const auto& l : lines) out << l << "\n";
    return file;
}

/// Options for a batch over sim:DIR/ readers in `dir` (dir/cards-a/, dir/cards-b/, ...).
inline batch::BatchOptions options(const TempDir& dir, const fs::path& input, int readers) {
    batch::BatchOptions o;
    o.inputs = {input};
    for (int i = 0; i < readers; ++i)
        o.readers.push_back("sim:" + (dir.path / ("cards-" + std::string(1, char('a' + i)))).string() + "/");
    o.keys_dir = source("keys-sample");
    o.csca = source("keys-sample/csca.pem");
    o.journal_path = dir / "journal.db";
    o.station = "test-station";
    return o;
}

/// One card file found by scan_cards.
struct CardFile {
    fs::path path;
    std::string serial;
    perso::CardState state;
    bool spoiled_folder = false;
};

/// Every card file in the sim folders of `o` (their spoiled/ subfolders included).
inline std::vector<CardFile> scan_cards(const batch::BatchOptions& o) {
    std::vector<CardFile> cards;
    for (const auto& r : o.readers) {
        const fs::path dir = r.substr(4);
        for (const auto& sub : {dir, dir / "spoiled"}) {
            if (!fs::is_directory(sub)) continue;
            for (const auto& e : fs::directory_iterator(sub)) {
                if (!e.is_regular_file() || e.path().extension() != ".card") continue;
                auto card = applet::Card::open(e.path());
                const std::string serial = card->serial_hex();
                transport::LinkChannel ch(std::make_unique<transport::SimLink>(std::move(card), "scan"));
                cards.push_back({e.path(), serial, perso::read_card_info(ch).state, sub != dir});
            }
        }
    }
    return cards;
}

}  // namespace batch_test
