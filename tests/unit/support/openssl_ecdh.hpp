// ECDH on brainpoolP256r1 with OpenSSL's own EVP interface (not our crypto/pace.hpp), for the
// cross-tests of Chip Authentication: the other side of the key agreement is OpenSSL's.
#pragma once

#include <catch2/catch.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "docketcard/util/bytes.hpp"

namespace docketcard::testing {

/// The x coordinate of `mine` times `peer_point` (an uncompressed brainpoolP256r1 point).
inline Bytes openssl_ecdh_secret(EVP_PKEY* mine, const Bytes& peer_point) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "brainpoolP256r1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, peer_point.data(), peer_point.size());
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* fctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* peer = nullptr;
    REQUIRE(EVP_PKEY_fromdata_init(fctx) == 1);
    REQUIRE(EVP_PKEY_fromdata(fctx, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1);
    EVP_PKEY_CTX* dctx = EVP_PKEY_CTX_new(mine, nullptr);
    REQUIRE(EVP_PKEY_derive_init(dctx) == 1);
    REQUIRE(EVP_PKEY_derive_set_peer(dctx, peer) == 1);
    Bytes secret(32);
    std::size_t len = secret.size();
    REQUIRE(EVP_PKEY_derive(dctx, secret.data(), &len) == 1);
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_CTX_free(fctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return secret;
}

}  // namespace docketcard::testing
