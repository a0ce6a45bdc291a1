// The `docketcard issue` and `docketcard encode` command lines, run as the operator runs them: the
// docketcard executable built next to this test (bin/), exact exit codes, and what the messages
// name. Needs the docketcard target built (ctest after a full build).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
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

TEST_CASE("encode --jobs 3 writes and lists exactly what --jobs 1 does, in input order", "[cli]") {
    TempDir dir;
    // Valid holders with rejected records between them: the loader's rejections and the encoded
    // holders must come out in the order of the file whatever the threads.
    const auto valid = sample_lines("holders.jsonl"), invalid = sample_lines("invalid.jsonl");
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < valid.size(); ++i) {
        lines.push_back(valid[i]);
        if (i < invalid.size()) lines.push_back(invalid[i]);
    }
    const auto input = write_input(dir / "mixed.jsonl", lines).string();
    const auto one = run_cli(dir, {"encode", "--record", input, "--keys", keys(), "--out", (dir / "one").string(),
                                   "--jobs", "1"});
    const auto three = run_cli(dir, {"encode", "--record", input, "--keys", keys(), "--out",
                                     (dir / "three").string(), "--jobs", "3"});
    CHECK(one.exit_code == 3);   // some records are rejected; the valid ones are written
    CHECK(three.exit_code == 3);
    CHECK(three.err == one.err);
    // The table lists the same holders in the same order (sizes may differ by a byte: an ECDSA
    // signature's DER is 70 to 72 bytes).
    const auto documents = [](const std::string& out) {
        std::vector<std::string> first_words;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);) first_words.push_back(line.substr(0, line.find(' ')));
        return first_words;
    };
    CHECK(documents(three.out) == documents(one.out));
    CHECK(documents(one.out).size() == valid.size() + 2);   // header, holders, the summary line
    std::size_t compared = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir / "one")) {
        const auto name = entry.path().filename().string();
        if (!entry.is_regular_file() || name == "SOD.bin" || name == "summary.txt") continue;
        const auto twin = dir / "three" / fs::relative(entry.path(), dir / "one");
        INFO(twin.string());
        CHECK(slurp(twin) == slurp(entry.path()));
        ++compared;
    }
    CHECK(compared == valid.size() * 6);   // COM, DG1, DG2, DG11, DG12, DG13
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

TEST_CASE("issue on a sim:DIR/?link= reader prints the projected card time next to the host time", "[cli][link]") {
    TempDir dir;
    const std::string reader = "sim:" + (dir / "cards").string() + "/?link=contact-312k";
    const auto j = run_cli(dir, {"issue", "--json", "--input", holder_file(dir).string(), "--reader", reader, "--keys",
                                 keys(), "--csca", csca(), "--journal", (dir / "j.db").string()});
    REQUIRE(j.exit_code == 0);
    // The last line of the event stream is batch_done.
    const auto last = j.out.rfind('\n', j.out.size() - 2);
    const auto done = nlohmann::json::parse(j.out.substr(last == std::string::npos ? 0 : last + 1));
    REQUIRE(done["event"] == "batch_done");
    REQUIRE(done["links"].size() == 1);
    const auto& l = done["links"][0];
    CHECK(l["profile"] == "contact-312k");
    CHECK(l["cards"] == 1);
    // The write: the card-information read (2 commands) and the 44 of the personalization (39
    // before PACE, then EF.CardAccess, the CAN and the CA key), every EF's pages; lock: 7 commands; verify:
    // EF.CardAccess, PACE (MSE:Set AT + 4 GENERAL AUTHENTICATE), Chip Authentication (MSE:Set AT +
    // GENERAL AUTHENTICATE), every EF read, passive and active authentication.
    CHECK(l["write"]["commands"] == 46);
    CHECK(l["write"]["pages_written"] == 171);
    CHECK(l["lock"]["commands"] == 7);
    CHECK(l["lock"]["bytes_out"] == 82);
    CHECK(l["lock"]["bytes_in"] == 98);
    CHECK(l["lock"]["pages_written"] == 2);
    CHECK(l["verify"]["commands"] == 43);
    CHECK(l["verify"]["bytes_out"] == 1152);
    CHECK(l["verify"]["pages_written"] == 0);
    // The lock by hand (docs/sim.md "Link model"): 7 commands of one T=1 block each way, so
    // 82 + 98 + 7 * 2 * 4 = 236 bytes of 11 etu at 312500 etu/s, 7 * 2 gaps of 22 etu, 7 turnarounds
    // of 1 ms and 2 pages of 1.5 ms.
    CHECK(l["lock"]["seconds"].get<double>() ==
          Approx(236 * 11 / 312500.0 + 14 * 22 / 312500.0 + 7 * 0.001 + 2 * 0.0015));
    CHECK(l["lock"]["line_bytes"] == 236);
    CHECK(l["total"]["commands"] == 46 + 7 + 43);
    CHECK(l["total"]["pages_written"] == 173);
    CHECK(l["seconds_per_card"].get<double>() ==
          Approx(l["write"]["seconds"].get<double>() + l["lock"]["seconds"].get<double>() +
                 l["verify"]["seconds"].get<double>()));
    CHECK(l["host_seconds_per_card"].get<double>() == Approx(l["host_seconds"].get<double>()));
    CHECK(l["host_seconds"].get<double>() > 0);

    // The text summary: the same figures, one line per profile.
    TempDir dir2;
    const std::string reader2 = "sim:" + (dir2 / "cards").string() + "/?link=contact-312k";
    const auto t = run_cli(dir2, {"issue", "--input", holder_file(dir2).string(), "--reader", reader2, "--keys", keys(),
                                  "--csca", csca(), "--journal", (dir2 / "j.db").string()});
    REQUIRE(t.exit_code == 0);
    const std::regex line(
        "\n  link contact-312k: 1 cards, projected card time [0-9]\\.[0-9]{3} s a card \\(write [0-9]\\.[0-9]{3} s, "
        "lock 0\\.019 s, verify [0-9]\\.[0-9]{3} s\\), host time [0-9]+\\.[0-9]{3} s a card; in all 96 commands, 173 "
        "page writes\n");
    CHECK(std::regex_search(t.out, line));

    // Without a profile there is no projection.
    TempDir dir3;
    const auto n = run_cli(dir3, {"issue", "--json", "--input", holder_file(dir3).string(), "--reader",
                                  "sim:" + (dir3 / "cards").string() + "/", "--keys", keys(), "--csca", csca(),
                                  "--journal", (dir3 / "j.db").string()});
    REQUIRE(n.exit_code == 0);
    CHECK(n.out.find("\"links\":[]") != std::string::npos);
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
