// File: tools/larch/cmd_key.cc
// `larch key generate --output PREFIX`: a new Ed25519 signing key as
// PREFIX.key (private, mode 0600) and PREFIX.pub (public, for keyrings).
// `larch key id FILE`: the key id of a public or private key file.
#include <cstdio>

#include "repo/trust/signing.h"
#include "src/base/hex.h"
#include "src/fs/atomic.h"
#include "tools/larch/command.h"
#include "tools/larch/key_files.h"

namespace larch::cli {

namespace {

Status Generate(const std::string& prefix) {
  LARCH_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, crypto::Ed25519PrivateKey::Generate());
  const std::string pub_path = prefix + ".pub";
  const std::string key_path = prefix + ".key";
  // The public half first: a crash then leaves no private key without it.
  LARCH_RETURN_IF_ERROR(WriteNewFile(pub_path, key.public_key().ToPem(), 0644));
  LARCH_RETURN_IF_ERROR(WriteNewFile(key_path, key.ToPem(), 0600));
  std::printf("%s\n", HexEncode(key.id()).c_str());
  std::fprintf(stderr, "Private key: %s (keep it offline; mode 0600)\nPublic key:  %s (put it in device keyrings)\n",
               key_path.c_str(), pub_path.c_str());
  return Status::Ok();
}

Status PrintId(const std::string& path) {
  fs::Fs& fs = *fs::DefaultFs();
  LARCH_ASSIGN_OR_RETURN(fs::ParentAndName where, fs::OpenParentOf(fs, path));
  Result<Bytes> read = fs::ReadFileFully(fs, where.parent.get(), where.name, 64 * 1024);
  if (!read.ok()) return read.status().WithContext("key file " + path);  // the fs names only the file's name
  const Bytes& pem = *read;
  Result<crypto::Ed25519PublicKey> pub = crypto::Ed25519PublicKey::FromPem(AsStringView(pem));
  if (!pub.ok()) {
    LARCH_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key, LoadPrivateKeyFile(path));
    pub = key.public_key();
  }
  std::printf("%s\n", HexEncode(pub->id()).c_str());
  return Status::Ok();
}

}  // namespace

Command RegisterKey(CLI::App& parent, const GlobalOptions&) {
  auto prefix = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand("key", "Create and inspect Ed25519 signing keys");
  app->require_subcommand(1);
  CLI::App* gen = app->add_subcommand("generate", "Create PREFIX.key (private, 0600) and PREFIX.pub");
  gen->add_option("--output,-o", *prefix, "Path prefix of the two files")->required()->transform(AsAbsolutePath());
  CLI::App* id = app->add_subcommand("id", "Print the key id of a public or private key file");
  id->add_option("FILE", *file, "Key file (PEM)")->required()->transform(AsAbsolutePath());
  return {app, [=]() -> Status {
            if (gen->parsed()) return Generate(*prefix);
            return PrintId(*file);
          }};
}

}  // namespace larch::cli
