// Helper for the Python tests of the GGUF reader (tests/python/test_gguf_*.py):
//   finefp8_gguf_tool dequant FILE TENSOR OUT   tensor's fp32 values (GGUF order) to OUT
//   finefp8_gguf_tool hf-hashes FILE            JSON {hf_name: {shape, sha256_f32}} of the
//                                               Hugging Face tensors convert would write
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_to_hf.h"
#include "util/error.h"

int main(int argc, char** argv) {
  using namespace finefp8;
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "dequant" && argc == 5) {
      const GgufFile f = GgufFile::open(argv[2]);
      const GgufTensorInfo* t = f.find_tensor(argv[3]);
      if (t == nullptr) fail("{}: no tensor '{}'", argv[2], argv[3]);
      std::vector<float> out(t->elements);
      f.dequantize_rows(*t, 0, t->elements / t->ne[0], out);
      std::ofstream o(argv[4], std::ios::binary);
      o.write(reinterpret_cast<const char*>(out.data()), std::streamsize(out.size() * 4));
      return o ? 0 : 1;
    }
    if (cmd == "hf-hashes" && argc == 3) {
      const GgufFile f = GgufFile::open(argv[2]);
      const HfModelPlan plan = plan_gguf_to_hf(f);
      nlohmann::json j = nlohmann::json::object();
      std::vector<float> out;
      for (const HfTensorPlan& p : plan.tensors) {
        out.resize(p.src->elements);
        dequantize_hf_tensor(f, p, out, 0);
        j[p.name] = {{"shape", p.shape}, {"sha256_f32", testing::sha256_of(std::span<const float>(out))}};
      }
      std::puts(j.dump(1).c_str());
      return 0;
    }
    std::fputs("usage: finefp8_gguf_tool dequant FILE TENSOR OUT | hf-hashes FILE\n", stderr);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
