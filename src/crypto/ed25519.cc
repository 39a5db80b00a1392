// File: src/crypto/ed25519.cc
// Ed25519 over OpenSSL 3's EVP_PKEY interface (one-shot EVP_DigestSign /
// EVP_DigestVerify: Ed25519 hashes internally, there is no digest to pick).
#include "src/crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>

namespace larch::crypto {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The newest OpenSSL error as text; clears the queue so later calls start clean.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

bool OnlyWhitespace(BIO* bio) {
  char c;
  while (BIO_read(bio, &c, 1) == 1) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

BioPtr MemoryBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

Status CheckPemInput(std::string_view pem, std::string_view what) {
  if (pem.size() > 64 * 1024) return Status::InvalidArgument(std::string(what) + ": file too large for a key");
  return Status::Ok();
}

Result<PkeyPtr> CheckEd25519(EVP_PKEY* raw, BIO* rest, std::string_view what) {
  PkeyPtr pkey(raw);
  if (!pkey) {
    return Status::InvalidArgument(std::string(what) + ": not a PEM key (" + OpenSslError() + ")");
  }
  if (!EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    return Status::InvalidArgument(std::string(what) + ": not an Ed25519 key (found " +
                                   EVP_PKEY_get0_type_name(pkey.get()) + ")");
  }
  if (!OnlyWhitespace(rest)) {
    return Status::InvalidArgument(std::string(what) + ": unexpected data after the key");
  }
  return pkey;
}

Result<Ed25519RawPublicKey> RawPublic(EVP_PKEY* pkey) {
  Ed25519RawPublicKey raw{};
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 || len != raw.size()) {
    return Status::InvalidArgument("Ed25519 public key: " + OpenSslError());
  }
  return raw;
}

}  // namespace

// ---- public key ----

Result<Ed25519PublicKey> Ed25519PublicKey::FromPem(std::string_view pem) {
  LARCH_RETURN_IF_ERROR(CheckPemInput(pem, "public key"));
  BioPtr bio = MemoryBio(pem);
  LARCH_ASSIGN_OR_RETURN(PkeyPtr pkey, CheckEd25519(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                    bio.get(), "public key"));
  LARCH_ASSIGN_OR_RETURN(Ed25519RawPublicKey raw, RawPublic(pkey.get()));
  return Ed25519PublicKey(raw);
}

Ed25519PublicKey Ed25519PublicKey::FromRaw(const Ed25519RawPublicKey& raw) { return Ed25519PublicKey(raw); }

std::string Ed25519PublicKey::ToPem() const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!pkey || !bio || PEM_write_bio_PUBKEY(bio.get(), pkey.get()) != 1) return {};
  return BioText(bio.get());
}

bool Ed25519PublicKey::Verify(ByteSpan message, const Ed25519Signature& signature) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw_.data(), raw_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = pkey && ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                             message.size()) == 1;
  ERR_clear_error();
  return ok;
}

// ---- private key ----

struct Ed25519PrivateKey::Key {
  PkeyPtr pkey;
};

Ed25519PrivateKey::Ed25519PrivateKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Ed25519PrivateKey::~Ed25519PrivateKey() = default;
Ed25519PrivateKey::Ed25519PrivateKey(Ed25519PrivateKey&&) noexcept = default;
Ed25519PrivateKey& Ed25519PrivateKey::operator=(Ed25519PrivateKey&&) noexcept = default;

Result<Ed25519PrivateKey> Ed25519PrivateKey::Generate() {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return Status::IoError("Ed25519 key generation failed: " + OpenSslError());
  return Ed25519PrivateKey(std::make_unique<Key>(Key{std::move(pkey)}));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::FromPem(std::string_view pem) {
  LARCH_RETURN_IF_ERROR(CheckPemInput(pem, "private key"));
  BioPtr bio = MemoryBio(pem);
  // An empty passphrase callback result: encrypted keys are refused, not prompted for.
  auto no_passphrase = [](char*, int, int, void*) { return 0; };
  LARCH_ASSIGN_OR_RETURN(
      PkeyPtr pkey, CheckEd25519(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr),
                                 bio.get(), "private key"));
  return Ed25519PrivateKey(std::make_unique<Key>(Key{std::move(pkey)}));
}

Ed25519PublicKey Ed25519PrivateKey::public_key() const {
  // A private EVP_PKEY always carries its public half.
  Result<Ed25519RawPublicKey> raw = RawPublic(key_->pkey.get());
  return Ed25519PublicKey::FromRaw(raw.ok() ? raw.value() : Ed25519RawPublicKey{});
}

std::string Ed25519PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return {};
  }
  return BioText(bio.get());
}

Result<Ed25519Signature> Ed25519PrivateKey::Sign(ByteSpan message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  Ed25519Signature sig{};
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1 ||
      len != sig.size()) {
    return Status::IoError("Ed25519 signing failed: " + OpenSslError());
  }
  return sig;
}

}  // namespace larch::crypto
