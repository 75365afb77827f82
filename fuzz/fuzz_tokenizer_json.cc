// libFuzzer target: the tokenizer.json loader. Any input must either load or throw
// finefp8::Error; a loaded tokenizer must encode, decode and stream-decode a few strings
// without crashing. (The bytes are parsed in memory: Tokenizer::load adds only the file read.)
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr,
                                                 /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const finefp8::Tokenizer tok = finefp8::Tokenizer::from_json(j, nlohmann::json(), "fuzz.json");
    for (const char* text : {"Hello world", "  x\n\t<s>\xF0\x9F\x98\x80 12345 \xFF", ""}) {
      for (bool special : {false, true}) {
        const auto ids = tok.encode(text, {special, special});
        (void)tok.decode(ids, special);
        finefp8::StreamingDecoder stream(tok, special);
        for (int32_t id : ids) (void)stream.push(id);
        (void)stream.flush();
      }
    }
  } catch (const finefp8::Error&) {
  }
  return 0;
}
