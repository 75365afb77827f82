#include "bench/onednn_matmul.h"

#include <fmt/format.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "util/huge_pages.h"

namespace finefp8::bench {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct OnednnBf16Matmul::Impl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::matmul prim;
  dnnl::memory::desc src_md, dst_md;
  std::unique_ptr<void, decltype(&std::free)> weights_buf{nullptr, &std::free};
  dnnl::memory weights;
  int threads = 0;
};

bool OnednnBf16Matmul::available() { return true; }

std::string OnednnBf16Matmul::version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{}", v->major, v->minor, v->patch);
}

OnednnBf16Matmul::OnednnBf16Matmul(size_t m, size_t n, size_t k, const uint16_t* w, int threads)
    : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.threads = threads;
  omp_set_num_threads(threads);
  const dnnl::memory::dim M = dnnl::memory::dim(m), N = dnnl::memory::dim(n), K = dnnl::memory::dim(k);
  d.src_md = dnnl::memory::desc({M, K}, dt::bf16, tag::ab);
  d.dst_md = dnnl::memory::desc({M, N}, dt::f32, tag::ab);
  const dnnl::memory::desc w_any({K, N}, dt::bf16, tag::any);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(d.src_md, w_any, d.dst_md), d.eng);
  d.prim = dnnl::matmul(pd);
  // The checkpoint's [n, k] row-major is [k, n] in "ba" order.
  dnnl::memory user({{K, N}, dt::bf16, tag::ba}, d.eng, const_cast<uint16_t*>(w));
  // The reordered weights in a buffer of ours, on huge pages like finefp8's packed weights,
  // so that both sides of the ratio stream through the same kind of pages.
  d.weights_buf.reset(alloc_maybe_huge(std::max<size_t>(pd.weights_desc().get_size(), 64)));
  d.weights = dnnl::memory(pd.weights_desc(), d.eng, d.weights_buf.get());
  dnnl::reorder(user, d.weights).execute(d.strm, user, d.weights);
  d.strm.wait();
}

OnednnBf16Matmul::~OnednnBf16Matmul() = default;

void OnednnBf16Matmul::run(const uint16_t* x, float* y) {
  Impl& d = *impl_;
  omp_set_num_threads(d.threads);
  dnnl::memory src(d.src_md, d.eng, const_cast<uint16_t*>(x));
  dnnl::memory dst(d.dst_md, d.eng, y);
  d.prim.execute(d.strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, d.weights}, {DNNL_ARG_DST, dst}});
  d.strm.wait();
}

}  // namespace finefp8::bench
