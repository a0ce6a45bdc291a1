// Keys in a real SoftHSM2 token (lib/keys): each test provisions its own token with
// keys-sample/provision-softhsm.sh in a temporary SOFTHSM2_CONF, never the system one.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "docketcard/crypto/kdf.hpp"
#include "docketcard/keys/key_set.hpp"
#include "docketcard/pki/sod.hpp"
#include "docketcard/sm/scp03_keys.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
namespace fs = std::filesystem;

namespace {

const fs::path kSource = DOCKETCARD_SOURCE_DIR;
const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";

struct Site {
    fs::path dir;
    Site() {
        char tmpl[] = "/tmp/docketcard-hsm-XXXXXX";
        dir = mkdtemp(tmpl);
        const std::string cmd = (kSource / "keys-sample/provision-softhsm.sh").string() + " " + dir.string() + " >/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        setenv("SOFTHSM2_CONF", (dir / "softhsm2.conf").c_str(), 1);
        unsetenv("DOCKETCARD_PKCS11_PIN");
    }
    ~Site() { fs::remove_all(dir); }
    std::string q() const { return "?pin-source=file:" + (dir / "pin").string(); }
    void toml(const std::string& text) const { std::ofstream(dir / "keys.toml") << "pkcs11_module = \"" << kModule << "\"\ndocument_signer_certificate = \""
                                                        << (kSource / "keys-sample/document-signer.pem").string() << "\"\n"
                                                        << text;
    }
    void import_secret(const std::string& hex, const std::string& label, const char* extra = "--sensitive") const {
        const fs::path bin = dir / "key.bin";
        const Bytes b = from_hex(hex);
        std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        const std::string cmd = std::string("pkcs11-tool --module ") + kModule + " --token-label docket-site --login --pin 123456"
                                " --write-object " + bin.string() + " --type secrkey --key-type AES:" + std::to_string(b.size()) +
                                " --usage-sign " + extra + " --label " + label + " >/dev/null 2>&1";
        REQUIRE(std::system(cmd.c_str()) == 0);
        fs::remove(bin);
    }
};

struct Failure {
    ErrorKind kind = ErrorKind::Internal;
    std::string message = "no error";
};
Failure load_fails(const fs::path& dir, keys::LoadRoles roles = {}) {
    try {
        keys::load_key_set(dir, roles);
    } catch (const Error& e) {
        return {e.kind(), e.what()};
    }
    return {};
}

std::time_t now() { return std::time(nullptr); }

}  // namespace

TEST_CASE("SoftHSM2: EF.SOD signed in the token verifies against the sample CSCA", "[keys][softhsm]") {
    Site site;
    const auto set = keys::load_key_set(site.dir);
    CHECK(set.document_signer.key->origin().rfind("pkcs11:token=docket-site;object=document-signer;type=private", 0) == 0);
    CHECK(set.document_signer.subject.find("Sample Document Signer") != std::string::npos);
    const std::map<int, Bytes> dgs{{1, from_hex("615B5F1F")}, {2, from_hex("7502AABB")}};
    const Bytes sod = pki::sign_sod(dgs, set.document_signer);
    const Bytes csca = pki::load_certificate(kSource / "keys-sample/csca.pem");
    const auto v = pki::verify_sod(sod, csca, dgs, now());
    INFO(v.failures());
    CHECK(v.ok());
}

TEST_CASE("SoftHSM2: per-card SCP03 keys diversified in the token equal the file computation", "[keys][softhsm]") {
    Site site;
    const auto token = keys::load_key_set(site.dir, {.document_signer = false, .scp03 = true});
    const auto file = sm::FileMasterKeys(sm::load_scp03_master_keys(kSource / "keys-sample"));
    for (const char* kdd : {"D9B1DE5D0362DEDCE4FB", "00000000000000000001", "0102030405060708090A"}) {
        INFO(kdd);
        const auto t = token.scp03->card_keys(from_hex(kdd));
        const auto f = file.card_keys(from_hex(kdd));
        CHECK(t.kvn == 0x30);
        CHECK(to_hex(view(t.enc)) == to_hex(view(f.enc)));
        CHECK(to_hex(view(t.mac)) == to_hex(view(f.mac)));
        CHECK(to_hex(view(t.dek)) == to_hex(view(f.dek)));
    }

    // The published KDF3 example (shared/reference/globalplatform-scp03.md), master key in the token.
    site.import_secret("8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD", "vector");
    const std::string v = "\"pkcs11:token=docket-site;object=vector;type=secret-key" + site.q() + "\"\n";
    site.toml("scp03_kvn = \"30\"\nscp03_enc = " + v + "scp03_mac = " + v + "scp03_dek = " + v);
    const auto vec = keys::load_key_set(site.dir, {.document_signer = false, .scp03 = true});
    CHECK(to_hex(view(vec.scp03->card_keys(from_hex("D9B1DE5D0362DEDCE4FB")).enc)) ==
          "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781");
}

