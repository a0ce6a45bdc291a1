// The `docketcard issue` and `docketcard encode` command lines, run as the operator runs them: the
// docketcard executable built next to this test (bin/), exact exit codes, and what the messages
// name. Needs the docketcard target built (ctest after a full build).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch_test_util.hpp"

using namespace batch_test;

namespace {

struct Run {
    int exit_code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Runs bin/docketcard with `args` in `dir`; stdout and stderr are captured.
Run run_cli(const TempDir& dir, const std::vector<std::string>& args) {
    const fs::path exe = fs::read_symlink("/proc/self/exe").parent_path() / "docketcard";
    REQUIRE(fs::exists(exe));  // build the docketcard target before this test
    const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0 || ::chdir(dir.path.c_str()) != 0) ::_exit(121);
        std::vector<char*> argv;
        std::string exe_s = exe.string();
        argv.push_back(exe_s.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(exe_s.c_str(), argv.data());
        ::_exit(122);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

std::string keys() { return source("keys-sample").string(); }
std::string csca() { return source("keys-sample/csca.pem").string(); }

/// One sample holder (DC2600001, issuing state USA), optionally with its own document_code.
fs::path holder_file(const TempDir& dir, const std::string& own_code = "") {
    auto line = sample_lines("holders.jsonl", 1).at(0);
    if (!own_code.empty()) {
        auto doc = nlohmann::json::parse(line);
        doc["document_code"] = own_code;
        line = doc.dump();
    }
    return write_input(dir / "holder.jsonl", {line});
}

/// The first MRZ line of an encoded DG1 starts with the document code (2 characters, '<' filled)
/// and the issuing state (ICAO Doc 9303 Part 5, TD1).
bool dg1_starts_mrz_with(const fs::path& dg1, const std::string& prefix) {
    return slurp(dg1).find(prefix + "DC2600001") != std::string::npos;
}

}  // namespace

TEST_CASE("encode --document-code sets the code of records without one; a record's own code wins", "[cli]") {
    TempDir dir;
    SECTION("default ID") {
        const auto r = run_cli(dir, {"encode", "--record", holder_file(dir).string(), "--keys", keys(), "--out",
                                        (dir / "out").string()});
        CHECK(r.exit_code == 0);
        CHECK(dg1_starts_mrz_with(dir / "out/DC2600001/DG1.bin", "IDUSA"));
    }
    SECTION("IA") {
        const auto r = run_cli(dir, {"encode", "--record", holder_file(dir).string(), "--keys", keys(), "--out",
                                        (dir / "out").string(), "--document-code", "IA"});
        CHECK(r.exit_code == 0);
        CHECK(dg1_starts_mrz_with(dir / "out/DC2600001/DG1.bin", "IAUSA"));
    }
    SECTION("one letter is filled with <") {
        const auto r = run_cli(dir, {"encode", "--record", holder_file(dir).string(), "--keys", keys(), "--out",
                                        (dir / "out").string(), "--document-code", "C"});
        CHECK(r.exit_code == 0);
        CHECK(dg1_starts_mrz_with(dir / "out/DC2600001/DG1.bin", "C<USA"));
    }
    SECTION("the record's document_code field wins") {
        const auto r = run_cli(dir, {"encode", "--record", holder_file(dir, "AC").string(), "--keys", keys(),
                                        "--out", (dir / "out").string(), "--document-code", "IA"});
        CHECK(r.exit_code == 0);
        CHECK(dg1_starts_mrz_with(dir / "out/DC2600001/DG1.bin", "ACUSA"));
    }
}

TEST_CASE("a bad --document-code is a usage error saying what is accepted", "[cli]") {
    TempDir dir;
    const auto input = holder_file(dir).string();
    for (const std::string bad : {"B", "IDX", "I1", "id", ""}) {
        INFO(bad);
        const auto e = run_cli(dir, {"encode", "--record", input, "--keys", keys(), "--out",
                                        (dir / "out").string(), "--document-code", bad});
        CHECK(e.exit_code == 2);
        CHECK(e.err.find("1-2 upper-case letters A-Z, the first A, C or I") != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "out"));
        const auto i = run_cli(dir, {"issue", "--input", input, "--reader", "sim:" + (dir / "cards").string() + "/",
                                        "--keys", keys(), "--csca", csca(), "--journal", (dir / "j.db").string(),
                                        "--document-code", bad});
        CHECK(i.exit_code == 2);
        CHECK(i.err.find("1-2 upper-case letters A-Z, the first A, C or I") != std::string::npos);
        CHECK_FALSE(fs::exists(dir / "j.db"));
    }
}

TEST_CASE("issue --document-code reaches the card", "[cli]") {
    TempDir dir;
    const auto r = run_cli(dir, {"issue", "--input", holder_file(dir).string(), "--reader",
                                    "sim:" + (dir / "cards").string() + "/", "--keys", keys(), "--csca", csca(),
                                    "--journal", (dir / "j.db").string(), "--document-code", "CI"});
    REQUIRE(r.exit_code == 0);
    // The QA report shows the MRZ read back from the verified card.
    std::string reports;
    for (const auto& e : fs::directory_iterator(dir / "j.db.reports")) reports += slurp(e.path());
    CHECK(reports.find("CIUSADC2600001") != std::string::npos);
    CHECK(reports.find("IDUSADC2600001") == std::string::npos);
}

TEST_CASE("issue with an unusable reader is refused and creates no journal", "[cli]") {
    TempDir dir;
    const auto r = run_cli(dir, {"issue", "--input", holder_file(dir).string(), "--reader",
                                    "sim:" + (dir / "z.card").string(), "--keys", keys(), "--csca", csca(),
                                    "--journal", (dir / "z.db").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("is one card file; a batch needs a folder of cards") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "z.db"));
    CHECK_FALSE(fs::exists(dir / "z.db.lock"));
}

TEST_CASE("a missing record file or keys folder is invalid input (exit 3) naming it", "[cli]") {
    TempDir dir;
    const auto input = holder_file(dir).string();
    const std::string missing = (dir / "nonexistent.jsonl").string();
    const std::string no_keys = (dir / "no-keys").string();
    const std::string reader = "sim:" + (dir / "cards").string() + "/";
    SECTION("encode --record") {
        const auto r = run_cli(dir, {"encode", "--record", missing, "--keys", keys(), "--out", (dir / "out").string()});
        CHECK(r.exit_code == 3);
        CHECK(r.err == "docketcard: error: " + missing + ": cannot open the record file\n");
        CHECK_FALSE(fs::exists(dir / "out"));
    }
    SECTION("encode --keys") {
        const auto r = run_cli(dir, {"encode", "--record", input, "--keys", no_keys, "--out", (dir / "out").string()});
        CHECK(r.exit_code == 3);
        CHECK(r.err == "docketcard: error: keys folder " + no_keys +
                           " does not exist or is not a folder; it must hold document-signer.pem and "
                           "document-signer.key\n");
        CHECK_FALSE(fs::exists(dir / "out"));
    }
    SECTION("issue --input") {
        const auto r = run_cli(dir, {"issue", "--input", missing, "--reader", reader, "--keys", keys(), "--csca",
                                     csca(), "--journal", (dir / "j.db").string()});
        CHECK(r.exit_code == 3);
        CHECK(r.err == "docketcard: error: " + missing + ": cannot open the record file\n");
        CHECK_FALSE(fs::exists(dir / "j.db"));
    }
    SECTION("issue --keys") {
        const auto r = run_cli(dir, {"issue", "--input", input, "--reader", reader, "--keys", no_keys, "--csca",
                                     csca(), "--journal", (dir / "j.db").string()});
        CHECK(r.exit_code == 3);
        CHECK(r.err == "docketcard: error: keys folder " + no_keys +
                           " does not exist or is not a folder; it must hold scp03-master.txt, document-signer.pem "
                           "and document-signer.key\n");
        CHECK_FALSE(fs::exists(dir / "j.db"));
    }
}
