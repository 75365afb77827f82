// `finefp8 tokenize`: the tokenizer of a model directory, for people (ids and pieces) and for
// scripts (JSON lines in, JSON lines out, thousands of strings per process).
#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "tokenizer/tokenizer.h"
#include "util/error.h"

namespace finefp8::cli {
namespace {

struct TokenizeFlags {
  std::string model_dir;
  std::string text;
  bool jsonl = false;
  bool decode = false;
  bool stream = false;
  bool add_special = false;
  bool parse_special = false;
  bool skip_special = false;
};

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_jsonl(const Tokenizer& tok, const TokenizeFlags& f) {
  const EncodeOptions options{f.add_special, f.parse_special};
  std::string line, out;
  size_t line_no = 0;
  while (std::getline(std::cin, line)) {
    ++line_no;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      fail("stdin line {}: not JSON: {}", line_no, e.what());
    }
    if (f.decode) {
      if (!j.is_array()) fail("stdin line {}: --decode expects a JSON array of ids", line_no);
      std::vector<int32_t> ids;
      for (const auto& v : j) {
        if (!v.is_number_integer()) fail("stdin line {}: ids must be integers", line_no);
        ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
      }
      std::string text;
      if (f.stream) {
        StreamingDecoder s(tok, f.skip_special);
        for (int32_t id : ids) text += s.push(id);
        text += s.flush();
      } else {
        text = tok.decode(ids, f.skip_special);
      }
      out += json_string(text);
    } else {
      if (!j.is_string()) fail("stdin line {}: expected a JSON string", line_no);
      const std::vector<int32_t> ids = tok.encode(j.get_ref<const std::string&>(), options);
      out += '[';
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(ids[i]);
      }
      out += ']';
    }
    out += '\n';
    if (out.size() > (1u << 16)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

int run_text(const Tokenizer& tok, const TokenizeFlags& f) {
  const std::vector<int32_t> ids = tok.encode(f.text, {f.add_special, f.parse_special});
  fmt::print("{} tokens\n", ids.size());
  for (int32_t id : ids) {
    const int32_t one[1] = {id};
    fmt::print("{:>8}  {:<24}  {}{}\n", id, json_string(std::string(tok.piece(id))),
               json_string(tok.decode(one)), tok.is_special(id) ? "  (special)" : "");
  }
  std::string list;
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? ", " : "") + std::to_string(ids[i]);
  fmt::print("ids: [{}]\n", list);
  fmt::print("decoded: {}\n", json_string(tok.decode(ids)));
  return 0;
}

}  // namespace

Runner add_tokenize(CLI::App& app) {
  auto f = std::make_shared<TokenizeFlags>();
  app.description(
      "Encode text with the tokenizer of a model directory (tokenizer.json, plus "
      "tokenizer_config.json if present; the weights are not needed).\n"
      "  finefp8 tokenize -m DIR \"text\"   prints each id, its piece and its text.\n"
      "  finefp8 tokenize -m DIR --jsonl  reads one JSON string per stdin line and prints one "
      "JSON array of ids per line (no BOS/EOS unless --add-special).\n"
      "  ... --jsonl --decode             reads JSON arrays of ids, prints JSON strings.\n"
      "Invalid UTF-8 in the text is replaced by U+FFFD before encoding.");
  app.add_option("-m,--model", f->model_dir, "Directory holding tokenizer.json")->required();
  app.add_option("text", f->text, "Text to encode (people mode)");
  app.add_flag("--jsonl", f->jsonl, "Scripts: JSON lines on stdin -> JSON lines on stdout");
  app.add_flag("--decode", f->decode, "With --jsonl: decode arrays of ids instead of encoding");
  app.add_flag("--stream", f->stream,
               "With --decode: decode through the streaming decoder, token by token");
  app.add_flag("--add-special", f->add_special,
               "Add BOS/EOS as the tokenizer's post-processor / tokenizer_config.json says");
  app.add_flag("--parse-special", f->parse_special,
               "Match special-token text such as <|im_start|> in the input (off: plain text)");
  app.add_flag("--skip-special", f->skip_special, "With --decode: leave special tokens out");
  return [f] {
    const Tokenizer tok = Tokenizer::load(f->model_dir);
    if (f->jsonl) return run_jsonl(tok, *f);
    if (f->decode || f->stream) fail("--decode and --stream need --jsonl");
    return run_text(tok, *f);
  };
}

}  // namespace finefp8::cli
