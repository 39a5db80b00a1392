// File: initramfs/boot_keyring.cc
#include "initramfs/boot_keyring.h"

#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "initramfs/log.h"

namespace larch::initramfs {

namespace {

constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----\n";
constexpr std::string_view kEnd = "-----END PUBLIC KEY-----\n";
// SubjectPublicKeyInfo { AlgorithmIdentifier { id-Ed25519 }, BIT STRING (32
// bytes) }: a fixed DER prefix before the key (RFC 8410, section 4).
constexpr uint8_t kSpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

bool ReadSmallFile(int dirfd, const char* name, std::string* out) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char buf[1024];
  out->clear();
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 && out->size() < 8192) out->append(buf, static_cast<size_t>(n));
  close(fd);
  return n == 0;
}

}  // namespace

std::optional<std::array<uint8_t, 32>> DecodeEd25519PublicPem(std::string_view text) {
  if (text.substr(0, kBegin.size()) != kBegin || text.size() < kBegin.size() + kEnd.size() ||
      text.substr(text.size() - kEnd.size()) != kEnd)
    return std::nullopt;
  // One line of base64 (60 characters: 44 bytes of DER), as OpenSSL
  // writes it; decoded, then encoded again and compared, so only the
  // canonical form of each key is accepted.
  std::string_view line = text.substr(kBegin.size(), text.size() - kBegin.size() - kEnd.size());
  constexpr size_t kLine = sodium_base64_ENCODED_LEN(sizeof kSpkiPrefix + 32, sodium_base64_VARIANT_ORIGINAL) - 1;
  if (line.size() != kLine + 1 || line.back() != '\n') return std::nullopt;
  line.remove_suffix(1);
  uint8_t der[sizeof kSpkiPrefix + 32];
  size_t der_len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(der, sizeof der, line.data(), line.size(), nullptr, &der_len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != line.data() + line.size() || der_len != sizeof der ||
      std::memcmp(der, kSpkiPrefix, sizeof kSpkiPrefix) != 0)
    return std::nullopt;
  char again[kLine + 1];
  sodium_bin2base64(again, sizeof again, der, sizeof der, sodium_base64_VARIANT_ORIGINAL);
  if (line != std::string_view(again, kLine)) return std::nullopt;
  std::array<uint8_t, 32> key;
  std::copy_n(der + sizeof kSpkiPrefix, key.size(), key.begin());
  return key;
}

std::string LoadBootKeyring(const std::string& dir, std::vector<BootKey>* keys, bool* any_key_file) {
  *any_key_file = false;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return errno == ENOENT ? "" : dir + ": " + ErrnoText(errno);
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pub") == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  *any_key_file = !names.empty();
  std::string error;
  for (const std::string& name : names) {
    std::string text;
    std::optional<std::array<uint8_t, 32>> key;
    if (!ReadSmallFile(dirfd(d), name.c_str(), &text) || !(key = DecodeEd25519PublicPem(text))) {
      if (error.empty()) error = dir + "/" + name + " is not an Ed25519 public key in PEM";
      continue;
    }
    BootKey k;
    k.public_key = *key;
    crypto_hash_sha256(k.id.data(), key->data(), key->size());
    k.file = name;
    keys->push_back(k);
  }
  closedir(d);
  return error;
}

}  // namespace larch::initramfs
