// RFC 7512 PKCS#11 URIs and keys.toml (lib/keys).
#include <catch2/catch.hpp>

#include "docketcard/keys/key_config.hpp"
#include "docketcard/keys/pkcs11_uri.hpp"
#include "docketcard/util/error.hpp"

using namespace docketcard;
using keys::parse_pkcs11_uri;

namespace {
std::string refusal(std::string_view uri) {
    try {
        parse_pkcs11_uri(uri, "keys.toml, line 2");
    } catch (const ParseError& e) {
        return e.what();
    }
    return "accepted";
}
}  // namespace

TEST_CASE("PKCS#11 URI: path and query attributes (RFC 7512 2.3, 2.4)", "[keys]") {
    const auto u = parse_pkcs11_uri(
        "pkcs11:token=docket%20site;object=document-signer;type=private;id=%01%A0;slot-id=7;manufacturer=SoftHSM%20project"
        "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
        "t");
    CHECK(*u.token == "docket site");
    CHECK(*u.object == "document-signer");
    CHECK(*u.type == keys::ObjectType::Private);
    CHECK(to_hex(*u.id) == "01A0");
    CHECK(*u.slot_id == 7);
    CHECK(*u.manufacturer == "SoftHSM project");
    CHECK(*u.module_path == "/usr/lib/softhsm/libsofthsm2.so");
    CHECK(*u.pin_source == "file:/run/pin");
    CHECK_FALSE(u.serial);

    const auto bare = parse_pkcs11_uri("PKCS11:", "t");
    CHECK_FALSE(bare.token);
    CHECK(parse_pkcs11_uri("pkcs11:object=a;x-vendor=1?x-other=2", "t").object == "a");
    CHECK(keys::is_pkcs11_uri("pkcs11:token=a"));
    CHECK_FALSE(keys::is_pkcs11_uri("document-signer.key"));
}

TEST_CASE("PKCS#11 URI: refusals name the origin and the attribute", "[keys]") {
    struct Case {
        const char* uri;
        const char* says;
    };
    const Case cases[] = {
        {"file:/x", "does not start with 'pkcs11:'"},
        {"pkcs11:token=a;token=b", "attribute 'token' given twice"},
        {"pkcs11:tokne=a", "unknown path attribute 'tokne'"},
        {"pkcs11:object=a%2", "'%' must be followed by two hex digits"},
        {"pkcs11:object=a%G1", "'%' must be followed by two hex digits"},
        {"pkcs11:object=%", "'%' must be followed by two hex digits"},
        {"pkcs11:object=a/b", "character '/' must be percent-encoded"},
        {"pkcs11:object=a b", "contains a space"},
        {"pkcs11:type=key", "attribute 'type' must be public, private, cert, secret-key or data"},
        {"pkcs11:slot-id=x1", "attribute 'slot-id' must be a decimal number"},
        {"pkcs11:token=a;;object=b", "empty attribute"},
        {"pkcs11:token", "'token' is not name=value"},
        {"pkcs11:object=a%00", "holds a NUL byte"},
        {"pkcs11:object=a?module-name=softhsm2", "module-name is not supported"},
        {"pkcs11:object=a?module-path=lib.so", "'module-path' must be an absolute path"},
        {"pkcs11:object=a?pin-source=|cmd", "'pin-source' must be file:PATH"},
        {"pkcs11:object=a?foo=1", "unknown query attribute 'foo'"},
    };
    for (const auto& c : cases) {
        INFO(c.uri);
        const std::string m = refusal(c.uri);
        CHECK(m.find(c.says) != std::string::npos);
        CHECK(m.rfind("keys.toml, line 2: PKCS#11 URI: ", 0) == 0);
    }
    CHECK(refusal(std::string("pkcs11:object=") + std::string(5000, 'a')).find("at most 4096") != std::string::npos);
}

