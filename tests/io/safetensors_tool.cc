// Test helper for tests/python/test_safetensors_interop.py (not installed, not a user tool):
//   finefp8_safetensors_tool dump PATH              one JSON line per tensor:
//                                                   {name, dtype, shape, sha256} + metadata
//   finefp8_safetensors_tool copy PATH OUT MAXBYTES re-write PATH's tensors through the
//                                                   streaming sharded writer into dir OUT
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "io/atomic_output.h"
#include "io/checkpoint.h"
#include "io/safetensors_writer.h"
#include "util/error.h"

using namespace finefp8;

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "dump" && argc == 3) {
      const Checkpoint c = Checkpoint::open(argv[2]);
      for (const auto& e : c.tensors()) {
        const TensorView v = c.shards()[e.shard].view(*e.info);
        nlohmann::json j = {{"name", e.info->name}, {"dtype", dtype_name(e.info->dtype)},
                            {"shape", e.info->shape},
                            {"sha256", testing::sha256_of<uint8_t>(v.data)}};
        fmt::print("{}\n", j.dump());
      }
      for (const auto& f : c.shards()) {
        fmt::print("{}\n", nlohmann::json({{"metadata", f.header().metadata}}).dump());
      }
      return 0;
    }
    if (cmd == "copy" && argc == 5) {
      const Checkpoint c = Checkpoint::open(argv[2]);
      std::vector<TensorDecl> decls;
      for (const auto& e : c.tensors()) decls.push_back({e.info->name, e.info->dtype, e.info->shape});
      AtomicDirectory out(argv[3], /*overwrite=*/false);
      ShardedCheckpointWriter w(out.temp_path(), decls, std::stoull(argv[4]));
      for (const auto& e : c.tensors()) w.write(e.info->name, c.shards()[e.shard].view(*e.info).data);
      w.finish();
      out.commit();
      return 0;
    }
    std::fprintf(stderr, "usage: %s dump PATH | copy PATH OUT MAXBYTES\n", argv[0]);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
