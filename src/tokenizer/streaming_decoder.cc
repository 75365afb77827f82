// StreamingDecoder (declared in tokenizer.h): decodes a window of recent ids and prints only
// what follows the text already printed, holding back while the text ends in U+FFFD (a
// character whose bytes have not all arrived).
#include <algorithm>

#include "tokenizer/tokenizer.h"

namespace finefp8 {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

size_t common_prefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  while (n > 0 && n < a.size() && (static_cast<unsigned char>(a[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tok_(&tokenizer), skip_special_(skip_special) {}

std::string StreamingDecoder::push(int32_t id) {
  ids_.push_back(id);
  const std::string text = tok_->decode(ids_, skip_special_);
  if (text.size() <= prefix_text_.size() || text.ends_with(kReplacementChar)) {
    return {};
  }
  std::string out;
  if (text.starts_with(prefix_text_)) {
    out = text.substr(prefix_text_.size());
  } else {
    out = text.substr(common_prefix(text, prefix_text_));
  }
  // The newly printed tokens become the context of the next ones.
  ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(prefix_count_));
  prefix_count_ = ids_.size();
  prefix_text_ = tok_->decode(ids_, skip_special_);
  return out;
}

std::string StreamingDecoder::flush() {
  const std::string text = tok_->decode(ids_, skip_special_);
  std::string out;
  if (text.starts_with(prefix_text_)) {
    out = text.substr(prefix_text_.size());
  } else {
    out = text.substr(common_prefix(text, prefix_text_));
  }
  ids_.clear();
  prefix_count_ = 0;
  prefix_text_.clear();
  return out;
}

}  // namespace finefp8
