// File: src/crypto/sha256.cc
// SHA-256 over OpenSSL 3's EVP interface.
#include "src/crypto/sha256.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>

namespace larch::crypto {

namespace {

// Failures here mean OpenSSL is out of memory or misconfigured (no default
// provider). No object can be named without SHA-256, so there is no useful
// way to continue, and returning a Status from every Update() would burden
// every caller for a case none of them can handle.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "larch: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// Fetched once: in OpenSSL 3, EVP_sha256() triggers an implicit provider
// fetch on every init, which is measurable when hashing many small objects.
// Deliberately never freed (process lifetime).
const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) Die("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

}  // namespace

struct Sha256::Ctx {
  Ctx() : md_ctx(EVP_MD_CTX_new()) {
    if (md_ctx == nullptr) Die("EVP_MD_CTX_new");
    Init();
  }
  ~Ctx() { EVP_MD_CTX_free(md_ctx); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;

  void Init() {
    if (EVP_DigestInit_ex(md_ctx, Sha256Md(), nullptr) != 1) Die("EVP_DigestInit_ex");
  }

  EVP_MD_CTX* md_ctx;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(ByteSpan data) {
  assert(ctx_ && "Update on a moved-from Sha256");
  if (data.empty()) return;
  if (EVP_DigestUpdate(ctx_->md_ctx, data.data(), data.size()) != 1) {
    Die("EVP_DigestUpdate");
  }
}

Sha256Digest Sha256::Finish() {
  assert(ctx_ && "Finish on a moved-from Sha256");
  Sha256Digest digest;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md_ctx, digest.data(), &len) != 1 || len != digest.size()) {
    Die("EVP_DigestFinal_ex");
  }
  ctx_->Init();
  return digest;
}

Sha256Digest Sha256::Hash(ByteSpan data) {
  Sha256Digest digest;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, Sha256Md(), nullptr) != 1 ||
      len != digest.size()) {
    Die("EVP_Digest");
  }
  return digest;
}

}  // namespace larch::crypto
