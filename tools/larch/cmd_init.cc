// File: tools/larch/cmd_init.cc
// `larch init`: create an object store.
#include <cstdio>

#include "src/fs/fs.h"
#include "tools/larch/command.h"

namespace larch::cli {

Command RegisterInit(CLI::App& parent, const GlobalOptions& global) {
  auto mode = std::make_shared<std::string>("archive");
  auto level = std::make_shared<int>(repo::StoreConfig{}.compression_level);
  CLI::App* app = parent.add_subcommand("init", "Create an object store at --repo");
  app->add_option("--mode", *mode,
                  "archive: zstd objects any web server can serve (publishers); "
                  "bare: real files for hard-link checkouts (devices)")
      ->check(CLI::IsMember({"archive", "bare"}));
  AddCountOption(app, "--compression-level", *level, 19, "zstd level for archive stores (1-19)")->check(CLI::Range(1, 19));
  return {app, [=, &global]() -> Status {
            repo::StoreConfig config;
            LARCH_ASSIGN_OR_RETURN(config.mode, repo::ParseStoreMode(*mode));
            config.compression_level = *level;
            LARCH_RETURN_IF_ERROR(repo::Store::Create(*fs::DefaultFs(), global.repo, config));
            std::printf("Created %s store at %s\n", mode->c_str(), global.repo.c_str());
            return Status::Ok();
          }};
}

}  // namespace larch::cli
