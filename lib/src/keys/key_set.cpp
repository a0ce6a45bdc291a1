#include "docketcard/keys/key_set.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <fmt/core.h>

#include "docketcard/util/error.hpp"
#include "pkcs11_token.hpp"

namespace docketcard::keys {

namespace {

// One module and one token (hence one login) per process, shared by every role that names it.
class Tokens {
public:
    explicit Tokens(std::optional<std::string> default_module) : default_module_(std::move(default_module)) {}

    std::shared_ptr<detail::Token> open(const Pkcs11Uri& uri) {
        const std::string path = uri.module_path ? *uri.module_path : default_module_.value_or("");
        if (path.empty()) {
            throw Error(ErrorKind::InvalidInput,
                        fmt::format("{}: no PKCS#11 module: add ?module-path=/path/module.so to the URI or "
                                    "pkcs11_module = \"...\" to keys.toml",
                                    uri.text));
        }
        auto& module = modules_[path];
        if (!module) module = std::make_shared<detail::Module>(path);
        const std::string key = fmt::format("{}|{}|{}|{}|{}", path, uri.token.value_or(""), uri.serial.value_or(""),
                                            uri.slot_id ? std::to_string(*uri.slot_id) : "", uri.manufacturer.value_or(""));
        auto& token = tokens_[key];
        if (!token) token = std::make_shared<detail::Token>(module, uri);
        return token;
    }

private:
    std::optional<std::string> default_module_;
    std::map<std::string, std::shared_ptr<detail::Module>> modules_;
    std::map<std::string, std::shared_ptr<detail::Token>> tokens_;
};

class TokenSigner final : public pki::DigestSigner {
public:
    TokenSigner(std::shared_ptr<detail::Token> token, CK_OBJECT_HANDLE key, std::string uri)
        : token_(std::move(token)), key_(key), uri_(std::move(uri)) {}
    // PKCS#11 3.0 2.3.6: CKM_ECDSA signs the digest as given and returns r || s.
    Bytes sign_digest(ByteView digest) const override {
        const SecureBytes rs = token_->sign(key_, CKM_ECDSA, digest, uri_);
        return crypto::ecdsa_plain_to_der(view(rs));
    }
    std::string origin() const override { return uri_; }

private:
    std::shared_ptr<detail::Token> token_;
    CK_OBJECT_HANDLE key_;
    std::string uri_;
};

// GP Amendment D 4.1.5-style per-card diversification ("KDF3", crypto::diversify_kdf3) computed
// inside the token: each 16-byte block is C_Sign(CKM_AES_CMAC) over i || 000000 || key id || 00 ||
// KDD with the master key object, so the master keys never leave it.
class TokenMasterKeys final : public sm::Scp03MasterKeys {
public:
    struct Key {
        std::shared_ptr<detail::Token> token;
        CK_OBJECT_HANDLE handle = 0;
        std::size_t length = 0;
        std::string uri;
    };
    TokenMasterKeys(std::uint8_t kvn, Key enc, Key mac, Key dek)
        : kvn_(kvn), enc_(std::move(enc)), mac_(std::move(mac)), dek_(std::move(dek)) {}
    std::uint8_t kvn() const override { return kvn_; }
    sm::Scp03Keys card_keys(ByteView kdd) const override {
        sm::Scp03Keys out;
        out.kvn = kvn_;
        out.enc = diversify(enc_, 1, kdd);
        out.mac = diversify(mac_, 2, kdd);
        out.dek = diversify(dek_, 3, kdd);
        return out;
    }

private:
    static SecureBytes diversify(const Key& k, std::uint8_t key_id, ByteView kdd) {
        SecureBytes out;
        for (std::uint8_t i = 1; out.size() < k.length; ++i) {
            Bytes input{i, 0x00, 0x00, 0x00, key_id, 0x00};
            append(input, kdd);
            const SecureBytes block = k.token->sign(k.handle, CKM_AES_CMAC, input, k.uri);
            if (block.size() != 16) {
                throw Error(ErrorKind::Internal, fmt::format("{}: CKM_AES_CMAC returned {} bytes, not 16", k.uri, block.size()));
            }
            out.insert(out.end(), block.begin(), block.end());
        }
        out.resize(k.length);
        return out;
    }
    std::uint8_t kvn_;
    Key enc_, mac_, dek_;
};

std::string read_file(const std::filesystem::path& file, const char* what) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("cannot read {} {}: file missing or unreadable", what, file.string()));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CK_OBJECT_CLASS want_class(const Pkcs11Uri& uri, ObjectType expected, CK_OBJECT_CLASS cls, const char* role) {
    if (uri.type && *uri.type != expected) {
        throw Error(ErrorKind::InvalidInput, fmt::format("{}: the {} must be an object of type={}", uri.text, role, to_string(expected)));
    }
    return cls;
}

}  // namespace

