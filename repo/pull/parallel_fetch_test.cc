// File: repo/pull/parallel_fetch_test.cc
// FetchAll against a real file:// remote: resuming from a partial download
// receives only the missing bytes; finished downloads are not fetched
// again; a file longer than its limit is cut and its partial discarded; a
// file shorter than its signed size is retried, then refused; every
// filesystem call of the cache goes through the store's Fs, and a complete
// download survives power loss.
#include <filesystem>

#include "repo/pull/download_cache.h"
#include "repo/pull/pull_test_util.h"
#include "tests/support/fault_fs.h"

namespace larch::pull::testing {
namespace {

class ParallelFetch : public PullFixture {
 protected:
  std::string CachePath(const std::string& name) { return dir_.Sub("device/tmp/downloads/origin/" + name); }
  FetchOptions Quick() {
    FetchOptions o;
    o.retries = 2;
    o.backoff_ms = 10;
    return o;
  }
};

TEST_F(ParallelFetch, ResumesAPartialDownloadWithoutFetchingItsBytesAgain) {
  const std::string content(3u << 20, 'r');
  WriteTestFile(dir_.Sub("server/blob"), content);
  auto cache = Must(DownloadCache::Open(*device_, "origin"));
  WriteTestFile(CachePath("blob.part"), content.substr(0, 1u << 20));  // a download cut at 1 MiB
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  Must(fetcher->FetchAll(*cache, {{"blob", content.size(), content.size()}}));
  EXPECT_EQ(fetcher->bytes_received(), content.size() - (1u << 20));
  EXPECT_EQ(ReadTestFile(CachePath("blob")), content);
  EXPECT_FALSE(std::filesystem::exists(CachePath("blob.part")));
  // Complete downloads are not fetched again.
  Must(fetcher->FetchAll(*cache, {{"blob", content.size(), content.size()}}));
  EXPECT_EQ(fetcher->bytes_received(), content.size() - (1u << 20));
}

TEST_F(ParallelFetch, ACompleteDownloadSurvivesPowerLoss) {
  const std::string content(100000, 'p');
  WriteTestFile(dir_.Sub("server/blob"), content);
  fs::FaultFs faulty(fs::DefaultFs());
  auto store = Must(repo::Store::Open(faulty, dir_.Sub("device")));
  auto cache = Must(DownloadCache::Open(*store, "origin"));
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  Must(fetcher->FetchAll(*cache, {{"blob", content.size(), content.size()}}));
  // The cache's writes, syncs and rename went through the store's Fs...
  EXPECT_GE(faulty.mutation_count(), 5u);
  // ...and the directory was synced after the rename: power loss keeps it.
  cache.reset();
  Must(faulty.SimulatePowerLoss());
  EXPECT_EQ(ReadTestFile(CachePath("blob")), content);
  EXPECT_FALSE(std::filesystem::exists(CachePath("blob.part")));
}

TEST_F(ParallelFetch, ManyFilesInParallel) {
  std::vector<Download> downloads;
  for (int i = 0; i < 40; ++i) {
    WriteTestFile(dir_.Sub("server/f" + std::to_string(i)), std::string(1000 + i, 'a' + i % 26));
    downloads.push_back({"f" + std::to_string(i), 5000, std::nullopt});
  }
  auto cache = Must(DownloadCache::Open(*device_, "origin"));
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  Progress last;
  Must(fetcher->FetchAll(*cache, downloads, [&](const Progress& p) { last = p; }));
  EXPECT_EQ(last.done, 40 * 1000u + 39 * 40 / 2);  // bytes, not files
  EXPECT_EQ(last.total, 0u);                        // no signed sizes given
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ReadTestFile(CachePath("f" + std::to_string(i))).size(), 1000u + i);
}

TEST_F(ParallelFetch, OverLimitIsCutAndDiscarded) {
  WriteTestFile(dir_.Sub("server/huge"), std::string(4u << 20, 'E'));
  auto cache = Must(DownloadCache::Open(*device_, "origin"));
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  EXPECT_TRUE(FailsWith(fetcher->FetchAll(*cache, {{"huge", 10000, std::nullopt}}), StatusCode::kVerifyFailed,
                        "exceeded its limit of 10000 bytes"));
  EXPECT_FALSE(std::filesystem::exists(CachePath("huge.part")));
  EXPECT_FALSE(std::filesystem::exists(CachePath("huge")));
}

TEST_F(ParallelFetch, ShortFileIsRetriedThenRefused) {
  WriteTestFile(dir_.Sub("server/short"), std::string(500, 's'));
  auto cache = Must(DownloadCache::Open(*device_, "origin"));
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  EXPECT_TRUE(FailsWith(fetcher->FetchAll(*cache, {{"short", 1000, 1000}}), StatusCode::kIoError,
                        "giving up after 3 attempts without progress: the server sent 500 of 1000 bytes"));
}

TEST_F(ParallelFetch, MissingFileIsNotFound) {
  auto cache = Must(DownloadCache::Open(*device_, "origin"));
  auto fetcher = Must(Fetcher::Create(remote_, Quick()));
  Status s = fetcher->FetchAll(*cache, {{"nope", 10, std::nullopt}});
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
}

}  // namespace
}  // namespace larch::pull::testing