TEST_CASE("SoftHSM2: extractable key, wrong PIN, missing token, missing object", "[keys][softhsm]") {
    Site site;
    const std::string base = "pkcs11:token=docket-site;object=";
    const keys::LoadRoles ds_only{.document_signer = true, .scp03 = false};
    SECTION("a key object with CKA_EXTRACTABLE true is refused") {
        site.import_secret("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "leaky", "--extractable");
        const std::string u = "\"" + base + "leaky;type=secret-key" + site.q() + "\"\n";
        site.toml("scp03_kvn = \"30\"\nscp03_enc = " + u + "scp03_mac = " + u + "scp03_dek = " + u);
        const auto f = load_fails(site.dir);
        CHECK(f.kind == ErrorKind::InvalidInput);
        CHECK(f.message.find(base + "leaky;type=secret-key") != std::string::npos);
        CHECK(f.message.find("extractable (CKA_EXTRACTABLE true)") != std::string::npos);
        CHECK(f.message.find("000102030405") == std::string::npos);
    }
    SECTION("wrong PIN: exit 5 naming the URI and the tries-left state, never the PIN") {
        std::ofstream(site.dir / "pin") << "998877";
        const auto f = load_fails(site.dir);
        CHECK(f.kind == ErrorKind::CardRefused);
        CHECK(f.message.find("pkcs11:token=docket-site;object=scp03-enc;type=secret-key") != std::string::npos);
        CHECK(f.message.find("refused the PIN (CKR_PIN_INCORRECT)") != std::string::npos);
        CHECK(f.message.find("CKF_USER_PIN") != std::string::npos);
        CHECK(f.message.find("998877") == std::string::npos);
        CHECK(f.message.find("never retries") != std::string::npos);
    }
    SECTION("PIN from $DOCKETCARD_PKCS11_PIN when the URI has no pin-source") {
        site.toml("document_signer_key = \"" + base + "document-signer;type=private\"\n");
        setenv("DOCKETCARD_PKCS11_PIN", "123456", 1);
        CHECK_NOTHROW(keys::load_key_set(site.dir, ds_only));
        unsetenv("DOCKETCARD_PKCS11_PIN");
    }
    SECTION("no token matching the URI: exit 4") {
        site.toml("document_signer_key = \"pkcs11:token=elsewhere;object=document-signer" + site.q() + "\"\n");
        const auto f = load_fails(site.dir, ds_only);
        CHECK(f.kind == ErrorKind::Communication);
        CHECK(f.message.find("pkcs11:token=elsewhere;object=document-signer?pin-source=") != std::string::npos);
        CHECK(f.message.find("no token matching the URI is present") != std::string::npos);
        CHECK(f.message.find("'docket-site'") != std::string::npos);
    }
    SECTION("no object matching the URI: exit 3") {
        site.toml("document_signer_key = \"" + base + "nobody;type=private" + site.q() + "\"\n");
        const auto f = load_fails(site.dir, ds_only);
        CHECK(f.kind == ErrorKind::InvalidInput);
        CHECK(f.message.find(base + "nobody;type=private") != std::string::npos);
        CHECK(f.message.find("has no private key object matching the URI") != std::string::npos);
    }
    SECTION("a module that does not load: exit 3") {
        std::ofstream(site.dir / "keys.toml") << "pkcs11_module = \"/nonexistent/module.so\"\ndocument_signer_certificate = \""
                                              << (kSource / "keys-sample/document-signer.pem").string() << "\"\ndocument_signer_key = \""
                                              << base << "document-signer\"\n";
        const auto f = load_fails(site.dir, ds_only);
        CHECK(f.kind == ErrorKind::InvalidInput);
        CHECK(f.message.find("PKCS#11 module /nonexistent/module.so does not load") != std::string::npos);
    }
}