KeySet load_key_set(const std::filesystem::path& dir, const LoadRoles& roles) {
    const KeyConfig c = load_key_config(dir);
    Tokens tokens(c.pkcs11_module);
    KeySet out;
    // SCP03 first: a folder missing both names scp03-master.txt first, as before keys.toml.
    if (roles.scp03) {
        if (!c.scp03_in_token()) {
            const std::filesystem::path& file = c.scp03_master_file;
            std::ifstream in(file, std::ios::binary);
            if (!in) throw Error(ErrorKind::InvalidInput, fmt::format("{}: cannot open the SCP03 master key file", file.string()));
            SecureBytes content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            out.scp03 = std::make_shared<sm::FileMasterKeys>(sm::parse_scp03_master_keys(
                std::string_view(reinterpret_cast<const char*>(content.data()), content.size()), file.string()));
        } else {
            auto key = [&](const Pkcs11Uri& uri) {
                TokenMasterKeys::Key k;
                k.token = tokens.open(uri);
                k.handle = k.token->find(uri, CKO_SECRET_KEY);
                k.uri = uri.text;
                const Bytes len = k.token->attribute(k.handle, CKA_VALUE_LEN, uri.text + ": reading CKA_VALUE_LEN");
                CK_ULONG n = 0;
                if (len.size() == sizeof n) std::memcpy(&n, len.data(), sizeof n);
                if (n != 16 && n != 24 && n != 32) {
                    throw Error(ErrorKind::InvalidInput, fmt::format("{}: an SCP03 master key is an AES key of 16, 24 or 32 "
                                                                     "bytes; this object has {}",
                                                                     uri.text, n));
                }
                k.length = n;
                return k;
            };
            auto enc = key(*c.scp03_enc), mac = key(*c.scp03_mac), dek = key(*c.scp03_dek);
            if (enc.length != mac.length || enc.length != dek.length) {
                throw Error(ErrorKind::InvalidInput, fmt::format("{}: scp03_enc, scp03_mac and scp03_dek must be keys of the same "
                                                                 "length", (c.dir / kKeyConfigFile).string()));
            }
            out.scp03 = std::make_shared<TokenMasterKeys>(*c.scp03_kvn, std::move(enc), std::move(mac), std::move(dek));
        }
    }
    if (roles.document_signer) {
        Bytes cert_der;
        std::string cert_origin;
        if (const auto* file = std::get_if<std::filesystem::path>(&c.document_signer_certificate)) {
            cert_origin = file->string();
            const std::string text = read_file(*file, "Document Signer certificate");
            try {
                cert_der = pki::certificate_to_der(to_bytes(text), cert_origin);
            } catch (const ParseError& e) {
                throw Error(ErrorKind::InvalidInput, e.what());
            }
        } else {
            const auto& uri = std::get<Pkcs11Uri>(c.document_signer_certificate);
            cert_origin = uri.text;
            auto token = tokens.open(uri);
            const auto h = token->find(uri, want_class(uri, ObjectType::Certificate, CKO_CERTIFICATE, "Document Signer certificate"));
            cert_der = token->attribute(h, CKA_VALUE, uri.text + ": reading the certificate (CKA_VALUE)");
        }
        if (const auto* file = std::get_if<std::filesystem::path>(&c.document_signer_key)) {
            const std::string pem = read_file(*file, "Document Signer private key");
            auto key = crypto::EcPrivateKey::from_pem(pem, file->string());
            out.document_signer = pki::make_document_signer(cert_der, pki::file_signer(std::move(key), file->string()), cert_origin);
        } else {
            const auto& uri = std::get<Pkcs11Uri>(c.document_signer_key);
            auto token = tokens.open(uri);
            const auto h = token->find(uri, want_class(uri, ObjectType::Private, CKO_PRIVATE_KEY, "Document Signer key"));
            out.document_signer =
                pki::make_document_signer(cert_der, std::make_shared<TokenSigner>(token, h, uri.text), cert_origin);
        }
    }
    return out;
}

}  // namespace docketcard::keys
