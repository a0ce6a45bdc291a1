// The card file's journal (docs/sim.md, "Card journal format" and "Persistence: one command,
// all or nothing"): exact record bytes, replay after a tear or a flipped byte, a stale journal
// ignored, compaction, and file modes. A crash is simulated by copying the card file and its
// journal while the CardFile that wrote them is still open (its destructor would compact).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "card_file.hpp"
#include "card_journal.hpp"
#include "docketcard/util/error.hpp"
#include "helpers.hpp"

using namespace dc_test;
namespace detail = docketcard::applet::detail;
namespace fs = std::filesystem;

namespace {

Bytes slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void spit(const fs::path& p, ByteView b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

Bytes filled(std::size_t n, std::uint8_t seed) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
    return b;
}

Bytes bytes_of(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

// An image as a failed CHECK shows it: its size and SHA-256 (the bytes themselves are thousands).
std::string fp(ByteView b) { return std::to_string(b.size()) + " bytes, SHA-256 " + to_hex(crypto::sha256(b)); }

// Three images as three commands would leave them: a changed run, then a run grown by 5 bytes.
struct Images {
    Bytes a = filled(3000, 1), b = a, c;
    Images() {
        for (std::size_t i = 100; i < 110; ++i) b[i] ^= 0x5A;
        b[2990] ^= 0x01;
        const Bytes five{1, 2, 3, 4, 5};
        c = concat({ByteView(b).first(1500), five, ByteView(b).subspan(1500)});
    }
    // Commits a, b and c to a new card: a is its base, b and c the journal's two records.
    void commit_all(detail::CardFile& f) const {
        (void)f.read();
        f.write(a);
        f.write(b);
        f.write(c);
    }
};

// The card file and journal of `from` copied to `to` as a crash would leave them.
void crash_copy(const fs::path& from, const fs::path& to) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::path fj = from, tj = to;
    fj += ".journal";
    tj += ".journal";
    if (fs::exists(fj)) fs::copy_file(fj, tj, fs::copy_options::overwrite_existing);
}

// Opens, reads and closes (closing compacts only after a commit, so a crash image survives it).
Bytes reopened(const fs::path& card) {
    detail::CardFile f(card);
    const auto image = f.read();
    REQUIRE(image);
    return bytes_of(*image);
}

fs::path journal_of(const fs::path& card) {
    fs::path j = card;
    j += ".journal";
    return j;
}

// Opens `card`, which must hold `now`, commits `next` as journal record number `records`, and
// checks that a crash right after the commit leaves `next`.
void commit_survives_crash(const fs::path& card, const Bytes& now, const Bytes& next, std::size_t records) {
    const fs::path copy = card.parent_path() / ("crash-" + card.filename().string());
    {
        detail::CardFile f(card);
        REQUIRE(fp(bytes_of(*f.read())) == fp(now));
        f.write(next);
        CHECK(f.journal_records() == records);
        crash_copy(card, copy);
    }
    CHECK(fp(reopened(copy)) == fp(next));
}

}  // namespace

TEST_CASE("card journal: header and record bytes", "[applet][card-journal]") {
    const Bytes base = filled(40, 3);
    const Bytes digest = crypto::sha256(base);
    const Bytes header = detail::journal_header(digest);
    CHECK(to_hex(header) == "444F434B45544A4C0001" + to_hex(digest));
    REQUIRE(header.size() == detail::kJournalHeader);

    // Two changed bytes 9 apart are one hunk; a third 20 bytes further is a second hunk.
    Bytes after = base;
    after[3] = 0xFF;
    after[12] = 0xEE;
    after[33] = 0xDD;
    Bytes next;
    const SecureBytes record = detail::journal_record(digest, base, after, next);
    const std::string body = "00000003" "0000000A" "0000000A" + to_hex(ByteView(after).subspan(3, 10)) +
                             "00000021" "00000001" "00000001" "DD";
    const std::string framed = "00000023" + body;  // 12 + 10 + 12 + 1 = 35 bytes
    CHECK(to_hex(record) == framed + to_hex(next));
    CHECK(next == crypto::sha256(concat({digest, from_hex(framed)})));

    // A length change is one hunk from the first to the last differing byte.
    const Bytes shorter(base.begin(), base.begin() + 30);
    const SecureBytes cut = detail::journal_record(digest, base, shorter, next);
    CHECK(to_hex(ByteView(view(cut)).first(16)) == "0000000C" "0000001E" "0000000A" "00000000");

    // A command that grows a file: the image's length field, the inserted bytes and the checksum
    // change; the record holds those three, not the rest of the image after the insertion.
    const Bytes image = filled(200, 5);
    const Bytes length_field{0xA1, 0xA2, 0xA3, 0xA4}, inserted{0xB1, 0xB2, 0xB3}, checksum(32, 0xC5);
    const Bytes grown = concat({ByteView(image).first(10), length_field, ByteView(image).subspan(14, 86), inserted,
                                ByteView(image).subspan(100, 68), checksum});
    const Bytes image_digest = crypto::sha256(image);
    const SecureBytes record3 = detail::journal_record(image_digest, image, grown, next);
    const std::string hunks = "0000000A" "00000004" "00000004" "A1A2A3A4"
                              "00000064" "00000000" "00000003" "B1B2B3"
                              "000000A8" "00000020" "00000020" + to_hex(checksum);
    CHECK(to_hex(record3) == "0000004B" + hunks + to_hex(next));  // 16 + 15 + 44 = 75 bytes
    const detail::JournalReplay r = detail::replay_journal(
        image, concat({detail::journal_header(image_digest), view(record3)}), "test.journal");
    CHECK(r.records == 1);
    CHECK(fp(view(r.image)) == fp(grown));
}

