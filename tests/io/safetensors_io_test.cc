// Writing and reading checkpoints: round trips through the streaming writer, sharding and
// the index, index validation (path traversal, symlinks, missing/unlisted tensors), atomic
// output.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "io/atomic_output.h"
#include "io/checkpoint.h"
#include "io/safetensors_writer.h"
#include "util/error.h"

namespace finefp8 {
namespace {
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("finefp8-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

std::vector<uint8_t> iota_bytes(size_t n, uint8_t start) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

struct Sample {
  std::vector<TensorDecl> decls = {
      {"model.embed_tokens.weight", DType::kBF16, {4, 8}},
      {"model.layers.0.mlp.up_proj.weight", DType::kF8_E4M3, {16, 8}},
      {"model.layers.0.mlp.up_proj.weight_scale_inv", DType::kF32, {1, 1}},
      {"model.norm.weight", DType::kF32, {8}},
      {"flags", DType::kBool, {3}},
  };
  std::map<std::string, std::vector<uint8_t>> data;
  Sample() {
    uint8_t s = 1;
    for (const auto& d : decls) data[d.name] = iota_bytes(d.bytes(), s += 17);
  }
  void write_all(auto& w) const {
    for (const auto& d : decls) w.write(d.name, data.at(d.name));
  }
  void expect_in(const Checkpoint& c) const {
    ASSERT_EQ(c.tensors().size(), decls.size());
    for (const auto& d : decls) {
      const TensorView v = c.tensor(d.name);
      EXPECT_EQ(v.info->dtype, d.dtype) << d.name;
      EXPECT_EQ(v.info->shape, d.shape) << d.name;
      EXPECT_TRUE(std::equal(v.data.begin(), v.data.end(), data.at(d.name).begin(),
                             data.at(d.name).end())) << d.name;
    }
  }
};

TEST(SafetensorsIo, SingleFileRoundTripIsDeterministic) {
  TempDir dir;
  const Sample s;
  for (const char* name : {"a.safetensors", "b.safetensors"}) {
    SafetensorsWriter w(dir.path() / name, s.decls);
    s.write_all(w);
    w.finish();
  }
  s.expect_in(Checkpoint::open(dir.path() / "a.safetensors"));
  std::ifstream a(dir.path() / "a.safetensors", std::ios::binary), b(dir.path() / "b.safetensors", std::ios::binary);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);
  const SafetensorsFile f = SafetensorsFile::open((dir.path() / "a.safetensors").string());
  EXPECT_EQ(f.header().header_bytes % 8, 0u);
  EXPECT_EQ(f.header().metadata.at("format"), "pt");
  // Largest element size first, then by name.
  EXPECT_EQ(f.tensors().front().dtype, DType::kF32);
  EXPECT_EQ(f.tensors().back().name, "model.layers.0.mlp.up_proj.weight");
}

TEST(SafetensorsIo, ShardedWriteReadsBackThroughTheIndex) {
  TempDir dir;
  const Sample s;
  ShardedCheckpointWriter w(dir.path(), s.decls, 64);
  s.write_all(w);
  w.finish();
  EXPECT_GT(w.shard_count(), 1u);
  EXPECT_TRUE(fs::exists(dir.path() / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(dir.path() / fmt::format("model-00001-of-{:05d}.safetensors", w.shard_count())));
  const Checkpoint c = Checkpoint::open(dir.path());
  EXPECT_EQ(c.shards().size(), w.shard_count());
  s.expect_in(c);
  std::ifstream idx(dir.path() / "model.safetensors.index.json");
  const auto j = nlohmann::json::parse(idx);
  EXPECT_EQ(j.at("metadata").at("total_size").get<uint64_t>(), w.total_bytes());
}

TEST(SafetensorsIo, OneShardIsPlainModelSafetensors) {
  TempDir dir;
  const Sample s;
  ShardedCheckpointWriter w(dir.path(), s.decls, 5'000'000'000);
  s.write_all(w);
  w.finish();
  EXPECT_TRUE(fs::exists(dir.path() / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir.path() / "model.safetensors.index.json"));
  s.expect_in(Checkpoint::open(dir.path()));
}

TEST(SafetensorsIo, UnfinishedWriterLeavesNoFile) {
  TempDir dir;
  const Sample s;
  {
    SafetensorsWriter w(dir.path() / "x.safetensors", s.decls);
    w.write(s.decls[0].name, s.data.at(s.decls[0].name));
    EXPECT_THROW(w.finish(), Error);  // not all tensors written
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  {
    SafetensorsWriter w(dir.path() / "x.safetensors", s.decls);
    EXPECT_THROW(w.write("nope", {}), Error);
    EXPECT_THROW(w.write(s.decls[0].name, std::vector<uint8_t>(3)), Error);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// A write that fails midway (here: the file-size limit, as a full disk would) reports the
// OS error and leaves nothing under the final name, nor any temporary file.
TEST(SafetensorsIo, FailedWriteLeavesNoFileAndSaysWhy) {
  TempDir dir;
  const std::vector<TensorDecl> decls = {{"big", DType::kU8, {1 << 16}}};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 3;
    try {
      ShardedCheckpointWriter w(dir.path(), decls, 1 << 30);
      w.write("big", std::vector<uint8_t>(1 << 16, 7));
      w.finish();
      code = 1;  // no error: wrong
    } catch (const Error& e) {
      code = std::string(e.what()).find("cannot write") != std::string::npos ? 0 : 2;
    }
    std::_Exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error, 2: message lacks 'cannot write'";
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(SafetensorsIo, AtomicDirectoryAppearsOnlyOnCommit) {
  TempDir dir;
  const fs::path out = dir.path() / "out";
  {
    AtomicDirectory d(out, false);
    write_text(d.temp_path() / "config.json", "{}");
    EXPECT_FALSE(fs::exists(out));
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(dir.path()));
  {
    AtomicDirectory d(out, false);
    write_text(d.temp_path() / "config.json", "{}");
    d.commit();
  }
  EXPECT_TRUE(fs::exists(out / "config.json"));
  EXPECT_THROW(AtomicDirectory(out, false), Error);
  {
    AtomicDirectory d(out, true);
    write_text(d.temp_path() / "new.json", "{}");
    d.commit();
  }
  EXPECT_TRUE(fs::exists(out / "new.json"));
  EXPECT_FALSE(fs::exists(out / "config.json"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

// A two-shard checkpoint to corrupt.
struct ShardedFixture {
  TempDir dir;
  Sample s;
  ShardedFixture() {
    ShardedCheckpointWriter w(dir.path(), s.decls, 64);
    s.write_all(w);
    w.finish();
  }
  fs::path index() const { return dir.path() / "model.safetensors.index.json"; }
  nlohmann::json read_index() const {
    std::ifstream in(index());
    return nlohmann::json::parse(in);
  }
  void write_index(const nlohmann::json& j) const { write_text(index(), j.dump()); }
};

void expect_open_error(const fs::path& p, const std::string& substring) {
  try {
    (void)Checkpoint::open(p);
    ADD_FAILURE() << "no error; expected '" << substring << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();
  }
}

TEST(CheckpointIndex, RejectsPathTraversalAndAbsolutePaths) {
  ShardedFixture f;
  for (const char* bad : {"../model-00001-of-00002.safetensors", "/etc/passwd", "sub/x.safetensors", "..", ""}) {
    auto j = f.read_index();
    j["weight_map"]["model.norm.weight"] = bad;
    f.write_index(j);
    expect_open_error(f.dir.path(), "not a plain file name");
  }
}

TEST(CheckpointIndex, RejectsSymlinkLeavingTheDirectory) {
  ShardedFixture f;
  TempDir outside;
  const auto j0 = f.read_index();
  const std::string shard = j0.at("weight_map").at("model.norm.weight");
  fs::copy_file(f.dir.path() / shard, outside.path() / "evil.safetensors");
  fs::create_symlink(outside.path() / "evil.safetensors", f.dir.path() / "link.safetensors");
  auto j = j0;
  for (auto& [k, v] : j["weight_map"].items()) {
    if (v == shard) v = "link.safetensors";
  }
  f.write_index(j);
  expect_open_error(f.dir.path(), "outside the model directory");
}

TEST(CheckpointIndex, RejectsListedButAbsentAndPresentButUnlisted) {
  ShardedFixture f;
  auto j = f.read_index();
  const std::string shard = j["weight_map"]["model.norm.weight"];
  j["weight_map"]["model.ghost.weight"] = shard;
  f.write_index(j);
  expect_open_error(f.dir.path(), "'model.ghost.weight' is listed");
  j = f.read_index();
  j["weight_map"].erase("model.ghost.weight");
  j["weight_map"].erase("model.norm.weight");
  f.write_index(j);
  expect_open_error(f.dir.path(), "'model.norm.weight' is in");
  j["weight_map"]["model.norm.weight"] = "model.safetensors.index.json";
  f.write_index(j);
  expect_open_error(f.dir.path(), "model.safetensors.index.json");
}

TEST(CheckpointIndex, MissingFilesAreClearErrors) {
  TempDir dir;
  expect_open_error(dir.path(), "no model.safetensors or model.safetensors.index.json");
  expect_open_error(dir.path() / "nope", "no such file or directory");
  write_text(dir.path() / "model.safetensors.index.json", "{not json");
  expect_open_error(dir.path(), "not valid JSON");
}

}  // namespace
}  // namespace finefp8
