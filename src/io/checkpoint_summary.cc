#include "io/checkpoint_summary.h"

#include <fstream>

namespace finefp8 {
namespace {
bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

CheckpointSummary summarize_checkpoint(const Checkpoint& ckpt) {
  CheckpointSummary s;
  for (const Checkpoint::Entry& e : ckpt.tensors()) {
    const TensorInfo& t = *e.info;
    DTypeTotal& total = s.by_dtype[t.dtype];
    ++total.tensors;
    total.elements += t.elements();
    total.bytes += t.bytes();
    s.total_bytes += t.bytes();
    s.total_elements += t.elements();
    if (!ends_with(t.name, ".weight")) continue;
    const bool fp8 = t.dtype == DType::kF8_E4M3 || t.dtype == DType::kF8_E5M2;
    if (fp8) {
      const TensorInfo* scale = nullptr;
      for (const char* suffix : {"_scale_inv", "_scale"}) {
        if (scale == nullptr) scale = ckpt.find(t.name + suffix);
      }
      if (scale == nullptr) {
        s.fp8_without_scale.push_back(t.name);
      } else {
        s.fp8_linears.push_back({t.name, scale->name, scale->dtype, t.shape, scale->shape});
      }
    } else if (t.shape.size() == 2 && dtype_info(t.dtype).is_float) {
      s.unquantized_2d_weights.push_back(t.name);
    }
  }
  std::ifstream in(ckpt.dir() / "config.json");
  if (in) {
    auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) s.config = std::move(j);
  }
  return s;
}

}  // namespace finefp8
