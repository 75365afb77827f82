// libFuzzer target: encoding arbitrary bytes (invalid UTF-8 included) with the two committed
// tiny tokenizers (tests/fixtures/tokenizers: byte-level + NFKC + lowercase, and Metaspace +
// byte fallback), then decoding and stream-decoding the ids. The first byte picks the
// tokenizer and the flags. Nothing may crash or throw; decoded text must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace {

const finefp8::Tokenizer& tiny(int which) {
  static const finefp8::Tokenizer byte_level =
      finefp8::Tokenizer::load(FINEFP8_FIXTURES_DIR "/tokenizers/tiny_bytelevel");
  static const finefp8::Tokenizer metaspace =
      finefp8::Tokenizer::load(FINEFP8_FIXTURES_DIR "/tokenizers/tiny_metaspace");
  return which ? metaspace : byte_level;
}

void check_utf8(std::string_view s) {
  if (finefp8::tok::valid_utf8_prefix(s) != s.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const finefp8::Tokenizer& tok = tiny(mode & 1);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool special = (mode & 2) != 0;
  const auto ids = tok.encode(text, {(mode & 4) != 0, special});
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= tok.vocab_size()) std::abort();
  }
  const std::string decoded = tok.decode(ids, (mode & 8) != 0);
  check_utf8(decoded);
  finefp8::StreamingDecoder stream(tok, (mode & 8) != 0);
  std::string streamed;
  for (int32_t id : ids) {
    const std::string piece = stream.push(id);
    check_utf8(piece);
    streamed += piece;
  }
  streamed += stream.flush();
  check_utf8(streamed);
  return 0;
}