TEST_CASE("PKCS#11 URI: pin-value is refused and the PIN never echoed", "[keys]") {
    const std::string m = refusal("pkcs11:token=a?pin-value=31415926");
    CHECK(m.find("pin-value is refused") != std::string::npos);
    CHECK(m.find("31415926") == std::string::npos);
}

TEST_CASE("keys.toml: roles to files and URIs", "[keys]") {
    const auto c = keys::parse_key_config(
        "# site keys\n"
        "pkcs11_module = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
        "document_signer_key = \"pkcs11:token=docket-site;object=document-signer;type=private\"  # in the HSM\n"
        "document_signer_certificate = 'certs/ds.pem'\n"
        "scp03_kvn = \"30\"\n"
        "scp03_enc = \"pkcs11:token=docket-site;object=scp03-enc;type=secret-key\"\n"
        "scp03_mac = \"pkcs11:token=docket-site;object=scp03-mac\"\n"
        "scp03_dek = \"pkcs11:token=docket-site;object=scp03-dek\"\n",
        "/k", "/k/keys.toml");
    CHECK(*c.pkcs11_module == "/usr/lib/softhsm/libsofthsm2.so");
    CHECK(std::get<keys::Pkcs11Uri>(c.document_signer_key).object == "document-signer");
    CHECK(std::get<std::filesystem::path>(c.document_signer_certificate) == "/k/certs/ds.pem");
    CHECK(*c.scp03_kvn == 0x30);
    CHECK(c.scp03_in_token());
    CHECK(*c.scp03_mac->object == "scp03-mac");

    const auto d = keys::parse_key_config("", "/k", "/k/keys.toml");
    CHECK(std::get<std::filesystem::path>(d.document_signer_key) == "/k/document-signer.key");
    CHECK(d.scp03_master_file == "/k/scp03-master.txt");
    CHECK_FALSE(d.scp03_in_token());
}

TEST_CASE("keys.toml: refusals name file, line and field", "[keys]") {
    struct Case {
        const char* text;
        const char* says;
    };
    const Case cases[] = {
        {"[keys]\n", "/k/keys.toml, line 1: tables ([...]) are not used"},
        {"\nfoo = \"x\"\n", "/k/keys.toml, line 2: unknown field 'foo'"},
        {"document_signer_key = x\n", "line 1: field 'document_signer_key': the value must be a quoted string"},
        {"document_signer_key = \"x\n", "line 1: field 'document_signer_key': the string is not closed"},
        {"document_signer_key = \"x\" y\n", "text after the closing quote"},
        {"document_signer_key = \"a\"\ndocument_signer_key = \"b\"\n", "line 2: field 'document_signer_key' given twice"},
        {"document_signer_key = \"pkcs11:tokne=a\"\n", "line 1, field 'document_signer_key': PKCS#11 URI: unknown path attribute"},
        {"scp03_kvn = \"80\"\n", "line 1: field 'scp03_kvn' must be two hex digits 01..7F"},
        {"scp03_kvn = \"30\"\nscp03_enc = \"pkcs11:object=e\"\n", "scp03_kvn, scp03_enc, scp03_mac and scp03_dek go together"},
        {"scp03_enc = \"scp03.bin\"\n", "field 'scp03_enc' must be a pkcs11: URI"},
        {"scp03_enc = \"pkcs11:object=e;type=private\"\n", "the URI's type must be secret-key"},
        {"pkcs11_module = \"libsofthsm2.so\"\n", "must be the absolute path of a PKCS#11 module"},
        {"scp03_master = \"pkcs11:object=m\"\n", "for keys in a token use scp03_kvn"},
        {"document_signer_key = \"a\\q\"\n", "escape \\q is not accepted"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        std::string m = "accepted";
        try {
            keys::parse_key_config(c.text, "/k", "/k/keys.toml");
        } catch (const ParseError& e) {
            m = e.what();
        }
        CHECK(m.find(c.says) != std::string::npos);
    }
}