TEST_CASE("card journal: each commit is one record; a torn last record replays to the state before it",
          "[applet][card-journal][tear]") {
    TempDir dir;
    const Images im;
    const auto card = dir.path / "a.card";
    detail::CardFile f(card);
    REQUIRE_FALSE(f.read());
    f.write(im.a);  // no base yet: written whole
    CHECK(fp(slurp(card)) == fp(im.a));
    CHECK_FALSE(fs::exists(journal_of(card)));
    f.write(im.b);
    const std::size_t after_b = fs::file_size(journal_of(card));
    f.write(im.c);
    CHECK(f.journal_records() == 2);
    CHECK(fp(slurp(card)) == fp(im.a));  // the base is untouched until compaction
    const Bytes journal = slurp(journal_of(card));
    REQUIRE(journal.size() > after_b);

    const auto copy = dir.path / "copy.card";
    crash_copy(card, copy);
    CHECK(fp(reopened(copy)) == fp(im.c));
    // Every tear inside the last record: the state of the command before it, exactly.
    for (std::size_t keep = after_b; keep < journal.size(); ++keep) {
        INFO("journal cut to " << keep << " of " << journal.size() << " bytes");
        crash_copy(card, copy);
        spit(journal_of(copy), ByteView(journal).first(keep));
        CHECK(fp(reopened(copy)) == fp(im.b));
    }
    // Inside the first record or the header: the base.
    for (std::size_t keep : {std::size_t{0}, std::size_t{5}, detail::kJournalHeader, after_b - 1}) {
        INFO("journal cut to " << keep);
        crash_copy(card, copy);
        spit(journal_of(copy), ByteView(journal).first(keep));
        CHECK(fp(reopened(copy)) == fp(im.a));
    }
}

TEST_CASE("card journal: a torn tail is cut off by the next commit", "[applet][card-journal][tear]") {
    TempDir dir;
    const Images im;
    const auto card = dir.path / "a.card";
    {
        detail::CardFile f(card);
        im.commit_all(f);
        crash_copy(card, dir.path / "torn.card");
    }
    const auto torn = dir.path / "torn.card";
    const Bytes journal = slurp(journal_of(torn));
    spit(journal_of(torn), ByteView(journal).first(journal.size() - 3));
    Bytes d = im.b;
    d[0] ^= 0xFF;
    commit_survives_crash(torn, im.b, d, 2);
}

TEST_CASE("card journal: a flipped byte in a record stops replay at that record", "[applet][card-journal]") {
    TempDir dir;
    const Images im;
    const auto card = dir.path / "a.card";
    detail::CardFile f(card);
    (void)f.read();
    f.write(im.a);
    f.write(im.b);
    const std::size_t first_end = fs::file_size(journal_of(card));
    f.write(im.c);
    const std::size_t second_end = fs::file_size(journal_of(card));
    Bytes d = im.c;
    d[7] ^= 0x80;
    f.write(d);
    const Bytes journal = slurp(journal_of(card));
    const auto copy = dir.path / "copy.card";
    crash_copy(card, copy);
    REQUIRE(fp(reopened(copy)) == fp(d));
    // Every byte of the second record (its length, its hunk, its digest): the state before it.
    for (std::size_t at = first_end; at < second_end; ++at) {
        INFO("flipped byte " << at << " of the record at " << first_end << ".." << second_end);
        Bytes bad = journal;
        bad[at] ^= 0x04;
        crash_copy(card, copy);
        spit(journal_of(copy), bad);
        CHECK(fp(reopened(copy)) == fp(im.b));
    }
    // A flip in the header unbinds the whole journal: the base.
    Bytes bad = journal;
    bad[20] ^= 0x01;
    crash_copy(card, copy);
    spit(journal_of(copy), bad);
    CHECK(fp(reopened(copy)) == fp(im.a));
}

