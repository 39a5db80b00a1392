// File: initramfs/boot_keyring.h
//
// The keys the boot-time helper trusts to sign what it boots: every *.pub
// of a directory inside the initramfs (/etc/larch/boot-keys by default;
// docs/verity.md says how the initramfs hooks fill it). Each is an Ed25519
// public key in PEM, exactly as `larch key generate` writes it. An empty or
// missing directory means verified boot is off.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace larch::initramfs {

inline constexpr char kDefaultBootKeyDir[] = "/etc/larch/boot-keys";

struct BootKey {
  std::array<uint8_t, 32> id;          // SHA-256 of the raw key: what a commitmeta names
  std::array<uint8_t, 32> public_key;  // raw Ed25519
  std::string file;
};

// The raw key of a PEM "PUBLIC KEY" holding an Ed25519 SubjectPublicKeyInfo
// (RFC 8410); nullopt for anything else, trailing bytes included.
std::optional<std::array<uint8_t, 32>> DecodeEd25519PublicPem(std::string_view text);

// Loads dir/*.pub into `keys`. Empty when fine (a missing directory is
// fine: no keys); else what is wrong, naming the first file that does not
// decode (the others are still loaded). The caller treats a directory with
// any *.pub as "verified boot on", even when none decoded: a broken keyring
// must not turn the check off.
std::string LoadBootKeyring(const std::string& dir, std::vector<BootKey>* keys, bool* any_key_file);

}  // namespace larch::initramfs
