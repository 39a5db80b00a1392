// File: tools/larch/key_files.h
// Reading and writing key files for the signing verbs.
#pragma once

#include <string>
#include <vector>

#include "src/base/result.h"
#include "src/crypto/ed25519.h"

namespace larch::cli {

// Loads an Ed25519 private key (PEM). Refuses a file that group or others
// can read: a leaked signing key defeats every check a device makes.
Result<crypto::Ed25519PrivateKey> LoadPrivateKeyFile(const std::string& path);
Result<std::vector<crypto::Ed25519PrivateKey>> LoadPrivateKeyFiles(const std::vector<std::string>& paths);

// Writes `data` to a new file `path` (refusing to replace one) durably.
Status WriteNewFile(const std::string& path, const std::string& data, mode_t mode);

}  // namespace larch::cli