TEST_CASE("card journal: a stale journal (for another base) is ignored", "[applet][card-journal]") {
    TempDir dir;
    const Images im;
    const auto card = dir.path / "a.card";
    Bytes stale;
    {
        detail::CardFile f(card);
        im.commit_all(f);
        stale = slurp(journal_of(card));
        f.compact();  // base c; a crash before the journal is emptied leaves the records for a
        CHECK(fp(slurp(card)) == fp(im.c));
        CHECK(fs::file_size(journal_of(card)) == 0);
    }
    spit(journal_of(card), stale);
    CHECK(fp(reopened(card)) == fp(im.c));  // not a, b, c replayed onto c
    // And commits after it start a journal for the new base.
    Bytes d = im.c;
    d[1] ^= 1;
    commit_survives_crash(card, im.c, d, 1);

    // A journal with no card file beside it belongs to no card: a new card starts clean.
    const auto fresh = dir.path / "fresh.card";
    spit(journal_of(fresh), stale);
    detail::CardFile f(fresh);
    CHECK_FALSE(f.read());
    f.write(im.b);
    f.write(im.c);
    crash_copy(fresh, dir.path / "fresh-copy.card");
    CHECK(fp(reopened(dir.path / "fresh-copy.card")) == fp(im.c));
}

TEST_CASE("card journal: compaction on close and past the bound gives the same image on reopen",
          "[applet][card-journal]") {
    TempDir dir;
    const Images im;
    const auto card = dir.path / "a.card";
    {
        detail::CardFile f(card);
        im.commit_all(f);
    }
    CHECK(fp(slurp(card)) == fp(im.c));
    CHECK(fs::file_size(journal_of(card)) == 0);
    CHECK(fp(reopened(card)) == fp(im.c));

    // 3000-byte rewrites: the journal never passes the bound, the base takes the overflow.
    Bytes image = im.c;
    detail::CardFile f(card);
    (void)f.read();
    std::size_t compactions = 0, last_records = 0;
    for (int i = 0; i < 200; ++i) {
        for (std::size_t k = 0; k < image.size(); k += 2) image[k] = static_cast<std::uint8_t>(image[k] + 1);
        f.write(image);
        CHECK(fs::file_size(journal_of(card)) <= detail::CardFile::kCompactAt);
        if (f.journal_records() < last_records) ++compactions;
        last_records = f.journal_records();
    }
    CHECK(compactions >= 2);
    crash_copy(card, dir.path / "copy.card");
    CHECK(fp(reopened(dir.path / "copy.card")) == fp(image));
}

TEST_CASE("card journal: mode 0600 and no secret left in it after close", "[applet][card-journal]") {
    TempDir dir;
    const auto card = dir.path / "a.card";
    const mode_t old_mask = ::umask(0);
    const Bytes secret = to_bytes("K-ENC 0123456789ABCDEF");
    Bytes image = filled(500, 9);
    {
        detail::CardFile f(card);
        (void)f.read();
        f.write(image);
        std::copy(secret.begin(), secret.end(), image.begin() + 200);
        f.write(image);
        const Bytes journal = slurp(journal_of(card));
        CHECK(std::search(journal.begin(), journal.end(), secret.begin(), secret.end()) != journal.end());
        struct stat st {};
        REQUIRE(::stat(journal_of(card).c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
        REQUIRE(::stat(card.c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0600);
    }
    ::umask(old_mask);
    CHECK(fs::file_size(journal_of(card)) == 0);
    CHECK(fp(slurp(card)) == fp(image));
    CHECK_FALSE(fs::exists(dir.path / "a.card.tmp"));
}

TEST_CASE("card journal: an emulated card killed mid-session reopens with every committed command",
          "[applet][card-journal]") {
    TempDir dir;
    const auto card = dir.path / "a.card";
    const auto copy = dir.path / "copy.card";
    {
        auto c = Card::open(card);
        for (int i = 0; i < 3; ++i) {
            auto scp = scp_for(*c);
            REQUIRE(scp.open() == 0x9000);  // each session moves the SCP03 sequence counter
        }
        CHECK(fs::file_size(journal_of(card)) > detail::kJournalHeader);
        crash_copy(card, copy);
    }
    auto c = Card::open(copy);
    const std::string iu = tx(*c, "80500000080102030405060708" "00");
    CHECK(iu.substr(58, 6) == "000004");  // three sessions before the crash, this is the fourth
}

TEST_CASE("card journal: a replayed image the card refuses leaves the base as it was", "[applet][card-journal]") {
    TempDir dir;
    const auto card = dir.path / "a.card";
    (void)Card::open(card);
    const Bytes base = slurp(card);
    Bytes bad = base;
    bad[20] ^= 0x01;  // inside the payload: the image's own SHA-256 no longer matches
    const Bytes digest = crypto::sha256(base);
    Bytes next;
    spit(journal_of(card), concat({detail::journal_header(digest), view(detail::journal_record(digest, base, bad, next))}));
    std::string message;
    try {
        (void)Card::open(card);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidInput);
        message = e.what();
    }
    CHECK(message.find("SHA-256") != std::string::npos);
    CHECK(fp(slurp(card)) == fp(base));
    fs::remove(journal_of(card));
    CHECK_NOTHROW(Card::open(card));
}
