// Reads a vector data file of tests/vectors/: one "name = value" per line, '#' starts a comment.
// Each file names its source in its header comment; tests look values up by name.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include "docketcard/util/bytes.hpp"

namespace docketcard::test {

class VectorFile {
public:
    explicit VectorFile(const std::string& name) : path_(std::filesystem::path(DOCKETCARD_SOURCE_DIR) / "tests/vectors" / name) {
        std::ifstream in(path_);
        if (!in) throw std::runtime_error("cannot open vector file " + path_.string());
        std::string line;
        while (std::getline(in, line)) {
            if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
            const auto eq = line.find('=');
            if (eq == std::string::npos) continue;
            values_[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
        }
    }
    /// The value of `key` as text; throws when the file lacks it (a test must not pass on a typo).
    const std::string& text(const std::string& key) const {
        const auto it = values_.find(key);
        if (it == values_.end()) throw std::runtime_error(path_.string() + ": no value named " + key);
        return it->second;
    }
    Bytes bytes(const std::string& key) const { return from_hex(text(key)); }
    std::string hex(const std::string& key) const { return to_hex(bytes(key)); }

private:
    static std::string trim(const std::string& s) {
        const auto b = s.find_first_not_of(" \t\r");
        const auto e = s.find_last_not_of(" \t\r");
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    }
    std::filesystem::path path_;
    std::map<std::string, std::string> values_;
};

}  // namespace docketcard::test
